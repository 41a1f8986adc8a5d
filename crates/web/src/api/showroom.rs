//! `/api/v1/showroom`: the showroom register (三表一卡) — visits registered and listed by
//! day, a visitor's leave and lost reason, and the traffic statistics (`app::showroom`).

use super::records::{fail, parse_id};
use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::i18n::Tr;
use crate::pages::showroom::parse_day;
use crate::AppState;
use app::showroom::stats::{self, Counts, Group};
use app::showroom::{Outcome, VisitInput};
use app::AppError;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use domain::validation::FieldErrors;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use store::showroom::Visit;
use uuid::Uuid;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .on(Method::GET, "/showroom/visits", list)
        .on(Method::POST, "/showroom/visits", register)
        .on(Method::PATCH, "/showroom/visits/{id}", change)
        .on(Method::GET, "/showroom/stats", statistics)
}

/// A visit as JSON; its lead only for a reader who may open it.
fn visit_json(v: &Visit, open: &HashSet<Uuid>) -> Value {
    json!({
        "id": v.id, "kind": v.kind, "name": v.visitor_name, "salutation": v.salutation,
        "phone": v.phone, "arrived_at": v.arrived_at, "left_at": v.left_at,
        "stay_seconds": v.stay_seconds, "consultant_id": v.consultant_id,
        "consultant_name": v.consultant_name, "intent": v.intent, "heard_from": v.heard_from,
        "area": v.area, "party_size": v.party_size, "notes": v.notes,
        "lost_reason": v.lost_reason,
        "lead_id": v.lead_id.filter(|l| open.contains(l)),
        "first_visit": v.first_visit, "version": v.version, "created_at": v.created_at,
    })
}

async fn openable(
    state: &AppState,
    user: &ApiUser,
    visits: &[Visit],
) -> Result<HashSet<Uuid>, ApiError> {
    let leads: Vec<Uuid> = visits.iter().filter_map(|v| v.lead_id).collect();
    app::showroom::openable_leads(&state.app, &user.actor, &leads)
        .await
        .map_err(fail(user.tr))
}

#[derive(Deserialize)]
struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
    group: Option<String>,
}

/// A date parameter: absent is `None`, anything but `YYYY-MM-DD` a field error.
fn date_param(key: &str, raw: Option<&str>, errors: &mut FieldErrors) -> Option<NaiveDate> {
    let raw = raw.filter(|r| !r.is_empty())?;
    let day = parse_day(Some(raw));
    if day.is_none() {
        errors.add(key, "invalid_date");
    }
    day
}

fn range(
    tr: Tr,
    q: &RangeQuery,
    today: NaiveDate,
    group: Group,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let mut errors = FieldErrors::new();
    let from = date_param("from", q.from.as_deref(), &mut errors);
    let to = date_param("to", q.to.as_deref(), &mut errors);
    errors.into_result().map_err(|e| ApiError::invalid(tr, e))?;
    let (default_from, default_to) = stats::default_range(today, group);
    Ok((
        from.unwrap_or(default_from),
        to.or(from).unwrap_or(default_to),
    ))
}

async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    Query(q): Query<RangeQuery>,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    if q.group.is_some() {
        return Err(ApiError::invalid(tr, {
            let mut e = FieldErrors::new();
            e.add("group", "unknown_field");
            e
        }));
    }
    let today = app::showroom::today(&state.app, &user.actor);
    let (from, to) = range(tr, &q, today, Group::Day)?;
    let visits = app::showroom::visits(&state.app, &user.actor, from, to)
        .await
        .map_err(fail(tr))?;
    let open = openable(&state, &user, &visits).await?;
    let items: Vec<Value> = visits.iter().map(|v| visit_json(v, &open)).collect();
    Ok(Json(json!({ "from": from, "to": to, "items": items })))
}

fn text(value: &Value) -> Option<Option<String>> {
    match value {
        Value::Null => Some(None),
        Value::String(s) => Some(Some(s.clone())),
        _ => None,
    }
}

fn time(value: &Value) -> Result<Option<DateTime<Utc>>, &'static str> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| "invalid_date"),
        _ => Err("wrong_type"),
    }
}

