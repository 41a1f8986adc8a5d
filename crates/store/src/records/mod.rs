//! Business records of any object, driven by field metadata (`domain::objects`): one insert,
//! one update, one record query and one list query serve contacts, leads, opportunities and
//! activities, standard and custom fields alike.
//!
//! Standard fields live in typed columns; custom fields in the record's `custom` JSON, read
//! through `json_extract` (SQLite) or `->>` (PostgreSQL) — the same expressions an
//! index-on-demand is built on, so a filter on an indexed custom field uses its index.

use crate::search::{SearchPlan, TokenIndex};
use crate::visibility::{visible_records, SqlBuilder};
use crate::{Backend, Param, Result, StoreError, Tx};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use domain::fields::{FieldDef, FieldType, FieldValue};
use domain::objects::ObjectSpec;
use domain::permissions::{ObjectKind, Principal};
use domain::views::{Condition, Test};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;
use sqlx::types::Json;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

mod list;
mod rollup;
pub use list::*;
pub use rollup::*;

/// Field values by field key; a field without a value is absent.
pub type Values = BTreeMap<String, FieldValue>;

/// A record as read: its values (standard and custom) and its bookkeeping columns.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: Uuid,
    pub values: Values,
    pub owner_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i64,
}

impl Record {
    pub fn text(&self, key: &str) -> Option<&str> {
        match self.values.get(key) {
            Some(FieldValue::Text(s)) => Some(s),
            _ => None,
        }
    }

    pub fn id_of(&self, key: &str) -> Option<Uuid> {
        match self.values.get(key) {
            Some(FieldValue::Id(id)) => Some(*id),
            _ => None,
        }
    }

    pub fn name(&self) -> &str {
        self.text("name").unwrap_or_default()
    }
}

/// The table of a record object.
pub fn table(kind: ObjectKind) -> Result<&'static str> {
    domain::objects::spec(kind)
        .map(|s| s.plural)
        .ok_or_else(|| StoreError::Corrupt(format!("{} has no table", kind.key())))
}

/// The SQL expression of a field on the row alias `t`.
pub fn expression(backend: Backend, field: &FieldDef) -> String {
    if let Some(column) = &field.column {
        return format!("t.{column}");
    }
    let key = &field.key;
    match backend {
        Backend::Sqlite => format!("json_extract(t.custom, '$.{key}')"),
        Backend::Postgres => match field.field_type {
            FieldType::Number | FieldType::Money | FieldType::Percent => {
                format!("((t.custom->>'{key}')::numeric)")
            }
            FieldType::Checkbox => format!("((t.custom->>'{key}')::boolean)"),
            _ => format!("(t.custom->>'{key}')"),
        },
    }
}

/// A value as a query parameter compared with [`expression`], and the placeholder text.
pub(crate) fn bind_value(
    q: &mut SqlBuilder,
    backend: Backend,
    field: &FieldDef,
    value: &FieldValue,
) -> String {
    let custom = field.column.is_none();
    if field.field_type == FieldType::Money {
        // Stored as minor units: compared in those of the field's (the company's) currency.
        let minor = match value {
            FieldValue::Decimal(d) => {
                domain::money::to_minor_rounded(*d, field.money_exponent.unwrap_or(2))
            }
            _ => None,
        };
        let p = q.param(Param::I64(minor.unwrap_or(i64::MAX)));
        return match (custom, backend) {
            (true, Backend::Postgres) => format!("CAST({p} AS numeric)"),
            _ => p,
        };
    }
    let numeric = matches!(field.field_type, FieldType::Number | FieldType::Percent);
    let param = column_param(field, Some(value), 2);
    match (custom, backend) {
        // The number's JSON text, as `->>` reads the stored one: a `float8` parameter cast to
        // `numeric` keeps 15 digits and equalled no stored value of 16 or 17.
        (true, Backend::Postgres) if numeric => {
            let p = q.param(Param::Text(json_value(value).to_string()));
            format!("CAST({p} AS numeric)")
        }
        (true, Backend::Postgres) if field.field_type == FieldType::Checkbox => {
            let p = q.param(Param::Text(
                matches!(value, FieldValue::Bool(true)).to_string(),
            ));
            format!("CAST({p} AS boolean)")
        }
        (true, _) => {
            let p = match json_value(value) {
                serde_json::Value::String(s) => Param::Text(s),
                serde_json::Value::Bool(b) => Param::I64(i64::from(b)),
                _ => param_f64(value),
            };
            q.param(p)
        }
        (false, _) => q.param(param),
    }
}

