//! Idempotency keys of API creates. A key is stored in the transaction that creates its
//! record, with the record's id, so that the key and the record exist together or not at all;
//! the answer sent is added afterwards.

use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

/// What is known about a key: the request it was used for, the record it created and, once
/// sent, the answer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stored {
    pub request_hash: Vec<u8>,
    pub status: i64,
    pub record_id: Option<Uuid>,
    pub response: Option<Json<serde_json::Value>>,
}

/// The key that will create `record_id`, written inside the create's transaction. Returns
/// false when the key is already stored (a concurrent request with it committed first).
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    tx: &mut Tx,
    tenant_id: Uuid,
    user_id: Uuid,
    key: &str,
    request_hash: &[u8],
    status: i64,
    record_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool> {
    let inserted = on_conn!(tx, c => {
        sqlx::query("INSERT INTO api_idempotency (tenant_id, user_id, key, request_hash, status, record_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING")
            .bind(tenant_id).bind(user_id).bind(key).bind(request_hash).bind(status).bind(record_id).bind(now)
            .execute(c).await?.rows_affected()
    });
    Ok(inserted == 1)
}

pub async fn get(tx: &mut Tx, tenant_id: Uuid, user_id: Uuid, key: &str) -> Result<Option<Stored>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as("SELECT request_hash, status, record_id, response FROM api_idempotency WHERE tenant_id = $1 AND user_id = $2 AND key = $3")
            .bind(tenant_id).bind(user_id).bind(key).fetch_optional(c).await?
    }))
}

/// Keeps the answer sent for a key, for replays.
pub async fn set_response(
    tx: &mut Tx,
    tenant_id: Uuid,
    user_id: Uuid,
    key: &str,
    response: &serde_json::Value,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("UPDATE api_idempotency SET response = $4 WHERE tenant_id = $1 AND user_id = $2 AND key = $3")
            .bind(tenant_id).bind(user_id).bind(key).bind(Json(response))
            .execute(c).await?;
    });
    Ok(())
}

pub async fn purge_before(tx: &mut Tx, before: DateTime<Utc>) -> Result<u64> {
    Ok(on_conn!(tx, c => {
        sqlx::query("DELETE FROM api_idempotency WHERE created_at < $1").bind(before).execute(c).await?.rows_affected()
    }))
}

/// Forgets one company's keys made before `before` (its housekeeping job).
pub async fn purge_before_of(tx: &mut Tx, tenant_id: Uuid, before: DateTime<Utc>) -> Result<u64> {
    Ok(on_conn!(tx, c => {
        sqlx::query("DELETE FROM api_idempotency WHERE tenant_id = $1 AND created_at < $2").bind(tenant_id).bind(before).execute(c).await?.rows_affected()
    }))
}
