//! Shares, record teams and pools widen what a reader sees, through the one visibility
//! predicate: lists, record pages, the API, search, lookups and roll-ups; `read` access
//! never edits; only the owner or whoever may transfer manages them.

use crate::account_fixture::AccountInput;
use crate::account_fixture::ListParams;
use crate::on_both_databases;
use crate::support::{field_codes, Env};
use app::records::ListRequest;
use app::{Actor, AppError};
use axum::http::{Method, StatusCode};
use domain::permissions::ObjectKind;
use serde_json::json;
use std::collections::BTreeSet;
use uuid::Uuid;

on_both_databases!(
    shares_teams_and_pools_widen_what_a_rep_sees,
    bad_sharing_requests_change_nothing,
    the_record_page_shows_team_and_sharing,
    a_reader_with_grants_pages_through_each_record_once,
    a_department_share_reaches_its_sub_departments
);

/// The actor as the next request would see it (grants are read at sign-in).
async fn fresh(env: &Env, actor: &Actor) -> Actor {
    env.actor(actor.tenant_id(), actor.id()).await
}

async fn accounts(env: &Env, actor: &Actor, q: Option<&str>) -> BTreeSet<String> {
    let params = ListParams {
        q: q.map(str::to_string),
        limit: Some("200".into()),
        ..Default::default()
    };
    let actor = fresh(env, actor).await;
    crate::account_fixture::list(&env.app, &actor, &params)
        .await
        .expect("list accounts")
        .items
        .into_iter()
        .map(|a| a.name)
        .collect()
}

async fn records(env: &Env, actor: &Actor, kind: ObjectKind) -> BTreeSet<String> {
    let actor = fresh(env, actor).await;
    let request = ListRequest {
        limit: Some(200),
        ..Default::default()
    };
    app::records::list(&env.app, &actor, kind, &request)
        .await
        .expect("list")
        .records
        .iter()
        .map(|r| r.name().to_string())
        .collect()
}

