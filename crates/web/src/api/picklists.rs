//! Per-company metadata over the API: `PATCH /{object}/fields/{key}` (a picklist's options),
//! `GET|POST /record-types?object=…`, `GET|PATCH /record-types/{id}` and
//! `GET|POST /stage-sets?object=…`. Reading is for every signed-in user (forms offer record
//! types and stages); changes are for administrators.

use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::AppState;
use app::picklists::RecordTypeInput;
use app::AppError;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use domain::fields::{FieldDef, PicklistOption};
use domain::permissions::ObjectKind;
use domain::picklists::{Closed, RecordType, Stage, StageSet};
use domain::FieldErrors;
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// The objects whose picklists a company edits through `/{object}/fields/{key}`: every
/// object of the record engine.
pub fn objects() -> Vec<ObjectKind> {
    domain::objects::GENERIC.to_vec()
}

pub fn routes() -> ApiRoutes {
    let mut routes = ApiRoutes::default();
    for kind in objects() {
        if let Some(spec) = domain::objects::spec(kind) {
            let path = format!("/{}/fields/{{key}}", spec.plural);
            routes = routes.on_object(Method::PATCH, &path, kind, patch_field);
        }
    }
    routes
        .on(Method::GET, "/record-types", list_types)
        .on(Method::POST, "/record-types", create_type)
        .on(Method::GET, "/record-types/{id}", read_type)
        .on(Method::PATCH, "/record-types/{id}", patch_type)
        .on(Method::GET, "/stage-sets", list_sets)
        .on(Method::POST, "/stage-sets", put_set)
}

fn fail(tr: crate::i18n::Tr) -> impl Fn(AppError) -> ApiError {
    move |e| ApiError::new(tr, e)
}

fn one_error(tr: crate::i18n::Tr, field: &str, code: &'static str) -> ApiError {
    let mut errors = FieldErrors::new();
    errors.add(field, code);
    ApiError::invalid(tr, errors)
}

/// A field as `GET /{object}/fields` lists it.
pub fn field_json(f: &FieldDef) -> Value {
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
}

fn unknown_members(
    body: &Map<String, Value>,
    known: &[&str],
    prefix: &str,
    errors: &mut FieldErrors,
) {
    for key in body.keys().filter(|k| !known.contains(&k.as_str())) {
        errors.add(&format!("{prefix}{key}"), "unknown_field");
    }
}

fn text_of(
    item: &Map<String, Value>,
    key: &str,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<String> {
    match item.get(key) {
        Some(Value::String(s)) => Some(s.trim().to_string()),
        None | Some(Value::Null) => None,
        Some(_) => {
            errors.add(field, "wrong_type");
            None
        }
    }
}

fn bool_of(
    item: &Map<String, Value>,
    key: &str,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<bool> {
    match item.get(key) {
        Some(Value::Bool(b)) => Some(*b),
        None => None,
        Some(_) => {
            errors.add(field, "wrong_type");
            None
        }
    }
}

fn keys_of(item: &Map<String, Value>, key: &str, errors: &mut FieldErrors) -> Option<Vec<String>> {
    match item.get(key) {
        None => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| match v {
                    Value::String(s) => Some(s.trim().to_string()),
                    _ => {
                        errors.add(&format!("{key}[{i}]"), "wrong_type");
                        None
                    }
                })
                .collect(),
        ),
        Some(_) => {
            errors.add(key, "wrong_type");
            None
        }
    }
}

/// `{"options": [{"key", "label_zh", "label_en", "active"}]}`.
fn parse_options(body: &Map<String, Value>) -> Result<Vec<PicklistOption>, FieldErrors> {
    let mut errors = FieldErrors::new();
    unknown_members(body, &["options"], "", &mut errors);
    let mut options = Vec::new();
    match body.get("options") {
        None => errors.add("options", "required"),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let field = |name: &str| format!("options[{i}].{name}");
                let Value::Object(item) = item else {
                    errors.add(&format!("options[{i}]"), "wrong_type");
                    continue;
                };
                unknown_members(
                    item,
                    &["key", "label_zh", "label_en", "active"],
                    &format!("options[{i}]."),
                    &mut errors,
                );
                let key = text_of(item, "key", &field("key"), &mut errors);
                if key.is_none() {
                    errors.add(&field("key"), "required");
                }
                options.push(PicklistOption {
                    key: key.unwrap_or_default(),
                    label_zh: text_of(item, "label_zh", &field("label_zh"), &mut errors)
                        .unwrap_or_default(),
                    label_en: text_of(item, "label_en", &field("label_en"), &mut errors)
                        .unwrap_or_default(),
                    active: bool_of(item, "active", &field("active"), &mut errors).unwrap_or(true),
                });
            }
        }
        Some(_) => errors.add("options", "wrong_type"),
    }
    errors.into_result().map(|()| options)
}

