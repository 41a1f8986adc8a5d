//! Child rows on pages: the table of a record's rows with its totals on the record page, and
//! the rows' editor on the edit form (`lines.N.field` inputs; a ticked "remove" drops a row,
//! an empty row is no row, "add" fetches one more empty row with htmx — without JavaScript
//! the form always ends with one empty row).

use super::display::{label, show_value};
use super::{spec_of, Shown};
use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, FormErrors};
use crate::AppState;
use app::children::ChildRows;
use app::records::{ObjectFields, RecordView};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use domain::children::{ChildSpec, Computed};
use domain::fields::{FieldDef, FieldType, FieldValue};
use domain::permissions::ObjectKind;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// A record's rows of one kind, as the record page shows them.
pub struct ChildTable {
    pub key: &'static str,
    pub title: String,
    pub columns: Vec<(String, bool)>,
    pub rows: Vec<Vec<Shown>>,
    /// The record's computed fields over these rows (label, value).
    pub totals: Vec<(String, String)>,
}

fn is_numeric(f: &FieldDef) -> bool {
    matches!(
        f.field_type,
        FieldType::Number | FieldType::Money | FieldType::Percent
    )
}

/// The tables of the record's rows.
pub fn tables(t: Tr, view: &RecordView) -> Vec<ChildTable> {
    let none = HashMap::new();
    view.children
        .iter()
        .map(|rows| ChildTable {
            key: rows.spec.key,
            title: rows.spec.label(t.is_zh()).to_string(),
            columns: rows
                .spec
                .fields
                .iter()
                .map(|f| (label(t, f), is_numeric(f)))
                .collect(),
            rows: rows
                .rows
                .iter()
                .map(|r| {
                    rows.spec
                        .fields
                        .iter()
                        .map(|f| show_value(t, f, r.values.get(&f.key), &none))
                        .collect()
                })
                .collect(),
            totals: totals(t, &view.fields, rows.spec)
                .into_iter()
                .map(|f| {
                    let value = show_value(t, f, view.record.values.get(&f.key), &none);
                    (label(t, f), value.text)
                })
                .collect(),
        })
        .collect()
}

/// The record's fields computed from rows of `child` (that the reader may see).
fn totals<'a>(_t: Tr, fields: &'a ObjectFields, child: &ChildSpec) -> Vec<&'a FieldDef> {
    fields
        .all()
        .into_iter()
        .filter(|f| match &f.computed {
            Some(Computed::Sum { child: c, .. } | Computed::Count { child: c }) => *c == child.key,
            _ => false,
        })
        .collect()
}

/// One input of a row in the editor.
pub struct EditorCell {
    pub name: String,
    pub label: String,
    pub control: &'static str,
    pub value: String,
    pub required: bool,
    pub min: Option<String>,
    pub max: Option<String>,
    pub error: Option<String>,
}

pub struct EditorRow {
    pub index: usize,
    pub cells: Vec<EditorCell>,
    /// The computed fields of a stored row, as text.
    pub computed: Vec<String>,
    pub removed: bool,
}

/// The editor of one kind of rows on a record form.
pub struct RowsEditor {
    pub key: &'static str,
    pub title: String,
    pub headers: Vec<String>,
    pub computed_headers: Vec<String>,
    pub rows: Vec<EditorRow>,
    pub next: usize,
    pub add_url: String,
    pub add_label: String,
    pub remove_label: String,
    pub hint: String,
    pub error: Option<String>,
}

fn cell(
    child: &ChildSpec,
    f: &FieldDef,
    index: usize,
    value: String,
    errors: &FormErrors,
    t: Tr,
) -> EditorCell {
    let name = format!("{}.{index}.{}", child.key, f.key);
    EditorCell {
        error: errors.get(&name).map(str::to_string),
        label: label(t, f),
        control: if is_numeric(f) { "number" } else { "text" },
        value,
        required: f.required,
        min: f.min.map(|m| m.to_string()),
        max: f.max.map(|m| m.to_string()),
        name,
    }
}

fn blank_row(t: Tr, child: &ChildSpec, index: usize, errors: &FormErrors) -> EditorRow {
    EditorRow {
        index,
        cells: child
            .input_fields()
            .map(|f| cell(child, f, index, String::new(), errors, t))
            .collect(),
        computed: child
            .fields
            .iter()
            .filter(|f| f.system)
            .map(|_| String::new())
            .collect(),
        removed: false,
    }
}

