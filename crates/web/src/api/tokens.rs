//! `/api/v1/me/tokens`: the caller's own API tokens — list, create (the secret is shown once,
//! in the answer) and revoke — through the same use cases as My settings (`app::auth`).

use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .on(Method::GET, "/me/tokens", list)
        .on(Method::POST, "/me/tokens", create)
        .on(Method::DELETE, "/me/tokens/{id}", revoke)
}

/// One of the caller's API tokens (without its secret).
#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// To the minute.
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenOut>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenCreate {
    /// What the token is for, up to 100 characters.
    pub name: String,
}

/// A new token. `token` is the secret to send as `Authorization: Bearer <token>`: it is shown
/// only in this answer and cannot be read again.
#[derive(Serialize, ToSchema)]
pub struct TokenCreated {
    pub id: Uuid,
    pub name: String,
    pub token: String,
}

/// List the caller's API tokens, revoked ones included.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "auth", operation_id = "list_tokens", security(("bearer" = [])),
    responses((status = 200, body = TokenList)))]
async fn list(State(state): State<AppState>, user: ApiUser) -> Result<Json<TokenList>, ApiError> {
    let tokens = app::auth::list_tokens(&state.app, &user.actor)
        .await
        .map_err(|e| ApiError::new(user.tr, e))?;
    Ok(Json(TokenList {
        items: tokens
            .into_iter()
            .map(|t| TokenOut {
                id: t.id,
                name: t.name,
                created_at: t.created_at,
                last_used_at: t.last_used_at,
                revoked_at: t.revoked_at,
            })
            .collect(),
    }))
}

/// Create an API token acting as the caller.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "auth", operation_id = "create_token", security(("bearer" = [])),
    request_body = TokenCreate,
    responses((status = 201, body = TokenCreated, headers(("Location" = String)))))]
async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let input: TokenCreate = super::typed_body(tr, body)?;
    let (id, token) = app::auth::create_token(
        &state.app,
        user.actor.tenant_id(),
        user.actor.id(),
        &input.name,
    )
    .await
    .map_err(|e| ApiError::new(tr, e))?;
    // The name as stored (cleaned by the use case).
    let name = app::auth::list_tokens(&state.app, &user.actor)
        .await
        .map_err(|e| ApiError::new(tr, e))?
        .into_iter()
        .find(|t| t.id == id)
        .map(|t| t.name)
        .unwrap_or(input.name);
    let mut response =
        (StatusCode::CREATED, Json(TokenCreated { id, name, token })).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/me/tokens/{id}")) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// Revoke one of the caller's tokens; another user's token is not found.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "auth", operation_id = "revoke_token", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked")))]
async fn revoke(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = super::records::parse_id(user.tr, &id)?;
    app::auth::revoke_token(&state.app, &user.actor, id)
        .await
        .map_err(|e| ApiError::new(user.tr, e))?;
    Ok(StatusCode::NO_CONTENT)
}
