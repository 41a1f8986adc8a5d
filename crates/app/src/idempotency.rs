//! Idempotency keys for API creates: a client that retries a create with the same
//! `Idempotency-Key` gets the first answer instead of a second record.
//!
//! The key is written by the create's own transaction, with the id of the record it made
//! ([`bind`]), so a crash leaves either both or neither: a retry then finds the record (and
//! is answered with it) or nothing (and creates afresh). The answer itself is kept once sent
//! ([`keep_answer`]); a retry that comes before it, or after a crash that lost it, is
//! answered from the record.

use crate::{Actor, App, AppError, AppResult};
use store::idempotency;
use uuid::Uuid;

/// Keys are kept this long.
pub const KEEP_HOURS: i64 = 24;

/// The rule code of a create whose key a concurrent request with the same key stored first;
/// the caller looks the key up again and replays.
pub const KEY_TAKEN: &str = "idempotency_key_taken";

/// A key and the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct Key {
    key: String,
    request_hash: Vec<u8>,
}

impl Key {
    pub fn new(key: &str, request_hash: Vec<u8>) -> AppResult<Key> {
        let ok = !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Key {
                key: key.to_string(),
                request_hash,
            })
        } else {
            Err(AppError::field("idempotency_key", "invalid_characters"))
        }
    }
}

/// What an earlier request with the same key left.
pub enum Earlier {
    /// Nothing: go ahead and create, passing the key to the use case.
    None,
    /// The answer the first request got.
    Answered {
        status: u16,
        body: serde_json::Value,
    },
    /// The record the first request created, whose answer was not kept.
    Created { status: u16, record_id: Uuid },
    /// The key was used for a different request.
    Mismatch,
}

pub async fn earlier(app: &App, actor: &Actor, key: &Key) -> AppResult<Earlier> {
    let mut tx = app.db.begin_read().await?;
    let stored = idempotency::get(&mut tx, actor.tenant_id(), actor.id(), &key.key).await?;
    drop(tx);
    let Some(stored) = stored else {
        return Ok(Earlier::None);
    };
    if stored.request_hash != key.request_hash {
        return Ok(Earlier::Mismatch);
    }
    let status = u16::try_from(stored.status).unwrap_or(201);
    Ok(match (stored.response, stored.record_id) {
        (Some(body), _) => Earlier::Answered {
            status,
            body: body.0,
        },
        (None, Some(record_id)) => Earlier::Created { status, record_id },
        (None, None) => Earlier::None,
    })
}

/// Stores `key` as having created `record_id`, inside the create's transaction `tx`.
pub(crate) async fn bind(
    tx: &mut store::Tx,
    app: &App,
    actor: &Actor,
    key: &Key,
    record_id: Uuid,
) -> AppResult<()> {
    let stored = idempotency::insert(
        tx,
        actor.tenant_id(),
        actor.id(),
        &key.key,
        &key.request_hash,
        201,
        record_id,
        app.now(),
    )
    .await?;
    if stored {
        Ok(())
    } else {
        Err(AppError::Rule(KEY_TAKEN))
    }
}

/// Keeps the answer sent for `key`, so that replays repeat it.
pub async fn keep_answer(
    app: &App,
    actor: &Actor,
    key: &Key,
    body: &serde_json::Value,
) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    idempotency::set_response(&mut tx, actor.tenant_id(), actor.id(), &key.key, body).await?;
    tx.commit().await?;
    Ok(())
}

/// Forgets keys older than [`KEEP_HOURS`]; run periodically.
pub async fn purge(app: &App) -> AppResult<u64> {
    let mut tx = app.db.begin().await?;
    let n =
        idempotency::purge_before(&mut tx, app.now() - chrono::Duration::hours(KEEP_HOURS)).await?;
    tx.commit().await?;
    Ok(n)
}
