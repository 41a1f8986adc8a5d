//! `/api/v1/assignment-rules` (the company's lead assignment rules, 线索分配, kept by
//! administrators of leads) and `POST /api/v1/leads/assign` (a manager re-runs the rules
//! over selected leads, or gives them to one rep) — `app::assignment`.

use super::records::fail;
use super::settings::{self, take, take_clearable, ApiSetting};
use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::AppState;
use app::assignment::bulk::{self, Mode};
use app::assignment::RuleInput;
use app::AppError;
use axum::extract::State;
use axum::http::Method;
use axum::Json;
use domain::validation::FieldErrors;
use serde_json::{json, Map, Value};
use store::assignment::Rule;
use uuid::Uuid;

pub fn routes() -> ApiRoutes {
    settings::routes::<Rule>(ApiRoutes::default(), "/assignment-rules")
        .on(Method::PUT, "/assignment-rules/order", reorder)
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

impl ApiSetting for Rule {
    fn to_json(&self) -> Value {
        rule_json(self)
    }
    fn read_field(input: &mut RuleInput, key: &str, value: Value) -> Option<bool> {
        Some(match key {
            "name" => take(&mut input.name, value),
            "active" => take(&mut input.active, value),
            "method" => take(&mut input.method, value),
            "criteria" => take(&mut input.criteria, value),
            "reps" => take(&mut input.reps, value),
            "regions" => take(&mut input.regions, value),
            "max_open" => take(&mut input.max_open, value),
            "max_per_day" => take(&mut input.max_per_day, value),
            "rep" => take_clearable(&mut input.rep, value),
            "record_type" => take_clearable(&mut input.record_type, value),
            "department_id" => take_clearable(&mut input.department_id, value),
            "pool_id" => take_clearable(&mut input.pool_id, value),
            "fallback_pool_id" => take_clearable(&mut input.fallback_pool_id, value),
            _ => return None,
        })
    }
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
    Ok(settings::items(&rules))
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
    let list = settings::document(
        paths,
        schemas,
        settings::Doc {
            base: "/assignment-rules",
            schema: "AssignmentRule",
            tag: "assignment",
            properties,
            read_only: vec![("position", json!({ "type": "integer" }))],
            noun: "The rule",
            summaries: [
                "The company's lead assignment rules in order (administrators of leads)",
                "Add a rule after the last one",
                "A rule",
                "Change a rule (fields left out keep their value; `active: false` deactivates it)",
                "Delete a rule",
            ],
        },
    );
    let tags = json!(["assignment"]);
    paths.insert("/api/v1/assignment-rules/order".into(), json!({
        "put": { "tags": tags, "security": security, "summary": "Put the rules in this order (every rule once); the first matching active rule wins",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["ids"],
                "properties": { "ids": { "type": "array", "items": { "type": "string", "format": "uuid" } } } } } } },
            "responses": { "200": { "description": "`{items: [AssignmentRule]}`", "content": list } } } }));
    paths.insert("/api/v1/leads/assign".into(), json!({
        "post": { "tags": ["leads"], "security": security, "summary": "Re-run the assignment rules over visible leads (`rules: true`), or give them to `owner_id`; needs transfer on each lead",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["ids"],
                "properties": { "ids": { "type": "array", "maxItems": bulk::MAX_LEADS, "items": { "type": "string", "format": "uuid" } },
                    "rules": { "type": "boolean" }, "owner_id": { "type": "string", "format": "uuid" } } } } } },
            "responses": { "200": { "description": "`{assigned, pooled, unchanged}`: leads given an owner, put into a pool, left as they were (no rule matched, or in a pool)",
                "content": { "application/json": { "schema": { "type": "object" } } } } } } }));
}
