//! The duplicate check of a record body (`POST /api/v1/{object}/duplicates`, and the record
//! form's warning as it is filled): matches by the
//! object's duplicate keys, those the caller may open with their name, the others only as
//! "owned by X"; the record being edited left out; bad bodies refused; nothing written.

use crate::on_both_databases;
use crate::support::{field_codes, Env};
use axum::http::StatusCode;
use serde_json::{json, Value};

on_both_databases!(a_record_body_is_checked_for_duplicates_within_what_the_caller_may_know);

fn matches(r: &crate::support::Response) -> Vec<Value> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["matches"].as_array().cloned().unwrap_or_default()
}

async fn a_record_body_is_checked_for_duplicates_within_what_the_caller_may_know(env: Env) {
    let c = env.company("华南机械", "admin@a.example").await;
    let crate::support::Teams {
        manager,
        rep,
        other,
    } = env.two_teams(&c).await;
    let admin_api = env.api(&env.token(&c.admin).await);
    let create = |path: &'static str, body: Value| {
        let api = &admin_api;
        async move {
            let r = api.post(path, body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.json()["id"].as_str().unwrap().to_string()
        }
    };
    let theirs = create(
        "/api/v1/accounts",
        json!({"name": "深圳华为技术有限公司", "owner_id": other.id()}),
    )
    .await;
    let mine = create(
        "/api/v1/accounts",
        json!({"name": "Acme Robotics Co., Ltd.", "phone": "010-62345678", "owner_id": rep.id()}),
    )
    .await;
    create(
        "/api/v1/contacts",
        json!({"name": "张伟", "mobile": "+86 138 0013 8000", "owner_id": other.id()}),
    )
    .await;

    let rep_api = env.api(&env.token(&rep).await);
    let manager_api = env.api(&env.token(&manager).await);
    // Another department's account: the rep and their manager learn only whose it is.
    let body = json!({"name": "深圳华为技术股份有限公司"});
    for api in [&rep_api, &manager_api] {
        let found = matches(&api.post("/api/v1/accounts/duplicates", body.clone()).await);
        assert_eq!(found.len(), 1, "{found:?}");
        let m = &found[0];
        assert_eq!(m["can_link"], false);
        assert_eq!(m["fields"], json!(["name"]));
        assert!(m.get("id").is_none() && m.get("name").is_none(), "{m}");
        assert!(
            !m["owner_name"].as_str().unwrap_or_default().is_empty(),
            "{m}"
        );
    }
    // The administrator may open it.
    let found = matches(
        &admin_api
            .post("/api/v1/accounts/duplicates", body.clone())
            .await,
    );
    assert_eq!(found[0]["id"], json!(theirs));
    assert_eq!(found[0]["can_link"], true);
    // Their own account by its phone however typed, or by its name without the legal form.
    let found = matches(
        &rep_api
            .post(
                "/api/v1/accounts/duplicates",
                json!({"phone": "+86 10 6234 5678"}),
            )
            .await,
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], json!(mine));
    assert_eq!(found[0]["name"], "Acme Robotics Co., Ltd.");
    assert_eq!(found[0]["fields"], json!(["phone"]));
    let found = matches(
        &rep_api
            .post(
                "/api/v1/accounts/duplicates",
                json!({"name": "ACME Robotics Ltd"}),
            )
            .await,
    );
    assert_eq!(found.len(), 1);
    // The record being edited is not its own duplicate.
    let found = matches(
        &rep_api
            .post(
                &format!("/api/v1/accounts/duplicates?except={mine}"),
                json!({"name": "Acme Robotics", "phone": "010-62345678"}),
            )
            .await,
    );
    assert!(found.is_empty(), "{found:?}");
    // A contact by a mobile number, owned by someone the rep cannot see.
    let found = matches(
        &rep_api
            .post(
                "/api/v1/contacts/duplicates",
                json!({"mobile": "138 0013 8000"}),
            )
            .await,
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["can_link"], false);
    // Nothing to compare: no matches.
    assert!(matches(&rep_api.post("/api/v1/accounts/duplicates", json!({})).await).is_empty());

    // Bad bodies are refused with the field named.
    let r = rep_api
        .post("/api/v1/accounts/duplicates", json!({"nmae": "华为"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        field_codes(&r),
        [("nmae".to_string(), "unknown_field".to_string())]
    );
    let r = rep_api
        .post("/api/v1/accounts/duplicates", json!({"name": 42}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        field_codes(&r),
        [("name".to_string(), "wrong_type".to_string())]
    );
    let r = rep_api
        .post(
            "/api/v1/accounts/duplicates?except=nope",
            json!({"name": "华为"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // Objects without duplicate keys have no check.
    let r = rep_api
        .post("/api/v1/opportunities/duplicates", json!({"name": "华为"}))
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    // The form warns as it is filled: the same check, as a fragment of the new-record form.
    let mut browser = env.browser();
    browser.login("rep@a.example").await;
    let form = browser.get("/accounts/new").await;
    form.assert_contains("hx-post=\"/accounts/duplicates\"");
    let edit = browser.get(&format!("/accounts/{mine}/edit")).await;
    edit.assert_contains(&format!("hx-post=\"/accounts/duplicates?except={mine}\""));
    let warning = browser
        .post(
            "/accounts/duplicates",
            &[("name", "深圳华为技术股份有限公司"), ("phone", "")],
        )
        .await;
    assert_eq!(warning.status, StatusCode::OK, "{}", warning.body);
    warning.assert_contains("owned-by");
    assert!(
        !warning.body.contains(&theirs),
        "no id of a record the rep cannot open"
    );
    let warning = browser
        .post("/accounts/duplicates", &[("phone", "010 6234 5678")])
        .await;
    warning.assert_contains(&format!("href=\"/accounts/{mine}\""));
    let none = browser
        .post("/accounts/duplicates", &[("name", "全新客户")])
        .await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(!none.body.contains("duplicate-warning"), "{}", none.body);
    assert!(!browser
        .get("/opportunities/new")
        .await
        .body
        .contains("/duplicates"));
    // A check writes nothing.
    let r = admin_api.get("/api/v1/accounts?limit=50").await;
    assert_eq!(
        r.json()["items"].as_array().map(Vec::len),
        Some(2),
        "{}",
        r.body
    );
}
