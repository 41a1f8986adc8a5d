//! `/api/v1/{accounts,contacts,leads,opportunities,activities}`: one set of handlers for
//! every object of the record engine, plus saved views, custom fields and
//! the account 360° endpoints. The OpenAPI schemas of these objects are generated from the same field
//! definitions (see [`super::openapi::records`]).

use super::{ApiError, ApiUser, JsonObject};
use crate::AppState;
use app::records::{Input, ListRequest, ObjectFields};
use app::AppError;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use domain::fields::{FieldType, FieldValue};
use domain::permissions::ObjectKind;
use domain::views::FilterSpec;
use serde_json::{Map, Value};
use std::collections::HashMap;
use store::records::Record;
use uuid::Uuid;

pub use domain::objects::GENERIC as OBJECTS;

pub fn routes() -> super::table::ApiRoutes {
    let mut routes = super::table::ApiRoutes::default();
    for kind in OBJECTS {
        let Some(spec) = domain::objects::spec(kind) else {
            continue;
        };
        let base = format!("/{}", spec.plural);
        routes = routes
            .on_object(Method::GET, &base, kind, list)
            .on_object(Method::POST, &base, kind, create)
            .on_object(Method::POST, &format!("{base}/query"), kind, query)
            .on_object(Method::GET, &format!("{base}/fields"), kind, fields)
            .on_object(Method::POST, &format!("{base}/fields"), kind, add_field)
            .on_object(Method::GET, &format!("{base}/views"), kind, views)
            .on_object(Method::GET, &format!("{base}/{{id}}"), kind, read)
            .on_object(Method::PATCH, &format!("{base}/{{id}}"), kind, patch)
            .on_object(Method::DELETE, &format!("{base}/{{id}}"), kind, remove)
            .on_object(
                Method::POST,
                &format!("{base}/{{id}}/transfer"),
                kind,
                transfer,
            )
            .on_object(
                Method::GET,
                &format!("{base}/{{id}}/history"),
                kind,
                history,
            );
    }
    routes
        .merge(super::activity_actions::routes())
        .on(Method::GET, "/accounts/{id}/timeline", timeline)
        .on(Method::GET, "/accounts/{id}/rollup", rollup)
        .merge(super::relationships::routes())
        .on(Method::GET, "/my-day", my_day)
        .on(Method::GET, "/search", search)
}

/// Turns a use-case error into the API's answer in the caller's language.
pub(super) fn fail(tr: crate::i18n::Tr) -> impl Fn(AppError) -> ApiError {
    move |e| ApiError::new(tr, e)
}

pub(super) fn parse_id(tr: crate::i18n::Tr, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::new(tr, AppError::NotFound))
}

/// A record as JSON: `id`, every field with a value (absent fields are `null`), the name
/// beside each reference ([`item_json`]), `version`, and `names` of the records and users it
/// refers to.
pub fn record_json(fields: &ObjectFields, record: &Record, names: &HashMap<Uuid, String>) -> Value {
    let mut out = item_json(fields, record, names);
    if let Value::Object(map) = &mut out {
        map.insert("names".into(), names_json(names));
    }
    out
}

/// The key beside a reference field that holds the name of what it refers to: `owner_name`
/// for `owner_id`, `parent_name` for `parent_id` (references whose key ends in `_id`).
pub fn name_key(field: &domain::fields::FieldDef) -> Option<String> {
    matches!(field.field_type, FieldType::Lookup | FieldType::User)
        .then(|| field.key.strip_suffix("_id"))
        .flatten()
        .map(|stem| format!("{stem}_name"))
}

