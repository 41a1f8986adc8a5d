//! `/api/v1/web-forms` (web forms, 网站表单, kept by administrators of leads) —
//! `app::web_forms`. The public endpoint the forms post to is `POST /f/{key}`
//! (`pages::web_form_public`), documented here with them.

use super::records::{fail, parse_id};
use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::i18n::Tr;
use crate::AppState;
use app::web_forms::FormInput;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use domain::validation::FieldErrors;
use domain::web_forms as rules;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use store::web_forms::WebForm;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .on(Method::GET, "/web-forms", list)
        .on(Method::POST, "/web-forms", create)
        .on(Method::GET, "/web-forms/{id}", get)
        .on(Method::PATCH, "/web-forms/{id}", update)
        .on(Method::DELETE, "/web-forms/{id}", delete)
}

/// The routes outside `/api/v1` the document describes (the public form endpoint), for the
/// test that every documented route is served.
#[cfg(test)]
pub(super) const PUBLIC_ROUTES: &[(&str, &str)] = &[("post", "/f/{key}")];

pub fn form_json(f: &WebForm) -> Value {
    json!({
        "id": f.id, "public_key": f.public_key, "name": f.name, "active": f.active,
        "fields": f.fields.0, "target": f.target, "owner_id": f.owner_id, "source": f.source,
        "thanks_zh": f.thanks_zh, "thanks_en": f.thanks_en, "redirect_url": f.redirect_url,
        "allowed_origins": f.allowed_origins.0, "rate_limit": f.rate_limit,
        "submissions": f.submissions, "spam": f.spam,
        "version": f.version, "created_at": f.created_at, "updated_at": f.updated_at,
    })
}

fn take<T: DeserializeOwned>(slot: &mut Option<T>, value: Value) -> bool {
    serde_json::from_value(value)
        .map(|v| *slot = Some(v))
        .is_ok()
}

