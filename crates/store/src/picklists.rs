//! Per-company metadata: picklist options of standard fields, stage sets and their stages,
//! and record types (see `domain::picklists`).

use crate::metadata_cache::{cached, MetadataCache};
use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use domain::fields::PicklistOption;
use domain::permissions::ObjectKind;
use domain::picklists::{Closed, RecordType, Stage, StageSet};
use sqlx::types::Json;
use sqlx::Row;
use uuid::Uuid;

type EditedOptions = Vec<(String, Vec<PicklistOption>)>;
static OPTIONS: MetadataCache<(Uuid, ObjectKind), EditedOptions> = MetadataCache::new();
static STAGE_SETS: MetadataCache<(Uuid, ObjectKind), Vec<StageSet>> = MetadataCache::new();
static RECORD_TYPES: MetadataCache<(Uuid, ObjectKind), Vec<RecordType>> = MetadataCache::new();

/// The company's options of each standard picklist of an object it has edited.
pub async fn options(tx: &mut Tx, tenant_id: Uuid, object: ObjectKind) -> Result<EditedOptions> {
    cached!(
        OPTIONS,
        tx,
        (tenant_id, object),
        read_options(tx, tenant_id, object).await?
    )
}

async fn read_options(tx: &mut Tx, tenant_id: Uuid, object: ObjectKind) -> Result<EditedOptions> {
    let mut out = Vec::new();
    on_conn!(tx, c => {
        let rows = sqlx::query("SELECT field, options FROM picklist_options WHERE tenant_id = $1 AND object = $2")
            .bind(tenant_id).bind(object.key()).fetch_all(c).await?;
        for row in rows {
            let Json(options): Json<Vec<PicklistOption>> = row.try_get("options")?;
            out.push((row.try_get("field")?, options));
        }
    });
    Ok(out)
}

pub async fn set_options(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    field: &str,
    options: &[PicklistOption],
    now: DateTime<Utc>,
) -> Result<()> {
    tx.mark_metadata_changed();
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO picklist_options (tenant_id, object, field, options, updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, object, field) DO UPDATE SET options = excluded.options, updated_at = excluded.updated_at")
            .bind(tenant_id).bind(object.key()).bind(field).bind(Json(options)).bind(now)
            .execute(c).await?;
    });
    Ok(())
}

/// The stage sets of an object with their stages, in order (the default set first).
pub async fn stage_sets(tx: &mut Tx, tenant_id: Uuid, object: ObjectKind) -> Result<Vec<StageSet>> {
    cached!(
        STAGE_SETS,
        tx,
        (tenant_id, object),
        read_stage_sets(tx, tenant_id, object).await?
    )
}

async fn read_stage_sets(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
) -> Result<Vec<StageSet>> {
    let mut sets: Vec<StageSet> = Vec::new();
    on_conn!(tx, c => {
        let rows = sqlx::query("SELECT key, name_zh, name_en FROM stage_sets WHERE tenant_id = $1 AND object = $2 ORDER BY CASE WHEN key = 'default' THEN 0 ELSE 1 END, key")
            .bind(tenant_id).bind(object.key()).fetch_all(&mut *c).await?;
        for row in rows {
            sets.push(StageSet { key: row.try_get("key")?, name_zh: row.try_get("name_zh")?, name_en: row.try_get("name_en")?, stages: Vec::new() });
        }
        let rows = sqlx::query("SELECT set_key, key, name_zh, name_en, win_rate, closed, duration_days, gate FROM stages WHERE tenant_id = $1 AND object = $2 ORDER BY set_key, position")
            .bind(tenant_id).bind(object.key()).fetch_all(c).await?;
        for row in rows {
            let set_key: String = row.try_get("set_key")?;
            let closed: Option<String> = row.try_get("closed")?;
            let win_rate: i64 = row.try_get("win_rate")?;
            let Json(mut gate): Json<domain::stages::Gate> = row.try_get("gate")?;
            let days: Option<i64> = row.try_get("duration_days")?;
            gate.duration_days = days.and_then(|d| u32::try_from(d).ok());
            let stage = Stage {
                key: row.try_get("key")?,
                name_zh: row.try_get("name_zh")?,
                name_en: row.try_get("name_en")?,
                win_rate: u32::try_from(win_rate).unwrap_or(0),
                closed: closed.as_deref().and_then(Closed::parse),
                gate,
            };
            if let Some(set) = sets.iter_mut().find(|s| s.key == set_key) {
                set.stages.push(stage);
            }
        }
    });
    Ok(sets)
}

