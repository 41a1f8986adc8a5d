//! The command line as an operator uses it: set-up from the shell, tokens, backups, and all of
//! it while the server runs. On SQLite always; on PostgreSQL when MERIDIAN_TEST_POSTGRES_URL
//! names an admin connection (required under CI=true).

use std::path::Path;
use std::process::Command;

mod common;

use common::{http, serve, Target, BIN};

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

on_both_databases!(operator_workflow, operator_workflow);

#[test]
fn serve_rejects_a_bad_database_url() {
    let out = Command::new(BIN)
        .args(["migrate", "--database-url", "mysql://nope"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL"));
}

#[test]
fn serve_rejects_a_bad_smtp_url_without_echoing_its_password() {
    let out = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--smtp-url",
            "smtp://crm:hunter2-secret@mail.example.com?tls=maybe",
        ])
        .env_remove("MERIDIAN_SMTP_URL")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--smtp-url"), "{stderr}");
    assert!(!stderr.contains("hunter2-secret"), "{stderr}");
    let out = Command::new(BIN)
        .args(["worker", "--public-url", "crm.example.com"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--public-url"));
}
