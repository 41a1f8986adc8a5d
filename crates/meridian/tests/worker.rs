//! `meridian worker` runs the background jobs alone (beside `serve --no-worker`): it builds a
//! custom field's index that an administrator asked for, and stops cleanly on SIGTERM. On
//! SQLite always; on PostgreSQL when MERIDIAN_TEST_POSTGRES_URL names an admin connection.

use app::{Actor, App};
use domain::permissions::ObjectKind;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use store::Db;

mod common;

use common::{Target, BIN};

const EMAIL: &str = "boss@example.com";

async fn open(target: &Target) -> App {
    let db = match &target.database_url {
        Some(url) => Db::open_url(url).await,
        None => Db::open_sqlite_dir(&target.dir).await,
    }
    .expect("open the database");
    App::new(db)
}

async fn state_of(app: &App, tenant_id: uuid::Uuid, id: uuid::Uuid) -> String {
    let mut tx = app.db.begin_read().await.expect("tx");
    store::jobs::get(&mut tx, tenant_id, id)
        .await
        .expect("get job")
        .expect("job exists")
        .state
}

fn worker_alone_runs_jobs_and_stops_on_sigterm(target: Target) {
    target.run_ok(&[
        "admin",
        "user",
        "create",
        "--email",
        EMAIL,
        "--password",
        "secret123",
    ]);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (app, tenant_id, job) = rt.block_on(async {
        let app = open(&target).await;
        let mut tx = app.db.begin_read().await.expect("tx");
        let user = store::org::find_login(&mut tx, EMAIL)
            .await
            .expect("find login")
            .expect("user");
        drop(tx);
        let admin = Actor::from_user(user);
        let def = serde_json::from_value(serde_json::json!({"key": "tier", "label_zh": "层级", "label_en": "Tier", "field_type": "text"}))
            .expect("definition");
        app::customize::add_field(&app, &admin, ObjectKind::Contact, def)
            .await
            .expect("add field");
        let job = app::customize::index_field(&app, &admin, ObjectKind::Contact, "tier")
            .await
            .expect("enqueue the index build");
        (app, admin.tenant_id(), job)
    });

    let mut args = vec!["worker".to_string()];
    args.extend(target.args());
    let mut worker = common::Server(
        Command::new(BIN)
            .args(&args)
            .env_remove("MERIDIAN_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the worker"),
        0,
    );
    // Waits for the other process, not for a time-based rule.
    let started = Instant::now();
    let mut state = String::new();
    while started.elapsed() < Duration::from_secs(30) {
        state = rt.block_on(state_of(&app, tenant_id, job));
        if state == "done" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(state, "done", "the worker ran the index build");
    let indexed = rt.block_on(async {
        let mut tx = app.db.begin_read().await.expect("tx");
        store::custom_fields::list_from_database(&mut tx, tenant_id, ObjectKind::Contact)
            .await
            .expect("fields")
            .into_iter()
            .find(|f| f.def.key == "tier")
            .and_then(|f| f.index_name)
    });
    assert_eq!(indexed.as_deref(), Some("cf_contacts_tier"));

    let pid = worker.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = worker.0.wait().expect("the worker exits");
    assert!(status.success(), "the worker stopped cleanly: {status}");
    rt.block_on(app.db.close());
}

on_both_databases!(worker_alone, worker_alone_runs_jobs_and_stops_on_sigterm);
