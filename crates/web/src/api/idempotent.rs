//! `Idempotency-Key` on API creates: a retry with the same key and body within 24 hours gets
//! the first answer back (with `Idempotent-Replayed: true`), the same key with another body
//! 422. The key is stored by the create's own transaction (see `app::idempotency`), so a
//! retry after a crash finds either the record (and is answered with it) or nothing (and
//! creates afresh).

use super::{etag, ApiError, ApiUser};
use crate::AppState;
use app::idempotency::{Earlier, Key};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::future::Future;
use uuid::Uuid;

/// Runs a create under the request's `Idempotency-Key`, if any. `collection` is the path the
/// created record lives under (`/api/v1/contacts`, for `Location`); `create` makes the record,
/// storing the key it is given in its transaction; `answer` gives the answer for a record an
/// earlier request with the key created, when that answer was not kept.
pub(crate) async fn idempotent<C, CF, A, AF>(
    state: &AppState,
    user: &ApiUser,
    headers: &HeaderMap,
    collection: &str,
    body: &serde_json::Map<String, serde_json::Value>,
    create: C,
    answer: A,
) -> Result<Response, ApiError>
where
    C: FnOnce(Option<Key>) -> CF,
    CF: Future<Output = Result<Response, ApiError>>,
    A: FnOnce(Uuid) -> AF,
    AF: Future<Output = Result<Response, ApiError>>,
{
    let tr = user.tr;
    let fail = |e| ApiError::new(tr, e);
    let Some(key) = headers.get("idempotency-key") else {
        return create(None).await;
    };
    // serde_json's map is ordered by key, so equal bodies hash equally.
    let hash = app::secrets::sha256(&format!(
        "POST {collection}\n{}",
        serde_json::Value::Object(body.clone())
    ));
    let key = Key::new(key.to_str().unwrap_or("\u{0}"), hash).map_err(fail)?;
    if let Some(replay) = replay(state, user, &key, collection).await? {
        return finish_replay(state, user, &key, replay, answer).await;
    }
    match create(Some(key.clone())).await {
        Ok(response) => keep(state, user, &key, response).await,
        // A concurrent request with the same key created its record first: answer with it.
        Err(e) if e.body.error.code == app::idempotency::KEY_TAKEN => {
            match replay(state, user, &key, collection).await? {
                Some(replay) => finish_replay(state, user, &key, replay, answer).await,
                None => Err(ApiError::code(
                    tr,
                    StatusCode::CONFLICT,
                    "idempotency_in_progress",
                )),
            }
        }
        Err(e) => Err(e),
    }
}

enum Replay {
    Answered(Response),
    Created(Uuid),
}

/// What an earlier request with the key left: its answer, its record, or nothing.
async fn replay(
    state: &AppState,
    user: &ApiUser,
    key: &Key,
    collection: &str,
) -> Result<Option<Replay>, ApiError> {
    let tr = user.tr;
    let earlier = app::idempotency::earlier(&state.app, &user.actor, key)
        .await
        .map_err(|e| ApiError::new(tr, e))?;
    Ok(match earlier {
        Earlier::None => None,
        Earlier::Mismatch => {
            return Err(ApiError::code(
                tr,
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
            ))
        }
        Earlier::Created { record_id, .. } => Some(Replay::Created(record_id)),
        Earlier::Answered { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
            let version = body.get("version").and_then(serde_json::Value::as_i64);
            let id = body
                .get("id")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string);
            let mut response = (status, Json(body)).into_response();
            if let Some(v) = version {
                response.headers_mut().insert(header::ETAG, etag(v));
            }
            if let Some(Ok(location)) =
                id.map(|id| HeaderValue::from_str(&format!("{collection}/{id}")))
            {
                response.headers_mut().insert(header::LOCATION, location);
            }
            Some(Replay::Answered(response))
        }
    })
}

async fn finish_replay<A, AF>(
    state: &AppState,
    user: &ApiUser,
    key: &Key,
    replay: Replay,
    answer: A,
) -> Result<Response, ApiError>
where
    A: FnOnce(Uuid) -> AF,
    AF: Future<Output = Result<Response, ApiError>>,
{
    let mut response = match replay {
        Replay::Answered(response) => response,
        Replay::Created(id) => keep(state, user, key, answer(id).await?).await?,
    };
    response.headers_mut().insert(
        "idempotent-replayed",
        axum::http::HeaderValue::from_static("true"),
    );
    Ok(response)
}

/// Keeps a create's answer for replays. The record and its key are already stored, so a
/// failure here only means a replay is answered from the record: logged, not returned.
async fn keep(
    state: &AppState,
    user: &ApiUser,
    key: &Key,
    response: Response,
) -> Result<Response, ApiError> {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, crate::BODY_LIMIT * 4)
        .await
        .map_err(|e| {
            ApiError::new(
                user.tr,
                app::AppError::Internal(format!("reading a response body: {e}")),
            )
        })?;
    let stored: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    if let Err(e) = app::idempotency::keep_answer(&state.app, &user.actor, key, &stored).await {
        tracing::warn!(error = %e, "keeping the answer of an idempotent create failed");
    }
    Ok(Response::from_parts(parts, axum::body::Body::from(bytes)))
}
