//! A record another still refers to — through a standard lookup or a custom one — is not
//! deleted: the answer says what refers to it.

use crate::on_both_databases;
use crate::support::Env;
use axum::http::{Method, StatusCode};
use serde_json::json;

on_both_databases!(records_referenced_by_custom_lookups_are_not_deleted);

fn id_of(r: &crate::support::Response) -> String {
    r.json()["id"].as_str().unwrap_or_default().to_string()
}

async fn records_referenced_by_custom_lookups_are_not_deleted(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let r = api
        .post(
            "/api/v1/contacts/fields",
            json!({"key": "partner", "label_zh": "合作客户", "label_en": "Partner", "field_type": "lookup", "lookup_object": "account"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let r = api
        .post(
            "/api/v1/accounts/fields",
            json!({"key": "referrer", "label_zh": "推荐人", "label_en": "Referrer", "field_type": "lookup", "lookup_object": "contact"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    env.run_jobs().await;
    // Every custom lookup gets the index that keeps the reference check an index lookup.
    let fields =
        app::records::object_fields(&env.app, &c.admin, domain::permissions::ObjectKind::Contact)
            .await
            .expect("fields");
    assert!(fields.custom.iter().all(|f| f.index_name.is_some()));

    let partner = env.account(&c.admin, "伙伴公司").await;
    let r = api
        .post(
            "/api/v1/contacts",
            json!({"name": "张伟", "partner": partner.id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let contact = id_of(&r);
    let account_path = format!("/api/v1/accounts/{}", partner.id);
    let r = api
        .call(
            Method::DELETE,
            &account_path,
            None,
            &[("if-match", "\"1\""), ("accept-language", "en")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "still_referenced", "{}", r.body);
    let message = r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("Contacts: 1"), "{message}");
    assert_eq!(api.get(&account_path).await.status, StatusCode::OK);

    // An account's custom lookup protects the contact it points at, in Chinese too.
    let r = api
        .post(
            "/api/v1/accounts",
            json!({"name": "推荐来的客户", "referrer": contact}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let referring = id_of(&r);
    let contact_path = format!("/api/v1/contacts/{contact}");
    let r = api
        .call(
            Method::DELETE,
            &contact_path,
            None,
            &[("if-match", "\"1\""), ("accept-language", "zh-CN")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "still_referenced");
    assert!(r.body.contains("客户 1 条"), "{}", r.body);
    // The contact's page says so on the page itself, and keeps the contact.
    let mut browser = env.browser();
    browser.login("admin@a.example").await;
    let page = browser
        .post(&format!("/contacts/{contact}/delete"), &[("version", "1")])
        .await;
    assert_ne!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    page.assert_contains("客户 1 条");
    page.assert_contains("张伟");
    assert_eq!(api.get(&contact_path).await.status, StatusCode::OK);

    // Once nothing refers to them any more, both go.
    let r = api
        .patch(
            &format!("/api/v1/accounts/{referring}"),
            json!({"referrer": null}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api
        .patch(&contact_path, json!({"partner": null}), "\"1\"")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api
        .call(
            Method::DELETE,
            &account_path,
            None,
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = api
        .call(
            Method::DELETE,
            &contact_path,
            None,
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
}
