//! The audit log of security-relevant events, written in the same transaction as the change.

use crate::{Result, Tx};
use chrono::Utc;
use sqlx::types::Json;
use uuid::Uuid;

pub struct AuditEvent<'a> {
    pub tenant_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub action: &'a str,
    pub object: &'a str,
    pub record_id: Option<Uuid>,
    pub detail: serde_json::Value,
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
            .bind(Utc::now())
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
