use crate::account_fixture::AccountInput;
use crate::account_fixture::ListParams;
use crate::on_both_databases;
use crate::support::{Company, Env};
use app::{Actor, AppError};
use axum::http::StatusCode;
use std::collections::BTreeSet;

on_both_databases!(
    data_scopes_decide_what_each_user_sees,
    other_tenant_gets_404_everywhere,
    other_tenant_records_get_404_everywhere,
    actions_need_the_role,
    api_and_pages_show_the_same_records
);

async fn visible(env: &Env, actor: &Actor) -> BTreeSet<String> {
    let params = ListParams {
        limit: Some("200".into()),
        ..Default::default()
    };
    listed(env, actor, &params).await
}

/// The accounts a quick search for `q` finds for `actor`.
async fn found(env: &Env, actor: &Actor, q: &str) -> BTreeSet<String> {
    let params = ListParams {
        q: Some(q.into()),
        ..Default::default()
    };
    listed(env, actor, &params).await
}

async fn listed(env: &Env, actor: &Actor, params: &ListParams) -> BTreeSet<String> {
    crate::account_fixture::list(&env.app, actor, params)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|a| a.name)
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

async fn role(env: &Env, c: &Company, name: &str, scope: &str) -> uuid::Uuid {
    app::org::create_role(
        &env.app,
        &c.admin,
        app::org::RoleInput {
            name: name.into(),
            grants: vec![(
                "account".into(),
                vec!["read".into(), "create".into(), "edit".into()],
                scope.into(),
            )],
        },
    )
    .await
    .unwrap()
}

async fn user_with_role(
    env: &Env,
    c: &Company,
    email: &str,
    role_id: uuid::Uuid,
    dept: Option<uuid::Uuid>,
    manager: Option<uuid::Uuid>,
) -> Actor {
    let id = app::org::create_user(
        &env.app,
        &c.admin,
        app::org::UserInput {
            email: email.into(),
            name: email.into(),
            password: Some(crate::support::PASSWORD.into()),
            role_id: Some(role_id),
            department_id: dept,
            manager_id: manager,
            active: true,
            locale: None,
        },
    )
    .await
    .unwrap();
    env.actor(c.tenant_id, id).await
}

