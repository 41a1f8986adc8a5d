//! Faults met in operation, with the real binary: the server killed (`SIGKILL`) in the middle
//! of concurrent creates and updates and restarted, on SQLite and on PostgreSQL; slow, idle and
//! too many connections; the log written to a file.

mod common;

use common::{request, serve, serve_with, Reply, Server, Target};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A company with its administrator's API token, made from the shell.
fn company_token(target: &Target) -> String {
    target.run_ok(&[
        "admin",
        "user",
        "create",
        "--email",
        "boss@example.com",
        "--password",
        "secret123",
        "--company",
        "华南机械",
    ]);
    target
        .run_ok(&[
            "admin",
            "token",
            "create",
            "--email",
            "boss@example.com",
            "--name",
            "load",
        ])
        .trim()
        .to_string()
}

/// One create (with an idempotency key) and the update that follows it, as a client saw them.
#[derive(Debug, Clone)]
struct Attempt {
    key: String,
    body: String,
    /// The id, when the create was acknowledged.
    created: Option<String>,
    /// The update was sent, and whether it was acknowledged.
    update_sent: bool,
    updated: bool,
}

const THREADS: usize = 4;

fn call(
    port: u16,
    token: &str,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: Option<&str>,
) -> Option<Reply> {
    let auth = format!("Bearer {token}");
    let mut headers = vec![("Authorization", auth.as_str())];
    headers.extend_from_slice(extra);
    request(port, method, path, &headers, body)
}

