//! Exports in the API: `POST /exports` (an object's list — a view, or filters, `q`, quick
//! filters — with columns, sort and format) answers 202 with the export, which its job
//! writes; `GET /exports/{id}` its state, progress and row count with a download link when
//! done; `GET /exports/{id}/file` the file; `GET /exports` the caller's recent exports. The
//! same use cases as the pages (`app::exports`).

use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::i18n::Tr;
use crate::AppState;
use app::exports::{self, ExportSpec, ExportView, Format};
use app::records::ListRequest;
use app::AppError;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::permissions::ObjectKind;
use domain::views::FilterSpec;
use serde_json::{json, Map, Value};
use uuid::Uuid;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .on(Method::POST, "/exports", create)
        .on(Method::GET, "/exports", list)
        .on(Method::GET, "/exports/{id}", show)
        .on(Method::GET, "/exports/{id}/file", file)
}

/// An export as JSON.
pub fn export_json(view: &ExportView) -> Value {
    let e = &view.export;
    json!({
        "id": e.id,
        "object": e.object,
        "format": e.format,
        "state": view.state,
        "error": view.error,
        "progress": { "done": e.rows_done },
        "row_count": e.row_count,
        "size": e.size,
        "file_name": e.file_name,
        "view": view.spec.view,
        "filters": view.spec.filters,
        "q": view.spec.q,
        "sort": view.spec.sort,
        "columns": view.spec.columns,
        "file": view.done().then(|| format!("/api/v1/exports/{}/file", e.id)),
        "job_id": e.job_id,
        "created_by": e.created_by,
        "created_at": e.created_at,
        "finished_at": e.finished_at,
        "url": format!("/api/v1/exports/{}", e.id),
    })
}

/// The body of `POST /exports`. The object's quick filters (`grade`, `tag`,
/// `created_from`, `archived`, …) are further keys, as on its list (`{"object": "leads",
/// "format": "csv", "intent": "A"}`); any other key is `unknown_field`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ExportBody {
    /// The object: `leads`, `accounts`, … (or `lead`).
    object: String,
    /// `csv` (UTF-8 with BOM) or `xlsx`.
    format: String,
    /// A built-in view's key (`all`, `mine`, …) or a saved view's id: its filters, sort and
    /// columns, under those given here.
    view: Option<String>,
    /// Filters in the list's language, `field:op:v1,v2`, all of which must match.
    filter: Option<Vec<String>>,
    /// The quick search.
    q: Option<String>,
    /// `field` or `-field` (descending); the view's sort, else `-updated_at`.
    sort: Option<String>,
    /// Field keys, in order (the name always comes first); the view's columns when absent.
    columns: Option<Vec<String>>,
}

fn fail(tr: Tr) -> impl Fn(AppError) -> ApiError {
    move |e| ApiError::new(tr, e)
}

fn text(body: &Map<String, Value>, key: &str) -> Result<Option<String>, AppError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(AppError::field(key, "wrong_type")),
    }
}

fn texts(body: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, AppError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| AppError::field(key, "wrong_type")),
        Some(_) => Err(AppError::field(key, "wrong_type")),
    }
}

const KNOWN: [&str; 7] = ["object", "format", "view", "filter", "q", "sort", "columns"];

/// Reads the body into the export's object, request and format; every bad part is a field
/// error naming it.
async fn parse(
    state: &AppState,
    user: &ApiUser,
    body: &Map<String, Value>,
) -> Result<(ObjectKind, ExportSpec, Format), AppError> {
    let object = super::imports::object_of(text(body, "object")?.as_deref())?;
    let format = match text(body, "format")?.as_deref().map(str::trim) {
        None | Some("") => return Err(AppError::field("format", "required")),
        Some(key) => {
            Format::parse(key).ok_or_else(|| AppError::field("format", "invalid_choice"))?
        }
    };
    let fields = app::records::object_fields(&state.app, &user.actor, object).await?;
    let mut request = ListRequest::default();
    for filter in texts(body, "filter")?.unwrap_or_default() {
        let mut parts = filter.splitn(3, ':');
        let field = parts.next().unwrap_or_default().to_string();
        let op = parts.next().unwrap_or_default().to_string();
        let values = parts
            .next()
            .map(|v| v.split(',').map(str::to_string).collect())
            .unwrap_or_default();
        request.filters.push(FilterSpec { field, op, values });
    }
    let quick_params = super::list_query::quick_params(&fields);
    let mut quick = Vec::new();
    let mut errors = domain::FieldErrors::new();
    for (key, value) in body {
        if KNOWN.contains(&key.as_str()) {
            continue;
        }
        match value {
            _ if !quick_params.contains(key) => errors.add(key, "unknown_field"),
            Value::String(s) => quick.push((key.clone(), s.clone())),
            Value::Number(n) => quick.push((key.clone(), n.to_string())),
            Value::Bool(b) => quick.push((key.clone(), b.to_string())),
            _ => errors.add(key, "wrong_type"),
        }
    }
    errors.into_result()?;
    super::list_query::apply_quick(&state.app, &user.actor, &fields, &quick, &mut request)?;
    let mut spec = ExportSpec {
        filters: request.filters,
        sort: text(body, "sort")?.filter(|s| !s.trim().is_empty()),
        q: text(body, "q")?,
        archived: request.archived,
        columns: texts(body, "columns")?.unwrap_or_default(),
        view: None,
        max_rows: None,
    };
    if let Some(view) = text(body, "view")?.filter(|v| !v.trim().is_empty()) {
        let definition = exports::view_definition(&state.app, &user.actor, object, &view).await?;
        spec.apply_view(&view, definition);
    }
    Ok((object, spec, format))
}

