//! The caller's own notifications: the list (newest first, keyset cursor, `unread=true`),
//! mark one read, mark all read. Another user's notification is not found.

use super::table::ApiRoutes;
use super::{ApiError, ApiUser};
use crate::AppState;
use app::AppError;
use axum::extract::{Path, RawQuery, State};
use axum::http::Method;
use axum::Json;
use serde_json::{json, Value};
use store::notifications::Notification;
use uuid::Uuid;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .on(Method::GET, "/notifications", list)
        .on(Method::POST, "/notifications/read-all", read_all)
        .on(Method::POST, "/notifications/{id}/read", read)
}

fn notification_json(user: &ApiUser, n: &Notification) -> Value {
    json!({
        "id": n.id,
        "kind": n.kind,
        "text": crate::pages::notifications::text(&user.tr, n),
        "params": n.params.0,
        "object": n.object,
        "record_id": n.record_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
    })
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", operation_id = "list_notifications", security(("bearer" = [])),
    params(("unread" = Option<bool>, Query, description = "Only unread ones when `true`"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<i64>, Query, description = "At most 200; 50 when absent")),
    responses((status = 200, description = "`{items: [{id, kind (task_reminder|assigned), text (in the caller's language), params: {name}, object, record_id, created_at, read_at}], next_cursor, unread (capped at 100)}`"),
        (status = 422, body = super::ErrorBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let fail = |e| ApiError::new(user.tr, e);
    let params = super::list_query::params(raw.as_deref(), &["unread", "cursor", "limit"], 200)
        .map_err(fail)?;
    let unread = match params.get("unread").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(fail(AppError::field("unread", "wrong_type"))),
    };
    let cursor = match params.get("cursor") {
        None => None,
        Some(c) => Some(
            Uuid::parse_str(c).map_err(|_| fail(AppError::field("cursor", "invalid_cursor")))?,
        ),
    };
    let limit = match params.get("limit") {
        None => app::notifications::PAGE,
        Some(l) => l
            .parse()
            .map_err(|_| fail(AppError::field("limit", "wrong_type")))?,
    };
    let page = app::notifications::list(&state.app, &user.actor, unread, cursor, limit)
        .await
        .map_err(fail)?;
    let count = app::notifications::unread_count(&state.app, &user.actor)
        .await
        .map_err(fail)?;
    Ok(Json(json!({
        "items": page.items.iter().map(|n| notification_json(&user, n)).collect::<Vec<_>>(),
        "next_cursor": page.next.map(|id| id.to_string()),
        "unread": count,
    })))
}

/// Marks one of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", operation_id = "read_notification", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "`{ok: true}`"), (status = 404, body = super::ErrorBody)))]
pub(super) async fn read(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::new(user.tr, AppError::NotFound))?;
    app::notifications::mark_read(&state.app, &user.actor, id)
        .await
        .map_err(|e| ApiError::new(user.tr, e))?;
    Ok(Json(json!({ "ok": true })))
}

/// Marks all of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications", operation_id = "read_all_notifications", security(("bearer" = [])),
    responses((status = 200, description = "`{marked: n}`: how many were unread")))]
pub(super) async fn read_all(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    let marked = app::notifications::mark_all_read(&state.app, &user.actor)
        .await
        .map_err(|e| ApiError::new(user.tr, e))?;
    Ok(Json(json!({ "marked": marked })))
}
