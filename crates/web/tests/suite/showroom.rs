//! The showroom register (三表一卡): a visit finds or creates its lead by phone and updates it,
//! a returning visitor is not a first visit, leaving sets the stay; the traffic statistics
//! over a fixture of visits registered with the clock at set times, compared with counts
//! made here from the fixture list; data scope (a rep their own, a manager the team, another
//! team's rep nothing of theirs); bad input refused with a translated error and nothing
//! written; the desk page, the lead's follow-up card.

use crate::on_both_databases;
use crate::support::{Company, Env, Teams};
use app::Actor;
use axum::http::{Method, StatusCode};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Timelike, Utc};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};

on_both_databases!(
    showroom_register_finds_or_creates_the_lead,
    showroom_statistics_match_the_fixture,
    showroom_reach_follows_the_lead_scope,
    showroom_bad_input_writes_nothing,
    showroom_pages_register_and_show_the_card
);

const ZONE: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// A wall-clock time in Shanghai, the users' default zone.
fn local(day: &str, time: &str) -> DateTime<Utc> {
    let at = chrono::NaiveDateTime::parse_from_str(&format!("{day} {time}"), "%Y-%m-%d %H:%M")
        .expect("fixture time");
    ZONE.from_local_datetime(&at)
        .single()
        .expect("one instant")
        .with_timezone(&Utc)
}

fn set_clock(env: &Env, to: DateTime<Utc>) {
    env.clock.advance(to - env.app.now());
}

fn ok(r: &crate::support::Response) -> Value {
    assert!(r.status.is_success(), "{}: {}", r.status, r.body);
    r.json()
}

async fn lead_of(env: &Env, actor: &Actor, id: &str) -> crate::support::Response {
    env.api(&env.token(actor).await)
        .get(&format!("/api/v1/leads/{id}"))
        .await
}

/// Every row of `table` of the company, whoever may see them.
async fn count_rows_of(env: &Env, table: &str, tenant: uuid::Uuid) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = $1");
    let (n,): (i64,) = match &env.app.db {
        store::Db::Sqlite(s) => sqlx::query_as(&sql).bind(tenant).fetch_one(&s.writer).await,
        store::Db::Postgres(p) => sqlx::query_as(&sql).bind(tenant).fetch_one(p).await,
    }
    .expect("count");
    n
}

