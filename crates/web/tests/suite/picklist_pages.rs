//! Per-company metadata on pages: administrators edit a standard picklist's choices and an
//! object's record types; the record form and page follow the record's type.

use crate::on_both_databases;
use crate::picklists::sources;
use crate::support::Env;
use axum::http::StatusCode;
use serde_json::json;

on_both_databases!(administrators_edit_choices_and_record_types_on_pages);

/// An opportunity of no type, through the API.
async fn rep_api_create_plain(env: &Env, rep: &app::Actor, account: uuid::Uuid) -> String {
    let api = env.api(&env.token(rep).await);
    let r = api
        .post(
            "/api/v1/opportunities",
            json!({"name": "无类型", "account_id": account}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_str().unwrap_or_default().to_string()
}

async fn administrators_edit_choices_and_record_types_on_pages(env: Env) {
    let c = env.company("页面公司", "admin@pages.example").await;
    let mut admin = env.browser();
    admin.login("admin@pages.example").await;
    let page = admin.get("/admin/fields/leads").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("线索来源");
    let page = admin.get("/admin/picklists/leads/source").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_contains("value=\"event\"");
    // Relabel one, retire one, add one.
    let csrf = admin.csrf();
    let r = admin
        .post(
            "/admin/picklists/leads/source",
            &[
                ("csrf_token", &csrf),
                ("option_key", "web"),
                ("option_zh", "官方网站"),
                ("option_en", "Official site"),
                ("option_active", "web"),
                ("option_key", "event"),
                ("option_zh", "会议/展会"),
                ("option_en", "Event"),
                ("option_key", "fair"),
                ("option_zh", "展会"),
                ("option_en", "Trade fair"),
                ("option_active", "fair"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let api = env.api(&env.token(&c.admin).await);
    let now = sources(&api.get("/api/v1/leads/fields").await.json());
    assert!(
        now.contains(&(
            "web".into(),
            "官方网站".into(),
            "Official site".into(),
            true
        )),
        "{now:?}"
    );
    assert!(now.contains(&("event".into(), "会议/展会".into(), "Event".into(), false)));
    assert!(now.contains(&("fair".into(), "展会".into(), "Trade fair".into(), true)));
    // A bad edit shows its error on the form and changes nothing.
    let r = admin
        .post(
            "/admin/picklists/leads/source",
            &[
                ("csrf_token", &csrf),
                ("option_key", "web"),
                ("option_zh", ""),
                ("option_en", "Site"),
                ("option_active", "web"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_contains("必填");
    let kept = sources(&api.get("/api/v1/leads/fields").await.json());
    assert!(kept.contains(&(
        "web".into(),
        "官方网站".into(),
        "Official site".into(),
        true
    )));
    assert!(kept.iter().any(|o| o.0 == "fair" && o.3), "nothing changed");

    // Record types: list, create, edit.
    let page = admin.get("/admin/record-types/opportunities").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let r = admin
        .post(
            "/admin/record-types/opportunities",
            &[
                ("csrf_token", &csrf),
                ("key", "project"),
                ("name_zh", "项目型"),
                ("name_en", "Project"),
                ("active", "on"),
                ("stage_set", "default"),
                ("required_fields", "amount"),
                ("layout_fields", "amount"),
                ("layout_fields", "stage"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = admin
        .post(
            "/admin/record-types/opportunities",
            &[
                ("csrf_token", &csrf),
                ("key", "bad key"),
                ("name_zh", "坏"),
                ("name_en", "Bad"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let types = api
        .get("/api/v1/record-types?object=opportunities")
        .await
        .json();
    let t = types["items"][0].clone();
    assert_eq!(t["required_fields"], json!(["amount"]));
    assert_eq!(t["layout_fields"], json!(["amount", "stage"]));
    let id = t["id"].as_str().unwrap();
    let page = admin.get("/admin/record-types/opportunities").await;
    page.assert_contains("项目型");
    let r = admin
        .post(
            &format!("/admin/record-types/opportunities/{id}"),
            &[
                ("csrf_token", &csrf),
                ("key", "project"),
                ("name_zh", "项目型销售"),
                ("name_en", "Project sale"),
                ("active", "on"),
                ("stage_set", "default"),
                ("required_fields", "amount"),
                ("required_fields", "expected_close"),
                ("layout_fields", "amount"),
                ("layout_fields", "stage"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let t = api.get(&format!("/api/v1/record-types/{id}")).await.json();
    assert_eq!(t["name_zh"], "项目型销售");
    assert_eq!(t["required_fields"], json!(["amount", "expected_close"]));

    // The record form: with one active type nothing changes; the type's required fields on
    // the form are refused with field errors.
    let rep = env
        .user(&c, "rep@pages.example", "sales_rep", None, None)
        .await;
    let account = env.account(&rep, "表单客户").await;
    let mut browser = env.browser();
    browser.login("rep@pages.example").await;
    let form = browser.get("/opportunities/new?record_type=project").await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains("项目型销售");
    let csrf = browser.csrf();
    let account_id = account.id.to_string();
    let r = browser
        .post(
            "/opportunities",
            &[
                ("csrf_token", &csrf),
                ("name", "表单项目"),
                ("account_id", &account_id),
                ("record_type", "project"),
                ("currency", "CNY"),
                ("stage", "initial"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    r.assert_contains("必填");
    let r = browser
        .post(
            "/opportunities",
            &[
                ("csrf_token", &csrf),
                ("name", "表单项目"),
                ("account_id", &account_id),
                ("record_type", "project"),
                ("currency", "CNY"),
                ("stage", "initial"),
                ("amount", "5000"),
                ("expected_close", "2026-12-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Its page leaves out the empty fields outside the type's layout.
    let page = browser.get(&r.location()).await;
    page.assert_contains("表单项目");
    assert!(
        !page.body.contains("主要联系人"),
        "contact_id is outside the layout"
    );
    let untyped = rep_api_create_plain(&env, &rep, account.id).await;
    browser
        .get(&format!("/opportunities/{untyped}"))
        .await
        .assert_contains("主要联系人");
    // One active type: the form does not ask for it; two: it does, first, and choosing one
    // opens its form.
    let plain = browser.get("/opportunities/new").await;
    assert!(!plain.body.contains("name=\"record_type\""));
    let r = api
        .post("/api/v1/record-types", json!({"object": "opportunities", "key": "retail", "name_zh": "零售", "name_en": "Retail"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let form = browser.get("/opportunities/new").await;
    form.assert_contains("data-refresh-form");
    form.assert_contains("零售");
    let chooser = form.body.find("name=\"record_type\"").unwrap_or(usize::MAX);
    assert!(
        chooser < form.body.find("name=\"name\"").unwrap_or(0),
        "the type comes first"
    );
    // The type's layout: its fields and the required ones, not the others.
    let typed = browser.get("/opportunities/new?record_type=project").await;
    typed.assert_contains("name=\"expected_close\"");
    assert!(
        !typed.body.contains("name=\"notes\""),
        "a field outside the layout is hidden"
    );
    assert!(form.body.contains("name=\"notes\""));
    // Choosing a type on the form shows it again for that type, with what was typed, and
    // saves nothing; the same on an existing record's form.
    let csrf = browser.csrf();
    let refreshed = browser
        .post(
            "/opportunities",
            &[
                ("csrf_token", &csrf),
                ("_refresh", "1"),
                ("name", "选类型中"),
                ("record_type", "project"),
                ("notes", "备注"),
            ],
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    refreshed.assert_contains("value=\"选类型中\"");
    refreshed.assert_contains("name=\"expected_close\"");
    assert!(!refreshed.body.contains("name=\"notes\""));
    assert!(!refreshed.body.contains("必填"), "no errors on a refresh");
    let version = env
        .api(&env.token(&rep).await)
        .get(&format!("/api/v1/opportunities/{untyped}"))
        .await
        .json()["version"]
        .to_string();
    let edit = browser
        .post(
            &format!("/opportunities/{untyped}"),
            &[
                ("csrf_token", &csrf),
                ("_refresh", "1"),
                ("version", &version),
                ("record_type", "project"),
            ],
        )
        .await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
    edit.assert_contains("name=\"expected_close\"");
    assert!(!edit.body.contains("name=\"notes\""));
    let after = env
        .api(&env.token(&rep).await)
        .get(&format!("/api/v1/opportunities/{untyped}"))
        .await
        .json();
    assert_eq!(
        after["version"].to_string(),
        version,
        "a refresh saves nothing"
    );
}
