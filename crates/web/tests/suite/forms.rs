//! Record forms as a browser posts them (every field, empty ones included), the activity
//! status rule and My day's order — through the pages, on both databases.

use crate::on_both_databases;
use crate::support::{Browser, Env};
use axum::http::StatusCode;
use serde_json::json;

on_both_databases!(
    empty_form_fields_are_not_given,
    logged_visits_are_done_and_planned_ones_open,
    my_day_lists_today_in_time_order
);

/// The fields the form `action` on `page` posts as it is shown: inputs with their values,
/// the selected option of each select (else its first), textareas, ticked checkboxes.
pub fn form_fields(page: &str, action: &str) -> Vec<(String, String)> {
    let start = page
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("a form posting to {action}"));
    let form = &page[start..start + page[start..].find("</form>").expect("the form ends")];
    let attr = |tag: &str, name: &str| {
        regex::Regex::new(&format!(r#"\s{name}="([^"]*)""#))
            .unwrap()
            .captures(tag)
            .map(|c| c[1].to_string())
    };
    let unescape = |s: String| {
        s.replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#38;", "&")
            .replace("&amp;", "&")
    };
    let mut fields = Vec::new();
    let control = regex::Regex::new(
        r"(?s)<input[^>]*>|<select[^>]*>.*?</select>|<textarea[^>]*>.*?</textarea>",
    )
    .unwrap();
    let options = regex::Regex::new(r#"<option value="([^"]*)"([^>]*)>"#).unwrap();
    for m in control.find_iter(form) {
        let tag = m.as_str();
        let Some(name) = attr(tag, "name") else {
            continue;
        };
        let value = if tag.starts_with("<select") {
            let all: Vec<_> = options.captures_iter(tag).collect();
            all.iter()
                .find(|c| c[2].contains("selected"))
                .or(all.first())
                .map(|c| c[1].to_string())
                .unwrap_or_default()
        } else if tag.starts_with("<textarea") {
            let inner = &tag[tag.find('>').unwrap() + 1..tag.rfind("</textarea>").unwrap()];
            inner.to_string()
        } else {
            let kind = attr(tag, "type").unwrap_or_else(|| "text".into());
            if kind == "submit" || (kind == "checkbox" && !tag.contains(" checked")) {
                continue;
            }
            attr(tag, "value").unwrap_or_default()
        };
        fields.push((name, unescape(value)));
    }
    fields
}

/// Posts `fields` as read by [`form_fields`] (the browser adds its own CSRF token).
pub async fn post_fields(
    b: &mut Browser,
    action: &str,
    fields: &[(String, String)],
) -> crate::support::Response {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| k != "csrf_token")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post(action, &pairs).await
}

/// Opens `form_path`, fills in `filled` over what the form shows and posts it to `action`;
/// returns the new record's id.
async fn submit(b: &mut Browser, form_path: &str, action: &str, filled: &[(&str, &str)]) -> String {
    let page = b.get(form_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let mut fields = form_fields(&page.body, action);
    for (key, value) in filled {
        match fields.iter_mut().find(|(k, _)| k == key) {
            Some(field) => field.1 = value.to_string(),
            None => fields.push((key.to_string(), value.to_string())),
        }
    }
    let r = post_fields(b, action, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.location();
    location
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string()
}

/// A company, its administrator's API and an account.
async fn setup(env: &Env) -> (crate::support::Company, crate::support::Api, String) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let account = env.account(&c.admin, "深圳华为技术有限公司").await;
    (c, api, account.id.to_string())
}

/// Creates an opportunity of `account` through its form; its id and its API answer.
async fn new_deal(
    b: &mut Browser,
    api: &crate::support::Api,
    account: &str,
    filled: &[(&str, &str)],
) -> (String, serde_json::Value) {
    let form = format!("/opportunities/new?account_id={account}");
    let id = submit(b, &form, "/opportunities", filled).await;
    let deal = api.get(&format!("/api/v1/opportunities/{id}")).await.json();
    (id, deal)
}

async fn empty_form_fields_are_not_given(env: Env) {
    let (c, api, account) = setup(&env).await;
    // A custom field with a default, left empty on the form.
    let region: domain::fields::FieldDef = serde_json::from_value(json!({"key": "region",
        "label_zh": "区域", "label_en": "Region", "field_type": "text", "default_value": "华南"}))
    .unwrap();
    app::customize::add_field(
        &env.app,
        &c.admin,
        domain::permissions::ObjectKind::Opportunity,
        region,
    )
    .await
    .unwrap();
    let mut b = env.browser();
    b.login("admin@a.example").await;
    let filled = [("name", "年度采购"), ("stage", "proposal"), ("region", "")];
    let (id, deal) = new_deal(&mut b, &api, &account, &filled).await;
    // As through the API: the stage's win rate, the field's default.
    assert_eq!(deal["win_rate"].as_f64(), Some(50.0), "{deal}");
    assert_eq!(deal["region"], "华南", "{deal}");
    assert!(deal["amount"].is_null(), "{deal}");
    let page = b.get(&format!("/opportunities/{id}")).await;
    page.assert_contains("50");
    // Editing, an emptied field is cleared.
    let r = b
        .post(
            &format!("/opportunities/{id}"),
            &[("version", "1"), ("win_rate", ""), ("region", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let deal = api.get(&format!("/api/v1/opportunities/{id}")).await.json();
    assert!(deal["win_rate"].is_null(), "{deal}");
    assert!(deal["region"].is_null(), "{deal}");
    // A given rate stays the user's.
    let filled = [("name", "扩容"), ("stage", "proposal"), ("win_rate", "35")];
    let (_, deal) = new_deal(&mut b, &api, &account, &filled).await;
    assert_eq!(deal["win_rate"].as_f64(), Some(35.0), "{deal}");
}

async fn logged_visits_are_done_and_planned_ones_open(env: Env) {
    let (c, api, account) = setup(&env).await;
    let other = env.account(&c.admin, "阿里巴巴").await.id.to_string();
    let contact = api
        .post(
            "/api/v1/contacts",
            json!({"name": "张伟", "account_id": account}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut b = env.browser();
    b.login("admin@a.example").await;
    // 记录拜访 from the contact's page: the visit has happened.
    let contact_page = b.get(&format!("/contacts/{contact}")).await;
    let log_visit =
        format!("/activities/new?kind=visit&#38;contact_id={contact}&#38;account_id={account}");
    contact_page.assert_contains(&log_visit);
    let visit = submit(
        &mut b,
        &log_visit.replace("&#38;", "&"),
        "/activities",
        &[("name", "现场拜访")],
    )
    .await;
    let v = api.get(&format!("/api/v1/activities/{visit}")).await.json();
    assert_eq!(v["status"], "done", "{v}");
    let acc = api.get(&format!("/api/v1/accounts/{account}")).await.json();
    let contact_json = api.get(&format!("/api/v1/contacts/{contact}")).await.json();
    assert_eq!(contact_json["last_contacted_at"], v["starts_at"]);
    let not_contacted = b.get("/accounts?view=not_contacted_30").await;
    assert!(
        !not_contacted.body.contains("深圳华为技术有限公司"),
        "{acc}"
    );
    not_contacted.assert_contains("阿里巴巴");
    // A call logged from My day's buttons is done too.
    let call = submit(
        &mut b,
        "/activities/new?kind=call",
        "/activities",
        &[("name", "电话"), ("account_id", &other)],
    )
    .await;
    let v = api.get(&format!("/api/v1/activities/{call}")).await.json();
    assert_eq!(v["status"], "done", "{v}");
    // A planned visit is open until the check-in, which marks it done and counts it.
    let tomorrow = (env.app.now() + chrono::Duration::days(1))
        .with_timezone(&domain::fields::china_time())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let planned = submit(
        &mut b,
        "/activities/new?kind=visit",
        "/activities",
        &[
            ("name", "计划拜访"),
            ("account_id", &other),
            ("starts_at", &tomorrow),
        ],
    )
    .await;
    let v = api
        .get(&format!("/api/v1/activities/{planned}"))
        .await
        .json();
    assert_eq!(v["status"], "open", "{v}");
    let r = b
        .post(&format!("/activities/{planned}/check-in"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let v = api
        .get(&format!("/api/v1/activities/{planned}"))
        .await
        .json();
    assert_eq!(v["status"], "done", "{v}");
    let acc = api.get(&format!("/api/v1/accounts/{other}")).await.json();
    let not_contacted = b.get("/accounts?view=not_contacted_30").await;
    assert!(!not_contacted.body.contains("阿里巴巴"), "{acc}");
    // A task stays open; a status the user gives is kept.
    let task = submit(
        &mut b,
        "/activities/new?kind=task",
        "/activities",
        &[("name", "发报价")],
    )
    .await;
    let v = api.get(&format!("/api/v1/activities/{task}")).await.json();
    assert_eq!(v["status"], "open", "{v}");
    let open_call = submit(
        &mut b,
        "/activities/new?kind=call",
        "/activities",
        &[("name", "未接通"), ("status", "open")],
    )
    .await;
    let v = api
        .get(&format!("/api/v1/activities/{open_call}"))
        .await
        .json();
    assert_eq!(v["status"], "open", "{v}");
}

async fn my_day_lists_today_in_time_order(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    // Today in China time is 2026-11-23 (the clock: 09:00 UTC, 17:00 in Shanghai).
    for (body, name) in [
        (
            json!({"kind": "meeting", "starts_at": "2026-11-23T18:06:00+08:00"}),
            "晚会",
        ),
        (
            json!({"kind": "task", "due_at": "2026-11-23T02:06:00+08:00"}),
            "两点",
        ),
        (
            json!({"kind": "meeting", "starts_at": "2026-11-23T00:06:00+08:00"}),
            "零点",
        ),
        (
            json!({"kind": "task", "due_at": "2026-11-23T23:30:00+08:00"}),
            "夜里",
        ),
        (
            json!({"kind": "call", "starts_at": "2026-11-23T09:15:00+08:00", "status": "open"}),
            "九点",
        ),
    ] {
        let mut body = body;
        body["name"] = json!(name);
        let r = api.post("/api/v1/activities", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let mut b = env.browser();
    b.login("admin@a.example").await;
    let home = b.get("/").await;
    let list = &home.body[home.body.find("id=\"day-today\"").expect("today's list")..];
    let list = &list[..list.find("</ul>").unwrap()];
    let order: Vec<usize> = ["零点", "两点", "九点", "晚会", "夜里"]
        .iter()
        .map(|n| list.find(n).unwrap_or_else(|| panic!("{n} in {list}")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{list}");
}
