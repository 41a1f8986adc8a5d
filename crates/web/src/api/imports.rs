//! Imports in the API: `POST /imports` (multipart: `file`, `object`, `mapping` as JSON
//! `{column: field}`, `mode` skip|update|create, `sheet`) answers 202 with the import, which
//! its job runs; `GET /imports/{id}` its state, progress and counts; `GET /imports` the
//! history (keyset paged); `GET /imports/{id}/errors` the error file; `POST
//! /imports/{id}/undo`. The same use cases as the pages (`app::imports`).

use super::table::ApiRoutes;
use super::{ApiError, ApiUser};
use crate::i18n::Tr;
use crate::AppState;
use app::imports::{self, ImportView, Mapping, Mode, Settings};
use app::AppError;
use axum::extract::{DefaultBodyLimit, Multipart, Path, RawQuery, State};
use axum::handler::Handler;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::permissions::ObjectKind;
use serde_json::{json, Value};
use uuid::Uuid;

/// The body an upload may have: the file and the other parts.
pub const UPLOAD_LIMIT: usize = imports::MAX_BYTES + 1024 * 1024;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .on(
            Method::POST,
            "/imports",
            create.layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .on(Method::GET, "/imports", list)
        .on(Method::GET, "/imports/{id}", show)
        .on(Method::GET, "/imports/{id}/errors", errors)
        .on(Method::POST, "/imports/{id}/undo", undo)
}

/// An import as JSON.
pub fn import_json(view: &ImportView) -> Value {
    let i = &view.import;
    json!({
        "id": i.id,
        "object": i.object,
        "file_name": i.file_name,
        "format": i.format,
        "sheet": i.sheet,
        "mapping": view.mapping,
        "mode": view.mode.key(),
        "state": view.state,
        "error": view.error,
        "progress": { "done": i.position, "total": i.total_rows },
        "counts": { "created": i.created, "updated": i.updated, "skipped": i.skipped, "failed": i.failed },
        "error_file": (i.failed > 0).then(|| format!("/api/v1/imports/{}/errors", i.id)),
        "job_id": i.job_id,
        "created_by": i.created_by,
        "created_at": i.created_at,
        "finished_at": i.finished_at,
        "undone_at": i.undone_at,
        "url": format!("/api/v1/imports/{}", i.id),
    })
}

/// The parts of an upload.
#[derive(Default)]
pub struct Upload {
    pub file_name: String,
    pub file: Option<Vec<u8>>,
    pub fields: Vec<(String, String)>,
}

impl Upload {
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a multipart body: the `file` part's name and bytes, the other parts as text. A
/// body that is not multipart, or not readable, is `invalid_upload`; a too large one
/// `file_too_large`.
pub async fn read_upload(mut multipart: Multipart) -> Result<Upload, AppError> {
    let mut upload = Upload::default();
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        tracing::info!(error = %e, "unreadable upload");
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            AppError::field("file", "invalid_upload")
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            upload.file_name = field.file_name().unwrap_or_default().to_string();
            upload.file = Some(field.bytes().await.map_err(unreadable)?.to_vec());
        } else {
            let text = field.text().await.map_err(unreadable)?;
            if domain::imports::has_control_character(&text) {
                return Err(AppError::field(&name, "control_character"));
            }
            upload.fields.push((name, text));
        }
    }
    Ok(upload)
}

fn too_large() -> AppError {
    let mut errors = domain::FieldErrors::new();
    errors.add_limit(
        "file",
        "file_too_large",
        (imports::MAX_BYTES / 1024 / 1024) as i64,
    );
    AppError::Validation(errors)
}

/// The settings of an upload's parts: `mode` (skip when absent), `mapping` (matched when
/// absent), `sheet`.
pub fn settings(upload: &Upload) -> Result<Settings, AppError> {
    let mode = match upload.text("mode").map(str::trim) {
        None | Some("") => Mode::Skip,
        Some(key) => Mode::parse(key).ok_or_else(|| AppError::field("mode", "invalid_choice"))?,
    };
    let mapping = match upload.text("mapping").map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            serde_json::from_str::<Mapping>(text)
                .map_err(|_| AppError::field("mapping", "invalid_mapping"))?,
        ),
    };
    let sheet = upload
        .text("sheet")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Ok(Settings {
        sheet,
        mapping,
        mode,
    })
}

/// The object an upload names (`object`: `leads` or `lead`).
pub fn object_of(text: Option<&str>) -> Result<ObjectKind, AppError> {
    let text = text.unwrap_or_default().trim();
    domain::objects::GENERIC
        .into_iter()
        .find(|k| k.key() == text || domain::objects::spec(*k).is_some_and(|s| s.plural == text))
        .ok_or_else(|| AppError::field("object", "unknown_object"))
}

fn fail(tr: Tr) -> impl Fn(AppError) -> ApiError {
    move |e| ApiError::new(tr, e)
}

