//! `/api/v1/{accounts,contacts}/{id}/relationships`: relationships between two accounts (or
//! two contacts), stored once and listed from both sides (`app::account360`).

use super::records::{fail, parse_id};
use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::{Extension, Json};
use domain::permissions::ObjectKind;
use serde_json::Value;
use uuid::Uuid;

pub fn routes() -> ApiRoutes {
    let mut routes = ApiRoutes::default();
    for (object, base) in [
        (ObjectKind::Account, "/accounts/{id}/relationships"),
        (ObjectKind::Contact, "/contacts/{id}/relationships"),
    ] {
        routes = routes
            .on_object(Method::GET, base, object, links)
            .on_object(Method::POST, base, object, add_link)
            .on_object(
                Method::DELETE,
                &format!("{base}/{{link_id}}"),
                object,
                remove_link,
            );
    }
    routes
}

/// The relationships of an account or contact with others of its kind, from both sides.
async fn links(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(user.tr, &id)?;
    let links = app::account360::links(&state.app, &user.actor, object, id)
        .await
        .map_err(fail(user.tr))?;
    let items: Vec<Value> = links
        .into_iter()
        .map(|l| serde_json::json!({ "id": l.id, "kind": l.kind, "direction": if l.outgoing { "from" } else { "to" },
            "other_id": l.other_id, "other_name": l.other_name, "note": l.note }))
        .collect();
    Ok(Json(serde_json::json!({ "items": items })))
}

/// A new relationship: `{to_id, kind, note}`.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkIn {
    /// The other account (or contact).
    pub to_id: Uuid,
    /// One of the relationship kinds of the object (e.g. `partner`, `supplier`).
    pub kind: String,
    /// Up to 200 characters.
    pub note: Option<String>,
}

async fn add_link(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: ApiUser,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<StatusCode, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let input: LinkIn = super::typed_body(tr, body)?;
    app::account360::add_link(
        &state.app,
        &user.actor,
        object,
        id,
        input.to_id,
        &input.kind,
        input.note.as_deref(),
    )
    .await
    .map_err(fail(tr))?;
    Ok(StatusCode::CREATED)
}

/// Deletes a relationship, seen from either of its two records.
async fn remove_link(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: ApiUser,
    Path((id, link_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let link_id = parse_id(tr, &link_id)?;
    app::account360::remove_link(&state.app, &user.actor, object, id, link_id)
        .await
        .map_err(fail(tr))?;
    Ok(StatusCode::NO_CONTENT)
}
