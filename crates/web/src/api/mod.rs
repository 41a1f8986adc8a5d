//! The REST API under `/api/v1`: bearer-token authentication, JSON errors with stable codes,
//! `ETag`/`If-Match` concurrency, cursor pagination, and the OpenAPI document.

mod accounts;
mod error;
mod list_query;
pub mod openapi;
mod records;

pub use error::{ApiError, ErrorBody};

use crate::i18n::{Lang, Tr};
use crate::AppState;
use app::Actor;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::routing::get;
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(accounts::routes())
        .merge(records::routes())
        .route("/me", get(me))
        .route("/openapi.json", get(openapi::document))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// The language of API messages: `Accept-Language`, else English.
fn api_lang(parts: &Parts) -> Tr {
    Tr::new(
        parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language)
            .unwrap_or(Lang::En),
    )
}

/// An API caller, authenticated by `Authorization: Bearer <token>`.
pub struct ApiUser {
    pub actor: Actor,
    pub tr: Tr,
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let tr = api_lang(parts);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| ApiError::new(tr, app::AppError::Unauthenticated))?;
        let actor = app::auth::token_actor(&state.app, token)
            .await
            .map_err(|e| ApiError::new(tr, e))?;
        Ok(ApiUser { actor, tr })
    }
}

/// An optional caller: `None` without an `Authorization` header, an error for a bad token.
impl axum::extract::OptionalFromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(None);
        }
        <ApiUser as FromRequestParts<AppState>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

/// A JSON object body. Wrong content type, malformed JSON, a non-object and an oversized body
/// each get their own error code.
pub struct JsonObject(pub serde_json::Map<String, serde_json::Value>);

impl FromRequest<AppState> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let tr = api_lang(&parts);
        let is_json = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::code(
                tr,
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            ));
        }
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| {
                ApiError::code(
                    tr,
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                )
            })?;
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(serde_json::Value::Object(map)) => Ok(JsonObject(map)),
            Ok(_) => Err(ApiError::code(
                tr,
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
            )),
            Err(e) => {
                Err(
                    ApiError::code(tr, axum::http::StatusCode::BAD_REQUEST, "malformed_json")
                        .with_detail(e.to_string()),
                )
            }
        }
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MeOut {
    pub id: uuid::Uuid,
    pub tenant_id: uuid::Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub department_id: Option<uuid::Uuid>,
    pub locale: Option<String>,
}

/// The user the token acts for.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeOut), (status = 401, body = ErrorBody)))]
async fn me(user: ApiUser) -> Json<MeOut> {
    let u = &user.actor.user;
    Json(MeOut {
        id: u.id,
        tenant_id: u.tenant_id,
        email: u.email.clone(),
        name: u.name.clone(),
        role: u.role_name.clone(),
        department_id: u.department_id,
        locale: u.locale.clone(),
    })
}

async fn not_found(parts: Parts) -> ApiError {
    ApiError::new(api_lang(&parts), app::AppError::NotFound)
}

async fn method_not_allowed(parts: Parts) -> ApiError {
    ApiError::code(
        api_lang(&parts),
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
}

pub(crate) fn etag(version: i64) -> axum::http::HeaderValue {
    axum::http::HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or_else(|_| axum::http::HeaderValue::from_static("\"0\""))
}

/// The version a change is based on: `If-Match: "N"` (or W/"N"), `If-Match: *` (whatever
/// version is current: `current`, the version just read), else the body's `version`.
pub(crate) fn expected_version(
    tr: Tr,
    headers: &axum::http::HeaderMap,
    body_version: Option<i64>,
    current: i64,
) -> Result<i64, ApiError> {
    use axum::http::StatusCode;
    if let Some(value) = headers.get(header::IF_MATCH) {
        let text = value.to_str().unwrap_or_default().trim();
        if text == "*" {
            return Ok(current);
        }
        let text = text.strip_prefix("W/").unwrap_or(text);
        return text
            .trim_matches('"')
            .parse::<i64>()
            .map_err(|_| ApiError::code(tr, StatusCode::PRECONDITION_FAILED, "conflict"));
    }
    body_version.ok_or_else(|| {
        ApiError::code(
            tr,
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
        )
    })
}

/// `304 Not Modified` when the request's `If-None-Match` names the current version (or is
/// `*`): the caller's copy is current.
pub(crate) fn not_modified(
    headers: &axum::http::HeaderMap,
    version: i64,
) -> Option<axum::response::Response> {
    use axum::response::IntoResponse;
    let wanted = headers.get(header::IF_NONE_MATCH)?.to_str().ok()?;
    let current = format!("\"{version}\"");
    let matches = wanted
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == current);
    matches.then(|| {
        let mut response = axum::http::StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(header::ETAG, etag(version));
        response
    })
}