/// Starts an export of a list.
#[utoipa::path(post, path = "/api/v1/exports", tag = "exports", operation_id = "create_export", security(("bearer" = [])),
    request_body = ExportBody,
    responses((status = 202, description = "`{export}` with `Location` to follow it"),
        (status = 403, body = super::ErrorBody),
        (status = 422, description = "`object`: `unknown_object`; `format`: `required`, `invalid_choice`; `view`: `invalid_choice`; `filter.<field>`, `sort`, `q`, `columns` and quick filters as on the list", body = super::ErrorBody)))]
pub(super) async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let fail = fail(user.tr);
    let (object, spec, format) = parse(&state, &user, &body).await.map_err(&fail)?;
    let view = exports::start(
        &state.app,
        &user.actor,
        object,
        &spec,
        format,
        user.tr.lang_code(),
    )
    .await
    .map_err(&fail)?;
    let mut response = (
        StatusCode::ACCEPTED,
        Json(json!({ "export": export_json(&view) })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/exports/{}", view.export.id)) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// An export's state, progress and row count, with its file's link when done (its creator
/// and administrators).
#[utoipa::path(get, path = "/api/v1/exports/{id}", tag = "exports", operation_id = "get_export", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "`{id, object, format, state (queued|running|done|failed), error (user_inactive|forbidden|job_failed when failed), progress: {done}, row_count, size, file_name, file (the download link when done), …}`"),
        (status = 404, body = super::ErrorBody)))]
pub(super) async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = super::records::parse_id(user.tr, &id)?;
    let view = exports::get(&state.app, &user.actor, id)
        .await
        .map_err(fail(user.tr))?;
    Ok(Json(export_json(&view)))
}

/// The caller's recent exports, newest first.
#[utoipa::path(get, path = "/api/v1/exports", tag = "exports", operation_id = "list_exports", security(("bearer" = [])),
    responses((status = 200, description = "`{items: [export]}`")))]
pub(super) async fn list(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    let items = exports::recent(&state.app, &user.actor)
        .await
        .map_err(fail(user.tr))?;
    Ok(Json(json!({
        "items": items.iter().map(export_json).collect::<Vec<_>>(),
    })))
}

/// The finished export's file (CSV or XLSX).
#[utoipa::path(get, path = "/api/v1/exports/{id}/file", tag = "exports", operation_id = "get_export_file", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The file (text/csv or XLSX)"), (status = 404, body = super::ErrorBody),
        (status = 409, description = "`export_not_ready`: still running, or failed", body = super::ErrorBody)))]
pub(super) async fn file(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = super::records::parse_id(user.tr, &id)?;
    download(&state.app, &user.actor, id)
        .await
        .map_err(fail(user.tr))
}

/// A finished export's file as a response that streams it chunk by chunk.
pub async fn download(app: &app::App, actor: &app::Actor, id: Uuid) -> Result<Response, AppError> {
    let view = exports::file(app, actor, id).await?;
    let content_type = view.format.content_type();
    let disposition = format!(
        "attachment; filename=\"{}\"",
        view.export.file_name.replace(['"', '\\'], "_")
    );
    let size = view.export.size;
    let app = app.clone();
    let stream = futures_util::stream::try_unfold(0i64, move |seq| {
        let app = app.clone();
        let view = view.clone();
        async move {
            match exports::chunk(&app, &view, seq).await {
                Ok(Some(bytes)) => Ok(Some((axum::body::Bytes::from(bytes), seq + 1))),
                Ok(None) => Ok(None),
                Err(e) => {
                    tracing::warn!(error = %e, "an export file could not be read");
                    Err(std::io::Error::other(e.to_string()))
                }
            }
        }
    });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(v) = size.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        headers.insert(header::CONTENT_LENGTH, v);
    }
    Ok(response)
}
