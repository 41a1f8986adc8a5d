//! `/api/v1/pools` and claiming: the public pools (公海池) of leads and accounts, their
//! records, bulk assignment and statistics, the company's return reasons, and
//! `POST /api/v1/{leads|accounts}/{id}/claim|return` (`app::pools`).

use super::records::{fail, item_json, names_json, parse_id};
use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::i18n::Tr;
use crate::AppState;
use app::pools::claims::{self, Standing};
use app::pools::{PoolDetail, PoolInput, PoolView};
use app::AppError;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use domain::permissions::ObjectKind;
use domain::validation::FieldErrors;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use store::pools::{Pool, Reason};

pub fn routes() -> ApiRoutes {
    let mut routes = ApiRoutes::default()
        .on(Method::GET, "/pools", list)
        .on(Method::POST, "/pools", create)
        .on(Method::GET, "/pools/{id}", get)
        .on(Method::PATCH, "/pools/{id}", update)
        .on(Method::GET, "/pools/{id}/records", records)
        .on(Method::POST, "/pools/{id}/assign", assign)
        .on(Method::GET, "/pools/{id}/stats", stats)
        .on(Method::GET, "/pool-return-reasons", reasons)
        .on(Method::PUT, "/pool-return-reasons", put_reasons);
    for spec in domain::pools::ALL {
        let Some(object) = domain::objects::spec(spec.object) else {
            continue;
        };
        let base = format!("/{}/{{id}}", object.plural);
        routes = routes
            .on_object(Method::POST, &format!("{base}/claim"), spec.object, claim)
            .on_object(
                Method::POST,
                &format!("{base}/return"),
                spec.object,
                give_back,
            );
    }
    routes
}

pub fn pool_json(pool: &Pool, access: &app::pools::Access) -> Value {
    json!({
        "id": pool.id, "object": pool.object, "name": pool.name, "is_default": pool.is_default,
        "open_to_all": pool.open_to_all, "claims_per_day": pool.claims_per_day, "max_held": pool.max_held,
        "protection_days": pool.protection_days, "idle_days": pool.idle_days, "stale_days": pool.stale_days,
        "remind_days": pool.remind_days, "no_reclaim_days": pool.no_reclaim_days, "version": pool.version,
        "created_at": pool.created_at,
        "can_administer": access.administer, "can_assign": access.assign,
    })
}

fn detail_json(d: &PoolDetail) -> Value {
    let mut out = pool_json(&d.pool, &d.access);
    let members: Vec<Value> = d
        .members
        .iter()
        .filter_map(|m| {
            let (kind, id) = match m.grantee()? {
                store::sharing::Grantee::User(id) => ("user", id),
                store::sharing::Grantee::Department(id) => ("department", id),
                store::sharing::Grantee::Role(id) => ("role", id),
            };
            Some(json!({ "member": format!("{kind}:{id}"), "name": m.name }))
        })
        .collect();
    let admins: Vec<Value> = d
        .admins
        .iter()
        .map(|(id, name)| json!({ "member": format!("user:{id}"), "name": name }))
        .collect();
    if let Value::Object(map) = &mut out {
        map.insert("members".into(), Value::Array(members));
        map.insert("admins".into(), Value::Array(admins));
    }
    out
}

