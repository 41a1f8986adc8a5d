//! Field history: one row per changed field per save, newest first.

use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FieldChange {
    pub id: Uuid,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub changed_by: Uuid,
    pub changed_by_name: Option<String>,
    pub changed_at: DateTime<Utc>,
}

pub struct NewChange<'a> {
    pub field: &'a str,
    pub old_value: Option<&'a str>,
    pub new_value: Option<&'a str>,
}

/// Writes the changes of one save, made by `changed_by` at `now` (the application's clock).
pub async fn record(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: &str,
    record_id: Uuid,
    (changed_by, now): (Uuid, DateTime<Utc>),
    changes: &[NewChange<'_>],
) -> Result<()> {
    for change in changes {
        on_conn!(tx, c => {
            sqlx::query("INSERT INTO field_history (tenant_id, id, object, record_id, field, old_value, new_value, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(tenant_id)
                .bind(Uuid::now_v7())
                .bind(object)
                .bind(record_id)
                .bind(change.field)
                .bind(change.old_value)
                .bind(change.new_value)
                .bind(changed_by)
                .bind(now)
                .execute(c)
                .await?;
        });
    }
    Ok(())
}

/// The newest `limit` changes of a record, older than `before` when paging.
pub async fn for_record(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: &str,
    record_id: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<FieldChange>> {
    let before = before.unwrap_or(Uuid::max());
    Ok(on_conn!(tx, c => {
        sqlx::query_as(
            "SELECT h.id, h.field, h.old_value, h.new_value, h.changed_by, u.name AS changed_by_name, h.changed_at
             FROM field_history h LEFT JOIN users u ON u.tenant_id = h.tenant_id AND u.id = h.changed_by
             WHERE h.tenant_id = $1 AND h.object = $2 AND h.record_id = $3 AND h.id < $4
             ORDER BY h.id DESC LIMIT $5")
            .bind(tenant_id)
            .bind(object)
            .bind(record_id)
            .bind(before)
            .bind(limit)
            .fetch_all(c)
            .await?
    }))
}
