//! `GET /api/v1/leads/{id}/conversion` (the proposed values and the duplicate check),
//! `POST /api/v1/leads/{id}/convert` and `POST /api/v1/leads/{id}/disqualify`, for every
//! object that declares a conversion (`app::conversion`).

use super::records::{fail, json_input, parse_id, respond_record};
use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::i18n::Tr;
use crate::AppState;
use app::conversion::{Convert, Target};
use app::duplicates::{Match, Seen};
use app::records::Input;
use app::AppError;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::{Extension, Json};
use domain::objects::converting;
use domain::permissions::ObjectKind;
use domain::FieldErrors;
use serde_json::{json, Map, Value};

pub fn routes() -> ApiRoutes {
    let mut routes = ApiRoutes::default();
    for spec in converting() {
        let base = format!("/{}/{{id}}", spec.plural);
        routes = routes
            .on_object(
                Method::GET,
                &format!("{base}/conversion"),
                spec.kind,
                proposal,
            )
            .on_object(Method::POST, &format!("{base}/convert"), spec.kind, convert)
            .on_object(
                Method::POST,
                &format!("{base}/disqualify"),
                spec.kind,
                disqualify,
            );
    }
    routes
}

fn input_json(input: &Input) -> Value {
    let mut out = Map::new();
    for (key, values) in input {
        let value = match values.as_slice() {
            [] => Value::Null,
            [one] => Value::String(one.clone()),
            many => Value::Array(many.iter().cloned().map(Value::String).collect()),
        };
        out.insert(key.clone(), value);
    }
    Value::Object(out)
}

/// A match as its reader may know it: an openable one with its id and name, another only
/// with its owner (or that it is in a public pool), never its id or any other field.
pub fn match_json(m: &Match) -> Value {
    match &m.seen {
        Seen::Open { name, owner } => json!({
            "id": m.id, "name": name, "owner_name": owner, "fields": m.fields, "can_link": true,
        }),
        Seen::Owned { owner, pool } => json!({
            "owner_name": owner, "in_pool": pool, "fields": m.fields, "can_link": false,
        }),
    }
}

async fn proposal(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let p = app::conversion::proposal(&state.app, &user.actor, kind, id)
        .await
        .map_err(fail(tr))?;
    let list = |ms: &[Match]| Value::Array(ms.iter().map(match_json).collect());
    Ok(Json(json!({
        "id": id,
        "version": p.lead.record.version,
        "account": input_json(&p.account),
        "contact": input_json(&p.contact),
        "opportunity": input_json(&p.opportunity),
        "matches": { "accounts": list(&p.account_matches), "contacts": list(&p.contact_matches) },
    })))
}

/// Field errors of one part of the body, keyed `account.name`.
fn prefixed(part: &str, e: AppError) -> AppError {
    match e {
        AppError::Validation(errors) => AppError::Validation(FieldErrors(
            errors
                .0
                .into_iter()
                .map(|mut f| {
                    f.field = format!("{part}.{}", f.field);
                    f
                })
                .collect(),
        )),
        e => e,
    }
}

/// The fields of a new record of `kind` in the body's part, checked as a create's body is.
async fn create_input(
    state: &AppState,
    user: &ApiUser,
    part: &str,
    kind: ObjectKind,
    body: &Map<String, Value>,
) -> Result<Input, AppError> {
    let fields = app::records::object_fields(&state.app, &user.actor, kind).await?;
    let (input, version) = json_input(&fields, body).map_err(|e| prefixed(part, e))?;
    if version.is_some() {
        return Err(AppError::field(&format!("{part}.version"), "unknown_field"));
    }
    Ok(input)
}

/// `{"link": ID}` or `{"create": {…}}` (an absent part creates from the lead's values).
async fn target(
    state: &AppState,
    user: &ApiUser,
    part: &str,
    kind: ObjectKind,
    value: Option<Value>,
) -> Result<Target, AppError> {
    let wrong = || AppError::field(part, "wrong_type");
    let Some(value) = value else {
        return Ok(Target::Create(Input::new()));
    };
    let Value::Object(map) = value else {
        return Err(wrong());
    };
    let mut entries = map.into_iter();
    match (entries.next(), entries.next()) {
        (Some((key, Value::String(id))), None) if key == "link" => uuid::Uuid::parse_str(&id)
            .map(Target::Link)
            .map_err(|_| AppError::field(&format!("{part}.link"), "invalid_reference")),
        (Some((key, Value::Object(fields))), None) if key == "create" => Ok(Target::Create(
            create_input(state, user, part, kind, &fields).await?,
        )),
        _ => Err(wrong()),
    }
}

