//! Import pages: an "Import" entry on each object's list leads to the upload
//! (`/{object}/import`), then the draft's setup (`/imports/{id}/setup`: the sheet, each
//! column's field, the duplicate mode and a preview of the first rows as they will be
//! stored, with each cell's error), then its progress (`/imports/{id}`, polled with htmx
//! until done, so the user may leave and come back), the history (`/imports`) with counts,
//! the error file (`/imports/{id}/errors.csv`) and undo. The same use cases as the API's.

use super::records::{label, show_value, OBJECTS};
use super::see_other;
use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, Chrome};
use crate::AppState;
use app::imports::{self, ImportView, Mapping, Mode, Settings};
use app::{Actor, App, AppError, AppResult};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Extension, Router};
use domain::permissions::{Action, ObjectKind};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route("/imports", get(history))
        .route("/imports/{id}", get(show))
        .route("/imports/{id}/setup", get(setup).post(configure))
        .route("/imports/{id}/start", post(start))
        .route("/imports/{id}/undo", post(undo))
        .route("/imports/{id}/errors.csv", get(errors));
    for kind in OBJECTS {
        let Some(spec) = domain::objects::spec(kind) else {
            continue;
        };
        let route: MethodRouter<AppState> = get(upload_form)
            .post(upload)
            .layer(DefaultBodyLimit::max(crate::api::IMPORT_UPLOAD_LIMIT));
        router = router.route(
            &format!("/{}/import", spec.plural),
            route.layer(Extension(kind)),
        );
    }
    router
}

fn plural(kind: ObjectKind) -> &'static str {
    domain::objects::spec(kind).map_or("", |s| s.plural)
}

fn object_label(t: Tr, kind: ObjectKind) -> &'static str {
    domain::objects::spec(kind).map_or("", |s| s.label(t.is_zh()))
}

/// An import's id from its URL: a malformed one is not found.
fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

#[derive(Template)]
#[template(path = "imports/upload.html")]
struct UploadPage {
    chrome: Chrome,
    title: String,
    plural: &'static str,
    object: &'static str,
    max_mb: usize,
    error: Option<String>,
}

fn upload_page(user: &Signed, kind: ObjectKind, error: Option<String>) -> UploadPage {
    let t = user.ctx.tr;
    UploadPage {
        chrome: Chrome::new(&user.ctx, plural(kind)),
        title: t.fmt("import.title", &[("object", object_label(t, kind))]),
        plural: plural(kind),
        object: kind.key(),
        max_mb: imports::MAX_BYTES / 1024 / 1024,
        error,
    }
}

async fn upload_form(user: Signed, Extension(kind): Extension<ObjectKind>) -> Response {
    if let Err(e) = user.actor.require(kind, Action::Create) {
        return page_error(user.ctx.tr, e);
    }
    render(&upload_page(&user, kind, None)).into_response()
}

/// The messages of an error on a page: field errors one by one, else the error's own.
fn messages(t: Tr, error: &AppError) -> String {
    match error {
        AppError::Validation(errors) => errors
            .0
            .iter()
            .map(|e| t.field_error(e))
            .collect::<Vec<_>>()
            .join(" "),
        other => crate::error::message_of(t, other),
    }
}

