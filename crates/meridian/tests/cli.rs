//! The command line as an operator uses it: set-up from the shell, tokens, backups, and all of
//! it while the server runs. On SQLite always; on PostgreSQL when MERIDIAN_TEST_POSTGRES_URL
//! names an admin connection (required under CI=true).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_meridian");

/// Where a test's data lives: a temp folder (SQLite) or a fresh PostgreSQL database.
struct Target {
    dir: PathBuf,
    database_url: Option<String>,
    admin_url: Option<String>,
    db_name: String,
}

impl Target {
    fn sqlite(name: &str) -> Target {
        let dir = std::env::temp_dir().join(format!("meridian-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Target {
            dir,
            database_url: None,
            admin_url: None,
            db_name: String::new(),
        }
    }

    fn postgres(name: &str) -> Option<Target> {
        let Some(admin_url) = std::env::var("MERIDIAN_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "CI=true but MERIDIAN_TEST_POSTGRES_URL is not set"
            );
            eprintln!("SKIPPED on PostgreSQL: set MERIDIAN_TEST_POSTGRES_URL to run it");
            return None;
        };
        let db_name = format!("meridian_cli_{name}_{}", std::process::id());
        psql(&admin_url, &format!("DROP DATABASE IF EXISTS {db_name}"));
        psql(&admin_url, &format!("CREATE DATABASE {db_name}"));
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or(admin_url.clone());
        let mut t = Target::sqlite(&format!("{name}-pg"));
        t.database_url = Some(format!("{base}/{db_name}"));
        t.admin_url = Some(admin_url);
        t.db_name = db_name;
        Some(t)
    }

    fn args(&self) -> Vec<String> {
        match &self.database_url {
            Some(url) => vec!["--database-url".into(), url.clone()],
            None => vec!["--data-dir".into(), self.dir.display().to_string()],
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(self.args());
        Command::new(BIN)
            .args(&all)
            .env_remove("MERIDIAN_DATABASE_URL")
            .output()
            .expect("run meridian")
    }

    fn run_ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "meridian {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(admin) = &self.admin_url {
            psql(
                admin,
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.db_name),
            );
        }
    }
}

fn psql(url: &str, sql: &str) {
    let status = Command::new("psql")
        .args([url, "-q", "-c", sql])
        .stdout(Stdio::null())
        .status()
        .expect("psql runs");
    assert!(status.success(), "psql {sql}");
}

struct Server(Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn serve(target: &Target) -> Server {
    let port = free_port();
    let mut args = vec![
        "serve".to_string(),
        "--listen".into(),
        format!("127.0.0.1:{port}"),
    ];
    args.extend(target.args());
    let child = Command::new(BIN)
        .args(&args)
        .env_remove("MERIDIAN_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server");
    let server = Server(child, port);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if http(port, "GET", "/healthz", None).starts_with("HTTP/1.1 200") {
            return server;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("server did not become healthy");
}

/// A minimal HTTP/1.1 request over loopback; returns the raw response.
fn http(port: u16, method: &str, path: &str, bearer: Option<&str>) -> String {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let auth = bearer
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return String::new();
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

fn operator_workflow(target: Target) {
    // With no company yet, the first user founds it and becomes its administrator.
    let out = target.run_ok(&[
        "admin",
        "user",
        "create",
        "--email",
        "Boss@Example.com",
        "--password",
        "secret123",
        "--name",
        "王总",
        "--company",
        "华南机械",
    ]);
    assert!(out.contains("created company 华南机械"), "{out}");
    // Bad input is refused with a reason and changes nothing.
    let bad = target.run(&[
        "admin",
        "user",
        "create",
        "--email",
        "not-an-email",
        "--password",
        "short",
    ]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("email: invalid_email") && err.contains("password: password_too_short"),
        "{err}"
    );

    // Everything else works while the server runs.
    let server = serve(&target);
    let out = target.run_ok(&[
        "admin",
        "user",
        "create",
        "--email",
        "rep@example.com",
        "--password",
        "secret123",
        "--role",
        "sales_rep",
        "--department",
        "华南大区",
    ]);
    assert!(out.contains("created user rep@example.com"), "{out}");
    let dup = target.run(&[
        "admin",
        "user",
        "create",
        "--email",
        "REP@example.com",
        "--password",
        "secret123",
    ]);
    assert!(String::from_utf8_lossy(&dup.stderr).contains("email_taken"));
    let token = target
        .run_ok(&[
            "admin",
            "token",
            "create",
            "--email",
            "rep@example.com",
            "--name",
            "erp sync",
        ])
        .trim()
        .to_string();
    assert!(token.starts_with("mrd_"), "{token}");
    let me = http(server.1, "GET", "/api/v1/me", Some(&token));
    assert!(
        me.starts_with("HTTP/1.1 200") && me.contains("rep@example.com"),
        "{me}"
    );
    assert!(http(server.1, "GET", "/api/v1/me", Some("mrd_nope")).starts_with("HTTP/1.1 401"));
    // `meridian openapi` prints the document the server gives a caller without custom fields
    // (the one scripts/test validates).
    let printed = Command::new(BIN).arg("openapi").output().expect("run");
    assert!(printed.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&printed.stdout).expect("JSON");
    let served = http(server.1, "GET", "/api/v1/openapi.json", None);
    let (head, body) = served.split_once("\r\n\r\n").expect("a response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let served: serde_json::Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(printed["openapi"], "3.1.0");
    assert_eq!(printed, served);
    let unknown = target.run(&[
        "admin",
        "token",
        "create",
        "--email",
        "ghost@example.com",
        "--name",
        "x",
    ]);
    assert!(!unknown.status.success());

    target.run_ok(&[
        "admin",
        "user",
        "reset-password",
        "--email",
        "rep@example.com",
        "--password",
        "another secret",
    ]);

    // An online backup of SQLite; PostgreSQL points to pg_dump.
    let backup = target.dir.join("backup.db");
    std::fs::create_dir_all(&target.dir).expect("dir");
    let out = target.run(&["backup", "--out", &backup.display().to_string()]);
    if target.database_url.is_none() {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_backup_has_users(&backup);
        // Never overwrites.
        assert!(!target
            .run(&["backup", "--out", &backup.display().to_string()])
            .status
            .success());
    } else {
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
    }
    drop(server);
}

fn assert_backup_has_users(path: &Path) {
    let copy = Target::sqlite("restored");
    std::fs::create_dir_all(&copy.dir).expect("dir");
    std::fs::copy(path, copy.dir.join("meridian.db")).expect("copy backup");
    // The copy is a working database: a token can be made from it for a user it contains.
    let token = copy.run_ok(&[
        "admin",
        "token",
        "create",
        "--email",
        "boss@example.com",
        "--name",
        "restore check",
    ]);
    assert!(token.trim().starts_with("mrd_"));
}

#[test]
fn operator_workflow_on_sqlite() {
    operator_workflow(Target::sqlite("ops"));
}

#[test]
fn operator_workflow_on_postgres() {
    if let Some(target) = Target::postgres("ops") {
        operator_workflow(target);
    }
}

#[test]
fn serve_rejects_a_bad_database_url() {
    let out = Command::new(BIN)
        .args(["migrate", "--database-url", "mysql://nope"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL"));
}