/// The update of the test: grade A, from the first version.
fn grade_a(port: u16, token: &str, id: &str) -> Option<Reply> {
    call(
        port,
        token,
        "PATCH",
        &format!("/api/v1/accounts/{id}"),
        &[("If-Match", "\"1\"")],
        Some(r#"{"grade": "A"}"#),
    )
}

/// Clients create and update accounts until the server dies under them.
fn write_until_killed(mut server: Server, token: &str, round: usize) -> Vec<Attempt> {
    let port = server.1;
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (stop, acknowledged, attempts) =
                (stop.clone(), acknowledged.clone(), attempts.clone());
            let token = token.to_string();
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Acquire) {
                    let key = format!("r{round}-t{t}-{i}");
                    i += 1;
                    let body = serde_json::json!({ "name": key }).to_string();
                    let mut attempt = Attempt {
                        key: key.clone(),
                        body: body.clone(),
                        created: None,
                        update_sent: false,
                        updated: false,
                    };
                    let created = call(
                        port,
                        &token,
                        "POST",
                        "/api/v1/accounts",
                        &[("Idempotency-Key", &key)],
                        Some(&body),
                    );
                    if let Some(r) = &created {
                        assert_eq!(r.status, 201, "{}", r.body);
                        let id = r.json()["id"].as_str().map(str::to_string);
                        attempt.created = id.clone();
                        acknowledged.fetch_add(1, Ordering::AcqRel);
                        if let Some(id) = id {
                            attempt.update_sent = true;
                            let updated = grade_a(port, &token, &id);
                            if let Some(u) = updated {
                                assert_eq!(u.status, 200, "{}", u.body);
                                attempt.updated = true;
                                acknowledged.fetch_add(1, Ordering::AcqRel);
                            }
                        }
                    }
                    attempts.lock().expect("attempts").push(attempt);
                    if created.is_none() {
                        // The server is gone: this attempt is the one in flight.
                        break;
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    while acknowledged.load(Ordering::Acquire) < 40 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.0.kill().expect("SIGKILL the server");
    server.0.wait().expect("server ends");
    stop.store(true, Ordering::Release);
    for w in workers {
        w.join().expect("client thread");
    }
    let attempts = attempts.lock().expect("attempts").clone();
    attempts
}

/// All accounts, walking the list page by page: name → ids.
fn all_accounts(port: u16, token: &str) -> HashMap<String, Vec<serde_json::Value>> {
    let mut by_name: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/api/v1/accounts?limit=100&sort=name{cursor}");
        let page = call(port, token, "GET", &path, &[], None).expect("list answers");
        assert_eq!(page.status, 200, "{}", page.body);
        let page = page.json();
        for item in page["items"].as_array().into_iter().flatten() {
            let name = item["name"].as_str().unwrap_or_default().to_string();
            by_name.entry(name).or_default().push(item.clone());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return by_name,
        }
    }
}

fn crash_during_writes(target: Target) {
    let token = company_token(&target);
    let mut attempts = Vec::new();
    for round in 0..2 {
        attempts.extend(write_until_killed(serve(&target), &token, round));
    }
    assert!(attempts.iter().filter(|a| a.created.is_some()).count() >= 40);
    let server = serve(&target);
    let port = server.1;
    for a in &attempts {
        // Every retry gets the first answer, or creates when nothing was committed.
        let retry = call(
            port,
            &token,
            "POST",
            "/api/v1/accounts",
            &[("Idempotency-Key", &a.key)],
            Some(&a.body),
        )
        .expect("retry answered");
        assert_eq!(retry.status, 201, "{a:?}: {}", retry.body);
        let id = retry.json()["id"].as_str().unwrap_or_default().to_string();
        if let Some(first) = &a.created {
            assert_eq!(&id, first, "{a:?}");
            assert_eq!(retry.header("idempotent-replayed"), Some("true"), "{a:?}");
        }
        let read = call(
            port,
            &token,
            "GET",
            &format!("/api/v1/accounts/{id}"),
            &[],
            None,
        )
        .expect("read");
        assert_eq!(read.status, 200, "{a:?}");
        let grade = read.json()["grade"].clone();
        if a.updated {
            // An acknowledged update is there.
            assert_eq!(
                (grade.as_str(), read.json()["version"].as_i64()),
                (Some("A"), Some(2)),
                "{a:?}"
            );
        } else if a.update_sent {
            // An update in flight happened entirely or not at all; retried, it applies once.
            let again = grade_a(port, &token, &id).expect("update retry");
            let expected = if grade.as_str() == Some("A") {
                412
            } else {
                200
            };
            assert_eq!(again.status, expected, "{a:?}: {}", again.body);
        }
    }
    // Nothing lost, nothing twice: one account per attempt.
    let stored = all_accounts(port, &token);
    for a in &attempts {
        assert_eq!(stored.get(&a.key).map(Vec::len), Some(1), "{a:?}");
    }
    assert_eq!(stored.len(), attempts.len());
    drop(server);
    check_integrity(&target);
}

/// The database after the crashes: SQLite's own checks pass, and every stored idempotency key
/// names a record that exists.
fn check_integrity(target: &Target) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let db = match &target.database_url {
            Some(url) => store::Db::open_url(url).await,
            None => store::Db::open_sqlite_dir(&target.dir).await,
        }
        .expect("open the database");
        let orphans = "SELECT COUNT(*) FROM api_idempotency k WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.tenant_id = k.tenant_id AND a.id = k.record_id)";
        let n: i64 = match &db {
            store::Db::Sqlite(s) => {
                for check in ["PRAGMA integrity_check", "PRAGMA foreign_key_check"] {
                    let rows: Vec<String> = sqlx::query_scalar(check)
                        .fetch_all(&s.readers)
                        .await
                        .unwrap_or_else(|e| vec![e.to_string()]);
                    assert!(rows.is_empty() || rows == ["ok"], "{check}: {rows:?}");
                }
                sqlx::query_scalar(orphans).fetch_one(&s.readers).await
            }
            store::Db::Postgres(pool) => sqlx::query_scalar(orphans).fetch_one(pool).await,
        }
        .expect("count orphans");
        assert_eq!(n, 0, "idempotency keys without their record");
        db.close().await;
    });
}

on_both_databases!(killed_during_writes, crash_during_writes);