async fn showroom_register_finds_or_creates_the_lead(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let t = env.two_teams(&c).await;
    let manager = env.api(&env.token(&t.manager).await);
    let first = ok(&manager
        .post(
            "/api/v1/showroom/visits",
            json!({ "name": "王", "salutation": "mr", "phone": "139 1234 5601", "intent": "B",
                    "heard_from": "referral", "consultant_id": t.rep.id(), "area": "浦东新区", "party_size": 2 }),
        )
        .await);
    assert_eq!(first["first_visit"], true);
    assert_eq!(first["lead_created"], true);
    assert_eq!(first["phone"], "+86 139 1234 5601");
    assert_eq!(first["consultant_id"], json!(t.rep.id()));
    let lead = first["lead_id"]
        .as_str()
        .expect("the manager sees the new lead")
        .to_string();
    let l = ok(&lead_of(&env, &t.rep, &lead).await);
    assert_eq!(
        l["owner_id"],
        json!(t.rep.id()),
        "the consultant owns the lead"
    );
    assert_eq!(
        (l["name"].as_str(), l["mobile"].as_str()),
        (Some("王先生"), Some("+86 139 1234 5601"))
    );
    assert_eq!(
        (l["intent"].as_str(), l["source"].as_str()),
        (Some("B"), Some("referral"))
    );

    // Two days later the same phone, written differently: the same lead, now hot.
    env.clock.advance(Duration::days(2));
    let again = ok(&manager
        .post(
            "/api/v1/showroom/visits",
            json!({ "name": "王", "salutation": "mr", "phone": "+86 139-1234-5601", "intent": "H",
                    "consultant_id": t.rep.id() }),
        )
        .await);
    assert_eq!(again["first_visit"], false);
    assert_eq!(again["lead_created"], false);
    assert_eq!(again["lead_id"].as_str(), Some(lead.as_str()));
    let l = ok(&lead_of(&env, &t.rep, &lead).await);
    assert_eq!(l["intent"], "H", "the lead's intent follows the visit");
    // The visit is a contact: the follow-up is due five days after it (H).
    let time = |v: &Value| {
        DateTime::parse_from_rfc3339(v.as_str().unwrap_or_default()).map(|t| t.with_timezone(&Utc))
    };
    let arrived = time(&again["arrived_at"]).expect("arrival");
    assert_eq!(time(&l["last_contacted_at"]), Ok(arrived), "{l}");
    assert_eq!(
        time(&l["next_follow_up_at"]),
        Ok(arrived + Duration::days(5)),
        "{l}"
    );
    let history = ok(&env
        .api(&env.token(&t.rep).await)
        .get(&format!("/api/v1/leads/{lead}/history"))
        .await);
    assert!(history.to_string().contains("intent"), "{history}");

    // Leaving 25 minutes later sets the stay.
    env.clock.advance(Duration::minutes(25));
    let id = again["id"].as_str().expect("id");
    let left = ok(&manager
        .patch(
            &format!("/api/v1/showroom/visits/{id}"),
            json!({ "left": true }),
            "\"1\"",
        )
        .await);
    assert_eq!(left["stay_seconds"], 25 * 60);
    assert_eq!(left["version"], 2);
    let stale = manager
        .patch(
            &format!("/api/v1/showroom/visits/{id}"),
            json!({ "lost_reason": "price" }),
            "\"1\"",
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.body
    );

    // Another team's rep registers the same phone: attached, not revealed.
    let other = env.api(&env.token(&t.other).await);
    let theirs = ok(&other
        .post(
            "/api/v1/showroom/visits",
            json!({ "name": "王", "phone": "13912345601" }),
        )
        .await);
    assert_eq!(theirs["lead_id"], Value::Null, "{theirs}");
    assert_eq!(theirs["first_visit"], false);
    assert_eq!(theirs["lead_created"], false);
    assert_eq!(
        lead_of(&env, &t.other, &lead).await.status,
        StatusCode::NOT_FOUND
    );
    let card = app::showroom::for_lead(&env.app, &t.rep, lead.parse().expect("uuid"))
        .await
        .expect("the rep reads the card");
    assert_eq!(card.len(), 3, "every visit of the lead is on its card");

    // A visitor who leaves no details is logged without a lead.
    let anonymous = ok(&other
        .post(
            "/api/v1/showroom/visits",
            json!({ "name": "李", "salutation": "ms", "kind": "phone_in" }),
        )
        .await);
    assert_eq!(
        (
            anonymous["lead_id"].clone(),
            anonymous["first_visit"].clone()
        ),
        (Value::Null, json!(true))
    );
}

/// One visit of the fixture: arrival (Shanghai), consultant, phone, intent, minutes stayed,
/// lost reason.
struct Planned {
    day: &'static str,
    time: &'static str,
    consultant: usize,
    phone: Option<&'static str>,
    intent: Option<&'static str>,
    stay: Option<i64>,
    lost: Option<&'static str>,
}

const fn at(day: &'static str, time: &'static str, consultant: usize) -> Planned {
    Planned {
        day,
        time,
        consultant,
        phone: None,
        intent: None,
        stay: None,
        lost: None,
    }
}

impl Planned {
    const fn phone(mut self, p: &'static str) -> Self {
        self.phone = Some(p);
        self
    }
    const fn intent(mut self, i: &'static str) -> Self {
        self.intent = Some(i);
        self
    }
    const fn stay(mut self, minutes: i64) -> Self {
        self.stay = Some(minutes);
        self
    }
    const fn lost(mut self, reason: &'static str) -> Self {
        self.lost = Some(reason);
        self
    }
}

