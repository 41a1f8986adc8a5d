//! Custom field definitions per company and object.

use crate::metadata_cache::{cached, MetadataCache};
use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use domain::fields::FieldDef;
use domain::permissions::ObjectKind;
use sqlx::types::Json;
use sqlx::Row;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct CustomField {
    pub def: FieldDef,
    pub active: bool,
    pub index_name: Option<String>,
}

static CUSTOM_FIELDS: MetadataCache<(Uuid, ObjectKind), Vec<CustomField>> = MetadataCache::new();

/// The custom fields of an object, in form order (retired ones included).
pub async fn list(tx: &mut Tx, tenant_id: Uuid, object: ObjectKind) -> Result<Vec<CustomField>> {
    cached!(
        CUSTOM_FIELDS,
        tx,
        (tenant_id, object),
        list_from_database(tx, tenant_id, object).await?
    )
}

/// [`list`] as the database has it now, past what this process keeps (for a change another
/// process made moments ago).
pub async fn list_from_database(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
) -> Result<Vec<CustomField>> {
    let mut out = Vec::new();
    on_conn!(tx, c => {
        let rows = sqlx::query("SELECT definition, active, index_name FROM custom_fields WHERE tenant_id = $1 AND object = $2 ORDER BY position, key")
            .bind(tenant_id).bind(object.key()).fetch_all(c).await?;
        for row in rows {
            let Json(mut def): Json<FieldDef> = row.try_get("definition")?;
            let index_name: Option<String> = row.try_get("index_name")?;
            def.column = None;
            def.indexed = index_name.is_some();
            out.push(CustomField { def, active: row.try_get("active")?, index_name });
        }
    });
    Ok(out)
}

/// The custom lookup fields of every object that point at records of `target` (retired ones
/// included: their values are kept), each with its object.
pub async fn lookups_to(
    tx: &mut Tx,
    tenant_id: Uuid,
    target: ObjectKind,
) -> Result<Vec<(ObjectKind, CustomField)>> {
    let mut out = Vec::new();
    for object in ObjectKind::RECORDS {
        for field in list(tx, tenant_id, object).await? {
            if field.def.points_at(target) {
                out.push((object, field));
            }
        }
    }
    Ok(out)
}

pub async fn insert(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    def: &FieldDef,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.mark_metadata_changed();
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO custom_fields (tenant_id, object, key, definition, position, active, index_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, TRUE, NULL, $6, $6)")
            .bind(tenant_id).bind(object.key()).bind(&def.key).bind(Json(def)).bind(i64::from(def.position)).bind(now)
            .execute(c).await?;
    });
    Ok(())
}

pub async fn update(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    def: &FieldDef,
    active: bool,
    now: DateTime<Utc>,
) -> Result<bool> {
    tx.mark_metadata_changed();
    let done = on_conn!(tx, c => {
        sqlx::query("UPDATE custom_fields SET definition = $4, position = $5, active = $6, updated_at = $7 WHERE tenant_id = $1 AND object = $2 AND key = $3")
            .bind(tenant_id).bind(object.key()).bind(&def.key).bind(Json(def)).bind(i64::from(def.position)).bind(active).bind(now)
            .execute(c).await?.rows_affected()
    });
    Ok(done == 1)
}

pub async fn set_index(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    key: &str,
    index_name: &str,
) -> Result<()> {
    tx.mark_metadata_changed();
    on_conn!(tx, c => {
        sqlx::query("UPDATE custom_fields SET index_name = $4 WHERE tenant_id = $1 AND object = $2 AND key = $3")
            .bind(tenant_id).bind(object.key()).bind(key).bind(index_name)
            .execute(c).await?;
    });
    Ok(())
}
