//! Faults: a full disk, and creates retried with an `Idempotency-Key` after a lost answer or
//! at the same time.

use crate::on_both_databases;
use crate::support::{Api, Env, Response};
use axum::http::{header, Method, StatusCode};
use serde_json::json;
use store::Db;

on_both_databases!(
    replayed_creates_answer_with_the_record_location,
    a_create_whose_answer_was_lost_is_answered_from_its_record,
    concurrent_retries_create_once,
);

/// The creatable objects of the API: collection, and a valid body given an account id.
fn objects(account_id: &str) -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("accounts", json!({"name": "重试客户"})),
        (
            "contacts",
            json!({"name": "李四", "account_id": account_id}),
        ),
        ("leads", json!({"name": "王五", "company": "华南机械"})),
        (
            "opportunities",
            json!({"name": "数控机床", "account_id": account_id, "stage": "proposal"}),
        ),
        (
            "activities",
            json!({"kind": "call", "name": "回访", "account_id": account_id}),
        ),
    ]
}

async fn post_with_key(
    api: &Api,
    collection: &str,
    body: &serde_json::Value,
    key: &str,
) -> Response {
    api.call(
        Method::POST,
        &format!("/api/v1/{collection}"),
        Some(body.clone()),
        &[("idempotency-key", key)],
    )
    .await
}

/// Creates with a key and retries: the retry is a replay of the first answer, with the
/// record's `Location`. With `lose_answer`, the kept answer is lost in between.
async fn create_and_retry(
    env: &Env,
    api: &Api,
    collection: &str,
    body: &serde_json::Value,
    lose_answer: bool,
) -> Response {
    let key = format!("create-{collection}");
    let first = post_with_key(api, collection, body, &key).await;
    assert_eq!(
        first.status,
        StatusCode::CREATED,
        "{collection}: {}",
        first.body
    );
    let id = first.json()["id"].as_str().unwrap_or_default().to_string();
    let location = format!("/api/v1/{collection}/{id}");
    assert_eq!(first.location(), location);
    if lose_answer {
        forget_answers(&env.app.db).await;
    }
    let again = post_with_key(api, collection, body, &key).await;
    assert_eq!(
        again.status,
        StatusCode::CREATED,
        "{collection}: {}",
        again.body
    );
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.location(), location, "{collection}");
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(again.headers[header::ETAG], first.headers[header::ETAG]);
    first
}

async fn replayed_creates_answer_with_the_record_location(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let account = env.account(&c.admin, "华南机械").await;
    for (collection, body) in objects(&account.id.to_string()) {
        create_and_retry(&env, &api, collection, &body, false).await;
    }
}

/// A crash after the create committed and before its answer was kept leaves the key with its
/// record only: the retry is answered with that record, and nothing is created twice.
async fn a_create_whose_answer_was_lost_is_answered_from_its_record(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let account = env.account(&c.admin, "华南机械").await;
    for (collection, body) in objects(&account.id.to_string()) {
        let first = create_and_retry(&env, &api, collection, &body, true).await;
        let list = api.get(&format!("/api/v1/{collection}")).await.json();
        let matching = list["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter(|i| i["id"] == first.json()["id"])
                    .count()
            })
            .unwrap_or_default();
        assert_eq!(matching, 1, "{collection}");
    }
    // Only the accounts made here exist: the replays created nothing.
    assert_eq!(env.account_count(c.tenant_id).await, 2);
}

/// What a crash between the create's commit and keeping its answer leaves.
async fn forget_answers(db: &Db) {
    let sql = "UPDATE api_idempotency SET response = NULL";
    match db {
        Db::Sqlite(s) => sqlx::query(sql).execute(&s.writer).await.map(|_| ()),
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
    }
    .expect("forget answers");
}

/// Retries sent at the same time with one key make one record, and all are answered with it.
async fn concurrent_retries_create_once(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let token = env.token(&c.admin).await;
    let body = json!({"name": "并发客户"});
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let api = env.api(&token);
        let body = body.clone();
        calls.spawn(async move { post_with_key(&api, "accounts", &body, "same-key").await });
    }
    let answers = calls.join_all().await;
    let ids: Vec<_> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
            a.json()["id"].clone()
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(env.account_count(c.tenant_id).await, 1);
}