async fn data_scopes_decide_what_each_user_sees(env: Env) {
    let c = env.company("华东集团", "admin@a.example").await;
    // Sales ── East ── Shanghai
    //       └─ West
    let sales = env.department(&c, "销售中心", None).await;
    let east = env.department(&c, "华东区", Some(sales)).await;
    let shanghai = env.department(&c, "上海办", Some(east)).await;
    let west = env.department(&c, "华西区", Some(sales)).await;

    let director = env
        .user(
            &c,
            "director@a.example",
            "sales_director",
            Some(sales),
            None,
        )
        .await;
    let east_manager = env
        .user(
            &c,
            "east@a.example",
            "sales_manager",
            Some(east),
            Some(director.id()),
        )
        .await;
    let rep_sh = env
        .user(
            &c,
            "sh@a.example",
            "sales_rep",
            Some(shanghai),
            Some(east_manager.id()),
        )
        .await;
    let rep_east = env
        .user(
            &c,
            "e2@a.example",
            "sales_rep",
            Some(east),
            Some(east_manager.id()),
        )
        .await;
    let rep_west = env
        .user(
            &c,
            "west@a.example",
            "sales_rep",
            Some(west),
            Some(director.id()),
        )
        .await;
    let dept_role = role(&env, &c, "部门助理", "department").await;
    let east_assistant =
        user_with_role(&env, &c, "assist@a.example", dept_role, Some(east), None).await;
    let team_role = role(&env, &c, "团队主管", "own_and_subordinates").await;
    let lead = user_with_role(
        &env,
        &c,
        "lead@a.example",
        team_role,
        Some(west),
        Some(director.id()),
    )
    .await;
    let follower = env
        .user(
            &c,
            "follower@a.example",
            "sales_rep",
            Some(west),
            Some(lead.id()),
        )
        .await;
    let follower2 = env
        .user(
            &c,
            "follower2@a.example",
            "sales_rep",
            Some(west),
            Some(follower.id()),
        )
        .await;

    for (actor, name) in [
        (&director, "D"),
        (&east_manager, "EM"),
        (&rep_sh, "SH"),
        (&rep_east, "E2"),
        (&rep_west, "W"),
        (&east_assistant, "AS"),
        (&lead, "L"),
        (&follower, "F"),
        (&follower2, "F2"),
    ] {
        env.account(actor, name).await;
    }

    assert_eq!(
        visible(&env, &rep_sh).await,
        set(&["SH"]),
        "a rep sees only their own"
    );
    assert_eq!(visible(&env, &rep_west).await, set(&["W"]));
    assert_eq!(
        visible(&env, &east_manager).await,
        set(&["EM", "SH", "E2", "AS"]),
        "department and sub-departments"
    );
    assert_eq!(
        visible(&env, &east_assistant).await,
        set(&["EM", "E2", "AS"]),
        "own department only, not Shanghai"
    );
    assert_eq!(
        visible(&env, &lead).await,
        set(&["L", "F", "F2"]),
        "own and the whole manager chain below"
    );
    assert_eq!(
        visible(&env, &follower).await,
        set(&["F"]),
        "a rep under the lead still sees only their own"
    );
    assert_eq!(visible(&env, &director).await.len(), 9, "all");
    // Quick search keeps to the same scopes (its plan depends on the scope's share).
    for (actor, q, expected) in [
        (&east_manager, "SH", set(&["SH"])),
        (&east_manager, "W", set(&[])),
        (&east_assistant, "EM", set(&["EM"])),
        (&east_assistant, "SH", set(&[])),
        (&lead, "L", set(&["L"])),
        (&lead, "W", set(&[])),
        (&director, "W", set(&["W"])),
    ] {
        assert_eq!(found(&env, actor, q).await, expected, "searching {q}");
    }

    // A record outside the scope is "not found" for every action, never "forbidden".
    let west_account = crate::account_fixture::list(&env.app, &rep_west, &ListParams::default())
        .await
        .unwrap()
        .items
        .remove(0);
    assert!(matches!(
        crate::account_fixture::get(&env.app, &rep_sh, west_account.id).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        crate::account_fixture::get(&env.app, &east_manager, west_account.id).await,
        Err(AppError::NotFound)
    ));
    let input = west_account.fields().to_input();
    assert!(matches!(
        crate::account_fixture::update(&env.app, &east_manager, west_account.id, 1, &input).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        crate::account_fixture::delete(&env.app, &east_manager, west_account.id, 1).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        crate::account_fixture::history(&env.app, &east_manager, west_account.id, None, 10).await,
        Err(AppError::NotFound)
    ));
    // Nor can it be used as a parent.
    let child = AccountInput {
        name: Some("child".into()),
        parent_id: Some(west_account.id.to_string()),
        ..Default::default()
    };
    assert!(matches!(
        crate::account_fixture::create(&env.app, &east_manager, &child).await,
        Err(AppError::Validation(_))
    ));

    // Moving a user changes what their manager sees at once.
    let moved = app::org::get_user(&env.app, &c.admin, rep_west.id())
        .await
        .unwrap();
    app::org::update_user(
        &env.app,
        &c.admin,
        moved.id,
        moved.version,
        app::org::UserInput {
            email: moved.email.clone(),
            name: moved.name.clone(),
            password: None,
            role_id: Some(moved.role_id),
            department_id: Some(shanghai),
            manager_id: Some(east_manager.id()),
            active: true,
            locale: None,
        },
    )
    .await
    .unwrap();
    let east_manager = env.actor(c.tenant_id, east_manager.id()).await;
    assert!(visible(&env, &east_manager).await.contains("W"));
}