fn param_f64(value: &FieldValue) -> Param {
    match value {
        FieldValue::Decimal(d) => Param::F64(decimal_f64(d).unwrap_or(0.0)),
        _ => Param::F64(0.0),
    }
}

/// The number a stored `double precision`/`REAL` or JSON number is read as: its shortest
/// decimal text, which turns back into the same `f64` ([`decimal_f64`]) — `Decimal::from_f64`
/// rounds (0.30000000000000004 became 0.3), and a cursor holding the rounded value matched no
/// stored row, so lists sorted by such a number repeated or skipped rows.
fn f64_decimal(f: f64) -> Option<Decimal> {
    let text = f.to_string();
    Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
        .or_else(|| Decimal::from_f64(f))
}

/// The `f64` of a number, correctly rounded from its decimal text (`Decimal::to_f64` is off by
/// one unit in the last place for some values).
fn decimal_f64(d: &Decimal) -> Option<f64> {
    d.to_string().parse().ok()
}

/// The currency code among a record's values, when its object has a currency field.
fn record_currency<'a>(spec: &ObjectSpec, values: &'a Values) -> Option<&'a str> {
    match values.get(spec.currency_field?) {
        Some(FieldValue::Text(code)) => Some(code),
        _ => None,
    }
}

/// The decimal places a money field of this record is stored with.
pub fn money_exponent(spec: &ObjectSpec, field: &FieldDef, values: &Values) -> u32 {
    spec.money_exponent(field, record_currency(spec, values))
}

/// A money value as the minor units it is stored as (the use cases checked its places;
/// anything finer rounds).
fn money_minor(value: &FieldValue, exponent: u32) -> Option<i64> {
    match value {
        FieldValue::Decimal(d) => domain::money::to_minor_rounded(*d, exponent),
        _ => None,
    }
}

/// The parameter that writes `value` into a standard field's column (NULL when absent);
/// money in minor units of `exponent` places.
fn column_param(field: &FieldDef, value: Option<&FieldValue>, exponent: u32) -> Param {
    match field.field_type {
        FieldType::Money => Param::OptI64(value.and_then(|v| money_minor(v, exponent))),
        FieldType::Number | FieldType::Percent => Param::OptF64(value.and_then(|v| match v {
            FieldValue::Decimal(d) => decimal_f64(d),
            _ => None,
        })),
        FieldType::Checkbox => {
            Param::OptI64(value.map(|v| i64::from(v == &FieldValue::Bool(true))))
        }
        FieldType::Lookup | FieldType::User => Param::OptUuid(value.and_then(|v| match v {
            FieldValue::Id(id) => Some(*id),
            _ => None,
        })),
        FieldType::DateTime => Param::OptTime(value.and_then(|v| match v {
            FieldValue::DateTime(t) => Some(*t),
            _ => None,
        })),
        FieldType::Date => Param::OptText(value.and_then(|v| match v {
            FieldValue::Date(d) => Some(d.format("%Y-%m-%d").to_string()),
            _ => None,
        })),
        FieldType::MultiSelect | FieldType::Tags => Param::Json(
            value
                .map(json_value)
                .unwrap_or_else(|| serde_json::json!([])),
        ),
        _ => Param::OptText(value.and_then(|v| match v {
            FieldValue::Text(s) => Some(s.clone()),
            _ => None,
        })),
    }
}

/// A value as stored in the `custom` JSON (and as list cursors carry it): strings, numbers,
/// booleans and arrays, with dates and instants in a form whose text order is their time
/// order. Instants keep their full stored precision (microseconds on PostgreSQL, what was
/// written on SQLite): a cursor cut to whole seconds skipped or repeated the rows written
/// within the same second as a page's last row.
pub fn json_value(value: &FieldValue) -> serde_json::Value {
    use serde_json::Value;
    match value {
        FieldValue::Bool(b) => Value::Bool(*b),
        FieldValue::Decimal(d) => decimal_f64(d)
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        FieldValue::Date(d) => Value::String(d.format("%Y-%m-%d").to_string()),
        FieldValue::DateTime(t) => Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        FieldValue::Id(id) => Value::String(id.to_string()),
        FieldValue::Choices(c) => Value::Array(c.iter().cloned().map(Value::String).collect()),
        FieldValue::Text(s) => Value::String(s.clone()),
    }
}

