//! `/api/v1/assignment-rules` (the company's lead assignment rules, 线索分配, kept by
//! administrators of leads) and `POST /api/v1/leads/assign` (a manager re-runs the rules
//! over selected leads, or gives them to one rep) — `app::assignment`.

use super::records::{fail, parse_id};
use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::i18n::Tr;
use crate::AppState;
use app::assignment::bulk::{self, Mode};
use app::assignment::RuleInput;
use app::AppError;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use domain::validation::FieldErrors;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use store::assignment::Rule;
use uuid::Uuid;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .on(Method::GET, "/assignment-rules", list)
        .on(Method::POST, "/assignment-rules", create)
        .on(Method::PUT, "/assignment-rules/order", reorder)
        .on(Method::GET, "/assignment-rules/{id}", get)
        .on(Method::PATCH, "/assignment-rules/{id}", update)
        .on(Method::DELETE, "/assignment-rules/{id}", delete)
        .on(Method::POST, "/leads/assign", assign)
}

pub fn rule_json(r: &Rule) -> Value {
    let s = &r.settings.0;
    json!({
        "id": r.id, "position": r.position, "name": r.name, "active": r.active,
        "record_type": r.record_type, "department_id": r.department_id,
        "criteria": r.criteria.0, "method": r.method,
        "reps": s.reps, "rep": s.rep, "regions": s.regions, "pool_id": s.pool_id,
        "max_open": r.max_open, "max_per_day": r.max_per_day, "fallback_pool_id": r.fallback_pool_id,
        "version": r.version, "created_at": r.created_at, "updated_at": r.updated_at,
    })
}

/// Reads `value` as a `T` into `slot`; false when it is of another JSON type.
fn take<T: DeserializeOwned>(slot: &mut Option<T>, value: Value) -> bool {
    serde_json::from_value(value)
        .map(|v| *slot = Some(v))
        .is_ok()
}

/// A reference that may be cleared: a string, or null (an empty text for the use case).
fn take_ref(slot: &mut Option<String>, value: Value) -> bool {
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

/// Reads a rule body: known fields of the right JSON type, else field errors.
fn rule_input(tr: Tr, body: Map<String, Value>) -> Result<(RuleInput, Option<i64>), ApiError> {
    let mut errors = FieldErrors::new();
    let mut input = RuleInput::default();
    let mut version = None;
    for (key, value) in body {
        let ok = match key.as_str() {
            "name" => take(&mut input.name, value),
            "active" => take(&mut input.active, value),
            "method" => take(&mut input.method, value),
            "criteria" => take(&mut input.criteria, value),
            "reps" => take(&mut input.reps, value),
            "regions" => take(&mut input.regions, value),
            "max_open" => take(&mut input.max_open, value),
            "max_per_day" => take(&mut input.max_per_day, value),
            "version" => take(&mut version, value),
            "rep" => take_ref(&mut input.rep, value),
            "record_type" => take_ref(&mut input.record_type, value),
            "department_id" => take_ref(&mut input.department_id, value),
            "pool_id" => take_ref(&mut input.pool_id, value),
            "fallback_pool_id" => take_ref(&mut input.fallback_pool_id, value),
            _ => {
                errors.add(&key, "unknown_field");
                true
            }
        };
        if !ok {
            errors.add(&key, "wrong_type");
        }
    }
    errors.into_result().map_err(|e| ApiError::invalid(tr, e))?;
    Ok((input, version))
}

async fn list(State(state): State<AppState>, user: ApiUser) -> Result<Json<Value>, ApiError> {
    let rules = app::assignment::list(&state.app, &user.actor)
        .await
        .map_err(fail(user.tr))?;
    let items: Vec<Value> = rules.iter().map(rule_json).collect();
    Ok(Json(json!({ "items": items })))
}

fn with_etag(status: StatusCode, rule: &Rule) -> impl IntoResponse {
    (
        status,
        [(axum::http::header::ETAG, super::etag(rule.version))],
        Json(rule_json(rule)),
    )
}

/// The rule as the caller may read it (administrators of leads), or the API's error.
async fn read(state: &AppState, user: &ApiUser, id: Uuid) -> Result<Rule, ApiError> {
    app::assignment::get(&state.app, &user.actor, id)
        .await
        .map_err(fail(user.tr))
}

async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<impl IntoResponse, ApiError> {
    let tr = user.tr;
    let (input, _) = rule_input(tr, body)?;
    let id = app::assignment::create(&state.app, &user.actor, &input)
        .await
        .map_err(fail(tr))?;
    Ok(with_etag(
        StatusCode::CREATED,
        &read(&state, &user, id).await?,
    ))
}

async fn get(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(user.tr, &id)?;
    Ok(with_etag(StatusCode::OK, &read(&state, &user, id).await?))
}

async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<impl IntoResponse, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let (input, body_version) = rule_input(tr, body)?;
    let current = read(&state, &user, id).await?;
    let version = super::expected_version(tr, &headers, body_version, current.version)?;
    let rule = app::assignment::update(&state.app, &user.actor, id, version, &input)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    Ok(with_etag(StatusCode::OK, &rule))
}

