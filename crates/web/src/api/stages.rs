//! The sales process over the API: `GET|POST /business-types` (with stages, gates,
//! durations; a body `{"template": …}` installs a template), `GET|POST
//! /opportunities/{id}/stage` (the stage path; a move, refused with 422 listing the unmet
//! items), `GET|POST /opportunities/{id}/checklist` and `GET /opportunities/board`.

use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::i18n::Tr;
use crate::AppState;
use app::business_types::{BusinessType, Input};
use app::AppError;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::picklists::{Closed, Stage};
use domain::stages::{ChecklistItem, Gate, Texts};
use domain::FieldErrors;
use serde_json::{json, Map, Value};
use uuid::Uuid;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .on(Method::GET, "/business-types", list_types)
        .on(Method::POST, "/business-types", save_type)
        .on(Method::GET, "/opportunities/board", board)
        .on(Method::GET, "/opportunities/{id}/stage", read_path)
        .on(Method::POST, "/opportunities/{id}/stage", move_stage)
        .on(Method::GET, "/opportunities/{id}/checklist", read_checklist)
        .on(Method::POST, "/opportunities/{id}/checklist", tick)
}

fn fail(tr: Tr) -> impl Fn(AppError) -> ApiError {
    move |e| ApiError::new(tr, e)
}

fn texts_json(t: &Texts) -> Value {
    json!({ "zh": t.zh, "en": t.en })
}

pub fn stage_json(s: &Stage) -> Value {
    let g = &s.gate;
    json!({
        "key": s.key, "name_zh": s.name_zh, "name_en": s.name_en, "win_rate": s.win_rate,
        "closed": s.closed.map(Closed::key), "duration_days": g.duration_days,
        "key_activities": g.key_activities.iter().map(texts_json).collect::<Vec<_>>(),
        "milestone": texts_json(&g.milestone), "buying_step": texts_json(&g.buying_step),
        "required_fields": g.required_fields,
        "checklist": g.checklist.iter().map(|i| json!({ "key": i.key, "zh": i.zh, "en": i.en })).collect::<Vec<_>>(),
        "maps_from": g.maps_from,
    })
}

pub fn business_type_json(b: &BusinessType) -> Value {
    let t = &b.record_type;
    json!({
        "id": t.id, "key": t.key, "name_zh": t.name_zh, "name_en": t.name_en, "active": t.active,
        "is_default": t.is_default, "stage_set": b.set.key,
        "stages": b.set.stages.iter().map(stage_json).collect::<Vec<_>>(),
    })
}

async fn list_types(State(state): State<AppState>, user: ApiUser) -> Result<Json<Value>, ApiError> {
    let types = app::business_types::list(&state.app, &user.actor)
        .await
        .map_err(fail(user.tr))?;
    Ok(Json(
        json!({ "items": types.iter().map(business_type_json).collect::<Vec<_>>() }),
    ))
}

fn unknown(body: &Map<String, Value>, known: &[&str], prefix: &str, errors: &mut FieldErrors) {
    for key in body.keys().filter(|k| !known.contains(&k.as_str())) {
        errors.add(&format!("{prefix}{key}"), "unknown_field");
    }
}

fn text(v: Option<&Value>, field: &str, errors: &mut FieldErrors) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => {
            errors.add(field, "wrong_type");
            String::new()
        }
    }
}

fn texts(v: Option<&Value>, field: &str, errors: &mut FieldErrors) -> Texts {
    match v {
        None | Some(Value::Null) => Texts::default(),
        Some(Value::Object(o)) => {
            unknown(o, &["zh", "en"], &format!("{field}."), errors);
            Texts {
                zh: text(o.get("zh"), &format!("{field}.zh"), errors),
                en: text(o.get("en"), &format!("{field}.en"), errors),
            }
        }
        Some(_) => {
            errors.add(field, "wrong_type");
            Texts::default()
        }
    }
}

fn array<'a>(v: Option<&'a Value>, field: &str, errors: &mut FieldErrors) -> &'a [Value] {
    match v {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.add(field, "wrong_type");
            &[]
        }
    }
}