async fn convert(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonObject(mut body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let ask = convert_body(&state, &user, &headers, &mut body)
        .await
        .map_err(fail(tr))?;
    let done = app::conversion::convert(&state.app, &user.actor, kind, id, ask)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    Ok(Json(json!({
        "id": id,
        "account_id": done.account_id,
        "contact_id": done.contact_id,
        "opportunity_id": done.opportunity_id,
    })))
}

async fn convert_body(
    state: &AppState,
    user: &ApiUser,
    headers: &HeaderMap,
    body: &mut Map<String, Value>,
) -> Result<Convert, AppError> {
    let mut errors = FieldErrors::new();
    for key in body.keys() {
        if !["account", "contact", "opportunity", "version"].contains(&key.as_str()) {
            errors.add(key, "unknown_field");
        }
    }
    errors.into_result()?;
    let version = match (if_match(headers)?, body.remove("version")) {
        (Some(v), _) => Some(v),
        (None, None | Some(Value::Null)) => None,
        (None, Some(v)) => Some(v.as_i64().ok_or(AppError::field("version", "wrong_type"))?),
    };
    let account = target(
        state,
        user,
        "account",
        ObjectKind::Account,
        body.remove("account"),
    )
    .await?;
    let contact = target(
        state,
        user,
        "contact",
        ObjectKind::Contact,
        body.remove("contact"),
    )
    .await?;
    let opportunity = match body.remove("opportunity") {
        None | Some(Value::Null) => None,
        Some(Value::Object(fields)) => {
            Some(create_input(state, user, "opportunity", ObjectKind::Opportunity, &fields).await?)
        }
        Some(_) => return Err(AppError::field("opportunity", "wrong_type")),
    };
    Ok(Convert {
        account,
        contact,
        opportunity,
        version,
    })
}

/// The version of `If-Match: "N"`, if given (a conversion without it converts whatever
/// version is current).
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, AppError> {
    let Some(value) = headers.get(axum::http::header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(None);
    }
    let text = text.strip_prefix("W/").unwrap_or(text);
    text.trim_matches('"')
        .parse::<i64>()
        .map(Some)
        .map_err(|_| AppError::Conflict)
}

async fn disqualify(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let (reason, note, version) = disqualify_body(tr, &headers, body)?;
    app::conversion::disqualify(
        &state.app,
        &user.actor,
        kind,
        id,
        &reason,
        note.as_deref(),
        version,
    )
    .await
    .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    respond_record(&state, &user, kind, id, StatusCode::OK).await
}

type Disqualification = (String, Option<String>, Option<i64>);

fn disqualify_body(
    tr: Tr,
    headers: &HeaderMap,
    body: Map<String, Value>,
) -> Result<Disqualification, ApiError> {
    let mut errors = FieldErrors::new();
    let (mut reason, mut note, mut version) = (None, None, None);
    for (key, value) in body {
        match (key.as_str(), value) {
            ("reason", Value::String(s)) => reason = Some(s),
            ("reason", Value::Null) => {}
            ("note", Value::String(s)) => note = Some(s),
            ("note", Value::Null) => {}
            ("version", Value::Number(n)) if n.is_i64() => version = n.as_i64(),
            ("reason" | "note" | "version", _) => errors.add(&key, "wrong_type"),
            _ => errors.add(&key, "unknown_field"),
        }
    }
    if reason.is_none() && errors.for_field("reason").is_none() {
        errors.add("reason", "required");
    }
    errors
        .into_result()
        .map_err(|e| ApiError::new(tr, AppError::Validation(e)))?;
    let version = match if_match(headers).map_err(fail(tr))? {
        Some(v) => Some(v),
        None => version,
    };
    Ok((reason.unwrap_or_default(), note, version))
}

/// The paths of conversion, for the OpenAPI document.
pub(super) fn document(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let security = json!([{ "bearer": [] }]);
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } });
    let if_match = json!({ "name": "If-Match", "in": "header", "required": false, "schema": { "type": "string" }, "description": "The lead's version read (`\"3\"`); without it, whatever version is current" });
    let object = json!({ "type": "object" });
    let part = |of: &str| {
        json!({ "oneOf": [
        { "type": "object", "additionalProperties": false, "required": ["link"], "properties": { "link": { "type": "string", "format": "uuid", "description": format!("An existing {of} the caller can see") } } },
        { "type": "object", "additionalProperties": false, "required": ["create"], "properties": { "create": { "type": "object", "description": format!("Fields of a new {of}, over the values proposed from the lead") } } } ] })
    };
    schemas.insert("ConversionIn".into(), json!({ "type": "object", "additionalProperties": false, "properties": {
        "account": part("account"), "contact": part("contact"),
        "opportunity": { "type": ["object", "null"], "description": "Fields of a new opportunity (over the proposed ones); null or absent: none" },
        "version": { "type": "integer", "description": "Without If-Match" } } }));
    schemas.insert("Converted".into(), json!({ "type": "object", "properties": {
        "id": { "type": "string", "format": "uuid" }, "account_id": { "type": "string", "format": "uuid" },
        "contact_id": { "type": "string", "format": "uuid" }, "opportunity_id": { "type": ["string", "null"], "format": "uuid" } } }));
    schemas.insert("DuplicateMatch".into(), json!({ "type": "object", "description": "A record holding one of the keys asked about (a lead's, or a record body's). One the caller can open has `id` and `name` (`can_link`); another only its owner's name, or `in_pool`", "properties": {
        "id": { "type": "string", "format": "uuid" }, "name": { "type": "string" }, "owner_name": { "type": ["string", "null"] },
        "in_pool": { "type": "boolean" }, "can_link": { "type": "boolean" },
        "fields": { "type": "array", "items": { "type": "string" }, "description": "The match's fields holding a key" } } }));
    let matches =
        json!({ "type": "array", "items": { "$ref": "#/components/schemas/DuplicateMatch" } });
    schemas.insert("ConversionProposal".into(), json!({ "type": "object", "properties": {
        "id": { "type": "string", "format": "uuid" }, "version": { "type": "integer" },
        "account": object, "contact": object, "opportunity": object,
        "matches": { "type": "object", "properties": { "accounts": matches, "contacts": matches } } } }));
    let content = |s: &str| json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{s}") } } });
    for spec in converting() {
        let tag = spec.plural;
        paths.insert(format!("/api/v1/{tag}/{{id}}/conversion"), json!({
            "get": { "tags": [tag], "security": security, "summary": "The values a conversion proposes from the lead, and the accounts and contacts it may duplicate (normalised company name, credit code, phone, e-mail); 409 when already converted",
                "parameters": [id_param], "responses": { "200": { "description": "The proposal", "content": content("ConversionProposal") } } } }));
        paths.insert(format!("/api/v1/{tag}/{{id}}/convert"), json!({
            "post": { "tags": [tag], "security": security, "summary": "Convert the lead into an account and a contact (linked or created) and an optional opportunity, in one transaction; its activities move with it (409: already converted; 422: a part's field errors, keyed `account.name`, `contact.mobile`…)",
                "parameters": [id_param, if_match], "requestBody": { "required": true, "content": content("ConversionIn") },
                "responses": { "200": { "description": "What the lead became", "content": content("Converted") } } } }));
        paths.insert(format!("/api/v1/{tag}/{{id}}/disqualify"), json!({
            "post": { "tags": [tag], "security": security, "summary": "Disqualify the lead with a reason from the company's list (the `disqualify_reason` choices) and a note (409: converted)",
                "parameters": [id_param, if_match],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["reason"], "properties": {
                    "reason": { "type": "string" }, "note": { "type": ["string", "null"] }, "version": { "type": "integer" } } } } } },
                "responses": { "200": { "description": "The lead", "content": { "application/json": { "schema": object } } } } } }));
    }
}
