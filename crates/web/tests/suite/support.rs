//! Test harness: every scenario runs on a fresh SQLite database and on a fresh PostgreSQL
//! database. PostgreSQL comes from `MERIDIAN_TEST_POSTGRES_URL` (an admin connection URL);
//! without it the PostgreSQL half is skipped with a message, except under `CI=true`, where
//! it fails.

use app::clock::ManualClock;
use app::{Actor, App};
use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use std::future::Future;
use std::sync::Arc;
use store::Db;
use tower::ServiceExt;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct Env {
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub router: Router,
}

fn postgres_admin_url() -> Option<String> {
    std::env::var("MERIDIAN_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Runs one scenario on a fresh database of the given backend.
pub async fn run<F, Fut>(backend: Backend, scenario: F)
where
    F: FnOnce(Env) -> Fut,
    Fut: Future<Output = ()>,
{
    let (db, cleanup) = match backend {
        Backend::Sqlite => {
            let path =
                std::env::temp_dir().join(format!("meridian-test-{}.db", Uuid::now_v7().simple()));
            let db = Db::open_sqlite_file(&path).await.expect("open sqlite");
            (db, Cleanup::Sqlite(path))
        }
        Backend::Postgres => {
            let Some(admin_url) = postgres_admin_url() else {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("CI=true but MERIDIAN_TEST_POSTGRES_URL is not set: the PostgreSQL half of the suite must run in CI");
                }
                eprintln!("SKIPPED on PostgreSQL: set MERIDIAN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres to run it");
                return;
            };
            let name = format!("meridian_test_{}", Uuid::now_v7().simple());
            let admin = Db::open_postgres(&admin_url)
                .await
                .expect("connect to PostgreSQL");
            if let Db::Postgres(pool) = &admin {
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(pool)
                    .await
                    .expect("create test database");
            }
            let url = replace_database(&admin_url, &name);
            let db = Db::open_postgres(&url)
                .await
                .expect("connect to test database");
            (db, Cleanup::Postgres { admin, name })
        }
    };
    db.migrate().await.expect("migrations apply");
    scenario(Env::on(db.clone())).await;
    db.close().await;
    cleanup.run().await;
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

enum Cleanup {
    Sqlite(std::path::PathBuf),
    Postgres { admin: Db, name: String },
}

impl Cleanup {
    async fn run(self) {
        match self {
            Cleanup::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin, name } => {
                if let Db::Postgres(pool) = &admin {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(pool)
                        .await;
                }
                admin.close().await;
            }
        }
    }
}

/// Declares a scenario `async fn name(env: Env)` as two tests, `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::support::run($crate::support::Backend::Sqlite, super::$name).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::support::run($crate::support::Backend::Postgres, super::$name).await
                }
            }
        )*
    };
}

pub const PASSWORD: &str = "correct horse";

/// A company with its administrator.
pub struct Company {
    pub tenant_id: Uuid,
    pub admin: Actor,
}