const STAGE_MEMBERS: &[&str] = &[
    "key",
    "name_zh",
    "name_en",
    "win_rate",
    "closed",
    "duration_days",
    "key_activities",
    "milestone",
    "buying_step",
    "required_fields",
    "checklist",
    "maps_from",
];

/// A stage with its gate as the API takes it.
pub fn parse_stage(item: &Value, i: usize, errors: &mut FieldErrors) -> Stage {
    let p = format!("stages[{i}]");
    let Value::Object(o) = item else {
        errors.add(&p, "wrong_type");
        return Stage::default();
    };
    unknown(o, STAGE_MEMBERS, &format!("{p}."), errors);
    let f = |name: &str| format!("{p}.{name}");
    let number = |name: &str, errors: &mut FieldErrors| match o.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Some(n),
            None => {
                errors.add(&f(name), "invalid_number");
                None
            }
        },
        Some(_) => {
            errors.add(&f(name), "wrong_type");
            None
        }
    };
    let win_rate = number("win_rate", errors);
    if win_rate.is_none() && errors.for_field(&f("win_rate")).is_none() {
        errors.add(&f("win_rate"), "required");
    }
    let closed = match text(o.get("closed"), &f("closed"), errors).as_str() {
        "" => None,
        c => {
            let parsed = Closed::parse(c);
            if parsed.is_none() {
                errors.add(&f("closed"), "invalid_choice");
            }
            parsed
        }
    };
    let strings = |name: &str, errors: &mut FieldErrors| -> Vec<String> {
        array(o.get(name), &f(name), errors)
            .iter()
            .enumerate()
            .map(|(j, v)| text(Some(v), &format!("{}[{j}]", f(name)), errors))
            .collect()
    };
    let key_activities = array(o.get("key_activities"), &f("key_activities"), errors)
        .iter()
        .enumerate()
        .map(|(j, v)| texts(Some(v), &format!("{}[{j}]", f("key_activities")), errors))
        .collect();
    let checklist = array(o.get("checklist"), &f("checklist"), errors)
        .iter()
        .enumerate()
        .map(|(j, v)| {
            let field = format!("{}[{j}]", f("checklist"));
            let Value::Object(item) = v else {
                errors.add(&field, "wrong_type");
                return ChecklistItem {
                    key: String::new(),
                    zh: String::new(),
                    en: String::new(),
                };
            };
            unknown(item, &["key", "zh", "en"], &format!("{field}."), errors);
            let en = text(item.get("en"), &format!("{field}.en"), errors);
            let key = match text(item.get("key"), &format!("{field}.key"), errors) {
                k if k.is_empty() => domain::stages::item_key(&en),
                k => k,
            };
            ChecklistItem {
                key,
                zh: text(item.get("zh"), &format!("{field}.zh"), errors),
                en,
            }
        })
        .collect();
    Stage {
        key: text(o.get("key"), &f("key"), errors),
        name_zh: text(o.get("name_zh"), &f("name_zh"), errors),
        name_en: text(o.get("name_en"), &f("name_en"), errors),
        win_rate: win_rate.unwrap_or(0),
        closed,
        gate: Gate {
            duration_days: number("duration_days", errors),
            key_activities,
            milestone: texts(o.get("milestone"), &f("milestone"), errors),
            buying_step: texts(o.get("buying_step"), &f("buying_step"), errors),
            required_fields: strings("required_fields", errors),
            checklist,
            maps_from: strings("maps_from", errors),
        },
    }
}

fn flag(body: &Map<String, Value>, key: &str, default: bool, errors: &mut FieldErrors) -> bool {
    match body.get(key) {
        None => default,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.add(key, "wrong_type");
            default
        }
    }
}

