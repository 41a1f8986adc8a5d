//! How a deal ends or pauses over the API: `POST /opportunities/{id}/close` (`{"outcome":
//! "won"|"lost", "review": {…}}`: the review's fields by key; a missing review answers 422
//! `close_review` listing what is missing), `…/suspend` (`{"reason", "resume_on"}`),
//! `…/reactivate` and `…/terminate` (`{"reason"}`). Each answers the deal as `GET
//! /opportunities/{id}` does; a move the deal's status refuses is 409.

use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::i18n::Tr;
use crate::AppState;
use app::AppError;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use domain::permissions::ObjectKind;
use domain::picklists::Closed;
use domain::FieldErrors;
use serde_json::{Map, Value};
use uuid::Uuid;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .on(Method::POST, "/opportunities/{id}/close", close)
        .on(Method::POST, "/opportunities/{id}/suspend", suspend)
        .on(Method::POST, "/opportunities/{id}/reactivate", reactivate)
        .on(Method::POST, "/opportunities/{id}/terminate", terminate)
}

fn has_code(e: &AppError, codes: &[&str]) -> bool {
    matches!(e, AppError::Validation(f) if f.0.iter().any(|x| codes.contains(&x.code)))
}

/// A refused stage move or close explained: the gate's unmet items (`stage_gate`), else the
/// missing review (`close_review`), else the error as it is.
pub async fn explain(
    state: &AppState,
    actor: &app::Actor,
    tr: Tr,
    id: Uuid,
    e: AppError,
) -> ApiError {
    if has_code(&e, &["required_for_stage", "checklist_unticked"]) {
        super::stages::explain_gate(state, actor, tr, id, e).await
    } else if has_code(&e, &["required_for_close"]) {
        explain_review(state, actor, tr, e).await
    } else {
        ApiError::new(tr, e)
    }
}

/// Rewrites a refusal for a missing close review: the error's message lists the missing
/// fields by their labels in the caller's language (code `close_review`).
pub async fn explain_review(state: &AppState, actor: &app::Actor, tr: Tr, e: AppError) -> ApiError {
    let mut error = ApiError::new(tr, e);
    let review = error
        .body
        .error
        .fields
        .iter()
        .any(|f| f.code == "required_for_close");
    if !review {
        return error;
    }
    let Ok(fields) = app::records::object_fields(&state.app, actor, ObjectKind::Opportunity).await
    else {
        return error;
    };
    let mut names = Vec::new();
    for f in &mut error.body.error.fields {
        if f.code != "required_for_close" {
            continue;
        }
        let key = f.field.strip_prefix("review.").unwrap_or(&f.field);
        if let Some(def) = fields.field(key) {
            let label = super::stages::field_label(tr, def);
            f.message = tr.fmt("closing.missing_item", &[("item", &label)]);
            names.push(label);
        }
    }
    error.body.error.code = "close_review".into();
    error.body.error.message = tr.fmt(
        "closing.review_refused",
        &[("items", &names.join(if tr.is_zh() { "、" } else { ", " }))],
    );
    error
}

fn unknown(body: &Map<String, Value>, known: &[&str], errors: &mut FieldErrors) {
    for key in body.keys().filter(|k| !known.contains(&k.as_str())) {
        errors.add(key, "unknown_field");
    }
}

fn text(body: &Map<String, Value>, key: &str, errors: &mut FieldErrors) -> String {
    match body.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            errors.add(key, "wrong_type");
            String::new()
        }
    }
}

/// The `If-Match` version, if one is given (`*` or none: the current one).
fn version(tr: Tr, headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    match headers.get(header::IF_MATCH).map(|v| v.as_bytes()) {
        None | Some(b"*") => Ok(None),
        Some(_) => Ok(Some(super::expected_version(tr, headers, None, 0)?)),
    }
}

async fn respond(state: &AppState, user: &ApiUser, id: Uuid) -> Result<Response, ApiError> {
    super::records::respond_record(state, user, ObjectKind::Opportunity, id, StatusCode::OK).await
}

/// Closes the deal: `outcome` and the `review` (its fields by key, in their JSON types).
async fn close(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let id = super::records::parse_id(tr, &id)?;
    let mut errors = FieldErrors::new();
    unknown(&body, &["outcome", "review"], &mut errors);
    let outcome = text(&body, "outcome", &mut errors);
    let outcome = match outcome.as_str() {
        "" if errors.for_field("outcome").is_none() => {
            errors.add("outcome", "required");
            None
        }
        "" => None,
        o => {
            let parsed = Closed::parse(o);
            if parsed.is_none() {
                errors.add("outcome", "invalid_choice");
            }
            parsed
        }
    };
    let review = match body.get("review") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => {
            errors.add("review", "wrong_type");
            Map::new()
        }
    };
    errors.into_result().map_err(|e| ApiError::invalid(tr, e))?;
    let Some(outcome) = outcome else {
        return Err(ApiError::new(tr, AppError::field("outcome", "required")));
    };
    // Visibility first: an unknown or invisible deal is 404 whatever the body says.
    let current = app::records::get(&state.app, &user.actor, ObjectKind::Opportunity, id)
        .await
        .map_err(|e| ApiError::new(tr, e))?;
    let (input, _) =
        super::records::json_input(&current.fields, &review).map_err(|e| ApiError::new(tr, e))?;
    let version = version(tr, &headers)?;
    if let Err(e) = app::closing::close(&state.app, &user.actor, id, outcome, &input, version).await
    {
        return Err(explain(&state, &user.actor, tr, id, e).await);
    }
    respond(&state, &user, id).await
}

/// Puts the deal on hold: `reason` (required) and `resume_on` (`YYYY-MM-DD`, optional).
async fn suspend(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let id = super::records::parse_id(tr, &id)?;
    let mut errors = FieldErrors::new();
    unknown(&body, &["reason", "resume_on"], &mut errors);
    let reason = text(&body, "reason", &mut errors);
    let resume_on = match text(&body, "resume_on", &mut errors).trim() {
        "" => None,
        d => {
            let day = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
            if day.is_none() {
                errors.add("resume_on", "invalid_date");
            }
            day
        }
    };
    errors.into_result().map_err(|e| ApiError::invalid(tr, e))?;
    let version = version(tr, &headers)?;
    let suspension = app::closing::Suspension { reason, resume_on };
    app::closing::suspend(&state.app, &user.actor, id, &suspension, version)
        .await
        .map_err(|e| ApiError::new(tr, e))?;
    respond(&state, &user, id).await
}

/// Takes a suspended deal up again (an empty body).
async fn reactivate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let id = super::records::parse_id(tr, &id)?;
    let mut errors = FieldErrors::new();
    unknown(&body, &[], &mut errors);
    errors.into_result().map_err(|e| ApiError::invalid(tr, e))?;
    let version = version(tr, &headers)?;
    app::closing::reactivate(&state.app, &user.actor, id, version)
        .await
        .map_err(|e| ApiError::new(tr, e))?;
    respond(&state, &user, id).await
}

/// Ends the deal for good: `reason` (required).
async fn terminate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let id = super::records::parse_id(tr, &id)?;
    let mut errors = FieldErrors::new();
    unknown(&body, &["reason"], &mut errors);
    let reason = text(&body, "reason", &mut errors);
    errors.into_result().map_err(|e| ApiError::invalid(tr, e))?;
    let version = version(tr, &headers)?;
    app::closing::terminate(&state.app, &user.actor, id, &reason, version)
        .await
        .map_err(|e| ApiError::new(tr, e))?;
    respond(&state, &user, id).await
}