/// Writes a stage set, replacing its stages when it exists.
pub async fn put_stage_set(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    set: &StageSet,
) -> Result<()> {
    tx.mark_metadata_changed();
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO stage_sets (tenant_id, object, key, name_zh, name_en) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, object, key) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en")
            .bind(tenant_id).bind(object.key()).bind(&set.key).bind(&set.name_zh).bind(&set.name_en)
            .execute(&mut *c).await?;
        sqlx::query("DELETE FROM stages WHERE tenant_id = $1 AND object = $2 AND set_key = $3")
            .bind(tenant_id).bind(object.key()).bind(&set.key)
            .execute(&mut *c).await?;
        for (position, stage) in set.stages.iter().enumerate() {
            let mut gate = stage.gate.clone();
            let days = gate.duration_days.take().map(i64::from);
            sqlx::query("INSERT INTO stages (tenant_id, object, set_key, key, name_zh, name_en, win_rate, closed, position, duration_days, gate) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                .bind(tenant_id).bind(object.key()).bind(&set.key).bind(&stage.key)
                .bind(&stage.name_zh).bind(&stage.name_en).bind(i64::from(stage.win_rate))
                .bind(stage.closed.map(Closed::key)).bind(position as i64)
                .bind(days).bind(Json(gate))
                .execute(&mut *c).await?;
        }
    });
    Ok(())
}

/// Gives a new company the default stage set (existing ones got it from migration 0019).
pub async fn seed(tx: &mut Tx, tenant_id: Uuid) -> Result<()> {
    put_stage_set(
        tx,
        tenant_id,
        ObjectKind::Opportunity,
        &StageSet::standard(),
    )
    .await
}

const RECORD_TYPE_COLUMNS: &str = "id, object, key, name_zh, name_en, active, is_default, stage_set, required_fields, layout_fields, follow_up_days";

macro_rules! record_type_of {
    ($row:expr) => {{
        let row = $row;
        let Json(required_fields): Json<Vec<String>> = row.try_get("required_fields")?;
        let Json(layout_fields): Json<Vec<String>> = row.try_get("layout_fields")?;
        let Json(follow_up_days): Json<domain::follow_up::Deadlines> =
            row.try_get("follow_up_days")?;
        RecordType {
            id: row.try_get("id")?,
            object: row.try_get("object")?,
            key: row.try_get("key")?,
            name_zh: row.try_get("name_zh")?,
            name_en: row.try_get("name_en")?,
            active: row.try_get("active")?,
            is_default: row.try_get("is_default")?,
            stage_set: row.try_get("stage_set")?,
            required_fields,
            layout_fields,
            follow_up_days,
        }
    }};
}

/// The record types of an object, retired ones included (records keep them).
pub async fn record_types(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
) -> Result<Vec<RecordType>> {
    cached!(
        RECORD_TYPES,
        tx,
        (tenant_id, object),
        read_record_types(tx, tenant_id, object).await?
    )
}

async fn read_record_types(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
) -> Result<Vec<RecordType>> {
    let mut out = Vec::new();
    on_conn!(tx, c => {
        let rows = sqlx::query(&format!("SELECT {RECORD_TYPE_COLUMNS} FROM record_types WHERE tenant_id = $1 AND object = $2 ORDER BY created_at, id"))
            .bind(tenant_id).bind(object.key()).fetch_all(c).await?;
        for row in rows {
            out.push(record_type_of!(row));
        }
    });
    Ok(out)
}

pub async fn record_type(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<Option<RecordType>> {
    let mut out = None;
    on_conn!(tx, c => {
        let row = sqlx::query(&format!("SELECT {RECORD_TYPE_COLUMNS} FROM record_types WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant_id).bind(id).fetch_optional(c).await?;
        if let Some(row) = row {
            out = Some(record_type_of!(row));
        }
    });
    Ok(out)
}

/// Inserts or updates a record type; a default one makes the object's others not default.
pub async fn put_record_type(
    tx: &mut Tx,
    tenant_id: Uuid,
    t: &RecordType,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.mark_metadata_changed();
    on_conn!(tx, c => {
        if t.is_default {
            sqlx::query("UPDATE record_types SET is_default = FALSE WHERE tenant_id = $1 AND object = $2 AND id <> $3")
                .bind(tenant_id).bind(&t.object).bind(t.id)
                .execute(&mut *c).await?;
        }
        sqlx::query("INSERT INTO record_types (tenant_id, id, object, key, name_zh, name_en, active, is_default, stage_set, required_fields, layout_fields, follow_up_days, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $13, $12, $12) ON CONFLICT (tenant_id, id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, active = excluded.active, is_default = excluded.is_default, stage_set = excluded.stage_set, required_fields = excluded.required_fields, layout_fields = excluded.layout_fields, follow_up_days = excluded.follow_up_days, updated_at = excluded.updated_at")
            .bind(tenant_id).bind(t.id).bind(&t.object).bind(&t.key).bind(&t.name_zh).bind(&t.name_en)
            .bind(t.active).bind(t.is_default).bind(&t.stage_set)
            .bind(Json(&t.required_fields)).bind(Json(&t.layout_fields)).bind(now)
            .bind(Json(&t.follow_up_days))
            .execute(&mut *c).await?;
    });
    Ok(())
}
