//! What the binary's tests share: a database to run on (a temp folder for SQLite, a fresh
//! PostgreSQL database), the server as a child process, and HTTP over loopback.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Declares `$name::sqlite` and `$name::postgres`, running `$scenario` on a fresh target of each.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                super::$scenario(super::common::Target::sqlite(stringify!($name)));
            }
            #[test]
            fn postgres() {
                if let Some(target) = super::common::Target::postgres(stringify!($name)) {
                    super::$scenario(target);
                }
            }
        }
    };
}

pub const BIN: &str = env!("CARGO_BIN_EXE_meridian");

/// Where a test's data lives: a temp folder (SQLite) or a fresh PostgreSQL database.
pub struct Target {
    pub dir: PathBuf,
    pub database_url: Option<String>,
    admin_url: Option<String>,
    db_name: String,
}

impl Target {
    pub fn sqlite(name: &str) -> Target {
        let dir = std::env::temp_dir().join(format!("meridian-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Target {
            dir,
            database_url: None,
            admin_url: None,
            db_name: String::new(),
        }
    }

    pub fn postgres(name: &str) -> Option<Target> {
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

    pub fn args(&self) -> Vec<String> {
        match &self.database_url {
            Some(url) => vec!["--database-url".into(), url.clone()],
            None => vec!["--data-dir".into(), self.dir.display().to_string()],
        }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(self.args());
        Command::new(BIN)
            .args(&all)
            .env_remove("MERIDIAN_DATABASE_URL")
            .output()
            .expect("run meridian")
    }

    pub fn run_ok(&self, args: &[&str]) -> String {
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

pub fn psql(url: &str, sql: &str) {
    let status = Command::new("psql")
        .args([url, "-q", "-c", sql])
        .stdout(Stdio::null())
        .status()
        .expect("psql runs");
    assert!(status.success(), "psql {sql}");
}

pub struct Server(pub Child, pub u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub fn serve(target: &Target) -> Server {
    serve_with(target, &[], Stdio::null())
}

/// Starts `meridian serve` with extra arguments and where its log goes; returns once it
/// answers `/healthz`.
pub fn serve_with(target: &Target, extra: &[&str], log: Stdio) -> Server {
    let port = free_port();
    let mut args = vec![
        "serve".to_string(),
        "--listen".into(),
        format!("127.0.0.1:{port}"),
    ];
    args.extend(target.args());
    args.extend(extra.iter().map(|s| s.to_string()));
    let child = Command::new(BIN)
        .args(&args)
        .env_remove("MERIDIAN_DATABASE_URL")
        .stdout(log)
        .stderr(Stdio::null())
        .spawn()
        .expect("start server");
    let mut server = Server(child, port);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if http(port, "GET", "/healthz", None).starts_with("HTTP/1.1 200") {
            return server;
        }
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("meridian serve {extra:?} exited: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("server did not become healthy");
}

/// A minimal HTTP/1.1 request over loopback; returns the raw response.
pub fn http(port: u16, method: &str, path: &str, bearer: Option<&str>) -> String {
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

/// An HTTP answer: status, head (status line and headers) and body.
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One request on its own connection; `None` when no complete answer came (the server was
/// down or died while answering).
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Option<Reply> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(body) = body {
        text.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    text.push_str("\r\n");
    text.push_str(body.unwrap_or_default());
    stream.write_all(text.as_bytes()).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let length: usize = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())?
    })?;
    // A connection cut short is no answer.
    (body.len() == length).then(|| Reply {
        status,
        head: head.to_string(),
        body: body.to_string(),
    })
}
