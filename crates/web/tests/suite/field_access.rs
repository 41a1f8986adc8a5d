//! Fields hidden from a role stay hidden in every answer and from the role's quick search.

use crate::account_fixture::AccountInput;
use crate::account_fixture::ListParams;
use crate::on_both_databases;
use crate::support::{Company, Env};
use app::Actor;
use domain::permissions::{FieldAccess, ObjectKind};

on_both_databases!(
    answers_without_a_change_keep_hidden_fields_out,
    hidden_fields_are_not_searched,
    a_type_does_not_require_a_field_the_writer_cannot_see
);

fn input(pairs: &[(&str, &str)]) -> app::records::Input {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
        .collect()
}

async fn hide(env: &Env, c: &Company, role: &str, kind: ObjectKind, keys: &[&str]) {
    let role_id = env.role_id(c, role).await;
    let rules: Vec<_> = keys
        .iter()
        .map(|k| (role_id, k.to_string(), Some(FieldAccess::Hidden)))
        .collect();
    app::customize::set_field_access(&env.app, &c.admin, kind, &rules)
        .await
        .expect("hide fields");
}

async fn answers_without_a_change_keep_hidden_fields_out(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let manager = env
        .user(&c, "boss@a.example", "sales_manager", None, None)
        .await;
    hide(&env, &c, "sales_manager", ObjectKind::Account, &["grade"]).await;
    let manager = env.actor(c.tenant_id, manager.id()).await;
    let account = crate::account_fixture::create(
        &env.app,
        &c.admin,
        &AccountInput {
            name: Some("华为".into()),
            grade: Some("A".into()),
            owner_id: Some(manager.id().to_string()),
            ..Default::default()
        },
    )
    .await
    .expect("create");
    let seen = crate::account_fixture::get(&env.app, &manager, account.id)
        .await
        .expect("get");
    assert_eq!(seen.grade, None);

    // A save that changes nothing answers the record as the reader may see it.
    let same = crate::account_fixture::update(
        &env.app,
        &manager,
        account.id,
        1,
        &seen.fields().to_input(),
    )
    .await
    .expect("update");
    assert_eq!((same.version, same.grade), (1, None));
    // So does a transfer to the current owner.
    let same = crate::account_fixture::transfer(&env.app, &manager, account.id, 1, manager.id())
        .await
        .expect("transfer")
        .expect("still visible");
    assert_eq!((same.version, same.grade), (1, None));
    // Through the API too.
    let api = env.api(&env.token(&manager).await);
    let path = format!("/api/v1/accounts/{}", account.id);
    let r = api
        .patch(&path, serde_json::json!({"name": "华为"}), "\"1\"")
        .await;
    assert_eq!(r.status, axum::http::StatusCode::OK, "{}", r.body);
    assert!(
        r.json().get("grade").is_none_or(|g| g.is_null()),
        "{}",
        r.body
    );
    let r = api
        .post(
            &format!("{path}/transfer"),
            serde_json::json!({"owner_id": manager.id()}),
        )
        .await;
    assert!(!r.body.contains("\"A\""), "{}", r.body);
    // The administrator still sees the grade, unchanged.
    let stored = crate::account_fixture::get(&env.app, &c.admin, account.id)
        .await
        .expect("get");
    assert_eq!(stored.grade.as_deref(), Some("A"));
}

async fn contacts_found(env: &Env, actor: &Actor, q: &str) -> Vec<String> {
    let request = app::records::ListRequest {
        q: Some(q.into()),
        ..Default::default()
    };
    app::records::list(&env.app, actor, ObjectKind::Contact, &request)
        .await
        .expect("list")
        .records
        .iter()
        .map(|r| r.name().to_string())
        .collect()
}

async fn accounts_found(env: &Env, actor: &Actor, q: &str) -> Vec<String> {
    let params = ListParams {
        q: Some(q.into()),
        ..Default::default()
    };
    crate::account_fixture::list(&env.app, actor, &params)
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|a| a.name)
        .collect()
}

