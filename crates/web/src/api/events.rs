//! The change feed in the API: `GET /events?after=CURSOR&object=…&limit=…`, for an integrator
//! to follow every change of the records the caller may see (see [`app::events`]).

use super::table::ApiRoutes;
use super::{ApiError, ApiUser};
use crate::AppState;
use app::events::{Event, FeedCursor};
use app::AppError;
use axum::extract::{RawQuery, State};
use axum::http::Method;
use axum::Json;
use domain::permissions::ObjectKind;
use serde_json::{json, Value};

/// A page's length unless `limit` says otherwise.
const DEFAULT_LIMIT: i64 = 100;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default().on(Method::GET, "/events", list)
}

fn event_json(event: &Event) -> Value {
    json!({
        "cursor": event.cursor.encode(),
        "at": event.at,
        "actor_id": event.actor_id,
        "object": event.object.key(),
        "record_id": event.record_id,
        "kind": event.kind,
        "owner_id": event.owner_id,
        "changes": event.changes,
    })
}

/// The query's object, cursor and page length, or the field errors of all of them.
fn parse(
    params: &std::collections::HashMap<String, String>,
) -> Result<(Option<ObjectKind>, FeedCursor, i64), AppError> {
    let mut errors = domain::FieldErrors::new();
    let object = match params.get("object") {
        None => None,
        Some(key) => {
            let kind = ObjectKind::parse(key).filter(|k| ObjectKind::RECORDS.contains(k));
            if kind.is_none() {
                errors.add("object", "invalid_choice");
            }
            kind
        }
    };
    let after = match params.get("after") {
        None => FeedCursor::default(),
        Some(text) => FeedCursor::decode(text).unwrap_or_else(|| {
            errors.add("after", "invalid_cursor");
            FeedCursor::default()
        }),
    };
    let limit = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(DEFAULT_LIMIT);
    errors.into_result()?;
    Ok((object, after, limit))
}

/// Changes after `after`, oldest first: creates, updates (each changed field's old and new
/// value), deletes, owner and stage changes and the named actions of later capabilities, of
/// the records in the caller's data scope, without the fields hidden from the caller.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", operation_id = "list_events", security(("bearer" = [])),
    params(
        ("after" = Option<String>, Query, description = "The `cursor` of the last event already read (or `next_cursor`); from the oldest kept event when absent"),
        ("object" = Option<String>, Query, description = "Only this object's events: account, contact, lead, opportunity or activity"),
        ("limit" = Option<i64>, Query, description = "At most this many events (1–500, 100 by default)")),
    responses((status = 200, description = "`{items: [{cursor, at, actor_id, object, record_id, kind (created|updated|deleted|owner_changed|stage_changed|a named action), owner_id, changes: [{field, old, new}]}], next_cursor}`"),
        (status = 422, body = super::ErrorBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let fail = |e| ApiError::new(user.tr, e);
    let params = super::list_query::params(
        raw.as_deref(),
        &["after", "object", "limit"],
        app::events::MAX_PAGE,
    )
    .map_err(fail)?;
    let (object, after, limit) = parse(&params).map_err(fail)?;
    let page = app::events::feed(&state.app, &user.actor, object, after, limit)
        .await
        .map_err(fail)?;
    Ok(Json(json!({
        "items": page.items.iter().map(event_json).collect::<Vec<_>>(),
        "next_cursor": page.next.encode(),
    })))
}
