//! The administrators' audit log as JSON: `GET /api/v1/audit`, newest first, with the same
//! filters as the page and a keyset cursor.

use super::table::ApiRoutes;
use super::{ApiError, ApiUser};
use crate::AppState;
use app::audit::FilterInput;
use app::AppError;
use axum::extract::{RawQuery, State};
use axum::http::Method;
use axum::Json;
use serde_json::{json, Value};

pub fn routes() -> ApiRoutes {
    ApiRoutes::default().on(Method::GET, "/audit", list)
}

/// The company's audit log, newest first (administrators only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", operation_id = "list_audit", security(("bearer" = [])),
    params(("actor" = Option<String>, Query, description = "A user's id"),
        ("object" = Option<String>, Query, description = "user, role, department, field, view, setting, api_token or tenant"),
        ("action" = Option<String>, Query, description = "create, update, delete, deactivate, …"),
        ("from" = Option<String>, Query, description = "A date (YYYY-MM-DD) in the caller's time zone, inclusive"),
        ("to" = Option<String>, Query, description = "A date (YYYY-MM-DD) in the caller's time zone, inclusive"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<i64>, Query, description = "At most 200; 50 when absent")),
    responses((status = 200, description = "`{items: [{id, at, actor_id, actor_name, object, action, record_id, text (in the caller's language), detail}], next_cursor}`"),
        (status = 403, body = super::ErrorBody),
        (status = 422, body = super::ErrorBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let fail = |e| ApiError::new(user.tr, e);
    let params = super::list_query::params(
        raw.as_deref(),
        &["actor", "object", "action", "from", "to", "cursor", "limit"],
        200,
    )
    .map_err(fail)?;
    let input = FilterInput {
        actor: params.get("actor").cloned(),
        object: params.get("object").cloned(),
        action: params.get("action").cloned(),
        from: params.get("from").cloned(),
        to: params.get("to").cloned(),
    };
    let limit = match params.get("limit") {
        None => app::audit::PAGE,
        Some(l) => l
            .parse()
            .map_err(|_| fail(AppError::field("limit", "wrong_type")))?,
    };
    let page = app::audit::list(
        &state.app,
        &user.actor,
        &input,
        params.get("cursor").map(String::as_str),
        limit,
    )
    .await
    .map_err(fail)?;
    let tr = user.tr.in_zone(user.actor.time_zone());
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|e| {
            let line = crate::pages::audit::AuditLine::new(tr, e);
            json!({
                "id": e.id,
                "at": e.at,
                "actor_id": e.actor_id,
                "actor_name": e.actor_name,
                "object": e.object,
                "action": e.action,
                "record_id": e.record_id,
                "text": line.sentence,
                "detail": e.detail.0,
            })
        })
        .collect();
    Ok(Json(json!({ "items": items, "next_cursor": page.next })))
}
