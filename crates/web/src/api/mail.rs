//! E-mail in the API: the caller's notification preferences (`/me/notification-preferences`)
//! and, for administrators, the company's mail server settings (never the password) and the
//! delivery log of notification mails.

use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::AppState;
use app::AppError;
use axum::extract::{RawQuery, State};
use axum::http::Method;
use axum::Json;
use serde_json::{json, Map, Value};
use uuid::Uuid;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .on(Method::GET, "/me/notification-preferences", preferences)
        .on(Method::PUT, "/me/notification-preferences", set_preferences)
        .on(Method::GET, "/mail/settings", settings)
        .on(Method::GET, "/mail/deliveries", deliveries)
}

async fn preferences_json(state: &AppState, user: &ApiUser) -> Result<Json<Value>, ApiError> {
    let chosen = app::notifications::preferences(&state.app, &user.actor)
        .await
        .map_err(|e| ApiError::new(user.tr, e))?;
    let map: Map<String, Value> = chosen
        .into_iter()
        .map(|(kind, channels)| (kind.key().to_string(), json!(channels.key())))
        .collect();
    Ok(Json(Value::Object(map)))
}

/// The caller's choice for every notification kind.
#[utoipa::path(get, path = "/api/v1/me/notification-preferences", tag = "notifications", operation_id = "notification_preferences", security(("bearer" = [])),
    responses((status = 200, description = "`{<kind>: in_app|email|both|none}` for every kind (task_reminder, assigned); `in_app` until chosen")))]
pub(super) async fn preferences(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    preferences_json(&state, &user).await
}

/// Sets the caller's choices for the kinds given; the others keep theirs.
#[utoipa::path(put, path = "/api/v1/me/notification-preferences", tag = "notifications", operation_id = "set_notification_preferences", security(("bearer" = [])),
    request_body(content = Object, description = "`{<kind>: in_app|email|both|none}`, e.g. `{\"task_reminder\": \"both\", \"assigned\": \"none\"}`. An unknown kind (`unknown_field`) or choice (`invalid_choice`) is a 422 field error and changes nothing."),
    responses((status = 200, description = "Every kind's choice, as the GET answers")))]
pub(super) async fn set_preferences(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let mut wrong = domain::FieldErrors::new();
    let mut choices = Vec::new();
    for (kind, value) in body {
        match value.as_str() {
            Some(v) => choices.push((kind, v.to_string())),
            None => wrong.add(&kind, "wrong_type"),
        }
    }
    if !wrong.is_empty() {
        return Err(ApiError::new(user.tr, AppError::Validation(wrong)));
    }
    app::notifications::set_preferences(&state.app, &user.actor, &choices)
        .await
        .map_err(|e| ApiError::new(user.tr, e))?;
    preferences_json(&state, &user).await
}

/// The company's mail server settings, for administrators. The password is never returned.
#[utoipa::path(get, path = "/api/v1/mail/settings", tag = "mail", operation_id = "mail_settings", security(("bearer" = [])),
    responses((status = 200, description = "`{host, port, security (starttls|tls|none), username, password_set, from_address, updated_at, overridden_by (host:port of the server's --smtp-url, used instead), public_url}`")))]
pub(super) async fn settings(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    let s = app::mail::settings(&state.app, &user.actor)
        .await
        .map_err(|e| ApiError::new(user.tr, e))?;
    Ok(Json(json!({
        "host": Some(s.host).filter(|h| !h.is_empty()),
        "port": s.port,
        "security": s.security,
        "username": Some(s.username).filter(|u| !u.is_empty()),
        "password_set": s.password_set,
        "from_address": Some(s.from_address).filter(|f| !f.is_empty()),
        "updated_at": s.updated_at,
        "overridden_by": s.overridden_by,
        "public_url": s.public_url,
    })))
}

/// The delivery log of notification mails, newest first, for administrators.
#[utoipa::path(get, path = "/api/v1/mail/deliveries", tag = "mail", operation_id = "list_mail_deliveries", security(("bearer" = [])),
    params(("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<i64>, Query, description = "At most 200; 50 when absent")),
    responses((status = 200, description = "`{items: [{id, recipient, user_id, kind, subject, state (queued|retrying|sent|failed), attempts, last_error, created_at, updated_at, sent_at}], next_cursor}`")))]
pub(super) async fn deliveries(
    State(state): State<AppState>,
    user: ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let fail = |e| ApiError::new(user.tr, e);
    let params =
        super::list_query::params(raw.as_deref(), &["cursor", "limit"], 200).map_err(fail)?;
    let cursor = match params.get("cursor") {
        None => None,
        Some(c) => Some(
            Uuid::parse_str(c).map_err(|_| fail(AppError::field("cursor", "invalid_cursor")))?,
        ),
    };
    let limit = match params.get("limit") {
        None => app::mail::PAGE,
        Some(l) => l
            .parse()
            .map_err(|_| fail(AppError::field("limit", "wrong_type")))?,
    };
    let page = app::mail::deliveries(&state.app, &user.actor, cursor, limit)
        .await
        .map_err(fail)?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|d| {
            json!({
                "id": d.id,
                "recipient": d.recipient,
                "user_id": d.user_id,
                "kind": d.kind,
                "subject": d.subject,
                "state": d.state,
                "attempts": d.attempts,
                "last_error": d.last_error,
                "created_at": d.created_at,
                "updated_at": d.updated_at,
                "sent_at": d.sent_at,
            })
        })
        .collect();
    Ok(Json(json!({
        "items": items,
        "next_cursor": page.next.map(|id| id.to_string()),
    })))
}
