//! A full disk: writes answer 507 `storage_full` with `Retry-After` on pages and API, reads
//! keep working (API tokens too, whose last use cannot be recorded), the health checks say
//! writes fail, and once space is freed writes work again in the same process.
//! SQLite is filled for real, with a `max_page_count` every connection applies; PostgreSQL
//! gets its `disk_full` error from triggers.

use crate::support::{Api, Browser, Env};
use axum::http::{header, Method, StatusCode};
use serde_json::json;
use store::Db;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let path = std::env::temp_dir().join(format!(
        "meridian-full-{}.db",
        uuid::Uuid::now_v7().simple()
    ));
    let db = Db::open_sqlite_file(&path).await.expect("open sqlite");
    db.migrate().await.expect("migrate");
    let pages: i64 = match &db {
        Db::Sqlite(s) => sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&s.readers)
            .await
            .expect("page count"),
        Db::Postgres(_) => unreachable!("opened as SQLite"),
    };
    db.close().await;
    // Room for the company and a sign-in, then the "disk" is full.
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .pragma("max_page_count", (pages + 40).to_string());
    let db = Db::open_sqlite_with(options).await.expect("open limited");
    full_disk(
        Env::on(db.clone()),
        |_| async {},
        |db| async move {
            if let Db::Sqlite(s) = &db {
                sqlx::query("PRAGMA max_page_count = 1000000")
                    .execute(&s.writer)
                    .await
                    .expect("raise the limit");
            }
        },
    )
    .await;
    db.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    crate::support::run(crate::support::Backend::Postgres, |env| async move {
        full_disk(
            env,
            |db| async move { pg(&db, FILL).await },
            |db| async move { pg(&db, FREE).await },
        )
        .await
    })
    .await
}

/// What PostgreSQL answers when it cannot extend a file, on the tables a create, a health
/// probe and a token's last use write.
const FILL: &str = "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$;
CREATE TRIGGER disk_full BEFORE INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION disk_full();
CREATE TRIGGER disk_full BEFORE INSERT ON health_probe FOR EACH ROW EXECUTE FUNCTION disk_full();
CREATE TRIGGER disk_full BEFORE UPDATE ON api_tokens FOR EACH ROW EXECUTE FUNCTION disk_full();";
const FREE: &str = "DROP FUNCTION disk_full() CASCADE";

async fn pg(db: &Db, sql: &str) {
    if let Db::Postgres(pool) = db {
        sqlx::raw_sql(sql).execute(pool).await.expect("triggers");
    }
}

async fn full_disk<F, FF, G, GF>(env: Env, fill: F, free: G)
where
    F: FnOnce(Db) -> FF,
    FF: std::future::Future<Output = ()>,
    G: FnOnce(Db) -> GF,
    GF: std::future::Future<Output = ()>,
{
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let mut browser = env.browser();
    browser.login("admin@a.example").await;
    assert_eq!(api.get("/api/v1/accounts").await.status, StatusCode::OK);
    fill(env.app.db.clone()).await;
    // Create until the disk is full.
    let mut created = 0;
    let full = loop {
        let r = api
            .post(
                "/api/v1/accounts",
                json!({"name": format!("客户{created}号")}),
            )
            .await;
        if r.status != StatusCode::CREATED {
            break r;
        }
        created += 1;
        assert!(created < 2000, "the disk never filled");
    };
    assert_full(&full, "The server's storage is full");
    // Every later write is refused the same way, not with an internal error.
    for _ in 0..3 {
        let r = api.post("/api/v1/accounts", json!({"name": "满了"})).await;
        assert_full(&r, "storage is full");
    }
    let zh = api
        .call(
            Method::POST,
            "/api/v1/accounts",
            Some(json!({"name": "满了"})),
            &[("accept-language", "zh-CN")],
        )
        .await;
    assert_full(&zh, "服务器存储空间已满");
    let page = browser.post("/accounts", &[("name", "满了")]).await;
    assert_eq!(
        page.status,
        StatusCode::INSUFFICIENT_STORAGE,
        "{}",
        page.body
    );
    assert!(page.headers.contains_key(header::RETRY_AFTER));
    page.assert_contains("服务器存储空间已满");
    // Reads keep working, also once the token's last use is due to be recorded again.
    reads_work(&api, &mut browser, created).await;
    env.clock.advance(chrono::Duration::minutes(5));
    reads_work(&api, &mut browser, created).await;
    health(
        &mut browser,
        StatusCode::SERVICE_UNAVAILABLE,
        "writes: failing: storage full",
    )
    .await;
    // Space is freed: writes work again without a restart.
    free(env.app.db.clone()).await;
    let r = api
        .post("/api/v1/accounts", json!({"name": "又能写了"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = browser.post("/accounts", &[("name", "页面也能写")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(stored_accounts(&env.app.db).await, created + 2);
    health(&mut browser, StatusCode::OK, "writes: ok").await;
}

#[track_caller]
fn assert_full(r: &crate::support::Response, message: &str) {
    assert_eq!(r.status, StatusCode::INSUFFICIENT_STORAGE, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "storage_full");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(message)),
        "{}",
        r.body
    );
    assert_eq!(r.headers[header::RETRY_AFTER], "60");
}

async fn stored_accounts(db: &Db) -> usize {
    let sql = "SELECT COUNT(*) FROM accounts";
    let n: i64 = match db {
        Db::Sqlite(s) => sqlx::query_scalar(sql).fetch_one(&s.readers).await,
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
    }
    .expect("count");
    usize::try_from(n).unwrap_or_default()
}

async fn reads_work(api: &Api, browser: &mut Browser, created: usize) {
    let list = api.get("/api/v1/accounts?limit=20").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(
        list.json()["items"].as_array().map(Vec::len),
        Some(created.min(20))
    );
    let page = browser.get("/accounts").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
}

async fn health(browser: &mut Browser, status: StatusCode, line: &str) {
    let r = browser.get("/healthz").await;
    assert_eq!(r.status, status, "{}", r.body);
    r.assert_contains("reads: ok");
    r.assert_contains(line);
    let ready = browser.get("/readyz").await;
    assert_eq!(ready.status, status, "{}", ready.body);
}

/// The WAL is copied back beside the writer, not inside a commit: the writer checkpoints only
/// past its large bound, and a checkpoint (what the background task runs) copies every frame
/// no reader needs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_checkpoints_run_beside_the_writer() {
    let path = std::env::temp_dir().join(format!(
        "meridian-checkpoint-{}.db",
        uuid::Uuid::now_v7().simple()
    ));
    let db = Db::open_sqlite_file(&path).await.expect("open sqlite");
    db.migrate().await.expect("migrate");
    let Db::Sqlite(s) = &db else {
        unreachable!("opened as SQLite")
    };
    let bound: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
        .fetch_one(&s.writer)
        .await
        .expect("writer's bound");
    assert_eq!(bound, 10_000);
    let env = Env::on(db.clone());
    env.company("检查点", "admin@checkpoint.example").await;
    let (frames, copied) = db.checkpoint().await.expect("checkpoint");
    assert_eq!(copied, frames, "no reader holds the WAL back");
    db.close().await;
    let _ = std::fs::remove_file(&path);
}
