//! Which records a record may refer to: those the user can see, or those reached through a
//! record the user can see (the account of an opportunity assigned to them), checked the
//! same way by every lookup — as a sales rep, not the administrator.

use crate::on_both_databases;
use crate::support::Env;
use axum::http::StatusCode;
use serde_json::json;

on_both_databases!(a_rep_references_what_a_visible_record_leads_to);

async fn a_rep_references_what_a_visible_record_leads_to(env: Env) {
    let c = env.company("引用", "admin@ref.example").await;
    let rep = env
        .user(&c, "rep@ref.example", "sales_rep", None, None)
        .await;
    let other = env
        .user(&c, "other@ref.example", "sales_rep", None, None)
        .await;
    let admin_api = env.api(&env.token(&c.admin).await);
    let rep_api = env.api(&env.token(&rep).await);
    // The other rep's accounts; an opportunity on one of them is assigned to the rep.
    let account = env.account(&other, "别人的客户").await;
    let unrelated = env.account(&other, "无关客户").await;
    let r = admin_api
        .post(
            "/api/v1/opportunities",
            json!({"name": "代表的商机", "account_id": account.id, "owner_id": rep.id(),
                "amount": "1000", "expected_close": "2026-12-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let opportunity = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        rep_api
            .get(&format!("/api/v1/accounts/{}", account.id))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "the rep cannot see the account itself"
    );
    // A call on the opportunity: the account is filled in from it and accepted.
    let r = rep_api
        .post(
            "/api/v1/activities",
            json!({"kind": "call", "name": "电话跟进", "opportunity_id": opportunity}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["account_id"], json!(account.id));
    // Naming the opportunity's account explicitly is the same reference.
    let r = rep_api
        .post(
            "/api/v1/activities",
            json!({"kind": "call", "name": "再次跟进", "opportunity_id": opportunity,
                "account_id": account.id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // An account the rep can neither see nor reach through the opportunity stays refused.
    for body in [
        json!({"kind": "call", "name": "越权", "opportunity_id": opportunity, "account_id": unrelated.id}),
        json!({"kind": "call", "name": "越权", "account_id": account.id}),
    ] {
        let r = rep_api.post("/api/v1/activities", body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let fields = &r.json()["error"]["fields"];
        assert_eq!(fields[0]["field"], "account_id", "{}", r.body);
        assert_eq!(fields[0]["code"], "invalid_reference", "{}", r.body);
    }
    // The same rule for accounts' parents: an invisible account is no parent.
    let r = rep_api
        .post(
            "/api/v1/accounts",
            json!({"name": "子公司", "parent_id": account.id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "parent_id");
}
