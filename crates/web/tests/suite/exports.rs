//! Export of list views through the API and the job: a rep's and a manager's scope, fields
//! hidden from the role left out (also when hidden after the export was asked for), formulas
//! neutralised in CSV and XLSX while numbers stay numbers, filters, quick filters and sort
//! respected, the BOM, someone else's export not found, a deactivated user's export failing
//! cleanly, the audit row, the retention, and bad requests refused with nothing created.

use crate::on_both_databases;
use crate::support::{field_codes, Api, Company, Env, Teams};
use app::Actor;
use axum::http::StatusCode;
use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use domain::permissions::{FieldAccess, ObjectKind};
use serde_json::{json, Value};

on_both_databases!(
    a_rep_exports_what_they_see_and_a_manager_the_team,
    fields_hidden_from_the_role_are_not_exported,
    formulas_are_neutralised_in_csv_and_xlsx,
    filters_quick_filters_views_and_sort_are_respected,
    bad_requests_are_refused_and_create_nothing,
    a_deactivated_users_export_fails_cleanly,
    old_exports_are_removed_by_the_housekeeping
);

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Lets the sales reps export their leads (the default role may not).
async fn reps_may_export(env: &Env, c: &Company) {
    let role = env.role_id(c, "sales_rep").await;
    let current = app::org::get_role(&env.app, &c.admin, role)
        .await
        .expect("role");
    app::org::update_role(
        &env.app,
        &c.admin,
        role,
        current.version,
        app::org::RoleInput {
            name: current.name.clone(),
            grants: vec![(
                "lead".into(),
                vec![
                    "create".into(),
                    "read".into(),
                    "edit".into(),
                    "export".into(),
                ],
                "own".into(),
            )],
        },
    )
    .await
    .expect("update role");
}

async fn lead(env: &Env, actor: &Actor, fields: &[(&str, &str)]) {
    let input: app::records::Input = fields
        .iter()
        .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
        .collect();
    app::records::create(&env.app, actor, ObjectKind::Lead, &input)
        .await
        .expect("create lead");
}

/// Starts an export; answers the export's URL.
async fn start(api: &Api, body: Value) -> String {
    let r = api.post("/api/v1/exports", body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let url = r.json()["export"]["url"].as_str().expect("url").to_string();
    assert_eq!(r.location(), url);
    url
}

/// Starts an export, runs the jobs, and answers the finished export and its file's bytes.
async fn export(env: &Env, api: &Api, body: Value) -> (Value, Vec<u8>) {
    let url = start(api, body).await;
    env.run_jobs().await;
    let done = api.get(&url).await.json();
    assert_eq!(done["state"], "done", "{done}");
    let file = done["file"].as_str().expect("file link").to_string();
    let r = api.get(&file).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (done, r.bytes)
}

/// The rows of a CSV export (after checking its BOM).
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(BOM), "no BOM");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[BOM.len()..]);
    reader
        .records()
        .map(|r| r.expect("a CSV row").iter().map(str::to_string).collect())
        .collect()
}

fn names(rows: &[Vec<String>]) -> Vec<String> {
    let mut names: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
    names.sort();
    names
}

