//! `record_tags`: one row per tag of a record's tags field, so that a list filtered by a tag
//! reads an index instead of every record's JSON array.

use crate::{Result, Tx};
use domain::fields::{FieldDef, FieldType, FieldValue};
use domain::permissions::ObjectKind;
use uuid::Uuid;

fn tags_of(value: Option<&FieldValue>) -> &[String] {
    match value {
        Some(FieldValue::Choices(tags)) => tags,
        _ => &[],
    }
}

/// Rewrites the tag rows of every tags field among `fields` whose value differs between
/// `before` (`None` for a new record) and `after`.
pub async fn sync(
    tx: &mut Tx,
    object: ObjectKind,
    fields: impl Iterator<Item = &FieldDef>,
    tenant_id: Uuid,
    id: Uuid,
    before: Option<&crate::records::Values>,
    after: &crate::records::Values,
) -> Result<()> {
    for field in fields.filter(|f| f.field_type == FieldType::Tags) {
        let new = tags_of(after.get(&field.key));
        let old = before.map(|b| tags_of(b.get(&field.key)));
        if old == Some(new) || (old.is_none() && new.is_empty()) {
            continue;
        }
        on_conn!(tx, c => {
            if old.is_some() {
                sqlx::query("DELETE FROM record_tags WHERE tenant_id = $1 AND object = $2 AND field = $3 AND record_id = $4")
                    .bind(tenant_id).bind(object.key()).bind(&field.key).bind(id)
                    .execute(&mut *c).await?;
            }
            for tag in new {
                sqlx::query("INSERT INTO record_tags (tenant_id, object, field, tag, record_id) VALUES ($1, $2, $3, $4, $5)")
                    .bind(tenant_id).bind(object.key()).bind(&field.key).bind(tag).bind(id)
                    .execute(&mut *c).await?;
            }
        });
    }
    Ok(())
}

/// Removes the tag rows of a deleted record.
pub async fn forget(tx: &mut Tx, object: ObjectKind, tenant_id: Uuid, id: Uuid) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM record_tags WHERE tenant_id = $1 AND object = $2 AND record_id = $3")
            .bind(tenant_id).bind(object.key()).bind(id)
            .execute(c).await?;
    });
    Ok(())
}