async fn hidden_fields_are_not_searched(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let east = env.department(&c, "华东", None).await;
    let manager = env
        .user(&c, "boss@a.example", "sales_manager", Some(east), None)
        .await;
    let rep = env
        .user(
            &c,
            "rep@a.example",
            "sales_rep",
            Some(east),
            Some(manager.id()),
        )
        .await;
    hide(
        &env,
        &c,
        "sales_rep",
        ObjectKind::Contact,
        &["mobile", "email"],
    )
    .await;
    hide(&env, &c, "sales_rep", ObjectKind::Account, &["phone"]).await;
    let rep = env.actor(c.tenant_id, rep.id()).await;
    app::records::create(
        &env.app,
        &c.admin,
        ObjectKind::Contact,
        &input(&[
            ("name", "张伟"),
            ("mobile", "13800138000"),
            ("email", "sales.lead@example.com"),
            ("owner_id", &rep.id().to_string()),
        ]),
    )
    .await
    .expect("create contact");
    crate::account_fixture::create(
        &env.app,
        &c.admin,
        &AccountInput {
            name: Some("华为".into()),
            phone: Some("0755-28780808".into()),
            owner_id: Some(rep.id().to_string()),
            ..Default::default()
        },
    )
    .await
    .expect("create account");

    // The rep finds the records by what they may see, never by a hidden field.
    assert_eq!(contacts_found(&env, &rep, "张伟").await, ["张伟"]);
    assert!(contacts_found(&env, &rep, "13800138000").await.is_empty());
    assert!(contacts_found(&env, &rep, "0138").await.is_empty());
    assert!(contacts_found(&env, &rep, "sales.lead").await.is_empty());
    assert_eq!(accounts_found(&env, &rep, "华为").await, ["华为"]);
    assert!(accounts_found(&env, &rep, "28780808").await.is_empty());
    let global = app::search::global(&env.app, &rep, "13800138000", None)
        .await
        .expect("global search");
    assert!(
        global.iter().all(|g| g.page.records.is_empty()),
        "global search found a hidden mobile"
    );
    // A page is filled past the matches the rep may not see, and ends where the list does.
    app::records::create(
        &env.app,
        &c.admin,
        ObjectKind::Contact,
        &input(&[("name", "Ola Li"), ("owner_id", &rep.id().to_string())]),
    )
    .await
    .expect("create contact");
    env.clock.advance(chrono::Duration::minutes(1));
    app::records::create(
        &env.app,
        &c.admin,
        ObjectKind::Contact,
        &input(&[
            ("name", "李四"),
            ("email", "ola@example.com"),
            ("owner_id", &rep.id().to_string()),
        ]),
    )
    .await
    .expect("create contact");
    let request = app::records::ListRequest {
        q: Some("ola".into()),
        limit: Some(1),
        ..Default::default()
    };
    let page = app::records::list(&env.app, &rep, ObjectKind::Contact, &request)
        .await
        .expect("list");
    let names: Vec<&str> = page.records.iter().map(|r| r.name()).collect();
    assert_eq!((names, page.next_cursor), (vec!["Ola Li"], None));
    let page = app::records::list(&env.app, &manager, ObjectKind::Contact, &request)
        .await
        .expect("list");
    let names: Vec<&str> = page.records.iter().map(|r| r.name()).collect();
    assert_eq!(names, ["李四"]);
    assert!(page.next_cursor.is_some());

    // Their manager's role sees the fields and finds them by them.
    assert_eq!(
        contacts_found(&env, &manager, "13800138000").await,
        ["张伟"]
    );
    assert_eq!(contacts_found(&env, &manager, "sales.lead").await, ["张伟"]);
    assert_eq!(accounts_found(&env, &manager, "28780808").await, ["华为"]);
}

async fn a_type_does_not_require_a_field_the_writer_cannot_see(env: Env) {
    use axum::http::StatusCode;
    use serde_json::json;
    let c = env
        .company("隐藏必填公司", "admin@hidden-required.example")
        .await;
    let admin = env.api(&env.token(&c.admin).await);
    let r = admin
        .post("/api/v1/record-types", json!({"object": "opportunities", "key": "project",
            "name_zh": "项目型销售", "name_en": "Project sale", "required_fields": ["amount", "expected_close"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rep = env
        .user(&c, "rep@hidden-required.example", "sales_rep", None, None)
        .await;
    hide(&env, &c, "sales_rep", ObjectKind::Opportunity, &["amount"]).await;
    let rep = env.actor(c.tenant_id, rep.id()).await;
    let account = env.account(&rep, "必填客户").await;
    let rep_api = env.api(&env.token(&rep).await);
    // The visible required field is still required; the hidden one is not asked for.
    let body = json!({"name": "项目", "account_id": account.id, "record_type": "project"});
    let r = rep_api.post("/api/v1/opportunities", body.clone()).await;
    assert_eq!(
        crate::support::field_codes(&r),
        [("expected_close".into(), "required".into())]
    );
    let mut body = body;
    body["expected_close"] = json!("2027-06-30");
    let r = rep_api.post("/api/v1/opportunities", body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // The administrator, who sees the amount, must still give it.
    let r = admin.post("/api/v1/opportunities", body).await;
    assert_eq!(
        crate::support::field_codes(&r),
        [("amount".into(), "required".into())]
    );
}