/// Creates or replaces a business type (administrators): `key`, `name_zh`, `name_en`,
/// `active`, `is_default`, `stages`; or installs a template: `{"template": "product_sale"}`.
async fn save_type(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    user.actor
        .require(
            domain::permissions::ObjectKind::Org,
            domain::permissions::Action::Administer,
        )
        .map_err(fail(tr))?;
    let mut errors = FieldErrors::new();
    if body.contains_key("template") {
        unknown(&body, &["template"], "", &mut errors);
        let template = text(body.get("template"), "template", &mut errors);
        errors.into_result().map_err(|e| ApiError::invalid(tr, e))?;
        let b = app::business_types::install(&state.app, &user.actor, &template)
            .await
            .map_err(fail(tr))?;
        return Ok((StatusCode::CREATED, Json(business_type_json(&b))).into_response());
    }
    unknown(
        &body,
        &[
            "key",
            "name_zh",
            "name_en",
            "active",
            "is_default",
            "stages",
        ],
        "",
        &mut errors,
    );
    let stages: Vec<Stage> = match body.get("stages") {
        None => {
            errors.add("stages", "required");
            Vec::new()
        }
        v => array(v, "stages", &mut errors)
            .iter()
            .enumerate()
            .map(|(i, s)| parse_stage(s, i, &mut errors))
            .collect(),
    };
    let input = Input {
        key: text(body.get("key"), "key", &mut errors),
        name_zh: text(body.get("name_zh"), "name_zh", &mut errors),
        name_en: text(body.get("name_en"), "name_en", &mut errors),
        active: flag(&body, "active", true, &mut errors),
        is_default: flag(&body, "is_default", false, &mut errors),
        stages,
    };
    errors.into_result().map_err(|e| ApiError::invalid(tr, e))?;
    let existed = app::business_types::get(&state.app, &user.actor, &input.key)
        .await
        .is_ok();
    let b = app::business_types::save(&state.app, &user.actor, input)
        .await
        .map_err(fail(tr))?;
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(business_type_json(&b))).into_response())
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn money(minor: Option<i64>, currency: &str) -> Value {
    minor
        .map(|m| {
            Value::String(
                domain::money::from_minor(m, domain::money::exponent(currency)).to_string(),
            )
        })
        .unwrap_or(Value::Null)
}

pub fn path_json(p: &app::stages::Path) -> Value {
    json!({
        "business_type_stage_set": p.set.key,
        "stage": p.current.as_ref().map(|s| s.key.clone()),
        "entered_at": p.entered_at.map(time),
        "due_at": p.due_at.map(time),
        "warning": p.warning.map(|w| w.key()),
        "status": p.status.key(),
        "status_reason": p.status_reason,
        "resume_on": p.resume_on.map(|d| d.to_string()),
        "win_rate": p.win_rate.map(|w| w.normalize().to_string()),
        "amount": money(p.amount_minor, &p.currency),
        "weighted_amount": money(p.weighted_minor, &p.currency),
        "currency": p.currency,
        "stages": p.stages.iter().map(|s| json!({
            "key": s.stage.key, "name_zh": s.stage.name_zh, "name_en": s.stage.name_en,
            "current": s.current, "passed": s.passed, "seconds_spent": s.spent.num_seconds(),
        })).collect::<Vec<_>>(),
        "current": p.current.as_ref().map(stage_json),
        "checklist": p.checklist.iter().map(|(item, tick)| json!({
            "key": item.key, "zh": item.zh, "en": item.en, "checked": tick.is_some(),
            "checked_by": tick.as_ref().map(|t| t.checked_by),
            "checked_by_name": tick.as_ref().and_then(|t| t.checked_by_name.clone()),
            "checked_at": tick.as_ref().map(|t| time(t.checked_at)),
        })).collect::<Vec<_>>(),
        "unmet": { "fields": p.unmet.fields, "checklist": p.unmet.items.iter().map(|i| i.key.clone()).collect::<Vec<_>>() },
        "history": p.history.iter().map(|e| json!({
            "stage": e.stage, "from": e.from_stage, "entered_at": time(e.entered_at),
            "left_at": e.left_at.map(time), "by": e.entered_by, "by_name": e.entered_by_name,
            "seconds": e.left_at.map(|l| (l - e.entered_at).num_seconds()),
            "skipped": e.skipped,
        })).collect::<Vec<_>>(),
    })
}

async fn read_path(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    let id = super::records::parse_id(user.tr, &id)?;
    let p = app::stages::path(&state.app, &user.actor, id)
        .await
        .map_err(fail(user.tr))?;
    Ok(Json(path_json(&p)))
}