/// Reads from `stream` until the server closes it; returns what came and when it closed.
fn until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    stream.set_read_timeout(Some(limit)).expect("read timeout");
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
        assert!(
            started.elapsed() < limit,
            "the server kept the connection open"
        );
    }
    (
        String::from_utf8_lossy(&got).into_owned(),
        started.elapsed(),
    )
}

/// Sends `bytes` one at a time, 50 ms apart, on another thread (until the server hangs up).
fn trickle(stream: &TcpStream, bytes: Vec<u8>) -> std::thread::JoinHandle<()> {
    let mut writer = stream.try_clone().expect("clone stream");
    std::thread::spawn(move || {
        for b in bytes {
            if writer.write_all(&[b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    })
}

fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or_default()
}

#[test]
fn slow_idle_and_surplus_connections_are_bounded() {
    let target = Target::sqlite("timeouts");
    let token = company_token(&target);
    let server = serve_with(
        &target,
        &[
            "--header-timeout",
            "0.5",
            "--request-timeout",
            "0.5",
            "--idle-timeout",
            "1",
            "--max-connections",
            "8",
        ],
        Stdio::null(),
    );
    let port = server.1;
    let limit = Duration::from_secs(4);

    // A client that connects and sends nothing is disconnected.
    let mut idle = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let (got, after) = until_closed(&mut idle, limit);
    assert!(
        after >= Duration::from_millis(400) && !got.contains(" 200 "),
        "{after:?} {got}"
    );

    // Headers sent a byte at a time: disconnected when the header timeout passes.
    let mut slow = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let headers = format!(
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: {}\r\n\r\n",
        "a".repeat(60)
    );
    let writer = trickle(&slow, headers.into_bytes());
    let (got, after) = until_closed(&mut slow, limit);
    assert!(
        !got.contains(" 200 "),
        "answered a request sent too slowly: {got}"
    );
    assert!(after < Duration::from_secs(2), "{after:?}");
    writer.join().expect("writer");

    // A body sent a byte at a time: refused when the request timeout passes, nothing created.
    let mut slow = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let body = format!(r#"{{"name": "{}"}}"#, "慢".repeat(30));
    let head = format!(
        "POST /api/v1/accounts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    slow.write_all(head.as_bytes()).expect("headers");
    let writer = trickle(&slow, body.into_bytes());
    let (got, after) = until_closed(&mut slow, limit);
    assert!(got.starts_with("HTTP/1.1 408 "), "{got}");
    assert!(after < Duration::from_secs(2), "{after:?}");
    writer.join().expect("writer");
    let list = common::request(
        port,
        "GET",
        "/api/v1/accounts",
        &[("Authorization", &format!("Bearer {token}"))],
        None,
    )
    .expect("list");
    assert_eq!(list.json()["items"], serde_json::json!([]));

    // Connections beyond the cap wait to be accepted instead of taking file descriptors.
    let before = open_files(server.0.id());
    let held: Vec<TcpStream> = (0..40)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let during = open_files(server.0.id());
    assert!(
        during <= before + 8 + 2,
        "{before} files before, {during} with 40 connections"
    );
    // The timeouts free the places, and the server answers again.
    drop(held);
    let started = Instant::now();
    let ok = loop {
        if let Some(r) = common::request(port, "GET", "/readyz", &[], None) {
            break r;
        }
        assert!(
            started.elapsed() < limit,
            "no answer after the surplus connections"
        );
    };
    assert_eq!(ok.status, 200, "{}", ok.body);
    drop(server);
}

#[test]
fn a_log_written_to_a_file_has_no_colour_codes() {
    let target = Target::sqlite("log");
    std::fs::create_dir_all(&target.dir).expect("dir");
    let path = target.dir.join("meridian.log");
    let file = std::fs::File::create(&path).expect("log file");
    let server = serve_with(&target, &[], Stdio::from(file));
    drop(server);
    let log = std::fs::read_to_string(&path).expect("read log");
    assert!(log.contains("Meridian is ready"), "{log}");
    assert!(!log.contains('\u{1b}'), "{log:?}");
}
