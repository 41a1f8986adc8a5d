//! The in-app inbox: notifications per user, and the reminders of tasks that are due.
//!
//! A notification stores its kind and the parameters its text is rendered from (only the
//! record's name), never the text itself, so each reader sees it in their own language.

use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

const COLUMNS: &str =
    "tenant_id, id, user_id, kind, params, object, record_id, created_at, read_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Notification {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: String,
    pub params: Json<serde_json::Value>,
    pub object: Option<String>,
    pub record_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

pub struct NewNotification<'a> {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub kind: &'a str,
    pub params: &'a serde_json::Value,
    pub object: Option<&'a str>,
    pub record_id: Option<Uuid>,
}

pub async fn insert(tx: &mut Tx, n: &NewNotification<'_>, now: DateTime<Utc>) -> Result<Uuid> {
    let id = Uuid::now_v7();
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO notifications (tenant_id, id, user_id, kind, params, object, record_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(n.tenant_id).bind(id).bind(n.user_id).bind(n.kind).bind(Json(n.params))
            .bind(n.object).bind(n.record_id).bind(now)
            .execute(c).await?;
    });
    Ok(id)
}

/// One page of a user's notifications, newest first, after the `before` id (keyset);
/// `limit + 1` rows are read so the caller knows whether another page follows.
pub async fn list(
    tx: &mut Tx,
    tenant_id: Uuid,
    user_id: Uuid,
    unread_only: bool,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Notification>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications WHERE tenant_id = $1 AND user_id = $2 \
         AND ($3 = 0 OR read_at IS NULL) AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5"
    );
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Notification>(&sql)
            .bind(tenant_id).bind(user_id).bind(i64::from(unread_only)).bind(before).bind(limit + 1)
            .fetch_all(c).await?
    }))
}

/// How many unread notifications the user has, counting no further than `cap`: the bell
/// shows "99+" rather than count a big inbox on every page.
pub async fn unread_count(tx: &mut Tx, tenant_id: Uuid, user_id: Uuid, cap: i64) -> Result<i64> {
    Ok(on_conn!(tx, c => {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM (SELECT 1 AS one FROM notifications WHERE tenant_id = $1 AND user_id = $2 AND read_at IS NULL LIMIT $3) AS unread")
            .bind(tenant_id).bind(user_id).bind(cap).fetch_one(c).await?
    }))
}

/// Marks one of the user's notifications read. False when the user has no such notification.
pub async fn mark_read(
    tx: &mut Tx,
    tenant_id: Uuid,
    user_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = on_conn!(tx, c => {
        sqlx::query("UPDATE notifications SET read_at = COALESCE(read_at, $4) WHERE tenant_id = $1 AND user_id = $2 AND id = $3")
            .bind(tenant_id).bind(user_id).bind(id).bind(now).execute(c).await?.rows_affected()
    });
    Ok(n == 1)
}

/// Marks all of the user's notifications read; how many were unread.
pub async fn mark_all_read(
    tx: &mut Tx,
    tenant_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(on_conn!(tx, c => {
        sqlx::query("UPDATE notifications SET read_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND read_at IS NULL")
            .bind(tenant_id).bind(user_id).bind(now).execute(c).await?.rows_affected()
    }))
}

/// A task whose reminder is due, taken for notifying.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueReminder {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
}

/// Takes up to `limit` open activities of the company whose reminder time has passed (but
/// not before `since`) and whose owner was not yet notified of that time, and marks them
/// notified. Each row is taken by one `UPDATE`, so of two concurrent callers only one gets
/// it (on PostgreSQL the second waits for the row and then finds it no longer due); the
/// caller writes the notifications in the same transaction.
pub async fn take_due_reminders(
    tx: &mut Tx,
    tenant_id: Uuid,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DueReminder>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, DueReminder>(
            "UPDATE activities SET reminded_for = remind_at \
             WHERE tenant_id = $1 AND id IN (SELECT id FROM activities WHERE tenant_id = $1 \
                 AND remind_at <= $2 AND remind_at > $3 AND status = 'open' \
                 AND (reminded_for IS NULL OR reminded_for <> remind_at) ORDER BY remind_at, id LIMIT $4) \
             AND remind_at <= $2 AND (reminded_for IS NULL OR reminded_for <> remind_at) \
             RETURNING id, owner_id, name")
            .bind(tenant_id).bind(now).bind(since).bind(limit)
            .fetch_all(c).await?
    }))
}