#[derive(Deserialize)]
struct ObjectQuery {
    object: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    Query(q): Query<ObjectQuery>,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let object = match q.object.as_deref() {
        None | Some("") => None,
        Some(key) => Some(
            ObjectKind::parse(key)
                .filter(|o| domain::pools::spec(*o).is_some())
                .ok_or_else(|| ApiError::new(tr, AppError::field("object", "invalid_choice")))?,
        ),
    };
    let pools = app::pools::list(&state.app, &user.actor, object)
        .await
        .map_err(fail(tr))?;
    let items: Vec<Value> = pools
        .iter()
        .map(|PoolView { pool, access }| pool_json(pool, access))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// Reads a pool body: known fields of the right JSON type, else field errors.
fn pool_input(tr: Tr, body: Map<String, Value>) -> Result<(PoolInput, Option<i64>), ApiError> {
    let mut errors = FieldErrors::new();
    let mut input = PoolInput::default();
    let mut version = None;
    for (key, value) in body {
        let int = |v: &Value| v.as_i64();
        let ok = match key.as_str() {
            "object" => value
                .as_str()
                .map(|s| input.object = Some(s.to_string()))
                .is_some(),
            "name" => value
                .as_str()
                .map(|s| input.name = Some(s.to_string()))
                .is_some(),
            "open_to_all" => value
                .as_bool()
                .map(|b| input.open_to_all = Some(b))
                .is_some(),
            "version" => int(&value).map(|v| version = Some(v)).is_some(),
            "protection_days" => int(&value)
                .map(|v| input.protection_days = Some(v))
                .is_some(),
            "remind_days" => int(&value).map(|v| input.remind_days = Some(v)).is_some(),
            "no_reclaim_days" => int(&value)
                .map(|v| input.no_reclaim_days = Some(v))
                .is_some(),
            "claims_per_day" | "max_held" | "idle_days" | "stale_days" => {
                let parsed = if value.is_null() {
                    Some(None)
                } else {
                    int(&value).map(Some)
                };
                let slot = match key.as_str() {
                    "claims_per_day" => &mut input.claims_per_day,
                    "max_held" => &mut input.max_held,
                    "idle_days" => &mut input.idle_days,
                    _ => &mut input.stale_days,
                };
                parsed.map(|p| *slot = Some(p)).is_some()
            }
            "members" | "admins" => {
                let list: Option<Vec<String>> = value
                    .as_array()
                    .and_then(|a| a.iter().map(|v| v.as_str().map(str::to_string)).collect());
                let slot = if key == "members" {
                    &mut input.members
                } else {
                    &mut input.admins
                };
                list.map(|l| *slot = Some(l)).is_some()
            }
            _ => {
                errors.add(&key, "unknown_field");
                true
            }
        };
        if !ok {
            errors.add(&key, "wrong_type");
        }
    }
    errors
        .into_result()
        .map_err(|e| ApiError::new(tr, AppError::Validation(e)))?;
    Ok((input, version))
}

async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<impl IntoResponse, ApiError> {
    let tr = user.tr;
    let (input, _) = pool_input(tr, body)?;
    let id = app::pools::create(&state.app, &user.actor, &input)
        .await
        .map_err(fail(tr))?;
    let detail = app::pools::get(&state.app, &user.actor, id)
        .await
        .map_err(fail(tr))?;
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::ETAG, super::etag(detail.pool.version))],
        Json(detail_json(&detail)),
    ))
}

async fn get(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let detail = app::pools::get(&state.app, &user.actor, id)
        .await
        .map_err(fail(tr))?;
    Ok((
        [(axum::http::header::ETAG, super::etag(detail.pool.version))],
        Json(detail_json(&detail)),
    ))
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
    let (input, body_version) = pool_input(tr, body)?;
    let current = app::pools::get(&state.app, &user.actor, id)
        .await
        .map_err(fail(tr))?;
    let version = super::expected_version(tr, &headers, body_version, current.pool.version)?;
    app::pools::update(&state.app, &user.actor, id, version, &input)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    let detail = app::pools::get(&state.app, &user.actor, id)
        .await
        .map_err(fail(tr))?;
    Ok((
        [(axum::http::header::ETAG, super::etag(detail.pool.version))],
        Json(detail_json(&detail)),
    ))
}

#[derive(Deserialize)]
struct PageQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

async fn records(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let limit = super::list_query::optional_integer("limit", q.limit.as_deref())
        .map_err(|e| ApiError::new(tr, e))?;
    let (view, page) = app::pools::records(&state.app, &user.actor, id, q.cursor.as_deref(), limit)
        .await
        .map_err(fail(tr))?;
    let items: Vec<Value> = page
        .records
        .iter()
        .map(|r| item_json(&page.fields, r, &page.names))
        .collect();
    Ok(Json(json!({
        "pool": pool_json(&view.pool, &view.access),
        "items": items,
        "names": names_json(&page.names),
        "next_cursor": page.next_cursor,
    })))
}