/// A field's label in the reader's language.
pub fn field_label(tr: Tr, field: &domain::fields::FieldDef) -> String {
    if tr.is_zh() && !field.label_zh.is_empty() || field.label_en.is_empty() {
        field.label_zh.clone()
    } else {
        field.label_en.clone()
    }
}

/// Rewrites a refused move's messages: each unmet item named in the caller's language, and
/// the error's message listing them all.
pub async fn explain_gate(
    state: &AppState,
    actor: &app::Actor,
    tr: Tr,
    id: Uuid,
    e: AppError,
) -> ApiError {
    let mut error = ApiError::new(tr, e);
    let gate = error
        .body
        .error
        .fields
        .iter()
        .any(|f| f.code == "required_for_stage" || f.code == "checklist_unticked");
    if !gate {
        return error;
    }
    let (Ok(p), Ok(fields)) = (
        app::stages::path(&state.app, actor, id).await,
        app::records::object_fields(
            &state.app,
            actor,
            domain::permissions::ObjectKind::Opportunity,
        )
        .await,
    ) else {
        return error;
    };
    let mut names = Vec::new();
    for f in &mut error.body.error.fields {
        let label = if let Some(item) = f.field.strip_prefix("checklist.") {
            p.checklist
                .iter()
                .find(|(i, _)| i.key == item)
                .map(|(i, _)| i.label(tr.is_zh()).to_string())
        } else if f.code == "required_for_stage" {
            fields.field(&f.field).map(|d| field_label(tr, d))
        } else {
            None
        };
        if let Some(label) = label {
            f.message = tr.fmt(&format!("stages.unmet.{}", f.code), &[("item", &label)]);
            names.push(f.message.clone());
        }
    }
    let stage = p
        .current
        .as_ref()
        .map(|s| {
            if tr.is_zh() {
                s.name_zh.clone()
            } else {
                s.name_en.clone()
            }
        })
        .unwrap_or_default();
    error.body.error.code = "stage_gate".into();
    error.body.error.message = tr.fmt(
        "stages.gate_refused",
        &[
            ("stage", &stage),
            ("items", &names.join(if tr.is_zh() { "、" } else { ", " })),
        ],
    );
    error
}

/// Moves the deal: `{"stage": …}`, with an optional `If-Match`. Answers the stage path.
async fn move_stage(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let id = super::records::parse_id(tr, &id)?;
    let mut errors = FieldErrors::new();
    unknown(&body, &["stage"], "", &mut errors);
    let stage = text(body.get("stage"), "stage", &mut errors);
    if stage.is_empty() && errors.for_field("stage").is_none() {
        errors.add("stage", "required");
    }
    errors.into_result().map_err(|e| ApiError::invalid(tr, e))?;
    let version = match headers.get(header::IF_MATCH).map(|v| v.as_bytes()) {
        None | Some(b"*") => None,
        Some(_) => Some(super::expected_version(tr, &headers, None, 0)?),
    };
    if let Err(e) = app::stages::move_stage(&state.app, &user.actor, id, &stage, version).await {
        return Err(super::closing::explain(&state, &user.actor, tr, id, e).await);
    }
    let p = app::stages::path(&state.app, &user.actor, id)
        .await
        .map_err(fail(tr))?;
    Ok(Json(path_json(&p)))
}

fn checklist_json(list: &[store::stages::Ticked]) -> Value {
    json!({ "items": list.iter().map(|t| json!({
        "stage": t.stage, "item": t.item, "checked_by": t.checked_by,
        "checked_by_name": t.checked_by_name, "checked_at": time(t.checked_at),
    })).collect::<Vec<_>>() })
}

async fn read_checklist(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    let id = super::records::parse_id(user.tr, &id)?;
    let p = app::stages::path(&state.app, &user.actor, id)
        .await
        .map_err(fail(user.tr))?;
    let stage = p
        .current
        .as_ref()
        .map(|s| s.key.clone())
        .unwrap_or_default();
    let ticked: Vec<store::stages::Ticked> =
        p.checklist.iter().filter_map(|(_, t)| t.clone()).collect();
    let mut out = checklist_json(&ticked);
    out["stage"] = json!(stage);
    out["checklist"] = path_json(&p)["checklist"].clone();
    Ok(Json(out))
}