/// A record as an item of a list: like [`record_json`] without `names`, which the list
/// carries once for all its items. Each reference has its name beside it (`owner_name`),
/// and who created and last changed the record are given by id.
pub fn item_json(fields: &ObjectFields, record: &Record, names: &HashMap<Uuid, String>) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), Value::String(record.id.to_string()));
    for field in fields.all() {
        let value = record.values.get(&field.key);
        let v = match value {
            // Exactly, with the currency's places, as a decimal string.
            Some(FieldValue::Decimal(d)) if field.field_type == FieldType::Money => {
                Value::String(d.to_string())
            }
            Some(value) => store::records::json_value(value),
            None if field.field_type == FieldType::Tags => Value::Array(Vec::new()),
            None => Value::Null,
        };
        out.insert(field.key.clone(), v);
        if let Some(key) = name_key(field) {
            let name = match value {
                Some(FieldValue::Id(id)) => names.get(id).cloned().map(Value::String),
                _ => None,
            };
            out.insert(key, name.unwrap_or(Value::Null));
        }
    }
    out.insert(
        "created_by".into(),
        Value::String(record.created_by.to_string()),
    );
    out.insert(
        "updated_by".into(),
        Value::String(record.updated_by.to_string()),
    );
    out.insert("version".into(), Value::from(record.version));
    Value::Object(out)
}

/// Names by id, as a JSON object.
pub(super) fn names_json(names: &HashMap<Uuid, String>) -> Value {
    Value::Object(
        names
            .iter()
            .map(|(id, name)| (id.to_string(), Value::String(name.clone())))
            .collect(),
    )
}

/// The items of a list, without the names map (the list carries it once).
fn items_json(
    fields: &ObjectFields,
    records: &[Record],
    names: &HashMap<Uuid, String>,
) -> Vec<Value> {
    records
        .iter()
        .map(|r| item_json(fields, r, names))
        .collect()
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

/// A JSON body as field input: each value in the JSON type of its field (the one the
/// OpenAPI document gives, [`json_type`]) or a string; `null` clears. A number or a boolean
/// for a text field is a `wrong_type` error. `version` is taken out (an alternative to
/// `If-Match`); a key that names no field the caller may see is `unknown_field` (here with
/// type errors, else from the use case with its own).
pub fn json_input(
    fields: &ObjectFields,
    body: &Map<String, Value>,
) -> Result<(Input, Option<i64>), AppError> {
    let mut input = Input::new();
    let mut errors = domain::FieldErrors::new();
    let mut version = None;
    let mut unknown = Vec::new();
    for (key, value) in body {
        if key == "version" {
            match value.as_i64() {
                Some(v) => version = Some(v),
                None => errors.add("version", "wrong_type"),
            }
            continue;
        }
        if let Some(child) = fields.spec.child(key) {
            super::children::rows_input(child, value, &mut input, &mut errors);
            continue;
        }
        if key == app::assignment::FLAG
            && fields.spec.rules.contains(&domain::rules::Rule::Assignment)
        {
            match value.as_bool() {
                Some(b) => input.push((key.clone(), vec![b.to_string()])),
                None => errors.add(key, "wrong_type"),
            }
            continue;
        }
        let field_type = fields.field(key).map(|f| f.field_type);
        if field_type.is_none() {
            unknown.push(key.clone());
        }
        let json = field_type.map(|t| json_type(t).0);
        let texts = match (value, json) {
            (Value::Null, _) => Vec::new(),
            // Tags are a list: a string might hold several and is not taken for one.
            (Value::String(_), _) if field_type == Some(FieldType::Tags) => {
                errors.add(key, "wrong_type");
                continue;
            }
            (Value::String(s), _) => vec![s.clone()],
            (Value::Number(n), Some("number") | None) => vec![n.to_string()],
            // Money is answered as a decimal string; a number is taken too.
            (Value::Number(n), _) if field_type == Some(FieldType::Money) => vec![n.to_string()],
            (Value::Bool(b), Some("boolean") | None) => vec![b.to_string()],
            (Value::Array(items), Some("array") | None) if items.iter().all(Value::is_string) => {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            }
            _ => {
                errors.add(key, "wrong_type");
                continue;
            }
        };
        input.push((key.clone(), texts));
    }
    // Refused for its types, the body's unknown keys are named too (else the use case
    // names them with its own errors).
    if !errors.is_empty() {
        for key in unknown {
            errors.add(&key, "unknown_field");
        }
    }
    errors.into_result()?;
    Ok((input, version))
}

pub(super) async fn respond_record(
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
        super::children::with_rows(
            record_json(&view.fields, &view.record, &view.names),
            &view.children,
        ),
        version,
    ))
}

