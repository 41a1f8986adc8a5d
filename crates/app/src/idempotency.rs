//! Idempotency keys for API creates: a client that retries a create with the same
//! `Idempotency-Key` gets the first answer instead of a second record.

use crate::{Actor, App, AppError, AppResult};
use store::idempotency;

/// Keys are kept this long.
pub const KEEP_HOURS: i64 = 24;

pub enum Claim {
    /// First use of the key: go ahead, then `complete` or `release`.
    New,
    /// The key was answered before, for the same request.
    Replay {
        status: u16,
        body: serde_json::Value,
    },
    /// The first request with this key is still being answered.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

fn check_key(key: &str) -> AppResult<()> {
    let ok = !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(AppError::field("idempotency_key", "invalid_characters"))
    }
}

pub async fn claim(app: &App, actor: &Actor, key: &str, request_hash: &[u8]) -> AppResult<Claim> {
    check_key(key)?;
    let mut tx = app.db.begin().await?;
    if idempotency::claim(
        &mut tx,
        actor.tenant_id(),
        actor.id(),
        key,
        request_hash,
        app.now(),
    )
    .await?
    {
        tx.commit().await?;
        return Ok(Claim::New);
    }
    let stored = idempotency::get(&mut tx, actor.tenant_id(), actor.id(), key).await?;
    tx.commit().await?;
    Ok(match stored {
        None => Claim::InProgress,
        Some(s) if s.request_hash != request_hash => Claim::Mismatch,
        Some(s) if s.status == 0 => Claim::InProgress,
        Some(s) => Claim::Replay {
            status: u16::try_from(s.status).unwrap_or(200),
            body: s.response.map(|j| j.0).unwrap_or_default(),
        },
    })
}

pub async fn complete(
    app: &App,
    actor: &Actor,
    key: &str,
    status: u16,
    body: &serde_json::Value,
) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    idempotency::complete(
        &mut tx,
        actor.tenant_id(),
        actor.id(),
        key,
        i64::from(status),
        body,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn release(app: &App, actor: &Actor, key: &str) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    idempotency::release(&mut tx, actor.tenant_id(), actor.id(), key).await?;
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