const A: &str = "13912345601";
const B: &str = "13912345602";
const C: &str = "13912345603";
const D: &str = "13912345604";
const E: &str = "13912345605";
/// Consultants by index: the manager, the rep, the other team's rep.
const MANAGER: usize = 0;
const REP: usize = 1;
const OTHER: usize = 2;

/// The fixture, in the order of arrival. 23:50 and 00:30 straddle a Shanghai midnight that
/// is the same UTC day; 14 and 60 minutes sit on bucket edges.
fn fixture() -> Vec<Planned> {
    vec![
        at("2026-11-23", "10:05", REP).phone(A).intent("H").stay(35),
        at("2026-11-23", "10:40", REP).stay(10).lost("just_looking"),
        at("2026-11-23", "14:20", MANAGER)
            .phone(B)
            .intent("A")
            .stay(14)
            .lost("price"),
        at("2026-11-23", "14:50", OTHER)
            .phone(C)
            .intent("B")
            .stay(60),
        at("2026-11-23", "23:50", REP).phone(D).intent("C").stay(15),
        at("2026-11-24", "00:30", REP).phone(A).intent("A").stay(75),
        at("2026-11-24", "09:15", MANAGER)
            .phone(E)
            .lost("competitor"),
        at("2026-12-01", "11:00", OTHER)
            .phone(B)
            .intent("H")
            .stay(20),
    ]
}

/// Registers the fixture as the administrator, each visit with the clock at its arrival and
/// its leave once the clock passed it; converts A's lead into a deal and B's without one.
async fn load(env: &Env, c: &Company, t: &Teams) -> Vec<Planned> {
    let admin = env.api(&env.token(&c.admin).await);
    let consultants = [&t.manager, &t.rep, &t.other];
    let plan = fixture();
    let mut leads: BTreeMap<&str, String> = BTreeMap::new();
    let mut ids = Vec::new();
    for p in &plan {
        set_clock(env, local(p.day, p.time));
        let mut body = json!({ "name": "客户", "consultant_id": consultants[p.consultant].id(),
            "intent": p.intent, "lost_reason": p.lost });
        if let Some(phone) = p.phone {
            body["phone"] = json!(phone);
        }
        let v = ok(&admin.post("/api/v1/showroom/visits", body).await);
        if let (Some(phone), Some(lead)) = (p.phone, v["lead_id"].as_str()) {
            leads.entry(phone).or_insert_with(|| lead.to_string());
        }
        ids.push(v["id"].as_str().expect("id").to_string());
    }
    set_clock(env, local("2026-12-01", "18:00"));
    for (p, id) in plan.iter().zip(&ids) {
        if let Some(minutes) = p.stay {
            let left = local(p.day, p.time) + Duration::minutes(minutes);
            ok(&admin
                .patch(
                    &format!("/api/v1/showroom/visits/{id}"),
                    json!({ "left_at": left.to_rfc3339() }),
                    "*",
                )
                .await);
        }
    }
    let convert = |with_deal: bool| {
        json!({ "account": { "create": {} }, "contact": { "create": {} },
                "opportunity": if with_deal { json!({ "name": "展厅成交" }) } else { Value::Null } })
    };
    ok(&admin
        .post(
            &format!("/api/v1/leads/{}/convert", leads[A]),
            convert(true),
        )
        .await);
    ok(&admin
        .post(
            &format!("/api/v1/leads/{}/convert", leads[B]),
            convert(false),
        )
        .await);
    plan
}

/// The stay buckets, counted here in minutes as the statistics define them.
fn bucket(minutes: Option<i64>) -> &'static str {
    match minutes {
        None => "still_here",
        Some(m) if m < 15 => "under_15",
        Some(m) if m < 30 => "15_30",
        Some(m) if m <= 60 => "30_60",
        Some(_) => "over_60",
    }
}