/// Reads a visit body: known fields of the right JSON type, else field errors.
fn visit_input(tr: Tr, body: Map<String, Value>) -> Result<VisitInput, ApiError> {
    let mut errors = FieldErrors::new();
    let mut input = VisitInput::default();
    let d = &mut input.draft;
    for (key, value) in body {
        let slot = match key.as_str() {
            "kind" => Some(&mut d.kind),
            "name" => Some(&mut d.name),
            "salutation" => Some(&mut d.salutation),
            "phone" => Some(&mut d.phone),
            "intent" => Some(&mut d.intent),
            "heard_from" => Some(&mut d.heard_from),
            "area" => Some(&mut d.area),
            "notes" => Some(&mut d.notes),
            "lost_reason" => Some(&mut d.lost_reason),
            _ => None,
        };
        if let Some(slot) = slot {
            match text(&value) {
                Some(v) => *slot = v,
                None => errors.add(&key, "wrong_type"),
            }
            continue;
        }
        match key.as_str() {
            "arrived_at" | "left_at" => match time(&value) {
                Ok(t) if key == "arrived_at" => d.arrived_at = t,
                Ok(t) => d.left_at = t,
                Err(code) => errors.add(&key, code),
            },
            "party_size" => match value {
                Value::Null => d.party_size = None,
                Value::Number(n) if n.is_i64() => d.party_size = n.as_i64(),
                _ => errors.add(&key, "wrong_type"),
            },
            "consultant_id" => match text(&value) {
                Some(None) => input.consultant_id = None,
                Some(Some(s)) => match Uuid::parse_str(s.trim()) {
                    Ok(id) => input.consultant_id = Some(id),
                    Err(_) => errors.add(&key, "invalid_reference"),
                },
                None => errors.add(&key, "wrong_type"),
            },
            _ => errors.add(&key, "unknown_field"),
        }
    }
    errors.into_result().map_err(|e| ApiError::invalid(tr, e))?;
    Ok(input)
}

async fn register(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<impl IntoResponse, ApiError> {
    let tr = user.tr;
    let input = visit_input(tr, body)?;
    let done = app::showroom::register(&state.app, &user.actor, &input)
        .await
        .map_err(fail(tr))?;
    let open: HashSet<Uuid> = done.lead_id.into_iter().collect();
    let mut out = visit_json(&done.visit, &open);
    if let Value::Object(map) = &mut out {
        map.insert("lead_created".into(), Value::Bool(done.lead_created));
    }
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, super::etag(done.visit.version))],
        Json(out),
    ))
}

/// Reads a change body: `left` (true: now), `left_at`, `lost_reason`, `version`.
fn outcome(tr: Tr, body: Map<String, Value>) -> Result<Outcome, ApiError> {
    let mut errors = FieldErrors::new();
    let mut outcome = Outcome::default();
    for (key, value) in body {
        match (key.as_str(), &value) {
            ("left", Value::Bool(true)) => {
                outcome.left.get_or_insert(None);
            }
            ("left", Value::Bool(false)) => {}
            ("left_at", _) => match time(&value) {
                Ok(Some(at)) => outcome.left = Some(Some(at)),
                Ok(None) => errors.add(&key, "required"),
                Err(code) => errors.add(&key, code),
            },
            ("lost_reason", _) => match text(&value) {
                Some(reason) => outcome.lost_reason = Some(reason),
                None => errors.add(&key, "wrong_type"),
            },
            ("version", Value::Number(n)) if n.is_i64() => outcome.version = n.as_i64(),
            ("left" | "version", _) => errors.add(&key, "wrong_type"),
            _ => errors.add(&key, "unknown_field"),
        }
    }
    errors.into_result().map_err(|e| ApiError::invalid(tr, e))?;
    Ok(outcome)
}

async fn change(
    State(state): State<AppState>,
    user: ApiUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<impl IntoResponse, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let mut outcome = outcome(tr, body)?;
    let current = app::showroom::get(&state.app, &user.actor, id)
        .await
        .map_err(fail(tr))?;
    outcome.version = Some(super::expected_version(
        tr,
        &headers,
        outcome.version,
        current.version,
    )?);
    let visit = app::showroom::set_outcome(&state.app, &user.actor, id, &outcome)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    let open = openable(&state, &user, std::slice::from_ref(&visit)).await?;
    Ok((
        [(header::ETAG, super::etag(visit.version))],
        Json(visit_json(&visit, &open)),
    ))
}

