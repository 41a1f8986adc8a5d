//! The list page of an object: views, filter builder, sortable columns and the rows fragment.

use super::display::{field_label, label, show_value};
use super::form::Pairs;
use super::{spec_of, Choice, Shown};
use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::records::{ListRequest, ObjectFields};
use app::AppError;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use domain::fields::{FieldDef, FieldType};
use domain::permissions::{Action, ObjectKind};
use domain::views::{FilterSpec, ViewDefinition};
use uuid::Uuid;

/// One row of the filter builder.
pub struct FilterRow {
    pub field: String,
    pub op: String,
    pub value: String,
    pub operators: Vec<Choice>,
    pub input: &'static str,
}

#[derive(Template)]
#[template(path = "records/list.html")]
struct ListPage {
    chrome: Chrome,
    plural: &'static str,
    /// Records that follow stage gates have a board (`/{plural}/board`).
    board: bool,
    title: String,
    new_label: String,
    can_create: bool,
    can_share: bool,
    views: Vec<Choice>,
    view: String,
    saved_view: Option<(Uuid, bool)>,
    q: String,
    sort: String,
    filters: Vec<FilterRow>,
    field_choices: Vec<Choice>,
    column_choices: Vec<(Choice, bool)>,
    columns: Vec<(String, String, Option<String>)>,
    rows: Vec<(String, String, Vec<Shown>)>,
    next_url: Option<String>,
    errors: FormErrors,
    /// The archive choice of an object with one (closed deals): (value, label, chosen).
    archive_choices: Vec<(String, String, bool)>,
    /// Rows can be selected for the bulk assignment (an object with assignment rules, a
    /// reader who may transfer): the reps to give them to.
    bulk: bool,
    bulk_users: Vec<Choice>,
    /// The reader may export the list (CSV, XLSX).
    can_export: bool,
}

#[derive(Template)]
#[template(path = "records/list.html", block = "rows")]
struct ListRows {
    chrome: Chrome,
    columns: Vec<(String, String, Option<String>)>,
    rows: Vec<(String, String, Vec<Shown>)>,
    next_url: Option<String>,
    bulk: bool,
}

#[derive(Template)]
#[template(path = "records/filter_row.html")]
struct FilterRowFragment {
    chrome: Chrome,
    plural: &'static str,
    row: FilterRow,
    field_choices: Vec<Choice>,
}

fn input_kind(field: Option<&FieldDef>) -> &'static str {
    match field.map(|f| f.field_type) {
        Some(FieldType::Date | FieldType::DateTime) => "date-or-days",
        Some(FieldType::Number | FieldType::Money | FieldType::Percent) => "number",
        _ => "text",
    }
}

pub(in crate::pages) fn build_filter_row(
    t: Tr,
    fields: &ObjectFields,
    spec: &FilterSpec,
) -> FilterRow {
    let field = fields.field(&spec.field);
    let operators = field
        .map(|f| f.field_type.operators().to_vec())
        .unwrap_or_default()
        .into_iter()
        .map(|op| Choice {
            value: op.key().into(),
            label: t.key("op.", op.key()),
        })
        .collect();
    // Show choice keys as the user typed them; a picklist filter shows its keys.
    FilterRow {
        field: spec.field.clone(),
        op: spec.op.clone(),
        value: spec.values.join(","),
        operators,
        input: input_kind(field),
    }
}

pub(in crate::pages) fn field_choices(t: Tr, fields: &ObjectFields) -> Vec<Choice> {
    fields
        .all()
        .into_iter()
        .map(|f| Choice {
            value: f.key.clone(),
            label: label(t, f),
        })
        .collect()
}

/// The list page's query string.
#[derive(Default)]
pub(in crate::pages) struct ListQuery {
    view: Option<String>,
    q: Option<String>,
    pub(super) sort: Option<String>,
    cursor: Option<String>,
    edited: bool,
    pub(super) filters: Vec<FilterSpec>,
    notice: Option<String>,
    /// Other parameters: those named like a field filter on it (`?grade=A`).
    by_field: Vec<(String, String)>,
    /// Archived records (closed deals): hidden, included or only them.
    archived: app::records::Archived,
}

