//! Closing a deal on pages and within the data scope: the deal page's actions, the review
//! form (its errors shown again with what was typed), the record form's closing stage, the
//! suspend, reactivate and terminate forms in both languages; a rep outside the deal's scope
//! gets 404 on every action, a manager closes and suspends a team member's deals.

use crate::closing::{act, competitor, deal, read};
use crate::on_both_databases;
use crate::support::Env;
use axum::http::StatusCode;
use serde_json::json;

on_both_databases!(closing_keeps_to_the_scope, the_closing_actions_on_pages);

async fn closing_keeps_to_the_scope(env: Env) {
    let c = env.company("范围公司", "admin@scope.example").await;
    let team = env.department(&c, "华南", None).await;
    let manager = env
        .user(
            &c,
            "manager@scope.example",
            "sales_manager",
            Some(team),
            None,
        )
        .await;
    let rep = env
        .user(
            &c,
            "rep@scope.example",
            "sales_rep",
            Some(team),
            Some(manager.id()),
        )
        .await;
    let outsider = env
        .user(&c, "out@scope.example", "sales_rep", None, None)
        .await;
    let first = deal(&env, &rep, "团队商机一").await;
    let second = deal(&env, &rep, "团队商机二").await;
    let out_api = env.api(&env.token(&outsider).await);
    let review = json!({ "win_reason": "price", "close_lessons": "x" });
    for (action, body) in [
        ("close", json!({ "outcome": "won", "review": review })),
        ("suspend", json!({ "reason": "x" })),
        ("reactivate", json!({})),
        ("terminate", json!({ "reason": "x" })),
    ] {
        let r = act(&out_api, &first, action, body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{action}: {}", r.body);
    }
    let mut outside = env.browser();
    outside.login("out@scope.example").await;
    for path in ["close?outcome=won", "suspend", "terminate"] {
        let r = outside.get(&format!("/opportunities/{first}/{path}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    let csrf = outside.csrf();
    let r = outside
        .post(
            &format!("/opportunities/{first}/suspend"),
            &[("csrf_token", &csrf), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The manager closes and suspends the team member's deals.
    let manager_api = env.api(&env.token(&manager).await);
    let rival = competitor(&env, &manager, "竞品甲").await;
    let r = act(
        &manager_api,
        &first,
        "close",
        json!({ "outcome": "lost", "review": { "loss_reason": "no_budget", "lost_to_id": rival,
            "lost_price": "50000", "close_lessons": "预算被砍" } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "lost");
    let r = act(
        &manager_api,
        &second,
        "suspend",
        json!({ "reason": "客户搬迁" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rep_api = env.api(&env.token(&rep).await);
    assert_eq!(read(&rep_api, &second).await["status"], "suspended");
}

async fn the_closing_actions_on_pages(env: Env) {
    let c = env.company("页面关闭", "admin@closepages.example").await;
    let rep = env
        .user(&c, "rep@closepages.example", "sales_rep", None, None)
        .await;
    let id = deal(&env, &rep, "页面商机").await;
    let won = deal(&env, &rep, "页面赢单").await;
    let mut browser = env.browser();
    browser.login("rep@closepages.example").await;
    let page = browser.get(&format!("/opportunities/{id}")).await;
    for action in [
        "action-won",
        "action-lost",
        "action-suspend",
        "action-terminate",
    ] {
        page.assert_contains(action);
    }
    assert!(!page.body.contains("action-reactivate"));

    // The record's edit form: choosing a closing stage asks for the review there too.
    let csrf = browser.csrf();
    let r = browser
        .post(
            &format!("/opportunities/{won}"),
            &[
                ("csrf_token", &csrf),
                ("version", "1"),
                ("stage", "won"),
                ("win_reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    r.assert_contains("关闭商机前必填。");
    let edit = browser.get(&format!("/opportunities/{won}/edit")).await;
    edit.assert_contains("data-when-values=\"won\"");

    // The review form: a missing lesson is shown again with what was typed.
    let form = browser
        .get(&format!("/opportunities/{won}/close?outcome=won"))
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    form.assert_contains("赢单原因");
    form.assert_contains("经验教训");
    let csrf = browser.csrf();
    let r = browser
        .post(
            &format!("/opportunities/{won}/close"),
            &[
                ("csrf_token", &csrf),
                ("outcome", "won"),
                ("version", "1"),
                ("win_reason", "brand"),
                ("close_lessons", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    r.assert_contains("经验教训：关闭前必填");
    r.assert_contains("value=\"brand\" selected");
    let r = browser
        .post(
            &format!("/opportunities/{won}/close"),
            &[
                ("csrf_token", &csrf),
                ("outcome", "won"),
                ("version", "1"),
                ("win_reason", "brand"),
                ("close_lessons", "标杆案例帮了大忙"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = browser
        .get(&format!("/opportunities/{won}?notice=deal_won"))
        .await;
    page.assert_contains("商机已赢单关闭。");
    page.assert_contains("品牌与案例");
    page.assert_contains("标杆案例帮了大忙");
    assert!(
        !page.body.contains("action-suspend"),
        "no actions on a won deal"
    );

    // Suspend with its form, then reactivate, then terminate.
    let r = browser
        .post(
            &format!("/opportunities/{id}/suspend"),
            &[("csrf_token", &csrf), ("reason", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    r.assert_contains("closing-form");
    let form = browser.get(&format!("/opportunities/{id}/suspend")).await;
    form.assert_contains("计划恢复日期");
    let r = browser
        .post(
            &format!("/opportunities/{id}/suspend"),
            &[
                ("csrf_token", &csrf),
                ("reason", "客户内部调整"),
                ("resume_on", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = browser.get(&format!("/opportunities/{id}")).await;
    page.assert_contains("已中止");
    page.assert_contains("客户内部调整");
    page.assert_contains("action-reactivate");
    assert!(!page.body.contains("action-won"));
    let r = browser
        .post(
            &format!("/opportunities/{id}/reactivate"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = browser
        .post(
            &format!("/opportunities/{id}/terminate"),
            &[("csrf_token", &csrf), ("reason", "需求消失")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = browser.get(&format!("/opportunities/{id}")).await;
    page.assert_contains("已终止");
    assert!(
        !page.body.contains("action-reactivate"),
        "final for the rep"
    );
    // The English pages.
    let mut en = env.browser();
    en.accept_language = "en".into();
    en.login("rep@closepages.example").await;
    let form = en
        .get(&format!("/opportunities/{won}/close?outcome=lost"))
        .await;
    form.assert_contains("Close as lost");
    form.assert_contains("Competitor");
}