fn counts_json(c: &Counts) -> Value {
    json!({ "visits": c.visits, "first_visits": c.first_visits, "with_details": c.with_details,
        "converted": c.converted, "conversion_rate": c.conversion_rate(), "lost": c.lost })
}

async fn statistics(
    State(state): State<AppState>,
    user: ApiUser,
    Query(q): Query<RangeQuery>,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let group = match q.group.as_deref() {
        None | Some("") => Group::Day,
        Some(g) => Group::parse(g)
            .ok_or_else(|| ApiError::new(tr, AppError::field("group", "invalid_choice")))?,
    };
    let today = app::showroom::today(&state.app, &user.actor);
    let (from, to) = range(tr, &q, today, group)?;
    let s = stats::get(&state.app, &user.actor, from, to, group)
        .await
        .map_err(fail(tr))?;
    let keyed = |items: &[(&'static str, i64)]| -> Map<String, Value> {
        items
            .iter()
            .map(|(k, n)| (k.to_string(), json!(n)))
            .collect()
    };
    let periods: Vec<Value> = s
        .periods
        .iter()
        .map(|(p, c)| {
            let mut v = counts_json(c);
            if let Value::Object(m) = &mut v {
                m.insert("period".into(), json!(p));
            }
            v
        })
        .collect();
    let consultants: Vec<Value> = s
        .consultants
        .iter()
        .map(|c| {
            let mut v = counts_json(&c.counts);
            if let Value::Object(m) = &mut v {
                m.insert("user_id".into(), json!(c.user_id));
                m.insert("name".into(), json!(c.name));
            }
            v
        })
        .collect();
    let lost: Map<String, Value> = s.lost.iter().map(|(k, n)| (k.clone(), json!(n))).collect();
    Ok(Json(json!({
        "from": s.from, "to": s.to, "group": s.group.key(), "time_zone": user.actor.time_zone().name(),
        "total": counts_json(&s.total), "periods": periods, "consultants": consultants,
        "by_hour": s.hours.to_vec(), "by_stay": keyed(&s.stays), "by_intent": keyed(&s.intents),
        "lost_by_reason": lost,
    })))
}

/// The paths and schemas of the showroom register, for the OpenAPI document.
pub(super) fn document(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    use domain::showroom as rules;
    let security = json!([{ "bearer": [] }]);
    let keys = |list: &[(&str, &str, &str)]| -> Vec<String> {
        list.iter().map(|(k, _, _)| k.to_string()).collect()
    };
    let content = |schema: &str| json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } });
    let or_null = |list: &[(&str, &str, &str)]| -> Vec<Value> {
        let mut all: Vec<Value> = list.iter().map(|(k, _, _)| json!(k)).collect();
        all.push(Value::Null);
        all
    };
    let nullable = |t: &str| json!({ "type": [t, "null"] });
    let date = |name: &str, d: &str| json!({ "name": name, "in": "query", "schema": { "type": "string", "format": "date" }, "description": d });
    schemas.insert("ShowroomVisitIn".into(), json!({ "type": "object", "additionalProperties": false, "required": ["name"], "properties": {
        "kind": { "type": "string", "enum": keys(rules::KINDS), "description": "Walk-in (来店, the default) or phone-in (来电)" },
        "name": { "type": "string", "maxLength": rules::NAME_MAX, "description": "The visitor's name, or their surname with a salutation" },
        "salutation": { "type": ["string", "null"], "enum": or_null(rules::SALUTATIONS), "description": "mr (先生) or ms (女士)" },
        "phone": { "type": ["string", "null"], "description": "Normalised like a lead's; finds the company's lead with it, else creates one for the consultant" },
        "arrived_at": { "type": ["string", "null"], "format": "date-time", "description": "Default now; at most 7 days back" },
        "left_at": { "type": ["string", "null"], "format": "date-time" },
        "consultant_id": { "type": ["string", "null"], "format": "uuid", "description": "Default the caller; another user needs the transfer grant on leads" },
        "intent": { "type": ["string", "null"], "enum": ["H", "A", "B", "C", null], "description": "Also becomes the lead's intent" },
        "heard_from": { "type": ["string", "null"], "description": "A key of the company's lead sources (GET /api/v1/leads/fields)" },
        "area": { "type": ["string", "null"], "maxLength": rules::AREA_MAX },
        "party_size": { "type": ["integer", "null"], "minimum": 1, "maximum": rules::PARTY_MAX },
        "notes": { "type": ["string", "null"], "maxLength": rules::NOTES_MAX },
        "lost_reason": { "type": ["string", "null"], "enum": or_null(rules::LOST_REASONS) } } }));
    schemas.insert("ShowroomVisit".into(), json!({ "type": "object", "properties": {
        "id": { "type": "string", "format": "uuid" }, "kind": { "type": "string" }, "name": { "type": "string" },
        "salutation": nullable("string"), "phone": nullable("string"),
        "arrived_at": { "type": "string", "format": "date-time" }, "left_at": { "type": ["string", "null"], "format": "date-time" },
        "stay_seconds": nullable("integer"), "consultant_id": { "type": "string", "format": "uuid" }, "consultant_name": { "type": "string" },
        "intent": nullable("string"), "heard_from": nullable("string"), "area": nullable("string"), "party_size": nullable("integer"),
        "notes": nullable("string"), "lost_reason": nullable("string"),
        "lead_id": { "type": ["string", "null"], "format": "uuid", "description": "Only when the caller may open the lead" },
        "lead_created": { "type": "boolean", "description": "On registration: the visit created its lead" },
        "first_visit": { "type": "boolean" }, "version": { "type": "integer" }, "created_at": { "type": "string", "format": "date-time" } } }));
    schemas.insert("ShowroomVisitChange".into(), json!({ "type": "object", "additionalProperties": false, "properties": {
        "left": { "type": "boolean", "description": "true: the visitor left now" },
        "left_at": { "type": "string", "format": "date-time", "description": "When the visitor left (not before the arrival)" },
        "lost_reason": { "type": ["string", "null"], "enum": or_null(rules::LOST_REASONS) },
        "version": { "type": "integer", "description": "Without If-Match" } } }));
    let object_json = json!({ "application/json": { "schema": { "type": "object" } } });
    paths.insert("/api/v1/showroom/visits".into(), json!({
        "get": { "tags": ["showroom"], "security": security, "summary": "Visits that arrived on the days from–to (the caller's time zone; default today): those of consultants in the caller's lead scope and those they registered",
            "parameters": [date("from", "First day (default today)"), date("to", "Last day (default from)")],
            "responses": { "200": { "description": "`{from, to, items: [ShowroomVisit]}`", "content": object_json } } },
        "post": { "tags": ["showroom"], "security": security, "summary": "Register a walk-in or phone-in visitor (whoever may create leads): finds or creates the lead by phone, updates its intent",
            "requestBody": { "required": true, "content": content("ShowroomVisitIn") },
            "responses": { "201": { "description": "The visit", "content": content("ShowroomVisit") } } } }));
    paths.insert("/api/v1/showroom/visits/{id}".into(), json!({
        "patch": { "tags": ["showroom"], "security": security, "summary": "The visitor left, or was lost for a reason",
            "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } },
                { "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string" }, "description": "The version read (`\"1\"`); or give `version` in the body" }],
            "requestBody": { "required": true, "content": content("ShowroomVisitChange") },
            "responses": { "200": { "description": "The visit", "content": content("ShowroomVisit") } } } }));
    paths.insert("/api/v1/showroom/stats".into(), json!({
        "get": { "tags": ["showroom"], "security": security, "summary": "Traffic statistics (客流量统计) and lost-visitor analysis over the consultants in the caller's lead scope: totals, per day or month, per consultant, by hour of arrival (the caller's time zone), stay, intent and lost reason",
            "parameters": [date("from", "First day (default today, or the month's first day by month)"), date("to", "Last day (default today; at most 366 days)"),
                { "name": "group", "in": "query", "schema": { "type": "string", "enum": ["day", "month"] } }],
            "responses": { "200": { "description": "`{from, to, group, time_zone, total, periods, consultants, by_hour, by_stay, by_intent, lost_by_reason}`; counts are `{visits, first_visits, with_details, converted, conversion_rate, lost}`", "content": object_json } } } }));
}
