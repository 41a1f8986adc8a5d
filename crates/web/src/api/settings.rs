//! The API of a company setting kept by administrators (`app::settings`: assignment rules,
//! web forms): `GET|POST <base>`, `GET|PATCH|DELETE <base>/{id}`, the body read field by
//! field into the use case's input, versions by `If-Match` or `version`, and the paths and
//! schemas of the document. A setting declares its JSON and its fields ([`ApiSetting`]).

use super::records::{fail, parse_id};
use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::i18n::Tr;
use crate::AppState;
use app::settings::{self, Setting};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use domain::validation::FieldErrors;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

/// A setting as the API shows and reads it.
pub(super) trait ApiSetting: Setting<Input: Default + Send> + 'static {
    fn to_json(&self) -> Value;
    /// Reads one body field into the input: `Some(true)` read, `Some(false)` of the wrong
    /// JSON type, `None` not a field of the setting.
    fn read_field(input: &mut Self::Input, key: &str, value: Value) -> Option<bool>;
}

/// Reads `value` as a `T` into `slot`; false when it is of another JSON type.
pub(super) fn take<T: DeserializeOwned>(slot: &mut Option<T>, value: Value) -> bool {
    serde_json::from_value(value)
        .map(|v| *slot = Some(v))
        .is_ok()
}

/// A text or reference that may be cleared: a string, or null (an empty text for the use
/// case).
pub(super) fn take_clearable(slot: &mut Option<String>, value: Value) -> bool {
    match value {
        Value::Null => {
            *slot = Some(String::new());
            true
        }
        Value::String(s) => {
            *slot = Some(s);
            true
        }
        _ => false,
    }
}

/// The five routes of the setting under `base` (`/web-forms`).
pub(super) fn routes<S: ApiSetting>(routes: ApiRoutes, base: &str) -> ApiRoutes {
    let item = format!("{base}/{{id}}");
    routes
        .on(Method::GET, base, list::<S>)
        .on(Method::POST, base, create::<S>)
        .on(Method::GET, &item, get::<S>)
        .on(Method::PATCH, &item, update::<S>)
        .on(Method::DELETE, &item, delete::<S>)
}

/// A body's known fields of the right JSON type as the input (and `version`), else field
/// errors naming every other.
fn input<S: ApiSetting>(
    tr: Tr,
    body: Map<String, Value>,
) -> Result<(S::Input, Option<i64>), ApiError> {
    let mut errors = FieldErrors::new();
    let mut input = S::Input::default();
    let mut version = None;
    for (key, value) in body {
        let read = if key == "version" {
            Some(take(&mut version, value))
        } else {
            S::read_field(&mut input, &key, value)
        };
        match read {
            Some(true) => {}
            Some(false) => errors.add(&key, "wrong_type"),
            None => errors.add(&key, "unknown_field"),
        }
    }
    errors.into_result().map_err(|e| ApiError::invalid(tr, e))?;
    Ok((input, version))
}

/// `{items: [...]}` of settings.
pub(super) fn items<S: ApiSetting>(all: &[S]) -> Json<Value> {
    let items: Vec<Value> = all.iter().map(S::to_json).collect();
    Json(json!({ "items": items }))
}

fn with_etag<S: ApiSetting>(status: StatusCode, setting: &S) -> impl IntoResponse {
    (
        status,
        [(axum::http::header::ETAG, super::etag(setting.version()))],
        Json(setting.to_json()),
    )
}

async fn read<S: ApiSetting>(
    state: &AppState,
    user: &ApiUser,
    id: uuid::Uuid,
) -> Result<S, ApiError> {
    settings::get::<S>(&state.app, &user.actor, id)
        .await
        .map_err(fail(user.tr))
}

async fn list<S: ApiSetting>(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    let all = settings::list::<S>(&state.app, &user.actor)
        .await
        .map_err(fail(user.tr))?;
    Ok(items(&all))
}

