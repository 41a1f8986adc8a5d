//! Background jobs in the API: a job's state and progress (`GET /jobs/{id}`, for its creator
//! and administrators), the administrators' list (`GET /jobs?state=dead`) and retry
//! (`POST /jobs/{id}/retry`).

use super::table::ApiRoutes;
use super::{ApiError, ApiUser};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use store::jobs::Job;
use uuid::Uuid;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .on(Method::GET, "/jobs", list)
        .on(Method::GET, "/jobs/{id}", show)
        .on(Method::POST, "/jobs/{id}/retry", retry)
}

/// A job as JSON.
pub fn job_json(job: &Job) -> Value {
    json!({
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "run_at": job.run_at,
        "progress": {
            "done": job.progress_done,
            "total": job.progress_total,
            "message": job.progress_message,
        },
        "result": job.result.as_ref().map(|r| &r.0),
        "error": job.last_error,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
    })
}

/// 202 Accepted for work handed to a job: its id, and where to follow it (`Location`).
pub fn accepted(job: Uuid) -> Response {
    let url = format!("/api/v1/jobs/{job}");
    let mut response = (
        StatusCode::ACCEPTED,
        Json(json!({ "job": { "id": job, "url": url } })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&url) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

fn job_id(user: &ApiUser, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::new(user.tr, app::AppError::NotFound))
}

/// A job's state, progress, result and error: for the user who asked for it and the company's
/// administrators (404 for anyone else).
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", operation_id = "get_job", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "`{id, kind, state (queued|running|retrying|done|dead), attempts, max_attempts, run_at, progress: {done, total, message}, result, error, created_at, updated_at}`"),
        (status = 404, body = super::ErrorBody)))]
pub(super) async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = job_id(&user, &id)?;
    let job = app::jobs::get(&state.app, &user.actor, id)
        .await
        .map_err(|e| ApiError::new(user.tr, e))?;
    Ok(Json(job_json(&job)))
}

/// The company's jobs in the given states, most recently changed first (administrators).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", operation_id = "list_jobs", security(("bearer" = [])),
    params(("state" = Option<String>, Query, description = "Comma-separated states (queued, running, retrying, done, dead); dead and retrying when absent")),
    responses((status = 200, description = "`{items: [job]}`"), (status = 403, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    // Comma-separated states; failed ones (dead, retrying) when absent. Any other
    // parameter is refused, as on every list.
    let params = super::list_query::params(raw.as_deref(), &["state"], 1)
        .map_err(|e| ApiError::new(user.tr, e))?;
    let states: Vec<&str> = params
        .get("state")
        .map(String::as_str)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let jobs = app::jobs::list(&state.app, &user.actor, &states)
        .await
        .map_err(|e| ApiError::new(user.tr, e))?;
    Ok(Json(
        json!({ "items": jobs.iter().map(job_json).collect::<Vec<_>>() }),
    ))
}

/// Queues a dead (or retrying) job again, due now with fresh attempts (administrators).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = "jobs", operation_id = "retry_job", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The job"), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody),
        (status = 422, description = "`job_not_retryable`: the job is not failed", body = super::ErrorBody)))]
pub(super) async fn retry(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = job_id(&user, &id)?;
    let fail = |e| ApiError::new(user.tr, e);
    app::jobs::retry(&state.app, &user.actor, id)
        .await
        .map_err(fail)?;
    let job = app::jobs::get(&state.app, &user.actor, id)
        .await
        .map_err(fail)?;
    Ok(Json(job_json(&job)))
}