impl Env {
    /// The application on a migrated database, with a manual clock.
    pub fn on(db: Db) -> Env {
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
                .single()
                .expect("valid time"),
        ));
        let app = App::with_clock(db, clock.clone());
        let router = web::router(web::AppState::new(app.clone(), false));
        Env { app, clock, router }
    }

    /// Runs the due background jobs (every built-in kind; the recurring schedules, which
    /// their own tests drive, are left out) until none is left; how many ran.
    /// Runs the due jobs with every built-in schedule too (the daily and per-minute ones).
    pub async fn run_scheduled_jobs(&self) -> usize {
        app::jobs::Worker::new(self.app.clone(), web::mail::job_registry())
            .run_until_idle()
            .await
            .expect("jobs run")
    }

    pub async fn run_jobs(&self) -> usize {
        let registry = web::mail::job_registry().without_schedules();
        app::jobs::Worker::new(self.app.clone(), registry)
            .run_until_idle()
            .await
            .expect("jobs run")
    }

    pub async fn company(&self, name: &str, admin_email: &str) -> Company {
        let created = app::auth::create_company(
            &self.app,
            app::auth::SetupInput {
                company: name.into(),
                admin_name: format!("{name} admin"),
                email: admin_email.into(),
                password: PASSWORD.into(),
                locale: "zh-CN".into(),
            },
            false,
        )
        .await
        .expect("create company");
        Company {
            tenant_id: created.tenant_id,
            admin: self.actor(created.tenant_id, created.user_id).await,
        }
    }

    pub async fn actor(&self, tenant_id: Uuid, user_id: Uuid) -> Actor {
        let mut tx = self.app.db.begin_read().await.expect("tx");
        let user = store::org::get_user(&mut tx, tenant_id, user_id)
            .await
            .expect("get user")
            .expect("user exists");
        app::sharing::actor(&mut tx, user).await.expect("grants")
    }

    pub async fn role_id(&self, company: &Company, key: &str) -> Uuid {
        let mut tx = self.app.db.begin_read().await.expect("tx");
        store::org::find_role(&mut tx, company.tenant_id, key)
            .await
            .expect("role")
            .expect("role exists")
            .id
    }

    /// Creates a user with a default role key, department and manager.
    pub async fn user(
        &self,
        company: &Company,
        email: &str,
        role: &str,
        department: Option<Uuid>,
        manager: Option<Uuid>,
    ) -> Actor {
        let role_id = self.role_id(company, role).await;
        let id = app::org::create_user(
            &self.app,
            &company.admin,
            app::org::UserInput {
                email: email.into(),
                name: email.split('@').next().unwrap_or(email).into(),
                password: Some(PASSWORD.into()),
                role_id: Some(role_id),
                department_id: department,
                manager_id: manager,
                active: true,
                locale: None,
            },
        )
        .await
        .expect("create user");
        self.actor(company.tenant_id, id).await
    }

    /// A sales team of two departments: a manager (boss@a.example) over a rep (rep@a.example)
    /// in 华东, and another rep (other@a.example) in 华西 whom neither may see.
    pub async fn two_teams(&self, company: &Company) -> Teams {
        let east = self.department(company, "华东", None).await;
        let west = self.department(company, "华西", None).await;
        let manager = self
            .user(company, "boss@a.example", "sales_manager", Some(east), None)
            .await;
        let rep = self
            .user(
                company,
                "rep@a.example",
                "sales_rep",
                Some(east),
                Some(manager.id()),
            )
            .await;
        let other = self
            .user(company, "other@a.example", "sales_rep", Some(west), None)
            .await;
        Teams {
            manager,
            rep,
            other,
        }
    }

    pub async fn department(&self, company: &Company, name: &str, parent: Option<Uuid>) -> Uuid {
        app::org::create_department(&self.app, &company.admin, name, parent)
            .await
            .expect("create department")
    }

    pub async fn account(&self, actor: &Actor, name: &str) -> crate::account_fixture::Account {
        let input = crate::account_fixture::AccountInput {
            name: Some(name.into()),
            ..Default::default()
        };
        crate::account_fixture::create(&self.app, actor, &input)
            .await
            .expect("create account")
    }

    pub async fn token(&self, actor: &Actor) -> String {
        app::auth::create_token(&self.app, actor.tenant_id(), actor.id(), "test")
            .await
            .expect("token")
            .1
    }

    pub fn browser(&self) -> Browser {
        Browser {
            router: self.router.clone(),
            cookies: Vec::new(),
            accept_language: "zh-CN".into(),
        }
    }

    pub fn api(&self, token: &str) -> Api {
        Api {
            router: self.router.clone(),
            token: token.to_string(),
        }
    }

    /// Number of accounts in a company, straight from the database.
    pub async fn account_count(&self, tenant_id: Uuid) -> i64 {
        let mut tx = self.app.db.begin_read().await.expect("tx");
        let admin = {
            let users = store::org::list_users(&mut tx, tenant_id, 1000)
                .await
                .expect("users");
            Actor::from_user(
                users
                    .into_iter()
                    .find(|u| u.permissions.0.read_all())
                    .expect("an admin"),
            )
        };
        let params = crate::account_fixture::ListParams {
            limit: Some("200".into()),
            ..Default::default()
        };
        drop(tx);
        crate::account_fixture::list(&self.app, &admin, &params)
            .await
            .expect("list")
            .items
            .len() as i64
    }
}

trait ReadAll {
    fn read_all(&self) -> bool;
}

impl ReadAll for domain::permissions::RolePermissions {
    fn read_all(&self) -> bool {
        self.grant(domain::permissions::ObjectKind::Account)
            .is_some_and(|g| g.scope == domain::permissions::DataScope::All)
    }
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as sent (a downloaded workbook is not text).
    pub bytes: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    #[track_caller]
    pub fn assert_contains(&self, text: &str) {
        assert!(
            self.body.contains(text),
            "expected {text:?} in the response ({}):\n{}",
            self.status,
            self.body
        );
    }
}

pub async fn send(router: &Router, request: Request<Body>) -> Response {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes: bytes.to_vec(),
    }
}