async fn create<S: ApiSetting>(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<impl IntoResponse, ApiError> {
    let tr = user.tr;
    let (input, _) = input::<S>(tr, body)?;
    let id = settings::create::<S>(&state.app, &user.actor, &input)
        .await
        .map_err(fail(tr))?;
    Ok(with_etag(
        StatusCode::CREATED,
        &read::<S>(&state, &user, id).await?,
    ))
}

async fn get<S: ApiSetting>(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(user.tr, &id)?;
    Ok(with_etag(
        StatusCode::OK,
        &read::<S>(&state, &user, id).await?,
    ))
}

async fn update<S: ApiSetting>(
    State(state): State<AppState>,
    user: ApiUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<impl IntoResponse, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let (input, body_version) = input::<S>(tr, body)?;
    let current = read::<S>(&state, &user, id).await?;
    let version = super::expected_version(tr, &headers, body_version, current.version())?;
    let saved = settings::update::<S>(&state.app, &user.actor, id, version, &input)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    Ok(with_etag(StatusCode::OK, &saved))
}

async fn delete<S: ApiSetting>(
    State(state): State<AppState>,
    user: ApiUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let current = read::<S>(&state, &user, id).await?;
    let version = super::expected_version(tr, &headers, None, current.version())?;
    settings::delete::<S>(&state.app, &user.actor, id, version)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    Ok(StatusCode::NO_CONTENT)
}

/// How a setting's paths are described in the document.
pub(super) struct Doc<'a> {
    /// The path under `/api/v1` (`/web-forms`).
    pub base: &'a str,
    /// The schema name (`WebForm`; the body's is `WebFormIn`).
    pub schema: &'a str,
    pub tag: &'a str,
    /// The fields an administrator writes.
    pub properties: Value,
    /// The fields only read, beside id, version and the times.
    pub read_only: Vec<(&'a str, Value)>,
    /// How a response names one (`The form`).
    pub noun: &'a str,
    /// Summaries of list, create, get, patch and delete.
    pub summaries: [&'a str; 5],
}

/// The paths and schemas of a setting; the `{items: [...]}` list response, for other paths
/// that answer with the whole list.
pub(super) fn document(
    paths: &mut Map<String, Value>,
    schemas: &mut Map<String, Value>,
    doc: Doc<'_>,
) -> Value {
    let security = json!([{ "bearer": [] }]);
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } });
    let if_match = json!({ "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string" }, "description": "The version read (`\"3\"`); or give `version` in the body" });
    let schema_in = format!("{}In", doc.schema);
    let content = |schema: &str| json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } });
    let mut body = doc.properties.clone();
    body["version"] = json!({ "type": "integer", "description": "Without If-Match" });
    schemas.insert(
        schema_in.clone(),
        json!({ "type": "object", "additionalProperties": false, "properties": body }),
    );
    let mut read = doc.properties;
    let date_time = json!({ "type": "string", "format": "date-time" });
    let mut read_only = vec![("id", json!({ "type": "string", "format": "uuid" }))];
    read_only.extend(doc.read_only);
    read_only.push(("version", json!({ "type": "integer" })));
    read_only.push(("created_at", date_time.clone()));
    read_only.push(("updated_at", date_time));
    for (k, v) in read_only {
        read[k] = v;
    }
    schemas.insert(
        doc.schema.into(),
        json!({ "type": "object", "properties": read }),
    );
    let list = json!({ "application/json": { "schema": { "type": "object", "properties": { "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{}", doc.schema) } } } } } });
    let tags = json!([doc.tag]);
    let [list_summary, create_summary, get_summary, patch_summary, delete_summary] = doc.summaries;
    let one = content(doc.schema);
    paths.insert(format!("/api/v1{}", doc.base), json!({
        "get": { "tags": tags, "security": security, "summary": list_summary,
            "responses": { "200": { "description": format!("`{{items: [{}]}}`", doc.schema), "content": list } } },
        "post": { "tags": tags, "security": security, "summary": create_summary,
            "requestBody": { "required": true, "content": content(&schema_in) },
            "responses": { "201": { "description": doc.noun, "content": one } } } }));
    paths.insert(format!("/api/v1{}/{{id}}", doc.base), json!({
        "get": { "tags": tags, "security": security, "summary": get_summary, "parameters": [id_param],
            "responses": { "200": { "description": doc.noun, "content": one } } },
        "patch": { "tags": tags, "security": security, "summary": patch_summary,
            "parameters": [id_param, if_match], "requestBody": { "required": true, "content": content(&schema_in) },
            "responses": { "200": { "description": doc.noun, "content": one } } },
        "delete": { "tags": tags, "security": security, "summary": delete_summary, "parameters": [id_param, if_match],
            "responses": { "204": { "description": "Deleted" } } } }));
    list
}