/// Ticks or unticks an item: `{"stage", "item", "checked"}` (`stage` defaults to the
/// deal's current one). Answers every ticked item of the deal.
async fn tick(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let id = super::records::parse_id(tr, &id)?;
    let mut errors = FieldErrors::new();
    unknown(&body, &["stage", "item", "checked"], "", &mut errors);
    let item = text(body.get("item"), "item", &mut errors);
    if item.is_empty() && errors.for_field("item").is_none() {
        errors.add("item", "required");
    }
    let checked = flag(&body, "checked", true, &mut errors);
    let mut stage = text(body.get("stage"), "stage", &mut errors);
    errors.into_result().map_err(|e| ApiError::invalid(tr, e))?;
    if stage.is_empty() {
        let p = app::stages::path(&state.app, &user.actor, id)
            .await
            .map_err(fail(tr))?;
        stage = p.current.map(|s| s.key).unwrap_or_default();
    }
    let list = app::stages::set_item(&state.app, &user.actor, id, &stage, &item, checked)
        .await
        .map_err(fail(tr))?;
    Ok(Json(checklist_json(&list)))
}

/// The board's query: `business_type`, `owner` (a user id or `me`), `close_from`,
/// `close_to` (dates), `stage` with `cursor` (a column's next page), `limit`.
pub fn parse_board(
    actor: &app::Actor,
    query: Option<&str>,
) -> Result<app::board::Query, FieldErrors> {
    let mut q = app::board::Query::default();
    let mut errors = FieldErrors::new();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
    let date = |v: &str, name: &str, errors: &mut FieldErrors| {
        let d = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok();
        if d.is_none() {
            errors.add(name, "invalid_date");
        }
        d
    };
    for (name, value) in pairs {
        let value = value.trim().to_string();
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "business_type" => q.business_type = Some(value),
            "owner" if value == "me" => q.owner_id = Some(actor.id()),
            "owner" => match Uuid::parse_str(&value) {
                Ok(id) => q.owner_id = Some(id),
                Err(_) => errors.add("owner", "invalid_reference"),
            },
            "close_from" => q.close_from = date(&value, "close_from", &mut errors),
            "close_to" => q.close_to = date(&value, "close_to", &mut errors),
            "stage" => q.stage = Some(value),
            "cursor" => match Uuid::parse_str(&value) {
                Ok(id) => q.after = Some(id),
                Err(_) => errors.add("cursor", "invalid_cursor"),
            },
            "limit" => match value.parse::<i64>() {
                Ok(n) if (1..=100).contains(&n) => q.limit = Some(n),
                _ => errors.add_limit("limit", "out_of_range", 100),
            },
            _ => errors.add(&name, "unknown_field"),
        }
    }
    errors.into_result().map(|()| q)
}

async fn board(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let q = parse_board(&user.actor, query.as_deref()).map_err(|e| ApiError::invalid(tr, e))?;
    let b = app::board::board(&state.app, &user.actor, &q)
        .await
        .map_err(fail(tr))?;
    Ok(Json(json!({
        "business_type": b.record_type.as_ref().map(|t| t.key.clone()),
        "stage_set": b.set.key,
        "currency": b.currency,
        "columns": b.columns.iter().map(|c| json!({
            "stage": c.stage.key, "name_zh": c.stage.name_zh, "name_en": c.stage.name_en,
            "win_rate": c.stage.win_rate, "closed": c.stage.closed.map(Closed::key),
            "count": c.count, "amount": c.amount.to_string(), "weighted_amount": c.weighted.to_string(),
            "unconverted": c.unconverted,
            "cards": c.cards.iter().map(|k| json!({
                "id": k.card.id, "name": k.card.name, "account_id": k.card.account_id,
                "account_name": k.account_name, "owner_id": k.card.owner_id, "owner_name": k.owner_name,
                "amount": k.amount.map(|a| a.to_string()), "currency": k.card.currency,
                "win_rate": k.card.win_rate, "expected_close": k.card.expected_close,
                "version": k.card.version, "warning": k.warning.map(|w| w.key()),
            })).collect::<Vec<_>>(),
            "next_cursor": c.next,
        })).collect::<Vec<_>>(),
    })))
}
