//! `/api/v1/{contacts,leads,opportunities,activities}`: one set of handlers for every
//! metadata-driven object, plus activity actions, saved views, custom fields and the account
//! 360° endpoints. The OpenAPI schemas of these objects are generated from the same field
//! definitions (see [`super::openapi::records`]).

use super::{ApiError, ApiUser, JsonObject};
use crate::AppState;
use app::records::{Input, ListRequest, ObjectFields};
use app::AppError;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use domain::fields::FieldType;
use domain::permissions::ObjectKind;
use domain::views::FilterSpec;
use serde_json::{Map, Value};
use std::collections::HashMap;
use store::records::Record;
use uuid::Uuid;

pub use domain::objects::GENERIC as OBJECTS;

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for kind in OBJECTS {
        let Some(spec) = domain::objects::spec(kind) else {
            continue;
        };
        let object = Router::new()
            .route("/", get(list).post(create))
            .route("/query", post(query))
            .route("/fields", get(fields).post(add_field))
            .route("/views", get(views))
            .route("/{id}", get(read).patch(patch).delete(remove))
            .route("/{id}/history", get(history))
            .layer(Extension(kind));
        router = router.nest(&format!("/{}", spec.plural), object);
    }
    router
        .route("/activities/{id}/complete", post(complete))
        .route("/activities/{id}/postpone", post(postpone))
        .route("/activities/{id}/check-in", post(check_in))
        .route("/activities/{id}/follow-up", post(follow_up))
        .route("/accounts/{id}/timeline", get(timeline))
        .route("/accounts/{id}/rollup", get(rollup))
        .route(
            "/accounts/{id}/relationships",
            get(account_links).post(add_account_link),
        )
        .route(
            "/contacts/{id}/relationships",
            get(contact_links).post(add_contact_link),
        )
        .route(
            "/accounts/fields",
            get(account_fields).post(add_account_field),
        )
        .route("/accounts/views", get(account_views))
        .route("/my-day", get(my_day))
        .route("/search", get(search))
}

fn fail(tr: crate::i18n::Tr) -> impl Fn(AppError) -> ApiError {
    move |e| ApiError::new(tr, e)
}

pub(super) fn parse_id(tr: crate::i18n::Tr, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::new(tr, AppError::NotFound))
}

/// A record as JSON: `id`, every field with a value (absent fields are `null`), `version`,
/// and `names` of the records and users it refers to.
pub fn record_json(fields: &ObjectFields, record: &Record, names: &HashMap<Uuid, String>) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), Value::String(record.id.to_string()));
    for field in fields.all() {
        let v = record
            .values
            .get(&field.key)
            .map(store::records::json_value)
            .unwrap_or(Value::Null);
        out.insert(field.key.clone(), v);
    }
    out.insert("version".into(), Value::from(record.version));
    let names: Map<String, Value> = names
        .iter()
        .map(|(id, name)| (id.to_string(), Value::String(name.clone())))
        .collect();
    out.insert("names".into(), Value::Object(names));
    Value::Object(out)
}

fn with_etag(status: StatusCode, kind: ObjectKind, body: Value, version: i64) -> Response {
    let id = body
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut response = (status, Json(body)).into_response();
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    if status == StatusCode::CREATED {
        let plural = domain::objects::spec(kind)
            .map(|s| s.plural)
            .unwrap_or_default();
        if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/{plural}/{id}")) {
            response.headers_mut().insert(header::LOCATION, v);
        }
    }
    response
}

/// A JSON body as field input: strings, numbers, booleans, arrays of strings; `null` clears.
/// `version` is taken out (an alternative to `If-Match`).
pub fn json_input(body: &Map<String, Value>) -> Result<(Input, Option<i64>), AppError> {
    let mut input = Input::new();
    let mut errors = domain::FieldErrors::new();
    let mut version = None;
    for (key, value) in body {
        if key == "version" {
            match value.as_i64() {
                Some(v) => version = Some(v),
                None => errors.add("version", "wrong_type"),
            }
            continue;
        }
        let texts = match value {
            Value::Null => Vec::new(),
            Value::String(s) => vec![s.clone()],
            Value::Number(n) => vec![n.to_string()],
            Value::Bool(b) => vec![b.to_string()],
            Value::Array(items) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => {
                errors.add(key, "wrong_type");
                continue;
            }
        };
        input.push((key.clone(), texts));
    }
    errors.into_result()?;
    Ok((input, version))
}