pub(in crate::pages) fn parse_list_query(raw: Option<&str>) -> ListQuery {
    let pairs: Pairs = serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
    let mut q = ListQuery::default();
    let (mut ff, mut fo, mut fv) = (Vec::new(), Vec::new(), Vec::new());
    for (key, value) in pairs {
        match key.as_str() {
            "view" => q.view = Some(value),
            "q" => q.q = Some(value),
            "sort" => q.sort = Some(value).filter(|s| !s.is_empty()),
            "cursor" => q.cursor = Some(value),
            "edited" => q.edited = true,
            "notice" => q.notice = Some(value),
            "archived" => q.archived = app::records::Archived::parse(&value).unwrap_or_default(),
            "ff" => ff.push(value),
            "fo" => fo.push(value),
            "fv" => fv.push(value),
            _ if !value.is_empty() => q.by_field.push((key, value)),
            _ => {}
        }
    }
    for (i, field) in ff.into_iter().enumerate() {
        if field.is_empty() {
            continue;
        }
        let op = fo.get(i).cloned().unwrap_or_default();
        let value = fv.get(i).cloned().unwrap_or_default();
        let values = if value.trim().is_empty() {
            Vec::new()
        } else {
            value.split(',').map(|v| v.trim().to_string()).collect()
        };
        q.filters.push(FilterSpec { field, op, values });
    }
    q
}

