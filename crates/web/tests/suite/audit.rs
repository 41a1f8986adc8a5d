//! The audit of administration: each administrative change writes its row (actor, time from
//! the clock, old → new), a refused change none; the page and the API filter by actor, area,
//! action and date, page by cursor without losing rows, and are for administrators only.
//! Housekeeping and the search-token rebuild run as jobs.

use crate::on_both_databases;
use crate::support::Env;
use app::audit::FilterInput;
use app::Actor;
use axum::http::StatusCode;
use chrono::Duration;

async fn entries(env: &Env, actor: &Actor, input: FilterInput) -> Vec<store::audit::AuditEntry> {
    app::audit::list(&env.app, actor, &input, None, 200)
        .await
        .expect("audit list")
        .items
}

fn object(o: &str) -> FilterInput {
    FilterInput {
        object: Some(o.into()),
        ..Default::default()
    }
}

async fn each_change_writes_its_row_and_a_refused_one_none(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    env.clock.advance(Duration::hours(1));
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let created = entries(&env, &c.admin, object("user")).await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].action, "create");
    assert_eq!(created[0].actor_id, Some(c.admin.id()));
    assert_eq!(
        created[0].at,
        env.app.now(),
        "the time comes from the clock"
    );

    // A role change shows old → new by name.
    let manager_role = env.role_id(&c, "sales_manager").await;
    env.clock.advance(Duration::minutes(5));
    app::org::update_user(
        &env.app,
        &c.admin,
        rep.id(),
        rep.user.version,
        app::org::UserInput {
            email: rep.user.email.clone(),
            name: rep.user.name.clone(),
            password: None,
            role_id: Some(manager_role),
            department_id: None,
            manager_id: None,
            active: true,
            locale: None,
        },
    )
    .await
    .expect("change role");
    let rows = entries(&env, &c.admin, object("user")).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].action, "update", "newest first");
    let change = &rows[0].detail.0["changes"][0];
    assert_eq!(change["field"], "role");
    assert!(change["old"].is_string() && change["new"].is_string());
    assert_ne!(change["old"], change["new"]);

    // Departments and roles.
    let dept = env.department(&c, "East", None).await;
    app::org::rename_department(&env.app, &c.admin, dept, "East China", 1)
        .await
        .expect("rename");
    let rows = entries(&env, &c.admin, object("department")).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].detail.0["changes"][0]["old"], "East");
    assert_eq!(rows[0].detail.0["changes"][0]["new"], "East China");

    // A refused change (a duplicate name) writes nothing.
    env.department(&c, "West", None).await;
    let before = entries(&env, &c.admin, FilterInput::default()).await.len();
    let refused = app::org::create_department(&env.app, &c.admin, "West", None).await;
    assert!(refused.is_err());
    let forbidden = app::org::create_department(&env.app, &rep, "North", None).await;
    assert!(forbidden.is_err());
    assert_eq!(
        entries(&env, &c.admin, FilterInput::default()).await.len(),
        before
    );

    // A setting, through the function other capabilities call.
    let mut tx = env.app.db.begin().await.expect("tx");
    app::audit::setting_changed(
        &mut tx,
        &c.admin,
        env.app.now(),
        "smtp",
        serde_json::json!(null),
        serde_json::json!("smtp.example.com:587"),
    )
    .await
    .expect("audit setting");
    tx.commit().await.expect("commit");
    let rows = entries(&env, &c.admin, object("setting")).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].detail.0["name"], "smtp");

    // Roles: a permission change shows the grants before and after.
    let role = app::org::create_role(
        &env.app,
        &c.admin,
        app::org::RoleInput {
            name: "Auditor".into(),
            grants: vec![("account".into(), vec!["read".into()], "own".into())],
        },
    )
    .await
    .expect("create role");
    env.clock.advance(Duration::minutes(1));
    app::org::update_role(
        &env.app,
        &c.admin,
        role,
        1,
        app::org::RoleInput {
            name: "Auditor".into(),
            grants: vec![("account".into(), vec!["read".into()], "all".into())],
        },
    )
    .await
    .expect("update role");
    let rows = entries(&env, &c.admin, object("role")).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].action, "update");
    assert_eq!(rows[0].at, env.app.now());
    let change = &rows[0].detail.0["changes"][0];
    assert_eq!(change["field"], "permissions");
    assert_eq!(change["old"]["account"], "read (own)");
    assert_eq!(change["new"]["account"], "read (all)");

    // Tokens.
    env.token(&c.admin).await;
    assert_eq!(entries(&env, &c.admin, object("api_token")).await.len(), 1);
}

