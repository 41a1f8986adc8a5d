//! How a deal ends or pauses: a won or lost stage needs the close review on every path (the
//! stage endpoint, PATCH, a create, the close endpoint, the board's drop, the deal's page),
//! the review is stored and shown; suspend, reactivate and terminate with their rules, the
//! stage clock stopped while on hold and the resume reminder (moved by the clock); closed
//! deals archived out of the working lists but kept on the board's closed columns; the
//! company's reasons; the scope of a rep and a manager.

use crate::on_both_databases;
use crate::support::{field_codes, Api, Env, Response};
use app::clock::Clock;
use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{json, Value};

on_both_databases!(
    closing_needs_the_review_on_every_path,
    closed_deals_leave_the_working_views,
    the_company_keeps_its_reasons,
    suspend_reactivate_and_terminate_follow_their_rules,
    a_suspended_deal_is_not_warned_and_its_owner_is_reminded,
);

pub(crate) async fn deal(env: &Env, owner: &app::Actor, name: &str) -> String {
    let account = env.account(owner, &format!("{name}客户")).await;
    let api = env.api(&env.token(owner).await);
    let r = api
        .post(
            "/api/v1/opportunities",
            json!({ "name": name, "account_id": account.id, "amount": "100000" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_str().unwrap_or_default().to_string()
}

pub(crate) async fn read(api: &Api, id: &str) -> Value {
    api.get(&format!("/api/v1/opportunities/{id}")).await.json()
}

async fn patch_deal(api: &Api, id: &str, body: Value) -> Response {
    let etag = format!("\"{}\"", read(api, id).await["version"]);
    api.patch(&format!("/api/v1/opportunities/{id}"), body, &etag)
        .await
}

pub(crate) async fn act(api: &Api, id: &str, action: &str, body: Value) -> Response {
    api.post(&format!("/api/v1/opportunities/{id}/{action}"), body)
        .await
}

fn codes(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect()
}

/// A competitor's account (owned by `owner`).
pub(crate) async fn competitor(env: &Env, owner: &app::Actor, name: &str) -> String {
    env.account(owner, name).await.id.to_string()
}

async fn closing_needs_the_review_on_every_path(env: Env) {
    let c = env.company("复盘公司", "admin@review.example").await;
    let rep = env
        .user(&c, "rep@review.example", "sales_rep", None, None)
        .await;
    let api = env.api(&env.token(&rep).await);
    let id = deal(&env, &rep, "复盘商机").await;

    // The stage endpoint: the missing review is listed, in the caller's language.
    let r = api
        .call(
            Method::POST,
            &format!("/api/v1/opportunities/{id}/stage"),
            Some(json!({ "stage": "won" })),
            &[("accept-language", "zh-CN")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "close_review");
    assert_eq!(
        field_codes(&r),
        codes(&[
            ("win_reason", "required_for_close"),
            ("close_lessons", "required_for_close")
        ])
    );
    let message = r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("赢单原因") && message.contains("经验教训"),
        "{message}"
    );
    // PATCH: a loss needs the reason, the competitor, their price and the lessons.
    let r = patch_deal(&api, &id, json!({ "stage": "lost" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        field_codes(&r),
        codes(&[
            ("loss_reason", "required_for_close"),
            ("lost_to_id", "required_for_close"),
            ("lost_price", "required_for_close"),
            ("close_lessons", "required_for_close"),
        ])
    );
    // A deal created closed needs it too.
    let account = env.account(&rep, "直接成交客户").await;
    let r = api
        .post(
            "/api/v1/opportunities",
            json!({ "name": "直接成交", "account_id": account.id, "stage": "won" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // The close endpoint without a review, with a partial one, with bad values.
    let r = act(&api, &id, "close", json!({ "outcome": "lost" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "close_review");
    assert_eq!(field_codes(&r).len(), 4);
    let r = act(
        &api,
        &id,
        "close",
        json!({ "outcome": "lost", "review": { "loss_reason": "price", "close_lessons": "报价太晚" } }),
    )
    .await;
    assert_eq!(
        field_codes(&r),
        codes(&[
            ("lost_to_id", "required_for_close"),
            ("lost_price", "required_for_close")
        ])
    );
    let r = act(
        &api,
        &id,
        "close",
        json!({ "outcome": "won", "review": { "win_reason": "luck", "close_lessons": "x" } }),
    )
    .await;
    assert_eq!(field_codes(&r), codes(&[("win_reason", "invalid_choice")]));
    let r = act(
        &api,
        &id,
        "close",
        json!({ "outcome": "won", "review": { "loss_reason": "price" } }),
    )
    .await;
    assert_eq!(
        field_codes(&r),
        codes(&[("review.loss_reason", "unknown_field")])
    );
    let r = act(
        &api,
        &id,
        "close",
        json!({ "outcome": "draw", "colour": 1 }),
    )
    .await;
    assert_eq!(
        field_codes(&r),
        codes(&[("colour", "unknown_field"), ("outcome", "invalid_choice")])
    );
    let r = act(
        &api,
        &id,
        "close",
        json!({ "outcome": "lost", "review": { "lost_price": "-5", "lost_to_id": "nope" } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        field_codes(&r).iter().any(|(f, _)| f == "lost_price"),
        "{}",
        r.body
    );
    assert!(
        field_codes(&r).iter().any(|(f, _)| f == "lost_to_id"),
        "{}",
        r.body
    );
    let now = read(&api, &id).await;
    assert_eq!(
        (now["stage"].as_str(), now["status"].as_str()),
        (Some("initial"), Some("open"))
    );
    assert_eq!(now["version"], 1, "nothing changed");

    // A board drop (the stage form asking for JSON) is refused with the link to the review.
    let mut browser = env.browser();
    browser.login("rep@review.example").await;
    let csrf = browser.csrf();
    let drop = browser
        .post_accepting_json(
            &format!("/opportunities/{id}/stage"),
            &[("csrf_token", &csrf), ("stage", "lost")],
        )
        .await;
    assert_eq!(
        drop.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        drop.body
    );
    assert_eq!(drop.json()["ok"], false);
    assert_eq!(
        drop.json()["link"]["href"],
        format!("/opportunities/{id}/close?outcome=lost")
    );
    assert!(drop.json()["message"]
        .as_str()
        .unwrap_or_default()
        .contains("输单原因"));
    // The path's form (no JSON) goes to the review form.
    let r = browser
        .post(
            &format!("/opportunities/{id}/stage"),
            &[("csrf_token", &csrf), ("stage", "won")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.location(),
        format!("/opportunities/{id}/close?outcome=won")
    );

    // With the review: closed as lost, stored, answered and shown.
    let rival = competitor(&env, &rep, "强敌科技").await;
    let r = act(
        &api,
        &id,
        "close",
        json!({ "outcome": "lost", "review": { "loss_reason": "price", "lost_to_id": rival,
            "lost_price": "88000.50", "close_lessons": "报价太晚，没见到决策者" } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let closed = r.json();
    assert_eq!(closed["stage"], "lost");
    assert_eq!(closed["status"], "lost");
    assert_eq!(closed["loss_reason"], "price");
    assert_eq!(closed["lost_to_id"], json!(rival));
    assert_eq!(closed["lost_to_name"], "强敌科技");
    assert_eq!(closed["lost_price"], "88000.50");
    assert_eq!(closed["close_lessons"], "报价太晚，没见到决策者");
    assert!(closed["closed_on"].is_string());
    let page = browser.get(&format!("/opportunities/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for text in [
        "输单原因",
        "价格过高",
        "强敌科技",
        "88,000.50",
        "报价太晚，没见到决策者",
    ] {
        page.assert_contains(text);
    }
    // Emptying the lessons of a closed deal is refused as well.
    let r = patch_deal(&api, &id, json!({ "close_lessons": "" })).await;
    assert_eq!(
        field_codes(&r),
        codes(&[("close_lessons", "required_for_close")])
    );

    // PATCH with the review closes as won; moving back to an open stage reopens.
    let second = deal(&env, &rep, "赢单商机").await;
    let r = patch_deal(
        &api,
        &second,
        json!({ "stage": "won", "win_reason": "relationship", "close_lessons": "教练很给力" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "won");
    let r = patch_deal(&api, &second, json!({ "stage": "negotiation" })).await;
    assert_eq!(r.json()["status"], "open", "{}", r.body);
    assert!(r.json()["closed_on"].is_null());
    // The stage endpoint once the review is there.
    let r = act(&api, &second, "stage", json!({ "stage": "won" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(read(&api, &second).await["status"], "won");
}

async fn closed_deals_leave_the_working_views(env: Env) {
    let c = env.company("归档公司", "admin@archive.example").await;
    let rep = env
        .user(&c, "rep@archive.example", "sales_rep", None, None)
        .await;
    let api = env.api(&env.token(&rep).await);
    let open = deal(&env, &rep, "进行中").await;
    let held = deal(&env, &rep, "暂停中").await;
    let won = deal(&env, &rep, "已赢单").await;
    let ended = deal(&env, &rep, "已终止").await;
    let review = json!({ "win_reason": "price", "close_lessons": "价格取胜" });
    let r = act(
        &api,
        &won,
        "close",
        json!({ "outcome": "won", "review": review }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = act(&api, &held, "suspend", json!({ "reason": "客户预算冻结" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = act(&api, &ended, "terminate", json!({ "reason": "项目取消" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let names = |r: &Response| -> Vec<String> {
        let mut n: Vec<String> = r.json()["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|i| i["name"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        n.sort();
        n
    };
    let working = api.get("/api/v1/opportunities").await;
    assert_eq!(working.status, StatusCode::OK, "{}", working.body);
    assert_eq!(names(&working), ["暂停中", "进行中"]);
    let all = api.get("/api/v1/opportunities?archived=include").await;
    assert_eq!(names(&all).len(), 4);
    let closed = api.get("/api/v1/opportunities?archived=only").await;
    assert_eq!(names(&closed), ["已终止", "已赢单"]);
    let won_only = api.get("/api/v1/opportunities?status=won").await;
    assert_eq!(names(&won_only), ["已赢单"]);
    // A filter on the stage shows what it names, closed or not.
    let by_stage = api.get("/api/v1/opportunities?filter=stage:eq:won").await;
    assert_eq!(names(&by_stage), ["已赢单"]);
    let r = api.get("/api/v1/opportunities?archived=maybe").await;
    assert_eq!(field_codes(&r), codes(&[("archived", "invalid_choice")]));
    let r = api.get("/api/v1/accounts?archived=include").await;
    assert_eq!(field_codes(&r), codes(&[("archived", "unknown_field")]));
    // The account's related list and the search still find every deal.
    let account = read(&api, &won).await["account_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let related = api
        .get(&format!(
            "/api/v1/opportunities?filter=account_id:eq:{account}"
        ))
        .await;
    assert_eq!(related.status, StatusCode::OK, "{}", related.body);
    let found = api.get("/api/v1/search?q=已赢单").await;
    assert!(found.body.contains(&won), "{}", found.body);

    // The board: suspended and terminated deals are out of the open columns, the won one
    // stays in its closed column (reports look back).
    let board = api.get("/api/v1/opportunities/board").await.json();
    let column = |stage: &str| {
        board["columns"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["stage"] == stage))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(column("initial")["count"], 1);
    assert_eq!(column("won")["count"], 1);
    let _ = open;

    // The list page shows the working deals, and the closed ones when asked.
    let mut browser = env.browser();
    browser.login("rep@archive.example").await;
    let page = browser.get("/opportunities").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_contains("进行中");
    assert!(!page.body.contains("已赢单"), "archived out");
    page.assert_contains("仅已关闭商机");
    let page = browser.get("/opportunities?archived=only").await;
    page.assert_contains("已赢单");
    page.assert_contains("已终止");
    assert!(!page.body.contains(">进行中<"), "only the closed ones");
}

async fn the_company_keeps_its_reasons(env: Env) {
    let c = env.company("原因公司", "admin@reasons.example").await;
    let admin = env.api(&env.token(&c.admin).await);
    let rep = env
        .user(&c, "rep@reasons.example", "sales_rep", None, None)
        .await;
    let api = env.api(&env.token(&rep).await);
    // Administrators edit the win reasons in both languages (the standard-picklist overlay);
    // a rep may not.
    let mut options: Vec<Value> = domain::closing::WIN_REASONS
        .iter()
        .map(|(k, zh, en)| json!({ "key": k, "label_zh": zh, "label_en": en }))
        .collect();
    options
        .push(json!({ "key": "bundle", "label_zh": "整体方案", "label_en": "Complete solution" }));
    let body = json!({ "options": options });
    let r = api
        .call(
            Method::PATCH,
            "/api/v1/opportunities/fields/win_reason",
            Some(body.clone()),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = admin
        .call(
            Method::PATCH,
            "/api/v1/opportunities/fields/win_reason",
            Some(body),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = deal(&env, &rep, "新原因").await;
    let r = act(
        &api,
        &id,
        "close",
        json!({ "outcome": "won", "review": { "win_reason": "bundle", "close_lessons": "整体方案打动客户" } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut browser = env.browser();
    browser.login("rep@reasons.example").await;
    browser
        .get(&format!("/opportunities/{id}"))
        .await
        .assert_contains("整体方案");
    // A retired reason is no longer offered for a new close.
    let kept: Vec<Value> = domain::closing::LOSS_REASONS
        .iter()
        .filter(|(k, ..)| *k != "timing")
        .map(|(k, zh, en)| json!({ "key": k, "label_zh": zh, "label_en": en }))
        .collect();
    let r = admin
        .call(
            Method::PATCH,
            "/api/v1/opportunities/fields/loss_reason",
            Some(json!({ "options": kept })),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let other = deal(&env, &rep, "时机不对").await;
    let rival = competitor(&env, &rep, "对手公司").await;
    let r = act(
        &api,
        &other,
        "close",
        json!({ "outcome": "lost", "review": { "loss_reason": "timing", "lost_to_id": rival,
            "lost_price": "1", "close_lessons": "x" } }),
    )
    .await;
    assert_eq!(field_codes(&r), codes(&[("loss_reason", "invalid_choice")]));
}

async fn suspend_reactivate_and_terminate_follow_their_rules(env: Env) {
    let c = env.company("中止公司", "admin@hold.example").await;
    let admin = env.api(&env.token(&c.admin).await);
    let rep = env
        .user(&c, "rep@hold.example", "sales_rep", None, None)
        .await;
    let api = env.api(&env.token(&rep).await);
    let id = deal(&env, &rep, "暂停项目").await;

    // Bad input changes nothing.
    let r = act(&api, &id, "suspend", json!({})).await;
    assert_eq!(field_codes(&r), codes(&[("reason", "required")]));
    let r = act(
        &api,
        &id,
        "suspend",
        json!({ "reason": "等预算", "resume_on": "2000-01-01" }),
    )
    .await;
    assert_eq!(field_codes(&r), codes(&[("resume_on", "resume_in_past")]));
    let r = act(
        &api,
        &id,
        "suspend",
        json!({ "reason": "等预算", "resume_on": "soon", "x": 1 }),
    )
    .await;
    assert_eq!(
        field_codes(&r),
        codes(&[("x", "unknown_field"), ("resume_on", "invalid_date")])
    );
    let r = act(&api, &id, "suspend", json!({ "reason": "长".repeat(501) })).await;
    assert_eq!(field_codes(&r), codes(&[("reason", "too_long")]));
    assert_eq!(read(&api, &id).await["version"], 1);

    let resume = (env.clock.now() + Duration::days(10))
        .date_naive()
        .to_string();
    let r = act(
        &api,
        &id,
        "suspend",
        json!({ "reason": "客户重组", "resume_on": resume }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "suspended");
    assert_eq!(r.json()["status_reason"], "客户重组");
    assert_eq!(r.json()["resume_on"], resume);
    let r = act(&api, &id, "suspend", json!({ "reason": "again" })).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "deal_already_suspended");
    // On hold, the stage stays (and a close with it).
    let r = act(&api, &id, "stage", json!({ "stage": "needs" })).await;
    assert_eq!(field_codes(&r), codes(&[("stage", "deal_suspended")]));
    // Status is the system's: PATCH cannot set it.
    let r = patch_deal(&api, &id, json!({ "status": "open" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Reactivated: open again, the suspension's reason and date cleared.
    let r = act(&api, &id, "reactivate", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "open");
    assert!(r.json()["resume_on"].is_null());
    let r = act(&api, &id, "reactivate", json!({})).await;
    assert_eq!(r.json()["error"]["code"], "deal_not_suspended");
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Terminated is final for the rep, everywhere.
    let r = act(&api, &id, "terminate", json!({ "reason": " " })).await;
    assert_eq!(field_codes(&r), codes(&[("reason", "required")]));
    let r = act(
        &api,
        &id,
        "terminate",
        json!({ "reason": "客户被收购，项目取消" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "terminated");
    let version = r.json()["version"].clone();
    for (action, body) in [
        ("reactivate", json!({})),
        ("suspend", json!({ "reason": "x" })),
        ("terminate", json!({ "reason": "x" })),
        (
            "close",
            json!({ "outcome": "won", "review": { "win_reason": "price", "close_lessons": "x" } }),
        ),
        ("stage", json!({ "stage": "needs" })),
    ] {
        let r = act(&api, &id, action, body).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{action}: {}", r.body);
        assert_eq!(r.json()["error"]["code"], "deal_terminated", "{action}");
    }
    let r = patch_deal(&api, &id, json!({ "name": "改名" })).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(read(&api, &id).await["version"], version, "nothing changed");
    // An administrator edits and reopens it.
    let r = patch_deal(&admin, &id, json!({ "notes": "管理员备注" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = act(&admin, &id, "reactivate", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "open");

    // A won deal is neither suspended nor terminated.
    let won = deal(&env, &rep, "已成交").await;
    let review = json!({ "win_reason": "service", "close_lessons": "交付口碑" });
    assert_eq!(
        act(
            &api,
            &won,
            "close",
            json!({ "outcome": "won", "review": review })
        )
        .await
        .status,
        StatusCode::OK
    );
    for action in ["suspend", "terminate"] {
        let r = act(&api, &won, action, json!({ "reason": "x" })).await;
        assert_eq!(
            r.json()["error"]["code"],
            "deal_closed",
            "{action}: {}",
            r.body
        );
    }
    // The change feed and the history carry the status changes.
    let history = api
        .get(&format!("/api/v1/opportunities/{id}/history"))
        .await;
    assert!(history.body.contains("terminated"), "{}", history.body);
}

async fn inbox(env: &Env, actor: &app::Actor) -> Vec<String> {
    app::notifications::list(&env.app, actor, false, None, 50)
        .await
        .expect("inbox")
        .items
        .into_iter()
        .map(|n| n.kind)
        .collect()
}

async fn a_suspended_deal_is_not_warned_and_its_owner_is_reminded(env: Env) {
    let c = env.company("提醒公司", "admin@remind.example").await;
    let admin = env.api(&env.token(&c.admin).await);
    let r = admin
        .post(
            "/api/v1/business-types",
            json!({ "template": "product_sale" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rep = env
        .user(&c, "rep@remind.example", "sales_rep", None, None)
        .await;
    let api = env.api(&env.token(&rep).await);
    // The first stage expects 14 days: due soon from day 11.2, overdue at day 14.
    let id = deal(&env, &rep, "搁置项目").await;
    env.clock.advance(Duration::days(2));
    let resume = (env.clock.now() + Duration::days(5))
        .date_naive()
        .to_string();
    let r = act(
        &api,
        &id,
        "suspend",
        json!({ "reason": "等招标", "resume_on": resume }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Off the board's open column while on hold.
    let board = api.get("/api/v1/opportunities/board").await.json();
    assert_eq!(board["columns"][0]["count"], 0, "{board}");

    // Twenty days on hold: no stage warning; the resume date reminds the owner once.
    env.clock.advance(Duration::days(4));
    env.run_scheduled_jobs().await;
    assert!(inbox(&env, &rep).await.is_empty());
    env.clock.advance(Duration::days(2));
    env.run_scheduled_jobs().await;
    assert_eq!(inbox(&env, &rep).await, ["deal_resume_due"]);
    env.clock.advance(Duration::days(14));
    env.run_scheduled_jobs().await;
    assert_eq!(
        inbox(&env, &rep).await,
        ["deal_resume_due"],
        "once, and no stage warning"
    );
    let path = api.get(&format!("/api/v1/opportunities/{id}/stage")).await;
    assert!(path.json()["warning"].is_null(), "{}", path.body);
    assert_eq!(path.json()["status"], "suspended");
    assert_eq!(path.json()["status_reason"], "等招标");

    // Reactivated, the clock runs on from day 2: due soon 9.2 days later, not at once.
    let r = act(&api, &id, "reactivate", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let board = api.get("/api/v1/opportunities/board").await.json();
    assert_eq!(board["columns"][0]["count"], 1);
    env.clock.advance(Duration::days(9));
    env.run_scheduled_jobs().await;
    assert_eq!(inbox(&env, &rep).await, ["deal_resume_due"]);
    env.clock.advance(Duration::hours(6));
    env.run_scheduled_jobs().await;
    assert_eq!(
        inbox(&env, &rep).await,
        ["stage_due_soon", "deal_resume_due"]
    );
}