/// Reads a value of the type `field` from the `custom` JSON; anything else is ignored.
pub fn from_json(field: &FieldDef, value: &serde_json::Value) -> Option<FieldValue> {
    use serde_json::Value;
    Some(match (field.field_type, value) {
        (FieldType::Checkbox, Value::Bool(b)) => FieldValue::Bool(*b),
        (FieldType::Money, Value::Number(n)) => FieldValue::Decimal(match n.as_i64() {
            Some(i) => Decimal::from(i),
            None => f64_decimal(n.as_f64()?)?,
        }),
        (FieldType::Money, Value::String(s)) => {
            FieldValue::Decimal(Decimal::from_str_exact(s).ok()?)
        }
        (FieldType::Number | FieldType::Percent, Value::Number(n)) => {
            FieldValue::Decimal(f64_decimal(n.as_f64()?)?.normalize())
        }
        (FieldType::Date, Value::String(s)) => {
            FieldValue::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?)
        }
        (FieldType::DateTime, Value::String(s)) => {
            FieldValue::DateTime(DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc))
        }
        (FieldType::Lookup | FieldType::User, Value::String(s)) => {
            FieldValue::Id(Uuid::parse_str(s).ok()?)
        }
        (FieldType::MultiSelect | FieldType::Tags, Value::Array(items)) => FieldValue::Choices(
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        ),
        (_, Value::String(s)) => FieldValue::Text(s.clone()),
        _ => return None,
    })
}

fn standard_columns(spec: &ObjectSpec) -> impl Iterator<Item = (&FieldDef, &str)> {
    spec.fields.iter().filter_map(|f| {
        let column = f.column.as_deref()?;
        (!matches!(column, "owner_id" | "created_at" | "updated_at")).then_some((f, column))
    })
}

/// The columns of a record of `spec` over `from`, which names the records' table `t`.
fn select_sql(spec: &ObjectSpec, from: &str) -> String {
    let mut sql =
        String::from("SELECT t.id, t.owner_id, t.created_at, t.created_by, t.updated_at, t.updated_by, t.version, t.custom");
    for (_, column) in standard_columns(spec) {
        sql.push_str(", t.");
        sql.push_str(column);
    }
    sql.push(' ');
    sql.push_str(from);
    sql
}

macro_rules! decode_record {
    ($row:expr, $spec:expr, $custom:expr) => {{
        let row = $row;
        let mut values = Values::new();
        for (field, column) in standard_columns($spec) {
            let value = match field.field_type {
                // Minor units, given their places below, once the currency is read.
                FieldType::Money => row
                    .try_get::<Option<i64>, _>(column)?
                    .map(|c| FieldValue::Decimal(Decimal::from(c))),
                FieldType::Number | FieldType::Percent => row
                    .try_get::<Option<f64>, _>(column)?
                    .and_then(f64_decimal)
                    .map(|d| FieldValue::Decimal(d.normalize())),
                FieldType::Checkbox => row
                    .try_get::<Option<i64>, _>(column)?
                    .map(|b| FieldValue::Bool(b != 0)),
                FieldType::Lookup | FieldType::User => {
                    row.try_get::<Option<Uuid>, _>(column)?.map(FieldValue::Id)
                }
                FieldType::DateTime => row
                    .try_get::<Option<DateTime<Utc>>, _>(column)?
                    .map(FieldValue::DateTime),
                FieldType::Date => row
                    .try_get::<Option<String>, _>(column)?
                    .and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
                    .map(FieldValue::Date),
                FieldType::MultiSelect | FieldType::Tags => row
                    .try_get::<Option<Json<Vec<String>>>, _>(column)?
                    .map(|j| FieldValue::Choices(j.0))
                    .filter(|v| v != &FieldValue::Choices(Vec::new())),
                _ => row
                    .try_get::<Option<String>, _>(column)?
                    .map(FieldValue::Text),
            };
            if let Some(v) = value {
                values.insert(field.key.clone(), v);
            }
        }
        let custom_json: Json<serde_json::Value> = row.try_get("custom")?;
        if let serde_json::Value::Object(map) = &custom_json.0 {
            for field in $custom {
                if let Some(v) = map.get(&field.key).and_then(|v| from_json(field, v)) {
                    values.insert(field.key.clone(), v);
                }
            }
        }
        money_to_major(
            $spec,
            $spec.fields.iter().chain($custom.iter()),
            &mut values,
        );
        let owner_id: Uuid = row.try_get("owner_id")?;
        let created_at: DateTime<Utc> = row.try_get("created_at")?;
        let updated_at: DateTime<Utc> = row.try_get("updated_at")?;
        values.insert("owner_id".into(), FieldValue::Id(owner_id));
        values.insert("created_at".into(), FieldValue::DateTime(created_at));
        values.insert("updated_at".into(), FieldValue::DateTime(updated_at));
        Record {
            id: row.try_get("id")?,
            values,
            owner_id,
            created_at,
            created_by: row.try_get("created_by")?,
            updated_at,
            updated_by: row.try_get("updated_by")?,
            version: row.try_get("version")?,
        }
    }};
}