async fn respond_record(
    state: &AppState,
    user: &ApiUser,
    kind: ObjectKind,
    id: Uuid,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let view = app::records::get(&state.app, &user.actor, kind, id)
        .await
        .map_err(fail(user.tr))?;
    let version = view.record.version;
    Ok(with_etag(
        status,
        kind,
        record_json(&view.fields, &view.record, &view.names),
        version,
    ))
}

async fn create(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let plural = domain::objects::spec(kind)
        .map(|s| s.plural)
        .unwrap_or_default();
    let (state, user, body) = (&state, &user, &body);
    super::idempotent(
        state,
        user,
        &headers,
        &format!("/api/v1/{plural}"),
        body,
        |key| async move {
            let (input, _) = json_input(body).map_err(fail(tr))?;
            let id = app::records::create_once(&state.app, &user.actor, kind, &input, key.as_ref())
                .await
                .map_err(fail(tr))?;
            respond_record(state, user, kind, id, StatusCode::CREATED).await
        },
        |id| respond_record(state, user, kind, id, StatusCode::CREATED),
    )
    .await
}

async fn read(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(user.tr, &id)?;
    respond_record(&state, &user, kind, id, StatusCode::OK).await
}

async fn patch(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    // Visibility first: an unknown or invisible id is 404 whatever the body says.
    app::records::get(&state.app, &user.actor, kind, id)
        .await
        .map_err(fail(tr))?;
    let (input, body_version) = json_input(&body).map_err(fail(tr))?;
    let version = super::expected_version(tr, &headers, body_version)?;
    app::records::update(&state.app, &user.actor, kind, id, version, &input)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    respond_record(&state, &user, kind, id, StatusCode::OK).await
}

async fn remove(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    app::records::get(&state.app, &user.actor, kind, id)
        .await
        .map_err(fail(tr))?;
    let version = super::expected_version(tr, &headers, None)?;
    app::records::delete(&state.app, &user.actor, kind, id, version)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Parses `filter=field:op:v1,v2` (repeatable), `sort`, `cursor`, `limit`, `q`, `view`.
fn parse_query(raw: Option<&str>) -> Result<(ListRequest, Option<String>), AppError> {
    let mut request = ListRequest::default();
    let mut view = None;
    let mut errors = domain::FieldErrors::new();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|_| AppError::field("query", "wrong_type"))?;
    for (key, value) in pairs {
        match key.as_str() {
            "filter" => {
                let mut parts = value.splitn(3, ':');
                let field = parts.next().unwrap_or_default().to_string();
                let op = parts.next().unwrap_or_default().to_string();
                let values = parts
                    .next()
                    .map(|v| v.split(',').map(str::to_string).collect())
                    .unwrap_or_default();
                request.filters.push(FilterSpec { field, op, values });
            }
            "sort" => request.sort = Some(value),
            "cursor" => request.cursor = Some(value),
            "q" => request.q = Some(value),
            "view" => view = Some(value),
            "limit" => match value.parse() {
                Ok(n) => request.limit = Some(n),
                Err(_) => errors.add_limit("limit", "out_of_range", app::records::MAX_PAGE),
            },
            other => errors.add(other, "unknown_field"),
        }
    }
    errors.into_result()?;
    Ok((request, view))
}

/// Runs a list request, starting from a saved or built-in view when one is named.
async fn run_list(
    state: &AppState,
    user: &ApiUser,
    kind: ObjectKind,
    mut request: ListRequest,
    view: Option<String>,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    if let Some(view) = view {
        let definition = match Uuid::parse_str(&view) {
            Ok(id) => {
                app::customize::get_view(&state.app, &user.actor, kind, id)
                    .await
                    .map_err(fail(tr))?
                    .definition
                    .0
            }
            Err(_) => app::customize::builtin_views(kind)
                .into_iter()
                .find(|v| v.key == view)
                .map(|v| v.definition)
                .ok_or_else(|| ApiError::new(tr, AppError::field("view", "invalid_choice")))?,
        };
        let mut filters = definition.filters;
        filters.append(&mut request.filters);
        request.filters = filters;
        if request.sort.is_none() {
            request.sort = Some(if definition.descending {
                format!("-{}", definition.sort)
            } else {
                definition.sort
            });
        }
    }
    let page = app::records::list(&state.app, &user.actor, kind, &request)
        .await
        .map_err(fail(tr))?;
    let items: Vec<Value> = page
        .records
        .iter()
        .map(|record| record_json(&page.fields, record, &page.names))
        .collect();
    Ok(Json(
        serde_json::json!({ "items": items, "next_cursor": page.next_cursor }),
    ))
}