/// With `If-Match`, a stale version is a failed precondition (412); with a body version, 409.
pub(crate) fn conflict_as_412(
    tr: Tr,
    error: app::AppError,
    headers: &axum::http::HeaderMap,
) -> ApiError {
    let mut e = ApiError::new(tr, error);
    if e.body.error.code == "conflict" && headers.contains_key(header::IF_MATCH) {
        e.status = axum::http::StatusCode::PRECONDITION_FAILED;
    }
    e
}

/// Runs a create under the request's `Idempotency-Key`, if any: a retry with the same key and
/// body within 24 hours gets the first answer back (with `Idempotent-Replayed: true`), a
/// concurrent retry 409, the same key with another body 422. `collection` is the path the
/// created record lives under (for `Location`).
pub(crate) async fn idempotent<F, Fut>(
    state: &AppState,
    user: &ApiUser,
    headers: &axum::http::HeaderMap,
    collection: &str,
    body: &serde_json::Map<String, serde_json::Value>,
    run: F,
) -> Result<axum::response::Response, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<axum::response::Response, ApiError>>,
{
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let tr = user.tr;
    let Some(key) = headers
        .get("idempotency-key")
        .map(|v| v.to_str().unwrap_or("\u{0}").to_string())
    else {
        return run().await;
    };
    // serde_json's map is ordered by key, so equal bodies hash equally.
    let hash = app::secrets::sha256(&format!(
        "POST {collection}\n{}",
        serde_json::Value::Object(body.clone())
    ));
    let fail = |e| ApiError::new(tr, e);
    match app::idempotency::claim(&state.app, &user.actor, &key, &hash)
        .await
        .map_err(fail)?
    {
        app::idempotency::Claim::New => {}
        app::idempotency::Claim::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
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
                id.map(|id| axum::http::HeaderValue::from_str(&format!("{collection}/{id}")))
            {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response.headers_mut().insert(
                "idempotent-replayed",
                axum::http::HeaderValue::from_static("true"),
            );
            return Ok(response);
        }
        app::idempotency::Claim::InProgress => {
            return Err(ApiError::code(
                tr,
                StatusCode::CONFLICT,
                "idempotency_in_progress",
            ))
        }
        app::idempotency::Claim::Mismatch => {
            return Err(ApiError::code(
                tr,
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
            ))
        }
    }
    match run().await {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, crate::BODY_LIMIT * 4)
                .await
                .map_err(|e| {
                    fail(app::AppError::Internal(format!(
                        "reading a response body: {e}"
                    )))
                })?;
            let stored: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            app::idempotency::complete(
                &state.app,
                &user.actor,
                &key,
                parts.status.as_u16(),
                &stored,
            )
            .await
            .map_err(fail)?;
            Ok(axum::response::Response::from_parts(
                parts,
                axum::body::Body::from(bytes),
            ))
        }
        Err(e) => {
            app::idempotency::release(&state.app, &user.actor, &key)
                .await
                .map_err(fail)?;
            Err(e)
        }
    }
}