/// Gives the stored minor units of the money fields among `values` their currency's places.
fn money_to_major<'a>(
    spec: &ObjectSpec,
    fields: impl Iterator<Item = &'a FieldDef>,
    values: &mut Values,
) {
    for field in fields.filter(|f| f.field_type == FieldType::Money) {
        let exponent = money_exponent(spec, field, values);
        if let Some(FieldValue::Decimal(minor)) = values.get(&field.key) {
            let major = match minor.to_i64() {
                Some(m) => domain::money::from_minor(m, exponent),
                None => *minor,
            };
            values.insert(field.key.clone(), FieldValue::Decimal(major));
        }
    }
}

async fn fetch_records(
    tx: &mut Tx,
    spec: &ObjectSpec,
    custom: &[FieldDef],
    q: &SqlBuilder,
) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    on_conn!(tx, c => {
        let rows = bind_params!(sqlx::query(&q.sql), &q.params).fetch_all(c).await?;
        for row in &rows {
            out.push(decode_record!(row, spec, custom));
        }
    });
    Ok(out)
}

/// The custom values of `values` as the JSON object stored in the `custom` column (money as
/// integers of minor units).
fn custom_json(spec: &ObjectSpec, custom: &[FieldDef], values: &Values) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for field in custom {
        if let Some(v) = values.get(&field.key) {
            let stored = match field.field_type {
                FieldType::Money => money_minor(v, money_exponent(spec, field, values))
                    .map_or(serde_json::Value::Null, serde_json::Value::from),
                _ => json_value(v),
            };
            map.insert(field.key.clone(), stored);
        }
    }
    serde_json::Value::Object(map)
}

/// Who writes and when.
pub struct Stamp {
    pub actor: Uuid,
    pub at: DateTime<Utc>,
}

pub async fn insert(
    tx: &mut Tx,
    spec: &ObjectSpec,
    custom: &[FieldDef],
    tenant_id: Uuid,
    id: Uuid,
    values: &Values,
    stamp: &Stamp,
) -> Result<()> {
    let owner = owner_of(values)?;
    let mut q = SqlBuilder::new("");
    let mut columns = vec![
        "tenant_id",
        "id",
        "owner_id",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "version",
        "custom",
    ];
    let mut placeholders = vec![
        q.param(Param::Uuid(tenant_id)),
        q.param(Param::Uuid(id)),
        q.param(Param::Uuid(owner)),
        q.param(Param::Time(stamp.at)),
        q.param(Param::Uuid(stamp.actor)),
    ];
    placeholders.push(placeholders[3].clone());
    placeholders.push(placeholders[4].clone());
    placeholders.push("1".into());
    placeholders.push(q.param(Param::Json(custom_json(spec, custom, values))));
    for (field, column) in standard_columns(spec) {
        columns.push(column);
        let exponent = money_exponent(spec, field, values);
        placeholders.push(q.param(column_param(field, values.get(&field.key), exponent)));
    }
    q.sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        spec.plural,
        columns.join(", "),
        placeholders.join(", ")
    );
    on_conn!(tx, c => {
        bind_params!(sqlx::query(&q.sql), &q.params).execute(c).await?;
    });
    let fields = spec.fields.iter().chain(custom);
    crate::tags::sync(tx, spec.kind, fields, tenant_id, id, None, values).await
}