fn list_url(
    plural: &str,
    view: &str,
    q: &str,
    sort: &str,
    filters: &[FilterSpec],
    cursor: Option<&str>,
    archived: app::records::Archived,
) -> String {
    let mut pairs: Vec<(&str, String)> = vec![("view", view.to_string())];
    if archived != app::records::Archived::Hidden {
        pairs.push(("archived", archived.key().to_string()));
    }
    if !q.is_empty() {
        pairs.push(("q", q.to_string()));
    }
    pairs.push(("sort", sort.to_string()));
    pairs.push(("edited", "1".into()));
    for f in filters {
        pairs.push(("ff", f.field.clone()));
        pairs.push(("fo", f.op.clone()));
        pairs.push(("fv", f.values.join(",")));
    }
    if let Some(c) = cursor {
        pairs.push(("cursor", c.to_string()));
    }
    format!(
        "/{plural}?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

/// The view a list starts from: a built-in key or a saved view id.
async fn resolve_view(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    key: &str,
) -> Result<(ViewDefinition, Option<(Uuid, bool)>), AppError> {
    if let Ok(id) = Uuid::parse_str(key) {
        let view = app::customize::get_view(&state.app, &user.actor, kind, id).await?;
        let mine = view.owner_id == user.actor.id();
        return Ok((view.definition.0, Some((id, mine))));
    }
    app::customize::builtin_views(kind)
        .into_iter()
        .find(|v| v.key == key)
        .map(|v| (v.definition, None))
        .ok_or(AppError::NotFound)
}

pub(super) async fn list(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    let t = user.ctx.tr;
    let query = parse_list_query(raw.as_deref());
    match list_page(&state, &user, kind, query).await {
        Ok(response) => response,
        Err(e) => page_error(t, e),
    }
}

/// The filters and sort a list shows: the view's, or those the user edited, with the
/// parameters named like a field (`?grade=A`).
fn shown(
    query: &ListQuery,
    definition: &ViewDefinition,
    fields: &ObjectFields,
) -> (Vec<FilterSpec>, String) {
    let mut filters = if query.edited {
        query.filters.clone()
    } else {
        definition.filters.clone()
    };
    filters.extend(
        query
            .by_field
            .iter()
            .filter(|(key, _)| fields.field(key).is_some())
            .map(|(key, value)| FilterSpec {
                field: key.clone(),
                op: "eq".into(),
                values: vec![value.clone()],
            }),
    );
    let default_sort = if definition.descending {
        format!("-{}", definition.sort)
    } else {
        definition.sort.clone()
    };
    (filters, query.sort.clone().unwrap_or(default_sort))
}

/// What a list shows, as an export: its view, filters, quick search, sort, archive choice
/// and the view's columns. An unknown view is a `view` field error.
pub(in crate::pages) async fn export_spec(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    query: &ListQuery,
) -> Result<app::exports::ExportSpec, AppError> {
    let view_key = query
        .view
        .clone()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "all".into());
    let (definition, _) =
        resolve_view(state, user, kind, &view_key)
            .await
            .map_err(|e| match e {
                AppError::NotFound => AppError::field("view", "invalid_choice"),
                e => e,
            })?;
    let fields = app::records::object_fields(&state.app, &user.actor, kind).await?;
    let (filters, sort) = shown(query, &definition, &fields);
    Ok(app::exports::ExportSpec {
        filters,
        sort: Some(sort),
        q: query.q.clone().filter(|q| !q.trim().is_empty()),
        archived: query.archived,
        columns: definition.columns,
        view: Some(view_key),
        max_rows: None,
    })
}

pub(in crate::pages) async fn list_page(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    query: ListQuery,
) -> Result<Response, AppError> {
    let t = user.ctx.tr;
    let spec = spec_of(kind);
    let view_key = query
        .view
        .clone()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "all".into());
    let (definition, saved_view) = resolve_view(state, user, kind, &view_key).await?;
    let fields = app::records::object_fields(&state.app, &user.actor, kind).await?;
    let (filters, sort) = shown(&query, &definition, &fields);
    let request = ListRequest {
        filters: filters.clone(),
        sort: Some(sort.clone()),
        cursor: query.cursor.clone(),
        limit: Some(50),
        q: query.q.clone(),
        related: None,
        archived: query.archived,
    };
    let archived = query.archived;
    let (page, errors, status) =
        match app::records::list(&state.app, &user.actor, kind, &request).await {
            Ok(page) => (Some(page), FormErrors::default(), StatusCode::OK),
            Err(e @ AppError::Validation(_)) => {
                let mut errors = FormErrors::from_app(t, &e);
                // Name the filter's field as the user knows it.
                for (key, _) in &mut errors.messages {
                    *key = match key.strip_prefix("filter.") {
                        Some(field) => field_label(t, &fields, field),
                        None => t.key("filter.", key),
                    };
                }
                (None, errors, StatusCode::UNPROCESSABLE_ENTITY)
            }
            Err(e) => return Err(e),
        };
    let column_keys: Vec<String> = if definition.columns.is_empty() {
        spec.default_columns.iter().map(|c| c.to_string()).collect()
    } else {
        definition.columns.clone()
    };
    let column_defs: Vec<&FieldDef> = column_keys
        .iter()
        .filter_map(|k| fields.field(k))
        .filter(|f| f.key != "name")
        .collect();
    let q = query.q.clone().unwrap_or_default();
    let columns: Vec<(String, String, Option<String>)> = column_defs
        .iter()
        .map(|f| {
            let next_sort = if sort == f.key {
                format!("-{}", f.key)
            } else {
                f.key.clone()
            };
            let href = f.indexed.then(|| {
                list_url(
                    spec.plural,
                    &view_key,
                    &q,
                    &next_sort,
                    &filters,
                    None,
                    archived,
                )
            });
            (f.key.clone(), label(t, f), href)
        })
        .collect();
    let mut rows = Vec::new();
    let mut next_url = None;
    if let Some(page) = &page {
        for r in &page.records {
            rows.push((
                format!("/{}/{}", spec.plural, r.id),
                r.name().to_string(),
                column_defs
                    .iter()
                    .map(|f| show_value(t, f, r.values.get(&f.key), &page.names))
                    .collect(),
            ));
        }
        next_url = page.next_cursor.as_deref().map(|c| {
            list_url(
                spec.plural,
                &view_key,
                &q,
                &sort,
                &filters,
                Some(c),
                archived,
            )
        });
    }
    let name_column = (
        String::from("name"),
        label(t, spec.field("name").unwrap_or(&spec.fields[0])),
        Some(list_url(
            spec.plural,
            &view_key,
            &q,
            if sort == "name" { "-name" } else { "name" },
            &filters,
            None,
            archived,
        )),
    );
    let mut all_columns = vec![name_column];
    all_columns.extend(columns);
    let bulk = spec.rules.contains(&domain::rules::Rule::Assignment)
        && user.actor.principal.can(kind, Action::Transfer);
    if user.ctx.htmx && query.cursor.is_some() {
        let fragment = ListRows {
            chrome: Chrome::new(&user.ctx, spec.plural),
            columns: all_columns,
            rows,
            next_url,
            bulk,
        };
        return Ok((status, render(&fragment)).into_response());
    }
    let mut views: Vec<Choice> = app::customize::builtin_views(kind)
        .into_iter()
        .map(|v| Choice {
            value: v.key.into(),
            label: if t.is_zh() {
                v.label_zh.into()
            } else {
                v.label_en.into()
            },
        })
        .collect();
    for v in app::customize::usable_views(&state.app, &user.actor, kind).await? {
        views.push(Choice {
            value: v.id.to_string(),
            label: v.name,
        });
    }
    let mut filter_rows: Vec<FilterRow> = filters
        .iter()
        .map(|f| build_filter_row(t, &fields, f))
        .collect();
    filter_rows.push(build_filter_row(
        t,
        &fields,
        &FilterSpec {
            field: String::new(),
            op: String::new(),
            values: Vec::new(),
        },
    ));
    let column_choices = fields
        .all()
        .into_iter()
        .filter(|f| f.key != "name")
        .map(|f| {
            (
                Choice {
                    value: f.key.clone(),
                    label: label(t, f),
                },
                column_keys.contains(&f.key),
            )
        })
        .collect();
    let page = ListPage {
        chrome: Chrome::new(&user.ctx, spec.plural)
            .with_notice_on(query.notice.as_deref(), kind.key()),
        plural: spec.plural,
        board: spec.rules.contains(&domain::rules::Rule::StageGate),
        archive_choices: if spec.archive.is_some() {
            [
                app::records::Archived::Hidden,
                app::records::Archived::Included,
                app::records::Archived::Only,
            ]
            .into_iter()
            .map(|a| {
                (
                    a.key().to_string(),
                    t.key("closing.archived.", a.key()),
                    a == archived,
                )
            })
            .collect()
        } else {
            Vec::new()
        },
        title: spec.label(t.is_zh()).to_string(),
        new_label: t.key("new.", kind.key()),
        can_create: user.actor.principal.can(kind, Action::Create),
        can_share: user
            .actor
            .principal
            .can(ObjectKind::Org, Action::Administer)
            || user
                .actor
                .principal
                .can(ObjectKind::Account, Action::Transfer),
        views,
        view: view_key,
        saved_view,
        q,
        sort,
        filters: filter_rows,
        field_choices: field_choices(t, &fields),
        column_choices,
        columns: all_columns,
        rows,
        next_url,
        errors,
        bulk,
        can_export: user.actor.principal.can(kind, Action::Export),
        bulk_users: if bulk {
            super::user_choices(state, user).await
        } else {
            Vec::new()
        },
    };
    Ok((status, render(&page)).into_response())
}

/// A filter row re-rendered for a newly chosen field (operators that fit its type).
pub(super) async fn filter_row(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    let list = format!("/{}", spec_of(kind).plural);
    if let Some(page) = crate::pages::fragment_opened_as_page(&user.ctx, &list) {
        return page;
    }
    let t = user.ctx.tr;
    let pairs: Pairs =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let fields = match app::records::object_fields(&state.app, &user.actor, kind).await {
        Ok(f) => f,
        Err(e) => return page_error(t, e),
    };
    let spec = FilterSpec {
        field: get("ff"),
        op: get("fo"),
        values: vec![get("fv")],
    };
    let mut row = build_filter_row(t, &fields, &spec);
    if !row.operators.iter().any(|o| o.value == row.op) {
        row.op = row
            .operators
            .first()
            .map(|o| o.value.clone())
            .unwrap_or_default();
    }
    render(&FilterRowFragment {
        chrome: Chrome::new(&user.ctx, ""),
        plural: spec_of(kind).plural,
        row,
        field_choices: field_choices(t, &fields),
    })
    .into_response()
}