async fn assign(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let pool = parse_id(tr, &id)?;
    let mut errors = FieldErrors::new();
    let mut ids = Vec::new();
    let mut owner = None;
    for (key, value) in body {
        match key.as_str() {
            "ids" => ids = super::assignment::ids_of(&value, &mut errors),
            "owner_id" => match value.as_str() {
                Some(s) => owner = Some(s.to_string()),
                None => errors.add("owner_id", "wrong_type"),
            },
            _ => errors.add(&key, "unknown_field"),
        }
    }
    errors
        .into_result()
        .map_err(|e| ApiError::new(tr, AppError::Validation(e)))?;
    let assigned = claims::assign(&state.app, &user.actor, pool, &ids, owner.as_deref())
        .await
        .map_err(fail(tr))?;
    Ok(Json(json!({ "assigned": assigned })))
}

#[derive(Deserialize)]
struct StatsQuery {
    days: Option<String>,
}

async fn stats(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let days = super::list_query::optional_integer("days", q.days.as_deref())
        .map_err(|e| ApiError::new(tr, e))?;
    let stats = app::pools::stats::get(&state.app, &user.actor, id, days)
        .await
        .map_err(fail(tr))?;
    let line = |r: &app::pools::stats::RepStats| {
        json!({ "user_id": r.user_id, "name": r.name, "claimed": r.claimed, "assigned": r.assigned,
            "returned": r.returned, "recycled": r.recycled, "by_reason": r.by_reason,
            "average_days_held": r.average_days_held })
    };
    let reps: Vec<Value> = stats.reps.iter().map(line).collect();
    Ok(Json(
        json!({ "days": stats.days, "reps": reps, "total": line(&stats.total) }),
    ))
}

fn reason_json(r: &Reason) -> Value {
    json!({ "key": r.key, "name_zh": r.name_zh, "name_en": r.name_en, "active": r.active })
}

async fn reasons(State(state): State<AppState>, user: ApiUser) -> Result<Json<Value>, ApiError> {
    let list = app::pools::reasons(&state.app, &user.actor)
        .await
        .map_err(fail(user.tr))?;
    let items: Vec<Value> = list.iter().map(reason_json).collect();
    Ok(Json(json!({ "items": items })))
}