fn owner_of(values: &Values) -> Result<Uuid> {
    match values.get("owner_id") {
        Some(FieldValue::Id(id)) => Ok(*id),
        _ => Err(StoreError::Corrupt("record without an owner".into())),
    }
}

/// Writes every field of `current` anew if its version is still the stored one; returns
/// whether it did.
pub async fn update(
    tx: &mut Tx,
    spec: &ObjectSpec,
    custom: &[FieldDef],
    tenant_id: Uuid,
    current: &Record,
    values: &Values,
    stamp: &Stamp,
) -> Result<bool> {
    let (id, version) = (current.id, current.version);
    let owner = owner_of(values)?;
    let mut q = SqlBuilder::new("");
    let mut sets = vec![
        format!("owner_id = {}", q.param(Param::Uuid(owner))),
        format!("updated_at = {}", q.param(Param::Time(stamp.at))),
        format!("updated_by = {}", q.param(Param::Uuid(stamp.actor))),
        "version = version + 1".to_string(),
        format!(
            "custom = {}",
            q.param(Param::Json(custom_json(spec, custom, values)))
        ),
    ];
    for (field, column) in standard_columns(spec) {
        let exponent = money_exponent(spec, field, values);
        let p = q.param(column_param(field, values.get(&field.key), exponent));
        sets.push(format!("{column} = {p}"));
    }
    let tenant = q.param(Param::Uuid(tenant_id));
    let id = q.param(Param::Uuid(id));
    let version = q.param(Param::I64(version));
    q.sql = format!(
        "UPDATE {} SET {} WHERE tenant_id = {tenant} AND id = {id} AND version = {version}",
        spec.plural,
        sets.join(", ")
    );
    let done = on_conn!(tx, c => {
        bind_params!(sqlx::query(&q.sql), &q.params).execute(c).await?.rows_affected()
    });
    if done != 1 {
        return Ok(false);
    }
    let fields = spec.fields.iter().chain(custom);
    let before = Some(&current.values);
    crate::tags::sync(tx, spec.kind, fields, tenant_id, current.id, before, values).await?;
    Ok(true)
}

pub async fn delete(tx: &mut Tx, spec: &ObjectSpec, tenant_id: Uuid, id: Uuid) -> Result<bool> {
    let sql = format!(
        "DELETE FROM {} WHERE tenant_id = $1 AND id = $2",
        spec.plural
    );
    let done = on_conn!(tx, c => {
        sqlx::query(&sql).bind(tenant_id).bind(id).execute(c).await?.rows_affected()
    });
    Ok(done == 1)
}

/// The record if the principal may see it.
pub async fn get_visible(
    tx: &mut Tx,
    principal: &Principal,
    spec: &ObjectSpec,
    custom: &[FieldDef],
    id: Uuid,
) -> Result<Option<Record>> {
    let mut q = SqlBuilder::new(&select_sql(spec, &format!("FROM {} t", spec.plural)));
    q.push(" WHERE ");
    visible_records(&mut q, principal, spec.kind, "t");
    let p = q.param(Param::Uuid(id));
    q.push(&format!(" AND t.id = {p}"));
    Ok(fetch_records(tx, spec, custom, &q).await?.pop())
}

