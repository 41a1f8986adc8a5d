//! Users' time zones: a user in Europe/Berlin reads every time in Berlin time (account page
//! and list, record pages and lists, the stream, My day) and "today" is their day; the zone
//! is set on the settings page or the user's record, and a zone that is not one is refused.

use crate::on_both_databases;
use crate::support::Env;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::json;

on_both_databases!(
    a_user_in_berlin_reads_berlin_time_everywhere,
    time_zones_are_set_on_settings_and_user_records
);

fn berlin(t: DateTime<Utc>) -> String {
    domain::time::format_local(t, chrono_tz::Europe::Berlin)
}

fn shanghai(t: DateTime<Utc>) -> String {
    domain::time::format_local(t, domain::time::DEFAULT_ZONE)
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn a_user_in_berlin_reads_berlin_time_everywhere(env: Env) {
    // The clock: 2026-11-23 09:00 UTC, 10:00 in Berlin, 17:00 in Shanghai.
    let c = env.company("Acme", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let api = env.api(&env.token(&rep).await);
    let mut b = env.browser();
    b.login("rep@a.example").await;
    let r = b
        .post("/settings/time-zone", &[("time_zone", "Europe/Berlin")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let account = env.account(&rep, "深圳华为技术有限公司").await;
    // A visit this morning (08:30 UTC) and a meeting at 17:00 UTC: 18:00 on the 23rd in
    // Berlin, but 01:00 on the 24th in Shanghai.
    let mut ids = Vec::new();
    for body in [
        json!({"kind": "visit", "name": "上午拜访", "account_id": account.id, "starts_at": "2026-11-23T08:30:00Z"}),
        json!({"kind": "meeting", "name": "晚间会议", "account_id": account.id, "starts_at": "2026-11-23T17:00:00Z", "status": "open"}),
    ] {
        let r = api.post("/api/v1/activities", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.json()["id"].as_str().unwrap().to_string());
    }
    let visit = at("2026-11-23T08:30:00Z");
    let meeting = at("2026-11-23T17:00:00Z");
    let shown_and_not = |body: &str, t: DateTime<Utc>| {
        assert!(body.contains(&berlin(t)), "{} in {body}", berlin(t));
        assert!(!body.contains(&shanghai(t)), "{} in {body}", shanghai(t));
    };

    // The account page: created and updated, the stream's entries.
    let page = b.get(&format!("/accounts/{}", account.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    shown_and_not(&page.body, account.created_at);
    shown_and_not(&page.body, env.app.now());
    // The accounts list.
    let list = b.get("/accounts").await;
    shown_and_not(&list.body, account.updated_at);
    // A record page and a list of records.
    let page = b.get(&format!("/activities/{}", ids[0])).await;
    shown_and_not(&page.body, visit);
    let list = b.get("/activities").await;
    shown_and_not(&list.body, visit);
    shown_and_not(&list.body, meeting);
    // The form shows the time in Berlin, and saving it unchanged keeps it.
    let form = b.get(&format!("/activities/{}/edit", ids[0])).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    form.assert_contains("value=\"2026-11-23T09:30\"");
    let action = format!("/activities/{}", ids[0]);
    let fields = crate::forms::form_fields(&form.body, &action);
    let r = crate::forms::post_fields(&mut b, &action, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let saved = api
        .get(&format!("/api/v1/activities/{}", ids[0]))
        .await
        .json();
    assert_eq!(saved["starts_at"], "2026-11-23T08:30:00Z");
    // My day: the meeting is today in Berlin, shown at 18:00.
    let home = b.get("/").await;
    let today = &home.body[home.body.find("id=\"day-today\"").unwrap()..];
    let today = &today[..today.find("</ul>").unwrap()];
    assert!(today.contains("晚间会议"), "{today}");
    shown_and_not(today, meeting);
    home.assert_contains("2026-11-23");
    // "Today" on a list is the Berlin day.
    let todays = b.get("/activities?edited=1&ff=starts_at&fo=today").await;
    todays.assert_contains("晚间会议");
    todays.assert_contains("上午拜访");

    // Back in Shanghai the same meeting is tomorrow, and shows so.
    let r = b
        .post("/settings/time-zone", &[("time_zone", "Asia/Shanghai")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let home = b.get("/").await;
    let today = &home.body[home.body.find("id=\"day-today\"").unwrap()..];
    let today = &today[..today.find("</ul>").unwrap()];
    assert!(!today.contains("晚间会议"), "{today}");
    let todays = b.get("/activities?edited=1&ff=starts_at&fo=today").await;
    assert!(!todays.body.contains("晚间会议"));
    let page = b.get(&format!("/activities/{}", ids[1])).await;
    page.assert_contains(&shanghai(meeting));
}

async fn time_zones_are_set_on_settings_and_user_records(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let mut b = env.browser();
    b.login("rep@a.example").await;
    // The default until chosen.
    let page = b.get("/settings").await;
    page.assert_contains("<option value=\"Asia/Shanghai\" selected>");
    // A zone that is not one is refused with a translated message, and nothing changes.
    for bad in ["Mars/Olympus", "+01:00", "<b>"] {
        let r = b.post("/settings/time-zone", &[("time_zone", bad)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        r.assert_contains("不是有效的时区");
    }
    assert!(env
        .actor(c.tenant_id, rep.id())
        .await
        .user
        .time_zone
        .is_none());
    let r = b
        .post("/settings/time-zone", &[("time_zone", "Europe/Berlin")])
        .await;
    assert_eq!(r.location(), "/settings?notice=time_zone_saved");
    b.get(&r.location())
        .await
        .assert_contains("<option value=\"Europe/Berlin\" selected>");
    let actor = env.actor(c.tenant_id, rep.id()).await;
    assert_eq!(actor.time_zone(), chrono_tz::Europe::Berlin);

    // On the user's record, by an administrator.
    let mut admin = env.browser();
    admin.login("admin@a.example").await;
    let form = admin.get(&format!("/admin/users/{}", rep.id())).await;
    form.assert_contains("<option value=\"Europe/Berlin\" selected>");
    let mut fields = crate::forms::form_fields(&form.body, &format!("/admin/users/{}", rep.id()));
    let set = |fields: &mut Vec<(String, String)>, zone: &str| {
        for f in fields.iter_mut().filter(|(k, _)| k == "time_zone") {
            f.1 = zone.to_string();
        }
    };
    let action = format!("/admin/users/{}", rep.id());
    set(&mut fields, "Nowhere/Town");
    let r = crate::forms::post_fields(&mut admin, &action, &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    r.assert_contains("不是有效的时区");
    let unchanged = env.actor(c.tenant_id, rep.id()).await;
    assert_eq!(unchanged.time_zone(), chrono_tz::Europe::Berlin);
    assert_eq!(unchanged.user.version, rep.user.version, "nothing saved");
    set(&mut fields, "America/New_York");
    let r = crate::forms::post_fields(&mut admin, &action, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let actor = env.actor(c.tenant_id, rep.id()).await;
    assert_eq!(actor.time_zone(), chrono_tz::America::New_York);
    // Only administrators set another user's zone.
    let rep_actor = env.actor(c.tenant_id, rep.id()).await;
    let other =
        app::time_zones::set_time_zone(&env.app, &rep_actor, c.admin.id(), "Europe/Paris").await;
    assert!(matches!(other, Err(app::AppError::Forbidden)), "{other:?}");
}