/// The record just created; when the company's assignment rules gave it to someone whose
/// records the caller does not see (or put it in a pool), only its id.
async fn respond_created(
    state: &AppState,
    user: &ApiUser,
    kind: ObjectKind,
    id: Uuid,
) -> Result<Response, ApiError> {
    match app::records::get(&state.app, &user.actor, kind, id).await {
        Err(AppError::NotFound) => Ok((
            StatusCode::CREATED,
            Json(serde_json::json!({ "id": id, "visible": false })),
        )
            .into_response()),
        _ => respond_record(state, user, kind, id, StatusCode::CREATED).await,
    }
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
            let fields = app::records::object_fields(&state.app, &user.actor, kind)
                .await
                .map_err(fail(tr))?;
            let (input, _) = json_input(&fields, body).map_err(fail(tr))?;
            let id = app::records::create_once(&state.app, &user.actor, kind, &input, key.as_ref())
                .await
                .map_err(fail(tr))?;
            respond_created(state, user, kind, id).await
        },
        |id| respond_created(state, user, kind, id),
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
    let view = app::records::get(&state.app, &user.actor, kind, id)
        .await
        .map_err(fail(user.tr))?;
    let version = view.record.version;
    Ok(with_etag(
        StatusCode::OK,
        kind,
        super::children::with_rows(
            record_json(&view.fields, &view.record, &view.names),
            &view.children,
        ),
        version,
    ))
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
    let current = app::records::get(&state.app, &user.actor, kind, id)
        .await
        .map_err(fail(tr))?;
    let (input, body_version) = json_input(&current.fields, &body).map_err(fail(tr))?;
    let version = super::expected_version(tr, &headers, body_version, current.record.version)?;
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
    let current = app::records::get(&state.app, &user.actor, kind, id)
        .await
        .map_err(fail(tr))?;
    let version = super::expected_version(tr, &headers, None, current.record.version)?;
    app::records::delete(&state.app, &user.actor, kind, id, version)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    Ok(StatusCode::NO_CONTENT)
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
        super::list_query::apply_view(state, user, kind, &mut request, &view).await?;
    }
    let page = app::records::list(&state.app, &user.actor, kind, &request)
        .await
        .map_err(fail(tr))?;
    Ok(Json(serde_json::json!({
        "items": items_json(&page.fields, &page.records, &page.names),
        "names": names_json(&page.names),
        "next_cursor": page.next_cursor,
    })))
}

async fn list(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let fields = app::records::object_fields(&state.app, &user.actor, kind)
        .await
        .map_err(fail(user.tr))?;
    let quick = super::list_query::quick_params(&fields);
    let quick: Vec<&str> = quick.iter().map(String::as_str).collect();
    let mut query = super::list_query::parse(raw.as_deref(), &quick).map_err(fail(user.tr))?;
    let given = std::mem::take(&mut query.quick);
    super::list_query::apply_quick(&state.app, &user.actor, &fields, &given, &mut query.request)
        .map_err(fail(user.tr))?;
    run_list(&state, &user, kind, query.request, query.view).await
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
    archived: Option<String>,
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
        archived: match q.archived.as_deref() {
            None => app::records::Archived::default(),
            Some(a) => app::records::Archived::parse(a).ok_or_else(|| {
                ApiError::new(user.tr, AppError::field("archived", "invalid_choice"))
            })?,
        },
    };
    run_list(&state, &user, kind, request, q.view).await
}

/// A record's field history, newest first: `limit` (1–200, default 50) changes a page,
/// `cursor` the `next_cursor` of the previous page.
async fn history(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let q =
        super::list_query::params(raw.as_deref(), &["cursor", "limit"], 200).map_err(fail(tr))?;
    let id = parse_id(tr, &id)?;
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<i64>().ok())
        .unwrap_or(50);
    let before = match q.get("cursor").map(|c| Uuid::parse_str(c)) {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(_)) => {
            return Err(ApiError::new(
                tr,
                AppError::field("cursor", "invalid_cursor"),
            ))
        }
    };
    let mut rows = app::records::history(&state.app, &user.actor, kind, id, before, limit + 1)
        .await
        .map_err(fail(tr))?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|h| h.id.to_string())
    } else {
        None
    };
    let items: Vec<Value> = rows
        .into_iter()
        .map(|h| serde_json::json!({ "id": h.id, "field": h.field, "old_value": h.old_value, "new_value": h.new_value,
            "changed_by": h.changed_by, "changed_by_name": h.changed_by_name, "changed_at": h.changed_at }))
        .collect();
    Ok(Json(
        serde_json::json!({ "items": items, "next_cursor": next_cursor }),
    ))
}