/// The record regardless of visibility (for use cases that already checked it).
pub async fn get(
    tx: &mut Tx,
    spec: &ObjectSpec,
    custom: &[FieldDef],
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<Record>> {
    let mut q = SqlBuilder::new(&select_sql(spec, &format!("FROM {} t", spec.plural)));
    let tenant = q.param(Param::Uuid(tenant_id));
    let p = q.param(Param::Uuid(id));
    q.push(&format!(" WHERE t.tenant_id = {tenant} AND t.id = {p}"));
    Ok(fetch_records(tx, spec, custom, &q).await?.pop())
}

/// The records with these ids regardless of visibility (for use cases that already checked
/// it), in no particular order.
pub async fn get_many(
    tx: &mut Tx,
    spec: &ObjectSpec,
    custom: &[FieldDef],
    tenant_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Record>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = SqlBuilder::new(&select_sql(spec, &format!("FROM {} t", spec.plural)));
    let tenant = q.param(Param::Uuid(tenant_id));
    let list: Vec<String> = ids.iter().map(|id| q.param(Param::Uuid(*id))).collect();
    q.push(&format!(
        " WHERE t.tenant_id = {tenant} AND t.id IN ({})",
        list.join(", ")
    ));
    fetch_records(tx, spec, custom, &q).await
}

/// Whether a record of `object` with this id exists and the principal may see it.
pub async fn is_visible(
    tx: &mut Tx,
    principal: &Principal,
    object: ObjectKind,
    id: Uuid,
) -> Result<bool> {
    let mut q = SqlBuilder::new(&format!("SELECT t.id FROM {} t WHERE ", table(object)?));
    visible_records(&mut q, principal, object, "t");
    let p = q.param(Param::Uuid(id));
    q.push(&format!(" AND t.id = {p}"));
    let found = on_conn!(tx, c => {
        bind_params!(sqlx::query(&q.sql), &q.params).fetch_optional(c).await?.is_some()
    });
    Ok(found)
}

/// Display names of referenced records and users, by id.
pub async fn names(
    tx: &mut Tx,
    tenant_id: Uuid,
    wanted: &[(Option<ObjectKind>, Uuid)],
) -> Result<HashMap<Uuid, String>> {
    let mut by_table: BTreeMap<&str, Vec<Uuid>> = BTreeMap::new();
    for (object, id) in wanted {
        let table = match object {
            None => "users",
            Some(kind) => table(*kind)?,
        };
        let ids = by_table.entry(table).or_default();
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    let mut out = HashMap::new();
    for (table, ids) in by_table {
        for chunk in ids.chunks(200) {
            let mut q = SqlBuilder::new("");
            let tenant = q.param(Param::Uuid(tenant_id));
            let list: Vec<String> = chunk.iter().map(|id| q.param(Param::Uuid(*id))).collect();
            // One primary-key lookup per id, in that order (CROSS JOIN): with `id IN (…)`
            // SQLite preferred scanning a covering index of the whole company (170 ms at a
            // million accounts).
            let values: Vec<String> = list.iter().map(|p| format!("({p})")).collect();
            q.sql = format!(
                "SELECT t.id, t.name FROM (VALUES {}) AS wanted CROSS JOIN {table} t
                 WHERE t.tenant_id = {tenant} AND t.id = wanted.column1",
                values.join(", ")
            );
            on_conn!(tx, c => {
                let rows = bind_params!(sqlx::query(&q.sql), &q.params).fetch_all(c).await?;
                for row in rows {
                    out.insert(row.try_get::<Uuid, _>("id")?, row.try_get::<String, _>("name")?);
                }
            });
        }
    }
    Ok(out)
}

/// Counts records of `spec` whose lookup `field` (standard or custom) points at `id`, up to
/// `cap`: what still refers to a record about to be deleted. A standard lookup is an indexed
/// column; a custom one is read from the JSON by the expression its index is built on
/// ([`create_custom_index`], which every custom lookup gets when it is added), so either
/// check is an index range, not a scan of the company's records.
pub async fn count_lookup_references(
    tx: &mut Tx,
    spec: &ObjectSpec,
    field: &FieldDef,
    tenant_id: Uuid,
    id: Uuid,
    cap: i64,
) -> Result<i64> {
    let backend = tx.backend();
    let mut q = SqlBuilder::new("");
    let tenant = q.param(Param::Uuid(tenant_id));
    let value = bind_value(&mut q, backend, field, &FieldValue::Id(id));
    let cap = q.param(Param::I64(cap));
    q.sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM {} t WHERE t.tenant_id = {tenant} AND {} = {value} LIMIT {cap}) r",
        spec.plural,
        expression(backend, field)
    );
    Ok(on_conn!(tx, c => {
        bind_params!(sqlx::query(&q.sql), &q.params).fetch_one(c).await?.try_get::<i64, _>("n")?
    }))
}