async fn delete(
    State(state): State<AppState>,
    user: ApiUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let current = read(&state, &user, id).await?;
    let version = super::expected_version(tr, &headers, None, current.version)?;
    app::assignment::delete(&state.app, &user.actor, id, version)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    Ok(StatusCode::NO_CONTENT)
}

/// `{"ids": [...]}` as ids, each a UUID, else field errors (one `invalid_reference` for
/// the first that is not).
pub(super) fn ids_of(value: &Value, errors: &mut FieldErrors) -> Vec<Uuid> {
    let Some(list) = value.as_array() else {
        errors.add("ids", "wrong_type");
        return Vec::new();
    };
    let mut ids = Vec::with_capacity(list.len());
    for v in list {
        match v.as_str().and_then(|s| Uuid::try_parse(s).ok()) {
            Some(id) => ids.push(id),
            None => {
                errors.add("ids", "invalid_reference");
                break;
            }
        }
    }
    ids
}

async fn reorder(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let mut errors = FieldErrors::new();
    let mut ids = None;
    for (key, value) in &body {
        match key.as_str() {
            "ids" => ids = Some(ids_of(value, &mut errors)),
            _ => errors.add(key, "unknown_field"),
        }
    }
    if ids.is_none() {
        errors.add("ids", "required");
    }
    errors.into_result().map_err(|e| ApiError::invalid(tr, e))?;
    let rules = app::assignment::reorder(&state.app, &user.actor, &ids.unwrap_or_default())
        .await
        .map_err(fail(tr))?;
    let items: Vec<Value> = rules.iter().map(rule_json).collect();
    Ok(Json(json!({ "items": items })))
}

async fn assign(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let mut errors = FieldErrors::new();
    let mut ids = Vec::new();
    let mut owner = None;
    let mut rules = None;
    for (key, value) in &body {
        match key.as_str() {
            "ids" => ids = ids_of(value, &mut errors),
            "owner_id" => match value.as_str() {
                Some(s) => owner = Some(s.to_string()),
                None => errors.add("owner_id", "wrong_type"),
            },
            "rules" => match value.as_bool() {
                Some(b) => rules = Some(b),
                None => errors.add("rules", "wrong_type"),
            },
            _ => errors.add(key, "unknown_field"),
        }
    }
    let mode = match (rules, owner) {
        (Some(true), None) => Some(Mode::Rules),
        (None | Some(false), Some(o)) => Some(Mode::Owner(o)),
        (Some(true), Some(_)) => {
            errors.add("owner_id", "not_with_rules");
            None
        }
        (None | Some(false), None) => {
            errors.add("owner_id", "required");
            None
        }
    };
    errors.into_result().map_err(|e| ApiError::invalid(tr, e))?;
    let mode = mode.ok_or_else(|| ApiError::new(tr, AppError::field("owner_id", "required")))?;
    let outcome = bulk::assign(&state.app, &user.actor, &ids, &mode)
        .await
        .map_err(fail(tr))?;
    Ok(Json(json!({
        "assigned": outcome.assigned, "pooled": outcome.pooled, "unchanged": outcome.unchanged,
    })))
}