async fn filters_work_and_bad_values_are_field_errors(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let other_admin = env
        .user(&c, "second@a.example", "administrator", None, None)
        .await;
    env.clock.advance(Duration::days(3));
    env.department(&c, "By first", None).await;
    app::org::create_department(&env.app, &other_admin, "By second", None)
        .await
        .expect("dept");
    let by_second = entries(
        &env,
        &c.admin,
        FilterInput {
            actor: Some(other_admin.id().to_string()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(by_second.len(), 1);
    assert_eq!(by_second[0].detail.0["name"], "By second");
    let creates = entries(
        &env,
        &c.admin,
        FilterInput {
            object: Some("department".into()),
            action: Some("create".into()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(creates.len(), 2);
    // Dates are the reader's days (Asia/Shanghai): today holds the departments, the day the
    // company was made does not.
    let today = domain::time::local_day(env.app.now(), c.admin.time_zone()).to_string();
    let dated = entries(
        &env,
        &c.admin,
        FilterInput {
            object: Some("department".into()),
            from: Some(today.clone()),
            to: Some(today.clone()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(dated.len(), 2);
    let earlier = (domain::time::local_day(env.app.now(), c.admin.time_zone()) - Duration::days(1))
        .to_string();
    let none = entries(
        &env,
        &c.admin,
        FilterInput {
            object: Some("department".into()),
            to: Some(earlier),
            ..Default::default()
        },
    )
    .await;
    assert!(none.is_empty());

    // The API: the same filters, and bad values are translated field errors.
    let token = env.token(&c.admin).await;
    let api = env.api(&token);
    let r = api
        .get(&format!("/api/v1/audit?object=department&from={today}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(2));
    for bad in [
        "object=spaceship",
        "action=explode",
        "from=yesterday",
        "actor=nobody",
        "cursor=zz",
        "limit=1000",
        "colour=red",
    ] {
        let r = api.get(&format!("/api/v1/audit?{bad}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
    }
}

async fn reps_and_managers_get_403_on_the_page_and_the_api(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    env.user(&c, "mgr@a.example", "sales_manager", None, None)
        .await;
    for email in ["rep@a.example", "mgr@a.example"] {
        let mut browser = env.browser();
        browser.login(email).await;
        let r = browser.get("/admin/audit").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{email}");
        let user = {
            let mut tx = env.app.db.begin_read().await.expect("tx");
            store::org::find_login(&mut tx, email)
                .await
                .expect("find")
                .expect("user")
        };
        let actor = env.actor(c.tenant_id, user.id).await;
        let token = env.token(&actor).await;
        let r = env.api(&token).get("/api/v1/audit").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{email}");
    }
    let mut browser = env.browser();
    browser.login("admin@a.example").await;
    let r = browser.get("/admin/audit?object=user").await;
    assert_eq!(r.status, StatusCode::OK);
    r.assert_contains("rep");
    let admin_id = c.admin.id();
    let r = browser
        .get(&format!(
            "/admin/audit?actor={admin_id}&object=user&action=create"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    r.assert_contains("mgr");
    let r = browser.get("/admin/audit?object=spaceship").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn cursor_paging_loses_no_rows_when_rows_are_added(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    for i in 0..5 {
        env.clock.advance(Duration::seconds(1));
        env.department(&c, &format!("D{i}"), None).await;
    }
    let input = object("department");
    let first = app::audit::list(&env.app, &c.admin, &input, None, 2)
        .await
        .expect("page 1");
    assert_eq!(first.items.len(), 2);
    // Rows added between pages are newer than the cursor: they do not push older ones off.
    env.clock.advance(Duration::seconds(1));
    env.department(&c, "Later", None).await;
    let mut seen: Vec<String> = first
        .items
        .iter()
        .map(|e| e.detail.0["name"].as_str().unwrap_or("").to_string())
        .collect();
    let mut cursor = first.next;
    while let Some(at) = cursor {
        let page = app::audit::list(&env.app, &c.admin, &input, Some(&at), 2)
            .await
            .expect("next page");
        seen.extend(
            page.items
                .iter()
                .map(|e| e.detail.0["name"].as_str().unwrap_or("").to_string()),
        );
        cursor = page.next;
    }
    assert_eq!(seen, ["D4", "D3", "D2", "D1", "D0"]);
}

async fn housekeeping_runs_once_per_period(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let registry = app::jobs::Registry::default()
        .register(app::housekeeping::Housekeeping)
        .schedule(app::housekeeping::Housekeeping::schedule());
    let first = app::jobs::Worker::new(env.app.clone(), registry.clone());
    let second = app::jobs::Worker::new(env.app.clone(), registry);
    assert_eq!(first.run_until_idle().await.expect("run"), 1);
    assert_eq!(
        second.run_until_idle().await.expect("run"),
        0,
        "once per period"
    );
    env.clock.advance(Duration::minutes(30));
    assert_eq!(second.run_until_idle().await.expect("run"), 0);
    env.clock.advance(Duration::minutes(31));
    assert_eq!(
        second.run_until_idle().await.expect("run"),
        1,
        "the next hour"
    );
    assert_eq!(first.run_until_idle().await.expect("run"), 0);
    let _ = c;
}

async fn the_token_rebuild_runs_once_and_reports_progress(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    env.account(&c.admin, "华为 0755 8888 1234").await;
    let mut tx = env.app.db.begin().await.expect("tx");
    store::reindex::set_tokens_version(&mut tx, 1)
        .await
        .expect("old version");
    tx.commit().await.expect("commit");
    assert_eq!(
        app::housekeeping::enqueue_token_rebuilds(&env.app)
            .await
            .expect("enqueue"),
        1
    );
    // A second server starting finds the job there.
    assert_eq!(
        app::housekeeping::enqueue_token_rebuilds(&env.app)
            .await
            .expect("enqueue"),
        0
    );
    let ran = env.run_jobs().await;
    assert_eq!(ran, 1);
    assert_eq!(
        store::reindex::tokens_version(&env.app.db)
            .await
            .expect("v"),
        store::reindex::TOKENS_VERSION
    );
    let mut tx = env.app.db.begin_read().await.expect("tx");
    let jobs = store::jobs::list(&mut tx, c.tenant_id, &[app::jobs::DONE], 10)
        .await
        .expect("jobs");
    let job = jobs
        .iter()
        .find(|j| j.kind == app::housekeeping::RebuildSearchTokens::KIND)
        .expect("rebuild job");
    assert_eq!(
        job.result.as_ref().map(|r| r.0["records"].clone()),
        Some(serde_json::json!(1))
    );
    drop(tx);
    assert_eq!(
        app::housekeeping::enqueue_token_rebuilds(&env.app)
            .await
            .expect("enqueue"),
        0,
        "nothing left to do"
    );
}

on_both_databases!(
    each_change_writes_its_row_and_a_refused_one_none,
    filters_work_and_bad_values_are_field_errors,
    reps_and_managers_get_403_on_the_page_and_the_api,
    cursor_paging_loses_no_rows_when_rows_are_added,
    housekeeping_runs_once_per_period,
    the_token_rebuild_runs_once_and_reports_progress,
);