/// The ids of records of `spec` whose standard lookup `field` points at `id`, at most `cap`
/// in id order (a converted lead's activities, which move with it).
pub async fn ids_referring(
    tx: &mut Tx,
    spec: &ObjectSpec,
    field: &FieldDef,
    tenant_id: Uuid,
    id: Uuid,
    cap: i64,
) -> Result<Vec<Uuid>> {
    let backend = tx.backend();
    let mut q = SqlBuilder::new("");
    let tenant = q.param(Param::Uuid(tenant_id));
    let value = bind_value(&mut q, backend, field, &FieldValue::Id(id));
    let cap = q.param(Param::I64(cap));
    q.sql = format!(
        "SELECT t.id FROM {} t WHERE t.tenant_id = {tenant} AND {} = {value} ORDER BY t.id LIMIT {cap}",
        spec.plural,
        expression(backend, field)
    );
    Ok(on_conn!(tx, c => {
        bind_params!(sqlx::query_scalar::<_, Uuid>(&q.sql), &q.params).fetch_all(c).await?
    }))
}

/// Creates the indexes that make filtering and sorting on a custom field fast: one for a
/// filter on it with the lists' default order (`… = v ORDER BY updated_at`), one for sorting
/// by it; named `cf_<table>_<key>` and `cf_<table>_<key>_u`. Idempotent. On PostgreSQL they are
/// built concurrently (the table stays writable) and the table is analysed afterwards, so
/// that the planner knows how selective the field's values are.
pub async fn create_custom_index(
    db: &crate::Db,
    spec: &ObjectSpec,
    field: &FieldDef,
) -> Result<String> {
    let name = format!("cf_{}_{}", spec.plural, field.key);
    let expr = expression(db.backend(), field).replace("t.", "");
    let table = spec.plural;
    let concurrently = match db.backend() {
        Backend::Postgres => "CONCURRENTLY ",
        Backend::Sqlite => "",
    };
    let statements = [
        format!("CREATE INDEX {concurrently}IF NOT EXISTS {name} ON {table} (tenant_id, {expr}, id)"),
        format!("CREATE INDEX {concurrently}IF NOT EXISTS {name}_u ON {table} (tenant_id, {expr}, updated_at, id)"),
    ];
    on_pool!(writer db, pool => {
        for sql in &statements {
            sqlx::query(sql).execute(pool).await?;
        }
    });
    if db.backend() == Backend::Postgres {
        let analyze = format!("ANALYZE {table}");
        on_pool!(db, pool => {
            sqlx::query(&analyze).execute(pool).await?;
        });
    }
    Ok(name)
}

/// Moves a "last …" date forward (never back) on a record: last contacted, last deal.
pub async fn bump_date(
    tx: &mut Tx,
    table: &str,
    column: &str,
    tenant_id: Uuid,
    id: Uuid,
    value: Param,
) -> Result<()> {
    let sql = format!(
        "UPDATE {table} SET {column} = $3 WHERE tenant_id = $1 AND id = $2 AND ({column} IS NULL OR {column} < $3)"
    );
    let q = SqlBuilder {
        sql,
        params: vec![Param::Uuid(tenant_id), Param::Uuid(id), value],
    };
    on_conn!(tx, c => {
        bind_params!(sqlx::query(&q.sql), &q.params).execute(c).await?;
    });
    Ok(())
}

/// Sets one system column of a record (derived data kept by a rule, outside a save).
pub async fn set_column(
    tx: &mut Tx,
    table: &str,
    column: &str,
    tenant_id: Uuid,
    id: Uuid,
    value: Param,
) -> Result<()> {
    let q = SqlBuilder {
        sql: format!("UPDATE {table} SET {column} = $3 WHERE tenant_id = $1 AND id = $2"),
        params: vec![Param::Uuid(tenant_id), Param::Uuid(id), value],
    };
    on_conn!(tx, c => {
        bind_params!(sqlx::query(&q.sql), &q.params).execute(c).await?;
    });
    Ok(())
}
