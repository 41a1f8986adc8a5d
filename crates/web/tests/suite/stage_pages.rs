//! The sales process on pages: an administrator installs and edits a business type; the
//! deal's page shows its stage path, ticks the checklist and moves the deal; the board shows
//! the columns and answers a drop (the stage form asked for JSON) with the gate's message.

use crate::on_both_databases;
use crate::support::{Env, PASSWORD};
use axum::http::StatusCode;
use serde_json::json;

on_both_databases!(business_types_the_stage_path_and_the_board_on_pages);

async fn business_types_the_stage_path_and_the_board_on_pages(env: Env) {
    let c = env.company("页面阶段", "admin@sp.example").await;
    let mut admin = env.browser();
    admin.login("admin@sp.example").await;
    let page = admin.get("/admin/business-types").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_contains("产品销售（1-3-5-7-10）");
    let csrf = admin.csrf();
    let r = admin
        .post(
            "/admin/business-types/install",
            &[("csrf_token", &csrf), ("template", "product_sale")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let form = admin.get("/admin/business-types/product_sale").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    form.assert_contains("已联系到关键联系人 | Key contact reached");
    // Change the first stage's duration and add a checklist item; a bad win rate is refused.
    let mut fields: Vec<(String, String)> = vec![
        ("csrf_token".into(), csrf.clone()),
        ("name_zh".into(), "产品销售".into()),
        ("name_en".into(), "Product sale".into()),
        ("active".into(), "on".into()),
        ("is_default".into(), "on".into()),
    ];
    let stages = [
        (
            "initial",
            "初步接洽",
            "Initial contact",
            "10",
            "",
            "7",
            "已联系到关键联系人 | Key contact reached\n已发资料 | Brochure sent",
        ),
        ("needs", "需求确认", "Needs confirmed", "30", "", "21", ""),
        (
            "proposal",
            "方案/验证",
            "Proposal / validation",
            "50",
            "",
            "",
            "",
        ),
        (
            "negotiation",
            "报价/谈判",
            "Quote / negotiation",
            "70",
            "",
            "",
            "",
        ),
        ("won", "成交", "Won", "100", "won", "", ""),
        ("lost", "输单", "Lost", "0", "lost", "", ""),
    ];
    for (i, (key, zh, en, rate, closed, days, checklist)) in stages.iter().enumerate() {
        for (name, value) in [
            ("key", *key),
            ("name_zh", *zh),
            ("name_en", *en),
            ("win_rate", *rate),
            ("closed", *closed),
            ("duration", *days),
            ("checklist", *checklist),
        ] {
            fields.push((format!("s{i}_{name}"), value.to_string()));
        }
    }
    let body =
        |fields: &[(String, String)]| serde_urlencoded::to_string(fields).unwrap_or_default();
    let mut bad = fields.clone();
    bad.push(("s1_win_rate".into(), "300".into()));
    bad.retain(|(k, v)| !(k == "s1_win_rate" && v == "30"));
    let r = admin
        .post_raw("/admin/business-types/product_sale", &body(&bad))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = admin
        .post_raw("/admin/business-types/product_sale", &body(&fields))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let api = env.api(&env.token(&c.admin).await);
    let types = api.get("/api/v1/business-types").await.json();
    assert_eq!(types["items"][0]["stages"][0]["duration_days"], 7);
    assert_eq!(
        types["items"][0]["stages"][0]["checklist"][0]["key"],
        "contact_reached"
    );
    assert_eq!(
        types["items"][0]["stages"][0]["checklist"][1]["key"],
        "brochure_sent"
    );

    // A rep's deal: the path shows the current stage, what is missing and the checklist.
    let rep = env
        .user(&c, "rep@sp.example", "sales_rep", None, None)
        .await;
    let account = env.account(&rep, "页面客户").await;
    let rep_api = env.api(&env.token(&rep).await);
    let contact = rep_api
        .post(
            "/api/v1/contacts",
            json!({ "name": "李工", "account_id": account.id }),
        )
        .await;
    let r = rep_api
        .post(
            "/api/v1/opportunities",
            json!({ "name": "页面商机", "account_id": account.id, "amount": "80000", "contact_id": contact.json()["id"] }),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap_or_default().to_string();
    let mut browser = env.browser();
    let r = browser.login("rep@sp.example").await;
    assert!(r.status.is_redirection(), "{PASSWORD}");
    let page = browser.get(&format!("/opportunities/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_contains("id=\"stage-path\"");
    page.assert_contains("aria-current=\"step\"");
    page.assert_contains("已发资料");
    page.assert_contains("id=\"gate-missing\"");
    page.assert_contains("CNY 8,000.00");
    // Moving on from the page is refused with the gate's message.
    let csrf = browser.csrf();
    let r = browser
        .post(
            &format!("/opportunities/{id}/stage"),
            &[("csrf_token", &csrf), ("stage", "needs")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_contains("商机还不能离开“初步接洽”");
    r.assert_contains("已发资料");
    // Tick both items, then the move goes through.
    for item in ["contact_reached", "brochure_sent"] {
        let r = browser
            .post(
                &format!("/opportunities/{id}/checklist"),
                &[
                    ("csrf_token", &csrf),
                    ("stage", "initial"),
                    ("item", item),
                    ("checked", "true"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let page = browser.get(&format!("/opportunities/{id}")).await;
    page.assert_contains("id=\"gate-ready\"");
    // The board: columns with sums; a drop asked for JSON.
    let board = browser.get("/opportunities/board").await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.body);
    board.assert_contains("data-stage=\"needs\"");
    board.assert_contains("页面商机");
    board.assert_contains("CNY 80,000.00");
    let list = browser.get("/opportunities").await;
    list.assert_contains("id=\"board-link\"");
    let r = browser
        .post(
            &format!("/opportunities/{id}/stage"),
            &[("csrf_token", &csrf), ("stage", "needs")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        rep_api
            .get(&format!("/api/v1/opportunities/{id}"))
            .await
            .json()["stage"],
        "needs"
    );
}
