//! Child rows written with their parent record, and computed fields, for every object that
//! declares them (`domain::children`): the record engine calls [`split`] on a write's input,
//! [`prepare`] before it checks the errors and [`write`] after it wrote the record, all in
//! the record's transaction, so a bad row leaves nothing written.
//!
//! Input names a row's field `lines.2.quantity` (a form posts that, an API body's
//! `"lines": [...]` becomes it); the bare key `lines` says that the rows are given, even none.
//! Given rows replace the stored ones; rows not given stay and are computed again (a new
//! currency rounds them anew). A change of rows writes one history entry on the parent (the
//! field `lines`, old and new rows as text) and joins the save's event.

use crate::records::{Input, ObjectFields};
use crate::{Actor, AppError, AppResult};
use chrono::{DateTime, Utc};
use domain::children::{self as rules, ChildSpec, Computed};
use domain::fields::{FieldDef, FieldType, FieldValue};
use domain::permissions::ObjectKind;
use domain::FieldErrors;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use store::children::{self as repo, ChildRow};
use store::history::NewChange;
use store::records::{Record, Values};
use store::Tx;
use uuid::Uuid;

/// The rows of one kind a record has, as read with it.
#[derive(Debug, Clone)]
pub struct ChildRows {
    pub spec: &'static ChildSpec,
    pub rows: Vec<ChildRow>,
    /// The decimal places of the rows' money (the record's currency).
    pub exponent: u32,
}

/// One submitted row: its index as given (for error keys) and its texts by field.
type RowInput = (usize, BTreeMap<String, Vec<String>>);

/// Submitted rows by their index as given.
type RowsByIndex = BTreeMap<usize, BTreeMap<String, Vec<String>>>;