/// The parts of `POST /imports`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// CSV (UTF-8, UTF-8 with BOM or GB18030) or XLSX, at most 32 MB; the first row holds
    /// the headers.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
    /// The object: `leads`, `accounts`, … (or `lead`).
    object: String,
    /// JSON `{column header: field key}`; a column mapped to `""` is left out. Matched by
    /// header (label in Chinese or English, or key) when absent.
    mapping: Option<String>,
    /// `skip` (default), `update` or `create`, for rows matching a record's duplicate keys.
    mode: Option<String>,
    /// The XLSX sheet; the first when absent.
    sheet: Option<String>,
}

/// Uploads and starts an import.
#[utoipa::path(post, path = "/api/v1/imports", tag = "imports", operation_id = "create_import", security(("bearer" = [])),
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses((status = 202, description = "`{import}` with `Location` to follow it"),
        (status = 403, body = super::ErrorBody),
        (status = 422, description = "`file`: `unsupported_file`, `empty_file`, `file_too_large`, `too_many_rows`, `invalid_upload`; `object`: `unknown_object`; `mapping.<column>`: `unknown_column`, `unknown_field`, `mapped_twice`; `sheet`: `unknown_sheet`", body = super::ErrorBody)))]
pub(super) async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let fail = fail(user.tr);
    let multipart = multipart.map_err(|_| fail(AppError::field("file", "invalid_upload")))?;
    let upload = read_upload(multipart).await.map_err(&fail)?;
    let object = object_of(upload.text("object")).map_err(&fail)?;
    let settings = settings(&upload).map_err(&fail)?;
    let bytes = upload.file.as_deref().unwrap_or_default();
    let view = imports::create(
        &state.app,
        &user.actor,
        object,
        &upload.file_name,
        bytes,
        &settings,
    )
    .await
    .map_err(&fail)?;
    let body = import_json(&view);
    let mut response = (StatusCode::ACCEPTED, Json(json!({ "import": body }))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/imports/{}", view.import.id)) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// An import's state, progress and counts (its creator and administrators).
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports", operation_id = "get_import", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "`{id, object, file_name, format, sheet, mapping, mode, state (queued|running|done|failed|undone), progress: {done, total}, counts: {created, updated, skipped, failed}, error_file, …}`"),
        (status = 404, body = super::ErrorBody)))]
pub(super) async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = super::records::parse_id(user.tr, &id)?;
    let view = imports::get(&state.app, &user.actor, id)
        .await
        .map_err(fail(user.tr))?;
    Ok(Json(import_json(&view)))
}

/// The import history, newest first: the caller's imports (every import for administrators).
#[utoipa::path(get, path = "/api/v1/imports", tag = "imports", operation_id = "list_imports", security(("bearer" = [])),
    params(("object" = Option<String>, Query, description = "Only imports of this object"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<i64>, Query, description = "At most 100; 50 when absent")),
    responses((status = 200, description = "`{items: [import], next_cursor}`"), (status = 422, body = super::ErrorBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let fail = fail(user.tr);
    let params = super::list_query::params(raw.as_deref(), &["object", "cursor", "limit"], 1)
        .map_err(&fail)?;
    let object = match params.get("object") {
        Some(text) => Some(object_of(Some(text)).map_err(&fail)?),
        None => None,
    };
    let cursor = match params.get("cursor") {
        Some(text) => Some(
            Uuid::parse_str(text).map_err(|_| fail(AppError::field("cursor", "invalid_cursor")))?,
        ),
        None => None,
    };
    let limit = match params.get("limit") {
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| fail(AppError::field("limit", "out_of_range")))?,
        None => 50,
    };
    let (items, next) = imports::history(&state.app, &user.actor, object, cursor, limit)
        .await
        .map_err(&fail)?;
    Ok(Json(json!({
        "items": items.iter().map(import_json).collect::<Vec<_>>(),
        "next_cursor": next,
    })))
}

/// The rows an import refused, as CSV (UTF-8 with BOM): the row number, the original cells
/// and the reason, in the caller's language.
#[utoipa::path(get, path = "/api/v1/imports/{id}/errors", tag = "imports", operation_id = "get_import_errors", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The error file (text/csv)"), (status = 404, body = super::ErrorBody)))]
pub(super) async fn errors(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = super::records::parse_id(user.tr, &id)?;
    crate::pages::imports::error_file(&state.app, &user.actor, user.tr, id)
        .await
        .map_err(fail(user.tr))
}

/// Deletes what the import created, while none of it has changed since.
#[utoipa::path(post, path = "/api/v1/imports/{id}/undo", tag = "imports", operation_id = "undo_import", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The import, `undone`"), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody),
        (status = 409, description = "`import_changed`: a record it created was changed since (or is referred to); `import_not_done`", body = super::ErrorBody)))]
pub(super) async fn undo(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = super::records::parse_id(user.tr, &id)?;
    let view = imports::undo(&state.app, &user.actor, id)
        .await
        .map_err(fail(user.tr))?;
    Ok(Json(import_json(&view)))
}
