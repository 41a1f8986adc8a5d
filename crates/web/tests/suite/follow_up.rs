//! Lead qualification and follow-up: MAN judged on the lead gives its qualification; the
//! intent level sets when the next follow-up is due after the last contact (a done call
//! moves it, a new owner restarts it, a closed lead has none), a business line changes the
//! deadlines; the follow-ups come due on the rep's My day by the clock, and a manager's
//! overdue view lists the team's and no one else's.

use crate::on_both_databases;
use crate::support::{field_codes, Env};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

on_both_databases!(
    follow_ups_come_due_by_intent_and_move_with_contact,
    man_judgements_give_the_qualification,
    business_lines_change_the_deadlines
);

fn at(value: &Value) -> Option<DateTime<Utc>> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

async fn lead(env: &Env, token: &str, body: Value) -> Value {
    let r = env.api(token).post("/api/v1/leads", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}

async fn get(env: &Env, token: &str, id: &Value) -> Value {
    let r = env
        .api(token)
        .get(&format!(
            "/api/v1/leads/{}",
            id.as_str().unwrap_or_default()
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

async fn patch(env: &Env, token: &str, lead: &Value, body: Value) -> Value {
    let path = format!("/api/v1/leads/{}", lead["id"].as_str().unwrap_or_default());
    let version = format!("\"{}\"", lead["version"]);
    let r = env.api(token).patch(&path, body, &version).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn names(items: &Value) -> Vec<String> {
    items
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["name"].as_str().map(str::to_string))
        .collect()
}

async fn follow_ups_come_due_by_intent_and_move_with_contact(env: Env) {
    let company = env.company("跟进公司", "admin@a.example").await;
    let teams = env.two_teams(&company).await;
    let rep = env.token(&teams.rep).await;
    let manager = env.token(&teams.manager).await;
    let other = env.token(&teams.other).await;
    let start = env.app.now();

    let hot = lead(&env, &rep, json!({ "name": "热线索", "intent": "H" })).await;
    assert_eq!(
        at(&hot["next_follow_up_at"]),
        Some(start + Duration::days(5))
    );
    let medium = lead(&env, &rep, json!({ "name": "中线索", "intent": "B" })).await;
    assert_eq!(
        at(&medium["next_follow_up_at"]),
        Some(start + Duration::days(30))
    );
    let plain = lead(&env, &rep, json!({ "name": "无意向" })).await;
    assert!(plain["next_follow_up_at"].is_null(), "{plain}");
    let elsewhere = lead(&env, &other, json!({ "name": "别队线索", "intent": "H" })).await;

    // A done call three days on: due five days after it.
    env.clock.advance(Duration::days(3));
    let called = env.app.now();
    let r = env
        .api(&rep)
        .post(
            "/api/v1/activities",
            json!({ "kind": "call", "name": "电话沟通", "lead_id": hot["id"] }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let hot = get(&env, &rep, &hot["id"]).await;
    assert_eq!(
        at(&hot["next_follow_up_at"]),
        Some(called + Duration::days(5))
    );
    // A lower intent gives more time from the same contact.
    let cooled = patch(&env, &rep, &hot, json!({ "intent": "A" })).await;
    assert_eq!(
        at(&cooled["next_follow_up_at"]),
        Some(called + Duration::days(15))
    );
    let hot = patch(&env, &rep, &cooled, json!({ "intent": "H" })).await;

    // Not yet due: My day is empty of it; the day after the deadline it is overdue.
    let day = env.api(&rep).get("/api/v1/my-day").await.json();
    assert!(names(&day["follow_ups"]).is_empty(), "{day}");
    env.clock.advance(Duration::days(6));
    let day = env.api(&rep).get("/api/v1/my-day").await.json();
    assert_eq!(names(&day["follow_ups"]), ["热线索"], "{day}");
    let page = {
        let mut browser = env.browser();
        browser.login("rep@a.example").await;
        browser.get("/").await
    };
    page.assert_contains("id=\"day-follow-ups\"");
    page.assert_contains("热线索");

    // The overdue view: the manager sees the team's, the other team's rep only their own.
    let overdue = |token: String| {
        let env = &env;
        async move {
            let r = env
                .api(&token)
                .get("/api/v1/leads?view=follow_up_overdue")
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            names(&r.json()["items"])
        }
    };
    assert_eq!(overdue(manager.clone()).await, ["热线索"]);
    assert_eq!(overdue(other.clone()).await, ["别队线索"]);
    let day = env.api(&manager).get("/api/v1/my-day").await.json();
    assert!(names(&day["follow_ups"]).is_empty(), "{day}");
    assert!(at(&elsewhere["next_follow_up_at"]).is_some());

    // A new owner starts their own clock; a disqualified lead needs no follow-up.
    let admin = env.token(&company.admin).await;
    let moved = patch(
        &env,
        &admin,
        &hot,
        json!({ "owner_id": teams.manager.id().to_string() }),
    )
    .await;
    assert_eq!(
        at(&moved["next_follow_up_at"]),
        Some(env.app.now() + Duration::days(5))
    );
    let r = env
        .api(&admin)
        .post(
            &format!(
                "/api/v1/leads/{}/disqualify",
                moved["id"].as_str().unwrap_or_default()
            ),
            json!({ "reason": "no_need", "version": moved["version"] }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let closed = get(&env, &admin, &moved["id"]).await;
    assert!(closed["next_follow_up_at"].is_null(), "{closed}");
    assert!(overdue(manager).await.is_empty());
}

async fn man_judgements_give_the_qualification(env: Env) {
    let company = env.company("资格公司", "admin@a.example").await;
    let teams = env.two_teams(&company).await;
    let rep = env.token(&teams.rep).await;
    let l = lead(
        &env,
        &rep,
        json!({ "name": "王总", "man_money": "yes", "man_money_note": "年度预算 50 万",
                "man_authority": "unknown", "man_need": "yes" }),
    )
    .await;
    assert_eq!(l["qualification"], "developing", "{l}");
    assert_eq!(l["man_money_note"], "年度预算 50 万");
    let l = patch(&env, &rep, &l, json!({ "man_authority": "yes" })).await;
    assert_eq!(l["qualification"], "qualified");
    let l = patch(&env, &rep, &l, json!({ "man_need": "no" })).await;
    assert_eq!(l["qualification"], "unqualified");
    // Derived: not written by hand; a judgement outside the list is refused.
    let path = format!("/api/v1/leads/{}", l["id"].as_str().unwrap_or_default());
    let version = format!("\"{}\"", l["version"]);
    let r = env
        .api(&rep)
        .patch(&path, json!({ "qualification": "qualified" }), &version)
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = env
        .api(&rep)
        .patch(&path, json!({ "man_money": "maybe" }), &version)
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        field_codes(&r),
        [("man_money".to_string(), "invalid_choice".to_string())]
    );
    assert_eq!(
        get(&env, &rep, &l["id"]).await["qualification"],
        "unqualified"
    );
    // The lead's page shows the judgements and the state, in the rep's language.
    let mut browser = env.browser();
    browser.login("rep@a.example").await;
    let page = browser
        .get(&format!("/leads/{}", l["id"].as_str().unwrap_or_default()))
        .await;
    page.assert_contains("资格判定");
    page.assert_contains("不合格");
}

async fn business_lines_change_the_deadlines(env: Env) {
    let company = env.company("业务线公司", "admin@a.example").await;
    let teams = env.two_teams(&company).await;
    let admin = env.token(&company.admin).await;
    let rep = env.token(&teams.rep).await;
    let manager = env.token(&teams.manager).await;
    let body = |days: Value| {
        json!({ "object": "leads", "key": "exhibition", "name_zh": "展会线索",
                "name_en": "Exhibition leads", "follow_up_days": days })
    };
    for (days, field, code) in [
        (json!({ "H": 0 }), "follow_up_days.H", "below_min"),
        (json!({ "A": 400 }), "follow_up_days.A", "above_max"),
        (json!({ "Z": 3 }), "follow_up_days.Z", "invalid_choice"),
        (json!({ "H": "two" }), "follow_up_days", "wrong_type"),
        (json!([2]), "follow_up_days", "wrong_type"),
    ] {
        let r = env
            .api(&admin)
            .post("/api/v1/record-types", body(days.clone()))
            .await;
        assert_eq!(r.status, 422, "{days}: {}", r.body);
        assert!(
            field_codes(&r).contains(&(field.to_string(), code.to_string())),
            "{days}: {}",
            r.body
        );
    }
    for token in [&rep, &manager] {
        let r = env
            .api(token)
            .post("/api/v1/record-types", body(json!({ "H": 2 })))
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    let r = env
        .api(&admin)
        .post("/api/v1/record-types", body(json!({ "H": 2 })))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["follow_up_days"], json!({ "H": 2 }));
    let start = env.app.now();
    let fast = lead(
        &env,
        &rep,
        json!({ "name": "展会客户", "intent": "H", "record_type": "exhibition" }),
    )
    .await;
    assert_eq!(
        at(&fast["next_follow_up_at"]),
        Some(start + Duration::days(2))
    );
    let usual = lead(
        &env,
        &rep,
        json!({ "name": "展会客户乙", "intent": "A", "record_type": "exhibition" }),
    )
    .await;
    assert_eq!(
        at(&usual["next_follow_up_at"]),
        Some(start + Duration::days(15))
    );

    // The administrator's page edits them: the form shows a field per level.
    let mut browser = env.browser();
    browser.login("admin@a.example").await;
    let page = browser.get("/admin/record-types/leads").await;
    page.assert_contains("id=\"f-follow_up_days-H\"");
    let bad = browser
        .post(
            "/admin/record-types/leads",
            &[
                ("key", "phone_in"),
                ("name_zh", "电话线索"),
                ("name_en", "Phone-in leads"),
                ("active", "on"),
                ("follow_up_days.C", "-3"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let saved = browser
        .post(
            "/admin/record-types/leads",
            &[
                ("key", "phone_in"),
                ("name_zh", "电话线索"),
                ("name_en", "Phone-in leads"),
                ("active", "on"),
                ("follow_up_days.C", "20"),
                ("follow_up_days.H", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let listed = env
        .api(&admin)
        .get("/api/v1/record-types?object=leads")
        .await
        .json();
    let phone_in = listed["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["key"] == "phone_in")
        .cloned()
        .unwrap_or_default();
    assert_eq!(phone_in["follow_up_days"], json!({ "C": 20 }), "{listed}");
}