/// Hands a record to another owner: `{"owner_id": …}`, with `If-Match` (or `version`).
/// Answers 204 when the record has left the caller's scope with the transfer.
async fn transfer(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct TransferIn {
        owner_id: Uuid,
        version: Option<i64>,
    }
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let input: TransferIn = serde_json::from_value(Value::Object(body)).map_err(|e| {
        ApiError::code(tr, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
            .with_detail(e.to_string())
    })?;
    let current = app::records::get(&state.app, &user.actor, kind, id)
        .await
        .map_err(fail(tr))?;
    let version = super::expected_version(tr, &headers, input.version, current.record.version)?;
    let moved = app::records::transfer(&state.app, &user.actor, kind, id, version, input.owner_id)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    Ok(match moved {
        Some(view) => {
            let version = view.record.version;
            let body = record_json(&view.fields, &view.record, &view.names);
            with_etag(StatusCode::OK, kind, body, version)
        }
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// The fields of an object (standard and custom) with their types, options and rules.
async fn fields(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    fields_of(&state, &user, kind).await
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

async fn timeline(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let params = super::list_query::params(raw.as_deref(), &["before", "kind", "limit"], 100)
        .map_err(fail(tr))?;
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
        .map(|(currency, open, won)| serde_json::json!({ "currency": currency, "open_pipeline": open.to_string(), "won_amount": won.to_string() }))
        .collect();
    // The sum in the company currency by today's rates; currencies without a rate are named.
    let total = r.total.as_ref().map(|t| {
        serde_json::json!({ "currency": t.currency, "open_pipeline": t.open.to_string(),
            "won_amount": t.won.to_string(), "unconverted_currencies": t.unconverted })
    });
    Ok(Json(
        serde_json::json!({ "child_accounts": r.children, "amounts": amounts, "total": total }),
    ))
}

async fn my_day(State(state): State<AppState>, user: ApiUser) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let day = app::activities::my_day(&state.app, &user.actor)
        .await
        .map_err(fail(tr))?;
    let fields = app::records::object_fields(&state.app, &user.actor, ObjectKind::Activity)
        .await
        .map_err(fail(tr))?;
    let lead_fields = app::records::object_fields(&state.app, &user.actor, ObjectKind::Lead)
        .await
        .map_err(fail(tr))?;
    Ok(Json(serde_json::json!({
        "today": items_json(&fields, &day.today, &day.names),
        "overdue": items_json(&fields, &day.overdue, &day.names),
        "reminders": items_json(&fields, &day.reminders, &day.names),
        "follow_ups": items_json(&lead_fields, &day.follow_ups, &day.names),
        "names": names_json(&day.names),
    })))
}

/// A field's JSON type and format in the OpenAPI document. Money is a decimal string in
/// major units with its currency's places (`"25000.50"`, `"1234"` yen), exact where a JSON
/// number would not be; bodies may also give a number.
pub fn json_type(t: FieldType) -> (&'static str, Option<&'static str>) {
    match t {
        FieldType::Money => ("string", Some("decimal")),
        FieldType::Number | FieldType::Percent => ("number", None),
        FieldType::Checkbox => ("boolean", None),
        FieldType::MultiSelect | FieldType::Tags => ("array", None),
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
            serde_json::json!({ "object": g.kind.key(), "items": items_json(&g.page.fields, &g.page.records, &g.page.names),
                "names": names_json(&g.page.names), "more": g.more })
        })
        .collect();
    Ok(Json(serde_json::json!({ "groups": groups })))
}
