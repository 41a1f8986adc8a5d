//! The audit log of administrative and security-relevant changes, written in the same
//! transaction as the change, and read newest first by administrators.

use crate::visibility::SqlBuilder;
use crate::{Param, Result, Tx};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

pub struct AuditEvent<'a> {
    pub tenant_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub action: &'a str,
    pub object: &'a str,
    pub record_id: Option<Uuid>,
    pub detail: serde_json::Value,
    /// When it happened, from the application's clock.
    pub at: DateTime<Utc>,
}

pub async fn record(tx: &mut Tx, event: AuditEvent<'_>) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO audit_log (tenant_id, id, actor_id, action, object, record_id, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(event.tenant_id)
            .bind(Uuid::now_v7())
            .bind(event.actor_id)
            .bind(event.action)
            .bind(event.object)
            .bind(event.record_id)
            .bind(Json(&event.detail))
            .bind(event.at)
            .execute(c)
            .await?;
    });
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub object: String,
    pub record_id: Option<Uuid>,
    pub at: chrono::DateTime<Utc>,
}

pub async fn for_record(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: &str,
    record_id: Uuid,
) -> Result<Vec<AuditRow>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as("SELECT id, actor_id, action, object, record_id, at FROM audit_log WHERE tenant_id = $1 AND object = $2 AND record_id = $3 ORDER BY id DESC LIMIT 200")
            .bind(tenant_id)
            .bind(object)
            .bind(record_id)
            .fetch_all(c)
            .await?
    }))
}

/// An audit row as the administrators' log shows it, with the actor's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub action: String,
    pub object: String,
    pub record_id: Option<Uuid>,
    pub detail: Json<serde_json::Value>,
    pub at: DateTime<Utc>,
}

/// What the log is narrowed to; every part optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    /// The objects (areas) shown; all when empty.
    pub objects: Vec<String>,
    pub action: Option<String>,
    /// From this instant, inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Before this instant, exclusive.
    pub to: Option<DateTime<Utc>>,
}

/// One page of the log, newest first (`at DESC, id DESC`), after the keyset position
/// `after` (the last row of the previous page). Rows written meanwhile are newer than any
/// position already passed, so paging on loses none.
pub async fn list(
    tx: &mut Tx,
    tenant_id: Uuid,
    filter: &AuditFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<AuditEntry>> {
    let mut q = SqlBuilder::new(
        "SELECT a.id, a.actor_id, u.name AS actor_name, a.action, a.object, a.record_id, a.detail, a.at \
         FROM audit_log a LEFT JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.actor_id WHERE a.tenant_id = ",
    );
    let tenant = q.param(Param::Uuid(tenant_id));
    q.push(&tenant);
    if let Some(actor) = filter.actor_id {
        let p = q.param(Param::Uuid(actor));
        q.push(&format!(" AND a.actor_id = {p}"));
    }
    if !filter.objects.is_empty() {
        let list: Vec<String> = filter
            .objects
            .iter()
            .map(|o| q.param(Param::Text(o.clone())))
            .collect();
        q.push(&format!(" AND a.object IN ({})", list.join(", ")));
    }
    if let Some(action) = &filter.action {
        let p = q.param(Param::Text(action.clone()));
        q.push(&format!(" AND a.action = {p}"));
    }
    if let Some(from) = filter.from {
        let p = q.param(Param::Time(from));
        q.push(&format!(" AND a.at >= {p}"));
    }
    if let Some(to) = filter.to {
        let p = q.param(Param::Time(to));
        q.push(&format!(" AND a.at < {p}"));
    }
    if let Some((at, id)) = after {
        let t = q.param(Param::Time(at));
        let i = q.param(Param::Uuid(id));
        q.push(&format!(" AND (a.at < {t} OR (a.at = {t} AND a.id < {i}))"));
    }
    let limit = q.param(Param::I64(limit));
    q.push(&format!(" ORDER BY a.at DESC, a.id DESC LIMIT {limit}"));
    Ok(on_conn!(tx, c => {
        bind_params!(sqlx::query_as::<_, AuditEntry>(&q.sql), &q.params).fetch_all(c).await?
    }))
}
