//! Lead assignment rules (线索分配): each method choosing as declared through the one create
//! path (API and form alike), the `assign` flag, round-robin fairness under concurrent
//! creation and with two app servers and across a restart, capacity (open leads, new per day
//! with the day's boundary in China time by the clock), inactive users skipped, the fallback
//! pool, the new owner's notification, what the lead records.

use crate::on_both_databases;
use crate::support::{Company, Env};
use app::assignment::RuleInput;
use app::{Actor, App};
use chrono::{Duration, TimeZone, Utc};
use domain::fields::FieldValue;
use domain::permissions::ObjectKind;
use domain::views::FilterSpec;
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

on_both_databases!(
    assignment_methods_choose_as_declared,
    assignment_round_robin_is_fair_under_concurrency_on_two_servers,
    assignment_capacity_skips_full_reps_and_falls_back_to_a_pool,
    two_rules_racing_for_one_rep_keep_its_capacity
);

pub(crate) fn criteria(field: &str, op: &str, values: &[&str]) -> FilterSpec {
    FilterSpec {
        field: field.into(),
        op: op.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

/// A rule named `name` for leads from `source`, by `method`; the rest as the test sets it.
fn by_source(name: &str, source: &str, method: &str) -> RuleInput {
    RuleInput {
        name: Some(name.into()),
        criteria: Some(vec![criteria("source", "eq", &[source])]),
        method: Some(method.into()),
        ..Default::default()
    }
}

pub(crate) async fn rule(env: &Env, admin: &Actor, input: RuleInput) -> Uuid {
    app::settings::create::<store::assignment::Rule>(&env.app, admin, &input)
        .await
        .expect("create rule")
}

pub(crate) fn ids(reps: &[&Actor]) -> Vec<String> {
    reps.iter().map(|r| r.id().to_string()).collect()
}

/// The lead as stored (whoever may see it): owner, pool and what assigned it.
pub(crate) struct Stored {
    pub owner: Uuid,
    pub pool: Option<Uuid>,
    pub rule: Option<String>,
    pub method: Option<String>,
    pub at: Option<chrono::DateTime<Utc>>,
}

pub(crate) async fn stored(env: &Env, tenant: Uuid, id: Uuid) -> Stored {
    let mut tx = env.app.db.begin_read().await.expect("tx");
    let spec = domain::objects::spec(ObjectKind::Lead).expect("lead spec");
    let record = store::records::get(&mut tx, spec, &[], tenant, id)
        .await
        .expect("read")
        .expect("the lead exists");
    let placement = store::pools::placement(&mut tx, ObjectKind::Lead, tenant, id)
        .await
        .expect("placement")
        .expect("placed");
    let text = |k: &str| match record.values.get(k) {
        Some(FieldValue::Text(s)) => Some(s.clone()),
        _ => None,
    };
    Stored {
        owner: placement.owner_id,
        pool: placement.pool_id,
        rule: text("assignment_rule"),
        method: text("assignment_method"),
        at: match record.values.get("assigned_at") {
            Some(FieldValue::DateTime(t)) => Some(*t),
            _ => None,
        },
    }
}

/// Creates a lead through the API as `token`'s user; its id.
pub(crate) async fn api_lead(env: &Env, token: &str, body: serde_json::Value) -> Uuid {
    let r = env.api(token).post("/api/v1/leads", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .expect("an id")
}

pub(crate) async fn notified(env: &Env, user: &Actor, lead: Uuid) -> bool {
    let page = app::notifications::list(&env.app, user, false, None, 200)
        .await
        .expect("notifications");
    page.items
        .iter()
        .any(|n| n.kind == "assigned" && n.record_id == Some(lead))
}

async fn reps(env: &Env, c: &Company, n: usize) -> Vec<Actor> {
    let mut reps = Vec::new();
    for i in 0..n {
        reps.push(
            env.user(c, &format!("rep{i}@a.example"), "sales_rep", None, None)
                .await,
        );
    }
    reps
}

async fn assignment_methods_choose_as_declared(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let admin = &c.admin;
    let r = reps(&env, &c, 6).await;
    let channel = env.department(&c, "渠道部", None).await;
    let east = env.department(&c, "华东", Some(channel)).await;
    let d1 = env
        .user(&c, "d1@a.example", "sales_rep", Some(east), None)
        .await;
    let d2 = env
        .user(&c, "d2@a.example", "sales_rep", Some(channel), None)
        .await;
    // A rep who leaves: the named list skips them.
    let gone = env
        .user(&c, "gone@a.example", "sales_rep", None, None)
        .await;
    deactivate(&env, admin, &gone).await;
    let creator = &r[5];
    let token = env.token(creator).await;
    rule(
        &env,
        admin,
        RuleInput {
            rep: Some(r[2].id().to_string()),
            ..by_source("会务专项", "event", "criteria")
        },
    )
    .await;
    rule(
        &env,
        admin,
        RuleInput {
            reps: Some(ids(&[&r[0], &r[1]])),
            ..by_source("电销轮流", "phone", "round_robin")
        },
    )
    .await;
    rule(
        &env,
        admin,
        RuleInput {
            reps: Some(ids(&[&gone, &r[3], &r[4]])),
            ..by_source("直销名单", "referral", "list")
        },
    )
    .await;
    rule(&env, admin, by_source("官网进公海", "web", "pool")).await;
    rule(
        &env,
        admin,
        RuleInput {
            name: Some("渠道按地域".into()),
            method: Some("region".into()),
            regions: Some(vec![
                domain::assignment::Region {
                    province: "44".into(),
                    target: format!("user:{}", r[4].id()),
                },
                domain::assignment::Region {
                    province: "31".into(),
                    target: format!("department:{channel}"),
                },
            ]),
            ..Default::default()
        },
    )
    .await;
    let tenant = c.tenant_id;

    // 专项: the fixed rep, notified, and what assigned it recorded with the clock's time.
    let event = api_lead(
        &env,
        &token,
        json!({ "name": "会务客户", "source": "event" }),
    )
    .await;
    let s = stored(&env, tenant, event).await;
    assert_eq!(s.owner, r[2].id());
    assert_eq!(s.rule.as_deref(), Some("会务专项"));
    assert_eq!(s.method.as_deref(), Some("criteria"));
    assert_eq!(s.at, Some(env.app.now()));
    assert!(notified(&env, &r[2], event).await, "the new owner is told");
    assert!(!notified(&env, creator, event).await);

    // 顺序分配: in turn.
    let mut owners = Vec::new();
    for n in 0..4 {
        let id = api_lead(
            &env,
            &token,
            json!({ "name": format!("电销{n}"), "source": "phone" }),
        )
        .await;
        owners.push(stored(&env, tenant, id).await.owner);
    }
    assert_eq!(owners, vec![r[0].id(), r[1].id(), r[0].id(), r[1].id()]);

    // 指定名单: the first active rep of the list.
    let referral = api_lead(
        &env,
        &token,
        json!({ "name": "转介绍", "source": "referral" }),
    )
    .await;
    assert_eq!(stored(&env, tenant, referral).await.owner, r[3].id());

    // Into a pool: the default lead pool; the creator stays its last owner, nobody is told.
    let web = api_lead(&env, &token, json!({ "name": "官网", "source": "web" })).await;
    let s = stored(&env, tenant, web).await;
    let default_pool = crate::pools::default_pool(&env, admin, ObjectKind::Lead).await;
    assert_eq!(s.pool, Some(default_pool.id));
    assert_eq!(s.method.as_deref(), Some("pool"));
    // The pool's history says how it arrived: placed by the rule, when it was created.
    let history = {
        let mut tx = env.app.db.begin_read().await.expect("tx");
        store::pools::events(&mut tx, ObjectKind::Lead, tenant, web, 10)
            .await
            .expect("events")
    };
    let placed: Vec<(&str, Option<&str>)> = history
        .iter()
        .map(|e| (e.kind.as_str(), e.reason.as_deref()))
        .collect();
    assert_eq!(placed, [("placed", s.rule.as_deref())]);
    assert!(s.rule.is_some());

    // 按地域: a province to a rep; another to a department whose members take turns.
    let gd = api_lead(&env, &token, json!({ "name": "广东", "province": "44" })).await;
    assert_eq!(stored(&env, tenant, gd).await.owner, r[4].id());
    let mut dept = Vec::new();
    for n in 0..4 {
        let id = api_lead(
            &env,
            &token,
            json!({ "name": format!("上海{n}"), "province": "31" }),
        )
        .await;
        dept.push(stored(&env, tenant, id).await.owner);
    }
    let mut members = [d1.id(), d2.id()];
    members.sort();
    assert_eq!(dept, vec![members[0], members[1], members[0], members[1]]);
    // A province the map does not name: no rule applies, the creator keeps it.
    let bj = api_lead(&env, &token, json!({ "name": "北京", "province": "11" })).await;
    let s = stored(&env, tenant, bj).await;
    assert_eq!((s.owner, s.method), (creator.id(), None));

    // The creator sees a lead they kept, but not one the rules gave away: only its id.
    let r1 = env
        .api(&token)
        .post(
            "/api/v1/leads",
            json!({ "name": "会务2", "source": "event" }),
        )
        .await;
    assert_eq!(r1.status, 201);
    assert_eq!(r1.json()["visible"], false);
    let r2 = env
        .api(&token)
        .post(
            "/api/v1/leads",
            json!({ "name": "自己的", "source": "other" }),
        )
        .await;
    assert_eq!(r2.json()["owner_id"], creator.id().to_string());

    // An owner given: the rules stay out unless asked; asked, they decide.
    let admin_token = env.token(admin).await;
    let given = api_lead(
        &env,
        &admin_token,
        json!({ "name": "指定", "source": "event", "owner_id": r[0].id() }),
    )
    .await;
    assert_eq!(stored(&env, tenant, given).await.owner, r[0].id());
    let asked = api_lead(
        &env,
        &admin_token,
        json!({ "name": "指定2", "source": "event", "owner_id": r[0].id(), "assign": true }),
    )
    .await;
    assert_eq!(stored(&env, tenant, asked).await.owner, r[2].id());
    let kept = api_lead(
        &env,
        &token,
        json!({ "name": "不分配", "source": "event", "assign": false }),
    )
    .await;
    assert_eq!(stored(&env, tenant, kept).await.owner, creator.id());
    let bad = env
        .api(&token)
        .post("/api/v1/leads", json!({ "name": "x", "assign": "yes" }))
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(
        crate::support::field_codes(&bad),
        vec![("assign".into(), "wrong_type".into())]
    );
    // The flag is the lead's: another object does not know it.
    let contact = env
        .api(&admin_token)
        .post("/api/v1/contacts", json!({ "name": "x", "assign": true }))
        .await;
    assert_eq!(contact.status, 422);

    // The form: "assign by the rules" is offered ticked on a new lead, and applies.
    let mut browser = env.browser();
    browser.login("rep5@a.example").await;
    let form = browser.get("/leads/new").await;
    form.assert_contains("id=\"f-assign\"");
    let posted = browser
        .post(
            "/leads",
            &[
                ("name", "表单会务"),
                ("source", "event"),
                ("owner_id", &creator.id().to_string()),
                ("assign", "false"),
                ("assign", "true"),
            ],
        )
        .await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    assert!(posted
        .location()
        .starts_with("/leads?notice=record_assigned_away"));
    assert_eq!(
        latest_owner(&env, &admin_token, "表单会务").await,
        r[2].id()
    );
    // Unticked, the owner chosen stays.
    browser
        .post(
            "/leads",
            &[
                ("name", "表单自己"),
                ("source", "event"),
                ("owner_id", &creator.id().to_string()),
                ("assign", "false"),
            ],
        )
        .await;
    assert_eq!(
        latest_owner(&env, &admin_token, "表单自己").await,
        creator.id()
    );
    // The lead's page shows what assigned it.
    let mut admin_browser = env.browser();
    admin_browser.login("admin@a.example").await;
    let page = admin_browser.get(&format!("/leads/{event}")).await;
    page.assert_contains("会务专项");
    page.assert_contains("专项分配");
}

/// The owner of the lead of that name, as an administrator reads it.
pub(crate) async fn latest_owner(env: &Env, admin_token: &str, name: &str) -> Uuid {
    let r = env
        .api(admin_token)
        .get(&format!("/api/v1/leads?name={}", urlencode(name)))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["items"][0]["owner_id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .expect("a lead of that name")
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .unwrap_or_default()
        .trim_start_matches("v=")
        .to_string()
}

/// The administrator takes a lead off its owner (freeing a place in their capacity).
async fn take_back(env: &Env, admin: &Actor, id: Uuid) {
    let view = app::records::get(&env.app, admin, ObjectKind::Lead, id)
        .await
        .expect("lead");
    let version = view.record.version;
    app::records::transfer(&env.app, admin, ObjectKind::Lead, id, version, admin.id())
        .await
        .expect("transfer");
}

/// Deactivates a user (they leave the company).
pub(crate) async fn deactivate(env: &Env, admin: &Actor, user: &Actor) {
    let u = app::org::get_user(&env.app, admin, user.id())
        .await
        .expect("user");
    app::org::update_user(
        &env.app,
        admin,
        u.id,
        u.version,
        app::org::UserInput {
            email: u.email.clone(),
            name: u.name.clone(),
            password: None,
            role_id: Some(u.role_id),
            department_id: u.department_id,
            manager_id: u.manager_id,
            active: false,
            locale: None,
        },
    )
    .await
    .expect("deactivate");
}

async fn assignment_round_robin_is_fair_under_concurrency_on_two_servers(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let admin = &c.admin;
    let r = reps(&env, &c, 3).await;
    rule(
        &env,
        admin,
        RuleInput {
            name: Some("顺序".into()),
            method: Some("round_robin".into()),
            reps: Some(ids(&[&r[0], &r[1], &r[2]])),
            ..Default::default()
        },
    )
    .await;
    let other_db = crate::support::second_pool(&env.app.db).await;
    let other = App::with_clock(other_db.clone(), env.clock.clone());
    let creator = env
        .user(&c, "creator@a.example", "sales_rep", None, None)
        .await;
    let per_server = 15;
    let mut handles = Vec::new();
    for (i, app) in [env.app.clone(), other.clone()].into_iter().enumerate() {
        for n in 0..per_server {
            let (app, actor) = (app.clone(), creator.clone());
            handles.push(tokio::spawn(async move {
                let input = vec![("name".to_string(), vec![format!("并发{i}-{n}")])];
                app::records::create(&app, &actor, ObjectKind::Lead, &input).await
            }));
        }
    }
    let mut created = Vec::new();
    for h in handles {
        created.push(h.await.expect("task").expect("create"));
    }
    let mut got: HashMap<Uuid, usize> = HashMap::new();
    for id in &created {
        *got.entry(stored(&env, c.tenant_id, *id).await.owner)
            .or_default() += 1;
    }
    let total = 2 * per_server;
    for rep in &r {
        let n = got.get(&rep.id()).copied().unwrap_or(0);
        assert!(n.abs_diff(total / 3) <= 1, "each rep gets N±1: {got:?}");
    }
    assert_eq!(got.values().sum::<usize>(), total, "nobody else got one");
    // The cursor is in the database: a restarted server goes on where the rotation stands.
    other_db.close().await;
    let restarted = App::with_clock(
        crate::support::second_pool(&env.app.db).await,
        env.clock.clone(),
    );
    let mut next = Vec::new();
    for n in 0..3 {
        let input = vec![("name".to_string(), vec![format!("重启后{n}")])];
        let id = app::records::create(&restarted, &creator, ObjectKind::Lead, &input)
            .await
            .expect("create");
        next.push(stored(&env, c.tenant_id, id).await.owner);
    }
    next.sort();
    let mut all: Vec<Uuid> = r.iter().map(|a| a.id()).collect();
    all.sort();
    assert_eq!(next, all, "three more leads go to the three reps once each");
    restarted.db.close().await;
}

async fn assignment_capacity_skips_full_reps_and_falls_back_to_a_pool(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let admin = &c.admin;
    let r = reps(&env, &c, 2).await;
    let overflow = app::pools::create(
        &env.app,
        admin,
        &app::pools::PoolInput {
            object: Some("lead".into()),
            name: Some("溢出池".into()),
            ..Default::default()
        },
    )
    .await
    .expect("pool");
    // The clock starts at 2026-11-23 09:00 UTC, 17:00 in China.
    assert_eq!(
        env.app.now(),
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
    );
    rule(
        &env,
        admin,
        RuleInput {
            reps: Some(ids(&[&r[0], &r[1]])),
            max_per_day: Some(Some(2)),
            fallback_pool_id: Some(overflow.to_string()),
            ..by_source("每日上限", "phone", "list")
        },
    )
    .await;
    let creator = env
        .user(&c, "creator@a.example", "sales_rep", None, None)
        .await;
    let token = env.token(&creator).await;
    let phone = |n: &str| json!({ "name": n, "source": "phone" });
    let mut owners = Vec::new();
    for n in 0..4 {
        let id = api_lead(&env, &token, phone(&format!("日{n}"))).await;
        owners.push(stored(&env, c.tenant_id, id).await.owner);
    }
    assert_eq!(owners, vec![r[0].id(), r[0].id(), r[1].id(), r[1].id()]);
    let full = api_lead(&env, &token, phone("满额")).await;
    let s = stored(&env, c.tenant_id, full).await;
    assert_eq!(
        (s.pool, s.method.as_deref()),
        (Some(overflow), Some("fallback"))
    );
    // 23:59 in China: still the same day.
    env.clock
        .advance(Duration::hours(6) + Duration::minutes(59));
    let late = api_lead(&env, &token, phone("深夜")).await;
    assert_eq!(stored(&env, c.tenant_id, late).await.pool, Some(overflow));
    // Midnight in China (16:00 UTC): a new day, capacity again.
    env.clock.advance(Duration::minutes(1));
    let morning = api_lead(&env, &token, phone("新的一天")).await;
    assert_eq!(stored(&env, c.tenant_id, morning).await.owner, r[0].id());

    // Open leads: at most one each; a full rep is skipped, then nobody: the default pool.
    let open_rule = rule(
        &env,
        admin,
        RuleInput {
            reps: Some(ids(&[&r[0], &r[1]])),
            max_open: Some(Some(4)),
            ..by_source("持有上限", "email", "round_robin")
        },
    )
    .await;
    // r0 holds 3 open leads and r1 2 by now; each takes one more, then both are full.
    let email = |n: &str| json!({ "name": n, "source": "email" });
    let a = api_lead(&env, &token, email("邮件1")).await;
    let b = api_lead(&env, &token, email("邮件2")).await;
    let d = api_lead(&env, &token, email("邮件3")).await;
    assert_eq!(stored(&env, c.tenant_id, a).await.owner, r[0].id());
    assert_eq!(stored(&env, c.tenant_id, b).await.owner, r[1].id());
    assert_eq!(stored(&env, c.tenant_id, d).await.owner, r[1].id());
    let none = api_lead(&env, &token, email("邮件4")).await;
    let default_pool = crate::pools::default_pool(&env, admin, ObjectKind::Lead).await;
    let s = stored(&env, c.tenant_id, none).await;
    assert_eq!(
        (s.pool, s.method.as_deref()),
        (Some(default_pool.id), Some("fallback"))
    );
    // A lead transferred away frees a place; an inactive rep is skipped.
    take_back(&env, admin, a).await;
    let e = api_lead(&env, &token, email("邮件5")).await;
    assert_eq!(stored(&env, c.tenant_id, e).await.owner, r[0].id());
    take_back(&env, admin, e).await;
    deactivate(&env, admin, &r[0]).await;
    let f = api_lead(&env, &token, email("邮件6")).await;
    assert_eq!(
        stored(&env, c.tenant_id, f).await.pool,
        Some(default_pool.id)
    );
    // A deactivated rule is not applied.
    let current = app::settings::get::<store::assignment::Rule>(&env.app, admin, open_rule)
        .await
        .expect("rule");
    app::settings::update::<store::assignment::Rule>(
        &env.app,
        admin,
        open_rule,
        current.version,
        &RuleInput {
            active: Some(false),
            ..Default::default()
        },
    )
    .await
    .expect("deactivate the rule");
    let g = api_lead(&env, &token, email("邮件7")).await;
    let s = stored(&env, c.tenant_id, g).await;
    assert_eq!((s.owner, s.pool, s.method), (creator.id(), None, None));
}

/// Two rules name the same rep with room for two open leads; leads matching each rule are
/// created at once on two app servers: the rep gets exactly two, the rest go to the pool.
async fn two_rules_racing_for_one_rep_keep_its_capacity(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let admin = &c.admin;
    let r = reps(&env, &c, 1).await;
    for source in ["web", "phone"] {
        rule(
            &env,
            admin,
            RuleInput {
                reps: Some(ids(&[&r[0]])),
                max_open: Some(Some(2)),
                ..by_source(&format!("{source} 专人"), source, "list")
            },
        )
        .await;
    }
    let other_db = crate::support::second_pool(&env.app.db).await;
    let other = App::with_clock(other_db.clone(), env.clock.clone());
    let creator = env
        .user(&c, "creator@a.example", "sales_rep", None, None)
        .await;
    let mut handles = Vec::new();
    for (i, app) in [env.app.clone(), other].into_iter().enumerate() {
        for n in 0..6 {
            let (app, actor) = (app.clone(), creator.clone());
            let source = if n % 2 == 0 { "web" } else { "phone" };
            handles.push(tokio::spawn(async move {
                let input = vec![
                    ("name".to_string(), vec![format!("抢{i}-{n}")]),
                    ("source".to_string(), vec![source.to_string()]),
                ];
                app::records::create(&app, &actor, ObjectKind::Lead, &input).await
            }));
        }
    }
    let mut held = 0;
    let mut pooled = 0;
    for h in handles {
        let id = h.await.expect("task").expect("create");
        let s = stored(&env, c.tenant_id, id).await;
        match s.pool {
            None if s.owner == r[0].id() => held += 1,
            Some(_) => pooled += 1,
            None => panic!("a lead went to someone else"),
        }
    }
    assert_eq!((held, pooled), (2, 10));
    other_db.close().await;
}