async fn put_reasons(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let mut errors = FieldErrors::new();
    let mut list = Vec::new();
    for (key, value) in body {
        if key != "items" {
            errors.add(&key, "unknown_field");
            continue;
        }
        let Some(items) = value.as_array() else {
            errors.add("items", "wrong_type");
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let text = |k: &str| {
                item.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            if !item.is_object() {
                errors.add(&format!("items.{i}"), "wrong_type");
                continue;
            }
            list.push(Reason {
                key: text("key"),
                name_zh: text("name_zh"),
                name_en: text("name_en"),
                active: item.get("active").and_then(Value::as_bool).unwrap_or(true),
            });
        }
    }
    errors
        .into_result()
        .map_err(|e| ApiError::new(tr, AppError::Validation(e)))?;
    app::pools::set_reasons(&state.app, &user.actor, &list)
        .await
        .map_err(fail(tr))?;
    reasons(State(state), user).await
}

fn standing_json(s: &Standing) -> Value {
    let events: Vec<Value> = s
        .events
        .iter()
        .map(|e| {
            json!({ "kind": e.kind, "pool_id": e.pool_id, "pool": e.pool_name, "user_id": e.user_id,
            "user_name": e.user_name, "actor_name": e.actor_name, "reason": e.reason, "at": e.at })
        })
        .collect();
    json!({
        "pool_id": s.pool.as_ref().map(|p| p.id),
        "owner_id": s.owner_id,
        "held_from_pool_id": s.holding.as_ref().map(|h| h.pool_id),
        "protected_until": s.holding.as_ref().map(|h| h.protected_until),
        "can_claim": s.can_claim,
        "can_return": s.can_return,
        "events": events,
    })
}

async fn claim(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    claims::claim(&state.app, &user.actor, object, id)
        .await
        .map_err(fail(tr))?;
    let standing = claims::standing(&state.app, &user.actor, object, id)
        .await
        .map_err(fail(tr))?;
    Ok(Json(standing_json(&standing)))
}

async fn give_back(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: ApiUser,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let mut errors = FieldErrors::new();
    let mut reason = None;
    for (key, value) in body {
        match (key.as_str(), value) {
            ("reason", Value::String(s)) => reason = Some(s),
            ("reason", Value::Null) => {}
            ("reason", _) => errors.add("reason", "wrong_type"),
            _ => errors.add(&key, "unknown_field"),
        }
    }
    errors
        .into_result()
        .map_err(|e| ApiError::new(tr, AppError::Validation(e)))?;
    claims::give_back(&state.app, &user.actor, object, id, reason.as_deref())
        .await
        .map_err(fail(tr))?;
    // The returner may no longer see it (not a member of its pool): answer what they know.
    match claims::standing(&state.app, &user.actor, object, id).await {
        Ok(s) => Ok(Json(standing_json(&s))),
        Err(AppError::NotFound) => Ok(Json(json!({ "returned": true }))),
        Err(e) => Err(ApiError::new(tr, e)),
    }
}

/// The paths and schemas of pools, for the OpenAPI document.
pub(super) fn document(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let security = json!([{ "bearer": [] }]);
    let id_param = |name: &str| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } });
    let content = |schema: &str| json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } });
    let days = |d: &str| json!({ "type": ["integer", "null"], "minimum": 1, "maximum": domain::pools::MAX_DAYS, "description": d });
    schemas.insert("PoolIn".into(), json!({ "type": "object", "additionalProperties": false, "properties": {
        "object": { "type": "string", "enum": ["lead", "account"], "description": "On create only" },
        "name": { "type": "string", "maxLength": domain::pools::NAME_MAX },
        "open_to_all": { "type": "boolean", "description": "Every user of the company is a member" },
        "claims_per_day": { "type": ["integer", "null"], "minimum": 1, "description": "Claims per rep per day (null: no limit)" },
        "max_held": { "type": ["integer", "null"], "minimum": 1, "description": "Records taken from the pool a rep may hold at once" },
        "protection_days": { "type": "integer", "minimum": 0, "description": "Days after a claim the record is not recycled or taken" },
        "idle_days": days("Recycled when not followed up (no done call, visit or meeting) for N days"),
        "stale_days": days("Recycled when a lead is not converted, or an account has no open opportunity and no deal, M days after it was taken"),
        "remind_days": { "type": "integer", "minimum": 0, "description": "The holder is reminded X days before recycling" },
        "no_reclaim_days": { "type": "integer", "minimum": 0, "description": "Days the rep who returned or lost a record may not claim it back" },
        "members": { "type": "array", "items": { "type": "string", "description": "user:<id>, department:<id> or role:<id>" } },
        "admins": { "type": "array", "items": { "type": "string", "description": "user:<id> (company administrators only)" } },
        "version": { "type": "integer", "description": "Without If-Match" } } }));
    schemas.insert("Pool".into(), json!({ "type": "object", "properties": {
        "id": { "type": "string", "format": "uuid" }, "object": { "type": "string" }, "name": { "type": "string" },
        "is_default": { "type": "boolean" }, "open_to_all": { "type": "boolean" },
        "claims_per_day": { "type": ["integer", "null"] }, "max_held": { "type": ["integer", "null"] },
        "protection_days": { "type": "integer" }, "idle_days": { "type": ["integer", "null"] }, "stale_days": { "type": ["integer", "null"] },
        "remind_days": { "type": "integer" }, "no_reclaim_days": { "type": "integer" }, "version": { "type": "integer" },
        "can_administer": { "type": "boolean" }, "can_assign": { "type": "boolean" } } }));
    schemas.insert("PoolStanding".into(), json!({ "type": "object", "description": "The record's place towards pools and its pool history (claimed, returned with reason, recycled with rule `idle:N`/`stale:M`, assigned, reminded)", "properties": {
        "pool_id": { "type": ["string", "null"], "format": "uuid" }, "owner_id": { "type": "string", "format": "uuid" },
        "protected_until": { "type": ["string", "null"], "format": "date-time" },
        "can_claim": { "type": "boolean" }, "can_return": { "type": "boolean" },
        "events": { "type": "array", "items": { "type": "object" } } } }));
    let ok = |d: &str, s: &str| json!({ "200": { "description": d, "content": content(s) } });
    let object_json = json!({ "application/json": { "schema": { "type": "object" } } });
    paths.insert("/api/v1/pools".into(), json!({
        "get": { "tags": ["pools"], "security": security, "summary": "The pools the caller may open (members, their administrators, company administrators)",
            "parameters": [{ "name": "object", "in": "query", "schema": { "type": "string", "enum": ["lead", "account"] } }],
            "responses": { "200": { "description": "`{items: [Pool]}`", "content": object_json } } },
        "post": { "tags": ["pools"], "security": security, "summary": "Create a pool (company administrators)",
            "requestBody": { "required": true, "content": content("PoolIn") },
            "responses": { "201": { "description": "The pool with members and admins", "content": content("Pool") } } } }));
    paths.insert("/api/v1/pools/{id}".into(), json!({
        "get": { "tags": ["pools"], "security": security, "summary": "A pool with its members and administrators", "parameters": [id_param("id")],
            "responses": ok("The pool", "Pool") },
        "patch": { "tags": ["pools"], "security": security, "summary": "Change members, limits, protection and recycling rules (the pool's administrators)",
            "parameters": [id_param("id"), { "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string" }, "description": "The version read (`\"3\"`); or give `version` in the body" }],
            "requestBody": { "required": true, "content": content("PoolIn") }, "responses": ok("The pool", "Pool") } }));
    paths.insert("/api/v1/pools/{id}/records".into(), json!({
        "get": { "tags": ["pools"], "security": security, "summary": "The pool's records, newest in the pool first (members and administrators)",
            "parameters": [id_param("id"), { "name": "cursor", "in": "query", "schema": { "type": "string" } },
                { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": app::pools::MAX_PAGE } }],
            "responses": { "200": { "description": "`{pool, items, names, next_cursor}`", "content": object_json } } } }));
    paths.insert("/api/v1/pools/{id}/assign".into(), json!({
        "post": { "tags": ["pools"], "security": security, "summary": "Assign records of the pool to a rep (the pool's administrators and members who may transfer); every id must be in the pool",
            "parameters": [id_param("id")],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["ids", "owner_id"],
                "properties": { "ids": { "type": "array", "maxItems": claims::MAX_ASSIGN, "items": { "type": "string", "format": "uuid" } }, "owner_id": { "type": "string", "format": "uuid" } } } } } },
            "responses": { "200": { "description": "`{assigned: n}`", "content": object_json } } } }));
    paths.insert("/api/v1/pools/{id}/stats".into(), json!({
        "get": { "tags": ["pools"], "security": security, "summary": "Claimed, assigned, returned and recycled by reason, and average days held, per rep",
            "parameters": [id_param("id"), { "name": "days", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": app::pools::stats::MAX_DAYS } }],
            "responses": { "200": { "description": "`{days, reps, total}`", "content": object_json } } } }));
    paths.insert("/api/v1/pool-return-reasons".into(), json!({
        "get": { "tags": ["pools"], "security": security, "summary": "The company's return reasons",
            "responses": { "200": { "description": "`{items: [{key, name_zh, name_en, active}]}`", "content": object_json } } },
        "put": { "tags": ["pools"], "security": security, "summary": "Replace the return reasons (administrators); one left out is kept inactive",
            "requestBody": { "required": true, "content": object_json },
            "responses": { "200": { "description": "The reasons", "content": object_json } } } }));
    for spec in domain::pools::ALL {
        let Some(object) = domain::objects::spec(spec.object) else {
            continue;
        };
        let tag = object.plural;
        paths.insert(format!("/api/v1/{tag}/{{id}}/claim"), json!({
            "post": { "tags": [tag], "security": security, "summary": "Claim the record from its pool (409: already claimed, protected, not in a pool; 422: over the daily or held limit, no-reclaim period)",
                "parameters": [id_param("id")], "responses": ok("The record's pool standing", "PoolStanding") } }));
        paths.insert(format!("/api/v1/{tag}/{{id}}/return"), json!({
            "post": { "tags": [tag], "security": security, "summary": "Return the record to its pool with a reason from the company's list",
                "parameters": [id_param("id")],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["reason"],
                    "properties": { "reason": { "type": "string", "description": "A key of GET /api/v1/pool-return-reasons" } } } } } },
                "responses": ok("The record's pool standing", "PoolStanding") } }));
    }
}