/// The child rows among a write's input (see [`split`]).
#[derive(Debug, Default)]
pub struct ChildInput {
    given: Vec<(&'static ChildSpec, Vec<RowInput>)>,
    errors: Vec<(String, &'static str)>,
}

/// Longest history text of a set of rows; the rest is cut with an ellipsis.
const SUMMARY_CHARS: usize = 1000;
/// A form's "remove this row" box (`lines.2._remove`).
const REMOVE: &str = "_remove";
/// The highest row index accepted in input (a form never numbers rows further).
const MAX_INDEX: usize = 10_000;

/// Takes the child-row keys of `kind` out of `input`: the record's own fields and the rows.
pub fn split(kind: ObjectKind, input: &Input) -> (Input, ChildInput) {
    let Some(spec) = domain::objects::spec(kind).filter(|s| !s.children.is_empty()) else {
        return (input.clone(), ChildInput::default());
    };
    let mut own = Input::new();
    let mut children = ChildInput::default();
    let mut rows: Vec<(&'static ChildSpec, RowsByIndex)> = Vec::new();
    for (key, texts) in input {
        let (child_key, rest) = key.split_once('.').unwrap_or((key.as_str(), ""));
        let Some(child) = spec.child(child_key) else {
            own.push((key.clone(), texts.clone()));
            continue;
        };
        let at = match rows.iter().position(|(c, _)| c.key == child.key) {
            Some(at) => at,
            None => {
                rows.push((child, BTreeMap::new()));
                rows.len() - 1
            }
        };
        if rest.is_empty() {
            continue;
        }
        let parsed = rest
            .split_once('.')
            .and_then(|(i, f)| Some((i.parse::<usize>().ok()?, f)))
            .filter(|(i, f)| *i < MAX_INDEX && !f.is_empty());
        match parsed {
            Some((index, field)) => {
                rows[at]
                    .1
                    .entry(index)
                    .or_default()
                    .entry(field.to_string())
                    .or_default()
                    .extend(texts.iter().cloned());
            }
            None => children.errors.push((key.clone(), "unknown_field")),
        }
    }
    for (child, by_index) in rows {
        // A row left entirely blank (a form's empty row) is no row, nor one a form removes.
        let given = by_index
            .into_iter()
            .filter(|(_, fields)| {
                let removed = fields
                    .get(REMOVE)
                    .is_some_and(|v| v.iter().any(|t| !t.is_empty()));
                !removed && fields.values().flatten().any(|t| !t.trim().is_empty())
            })
            .map(|(index, mut fields)| {
                fields.remove(REMOVE);
                (index, fields)
            })
            .collect();
        children.given.push((child, given));
    }
    (own, children)
}

/// What [`prepare`] found: each kind's rows before and after, for [`write`].
#[derive(Debug, Default)]
pub struct Prepared {
    kinds: Vec<Kind>,
    /// The record's version when it was read (none on create).
    version: Option<i64>,
    /// Whether the record's own values change (the engine then writes it, version and all).
    parent_changes: bool,
}

#[derive(Debug)]
struct Kind {
    spec: &'static ChildSpec,
    before: Vec<Values>,
    after: Vec<Values>,
    exponent: u32,
    /// The places the stored rows' money has (another currency's, when it changed).
    stored_exponent: u32,
}

/// The decimal places of money on a record with these values: its currency's, else the
/// company's.
fn exponent_of(fields: &ObjectFields, values: &Values) -> u32 {
    let code = fields
        .spec
        .currency_field
        .and_then(|f| match values.get(f) {
            Some(FieldValue::Text(code)) => Some(code.as_str()),
            _ => None,
        })
        .unwrap_or(fields.currency.as_str());
    domain::money::exponent(code)
}

/// Checks the given rows (errors keyed `lines.2.quantity`), computes the rows' and the
/// record's computed fields into them and into `values`, and keeps what [`write`] needs.
pub async fn prepare(
    tx: &mut Tx,
    tenant_id: Uuid,
    fields: &ObjectFields,
    current: Option<&Record>,
    input: &ChildInput,
    values: &mut Values,
    errors: &mut FieldErrors,
) -> AppResult<Prepared> {
    for (key, code) in &input.errors {
        errors.add(key, code);
    }
    let spec = fields.spec;
    let exponent = exponent_of(fields, values);
    let mut kinds = Vec::new();
    let stored_exponent = current.map_or(exponent, |r| exponent_of(fields, &r.values));
    for child in &spec.children {
        let before = match current {
            Some(record) => {
                let stored = stored_exponent;
                repo::list(tx, child, tenant_id, record.id, stored)
                    .await?
                    .into_iter()
                    .map(|r| r.values)
                    .collect()
            }
            None => Vec::new(),
        };
        let mut after = match input.given.iter().find(|(c, _)| c.key == child.key) {
            Some((_, rows)) => rows
                .iter()
                .map(|(index, texts)| parse_row(child, *index, texts, errors))
                .collect(),
            None => before.clone(),
        };
        if after.len() > child.max_rows {
            errors.add_limit(child.key, "too_many_rows", child.max_rows as i64);
        }
        for (index, row) in after.iter_mut().enumerate() {
            check_places(child, index, row, exponent, errors);
            compute(
                &child.fields,
                row,
                exponent,
                |f| format!("{}.{index}.{f}", child.key),
                errors,
            )?;
        }
        kinds.push(Kind {
            spec: child,
            before,
            after,
            exponent,
            stored_exponent,
        });
    }
    for field in spec.fields.iter() {
        let value = match &field.computed {
            Some(Computed::Sum { child, field: key }) => {
                let rows = kinds.iter().find(|k| k.spec.key == *child);
                let mut sum = Decimal::ZERO;
                for row in rows.map(|k| k.after.as_slice()).unwrap_or_default() {
                    let add = rules::number_of(row.get(*key)).unwrap_or_default();
                    sum = sum
                        .checked_add(add)
                        .ok_or(AppError::Internal("sum overflow".into()))?;
                }
                Some(rules::as_field_value(field, sum, exponent))
            }
            Some(Computed::Count { child }) => {
                let rows = kinds.iter().find(|k| k.spec.key == *child);
                let count = rows.map_or(0, |k| k.after.len());
                Some(rules::as_field_value(field, Decimal::from(count), exponent))
            }
            _ => continue,
        };
        check_money(field, value.as_ref(), exponent, &field.key, errors);
        if let Some(v) = value {
            values.insert(field.key.clone(), v);
        }
    }
    compute(&spec.fields, values, exponent, |f| f.to_string(), errors)?;
    let unchanged = current.is_some_and(|record| {
        let strip = |v: &Values| {
            let mut v = v.clone();
            v.remove("updated_at");
            v
        };
        strip(&record.values) == strip(values)
    });
    Ok(Prepared {
        kinds,
        version: current.map(|r| r.version),
        parent_changes: !unchanged,
    })
}

/// One submitted row checked against its fields.
fn parse_row(
    child: &ChildSpec,
    index: usize,
    texts: &BTreeMap<String, Vec<String>>,
    errors: &mut FieldErrors,
) -> Values {
    let key = |f: &str| format!("{}.{index}.{f}", child.key);
    let mut row = Values::new();
    for name in texts.keys() {
        match child.field(name) {
            None => errors.add(&key(name), "unknown_field"),
            Some(f) if f.system => errors.add(&key(name), "read_only"),
            Some(_) => {}
        }
    }
    for field in child.input_fields() {
        let raw = texts.get(&field.key).cloned().unwrap_or_default();
        match field.parse(&raw) {
            Ok(Some(v)) => {
                let positive = child.positive.contains(&field.key.as_str());
                if positive && rules::number_of(Some(&v)).is_some_and(|n| n <= Decimal::ZERO) {
                    errors.add(&key(&field.key), "not_positive");
                }
                row.insert(field.key.clone(), v);
            }
            Ok(None) => {}
            Err(code) => errors.add(&key(&field.key), code),
        }
    }
    row
}

/// Money of a row finer than the record's currency allows, as field errors.
fn check_places(
    child: &ChildSpec,
    index: usize,
    row: &Values,
    exponent: u32,
    errors: &mut FieldErrors,
) {
    for field in child.input_fields() {
        let key = format!("{}.{index}.{}", child.key, field.key);
        check_money(field, row.get(&field.key), exponent, &key, errors);
    }
}

fn check_money(
    field: &FieldDef,
    value: Option<&FieldValue>,
    exponent: u32,
    key: &str,
    errors: &mut FieldErrors,
) {
    if field.field_type != FieldType::Money {
        return;
    }
    let Some(FieldValue::Decimal(amount)) = value else {
        return;
    };
    match domain::money::to_minor(*amount, exponent) {
        Ok(_) => {}
        Err(e @ domain::money::MoneyError::TooPrecise) => {
            errors.add_limit(key, e.code(), i64::from(exponent))
        }
        Err(e) => errors.add(key, e.code()),
    }
}

/// Sets the formula fields among `fields` on `values` (a row or the record).
fn compute(
    fields: &[FieldDef],
    values: &mut Values,
    exponent: u32,
    key: impl Fn(&str) -> String,
    errors: &mut FieldErrors,
) -> AppResult<()> {
    for field in fields {
        let Some(Computed::Formula(formula)) = &field.computed else {
            continue;
        };
        match rules::evaluate(formula, |k| rules::number_of(values.get(k))) {
            Ok(n) => {
                let value = rules::as_field_value(field, n, exponent);
                check_money(field, Some(&value), exponent, &key(&field.key), errors);
                values.insert(field.key.clone(), value);
            }
            Err(rules::FormulaError::Overflow) => errors.add(&key(&field.key), "above_max"),
            Err(rules::FormulaError::DivisionByZero) => {
                values.remove(&field.key);
            }
            Err(e) => return Err(AppError::Internal(format!("{}: {e}", field.key))),
        }
    }
    Ok(())
}

/// Writes the rows [`prepare`] checked, after the record itself (`values` as written): the
/// rows that changed replace the stored ones, with the history entry and the event of an
/// edit. A change of rows alone still moves the record's version.
pub async fn write(
    tx: &mut Tx,
    actor: &Actor,
    fields: &ObjectFields,
    id: Uuid,
    prepared: &Prepared,
    values: &Values,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut changes = Vec::new();
    for kind in &prepared.kinds {
        // Rows in another currency are stored again in its minor units, changed or not.
        let same = kind.before == kind.after;
        if same && kind.exponent == kind.stored_exponent {
            continue;
        }
        repo::replace(
            tx,
            kind.spec,
            actor.tenant_id(),
            id,
            &kind.after,
            kind.exponent,
        )
        .await?;
        if same {
            continue;
        }
        changes.push((
            kind.spec.key,
            summary(kind.spec, &kind.before, kind.stored_exponent),
            summary(kind.spec, &kind.after, kind.exponent),
        ));
    }
    let Some(version) = prepared.version else {
        // A new record: its creation is the event, its rows need no history.
        return Ok(());
    };
    if changes.is_empty() {
        return Ok(());
    }
    if !prepared.parent_changes {
        let stamp = (actor.id(), now);
        if !repo::touch_parent(
            tx,
            fields.spec.plural,
            actor.tenant_id(),
            id,
            version,
            stamp,
        )
        .await?
        {
            return Err(AppError::Conflict);
        }
    }
    let listed: Vec<NewChange> = changes
        .iter()
        .map(|(field, old, new)| NewChange {
            field,
            old_value: old.as_deref(),
            new_value: new.as_deref(),
        })
        .collect();
    let owner_id = match values.get("owner_id") {
        Some(FieldValue::Id(owner)) => Some(*owner),
        _ => None,
    };
    let name = match values.get("name") {
        Some(FieldValue::Text(name)) => name.as_str(),
        _ => "",
    };
    let subject = crate::events::Subject {
        object: fields.spec.kind,
        id,
        owner_id,
        name,
    };
    crate::events::changed(tx, actor, now, subject, &listed).await
}

/// Rows as one readable text for the history: each row's values in field order, money with
/// its currency's places.
fn summary(child: &ChildSpec, rows: &[Values], exponent: u32) -> Option<String> {
    if rows.is_empty() {
        return None;
    }
    let text: Vec<String> = rows
        .iter()
        .map(|row| {
            child
                .fields
                .iter()
                .filter_map(|f| match row.get(&f.key) {
                    Some(FieldValue::Decimal(d)) if f.field_type == FieldType::Money => {
                        Some(format!("{:.*}", exponent as usize, d))
                    }
                    other => other.map(crate::records::plain_text),
                })
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .collect();
    let text = text.join("; ");
    Some(match text.char_indices().nth(SUMMARY_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    })
}

/// The rows of every kind a record has (read in the transaction that read the record).
pub async fn load(
    tx: &mut Tx,
    tenant_id: Uuid,
    fields: &ObjectFields,
    record: &Record,
) -> AppResult<Vec<ChildRows>> {
    let mut out = Vec::new();
    for child in &fields.spec.children {
        let exponent = exponent_of(fields, &record.values);
        let rows = repo::list(tx, child, tenant_id, record.id, exponent).await?;
        out.push(ChildRows {
            spec: child,
            rows,
            exponent,
        });
    }
    Ok(out)
}