async fn searched(env: &Env, actor: &Actor, q: &str) -> BTreeSet<String> {
    let actor = fresh(env, actor).await;
    app::search::global(&env.app, &actor, q, None)
        .await
        .expect("search")
        .into_iter()
        .flat_map(|g| g.page.records.into_iter().map(|r| r.name().to_string()))
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

async fn account(env: &Env, actor: &Actor, name: &str, owner: Uuid, parent: Option<Uuid>) -> Uuid {
    crate::account_fixture::create(
        &env.app,
        actor,
        &AccountInput {
            name: Some(name.into()),
            owner_id: Some(owner.to_string()),
            parent_id: parent.map(|p| p.to_string()),
            ..Default::default()
        },
    )
    .await
    .expect("create account")
    .id
}

async fn record(env: &Env, actor: &Actor, kind: ObjectKind, name: &str, owner: Uuid) -> Uuid {
    record_with(env, actor, kind, name, owner, &[]).await
}

async fn record_with(
    env: &Env,
    actor: &Actor,
    kind: ObjectKind,
    name: &str,
    owner: Uuid,
    more: &[(&str, String)],
) -> Uuid {
    let mut input = vec![
        ("name".to_string(), vec![name.to_string()]),
        ("owner_id".to_string(), vec![owner.to_string()]),
    ];
    input.extend(more.iter().map(|(k, v)| (k.to_string(), vec![v.clone()])));
    app::records::create(&env.app, actor, kind, &input)
        .await
        .expect("create record")
}

/// A lead pool with one member, holding `leads`.
async fn lead_pool(env: &Env, tenant_id: Uuid, name: &str, member: Uuid, leads: &[Uuid]) {
    let mut tx = env.app.db.begin().await.expect("tx");
    let pool =
        store::sharing::create_pool(&mut tx, tenant_id, ObjectKind::Lead, name, env.app.now())
            .await
            .expect("pool");
    store::sharing::add_pool_member(
        &mut tx,
        tenant_id,
        pool,
        store::sharing::Grantee::User(member),
    )
    .await
    .expect("member");
    for lead in leads {
        store::sharing::set_pool(&mut tx, tenant_id, ObjectKind::Lead, *lead, Some(pool))
            .await
            .expect("set pool");
    }
    tx.commit().await.expect("commit");
}

async fn rename(env: &Env, actor: &Actor, id: Uuid, name: &str) -> Result<(), AppError> {
    let actor = fresh(env, actor).await;
    let current = crate::account_fixture::get(&env.app, &actor, id).await?;
    let input = vec![("name".to_string(), vec![name.to_string()])];
    app::records::update(
        &env.app,
        &actor,
        ObjectKind::Account,
        id,
        current.version,
        &input,
    )
    .await
}

async fn shares_teams_and_pools_widen_what_a_rep_sees(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let admin = &c.admin;
    let east = env.department(&c, "华东销售部", None).await;
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
    let other = env
        .user(&c, "other@a.example", "sales_rep", None, None)
        .await;
    let rep_api = env.api(&env.token(&rep).await);
    let other_api = env.api(&env.token(&other).await);

    account(&env, admin, "上海贝尔", rep.id(), None).await;
    let huawei = account(&env, admin, "深圳华为技术有限公司", other.id(), None).await;
    let branch = account(&env, admin, "华为南京分公司", other.id(), Some(huawei)).await;
    let contact = record(&env, admin, ObjectKind::Contact, "张伟", other.id()).await;

    // Nothing shared: the rep sees their own only, in every channel.
    assert_eq!(accounts(&env, &rep, None).await, set(&["上海贝尔"]));
    assert!(searched(&env, &rep, "华为").await.is_empty());
    assert!(matches!(
        crate::account_fixture::get(&env.app, &fresh(&env, &rep).await, huawei).await,
        Err(AppError::NotFound)
    ));
    let r = rep_api.get(&format!("/api/v1/accounts/{huawei}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The manager's scope is their department tree.
    assert_eq!(accounts(&env, &manager, None).await, set(&["上海贝尔"]));

    // The owner shares with the rep (read).
    let r = other_api
        .post(
            &format!("/api/v1/accounts/{huawei}/shares"),
            json!({ "user_id": rep.id(), "access": "read" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let share = r.json()["id"].as_str().expect("share id").to_string();
    assert_eq!(r.json()["grantee_name"], "rep");
    assert_eq!(
        accounts(&env, &rep, None).await,
        set(&["上海贝尔", "深圳华为技术有限公司"])
    );
    assert_eq!(
        accounts(&env, &rep, Some("华为")).await,
        set(&["深圳华为技术有限公司"])
    );
    assert_eq!(
        searched(&env, &rep, "华为").await,
        set(&["深圳华为技术有限公司"])
    );
    let r = rep_api.get(&format!("/api/v1/accounts/{huawei}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = rep_api.get("/api/v1/accounts?q=华为").await;
    assert!(r.body.contains("深圳华为技术有限公司"), "{}", r.body);
    let mut browser = env.browser();
    browser.login("rep@a.example").await;
    let page = browser.get(&format!("/accounts/{huawei}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("深圳华为技术有限公司");
    let lookup = browser.get_htmx("/accounts/lookup?q=华为").await;
    lookup.assert_contains("深圳华为技术有限公司");
    assert!(!lookup.body.contains("华为南京分公司"));
    // The roll-up counts only the sub-accounts the rep sees: none yet.
    let rollup = app::account360::rollup(&env.app, &fresh(&env, &rep).await, huawei)
        .await
        .expect("rollup");
    assert_eq!(rollup.children, 0);
    // Sharing the branch with the rep's department shows it to the rep and their manager.
    let r = other_api
        .post(
            &format!("/api/v1/accounts/{branch}/shares"),
            json!({ "department_id": east, "access": "read" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rollup = app::account360::rollup(&env.app, &fresh(&env, &rep).await, huawei)
        .await
        .expect("rollup");
    assert_eq!(rollup.children, 1);
    assert_eq!(
        accounts(&env, &manager, None).await,
        set(&["上海贝尔", "华为南京分公司"]),
        "the manager keeps their scope and gains the department's share"
    );
    // The rep got a notification of the user share.
    let inbox = rep_api.get("/api/v1/notifications").await;
    assert!(inbox.body.contains("shared"), "{}", inbox.body);

    // Read access never edits; edit access does (the role allows editing), never deletes.
    assert!(matches!(
        rename(&env, &rep, huawei, "改名").await,
        Err(AppError::Forbidden)
    ));
    let r = rep_api.get(&format!("/api/v1/accounts/{huawei}")).await;
    let etag = r
        .headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let r = rep_api
        .patch(
            &format!("/api/v1/accounts/{huawei}"),
            json!({ "name": "改名" }),
            &etag,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A share holder without the transfer permission cannot share further.
    let r = rep_api
        .post(
            &format!("/api/v1/accounts/{huawei}/shares"),
            json!({ "user_id": manager.id(), "access": "read" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = other_api
        .post(
            &format!("/api/v1/accounts/{huawei}/shares"),
            json!({ "user_id": rep.id(), "access": "edit" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        r.json()["id"].as_str(),
        Some(share.as_str()),
        "the same share, now edit"
    );
    rename(&env, &rep, huawei, "深圳华为")
        .await
        .expect("edit with edit access");
    let listed = other_api
        .get(&format!("/api/v1/accounts/{huawei}/shares"))
        .await;
    assert_eq!(
        listed.json()["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        listed.body
    );
    assert_eq!(listed.json()["can_manage"], true);

    // Removing the share revokes it.
    let r = other_api
        .call(
            Method::DELETE,
            &format!("/api/v1/accounts/{huawei}/shares/{share}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        accounts(&env, &rep, None).await,
        set(&["上海贝尔", "华为南京分公司"])
    );
    let r = rep_api
        .get(&format!("/api/v1/accounts/{huawei}/shares"))
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "an invisible record's shares are 404"
    );
    let r = rep_api
        .post(
            &format!("/api/v1/accounts/{huawei}/shares"),
            json!({ "user_id": rep.id(), "access": "read" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A share with the rep's role.
    let rep_role = env.role_id(&c, "sales_rep").await;
    assert!(records(&env, &rep, ObjectKind::Contact).await.is_empty());
    let r = other_api
        .post(
            &format!("/api/v1/contacts/{contact}/shares"),
            json!({ "role_id": rep_role, "access": "read" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        records(&env, &rep, ObjectKind::Contact).await,
        set(&["张伟"])
    );
    assert_eq!(searched(&env, &rep, "张伟").await, set(&["张伟"]));
    let r = rep_api.get(&format!("/api/v1/contacts/{contact}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The team: read, then edit, then removed.
    let opportunity = record_with(
        &env,
        admin,
        ObjectKind::Opportunity,
        "华为数据中心项目",
        other.id(),
        &[("account_id", huawei.to_string())],
    )
    .await;
    assert!(records(&env, &rep, ObjectKind::Opportunity)
        .await
        .is_empty());
    let r = other_api
        .post(
            &format!("/api/v1/opportunities/{opportunity}/team"),
            json!({ "user_id": rep.id(), "access": "read", "role": "售前支持" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["role"], "售前支持");
    assert_eq!(
        records(&env, &rep, ObjectKind::Opportunity).await,
        set(&["华为数据中心项目"])
    );
    let view = app::records::get(
        &env.app,
        &fresh(&env, &rep).await,
        ObjectKind::Opportunity,
        opportunity,
    )
    .await
    .expect("the team member opens it");
    let edit = vec![("name".to_string(), vec!["改名".to_string()])];
    assert!(matches!(
        app::records::update(
            &env.app,
            &fresh(&env, &rep).await,
            ObjectKind::Opportunity,
            opportunity,
            view.record.version,
            &edit
        )
        .await,
        Err(AppError::Forbidden)
    ));
    let r = other_api
        .post(
            &format!("/api/v1/opportunities/{opportunity}/team"),
            json!({ "user_id": rep.id(), "access": "edit" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    app::records::update(
        &env.app,
        &fresh(&env, &rep).await,
        ObjectKind::Opportunity,
        opportunity,
        view.record.version,
        &edit,
    )
    .await
    .expect("a read-write member edits");
    let team = rep_api
        .get(&format!("/api/v1/opportunities/{opportunity}/team"))
        .await;
    assert_eq!(team.json()["items"][0]["access"], "edit", "{}", team.body);
    assert_eq!(team.json()["can_manage"], false);
    let r = other_api
        .call(
            Method::DELETE,
            &format!("/api/v1/opportunities/{opportunity}/team/{}", rep.id()),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert!(records(&env, &rep, ObjectKind::Opportunity)
        .await
        .is_empty());
    let r = rep_api
        .get(&format!("/api/v1/opportunities/{opportunity}"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A pool's leads are visible to its members.
    let lead = record(&env, admin, ObjectKind::Lead, "公海线索", admin.id()).await;
    lead_pool(&env, c.tenant_id, "华东公海", rep.id(), &[lead]).await;
    assert_eq!(
        records(&env, &rep, ObjectKind::Lead).await,
        set(&["公海线索"])
    );
    assert!(records(&env, &other, ObjectKind::Lead).await.is_empty());
    let r = rep_api.get(&format!("/api/v1/leads/{lead}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Deleting a record takes its shares with it.
    let r = other_api
        .get(&format!("/api/v1/contacts/{contact}/shares"))
        .await;
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(1));
    let version = app::records::get(&env.app, admin, ObjectKind::Contact, contact)
        .await
        .expect("get")
        .record
        .version;
    app::records::delete(&env.app, admin, ObjectKind::Contact, contact, version)
        .await
        .expect("delete");
    let mut tx = env.app.db.begin_read().await.expect("tx");
    let left = store::sharing::shares(&mut tx, c.tenant_id, ObjectKind::Contact, contact)
        .await
        .expect("shares");
    assert!(left.is_empty());
}

async fn bad_sharing_requests_change_nothing(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let d = env.company("乙公司", "admin@b.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let owner = env
        .user(&c, "owner@a.example", "sales_rep", None, None)
        .await;
    let stranger = env.user(&d, "rep@b.example", "sales_rep", None, None).await;
    let stranger_role = env.role_id(&d, "sales_rep").await;
    let api = env.api(&env.token(&owner).await);
    let id = account(&env, &c.admin, "深圳华为", owner.id(), None).await;
    let url = format!("/api/v1/accounts/{id}/shares");
    let cases = [
        (
            json!({ "user_id": rep.id(), "role_id": env.role_id(&c, "sales_rep").await, "access": "read" }),
            vec![("user_id", "one_grantee"), ("role_id", "one_grantee")],
        ),
        (
            json!({ "access": "read" }),
            vec![("user_id", "one_grantee")],
        ),
        (
            json!({ "user_id": rep.id(), "access": "write" }),
            vec![("access", "invalid_choice")],
        ),
        (json!({ "user_id": rep.id() }), vec![("access", "required")]),
        (
            json!({ "user_id": Uuid::now_v7(), "access": "read" }),
            vec![("user_id", "invalid_reference")],
        ),
        (
            json!({ "user_id": "not an id", "access": "read" }),
            vec![("user_id", "invalid_reference")],
        ),
        (
            json!({ "user_id": stranger.id(), "access": "read" }),
            vec![("user_id", "invalid_reference")],
        ),
        (
            json!({ "role_id": stranger_role, "access": "read" }),
            vec![("role_id", "invalid_reference")],
        ),
        (
            json!({ "department_id": Uuid::now_v7(), "access": "edit" }),
            vec![("department_id", "invalid_reference")],
        ),
        (
            json!({ "user_id": 7, "access": "read" }),
            vec![("user_id", "wrong_type")],
        ),
        (
            json!({ "user_id": rep.id(), "access": "read", "until": "2027-01-01" }),
            vec![("until", "unknown_field")],
        ),
    ];
    for (body, expected) in cases {
        let r = api.post(&url, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(f, c)| (f.to_string(), c.to_string()))
            .collect();
        assert_eq!(field_codes(&r), expected, "{body}");
    }
    let team_url = format!("/api/v1/accounts/{id}/team");
    for (body, field, code) in [
        (json!({ "access": "read" }), "user_id", "required"),
        (
            json!({ "user_id": rep.id(), "access": "owner" }),
            "access",
            "invalid_choice",
        ),
        (
            json!({ "user_id": stranger.id(), "access": "read" }),
            "user_id",
            "invalid_reference",
        ),
        (
            json!({ "user_id": rep.id(), "access": "read", "role": "长".repeat(51) }),
            "role",
            "too_long",
        ),
    ] {
        let r = api.post(&team_url, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert_eq!(
            field_codes(&r),
            vec![(field.to_string(), code.to_string())],
            "{body}"
        );
    }
    // The messages are translated.
    let r = api
        .call(
            Method::POST,
            &url,
            Some(json!({ "access": "read" })),
            &[("accept-language", "zh-CN")],
        )
        .await;
    assert!(r.body.contains("只选择一项"), "{}", r.body);
    // Nothing changed.
    assert_eq!(api.get(&url).await.json()["items"], json!([]));
    assert_eq!(api.get(&team_url).await.json()["items"], json!([]));
    assert!(accounts(&env, &rep, None).await.is_empty());
    // Another company's user never reaches the record.
    let r = env
        .api(&env.token(&stranger).await)
        .post(&url, json!({ "user_id": stranger.id(), "access": "read" }))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api
        .call(
            Method::DELETE,
            &format!("{url}/{}", Uuid::now_v7()),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn the_record_page_shows_team_and_sharing(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let owner = env
        .user(&c, "owner@a.example", "sales_rep", None, None)
        .await;
    let contact = record(&env, &c.admin, ObjectKind::Contact, "李娜", owner.id()).await;
    let huawei = account(&env, &c.admin, "深圳华为", owner.id(), None).await;
    let mut browser = env.browser();
    browser.login("owner@a.example").await;
    let page = browser.get(&format!("/contacts/{contact}")).await;
    page.assert_contains("id=\"sharing\"");
    page.assert_contains("id=\"add-share\"");
    let r = browser
        .post(
            &format!("/contacts/{contact}/shares"),
            &[
                ("grantee", &format!("user:{}", rep.id())),
                ("access", "read"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = browser
        .post(
            &format!("/contacts/{contact}/team"),
            &[
                ("user_id", &rep.id().to_string()),
                ("access", "edit"),
                ("role", "客户成功"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = browser.get(&format!("/contacts/{contact}")).await;
    page.assert_contains("客户成功");
    // A bad form comes back with its error, and nothing is shared.
    let r = browser
        .post(
            &format!("/contacts/{contact}/shares"),
            &[("grantee", "user:x"), ("access", "read")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Accounts have the panel too.
    let r = browser
        .post(
            &format!("/accounts/{huawei}/shares"),
            &[
                ("grantee", &format!("user:{}", rep.id())),
                ("access", "read"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = browser.get(&format!("/accounts/{huawei}")).await;
    page.assert_contains("id=\"sharing\"");

    // The rep sees the panel without its forms.
    let mut rep_browser = env.browser();
    rep_browser.login("rep@a.example").await;
    let page = rep_browser.get(&format!("/contacts/{contact}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("id=\"sharing\"");
    page.assert_contains("客户成功");
    assert!(!page.body.contains("id=\"add-share\""));
    // Edit access on the team offers Edit, never Delete (the owner's right).
    page.assert_contains("id=\"edit-record\"");
    assert!(!page
        .body
        .contains("/delete\" class=\"inline\" data-confirm"));
    let r = rep_browser
        .post(
            &format!("/contacts/{contact}/team/{}/delete", rep.id()),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let page = rep_browser.get(&format!("/accounts/{huawei}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // A read share offers no button its save would refuse.
    for button in [
        "id=\"edit-account\"",
        "id=\"transfer-owner\"",
        "class=\"danger\"",
    ] {
        assert!(!page.body.contains(button), "{button} on a read share");
    }
    // The owner takes the team place and the share away.
    let r = browser
        .post(
            &format!("/contacts/{contact}/team/{}/delete", rep.id()),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let shares = env
        .api(&env.token(&owner).await)
        .get(&format!("/api/v1/contacts/{contact}/shares"))
        .await;
    let share = shares.json()["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let r = browser
        .post(&format!("/contacts/{contact}/shares/{share}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = rep_browser.get(&format!("/contacts/{contact}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// The names of every page of `kind` for `actor`, two at a time, in the list's order.
async fn paged(env: &Env, actor: &Actor, kind: ObjectKind, sort: &str) -> Vec<String> {
    let actor = fresh(env, actor).await;
    let mut names = Vec::new();
    let mut cursor = None;
    loop {
        let request = ListRequest {
            sort: Some(sort.into()),
            cursor: cursor.take(),
            limit: Some(2),
            ..Default::default()
        };
        let page = app::records::list(&env.app, &actor, kind, &request)
            .await
            .expect("list page");
        names.extend(page.records.iter().map(|r| r.name().to_string()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return names,
        }
        assert!(names.len() < 100, "paging does not end: {names:?}");
    }
}

/// A reader's own records, records shared with them and their pool's records are listed
/// in one order, each once, whichever of them a record belongs to (several at once too).
async fn a_reader_with_grants_pages_through_each_record_once(env: Env) {
    let c = env.company("乙公司", "admin@b.example").await;
    let admin = &c.admin;
    let rep = env.user(&c, "rep@b.example", "sales_rep", None, None).await;
    let other = env
        .user(&c, "other@b.example", "sales_rep", None, None)
        .await;
    let other_api = env.api(&env.token(&other).await);
    let mut ids = std::collections::HashMap::new();
    for (name, owner) in [
        ("A1 自己", rep.id()),
        ("B2 共享", other.id()),
        ("C3 自己", rep.id()),
        ("D4 公海", admin.id()),
        ("E5 共享又在公海", other.id()),
        ("F6 自己又在公海", rep.id()),
        ("G7 看不到", other.id()),
        ("H8 自己", rep.id()),
        ("I9 公海", admin.id()),
    ] {
        ids.insert(
            name,
            record(&env, admin, ObjectKind::Lead, name, owner).await,
        );
    }
    for name in ["B2 共享", "E5 共享又在公海"] {
        let r = other_api
            .post(
                &format!("/api/v1/leads/{}/shares", ids[name]),
                json!({ "user_id": rep.id(), "access": "read" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    // Granted twice (a share and a team place): still listed once.
    let r = other_api
        .post(
            &format!("/api/v1/leads/{}/team", ids["B2 共享"]),
            json!({ "user_id": rep.id(), "access": "read" }),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let pooled: Vec<Uuid> = ["D4 公海", "E5 共享又在公海", "F6 自己又在公海", "I9 公海"]
        .iter()
        .map(|n| ids[n])
        .collect();
    lead_pool(&env, c.tenant_id, "公海", rep.id(), &pooled).await;

    let mut visible: Vec<String> = ids
        .keys()
        .filter(|n| !n.contains("看不到"))
        .map(|n| n.to_string())
        .collect();
    visible.sort();
    assert_eq!(paged(&env, &rep, ObjectKind::Lead, "name").await, visible);
    visible.reverse();
    assert_eq!(paged(&env, &rep, ObjectKind::Lead, "-name").await, visible);
    // Sorted on a value most records lack, where the keyset crosses the empty ones.
    let by_email = paged(&env, &rep, ObjectKind::Lead, "-email").await;
    let mut unique = by_email.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((by_email.len(), unique.len()), (8, 8), "{by_email:?}");
    // The other rep sees their own, shared or not, but not what went into a pool they are
    // not a member of (a pooled record leaves its last owner's scope).
    assert_eq!(
        paged(&env, &other, ObjectKind::Lead, "name").await,
        vec!["B2 共享", "G7 看不到"]
    );
}

async fn a_department_share_reaches_its_sub_departments(env: Env) {
    let c = env.company("部门树公司", "admin@tree-share.example").await;
    let east = env.department(&c, "华东大区", None).await;
    let hangzhou = env.department(&c, "杭州办事处", Some(east)).await;
    let north = env.department(&c, "华北大区", None).await;
    let owner = env
        .user(
            &c,
            "owner@tree-share.example",
            "sales_rep",
            Some(north),
            None,
        )
        .await;
    let inside = env
        .user(
            &c,
            "hz@tree-share.example",
            "sales_rep",
            Some(hangzhou),
            None,
        )
        .await;
    let outside = env
        .user(&c, "bj@tree-share.example", "sales_rep", Some(north), None)
        .await;
    let shared = account(&env, &c.admin, "宁波港集团", owner.id(), None).await;
    let owner_api = env.api(&env.token(&owner).await);
    let r = owner_api
        .post(
            &format!("/api/v1/accounts/{shared}/shares"),
            json!({ "department_id": east, "access": "read" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // A rep of the sub-department sees it in lists and by id; a rep elsewhere does not.
    let inside_now = fresh(&env, &inside).await;
    assert_eq!(
        accounts(&env, &inside_now, None).await,
        set(&["宁波港集团"])
    );
    let inside_api = env.api(&env.token(&inside_now).await);
    let r = inside_api.get(&format!("/api/v1/accounts/{shared}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let outside_now = fresh(&env, &outside).await;
    assert!(accounts(&env, &outside_now, None).await.is_empty());
    let r = env
        .api(&env.token(&outside_now).await)
        .get(&format!("/api/v1/accounts/{shared}"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
