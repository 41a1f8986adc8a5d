//! The REST API under `/api/v1`: bearer-token authentication, JSON errors with stable codes,
//! `ETag`/`If-Match` concurrency, cursor pagination, and the OpenAPI document.

mod activity_actions;
mod assignment;
mod audit;
mod children;
pub mod closing;
mod conditional;
mod conversion;
mod duplicates;
mod error;
mod events;
pub(crate) mod exports;
mod idempotent;
mod imports;
mod jobs;
pub(crate) mod list_query;
mod mail;
mod money;
mod notifications;
pub mod openapi;
mod org;
mod picklists;
mod pools;
mod records;
mod relationships;
mod settings;
mod sharing;
mod showroom;
pub mod stages;
mod table;
mod tokens;
mod web_forms;

pub use error::{ApiError, ErrorBody};
pub(crate) use idempotent::idempotent;
pub(crate) use imports::{
    object_of as import_object, read_upload as read_import_upload,
    UPLOAD_LIMIT as IMPORT_UPLOAD_LIMIT,
};

use crate::i18n::{Lang, Tr};
use crate::AppState;
use app::Actor;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    table()
        .into_router()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(conditional::not_modified))
}

/// Every API route, in one table (see [`table::ApiRoutes`]).
fn table() -> table::ApiRoutes {
    table::ApiRoutes::default()
        .merge(records::routes())
        .merge(children::routes())
        .merge(org::routes())
        .merge(tokens::routes())
        .merge(jobs::routes())
        .merge(money::routes())
        .merge(events::routes())
        .merge(notifications::routes())
        .merge(mail::routes())
        .merge(audit::routes())
        .merge(picklists::routes())
        .merge(sharing::routes())
        .merge(stages::routes())
        .merge(closing::routes())
        .merge(pools::routes())
        .merge(showroom::routes())
        .merge(conversion::routes())
        .merge(duplicates::routes())
        .merge(imports::routes())
        .merge(exports::routes())
        .merge(assignment::routes())
        .merge(web_forms::routes())
        .on(Method::GET, "/me", me)
        .on(Method::GET, "/openapi.json", openapi::document)
}

/// The (method, path) of every route the API serves, paths relative to `/api/v1`.
pub fn served_routes() -> Vec<(Method, String)> {
    table().served().to_vec()
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

/// A JSON object body read as a typed input: a body that does not fit (unknown keys, wrong
/// types) is `invalid_body`, with serde's reason as `detail`.
pub(crate) fn typed_body<T: serde::de::DeserializeOwned>(
    tr: Tr,
    body: serde_json::Map<String, serde_json::Value>,
) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::Object(body)).map_err(|e| {
        ApiError::code(
            tr,
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        )
        .with_detail(e.to_string())
    })
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
    responses((status = 200, body = MeOut)))]
async fn me(user: ApiUser) -> Json<MeOut> {
    let u = &user.actor.user;
    let role = user.tr.role_name(u.role_key.as_deref(), &u.role_name);
    Json(MeOut {
        id: u.id,
        tenant_id: u.tenant_id,
        email: u.email.clone(),
        name: u.name.clone(),
        role: role.to_string(),
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
