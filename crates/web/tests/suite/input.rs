//! What the API and the pages accept as input: control characters refused everywhere before
//! they reach the database, JSON types checked against each field's type, `If-Match: *`,
//! `If-None-Match`, custom-field bounds as numbers and the accounts' system dates.

use crate::on_both_databases;
use crate::support::Env;
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

on_both_databases!(
    control_characters_are_refused_everywhere,
    text_fields_refuse_numbers_and_booleans,
    if_match_any_and_if_none_match,
    custom_field_bounds_may_be_json_numbers,
    accounts_show_their_last_contact_and_deal,
    every_list_refuses_unknown_parameters_and_bad_filters
);

#[track_caller]
fn assert_field_error(r: &crate::support::Response, field: &str, code: &str) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let fields = r.json()["error"]["fields"].clone();
    assert!(
        fields
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["field"] == field && f["code"] == code),
        "expected {field}: {code} in {}",
        r.body
    );
}

async fn count(api: &crate::support::Api, plural: &str) -> usize {
    let r = api.get(&format!("/api/v1/{plural}?limit=200")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["items"]
        .as_array()
        .map(Vec::len)
        .unwrap_or_default()
}

async fn control_characters_are_refused_everywhere(env: Env) {
    let c = env.company("控制字符", "admin@nul.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let account = env.account(&c.admin, "客户").await;
    // Bodies of every object, on create and on change.
    let bodies = [
        ("contacts", json!({"name": "张\u{0}三"}), "name"),
        (
            "leads",
            json!({"name": "线索", "company": "公司\u{0}"}),
            "company",
        ),
        (
            "opportunities",
            json!({"name": "商\u{1}机", "account_id": account.id}),
            "name",
        ),
        (
            "activities",
            json!({"kind": "note", "name": "记录", "body": "a\u{0}"}),
            "body",
        ),
        ("accounts", json!({"name": "客户\u{0}"}), "name"),
        (
            "accounts",
            json!({"name": "客户", "tags": ["a\u{0}"]}),
            "tags",
        ),
    ];
    for (plural, body, field) in bodies {
        let before = count(&api, plural).await;
        let r = api.post(&format!("/api/v1/{plural}"), body).await;
        assert_field_error(&r, field, "control_character");
        assert_eq!(
            count(&api, plural).await,
            before,
            "{plural}: nothing created"
        );
    }
    let r = api
        .patch(
            &format!("/api/v1/accounts/{}", account.id),
            json!({"city": "深\u{0}圳"}),
            "\"1\"",
        )
        .await;
    assert_field_error(&r, "city", "control_character");
    // Translated: the caller's language.
    let r = api
        .call(
            Method::POST,
            "/api/v1/contacts",
            Some(json!({"name": "\u{0}"})),
            &[("accept-language", "zh-CN")],
        )
        .await;
    assert!(
        r.json()["error"]["fields"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("控制字符")),
        "{}",
        r.body
    );
    // Tabs and line breaks are text.
    let r = api
        .post(
            "/api/v1/activities",
            json!({"kind": "note", "name": "纪要", "body": "第一行\n第二行\r\n\t缩进"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Query parameters and filters, on every list.
    for path in [
        "/api/v1/accounts?city=a%00b",
        "/api/v1/accounts?q=%00",
        "/api/v1/contacts?q=a%00",
        "/api/v1/search?q=%00",
    ] {
        let r = api.get(path).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            r.body
        );
        assert_eq!(
            r.json()["error"]["fields"][0]["code"],
            "control_character",
            "{path}"
        );
    }
    let r = api.get("/api/v1/contacts?filter=name:eq:a%00b").await;
    assert_field_error(&r, "filter.name", "control_character");
    let r = api
        .post(
            "/api/v1/contacts/query",
            json!({"filters": [{"field": "name", "op": "eq", "values": ["a\u{0}b"]}]}),
        )
        .await;
    assert_field_error(&r, "filters", "control_character");
    // Pages: forms and query strings.
    let mut browser = env.browser();
    browser.login("admin@nul.example").await;
    let before = count(&api, "contacts").await;
    let r = browser.post("/contacts", &[("name", "李\u{0}四")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    r.assert_contains("控制字符");
    assert_eq!(count(&api, "contacts").await, before);
    let r = browser.get("/accounts?city=a%00b").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = browser.get("/contacts?filter=name:eq:a%00b").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}

async fn text_fields_refuse_numbers_and_booleans(env: Env) {
    let c = env.company("类型", "admin@types.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let account = env.account(&c.admin, "客户").await;
    for (plural, body, field) in [
        ("contacts", json!({"name": 12}), "name"),
        ("leads", json!({"name": "线索", "company": true}), "company"),
        (
            "opportunities",
            json!({"name": 3.5, "account_id": account.id}),
            "name",
        ),
        ("activities", json!({"kind": "note", "name": false}), "name"),
        (
            "contacts",
            json!({"name": "王五", "account_id": 7}),
            "account_id",
        ),
        ("accounts", json!({"name": 12}), "name"),
    ] {
        let r = api.post(&format!("/api/v1/{plural}"), body).await;
        assert_field_error(&r, field, "wrong_type");
    }
    // Numbers for number fields, as before.
    let r = api
        .post(
            "/api/v1/opportunities",
            json!({"name": "大单", "account_id": account.id, "amount": 1000, "win_rate": 30}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({"name": 1}),
            "\"1\"",
        )
        .await;
    assert_field_error(&r, "name", "wrong_type");
}

async fn if_none_match(
    api: &crate::support::Api,
    path: &str,
    tag: &str,
) -> crate::support::Response {
    api.call(Method::GET, path, None, &[("if-none-match", tag)])
        .await
}

async fn if_match_any_and_if_none_match(env: Env) {
    let c = env.company("条件", "admin@cond.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let contact = api
        .post("/api/v1/contacts", json!({"name": "赵六"}))
        .await
        .json();
    let path = format!("/api/v1/contacts/{}", contact["id"].as_str().unwrap());
    let account = env.account(&c.admin, "客户").await;
    let account_path = format!("/api/v1/accounts/{}", account.id);
    for path in [&path, &account_path] {
        // `*` matches whatever version is current.
        let r = api.patch(path, json!({"name": "改名"}), "*").await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        let r = api.patch(path, json!({"name": "再改"}), "*").await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        assert_eq!(r.json()["version"], json!(3));
        // A stale version still fails.
        let r = api.patch(path, json!({"name": "旧"}), "\"1\"").await;
        assert_eq!(
            r.status,
            StatusCode::PRECONDITION_FAILED,
            "{path}: {}",
            r.body
        );
        // The current ETag (alone, weak or in a list): 304 without a body; another one: 200.
        let r = if_none_match(&api, path, "\"3\"").await;
        assert_eq!(r.status, StatusCode::NOT_MODIFIED, "{path}: {}", r.body);
        assert!(r.body.is_empty());
        assert_eq!(r.headers["etag"], "\"3\"");
        for tag in ["W/\"3\"", "\"1\", \"3\"", "*"] {
            let r = if_none_match(&api, path, tag).await;
            assert_eq!(r.status, StatusCode::NOT_MODIFIED, "{path} {tag}");
        }
        let r = if_none_match(&api, path, "\"2\"").await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.json()["name"], "再改");
    }
    // The organisation's reads are conditional too; writes never answer 304.
    let user_path = format!("/api/v1/users/{}", c.admin.id());
    let tag = api.get(&user_path).await.headers["etag"].clone();
    let r = if_none_match(&api, &user_path, tag.to_str().unwrap()).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED, "{}", r.body);
    let r = api
        .call(
            Method::PATCH,
            &path,
            Some(json!({"name": "三改"})),
            &[("if-match", "*"), ("if-none-match", "*")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api
        .call(Method::DELETE, &path, None, &[("if-match", "*")])
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = api
        .call(Method::DELETE, &account_path, None, &[("if-match", "*")])
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
}

async fn custom_field_bounds_may_be_json_numbers(env: Env) {
    let c = env.company("范围", "admin@bounds.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let r = api
        .post(
            "/api/v1/contacts/fields",
            json!({"key": "score", "label_zh": "评分", "label_en": "Score", "field_type": "number", "min": 0, "max": 99.5}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = api
        .post("/api/v1/contacts", json!({"name": "钱七", "score": 100}))
        .await;
    assert_field_error(&r, "score", "above_max");
    let r = api
        .post("/api/v1/contacts", json!({"name": "钱七", "score": 99.5}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = api
        .post(
            "/api/v1/accounts/fields",
            json!({"key": "rank", "label_zh": "排名", "field_type": "number", "min": "many"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}

async fn accounts_show_their_last_contact_and_deal(env: Env) {
    let c = env.company("日期", "admin@dates.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let account = env.account(&c.admin, "客户").await;
    let path = format!("/api/v1/accounts/{}", account.id);
    let fresh = api.get(&path).await.json();
    assert_eq!(fresh["last_contacted_at"], Value::Null, "{fresh}");
    assert_eq!(fresh["last_deal_at"], Value::Null, "{fresh}");
    let r = api
        .post(
            "/api/v1/activities",
            json!({"kind": "call", "name": "电话", "account_id": account.id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = api
        .post(
            "/api/v1/opportunities",
            json!({"name": "成交", "account_id": account.id, "stage": "won", "amount": "10",
                "win_reason": "price", "close_lessons": "价格合适"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let now = api.get(&path).await.json();
    assert_eq!(now["last_contacted_at"], "2026-11-23T09:00:00Z", "{now}");
    assert_eq!(now["last_deal_at"], "2026-11-23", "{now}");
    let listed = api.get("/api/v1/accounts").await.json();
    assert_eq!(listed["items"][0]["last_deal_at"], "2026-11-23");
}

async fn first_account(api: &crate::support::Api) -> String {
    let page = api.get("/api/v1/accounts?limit=1").await.json();
    page["items"][0]["id"]
        .as_str()
        .expect("an account")
        .to_string()
}

async fn every_list_refuses_unknown_parameters_and_bad_filters(env: Env) {
    let c = env.company("列表", "admin@lists.example").await;
    let api = env.api(&env.token(&c.admin).await);
    for (name, grade) in [("甲客户", "A"), ("乙客户", "B"), ("丙客户", "A")] {
        let r = api
            .post("/api/v1/accounts", json!({"name": name, "grade": grade}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    for plural in [
        "accounts",
        "contacts",
        "leads",
        "opportunities",
        "activities",
    ] {
        let r = api.get(&format!("/api/v1/{plural}?colour=red")).await;
        assert_field_error(&r, "colour", "unknown_field");
        let r = api.get(&format!("/api/v1/{plural}?filter=nope:eq:1")).await;
        assert_field_error(&r, "filter.nope", "unknown_field");
    }
    let account = first_account(&api).await;
    for path in [
        format!("/api/v1/accounts/{account}/timeline?colour=red"),
        format!("/api/v1/accounts/{account}/history?colour=red"),
        format!("/api/v1/contacts/{account}/history?colour=red"),
    ] {
        assert_field_error(&api.get(&path).await, "colour", "unknown_field");
    }
    for path in [
        format!("/api/v1/accounts/{account}/timeline?limit=many"),
        format!("/api/v1/accounts/{account}/history?limit=0"),
    ] {
        assert_field_error(&api.get(&path).await, "limit", "out_of_range");
    }
    let r = api.get("/api/v1/accounts?filter=grade:eq:Z").await;
    assert_field_error(&r, "filter.grade", "invalid_choice");
    // The filter language works on accounts as on the other objects, with the quick filters.
    let names = |r: &crate::support::Response| -> Vec<String> {
        let mut names: Vec<String> = r.json()["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["name"].as_str().map(str::to_string))
            .collect();
        names.sort();
        names
    };
    let r = api.get("/api/v1/accounts?filter=grade:eq:A").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(names(&r), ["丙客户", "甲客户"]);
    let r = api
        .get("/api/v1/accounts?filter=grade:in:A,B&filter=name:contains:乙")
        .await;
    assert_eq!(names(&r), ["乙客户"]);
    let r = api
        .get("/api/v1/accounts?grade=A&filter=name:starts_with:丙")
        .await;
    assert_eq!(names(&r), ["丙客户"], "{}", r.body);
    // Paging a filtered list.
    let first = api
        .get("/api/v1/accounts?filter=grade:eq:A&limit=1&sort=name")
        .await
        .json();
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_string();
    let second = api
        .get(&format!(
            "/api/v1/accounts?filter=grade:eq:A&limit=1&sort=name&cursor={cursor}"
        ))
        .await;
    assert_eq!(names(&second), ["甲客户"]);
}