/// What the statistics of `[from, to]` must say about the visits of `consultants`, counted
/// from the fixture list.
fn expected(plan: &[Planned], consultants: &[usize], from: &str, to: &str, month: bool) -> Value {
    let (from, to) = (day(from), day(to));
    let mut seen = HashSet::new();
    let mut total = [0i64; 5];
    let mut periods: BTreeMap<String, [i64; 5]> = BTreeMap::new();
    let mut hours = [0i64; 24];
    let mut stays: BTreeMap<&str, i64> = BTreeMap::new();
    let mut intents: BTreeMap<&str, i64> = BTreeMap::new();
    let mut lost: BTreeMap<&str, i64> = BTreeMap::new();
    for p in plan {
        // First visits are judged over the whole company, before the scope.
        let first = p.phone.is_none_or(|phone| seen.insert(phone));
        let arrived = local(p.day, p.time).with_timezone(&ZONE);
        let d = arrived.date_naive();
        if !consultants.contains(&p.consultant) || d < from || d > to {
            continue;
        }
        let line = [
            1,
            i64::from(first),
            i64::from(p.phone.is_some()),
            i64::from(p.phone == Some(A)),
            i64::from(p.lost.is_some()),
        ];
        let key = if month {
            d.format("%Y-%m")
        } else {
            d.format("%Y-%m-%d")
        }
        .to_string();
        for (slot, n) in periods.entry(key).or_default().iter_mut().zip(line) {
            *slot += n;
        }
        for (slot, n) in total.iter_mut().zip(line) {
            *slot += n;
        }
        hours[arrived.hour() as usize] += 1;
        *stays.entry(bucket(p.stay)).or_default() += 1;
        *intents.entry(p.intent.unwrap_or("none")).or_default() += 1;
        if let Some(reason) = p.lost {
            *lost.entry(reason).or_default() += 1;
        }
    }
    let counts = |c: [i64; 5]| json!({ "visits": c[0], "first_visits": c[1], "with_details": c[2], "converted": c[3], "lost": c[4] });
    let periods: BTreeMap<String, Value> =
        periods.into_iter().map(|(k, c)| (k, counts(c))).collect();
    json!({ "total": counts(total), "periods": periods, "by_hour": hours.to_vec(),
            "by_stay": stays, "by_intent": intents, "lost_by_reason": lost })
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// The answer in the shape of [`expected`]: zero lines and rates left out.
fn observed(stats: &Value) -> Value {
    let counts = |c: &Value| {
        json!({ "visits": c["visits"], "first_visits": c["first_visits"],
        "with_details": c["with_details"], "converted": c["converted"], "lost": c["lost"] })
    };
    let periods: BTreeMap<String, Value> = stats["periods"]
        .as_array()
        .expect("periods")
        .iter()
        .filter(|p| p["visits"] != 0)
        .map(|p| {
            (
                p["period"].as_str().unwrap_or_default().to_string(),
                counts(p),
            )
        })
        .collect();
    let nonzero = |v: &Value| -> BTreeMap<String, Value> {
        v.as_object()
            .expect("object")
            .iter()
            .filter(|(_, n)| **n != 0)
            .map(|(k, n)| (k.clone(), n.clone()))
            .collect()
    };
    json!({ "total": counts(&stats["total"]), "periods": periods, "by_hour": stats["by_hour"],
            "by_stay": nonzero(&stats["by_stay"]), "by_intent": nonzero(&stats["by_intent"]),
            "lost_by_reason": nonzero(&stats["lost_by_reason"]) })
}

async fn stats_of(env: &Env, actor: &Actor, query: &str) -> Value {
    ok(&env
        .api(&env.token(actor).await)
        .get(&format!("/api/v1/showroom/stats?{query}"))
        .await)
}

async fn showroom_statistics_match_the_fixture(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let t = env.two_teams(&c).await;
    let plan = load(&env, &c, &t).await;
    let everyone = [MANAGER, REP, OTHER];

    let days = stats_of(&env, &c.admin, "from=2026-11-23&to=2026-11-24&group=day").await;
    assert_eq!(
        observed(&days),
        expected(&plan, &everyone, "2026-11-23", "2026-11-24", false)
    );
    // The same by hand: seven visits, six first visits over the company less the return.
    assert_eq!(days["total"]["visits"], 7);
    assert_eq!(days["total"]["first_visits"], 6);
    assert_eq!(days["total"]["with_details"], 6);
    assert_eq!(
        days["total"]["converted"], 2,
        "A's two visits; B's lead has no deal"
    );
    assert_eq!(
        days["periods"][0]["visits"], 5,
        "23:50 is still the 23rd in Shanghai"
    );
    assert_eq!(
        days["periods"][1]["visits"], 2,
        "00:30 is the 24th though UTC's 23rd"
    );
    assert_eq!(days["by_stay"]["under_15"], 2, "10 and 14 minutes");
    assert_eq!(days["by_stay"]["30_60"], 2, "35 and 60 minutes");
    assert_eq!(days["time_zone"], "Asia/Shanghai");

    let months = stats_of(&env, &c.admin, "from=2026-11-01&to=2026-12-31&group=month").await;
    assert_eq!(
        observed(&months),
        expected(&plan, &everyone, "2026-11-01", "2026-12-31", true)
    );
    assert_eq!(
        (
            months["periods"][0]["period"].clone(),
            months["periods"][0]["visits"].clone()
        ),
        (json!("2026-11"), json!(7))
    );
    assert_eq!(
        months["total"]["first_visits"], 6,
        "B's return in December is not a first visit"
    );
    let rep_line = months["consultants"]
        .as_array()
        .expect("consultants")
        .iter()
        .find(|l| l["user_id"] == json!(t.rep.id()))
        .expect("the rep's line")
        .clone();
    assert_eq!(
        (rep_line["visits"].clone(), rep_line["converted"].clone()),
        (json!(4), json!(2))
    );
    assert_eq!(rep_line["conversion_rate"], 50.0);

    // A reader in another zone sees the same visits in their own hours and days.
    app::time_zones::set_time_zone(&env.app, &c.admin, c.admin.id(), "Europe/Berlin")
        .await
        .expect("zone");
    let admin = env.actor(c.tenant_id, c.admin.id()).await;
    let berlin = stats_of(&env, &admin, "from=2026-11-22&to=2026-11-23").await;
    assert_eq!(
        berlin["total"]["visits"], 6,
        "00:30 Shanghai is 17:30 on the 23rd in Berlin"
    );
    assert_eq!(
        berlin["by_hour"][3], 2,
        "10:05 and 10:40 Shanghai are 03:xx in Berlin"
    );
}

async fn showroom_reach_follows_the_lead_scope(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let t = env.two_teams(&c).await;
    let plan = load(&env, &c, &t).await;
    let range = "from=2026-11-23&to=2026-12-01";
    for (actor, reach) in [
        (&t.rep, vec![REP]),
        (&t.manager, vec![MANAGER, REP]),
        (&t.other, vec![OTHER]),
    ] {
        let stats = stats_of(&env, actor, range).await;
        assert_eq!(
            observed(&stats)["total"],
            expected(&plan, &reach, "2026-11-23", "2026-12-01", false)["total"],
            "{}",
            actor.user.email
        );
        let names: Vec<Value> = stats["consultants"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|l| l["user_id"].clone())
            .collect();
        let consultants = [&t.manager, &t.rep, &t.other];
        for (i, who) in consultants.iter().enumerate() {
            assert_eq!(
                names.contains(&json!(who.id())),
                reach.contains(&i),
                "{names:?}"
            );
        }
        let list = ok(&env
            .api(&env.token(actor).await)
            .get(&format!("/api/v1/showroom/visits?{range}"))
            .await);
        let n = plan
            .iter()
            .filter(|p| reach.contains(&p.consultant))
            .count();
        assert_eq!(
            list["items"].as_array().map(Vec::len),
            Some(n),
            "{}",
            actor.user.email
        );
    }
    // The other rep's December visit is B's return: B's lead is the manager's, not shown.
    let theirs = ok(&env
        .api(&env.token(&t.other).await)
        .get("/api/v1/showroom/visits?from=2026-12-01")
        .await);
    assert_eq!(theirs["items"][0]["lead_id"], Value::Null);
    assert_eq!(theirs["items"][0]["first_visit"], false);
    // Visits outside one's reach are not found.
    let manager_visit = ok(&env
        .api(&env.token(&t.manager).await)
        .get("/api/v1/showroom/visits?from=2026-11-24")
        .await)["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let refused = env
        .api(&env.token(&t.rep).await)
        .patch(
            &format!("/api/v1/showroom/visits/{manager_visit}"),
            json!({ "left": true }),
            "*",
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
}

async fn showroom_bad_input_writes_nothing(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let t = env.two_teams(&c).await;
    let admin = env.api(&env.token(&c.admin).await);
    let leads_before = count_rows_of(&env, "leads", c.tenant_id).await;
    let codes = |r: &crate::support::Response| crate::support::field_codes(r);
    let cases: [(Value, &str, &str); 8] = [
        (
            json!({ "name": "王", "phone": "12" }),
            "phone",
            "invalid_phone",
        ),
        (
            json!({ "name": "王", "consultant_id": uuid::Uuid::now_v7() }),
            "consultant_id",
            "invalid_reference",
        ),
        (
            json!({ "name": "王", "phone": A, "left_at": (env.app.now() - Duration::minutes(5)).to_rfc3339() }),
            "left_at",
            "before_arrival",
        ),
        (
            json!({ "name": "王", "intent": "Z" }),
            "intent",
            "invalid_choice",
        ),
        (
            json!({ "name": "王", "heard_from": "tv" }),
            "heard_from",
            "invalid_choice",
        ),
        (json!({ "name": "" , "phone": A }), "name", "required"),
        (
            json!({ "name": "王", "party_size": "two" }),
            "party_size",
            "wrong_type",
        ),
        (
            json!({ "name": "王", "mood": "happy" }),
            "mood",
            "unknown_field",
        ),
    ];
    for (body, field, code) in cases {
        let r = admin.post("/api/v1/showroom/visits", body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert!(
            codes(&r).contains(&(field.to_string(), code.to_string())),
            "{body}: {}",
            r.body
        );
    }
    // NUL never reaches the database, whichever channel.
    let nul = admin
        .post(
            "/api/v1/showroom/visits",
            json!({ "name": "王\u{0}", "phone": A }),
        )
        .await;
    assert_eq!(nul.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nul.body);
    let direct = app::showroom::register(
        &env.app,
        &c.admin,
        &app::showroom::VisitInput {
            draft: domain::showroom::VisitDraft {
                name: Some("王\u{0}".into()),
                phone: Some(A.into()),
                ..Default::default()
            },
            consultant_id: None,
        },
    )
    .await;
    assert!(
        matches!(direct, Err(app::AppError::Validation(_))),
        "{direct:?}"
    );
    // A rep may not give the new lead to someone else.
    let rep = env.api(&env.token(&t.rep).await);
    let r = rep
        .post(
            "/api/v1/showroom/visits",
            json!({ "name": "王", "phone": A, "consultant_id": t.other.id() }),
        )
        .await;
    assert!(
        codes(&r).contains(&("consultant_id".into(), "owner_not_allowed".into())),
        "{}",
        r.body
    );
    // The messages are translated.
    let english = admin
        .call(
            Method::POST,
            "/api/v1/showroom/visits",
            Some(json!({ "name": "王", "phone": "12" })),
            &[("accept-language", "en")],
        )
        .await;
    assert!(
        english.body.contains("Not a valid phone number."),
        "{}",
        english.body
    );
    let chinese = admin
        .call(
            Method::POST,
            "/api/v1/showroom/visits",
            Some(json!({ "name": "王", "phone": "12" })),
            &[("accept-language", "zh-CN")],
        )
        .await;
    assert!(
        !chinese.body.contains("Not a valid phone number."),
        "{}",
        chinese.body
    );
    assert_eq!(count_rows_of(&env, "showroom_visits", c.tenant_id).await, 0);
    assert_eq!(
        count_rows_of(&env, "leads", c.tenant_id).await,
        leads_before
    );

    // A leave before the arrival, an unknown reason, a bad range: refused, nothing changed.
    let v = ok(&admin
        .post(
            "/api/v1/showroom/visits",
            json!({ "name": "王", "phone": A }),
        )
        .await);
    let id = v["id"].as_str().expect("id");
    let before = (env.app.now() - Duration::minutes(1)).to_rfc3339();
    let r = admin
        .patch(
            &format!("/api/v1/showroom/visits/{id}"),
            json!({ "left_at": before }),
            "\"1\"",
        )
        .await;
    assert!(
        codes(&r).contains(&("left_at".into(), "before_arrival".into())),
        "{}",
        r.body
    );
    let r = admin
        .patch(
            &format!("/api/v1/showroom/visits/{id}"),
            json!({ "lost_reason": "weather" }),
            "\"1\"",
        )
        .await;
    assert!(
        codes(&r).contains(&("lost_reason".into(), "invalid_choice".into())),
        "{}",
        r.body
    );
    let r = admin
        .patch(
            &format!("/api/v1/showroom/visits/{id}"),
            json!({ "left": true }),
            "nonsense",
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.body);
    let same = app::showroom::get(&env.app, &c.admin, id.parse().expect("uuid"))
        .await
        .expect("visit");
    assert_eq!(
        (same.version, same.left_at, same.lost_reason),
        (1, None, None)
    );
    for query in [
        "from=2026-11-30&to=2026-11-01",
        "from=2025-01-01&to=2026-11-30",
        "from=yesterday",
        "group=week",
    ] {
        let r = admin.get(&format!("/api/v1/showroom/stats?{query}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.body
        );
    }
}

async fn showroom_pages_register_and_show_the_card(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let t = env.two_teams(&c).await;
    let mut b = env.browser();
    b.login("rep@a.example").await;
    let desk = b.get("/showroom").await;
    assert_eq!(desk.status, StatusCode::OK, "{}", desk.body);
    desk.assert_contains("visit-form");
    let bad = b
        .post(
            "/showroom/visits",
            &[("kind", "walk_in"), ("name", "王"), ("phone", "12")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_contains("不是有效的电话号码");
    let done = b
        .post(
            "/showroom/visits",
            &[
                ("kind", "walk_in"),
                ("name", "王"),
                ("salutation", "mr"),
                ("phone", A),
                ("intent", "A"),
                ("consultant_id", &t.rep.id().to_string()),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let desk = b.get(&done.location()).await;
    desk.assert_contains("已登记来访客户");
    desk.assert_contains("王先生");
    desk.assert_contains("17:00");
    let visits = app::showroom::visits(&env.app, &t.rep, day("2026-11-23"), day("2026-11-23"))
        .await
        .expect("visits");
    let visit = &visits[0];
    env.clock.advance(Duration::minutes(40));
    let left = b
        .post(
            &format!("/showroom/visits/{}/leave", visit.id),
            &[("version", "1"), ("day", "2026-11-23")],
        )
        .await;
    assert_eq!(left.status, StatusCode::SEE_OTHER, "{}", left.body);
    let lead = visit.lead_id.expect("a lead");
    let page = b.get(&format!("/leads/{lead}")).await;
    page.assert_contains("showroom-visits");
    page.assert_contains("2026-11-23 17:00");
    page.assert_contains("40 分钟");
    let stats = b.get("/showroom/stats?from=2026-11-23&to=2026-11-23").await;
    assert_eq!(stats.status, StatusCode::OK);
    stats.assert_contains("stats-hours");
    stats.assert_contains("17:00–18:00");
}