async fn list(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let (request, view) = parse_query(raw.as_deref()).map_err(fail(user.tr))?;
    run_list(&state, &user, kind, request, view).await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryIn {
    #[serde(default)]
    filters: Vec<FilterSpec>,
    sort: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
    q: Option<String>,
    view: Option<String>,
}

/// The same as the list, with the filters in a JSON body (values containing `,` or `:`).
async fn query(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let q: QueryIn = serde_json::from_value(Value::Object(body)).map_err(|e| {
        ApiError::code(user.tr, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
            .with_detail(e.to_string())
    })?;
    let request = ListRequest {
        filters: q.filters,
        sort: q.sort,
        cursor: q.cursor,
        limit: q.limit,
        q: q.q,
        related: None,
    };
    run_list(&state, &user, kind, request, q.view).await
}

async fn history(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(user.tr, &id)?;
    let rows = app::records::history(&state.app, &user.actor, kind, id, None, 200)
        .await
        .map_err(fail(user.tr))?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|h| serde_json::json!({ "field": h.field, "old_value": h.old_value, "new_value": h.new_value,
            "changed_by": h.changed_by, "changed_by_name": h.changed_by_name, "changed_at": h.changed_at }))
        .collect();
    Ok(Json(serde_json::json!({ "items": items })))
}

/// The fields of an object (standard and custom) with their types, options and rules.
async fn fields(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    fields_of(&state, &user, kind).await
}

async fn account_fields(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    fields_of(&state, &user, ObjectKind::Account).await
}

async fn fields_of(
    state: &AppState,
    user: &ApiUser,
    kind: ObjectKind,
) -> Result<Json<Value>, ApiError> {
    let fields = app::records::object_fields(&state.app, &user.actor, kind)
        .await
        .map_err(fail(user.tr))?;
    let items: Vec<Value> = fields
        .all()
        .into_iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("custom".into(), Value::Bool(f.column.is_none()));
                o.insert(
                    "operators".into(),
                    f.field_type
                        .operators()
                        .iter()
                        .map(|op| Value::String(op.key().into()))
                        .collect(),
                );
            }
            v
        })
        .collect();
    Ok(Json(serde_json::json!({ "items": items })))
}

async fn add_account_field(
    State(state): State<AppState>,
    user: ApiUser,
    body: JsonObject,
) -> Result<Response, ApiError> {
    add_field(State(state), Extension(ObjectKind::Account), user, body).await
}

/// Adds a custom field (administrators).
async fn add_field(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let def: domain::fields::FieldDef =
        serde_json::from_value(Value::Object(body)).map_err(|e| {
            ApiError::code(user.tr, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
                .with_detail(e.to_string())
        })?;
    let indexed = def.indexed;
    let key = def.key.clone();
    app::customize::add_field(&state.app, &user.actor, kind, def)
        .await
        .map_err(fail(user.tr))?;
    if !indexed {
        return Ok(StatusCode::CREATED.into_response());
    }
    // The index is built by a job: 202 with the job to follow.
    let job = app::customize::index_field(&state.app, &user.actor, kind, &key)
        .await
        .map_err(fail(user.tr))?;
    Ok(super::jobs::accepted(job))
}

async fn views(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    views_of(&state, &user, kind).await
}

async fn account_views(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    views_of(&state, &user, ObjectKind::Account).await
}

async fn views_of(
    state: &AppState,
    user: &ApiUser,
    kind: ObjectKind,
) -> Result<Json<Value>, ApiError> {
    let zh = user.tr.is_zh();
    let mut items: Vec<Value> = app::customize::builtin_views(kind)
        .into_iter()
        .map(|v| serde_json::json!({ "id": v.key, "name": if zh { v.label_zh } else { v.label_en }, "builtin": true, "definition": v.definition }))
        .collect();
    for v in app::customize::usable_views(&state.app, &user.actor, kind)
        .await
        .map_err(fail(user.tr))?
    {
        items.push(serde_json::json!({ "id": v.id, "name": v.name, "builtin": false, "shared_with": v.shared_with, "definition": v.definition.0 }));
    }
    Ok(Json(serde_json::json!({ "items": items })))
}

fn version_of(tr: crate::i18n::Tr, headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    if headers.contains_key(header::IF_MATCH) {
        super::expected_version(tr, headers, None).map(Some)
    } else {
        Ok(None)
    }
}

async fn activity_action(
    state: &AppState,
    user: &ApiUser,
    id: &str,
    headers: &HeaderMap,
    action: impl AsyncFnOnce(Uuid, Option<i64>) -> Result<(), AppError>,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, id)?;
    let version = version_of(tr, headers)?;
    action(id, version)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, headers))?;
    respond_record(state, user, ObjectKind::Activity, id, StatusCode::OK).await
}