/// Changes the choices of a picklist (administrators): the body's `options` in their order;
/// a current key left out is kept inactive (a value in use is never deleted).
async fn patch_field(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    Path(key): Path<String>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    // Refused before the body is read: only administrators edit fields.
    user.actor
        .require(ObjectKind::Org, domain::permissions::Action::Administer)
        .map_err(fail(tr))?;
    let options = parse_options(&body).map_err(|e| ApiError::invalid(tr, e))?;
    let field = app::picklists::set_options(&state.app, &user.actor, kind, &key, options)
        .await
        .map_err(fail(tr))?;
    Ok(Json(field_json(&field)))
}

/// The object named by `?object=` (its key, `opportunity`, or plural, `opportunities`); any
/// other parameter is an error.
fn object_param(tr: crate::i18n::Tr, query: Option<&str>) -> Result<ObjectKind, ApiError> {
    let mut object = None;
    let mut errors = FieldErrors::new();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
    for (name, value) in pairs {
        if name == "object" {
            object = Some(value);
        } else {
            errors.add(&name, "unknown_field");
        }
    }
    let kind = match object.as_deref() {
        None => {
            errors.add("object", "required");
            None
        }
        Some(o) => {
            let kind = object_of(o);
            if kind.is_none() {
                errors.add("object", "invalid_choice");
            }
            kind
        }
    };
    match (kind, errors.is_empty()) {
        (Some(kind), true) => Ok(kind),
        _ => Err(ApiError::invalid(tr, errors)),
    }
}

/// An object by its key (`opportunity`) or plural (`opportunities`).
fn object_of(name: &str) -> Option<ObjectKind> {
    ObjectKind::parse(name)
        .filter(|k| domain::objects::spec(*k).is_some())
        .or_else(|| domain::objects::spec_by_plural(name).map(|s| s.kind))
}

fn body_object(
    tr: crate::i18n::Tr,
    body: &Map<String, Value>,
    default: Option<&str>,
) -> Result<ObjectKind, ApiError> {
    match body.get("object") {
        Some(Value::String(o)) => {
            object_of(o.trim()).ok_or_else(|| one_error(tr, "object", "invalid_choice"))
        }
        Some(_) => Err(one_error(tr, "object", "wrong_type")),
        None => default
            .and_then(object_of)
            .ok_or_else(|| one_error(tr, "object", "required")),
    }
}

pub fn record_type_json(t: &RecordType) -> Value {
    let plural = ObjectKind::parse(&t.object)
        .and_then(domain::objects::spec)
        .map(|s| s.plural)
        .unwrap_or_default();
    json!({
        "id": t.id, "object": plural, "key": t.key, "name_zh": t.name_zh, "name_en": t.name_en,
        "active": t.active, "is_default": t.is_default, "stage_set": t.stage_set,
        "required_fields": t.required_fields, "layout_fields": t.layout_fields,
        "follow_up_days": t.follow_up_days,
    })
}

async fn list_types(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    let kind = object_param(user.tr, query.as_deref())?;
    let types = app::picklists::record_types(&state.app, &user.actor, kind)
        .await
        .map_err(fail(user.tr))?;
    Ok(Json(
        json!({ "items": types.iter().map(record_type_json).collect::<Vec<_>>() }),
    ))
}

const TYPE_MEMBERS: &[&str] = &[
    "object",
    "key",
    "name_zh",
    "name_en",
    "active",
    "is_default",
    "stage_set",
    "required_fields",
    "layout_fields",
    "follow_up_days",
];

/// Applies a body over `input`, naming every bad member.
fn apply_type(body: &Map<String, Value>, input: &mut RecordTypeInput) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    unknown_members(body, TYPE_MEMBERS, "", &mut errors);
    if let Some(v) = text_of(body, "key", "key", &mut errors) {
        input.key = v;
    }
    if let Some(v) = text_of(body, "name_zh", "name_zh", &mut errors) {
        input.name_zh = v;
    }
    if let Some(v) = text_of(body, "name_en", "name_en", &mut errors) {
        input.name_en = v;
    }
    if let Some(v) = bool_of(body, "active", "active", &mut errors) {
        input.active = v;
    }
    if let Some(v) = bool_of(body, "is_default", "is_default", &mut errors) {
        input.is_default = v;
    }
    if body.contains_key("stage_set") {
        input.stage_set = text_of(body, "stage_set", "stage_set", &mut errors);
    }
    if let Some(v) = keys_of(body, "required_fields", &mut errors) {
        input.required_fields = v;
    }
    if let Some(v) = keys_of(body, "layout_fields", &mut errors) {
        input.layout_fields = v;
    }
    if let Some(v) = body.get("follow_up_days") {
        match serde_json::from_value::<domain::follow_up::Deadlines>(v.clone()) {
            Ok(days) => input.follow_up_days = days,
            Err(_) => errors.add("follow_up_days", "wrong_type"),
        }
    }
    errors.into_result()
}