fn editor(
    t: Tr,
    plural: &str,
    child: &'static ChildSpec,
    rows: Vec<EditorRow>,
    errors: &FormErrors,
) -> RowsEditor {
    let next = rows.iter().map(|r| r.index + 1).max().unwrap_or(0);
    RowsEditor {
        key: child.key,
        title: child.label(t.is_zh()).to_string(),
        headers: child.input_fields().map(|f| label(t, f)).collect(),
        computed_headers: child
            .fields
            .iter()
            .filter(|f| f.system)
            .map(|f| label(t, f))
            .collect(),
        rows,
        next,
        add_url: format!("/{plural}/rows/{}", child.key),
        add_label: t.get("children.add_row").to_string(),
        remove_label: t.get("children.remove_row").to_string(),
        hint: t.fmt(
            "children.max_rows",
            &[("limit", &child.max_rows.to_string())],
        ),
        error: errors.get(child.key).map(str::to_string),
    }
}

/// The editors of a form: rows as posted (shown again with their errors), else the
/// record's stored rows, each followed by an empty row.
pub async fn editors(
    state: &AppState,
    user: &Signed,
    fields: &ObjectFields,
    id: Option<Uuid>,
    raw: &HashMap<String, Vec<String>>,
    errors: &FormErrors,
) -> Vec<RowsEditor> {
    let t = user.ctx.tr;
    let spec = fields.spec;
    if spec.children.is_empty() {
        return Vec::new();
    }
    let stored: Vec<ChildRows> = match id {
        Some(id) if !spec.children.iter().any(|c| raw.contains_key(c.key)) => {
            app::records::get(&state.app, &user.actor, spec.kind, id)
                .await
                .map(|v| v.children)
                .unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let none = HashMap::new();
    let mut out = Vec::new();
    for child in &spec.children {
        let mut rows = Vec::new();
        if raw.contains_key(child.key) {
            let prefix = format!("{}.", child.key);
            let mut posted: BTreeMap<usize, HashMap<String, String>> = BTreeMap::new();
            for (key, values) in raw {
                let Some((index, field)) = key
                    .strip_prefix(&prefix)
                    .and_then(|rest| rest.split_once('.'))
                    .and_then(|(i, f)| Some((i.parse::<usize>().ok()?, f)))
                else {
                    continue;
                };
                let value = values
                    .iter()
                    .rev()
                    .find(|v| !v.is_empty())
                    .cloned()
                    .unwrap_or_default();
                posted
                    .entry(index)
                    .or_default()
                    .insert(field.to_string(), value);
            }
            for (index, values) in posted {
                rows.push(EditorRow {
                    index,
                    cells: child
                        .input_fields()
                        .map(|f| {
                            cell(
                                child,
                                f,
                                index,
                                values.get(&f.key).cloned().unwrap_or_default(),
                                errors,
                                t,
                            )
                        })
                        .collect(),
                    computed: child
                        .fields
                        .iter()
                        .filter(|f| f.system)
                        .map(|_| String::new())
                        .collect(),
                    removed: values.get("_remove").is_some_and(|v| !v.is_empty()),
                });
            }
        } else if let Some(stored) = stored.iter().find(|r| r.spec.key == child.key) {
            for (index, row) in stored.rows.iter().enumerate() {
                let text = |f: &FieldDef| match row.values.get(&f.key) {
                    Some(FieldValue::Decimal(d)) if f.field_type != FieldType::Money => {
                        d.normalize().to_string()
                    }
                    Some(v) => app::records::plain_text(v),
                    None => String::new(),
                };
                rows.push(EditorRow {
                    index,
                    cells: child
                        .input_fields()
                        .map(|f| cell(child, f, index, text(f), errors, t))
                        .collect(),
                    computed: child
                        .fields
                        .iter()
                        .filter(|f| f.system)
                        .map(|f| show_value(t, f, row.values.get(&f.key), &none).text)
                        .collect(),
                    removed: false,
                });
            }
        }
        let next = rows.iter().map(|r| r.index + 1).max().unwrap_or(0);
        if rows.len() < child.max_rows {
            rows.push(blank_row(t, child, next, errors));
        }
        out.push(editor(t, spec.plural, child, rows, errors));
    }
    out
}

#[derive(Template)]
#[template(path = "records/rows_fragment.html")]
struct RowFragment {
    ed: RowsEditor,
    row: EditorRow,
}

#[derive(serde::Deserialize)]
pub(super) struct RowQuery {
    index: Option<usize>,
}

/// `GET /{plural}/rows/{child}?index=N`: one more empty row for the editor (htmx), with
/// the "add" button moved on to the next index.
pub(super) async fn add_row(
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    Path(child): Path<String>,
    Query(q): Query<RowQuery>,
) -> Response {
    let t = user.ctx.tr;
    let spec = spec_of(kind);
    let Some(child) = spec.child(&child) else {
        return page_error(t, app::AppError::NotFound);
    };
    let index = q.index.unwrap_or(0).min(9_999);
    let errors = FormErrors::default();
    let row = blank_row(t, child, index, &errors);
    let mut ed = editor(t, spec.plural, child, Vec::new(), &errors);
    ed.next = index + 1;
    render(&RowFragment { ed, row }).into_response()
}
