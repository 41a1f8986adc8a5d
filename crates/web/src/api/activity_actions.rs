//! `/api/v1/activities/{id}/complete|postpone|check-in|follow-up`: a task's or visit's
//! actions, each answering the activity as the caller now sees it.

use super::records::{fail, parse_id, respond_record};
use super::{ApiError, ApiUser, JsonObject};
use crate::AppState;
use app::AppError;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use domain::permissions::ObjectKind;
use serde_json::Value;
use uuid::Uuid;

pub fn routes() -> super::table::ApiRoutes {
    super::table::ApiRoutes::default()
        .on(Method::POST, "/activities/{id}/complete", complete)
        .on(Method::POST, "/activities/{id}/postpone", postpone)
        .on(Method::POST, "/activities/{id}/check-in", check_in)
        .on(Method::POST, "/activities/{id}/follow-up", follow_up)
}

/// The version an activity action is based on: none without `If-Match` or with `If-Match: *`.
fn version_of(tr: crate::i18n::Tr, headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    match headers.get(header::IF_MATCH).map(|v| v.as_bytes()) {
        None | Some(b"*") => Ok(None),
        Some(_) => super::expected_version(tr, headers, None, 0).map(Some),
    }
}

async fn activity_action(
    state: &AppState,
    user: &ApiUser,
    id: &str,
    headers: &HeaderMap,
    action: impl AsyncFnOnce(Uuid, Option<i64>) -> Result<(), AppError>,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, id)?;
    let version = version_of(tr, headers)?;
    action(id, version)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, headers))?;
    respond_record(state, user, ObjectKind::Activity, id, StatusCode::OK).await
}

async fn complete(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    activity_action(&state, &user, &id, &headers, async |id, v| {
        app::activities::complete(&state.app, &user.actor, id, v).await
    })
    .await
}

/// Moves a task's due time by `days` (negative moves it earlier).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostponeIn {
    pub days: i64,
}

async fn postpone(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let input: PostponeIn = serde_json::from_value(Value::Object(body)).map_err(|e| {
        ApiError::code(user.tr, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
            .with_detail(e.to_string())
    })?;
    activity_action(&state, &user, &id, &headers, async |id, v| {
        app::activities::postpone(&state.app, &user.actor, id, v, input.days).await
    })
    .await
}

/// A check-in at a visit, with the position when the device knows it.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInIn {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Metres.
    pub accuracy: Option<f64>,
}

async fn check_in(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let input: CheckInIn = serde_json::from_value(Value::Object(body)).map_err(|e| {
        ApiError::code(user.tr, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
            .with_detail(e.to_string())
    })?;
    activity_action(&state, &user, &id, &headers, async |id, _| {
        let position = match (input.latitude, input.longitude) {
            (Some(lat), Some(lng)) => Some((lat, lng)),
            (None, None) => None,
            _ => return Err(AppError::field("longitude", "required")),
        };
        app::activities::check_in(&state.app, &user.actor, id, position, input.accuracy).await
    })
    .await
}

/// A follow-up task of an activity: its subject and, optionally, when it is due.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpIn {
    pub name: String,
    /// RFC 3339, or `YYYY-MM-DD`.
    pub due_at: Option<String>,
}

async fn follow_up(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let input: FollowUpIn = serde_json::from_value(Value::Object(body)).map_err(|e| {
        ApiError::code(tr, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
            .with_detail(e.to_string())
    })?;
    let id = parse_id(tr, &id)?;
    let new_id = app::activities::follow_up(
        &state.app,
        &user.actor,
        id,
        &input.name,
        input.due_at.as_deref(),
    )
    .await
    .map_err(fail(tr))?;
    respond_record(
        &state,
        &user,
        ObjectKind::Activity,
        new_id,
        StatusCode::CREATED,
    )
    .await
}