/// Creates a record type (administrators): `object`, `key`, `name_zh`, `name_en`, and
/// optionally `active`, `is_default`, `stage_set`, `required_fields`, `layout_fields`,
/// `follow_up_days` (leads).
async fn create_type(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let kind = body_object(tr, &body, None)?;
    let mut input = RecordTypeInput {
        key: String::new(),
        name_zh: String::new(),
        name_en: String::new(),
        active: true,
        is_default: false,
        stage_set: None,
        required_fields: Vec::new(),
        layout_fields: Vec::new(),
        follow_up_days: Default::default(),
    };
    apply_type(&body, &mut input).map_err(|e| ApiError::invalid(tr, e))?;
    let t = app::picklists::save_record_type(&state.app, &user.actor, kind, None, input)
        .await
        .map_err(fail(tr))?;
    Ok((StatusCode::CREATED, Json(record_type_json(&t))).into_response())
}

async fn read_type(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    let id = super::records::parse_id(user.tr, &id)?;
    let t = app::picklists::record_type(&state.app, &user.actor, id)
        .await
        .map_err(fail(user.tr))?;
    Ok(Json(record_type_json(&t)))
}

/// Changes a record type (administrators): the members given; its key and object stay.
async fn patch_type(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let id: Uuid = super::records::parse_id(tr, &id)?;
    user.actor
        .require(ObjectKind::Org, domain::permissions::Action::Administer)
        .map_err(fail(tr))?;
    let current = app::picklists::record_type(&state.app, &user.actor, id)
        .await
        .map_err(fail(tr))?;
    let kind = ObjectKind::parse(&current.object).ok_or_else(|| fail(tr)(AppError::NotFound))?;
    if body.contains_key("object") {
        return Err(one_error(tr, "object", "read_only"));
    }
    let mut input = RecordTypeInput::of(&current);
    apply_type(&body, &mut input).map_err(|e| ApiError::invalid(tr, e))?;
    let t = app::picklists::save_record_type(&state.app, &user.actor, kind, Some(id), input)
        .await
        .map_err(fail(tr))?;
    Ok(Json(record_type_json(&t)))
}

pub fn stage_set_json(set: &StageSet) -> Value {
    json!({
        "key": set.key, "name_zh": set.name_zh, "name_en": set.name_en,
        "stages": set.stages.iter().map(|s| json!({
            "key": s.key, "name_zh": s.name_zh, "name_en": s.name_en, "win_rate": s.win_rate,
            "closed": s.closed.map(Closed::key),
        })).collect::<Vec<_>>(),
    })
}

async fn list_sets(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    let kind = object_param(user.tr, query.as_deref())?;
    let sets = app::picklists::list_stage_sets(&state.app, &user.actor, kind)
        .await
        .map_err(fail(user.tr))?;
    Ok(Json(
        json!({ "items": sets.iter().map(stage_set_json).collect::<Vec<_>>() }),
    ))
}

fn parse_set(body: &Map<String, Value>) -> Result<StageSet, FieldErrors> {
    let mut errors = FieldErrors::new();
    unknown_members(
        body,
        &["object", "key", "name_zh", "name_en", "stages"],
        "",
        &mut errors,
    );
    let mut set = StageSet {
        key: text_of(body, "key", "key", &mut errors).unwrap_or_default(),
        name_zh: text_of(body, "name_zh", "name_zh", &mut errors).unwrap_or_default(),
        name_en: text_of(body, "name_en", "name_en", &mut errors).unwrap_or_default(),
        stages: Vec::new(),
    };
    match body.get("stages") {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let field = |name: &str| format!("stages[{i}].{name}");
                let Value::Object(item) = item else {
                    errors.add(&format!("stages[{i}]"), "wrong_type");
                    continue;
                };
                unknown_members(
                    item,
                    &["key", "name_zh", "name_en", "win_rate", "closed"],
                    &format!("stages[{i}]."),
                    &mut errors,
                );
                let win_rate = match item.get("win_rate") {
                    Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                    _ => None,
                };
                if win_rate.is_none() {
                    errors.add(&field("win_rate"), "invalid_number");
                }
                let closed = match text_of(item, "closed", &field("closed"), &mut errors) {
                    None => None,
                    Some(c) => {
                        let parsed = Closed::parse(&c);
                        if parsed.is_none() {
                            errors.add(&field("closed"), "invalid_choice");
                        }
                        parsed
                    }
                };
                set.stages.push(Stage {
                    key: text_of(item, "key", &field("key"), &mut errors).unwrap_or_default(),
                    name_zh: text_of(item, "name_zh", &field("name_zh"), &mut errors)
                        .unwrap_or_default(),
                    name_en: text_of(item, "name_en", &field("name_en"), &mut errors)
                        .unwrap_or_default(),
                    win_rate: win_rate.unwrap_or(0),
                    closed,
                    gate: Default::default(),
                });
            }
        }
        None => errors.add("stages", "required"),
        Some(_) => errors.add("stages", "wrong_type"),
    }
    errors.into_result().map(|()| set)
}

/// Creates a stage set, or replaces the stages of one with the same key (administrators).
async fn put_set(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let kind = body_object(tr, &body, Some("opportunity"))?;
    let set = parse_set(&body).map_err(|e| ApiError::invalid(tr, e))?;
    let set = app::picklists::put_stage_set(&state.app, &user.actor, kind, set)
        .await
        .map_err(fail(tr))?;
    Ok((StatusCode::OK, Json(stage_set_json(&set))).into_response())
}