async fn a_rep_exports_what_they_see_and_a_manager_the_team(env: Env) {
    let c = env.company("导出公司", "admin@a.example").await;
    let Teams {
        manager,
        rep,
        other,
    } = env.two_teams(&c).await;
    reps_may_export(&env, &c).await;
    let rep = env.actor(c.tenant_id, rep.id()).await;
    lead(&env, &rep, &[("name", "张三"), ("source", "web")]).await;
    lead(&env, &rep, &[("name", "李四")]).await;
    lead(&env, &other, &[("name", "王五")]).await;
    lead(&env, &manager, &[("name", "赵六")]).await;

    let rep_api = env.api(&env.token(&rep).await);
    let (done, bytes) = export(
        &env,
        &rep_api,
        json!({"object": "leads", "format": "csv", "columns": ["source", "owner_id"]}),
    )
    .await;
    let rows = csv_rows(&bytes);
    assert_eq!(
        rows[0],
        ["Name", "Source", "Owner"],
        "English: the API's language"
    );
    assert_eq!(names(&rows), ["张三", "李四"]);
    assert_eq!(done["row_count"], 2);
    let zhang = rows.iter().find(|r| r[0] == "张三").expect("张三");
    assert_eq!(zhang[1], "Website", "a choice by its label");
    assert_eq!(zhang[2], "rep", "the owner by name");

    let boss_api = env.api(&env.token(&manager).await);
    let (_, bytes) = export(&env, &boss_api, json!({"object": "lead", "format": "csv"})).await;
    assert_eq!(names(&csv_rows(&bytes)), ["张三", "李四", "赵六"]);

    // Someone else's export is not found, nor its file; an administrator reads it.
    let rep_export = start(&rep_api, json!({"object": "leads", "format": "xlsx"})).await;
    env.run_jobs().await;
    for path in [rep_export.clone(), format!("{rep_export}/file")] {
        assert_eq!(
            boss_api.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let admin_api = env.api(&env.token(&c.admin).await);
    assert_eq!(admin_api.get(&rep_export).await.status, StatusCode::OK);
    let mine = rep_api.get("/api/v1/exports").await.json();
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(2), "{mine}");

    // Each export is audited: who, what, how many rows.
    let mut tx = env.app.db.begin_read().await.expect("tx");
    let filter = store::audit::AuditFilter {
        objects: vec!["export".into()],
        ..Default::default()
    };
    let rows = store::audit::list(&mut tx, c.tenant_id, &filter, None, 50)
        .await
        .expect("audit");
    assert_eq!(rows.len(), 3, "{rows:?}");
    let by_rep: Vec<_> = rows
        .iter()
        .filter(|r| r.actor_id == Some(rep.id()))
        .collect();
    assert_eq!(by_rep.len(), 2);
    assert!(by_rep
        .iter()
        .any(|r| r.detail.0["rows"] == 2 && r.detail.0["format"] == "csv"));
    assert!(by_rep.iter().all(|r| r.detail.0["object"] == "lead"));
}

async fn hide(env: &Env, c: &Company, role: &str, keys: &[&str]) {
    let role_id = env.role_id(c, role).await;
    let rules: Vec<_> = keys
        .iter()
        .map(|k| (role_id, k.to_string(), Some(FieldAccess::Hidden)))
        .collect();
    app::customize::set_field_access(&env.app, &c.admin, ObjectKind::Lead, &rules)
        .await
        .expect("hide fields");
}

async fn fields_hidden_from_the_role_are_not_exported(env: Env) {
    let c = env.company("导出公司", "admin@a.example").await;
    let manager = env
        .user(&c, "boss@a.example", "sales_manager", None, None)
        .await;
    lead(
        &env,
        &manager,
        &[
            ("name", "张三"),
            ("email", "zhang@secret.example"),
            ("company", "云帆"),
        ],
    )
    .await;
    let api = env.api(&env.token(&manager).await);
    let columns = json!(["email", "company"]);

    // Asked for while visible, hidden before the job runs: left out of the file.
    let url = start(
        &api,
        json!({"object": "leads", "format": "csv", "columns": columns}),
    )
    .await;
    hide(&env, &c, "sales_manager", &["email"]).await;
    env.run_jobs().await;
    let done = api.get(&url).await.json();
    let bytes = api.get(done["file"].as_str().expect("file")).await.bytes;
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("secret"), "{text}");
    assert_eq!(csv_rows(&bytes)[0], ["Name", "Company"]);

    // Asked for once hidden: an unknown column, nothing created.
    let r = api
        .post(
            "/api/v1/exports",
            json!({"object": "leads", "format": "xlsx", "columns": columns}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        field_codes(&r),
        [("columns".to_string(), "unknown_field".to_string())]
    );
    // Nor filtered on.
    let r = api
        .post(
            "/api/v1/exports",
            json!({"object": "leads", "format": "csv", "filter": ["email:eq:zhang@secret.example"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // The XLSX of the default columns has no e-mail either.
    let (_, bytes) = export(&env, &api, json!({"object": "leads", "format": "xlsx"})).await;
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a workbook");
    let range = book
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("readable");
    let cells: Vec<String> = range.cells().map(|(_, _, d)| d.to_string()).collect();
    assert!(cells.iter().all(|c| !c.contains("secret")), "{cells:?}");
    assert!(cells.contains(&"张三".to_string()), "{cells:?}");
}

async fn formulas_are_neutralised_in_csv_and_xlsx(env: Env) {
    let c = env.company("导出公司", "admin@a.example").await;
    let seats: domain::fields::FieldDef = serde_json::from_value(
        json!({"key": "seats", "label_zh": "席位数", "label_en": "Seats", "field_type": "number"}),
    )
    .expect("field");
    app::customize::add_field(&env.app, &c.admin, ObjectKind::Lead, seats)
        .await
        .expect("custom field");
    lead(
        &env,
        &c.admin,
        &[
            ("name", "=HYPERLINK(\"http://evil.example\",\"x\")"),
            ("company", "+SUM(1,2)"),
            ("city", "@cmd"),
            ("industry", "-2+3"),
            ("seats", "-5"),
        ],
    )
    .await;
    let api = env.api(&env.token(&c.admin).await);
    let columns = json!(["company", "city", "industry", "seats"]);
    let (_, bytes) = export(
        &env,
        &api,
        json!({"object": "leads", "format": "csv", "columns": columns}),
    )
    .await;
    let rows = csv_rows(&bytes);
    assert_eq!(
        rows[1],
        [
            "'=HYPERLINK(\"http://evil.example\",\"x\")",
            "'+SUM(1,2)",
            "'@cmd",
            "'-2+3",
            "-5"
        ]
    );

    let (_, bytes) = export(
        &env,
        &api,
        json!({"object": "leads", "format": "xlsx", "columns": columns}),
    )
    .await;
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a workbook");
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).expect("sheet");
    assert_eq!(range.get((0, 4)), Some(&Data::String("Seats".into())));
    assert_eq!(
        range.get((1, 0)),
        Some(&Data::String(
            "'=HYPERLINK(\"http://evil.example\",\"x\")".into()
        ))
    );
    assert_eq!(range.get((1, 1)), Some(&Data::String("'+SUM(1,2)".into())));
    assert_eq!(range.get((1, 2)), Some(&Data::String("'@cmd".into())));
    assert_eq!(range.get((1, 4)), Some(&Data::Float(-5.0)), "a number");
    let formulas = book.worksheet_formula(&sheet).expect("formulas");
    assert!(
        formulas.cells().all(|(_, _, f)| f.is_empty()),
        "no formula in the workbook"
    );
}

async fn filters_quick_filters_views_and_sort_are_respected(env: Env) {
    let c = env.company("导出公司", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    for (name, source, intent) in [
        ("Bravo", "web", "A"),
        ("Alpha", "web", "B"),
        ("Charlie", "phone", "A"),
        ("Delta", "web", "A"),
    ] {
        lead(
            &env,
            &c.admin,
            &[("name", name), ("source", source), ("intent", intent)],
        )
        .await;
    }
    lead(
        &env,
        &c.admin,
        &[
            ("name", "Echo"),
            ("source", "web"),
            ("owner_id", &rep.id().to_string()),
        ],
    )
    .await;
    let api = env.api(&env.token(&c.admin).await);
    let first_column = |bytes: &[u8]| -> Vec<String> {
        csv_rows(bytes)[1..].iter().map(|r| r[0].clone()).collect()
    };
    let (_, bytes) = export(
        &env,
        &api,
        json!({"object": "leads", "format": "csv", "filter": ["source:eq:web"], "sort": "name"}),
    )
    .await;
    assert_eq!(first_column(&bytes), ["Alpha", "Bravo", "Delta", "Echo"]);
    let (_, bytes) = export(
        &env,
        &api,
        json!({"object": "leads", "format": "csv", "filter": "source:eq:web", "intent": "A", "sort": "-name"}),
    )
    .await;
    assert_eq!(first_column(&bytes), ["Delta", "Bravo"], "a quick filter");
    // A built-in view: the admin's own leads only.
    let (done, bytes) = export(
        &env,
        &api,
        json!({"object": "leads", "format": "csv", "view": "mine", "sort": "name"}),
    )
    .await;
    assert_eq!(first_column(&bytes), ["Alpha", "Bravo", "Charlie", "Delta"]);
    assert_eq!(done["view"], "mine");
    // A quick search.
    let (_, bytes) = export(
        &env,
        &api,
        json!({"object": "leads", "format": "csv", "q": "Charlie"}),
    )
    .await;
    assert_eq!(first_column(&bytes), ["Charlie"]);
}

async fn bad_requests_are_refused_and_create_nothing(env: Env) {
    let c = env.company("导出公司", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let refused = [
        (
            json!({"object": "planets", "format": "csv"}),
            "object",
            "unknown_object",
        ),
        (json!({"format": "csv"}), "object", "unknown_object"),
        (
            json!({"object": "leads", "format": "pdf"}),
            "format",
            "invalid_choice",
        ),
        (json!({"object": "leads"}), "format", "required"),
        (
            json!({"object": "leads", "format": "csv", "view": "nope"}),
            "view",
            "invalid_choice",
        ),
        (
            json!({"object": "leads", "format": "csv", "view": uuid::Uuid::now_v7().to_string()}),
            "view",
            "invalid_choice",
        ),
        (
            json!({"object": "leads", "format": "csv", "filter": ["planet:eq:mars"]}),
            "filter.planet",
            "unknown_field",
        ),
        (
            json!({"object": "leads", "format": "csv", "sort": "-planet"}),
            "sort",
            "invalid_choice",
        ),
        (
            json!({"object": "leads", "format": "csv", "colour": "red"}),
            "colour",
            "unknown_field",
        ),
        (
            json!({"object": "leads", "format": "csv", "columns": ["planet"]}),
            "columns",
            "unknown_field",
        ),
        (
            json!({"object": "leads", "format": 7}),
            "format",
            "wrong_type",
        ),
    ];
    for (body, field, code) in refused {
        let r = api.post("/api/v1/exports", body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert!(
            field_codes(&r).contains(&(field.to_string(), code.to_string())),
            "{body}: {}",
            r.body
        );
        assert!(!r.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty());
    }
    // Messages follow the caller's language.
    let r = api
        .call(
            axum::http::Method::POST,
            "/api/v1/exports",
            Some(json!({"object": "leads", "format": "pdf"})),
            &[("accept-language", "zh-CN")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = r.json()["error"]["fields"][0]["message"].to_string();
    assert!(
        message
            .chars()
            .any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)),
        "{message}"
    );
    let mine = api.get("/api/v1/exports").await.json();
    assert_eq!(mine["items"], json!([]), "nothing created");
    assert_eq!(env.run_jobs().await, 0, "no job queued");

    for path in [
        format!("/api/v1/exports/{}", uuid::Uuid::now_v7()),
        format!("/api/v1/exports/{}/file", uuid::Uuid::now_v7()),
        "/api/v1/exports/not-an-id".to_string(),
    ] {
        assert_eq!(api.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // The file of an export still running is not ready.
    let url = start(&api, json!({"object": "accounts", "format": "csv"})).await;
    let r = api.get(&format!("{url}/file")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "export_not_ready");
}

async fn a_deactivated_users_export_fails_cleanly(env: Env) {
    let c = env.company("导出公司", "admin@a.example").await;
    let manager = env
        .user(&c, "boss@a.example", "sales_manager", None, None)
        .await;
    lead(&env, &manager, &[("name", "张三")]).await;
    let api = env.api(&env.token(&manager).await);
    let url = start(&api, json!({"object": "leads", "format": "csv"})).await;
    let u = app::org::get_user(&env.app, &c.admin, manager.id())
        .await
        .expect("user");
    app::org::update_user(
        &env.app,
        &c.admin,
        u.id,
        u.version,
        app::org::UserInput {
            email: u.email.clone(),
            name: u.name.clone(),
            password: None,
            role_id: Some(u.role_id),
            department_id: None,
            manager_id: None,
            active: false,
            locale: None,
        },
    )
    .await
    .expect("deactivate");
    env.run_jobs().await;
    let admin_api = env.api(&env.token(&c.admin).await);
    let seen = admin_api.get(&url).await.json();
    assert_eq!(seen["state"], "failed", "{seen}");
    assert_eq!(seen["error"], "user_inactive");
    assert_eq!(seen["file"], Value::Null);
    let r = admin_api.get(&format!("{url}/file")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // The job itself ended (no retries of a refusal).
    assert_eq!(env.run_jobs().await, 0);
}

async fn old_exports_are_removed_by_the_housekeeping(env: Env) {
    let c = env.company("导出公司", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let (done, _) = export(&env, &api, json!({"object": "leads", "format": "xlsx"})).await;
    let url = done["url"].as_str().expect("url").to_string();
    env.clock
        .advance(chrono::Duration::days(app::exports::RETENTION_DAYS - 1));
    env.run_scheduled_jobs().await;
    assert_eq!(api.get(&url).await.status, StatusCode::OK, "kept a while");
    env.clock.advance(chrono::Duration::days(2));
    env.run_scheduled_jobs().await;
    assert_eq!(
        api.get(&url).await.status,
        StatusCode::NOT_FOUND,
        "then removed"
    );
    assert_eq!(
        api.get(&format!("{url}/file")).await.status,
        StatusCode::NOT_FOUND
    );
}
