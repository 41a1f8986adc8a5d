//! Stored answers to API creates sent with an `Idempotency-Key`.

use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

/// What is known about a key: still running (`status == 0`) or answered.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stored {
    pub request_hash: Vec<u8>,
    pub status: i64,
    pub response: Option<Json<serde_json::Value>>,
}

/// Claims a key for a new request; returns false when the key is already known.
pub async fn claim(
    tx: &mut Tx,
    tenant_id: Uuid,
    user_id: Uuid,
    key: &str,
    request_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<bool> {
    let inserted = on_conn!(tx, c => {
        sqlx::query("INSERT INTO api_idempotency (tenant_id, user_id, key, request_hash, status, created_at) VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT DO NOTHING")
            .bind(tenant_id).bind(user_id).bind(key).bind(request_hash).bind(now)
            .execute(c).await?.rows_affected()
    });
    Ok(inserted == 1)
}

pub async fn get(tx: &mut Tx, tenant_id: Uuid, user_id: Uuid, key: &str) -> Result<Option<Stored>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as("SELECT request_hash, status, response FROM api_idempotency WHERE tenant_id = $1 AND user_id = $2 AND key = $3")
            .bind(tenant_id).bind(user_id).bind(key).fetch_optional(c).await?
    }))
}

pub async fn complete(
    tx: &mut Tx,
    tenant_id: Uuid,
    user_id: Uuid,
    key: &str,
    status: i64,
    response: &serde_json::Value,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("UPDATE api_idempotency SET status = $4, response = $5 WHERE tenant_id = $1 AND user_id = $2 AND key = $3")
            .bind(tenant_id).bind(user_id).bind(key).bind(status).bind(Json(response))
            .execute(c).await?;
    });
    Ok(())
}

/// Forgets a key whose request failed, so that the client may retry it.
pub async fn release(tx: &mut Tx, tenant_id: Uuid, user_id: Uuid, key: &str) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM api_idempotency WHERE tenant_id = $1 AND user_id = $2 AND key = $3")
            .bind(tenant_id).bind(user_id).bind(key).execute(c).await?;
    });
    Ok(())
}

pub async fn purge_before(tx: &mut Tx, before: DateTime<Utc>) -> Result<u64> {
    Ok(on_conn!(tx, c => {
        sqlx::query("DELETE FROM api_idempotency WHERE created_at < $1").bind(before).execute(c).await?.rows_affected()
    }))
}