pub(super) fn document(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let security = json!([{ "bearer": [] }]);
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } });
    let if_match = json!({ "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string" }, "description": "The version read (`\"3\"`); or give `version` in the body" });
    let content = |schema: &str| json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } });
    let uuid_or_null = json!({ "type": ["string", "null"], "format": "uuid" });
    let capacity = |d: &str| json!({ "type": ["integer", "null"], "minimum": 1, "maximum": domain::assignment::MAX_CAPACITY, "description": d });
    let methods: Vec<&str> = domain::assignment::Method::ALL
        .iter()
        .map(|m| m.key())
        .collect();
    let properties = json!({
        "name": { "type": "string", "maxLength": domain::assignment::MAX_NAME },
        "active": { "type": "boolean" },
        "record_type": { "type": ["string", "null"], "description": "A lead record type (business line) key: the rule is for those leads only" },
        "department_id": { "type": ["string", "null"], "format": "uuid", "description": "The rule is for leads created by members of this department (and those under it)" },
        "criteria": { "type": "array", "maxItems": domain::assignment::MAX_CRITERIA, "description": "Conditions on the lead's fields, all to be met, in the list filter language",
            "items": { "type": "object", "required": ["field", "op"], "properties": { "field": { "type": "string" }, "op": { "type": "string" }, "values": { "type": "array", "items": { "type": "string" } } } } },
        "method": { "type": "string", "enum": methods, "description": "list: the first rep of `reps` with capacity; round_robin: `reps` in turn; region: `regions`; criteria: the fixed `rep`; pool: into `pool_id` (else the default lead pool)" },
        "reps": { "type": "array", "maxItems": domain::assignment::MAX_REPS, "items": { "type": "string", "format": "uuid" } },
        "rep": uuid_or_null,
        "regions": { "type": "array", "maxItems": domain::assignment::MAX_REGIONS, "items": { "type": "object", "required": ["province", "target"], "properties": {
            "province": { "type": "string", "description": "A province code (GB/T 2260), as leads store it" },
            "target": { "type": "string", "description": "user:<id>, or department:<id> whose members take turns" } } } },
        "pool_id": uuid_or_null,
        "max_open": capacity("At most this many open leads per rep (null: no limit)"),
        "max_per_day": capacity("At most this many new leads per rep per day, China time (null: no limit)"),
        "fallback_pool_id": { "type": ["string", "null"], "format": "uuid", "description": "Where a lead goes when nobody has capacity (null: the default lead pool)" },
    });
    let mut rule_in = properties.clone();
    rule_in["version"] = json!({ "type": "integer", "description": "Without If-Match" });
    schemas.insert(
        "AssignmentRuleIn".into(),
        json!({ "type": "object", "additionalProperties": false, "properties": rule_in }),
    );
    let mut rule = properties;
    for (k, v) in [
        ("id", json!({ "type": "string", "format": "uuid" })),
        ("position", json!({ "type": "integer" })),
        ("version", json!({ "type": "integer" })),
        (
            "created_at",
            json!({ "type": "string", "format": "date-time" }),
        ),
        (
            "updated_at",
            json!({ "type": "string", "format": "date-time" }),
        ),
    ] {
        rule[k] = v;
    }
    schemas.insert(
        "AssignmentRule".into(),
        json!({ "type": "object", "properties": rule }),
    );
    let list = json!({ "application/json": { "schema": { "type": "object", "properties": { "items": { "type": "array", "items": { "$ref": "#/components/schemas/AssignmentRule" } } } } } });
    let tags = json!(["assignment"]);
    paths.insert("/api/v1/assignment-rules".into(), json!({
        "get": { "tags": tags, "security": security, "summary": "The company's lead assignment rules in order (administrators of leads)",
            "responses": { "200": { "description": "`{items: [AssignmentRule]}`", "content": list } } },
        "post": { "tags": tags, "security": security, "summary": "Add a rule after the last one",
            "requestBody": { "required": true, "content": content("AssignmentRuleIn") },
            "responses": { "201": { "description": "The rule", "content": content("AssignmentRule") } } } }));
    paths.insert("/api/v1/assignment-rules/order".into(), json!({
        "put": { "tags": tags, "security": security, "summary": "Put the rules in this order (every rule once); the first matching active rule wins",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["ids"],
                "properties": { "ids": { "type": "array", "items": { "type": "string", "format": "uuid" } } } } } } },
            "responses": { "200": { "description": "`{items: [AssignmentRule]}`", "content": list } } } }));
    paths.insert("/api/v1/assignment-rules/{id}".into(), json!({
        "get": { "tags": tags, "security": security, "summary": "A rule", "parameters": [id_param],
            "responses": { "200": { "description": "The rule", "content": content("AssignmentRule") } } },
        "patch": { "tags": tags, "security": security, "summary": "Change a rule (fields left out keep their value; `active: false` deactivates it)",
            "parameters": [id_param, if_match], "requestBody": { "required": true, "content": content("AssignmentRuleIn") },
            "responses": { "200": { "description": "The rule", "content": content("AssignmentRule") } } },
        "delete": { "tags": tags, "security": security, "summary": "Delete a rule", "parameters": [id_param, if_match],
            "responses": { "204": { "description": "Deleted" } } } }));
    paths.insert("/api/v1/leads/assign".into(), json!({
        "post": { "tags": ["leads"], "security": security, "summary": "Re-run the assignment rules over visible leads (`rules: true`), or give them to `owner_id`; needs transfer on each lead",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["ids"],
                "properties": { "ids": { "type": "array", "maxItems": bulk::MAX_LEADS, "items": { "type": "string", "format": "uuid" } },
                    "rules": { "type": "boolean" }, "owner_id": { "type": "string", "format": "uuid" } } } } } },
            "responses": { "200": { "description": "`{assigned, pooled, unchanged}`: leads given an owner, put into a pool, left as they were (no rule matched, or in a pool)",
                "content": { "application/json": { "schema": { "type": "object" } } } } } } }));
}