async fn complete(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    activity_action(&state, &user, &id, &headers, async |id, v| {
        app::activities::complete(&state.app, &user.actor, id, v).await
    })
    .await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PostponeIn {
    days: i64,
}

async fn postpone(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let input: PostponeIn = serde_json::from_value(Value::Object(body)).map_err(|e| {
        ApiError::code(user.tr, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
            .with_detail(e.to_string())
    })?;
    activity_action(&state, &user, &id, &headers, async |id, v| {
        app::activities::postpone(&state.app, &user.actor, id, v, input.days).await
    })
    .await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckInIn {
    latitude: Option<f64>,
    longitude: Option<f64>,
    accuracy: Option<f64>,
}

async fn check_in(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let input: CheckInIn = serde_json::from_value(Value::Object(body)).map_err(|e| {
        ApiError::code(user.tr, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
            .with_detail(e.to_string())
    })?;
    activity_action(&state, &user, &id, &headers, async |id, _| {
        let position = match (input.latitude, input.longitude) {
            (Some(lat), Some(lng)) => Some((lat, lng)),
            (None, None) => None,
            _ => return Err(AppError::field("longitude", "required")),
        };
        app::activities::check_in(&state.app, &user.actor, id, position, input.accuracy).await
    })
    .await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FollowUpIn {
    name: String,
    due_at: Option<String>,
}

async fn follow_up(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let input: FollowUpIn = serde_json::from_value(Value::Object(body)).map_err(|e| {
        ApiError::code(tr, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
            .with_detail(e.to_string())
    })?;
    let id = parse_id(tr, &id)?;
    let new_id = app::activities::follow_up(
        &state.app,
        &user.actor,
        id,
        &input.name,
        input.due_at.as_deref(),
    )
    .await
    .map_err(fail(tr))?;
    respond_record(
        &state,
        &user,
        ObjectKind::Activity,
        new_id,
        StatusCode::CREATED,
    )
    .await
}

async fn timeline(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let params: std::collections::HashMap<String, String> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default())
            .map_err(|_| ApiError::new(tr, AppError::field("query", "wrong_type")))?;
    let before = match params.get("before") {
        None => None,
        Some(c) => Some(
            crate::pages::decode_timeline_cursor(c)
                .ok_or_else(|| ApiError::new(tr, AppError::field("before", "invalid_cursor")))?,
        ),
    };
    let limit = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(50);
    let (entries, more) = app::account360::timeline(
        &state.app,
        &user.actor,
        id,
        params.get("kind").map(String::as_str),
        before,
        limit,
    )
    .await
    .map_err(fail(tr))?;
    let next = if more {
        entries
            .last()
            .map(|e| crate::pages::encode_timeline_cursor(e.at, e.id))
    } else {
        None
    };
    let items: Vec<Value> = entries
        .into_iter()
        .map(|e| serde_json::json!({ "id": e.id, "at": e.at, "kind": e.kind, "object": e.object, "record_id": e.record_id,
            "actor_id": e.actor_id, "actor_name": e.actor_name, "summary": e.summary.0 }))
        .collect();
    Ok(Json(
        serde_json::json!({ "items": items, "next_cursor": next }),
    ))
}

async fn rollup(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(user.tr, &id)?;
    let r = app::account360::rollup(&state.app, &user.actor, id)
        .await
        .map_err(fail(user.tr))?;
    let amounts: Vec<Value> = r
        .amounts
        .iter()
        .map(|(currency, open, won)| serde_json::json!({ "currency": currency, "open_pipeline": *open as f64 / 100.0, "won_amount": *won as f64 / 100.0 }))
        .collect();
    Ok(Json(
        serde_json::json!({ "child_accounts": r.children, "amounts": amounts }),
    ))
}

async fn links_of(
    state: &AppState,
    user: &ApiUser,
    object: ObjectKind,
    id: &str,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(user.tr, id)?;
    let links = app::account360::links(&state.app, &user.actor, object, id)
        .await
        .map_err(fail(user.tr))?;
    let items: Vec<Value> = links
        .into_iter()
        .map(|l| serde_json::json!({ "id": l.id, "kind": l.kind, "direction": if l.outgoing { "from" } else { "to" },
            "other_id": l.other_id, "other_name": l.other_name, "note": l.note }))
        .collect();
    Ok(Json(serde_json::json!({ "items": items })))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkIn {
    to_id: Uuid,
    kind: String,
    note: Option<String>,
}

async fn add_link(
    state: &AppState,
    user: &ApiUser,
    object: ObjectKind,
    id: &str,
    body: Map<String, Value>,
) -> Result<StatusCode, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, id)?;
    let input: LinkIn = serde_json::from_value(Value::Object(body)).map_err(|e| {
        ApiError::code(tr, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
            .with_detail(e.to_string())
    })?;
    app::account360::add_link(
        &state.app,
        &user.actor,
        object,
        id,
        input.to_id,
        &input.kind,
        input.note.as_deref(),
    )
    .await
    .map_err(fail(tr))?;
    Ok(StatusCode::CREATED)
}

async fn account_links(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    links_of(&state, &user, ObjectKind::Account, &id).await
}

async fn contact_links(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    links_of(&state, &user, ObjectKind::Contact, &id).await
}

async fn add_account_link(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<StatusCode, ApiError> {
    add_link(&state, &user, ObjectKind::Account, &id, body).await
}

async fn add_contact_link(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<StatusCode, ApiError> {
    add_link(&state, &user, ObjectKind::Contact, &id, body).await
}

async fn my_day(State(state): State<AppState>, user: ApiUser) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let day = app::activities::my_day(&state.app, &user.actor)
        .await
        .map_err(fail(tr))?;
    let fields = app::records::object_fields(&state.app, &user.actor, ObjectKind::Activity)
        .await
        .map_err(fail(tr))?;
    let render = |records: &[Record]| -> Vec<Value> {
        records
            .iter()
            .map(|record| record_json(&fields, record, &day.names))
            .collect()
    };
    Ok(Json(serde_json::json!({
        "today": render(&day.today),
        "overdue": render(&day.overdue),
        "reminders": render(&day.reminders),
    })))
}

/// Whether a field's JSON type in the OpenAPI document is a number.
pub fn json_type(t: FieldType) -> (&'static str, Option<&'static str>) {
    match t {
        FieldType::Number | FieldType::Money | FieldType::Percent => ("number", None),
        FieldType::Checkbox => ("boolean", None),
        FieldType::MultiSelect => ("array", None),
        FieldType::Date => ("string", Some("date")),
        FieldType::DateTime => ("string", Some("date-time")),
        FieldType::Lookup | FieldType::User => ("string", Some("uuid")),
        FieldType::Email => ("string", Some("email")),
        FieldType::Url => ("string", Some("uri")),
        _ => ("string", None),
    }
}

/// `GET /search?q=…&limit=…`: global search over accounts, contacts, leads and
/// opportunities; one group per object the caller may read.
async fn search(
    State(state): State<AppState>,
    user: ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default())
            .map_err(|_| ApiError::new(tr, AppError::field("query", "wrong_type")))?;
    let mut q = String::new();
    let mut limit = None;
    let mut errors = domain::FieldErrors::new();
    for (key, value) in pairs {
        match key.as_str() {
            "q" => q = value,
            "limit" => match value.parse() {
                Ok(n) => limit = Some(n),
                Err(_) => errors.add_limit("limit", "out_of_range", app::search::MAX_PER_OBJECT),
            },
            other => errors.add(other, "unknown_field"),
        }
    }
    errors
        .into_result()
        .map_err(|e| ApiError::new(tr, AppError::from(e)))?;
    let groups = app::search::global(&state.app, &user.actor, &q, limit)
        .await
        .map_err(fail(tr))?;
    let groups: Vec<Value> = groups
        .iter()
        .map(|g| {
            let items: Vec<Value> = g
                .page
                .records
                .iter()
                .map(|record| record_json(&g.page.fields, record, &g.page.names))
                .collect();
            serde_json::json!({ "object": g.kind.key(), "items": items, "more": g.more })
        })
        .collect();
    Ok(Json(serde_json::json!({ "groups": groups })))
}
