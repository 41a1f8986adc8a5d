//! E-mail: the company's mail server settings, each user's notification channels per kind,
//! and the delivery log of notification mails (one row per mail, updated by each attempt).

use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

// ---------------------------------------------------------------- preferences

/// The user's stored choices, `(kind, channels)`; kinds without a row take the default.
pub async fn preferences(
    tx: &mut Tx,
    tenant_id: Uuid,
    user_id: Uuid,
) -> Result<Vec<(String, String)>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, (String, String)>("SELECT kind, channels FROM notification_preferences WHERE tenant_id = $1 AND user_id = $2 ORDER BY kind")
            .bind(tenant_id).bind(user_id).fetch_all(c).await?
    }))
}

/// The user's stored choice for one kind, if any.
pub async fn preference(
    tx: &mut Tx,
    tenant_id: Uuid,
    user_id: Uuid,
    kind: &str,
) -> Result<Option<String>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_scalar::<_, String>("SELECT channels FROM notification_preferences WHERE tenant_id = $1 AND user_id = $2 AND kind = $3")
            .bind(tenant_id).bind(user_id).bind(kind).fetch_optional(c).await?
    }))
}

pub async fn set_preference(
    tx: &mut Tx,
    tenant_id: Uuid,
    user_id: Uuid,
    kind: &str,
    channels: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO notification_preferences (tenant_id, user_id, kind, channels, updated_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (tenant_id, user_id, kind) DO UPDATE SET channels = excluded.channels, updated_at = excluded.updated_at")
            .bind(tenant_id).bind(user_id).bind(kind).bind(channels).bind(now)
            .execute(c).await?;
    });
    Ok(())
}

// ---------------------------------------------------------------- server settings

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailSettings {
    pub host: String,
    pub port: i64,
    pub security: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from_address: String,
    pub updated_at: DateTime<Utc>,
}

pub async fn settings(tx: &mut Tx, tenant_id: Uuid) -> Result<Option<MailSettings>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, MailSettings>("SELECT host, port, security, username, password, from_address, updated_at FROM mail_settings WHERE tenant_id = $1")
            .bind(tenant_id).fetch_optional(c).await?
    }))
}

pub async fn save_settings(tx: &mut Tx, tenant_id: Uuid, s: &MailSettings, by: Uuid) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO mail_settings (tenant_id, host, port, security, username, password, from_address, updated_at, updated_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (tenant_id) DO UPDATE SET host = excluded.host, port = excluded.port, security = excluded.security, \
                     username = excluded.username, password = excluded.password, from_address = excluded.from_address, \
                     updated_at = excluded.updated_at, updated_by = excluded.updated_by")
            .bind(tenant_id).bind(&s.host).bind(s.port).bind(&s.security).bind(&s.username)
            .bind(&s.password).bind(&s.from_address).bind(s.updated_at).bind(by)
            .execute(c).await?;
    });
    Ok(())
}

// ---------------------------------------------------------------- delivery log

/// Waiting for its first attempt.
pub const QUEUED: &str = "queued";
/// An attempt failed; the send job runs again after its back-off.
pub const RETRYING: &str = "retrying";
pub const SENT: &str = "sent";
/// The last attempt failed.
pub const FAILED: &str = "failed";

const COLUMNS: &str = "tenant_id, id, user_id, recipient, kind, params, object, record_id, subject, state, attempts, last_error, created_at, updated_at, sent_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub user_id: Uuid,
    pub recipient: String,
    pub kind: String,
    pub params: Json<serde_json::Value>,
    pub object: Option<String>,
    pub record_id: Option<Uuid>,
    pub subject: Option<String>,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

pub struct NewDelivery<'a> {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub user_id: Uuid,
    pub recipient: &'a str,
    pub kind: &'a str,
    pub params: &'a serde_json::Value,
    pub object: Option<&'a str>,
    pub record_id: Option<Uuid>,
}

pub async fn insert_delivery(tx: &mut Tx, d: &NewDelivery<'_>, now: DateTime<Utc>) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO mail_deliveries (tenant_id, id, user_id, recipient, kind, params, object, record_id, state, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)")
            .bind(d.tenant_id).bind(d.id).bind(d.user_id).bind(d.recipient).bind(d.kind)
            .bind(Json(d.params)).bind(d.object).bind(d.record_id).bind(QUEUED).bind(now)
            .execute(c).await?;
    });
    Ok(())
}

pub async fn delivery(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<Option<Delivery>> {
    let sql = format!("SELECT {COLUMNS} FROM mail_deliveries WHERE tenant_id = $1 AND id = $2");
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Delivery>(&sql).bind(tenant_id).bind(id).fetch_optional(c).await?
    }))
}

/// Records one attempt: its subject, the state it left, and its error when it failed.
pub async fn record_attempt(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    subject: &str,
    state: &str,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let sent_at = (state == SENT).then_some(now);
    on_conn!(tx, c => {
        sqlx::query("UPDATE mail_deliveries SET subject = $3, state = $4, last_error = COALESCE($5, last_error), \
                     attempts = attempts + 1, updated_at = $6, sent_at = COALESCE($7, sent_at) WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id).bind(id).bind(subject).bind(state).bind(error).bind(now).bind(sent_at)
            .execute(c).await?;
    });
    Ok(())
}

/// One page of the company's deliveries, newest first, after the `before` id (keyset);
/// `limit + 1` rows are read so the caller knows whether another page follows.
pub async fn list_deliveries(
    tx: &mut Tx,
    tenant_id: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Delivery>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mail_deliveries WHERE tenant_id = $1 AND ($2 IS NULL OR id < $2) \
         ORDER BY id DESC LIMIT $3"
    );
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Delivery>(&sql).bind(tenant_id).bind(before).bind(limit + 1)
            .fetch_all(c).await?
    }))
}