async fn other_tenant_gets_404_everywhere(env: Env) {
    let a = env.company("Company A", "admin@a.example").await;
    let b = env.company("Company B", "admin@b.example").await;
    let secret = env.account(&a.admin, "A's secret account").await;
    let id = secret.id;

    assert!(matches!(
        crate::account_fixture::get(&env.app, &b.admin, id).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        crate::account_fixture::history(&env.app, &b.admin, id, None, 10).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        crate::account_fixture::transfer(&env.app, &b.admin, id, 1, b.admin.id()).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        crate::account_fixture::delete(&env.app, &b.admin, id, 1).await,
        Err(AppError::NotFound)
    ));
    assert!(!visible(&env, &b.admin).await.contains("A's secret account"));
    // A's user id is no valid owner in B.
    let input = AccountInput {
        name: Some("x".into()),
        owner_id: Some(a.admin.id().to_string()),
        ..Default::default()
    };
    assert!(matches!(
        crate::account_fixture::create(&env.app, &b.admin, &input).await,
        Err(AppError::Validation(_))
    ));

    let token = env.token(&b.admin).await;
    let api = env.api(&token);
    for path in [
        format!("/api/v1/accounts/{id}"),
        format!("/api/v1/accounts/{id}/history"),
    ] {
        let r = api.get(&path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.json()["error"]["code"], "not_found");
    }
    let r = api
        .patch(
            &format!("/api/v1/accounts/{id}"),
            serde_json::json!({"name": "stolen"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api
        .call(
            axum::http::Method::DELETE,
            &format!("/api/v1/accounts/{id}"),
            None,
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let list = api.get("/api/v1/accounts").await;
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 0);

    let mut browser = env.browser();
    browser.login("admin@b.example").await;
    assert_pages_not_found(&mut browser, "accounts", &id.to_string()).await;
    assert_eq!(
        browser.get(&format!("/accounts/{id}/history")).await.status,
        StatusCode::NOT_FOUND
    );
    let page = browser.get("/accounts").await;
    assert!(!page.body.contains("secret account"));

    let unchanged = crate::account_fixture::get(&env.app, &a.admin, id)
        .await
        .unwrap();
    assert_eq!(
        (unchanged.name.as_str(), unchanged.version),
        ("A's secret account", 1)
    );
}

/// Every record object, not only accounts: another company's contact, lead, opportunity and
/// activity are not found through the API, the pages, lists, search, lookups, the 360°
/// stream or roll-ups, and stay unchanged.
async fn other_tenant_records_get_404_everywhere(env: Env) {
    use serde_json::json;
    let a = env.company("Company A", "admin@a.example").await;
    let b = env.company("Company B", "admin@b.example").await;
    let a_api = env.api(&env.token(&a.admin).await);
    let b_api = env.api(&env.token(&b.admin).await);
    let account = env.account(&a.admin, "甲方机密客户").await.id.to_string();
    let id_of = |r: crate::support::Response| -> String {
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["id"].as_str().expect("id").to_string()
    };
    let contact = id_of(
        a_api
            .post(
                "/api/v1/contacts",
                json!({"name": "甲方联系人", "account_id": account, "mobile": "13800138000"}),
            )
            .await,
    );
    let lead = id_of(
        a_api
            .post(
                "/api/v1/leads",
                json!({"name": "甲方线索", "company": "甲方机密公司"}),
            )
            .await,
    );
    let opportunity = id_of(
        a_api
            .post(
                "/api/v1/opportunities",
                json!({"name": "甲方商机", "account_id": account, "amount": 100}),
            )
            .await,
    );
    let activity = id_of(
        a_api
            .post(
                "/api/v1/activities",
                json!({"kind": "call", "name": "甲方电话", "opportunity_id": opportunity}),
            )
            .await,
    );
    let records = [
        ("contacts", &contact),
        ("leads", &lead),
        ("opportunities", &opportunity),
        ("activities", &activity),
    ];
    let mut browser = env.browser();
    browser.login("admin@b.example").await;
    for (plural, id) in records {
        for path in [
            format!("/api/v1/{plural}/{id}"),
            format!("/api/v1/{plural}/{id}/history"),
        ] {
            let r = b_api.get(&path).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(r.json()["error"]["code"], "not_found", "{path}");
        }
        let r = b_api
            .patch(
                &format!("/api/v1/{plural}/{id}"),
                json!({"name": "stolen"}),
                "\"1\"",
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "PATCH {plural}");
        let r = b_api
            .call(
                axum::http::Method::DELETE,
                &format!("/api/v1/{plural}/{id}"),
                None,
                &[("if-match", "\"1\"")],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "DELETE {plural}");
        let list = b_api.get(&format!("/api/v1/{plural}")).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert!(!list.body.contains(id.as_str()), "{plural} list");
        assert_pages_not_found(&mut browser, plural, id).await;
        let page = browser.get(&format!("/{plural}")).await;
        assert!(!page.body.contains("甲方"), "{plural} page list");
    }
    // Search and lookups find nothing of A's.
    for q in ["甲方", "13800138000"] {
        let r = b_api.get(&format!("/api/v1/search?{}", query(q))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(!r.body.contains("甲方"), "search {q}: {}", r.body);
    }
    for plural in ["accounts", "contacts", "opportunities"] {
        let r = browser
            .get(&format!("/{plural}/lookup?{}", query("甲方")))
            .await;
        assert!(!r.body.contains("甲方"), "{plural} lookup: {}", r.body);
    }
    // A's records are no valid references in B.
    for (body, field) in [
        (json!({"name": "x", "account_id": account}), "account_id"),
        (
            json!({"name": "x", "reports_to_id": contact}),
            "reports_to_id",
        ),
    ] {
        let r = b_api.post("/api/v1/contacts", body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(field), "{}", r.body);
    }
    let r = b_api
        .post(
            "/api/v1/activities",
            json!({"kind": "call", "name": "x", "opportunity_id": opportunity}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // The stream and roll-ups of A's account.
    for path in [
        format!("/api/v1/accounts/{account}/timeline"),
        format!("/api/v1/accounts/{account}/rollup"),
    ] {
        assert_eq!(
            b_api.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Nothing changed in A.
    for (plural, id) in records {
        let r = a_api.get(&format!("/api/v1/{plural}/{id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{plural}");
        assert_eq!(r.json()["version"], 1, "{plural} unchanged");
        assert!(r.json()["name"]
            .as_str()
            .unwrap_or_default()
            .starts_with("甲方"));
    }
}

/// The record's page and edit form answer 404, and so do a save and a delete posted to it.
async fn assert_pages_not_found(browser: &mut crate::support::Browser, plural: &str, id: &str) {
    for path in [format!("/{plural}/{id}"), format!("/{plural}/{id}/edit")] {
        assert_eq!(
            browser.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let r = browser
        .post(
            &format!("/{plural}/{id}"),
            &[("name", "stolen"), ("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "page update of {plural}");
    let r = browser
        .post(&format!("/{plural}/{id}/delete"), &[("version", "1")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "page delete of {plural}");
}

/// `q=<value>`, form-encoded.
fn query(q: &str) -> String {
    serde_urlencoded::to_string([("q", q)]).expect("encodable")
}

async fn actions_need_the_role(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let other = env
        .user(&c, "other@a.example", "sales_rep", None, None)
        .await;
    let own = env.account(&rep, "Mine").await;
    // Reps may not delete or transfer, even their own records.
    assert!(matches!(
        crate::account_fixture::delete(&env.app, &rep, own.id, 1).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        crate::account_fixture::transfer(&env.app, &rep, own.id, 1, other.id()).await,
        Err(AppError::Forbidden)
    ));
    let mut input = own.fields().to_input();
    input.owner_id = Some(other.id().to_string());
    assert!(matches!(
        crate::account_fixture::update(&env.app, &rep, own.id, 1, &input).await,
        Err(AppError::Forbidden)
    ));
    // Nor administer the org.
    assert!(matches!(
        app::org::create_department(&env.app, &rep, "X", None).await,
        Err(AppError::Forbidden)
    ));
    // The admin may transfer; the old owner then no longer sees it.
    let moved = crate::account_fixture::transfer(&env.app, &c.admin, own.id, 1, other.id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.owner_id, other.id());
    assert!(matches!(
        crate::account_fixture::get(&env.app, &rep, own.id).await,
        Err(AppError::NotFound)
    ));
    let history = crate::account_fixture::history(&env.app, &c.admin, own.id, None, 10)
        .await
        .unwrap();
    assert_eq!(history[0].field, "owner_id");
    assert_eq!(history[0].new_value.as_deref(), Some("other"));
    // Through the pages a rep gets a 403 page for delete.
    let mine = env.account(&rep, "Mine too").await;
    let mut browser = env.browser();
    browser.login("rep@a.example").await;
    let r = browser
        .post(
            &format!("/accounts/{}/delete", mine.id),
            &[("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(crate::account_fixture::get(&env.app, &rep, mine.id)
        .await
        .is_ok());
    let r = browser.get("/admin/users").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn api_and_pages_show_the_same_records(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    for n in ["Rep one", "Rep two"] {
        env.account(&rep, n).await;
    }
    for n in ["Admin one", "Admin two"] {
        env.account(&c.admin, n).await;
    }
    let token = env.token(&rep).await;
    let api_names: BTreeSet<String> = env.api(&token).get("/api/v1/accounts").await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(api_names, set(&["Rep one", "Rep two"]));
    let mut browser = env.browser();
    browser.login("rep@a.example").await;
    let page = browser.get("/accounts").await;
    for name in ["Rep one", "Rep two"] {
        page.assert_contains(name);
    }
    assert!(!page.body.contains("Admin one") && !page.body.contains("Admin two"));
}