async fn upload(
    State(state): State<AppState>,
    user: Signed,
    Extension(kind): Extension<ObjectKind>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let t = user.ctx.tr;
    let uploaded = match multipart {
        Ok(m) => crate::api::read_import_upload(m).await,
        Err(_) => Err(AppError::field("file", "invalid_upload")),
    };
    let result = match uploaded {
        Ok(u) => {
            let bytes = u.file.as_deref().unwrap_or_default();
            imports::upload(&state.app, &user.actor, kind, &u.file_name, bytes).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(view) => see_other(user.ctx.htmx, &format!("/imports/{}/setup", view.import.id)),
        Err(e @ AppError::Validation(_)) => {
            let mut response =
                render(&upload_page(&user, kind, Some(messages(t, &e)))).into_response();
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
        Err(e) => page_error(t, e),
    }
}

/// A column of the setup page: its header, the first row's value and the field chosen.
pub struct ColumnRow {
    pub index: usize,
    pub header: String,
    pub sample: String,
    pub chosen: String,
}

/// A cell of the preview: the value as stored, or the error.
pub struct PreviewCell {
    pub text: String,
    pub error: Option<String>,
}

pub struct PreviewLine {
    pub number: i64,
    pub outcome: String,
    pub cells: Vec<PreviewCell>,
    /// Errors not of one mapped column.
    pub general: Vec<String>,
}

#[derive(Template)]
#[template(path = "imports/setup.html")]
struct SetupPage {
    chrome: Chrome,
    title: String,
    id: Uuid,
    file_name: String,
    sheets: Vec<(String, bool)>,
    columns: Vec<ColumnRow>,
    /// (key, label) of every field a column may be mapped to.
    targets: Vec<(String, String)>,
    modes: Vec<(&'static str, String, bool)>,
    /// Labels of the mapped fields, the preview's columns.
    preview_heads: Vec<String>,
    preview: Vec<PreviewLine>,
    total_rows: i64,
    error: Option<String>,
}

/// A reason a row failed, in the reader's language: the field's label and the message.
pub fn reason(
    t: Tr,
    fields: &app::records::ObjectFields,
    field: &str,
    code: &str,
    limit: Option<i64>,
) -> String {
    let limit = limit.map(|l| l.to_string()).unwrap_or_default();
    if field.is_empty() {
        let rule = format!("error.rule.{code}");
        let text = t.key("error.rule.", code);
        return if text != rule {
            text
        } else {
            t.key("error.", code)
        };
    }
    let message = t.fmt(&format!("error.field.{code}"), &[("limit", &limit)]);
    match fields.field(field) {
        Some(f) => format!("{}: {message}", label(t, f)),
        None => format!("{field}: {message}"),
    }
}

async fn setup_page(
    app: &App,
    user: &Signed,
    id: Uuid,
    error: Option<String>,
) -> AppResult<SetupPage> {
    let t = user.ctx.tr;
    let view = imports::get(app, &user.actor, id).await?;
    let fields = app::records::object_fields(app, &user.actor, view.object).await?;
    let table_sheets = imports::sheets(app, &user.actor, id).await?;
    let current_sheet = view
        .import
        .sheet
        .clone()
        .or_else(|| table_sheets.first().cloned());
    let preview = imports::preview(app, &user.actor, id)
        .await
        .unwrap_or_default();
    let mapped: Vec<(usize, String)> = view
        .headers
        .iter()
        .enumerate()
        .filter_map(|(i, h)| Some((i, view.mapping.get(h).filter(|k| !k.is_empty())?.clone())))
        .collect();
    let first = imports::first_row(app, &user.actor, id)
        .await
        .unwrap_or_default();
    let columns = view
        .headers
        .iter()
        .enumerate()
        .map(|(index, header)| ColumnRow {
            index,
            header: header.clone(),
            sample: first.get(index).cloned().unwrap_or_default(),
            chosen: view.mapping.get(header).cloned().unwrap_or_default(),
        })
        .collect();
    let targets = imports::targets(&fields)
        .into_iter()
        .map(|f| (f.key.clone(), label(t, f)))
        .collect();
    let preview = preview
        .into_iter()
        .map(|row| {
            let cells = mapped
                .iter()
                .map(|(_, key)| {
                    let error = row
                        .errors
                        .0
                        .iter()
                        .find(|e| &e.field == key)
                        .map(|e| t.field_error(e));
                    let text = fields
                        .field(key)
                        .map(|f| show_value(t, f, row.values.get(key), &row.names).text)
                        .unwrap_or_default();
                    PreviewCell { text, error }
                })
                .collect();
            let general = row
                .errors
                .0
                .iter()
                .filter(|e| !mapped.iter().any(|(_, k)| k == &e.field))
                .map(|e| reason(t, &fields, &e.field, e.code, e.limit))
                .collect();
            PreviewLine {
                number: row.number,
                outcome: t.key("import.outcome.", row.outcome),
                cells,
                general,
            }
        })
        .collect();
    let preview_heads = mapped
        .iter()
        .map(|(_, key)| fields.field(key).map(|f| label(t, f)).unwrap_or_default())
        .collect();
    Ok(SetupPage {
        chrome: Chrome::new(&user.ctx, plural(view.object)),
        title: t.fmt("import.title", &[("object", object_label(t, view.object))]),
        id,
        file_name: view.import.file_name.clone(),
        sheets: table_sheets
            .iter()
            .map(|s| (s.clone(), Some(s) == current_sheet.as_ref()))
            .collect(),
        columns,
        targets,
        modes: Mode::ALL
            .into_iter()
            .map(|m| (m.key(), t.key("import.mode.", m.key()), m == view.mode))
            .collect(),
        preview_heads,
        preview,
        total_rows: view.import.total_rows,
        error,
    })
}

async fn setup(State(state): State<AppState>, user: Signed, Path(id): Path<String>) -> Response {
    let t = user.ctx.tr;
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    match imports::get(&state.app, &user.actor, id).await {
        Ok(view) if view.state != "draft" => return see_other(false, &format!("/imports/{id}")),
        Ok(_) => {}
        Err(e) => return page_error(t, e),
    }
    match setup_page(&state.app, &user, id, None).await {
        Ok(page) => render(&page).into_response(),
        Err(e) => page_error(t, e),
    }
}

/// The setup form: `sheet`, `mode` and `column.<index>` = field key.
fn settings_of(view: &ImportView, form: &HashMap<String, String>) -> Settings {
    let sheet = form.get("sheet").filter(|s| !s.is_empty()).cloned();
    let sheet_changed = sheet != view.import.sheet && sheet.is_some();
    let mapping: Mapping = view
        .headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.is_empty())
        .map(|(i, h)| {
            let key = form
                .get(&format!("column.{i}"))
                .cloned()
                .unwrap_or_default();
            (h.clone(), key)
        })
        .collect();
    Settings {
        sheet,
        // Another sheet has other columns: matched again.
        mapping: (!sheet_changed).then_some(mapping),
        mode: form
            .get("mode")
            .and_then(|m| Mode::parse(m))
            .unwrap_or(view.mode),
    }
}

async fn save_settings(
    app: &App,
    actor: &Actor,
    id: Uuid,
    form: &HashMap<String, String>,
) -> AppResult<()> {
    let view = imports::get(app, actor, id).await?;
    imports::configure(app, actor, id, &settings_of(&view, form)).await?;
    Ok(())
}

/// The setup form posted: its settings saved, then the setup shown again (`start` false)
/// or the import started and its progress shown.
async fn submit(
    app: &App,
    user: &Signed,
    id: &str,
    form: &HashMap<String, String>,
    start: bool,
) -> Response {
    let t = user.ctx.tr;
    let id = match parse_id(id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    let saved = async {
        save_settings(app, &user.actor, id, form).await?;
        if start {
            imports::start(app, &user.actor, id).await?;
        }
        Ok::<_, AppError>(())
    }
    .await;
    let next = if start {
        format!("/imports/{id}")
    } else {
        format!("/imports/{id}/setup")
    };
    match saved {
        Ok(()) => see_other(user.ctx.htmx, &next),
        Err(e @ AppError::Validation(_)) => {
            match setup_page(app, user, id, Some(messages(t, &e))).await {
                Ok(page) => unprocessable(render(&page).into_response()),
                Err(e) => page_error(t, e),
            }
        }
        Err(e) => page_error(t, e),
    }
}

fn unprocessable(mut response: Response) -> Response {
    *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    response
}

async fn configure(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    super::Form(form): super::Form<HashMap<String, String>>,
) -> Response {
    submit(&state.app, &user, &id, &form, false).await
}

async fn start(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    super::Form(form): super::Form<HashMap<String, String>>,
) -> Response {
    submit(&state.app, &user, &id, &form, true).await
}

/// An import as the progress page and the history show it.
pub struct ImportRow {
    pub id: Uuid,
    pub object: String,
    pub plural: &'static str,
    pub file_name: String,
    pub state: String,
    pub state_label: String,
    pub finished: bool,
    pub done: bool,
    pub percent: i64,
    pub position: i64,
    pub total: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed: i64,
    pub created_at: String,
    pub error: Option<String>,
}

impl ImportRow {
    fn new(t: Tr, view: &ImportView) -> Self {
        let i = &view.import;
        let percent = match (view.state.as_str(), i.total_rows) {
            ("done" | "undone", _) => 100,
            (_, 0) => 0,
            _ => (i.position * 100 / i.total_rows).clamp(0, 100),
        };
        ImportRow {
            id: i.id,
            object: object_label(t, view.object).to_string(),
            plural: plural(view.object),
            file_name: i.file_name.clone(),
            state: view.state.clone(),
            state_label: t.key("import.state.", &view.state),
            finished: view.finished(),
            done: view.state == "done",
            percent,
            position: i.position,
            total: i.total_rows,
            created: i.created,
            updated: i.updated,
            skipped: i.skipped,
            failed: i.failed,
            created_at: t.time(i.created_at),
            error: view.error.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "imports/show.html")]
struct ShowPage {
    chrome: Chrome,
    import: ImportRow,
}

#[derive(Template)]
#[template(path = "imports/show.html", block = "status")]
struct ShowStatus {
    chrome: Chrome,
    import: ImportRow,
}

async fn show(State(state): State<AppState>, user: Signed, Path(id): Path<String>) -> Response {
    let t = user.ctx.tr;
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    match imports::get(&state.app, &user.actor, id).await {
        Ok(view) if view.state == "draft" => see_other(false, &format!("/imports/{id}/setup")),
        Ok(view) => {
            let chrome = Chrome::new(&user.ctx, plural(view.object));
            let import = ImportRow::new(t, &view);
            if user.ctx.htmx {
                render(&ShowStatus { chrome, import }).into_response()
            } else {
                render(&ShowPage { chrome, import }).into_response()
            }
        }
        Err(e) => page_error(t, e),
    }
}

async fn undo(State(state): State<AppState>, user: Signed, Path(id): Path<String>) -> Response {
    let t = user.ctx.tr;
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    match imports::undo(&state.app, &user.actor, id).await {
        Ok(_) => see_other(user.ctx.htmx, &format!("/imports/{id}")),
        Err(e) => page_error(t, e),
    }
}

#[derive(Deserialize)]
struct HistoryQuery {
    object: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "imports/history.html")]
struct HistoryPage {
    chrome: Chrome,
    object: String,
    /// (plural, label) of the object filtered on, for the link back to its list and upload.
    list: Option<(&'static str, String)>,
    imports: Vec<ImportRow>,
    next: Option<String>,
}

async fn history(
    State(state): State<AppState>,
    user: Signed,
    Query(query): Query<HistoryQuery>,
) -> Response {
    let t = user.ctx.tr;
    let object = match query.object.as_deref().filter(|o| !o.is_empty()) {
        Some(text) => match crate::api::import_object(Some(text)) {
            Ok(kind) => Some(kind),
            Err(e) => return page_error(t, e),
        },
        None => None,
    };
    let cursor = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => match Uuid::parse_str(c) {
            Ok(id) => Some(id),
            Err(_) => return page_error(t, AppError::field("cursor", "invalid_cursor")),
        },
        None => None,
    };
    match imports::history(&state.app, &user.actor, object, cursor, 50).await {
        Ok((items, next)) => render(&HistoryPage {
            chrome: Chrome::new(&user.ctx, object.map_or("imports", plural)),
            object: object.map(|k| k.key().to_string()).unwrap_or_default(),
            list: object.map(|k| (plural(k), object_label(t, k).to_string())),
            imports: items.iter().map(|v| ImportRow::new(t, v)).collect(),
            next: next.map(|n| n.to_string()),
        })
        .into_response(),
        Err(e) => page_error(t, e),
    }
}

async fn errors(State(state): State<AppState>, user: Signed, Path(id): Path<String>) -> Response {
    let t = user.ctx.tr;
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    match error_file(&state.app, &user.actor, t, id).await {
        Ok(r) => r,
        Err(e) => page_error(t, e),
    }
}

/// Failed rows read per query while writing the error file.
const ERROR_PAGE: i64 = 1000;

/// The error file: CSV in UTF-8 with a byte-order mark (so Excel reads it), one line per
/// refused row — its number, its original cells, the reasons in `t`'s language.
pub async fn error_file(app: &App, actor: &Actor, t: Tr, id: Uuid) -> AppResult<Response> {
    let view = imports::get(app, actor, id).await?;
    let fields = app::records::object_fields(app, actor, view.object).await?;
    let mut out = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let failure = |e: csv::Error| AppError::Internal(format!("writing the error file: {e}"));
    let mut head = vec![t.get("import.error_file.row").to_string()];
    head.extend(view.headers.iter().cloned());
    head.push(t.get("import.error_file.reason").to_string());
    out.write_record(&head).map_err(failure)?;
    let mut after = 0;
    loop {
        let rows = imports::failed_rows(app, actor, id, after, ERROR_PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = last.number;
        for row in &rows {
            let mut line = vec![row.number.to_string()];
            let mut cells = row.cells.clone();
            cells.resize(view.headers.len().max(cells.len()), String::new());
            line.extend(cells);
            let reasons: Vec<String> = row
                .errors
                .iter()
                .map(|e| reason(t, &fields, &e.field, &e.code, e.limit))
                .collect();
            line.push(reasons.join("; "));
            out.write_record(&line).map_err(failure)?;
        }
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::Internal(format!("writing the error file: {e}")))?;
    let name = format!("attachment; filename=\"import-errors-{id}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        bytes,
    )
        .into_response())
}
