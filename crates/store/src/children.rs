//! Child rows of records (`domain::children`): one table per kind, each row pointing at its
//! parent, read and replaced as a whole with the parent's write.
//!
//! Nothing here checks visibility: rows are only ever reached through their parent, which
//! the use case has read through `visibility::visible_records` in the same transaction.
//! Money is stored as minor units of the parent's currency, numbers and percents as exact
//! decimal text.

use crate::visibility::SqlBuilder;
use crate::{Param, Result, Tx};
use domain::children::ChildSpec;
use domain::fields::{FieldDef, FieldType, FieldValue};
use rust_decimal::Decimal;
use sqlx::Row;
use std::str::FromStr;
use uuid::Uuid;

pub use crate::records::Values;

/// One stored row: its id and its values (money in major units).
#[derive(Debug, Clone, PartialEq)]
pub struct ChildRow {
    pub id: Uuid,
    pub values: Values,
}

fn columns(spec: &ChildSpec) -> impl Iterator<Item = (&FieldDef, &str)> {
    spec.fields
        .iter()
        .filter_map(|f| f.column.as_deref().map(|c| (f, c)))
}

/// The parameter writing a row's value into its column (money as minor units of
/// `exponent` places; the use case checked the places, anything finer rounds).
fn param(field: &FieldDef, value: Option<&FieldValue>, exponent: u32) -> Param {
    match (field.field_type, value) {
        (FieldType::Money, Some(FieldValue::Decimal(d))) => {
            Param::OptI64(domain::money::to_minor_rounded(*d, exponent))
        }
        (FieldType::Money, _) => Param::OptI64(None),
        (FieldType::Checkbox, v) => {
            Param::OptI64(v.map(|v| i64::from(v == &FieldValue::Bool(true))))
        }
        (_, Some(FieldValue::Decimal(d))) => Param::OptText(Some(d.normalize().to_string())),
        (_, Some(FieldValue::Date(d))) => Param::OptText(Some(d.format("%Y-%m-%d").to_string())),
        (_, Some(FieldValue::Text(s))) => Param::OptText(Some(s.clone())),
        (_, Some(FieldValue::Id(id))) => Param::OptText(Some(id.to_string())),
        (_, Some(FieldValue::Choices(c))) => Param::OptText(Some(c.join(","))),
        (_, Some(FieldValue::Bool(b))) => Param::OptText(Some(b.to_string())),
        (_, Some(FieldValue::DateTime(t))) => Param::OptText(Some(t.to_rfc3339())),
        (_, None) => Param::OptText(None),
    }
}

/// The rows of one parent, in their order.
pub async fn list(
    tx: &mut Tx,
    spec: &ChildSpec,
    tenant_id: Uuid,
    parent: Uuid,
    exponent: u32,
) -> Result<Vec<ChildRow>> {
    let selected: Vec<&str> = columns(spec).map(|(_, c)| c).collect();
    let sql = format!(
        "SELECT id, {} FROM {} WHERE tenant_id = $1 AND {} = $2 ORDER BY position",
        selected.join(", "),
        spec.table,
        spec.parent_column
    );
    let mut out = Vec::new();
    on_conn!(tx, c => {
        let rows = sqlx::query(&sql).bind(tenant_id).bind(parent).fetch_all(c).await?;
        for row in &rows {
            let mut values = Values::new();
            for (field, column) in columns(spec) {
                let value = match field.field_type {
                    FieldType::Money => row
                        .try_get::<Option<i64>, _>(column)?
                        .map(|m| FieldValue::Decimal(domain::money::from_minor(m, exponent))),
                    FieldType::Checkbox => row
                        .try_get::<Option<i64>, _>(column)?
                        .map(|b| FieldValue::Bool(b != 0)),
                    FieldType::Number | FieldType::Percent => row
                        .try_get::<Option<String>, _>(column)?
                        .and_then(|s| Decimal::from_str(&s).ok())
                        .map(FieldValue::Decimal),
                    _ => row
                        .try_get::<Option<String>, _>(column)?
                        .and_then(|s| field.parse(&[s]).ok().flatten()),
                };
                if let Some(v) = value {
                    values.insert(field.key.clone(), v);
                }
            }
            out.push(ChildRow { id: row.try_get("id")?, values });
        }
    });
    Ok(out)
}

/// Replaces every row of `parent` by `rows`, in their order, with new ids.
pub async fn replace(
    tx: &mut Tx,
    spec: &ChildSpec,
    tenant_id: Uuid,
    parent: Uuid,
    rows: &[Values],
    exponent: u32,
) -> Result<()> {
    let sql = format!(
        "DELETE FROM {} WHERE tenant_id = $1 AND {} = $2",
        spec.table, spec.parent_column
    );
    on_conn!(tx, c => {
        sqlx::query(&sql).bind(tenant_id).bind(parent).execute(c).await?;
    });
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = SqlBuilder::new("");
    let tenant = q.param(Param::Uuid(tenant_id));
    let parent = q.param(Param::Uuid(parent));
    let mut tuples = Vec::new();
    for (position, row) in rows.iter().enumerate() {
        let mut cells = vec![
            tenant.clone(),
            q.param(Param::Uuid(Uuid::now_v7())),
            parent.clone(),
            q.param(Param::I64(position as i64)),
        ];
        for (field, _) in columns(spec) {
            cells.push(q.param(param(field, row.get(&field.key), exponent)));
        }
        tuples.push(format!("({})", cells.join(", ")));
    }
    let names: Vec<&str> = columns(spec).map(|(_, c)| c).collect();
    q.sql = format!(
        "INSERT INTO {} (tenant_id, id, {}, position, {}) VALUES {}",
        spec.table,
        spec.parent_column,
        names.join(", "),
        tuples.join(", ")
    );
    on_conn!(tx, c => {
        bind_params!(sqlx::query(&q.sql), &q.params).execute(c).await?;
    });
    Ok(())
}

/// Moves a record's version and stamp when only its rows changed (the rows are part of it:
/// an edit based on the old version must conflict). False when the version moved meanwhile.
pub async fn touch_parent(
    tx: &mut Tx,
    table: &str,
    tenant_id: Uuid,
    id: Uuid,
    version: i64,
    (actor, at): (Uuid, chrono::DateTime<chrono::Utc>),
) -> Result<bool> {
    let sql = format!(
        "UPDATE {table} SET version = version + 1, updated_at = $4, updated_by = $5 \
         WHERE tenant_id = $1 AND id = $2 AND version = $3"
    );
    let done = on_conn!(tx, c => {
        sqlx::query(&sql)
            .bind(tenant_id)
            .bind(id)
            .bind(version)
            .bind(at)
            .bind(actor)
            .execute(c)
            .await?
            .rows_affected()
    });
    Ok(done == 1)
}
