//! Saved list views.

use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use domain::permissions::{ObjectKind, Principal};
use domain::views::ViewDefinition;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SavedView {
    pub id: Uuid,
    pub object: String,
    pub name: String,
    pub owner_id: Uuid,
    /// `private`, `role`, `department` or `everyone`.
    pub shared_with: String,
    pub role_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub definition: Json<ViewDefinition>,
    pub version: i64,
}

const SELECT: &str = "SELECT id, object, name, owner_id, shared_with, role_id, department_id, definition, version FROM list_views";

/// The views of `object` that `principal` (with role `role_id`) may use: their own, and those
/// shared with everyone, with their role, or with their department.
pub async fn usable(
    tx: &mut Tx,
    principal: &Principal,
    role_id: Uuid,
    object: ObjectKind,
) -> Result<Vec<SavedView>> {
    let sql = format!("{SELECT} WHERE tenant_id = $1 AND object = $2 AND (owner_id = $3 OR shared_with = 'everyone' OR (shared_with = 'role' AND role_id = $4) OR (shared_with = 'department' AND department_id = $5)) ORDER BY name, id LIMIT 200");
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, SavedView>(&sql)
            .bind(principal.tenant_id).bind(object.key()).bind(principal.user_id).bind(role_id)
            .bind(principal.department_id)
            .fetch_all(c).await?
    }))
}

pub async fn get(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<Option<SavedView>> {
    let sql = format!("{SELECT} WHERE tenant_id = $1 AND id = $2");
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, SavedView>(&sql).bind(tenant_id).bind(id).fetch_optional(c).await?
    }))
}

pub struct NewView<'a> {
    pub id: Uuid,
    pub object: ObjectKind,
    pub name: &'a str,
    pub owner_id: Uuid,
    pub shared_with: &'a str,
    pub role_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub definition: &'a ViewDefinition,
}

pub async fn insert(
    tx: &mut Tx,
    tenant_id: Uuid,
    v: &NewView<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO list_views (tenant_id, id, object, name, owner_id, shared_with, role_id, department_id, definition, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 1)")
            .bind(tenant_id).bind(v.id).bind(v.object.key()).bind(v.name).bind(v.owner_id).bind(v.shared_with)
            .bind(v.role_id).bind(v.department_id).bind(Json(v.definition)).bind(now)
            .execute(c).await?;
    });
    Ok(())
}

pub async fn update(
    tx: &mut Tx,
    tenant_id: Uuid,
    v: &NewView<'_>,
    version: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = on_conn!(tx, c => {
        sqlx::query("UPDATE list_views SET name = $3, shared_with = $4, role_id = $5, department_id = $6, definition = $7, updated_at = $8, version = version + 1 WHERE tenant_id = $1 AND id = $2 AND version = $9")
            .bind(tenant_id).bind(v.id).bind(v.name).bind(v.shared_with).bind(v.role_id).bind(v.department_id)
            .bind(Json(v.definition)).bind(now).bind(version)
            .execute(c).await?.rows_affected()
    });
    Ok(done == 1)
}

pub async fn delete(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<bool> {
    let done = on_conn!(tx, c => {
        sqlx::query("DELETE FROM list_views WHERE tenant_id = $1 AND id = $2").bind(tenant_id).bind(id).execute(c).await?.rows_affected()
    });
    Ok(done == 1)
}