/// A text that may be cleared with null (an empty text for the use case).
fn take_text(slot: &mut Option<String>, value: Value) -> bool {
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

fn form_input(tr: Tr, body: Map<String, Value>) -> Result<(FormInput, Option<i64>), ApiError> {
    let mut errors = FieldErrors::new();
    let mut input = FormInput::default();
    let mut version = None;
    for (key, value) in body {
        let ok = match key.as_str() {
            "name" => take(&mut input.name, value),
            "active" => take(&mut input.active, value),
            "fields" => take(&mut input.fields, value),
            "target" => take(&mut input.target, value),
            "owner_id" => take(&mut input.owner_id, value),
            "thanks_zh" => take(&mut input.thanks_zh, value),
            "thanks_en" => take(&mut input.thanks_en, value),
            "allowed_origins" => take(&mut input.allowed_origins, value),
            "rate_limit" => take(&mut input.rate_limit, value),
            "version" => take(&mut version, value),
            "source" => take_text(&mut input.source, value),
            "redirect_url" => take_text(&mut input.redirect_url, value),
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
    let forms = app::web_forms::list(&state.app, &user.actor)
        .await
        .map_err(fail(user.tr))?;
    let items: Vec<Value> = forms.iter().map(form_json).collect();
    Ok(Json(json!({ "items": items })))
}

fn with_etag(status: StatusCode, form: &WebForm) -> impl IntoResponse {
    (
        status,
        [(axum::http::header::ETAG, super::etag(form.version))],
        Json(form_json(form)),
    )
}

async fn read(state: &AppState, user: &ApiUser, id: uuid::Uuid) -> Result<WebForm, ApiError> {
    app::web_forms::get(&state.app, &user.actor, id)
        .await
        .map_err(fail(user.tr))
}

async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<impl IntoResponse, ApiError> {
    let tr = user.tr;
    let (input, _) = form_input(tr, body)?;
    let id = app::web_forms::create(&state.app, &user.actor, &input)
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
    let (input, body_version) = form_input(tr, body)?;
    let current = read(&state, &user, id).await?;
    let version = super::expected_version(tr, &headers, body_version, current.version)?;
    let form = app::web_forms::update(&state.app, &user.actor, id, version, &input)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    Ok(with_etag(StatusCode::OK, &form))
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
    app::web_forms::delete(&state.app, &user.actor, id, version)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) fn document(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let security = json!([{ "bearer": [] }]);
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } });
    let if_match = json!({ "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string" }, "description": "The version read (`\"3\"`); or give `version` in the body" });
    let content = |schema: &str| json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } });
    let properties = json!({
        "name": { "type": "string", "maxLength": rules::MAX_NAME },
        "active": { "type": "boolean", "description": "An inactive form answers 404 to visitors" },
        "fields": { "type": "array", "minItems": 1, "maxItems": rules::MAX_FIELDS, "description": "The lead fields collected, in order (standard or custom; not system fields, the owner, status, source or lookups); every field a lead requires must be here as required",
            "items": { "type": "object", "required": ["key"], "properties": {
                "key": { "type": "string" }, "label_zh": { "type": "string", "maxLength": rules::MAX_LABEL },
                "label_en": { "type": "string", "maxLength": rules::MAX_LABEL }, "required": { "type": "boolean" } } } },
        "target": { "type": "string", "description": "`rules` (the company's assignment rules, the default), `rule:<id>` (that rule's method, whatever its criteria) or `pool:<id>` (a lead pool)" },
        "owner_id": { "type": "string", "format": "uuid", "description": "Holds the leads no rule assigns; the leads are created in their name (default: the administrator creating the form)" },
        "source": { "type": ["string", "null"], "description": "The lead source stamped on every lead (default `web`)" },
        "thanks_zh": { "type": "string", "maxLength": rules::MAX_THANKS },
        "thanks_en": { "type": "string", "maxLength": rules::MAX_THANKS },
        "redirect_url": { "type": ["string", "null"], "maxLength": rules::MAX_URL, "description": "Where a browser goes after a submission (303) instead of the thank-you text" },
        "allowed_origins": { "type": "array", "maxItems": rules::MAX_ORIGINS, "items": { "type": "string" }, "description": "Origins (`https://www.example.com`) submissions must come from (`Origin`, else `Referer`); empty: any" },
        "rate_limit": { "type": "integer", "minimum": 1, "maximum": rules::MAX_RATE_LIMIT, "description": "Submissions per client address per 10 minutes" },
    });
    let mut form_in = properties.clone();
    form_in["version"] = json!({ "type": "integer", "description": "Without If-Match" });
    schemas.insert(
        "WebFormIn".into(),
        json!({ "type": "object", "additionalProperties": false, "properties": form_in }),
    );
    let mut form = properties;
    for (k, v) in [
        ("id", json!({ "type": "string", "format": "uuid" })),
        (
            "public_key",
            json!({ "type": "string", "description": "The form's public address is /f/<public_key>" }),
        ),
        (
            "submissions",
            json!({ "type": "integer", "description": "Leads created" }),
        ),
        (
            "spam",
            json!({ "type": "integer", "description": "Submissions caught by the honeypot" }),
        ),
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
        form[k] = v;
    }
    schemas.insert(
        "WebForm".into(),
        json!({ "type": "object", "properties": form }),
    );
    let list = json!({ "application/json": { "schema": { "type": "object", "properties": { "items": { "type": "array", "items": { "$ref": "#/components/schemas/WebForm" } } } } } });
    let tags = json!(["web_forms"]);
    paths.insert("/api/v1/web-forms".into(), json!({
        "get": { "tags": tags, "security": security, "summary": "The company's web forms (administrators of leads)",
            "responses": { "200": { "description": "`{items: [WebForm]}`", "content": list } } },
        "post": { "tags": tags, "security": security, "summary": "Add a web form",
            "requestBody": { "required": true, "content": content("WebFormIn") },
            "responses": { "201": { "description": "The form", "content": content("WebForm") } } } }));
    paths.insert("/api/v1/web-forms/{id}".into(), json!({
        "get": { "tags": tags, "security": security, "summary": "A web form", "parameters": [id_param],
            "responses": { "200": { "description": "The form", "content": content("WebForm") } } },
        "patch": { "tags": tags, "security": security, "summary": "Change a web form (fields left out keep their value; `active: false` deactivates it)",
            "parameters": [id_param, if_match], "requestBody": { "required": true, "content": content("WebFormIn") },
            "responses": { "200": { "description": "The form", "content": content("WebForm") } } },
        "delete": { "tags": tags, "security": security, "summary": "Delete a web form (its snippet stops working)", "parameters": [id_param, if_match],
            "responses": { "204": { "description": "Deleted" } } } }));
    let submission = json!({ "type": "object", "description": "The form's field keys with their values, `lang` (`zh-CN` or `en`: the answer's language, else Accept-Language), and the honeypot `website_url`, to be left empty",
        "additionalProperties": { "type": ["string", "number", "boolean", "null"] } });
    paths.insert("/f/{key}".into(), json!({
        "post": { "tags": tags, "security": [], "summary": "Submit a web form: the public endpoint its snippet posts to (no authentication, no CSRF token)",
            "description": format!("Creates a lead as the form says, validated as the lead form is. Also takes `application/x-www-form-urlencoded` (a browser gets pages, a 303 to the form's redirect). Refused: unknown or inactive form 404; `Origin`/`Referer` not allowed 403; body over {} KiB 413; over the form's rate limit per client address 429 with `Retry-After`; invalid values 422 with field errors, nothing created. A filled honeypot is answered as accepted and creates nothing.", rules::MAX_BODY / 1024),
            "parameters": [{ "name": "key", "in": "path", "required": true, "schema": { "type": "string" } }],
            "requestBody": { "required": true, "content": { "application/json": { "schema": submission } } },
            "responses": { "201": { "description": "`{accepted: true, message, redirect_url}`: the thank-you text in the answer's language",
                "content": { "application/json": { "schema": { "type": "object" } } } } } } }));
}