/// A browser: keeps cookies, sends the CSRF token with forms.
pub struct Browser {
    router: Router,
    cookies: Vec<(String, String)>,
    pub accept_language: String,
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(header::SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let Ok(cookie) = cookie::Cookie::parse(text.to_string()) else {
                continue;
            };
            self.cookies.retain(|(k, _)| k != cookie.name());
            if !cookie.value().is_empty() {
                self.cookies
                    .push((cookie.name().to_string(), cookie.value().to_string()));
            }
        }
    }

    pub fn csrf(&self) -> String {
        self.cookies
            .iter()
            .find(|(k, _)| k == "meridian_csrf")
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub async fn get(&mut self, path: &str) -> Response {
        let request = Request::builder()
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::ACCEPT_LANGUAGE, &self.accept_language)
            .body(Body::empty())
            .expect("request");
        let response = send(&self.router, request).await;
        self.keep_cookies(&response.headers);
        response
    }

    /// A GET as htmx sends it (`HX-Request`), for fragments.
    pub async fn get_htmx(&mut self, path: &str) -> Response {
        let request = Request::builder()
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::ACCEPT_LANGUAGE, &self.accept_language)
            .header("HX-Request", "true")
            .body(Body::empty())
            .expect("request");
        let response = send(&self.router, request).await;
        self.keep_cookies(&response.headers);
        response
    }

    /// Posts a form with the CSRF token added.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        if self.csrf().is_empty() {
            self.get("/login").await;
        }
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
        all.extend_from_slice(fields);
        self.post_raw(path, &serde_urlencoded::to_string(&all).expect("form"))
            .await
    }

    /// Posts a form asking for JSON (as the board's script does), the CSRF token added.
    pub async fn post_accepting_json(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
        all.extend_from_slice(fields);
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::ACCEPT_LANGUAGE, &self.accept_language)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(serde_urlencoded::to_string(&all).expect("form")))
            .expect("request");
        let response = send(&self.router, request).await;
        self.keep_cookies(&response.headers);
        response
    }

    /// Posts a raw form body exactly as given (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, body: &str) -> Response {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::ACCEPT_LANGUAGE, &self.accept_language)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_string()))
            .expect("request");
        let response = send(&self.router, request).await;
        self.keep_cookies(&response.headers);
        response
    }

    /// Posts a multipart body as a file form does, `token` as the CSRF token in the action's
    /// query (the form's own: [`Browser::csrf`]).
    pub async fn post_multipart(
        &mut self,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Response {
        let path = format!("{path}?csrf_token={token}");
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::ACCEPT_LANGUAGE, &self.accept_language)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request");
        let response = send(&self.router, request).await;
        self.keep_cookies(&response.headers);
        response
    }

    /// The same browser (cookies and all) in front of another router.
    pub fn on_router(&self, router: Router) -> Browser {
        Browser {
            router,
            cookies: self.cookies.clone(),
            accept_language: self.accept_language.clone(),
        }
    }

    pub async fn login(&mut self, email: &str) -> Response {
        self.get("/login").await;
        let response = self
            .post("/login", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(
            response.status,
            StatusCode::SEE_OTHER,
            "login of {email} failed: {}",
            response.body
        );
        response
    }
}

/// An API client with a bearer token.
pub struct Api {
    router: Router,
    token: String,
}

impl Api {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token));
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let body = match body {
            Some(json) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        send(&self.router, builder.body(body).expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.call(Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> Response {
        self.call(Method::POST, path, Some(body), &[]).await
    }

    pub async fn patch(&self, path: &str, body: serde_json::Value, if_match: &str) -> Response {
        self.call(Method::PATCH, path, Some(body), &[("if-match", if_match)])
            .await
    }

    /// Sends `body` as it is, with its content type.
    pub async fn bytes(&self, path: &str, content_type: &str, body: Vec<u8>) -> Response {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request");
        send(&self.router, request).await
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> Response {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_string()))
            .expect("request");
        send(&self.router, request).await
    }
}

/// A second pool on the same database, as another server process would have.
pub async fn second_pool(db: &Db) -> Db {
    match db {
        Db::Postgres(pool) => Db::Postgres(
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(8)
                .connect_with((*pool.connect_options()).clone())
                .await
                .expect("second pool"),
        ),
        Db::Sqlite(s) => {
            let path = s.writer.connect_options().get_filename().to_path_buf();
            Db::open_sqlite_file(&path).await.expect("second pool")
        }
    }
}

/// The (field, code) pairs of an error answer's field errors.
pub fn field_codes(r: &Response) -> Vec<(String, String)> {
    r.json()["error"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["field"].as_str().unwrap_or_default().to_string(),
                        f["code"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The people of [`Env::two_teams`].
pub struct Teams {
    pub manager: Actor,
    pub rep: Actor,
    pub other: Actor,
}
