//! Sessions, API tokens and failed sign-in attempts. Only hashes of secrets are stored.

use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub async fn insert_session(
    tx: &mut Tx,
    tenant_id: Uuid,
    token_hash: &[u8],
    user_id: Uuid,
    (now, expires_at): (DateTime<Utc>, DateTime<Utc>),
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO sessions (tenant_id, token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(tenant_id).bind(token_hash).bind(user_id).bind(now).bind(expires_at)
            .execute(c).await?;
    });
    Ok(())
}

/// The user of a live session.
pub async fn session_user(
    tx: &mut Tx,
    tenant_id: Uuid,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<Uuid>> {
    let row: Option<(Uuid,)> = on_conn!(tx, c => {
        sqlx::query_as("SELECT user_id FROM sessions WHERE tenant_id = $1 AND token_hash = $2 AND expires_at > $3")
            .bind(tenant_id).bind(token_hash).bind(now).fetch_optional(c).await?
    });
    Ok(row.map(|r| r.0))
}

pub async fn delete_session(tx: &mut Tx, tenant_id: Uuid, token_hash: &[u8]) -> Result<()> {
    tx.mark_org_changed();
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND token_hash = $2")
            .bind(tenant_id).bind(token_hash).execute(c).await?;
    });
    Ok(())
}

/// Ends every session of a user except, optionally, one (after a password change).
pub async fn delete_user_sessions(
    tx: &mut Tx,
    tenant_id: Uuid,
    user_id: Uuid,
    keep: Option<&[u8]>,
) -> Result<()> {
    tx.mark_org_changed();
    let keep = keep.unwrap_or(&[]);
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND token_hash <> $3")
            .bind(tenant_id).bind(user_id).bind(keep).execute(c).await?;
    });
    Ok(())
}

pub async fn delete_expired_sessions(tx: &mut Tx, now: DateTime<Utc>) -> Result<u64> {
    Ok(on_conn!(tx, c => {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(c).await?.rows_affected()
    }))
}

/// Removes one company's expired sessions (its housekeeping job).
pub async fn delete_expired_sessions_of(
    tx: &mut Tx,
    tenant_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(on_conn!(tx, c => {
        sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND expires_at <= $2").bind(tenant_id).bind(now).execute(c).await?.rows_affected()
    }))
}

// ---------------------------------------------------------------- API tokens

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn insert_token(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    token_hash: &[u8],
    user_id: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO api_tokens (tenant_id, id, token_hash, user_id, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(tenant_id).bind(id).bind(token_hash).bind(user_id).bind(name).bind(now)
            .execute(c).await?;
    });
    Ok(())
}

/// A live (not revoked) token: its id, its user and when it was last used.
pub async fn token_user(
    tx: &mut Tx,
    tenant_id: Uuid,
    token_hash: &[u8],
) -> Result<Option<(Uuid, Uuid, Option<DateTime<Utc>>)>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as("SELECT id, user_id, last_used_at FROM api_tokens WHERE tenant_id = $1 AND token_hash = $2 AND revoked_at IS NULL")
            .bind(tenant_id).bind(token_hash).fetch_optional(c).await?
    }))
}

pub async fn touch_token(tx: &mut Tx, tenant_id: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("UPDATE api_tokens SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id).bind(id).bind(now).execute(c).await?;
    });
    Ok(())
}

pub async fn list_tokens(tx: &mut Tx, tenant_id: Uuid, user_id: Uuid) -> Result<Vec<ApiToken>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as("SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC")
            .bind(tenant_id).bind(user_id).fetch_all(c).await?
    }))
}

pub async fn revoke_token(
    tx: &mut Tx,
    tenant_id: Uuid,
    (user_id, id): (Uuid, Uuid),
    now: DateTime<Utc>,
) -> Result<bool> {
    tx.mark_org_changed();
    let done = on_conn!(tx, c => {
        sqlx::query("UPDATE api_tokens SET revoked_at = $4 WHERE tenant_id = $1 AND user_id = $2 AND id = $3 AND revoked_at IS NULL")
            .bind(tenant_id).bind(user_id).bind(id).bind(now).execute(c).await?.rows_affected()
    });
    Ok(done == 1)
}

// ---------------------------------------------------------------- sign-in throttling

pub async fn record_login_failure(tx: &mut Tx, email: &str, at: DateTime<Utc>) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO login_failures (email, failed_at) VALUES ($1, $2)")
            .bind(email).bind(at).execute(c).await?;
    });
    Ok(())
}

/// Failures for an address since `since`, with the oldest of them (when the lock lifts).
pub async fn recent_login_failures(
    tx: &mut Tx,
    email: &str,
    since: DateTime<Utc>,
) -> Result<(i64, Option<DateTime<Utc>>)> {
    let rows: Vec<(DateTime<Utc>,)> = on_conn!(tx, c => {
        sqlx::query_as("SELECT failed_at FROM login_failures WHERE email = $1 AND failed_at > $2 ORDER BY failed_at LIMIT 100")
            .bind(email).bind(since).fetch_all(c).await?
    });
    Ok((rows.len() as i64, rows.first().map(|r| r.0)))
}

pub async fn clear_login_failures(tx: &mut Tx, email: &str) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM login_failures WHERE email = $1").bind(email).execute(c).await?;
    });
    Ok(())
}
