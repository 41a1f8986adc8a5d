//! `POST /api/v1/{object}/duplicates`: the records a record body may duplicate, by the
//! object's duplicate keys (`app::duplicates::check`), for every object that declares some —
//! what an integrator asks before creating, so that two reps never own one customer unknowingly.

use super::conversion::match_json;
use super::records::{fail, json_input, parse_id};
use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::Method;
use axum::{Extension, Json};
use domain::objects::ObjectSpec;
use domain::permissions::ObjectKind;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The objects with duplicate keys.
fn checked() -> impl Iterator<Item = &'static ObjectSpec> {
    super::records::OBJECTS
        .into_iter()
        .filter_map(domain::objects::spec)
        .filter(|s| !s.duplicate_keys.is_empty())
}

pub fn routes() -> ApiRoutes {
    let mut routes = ApiRoutes::default();
    for spec in checked() {
        routes = routes.on_object(
            Method::POST,
            &format!("/{}/duplicates", spec.plural),
            spec.kind,
            duplicates,
        );
    }
    routes
}

#[derive(Deserialize)]
struct Except {
    except: Option<String>,
}

async fn duplicates(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: ApiUser,
    Query(query): Query<Except>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let tr = user.tr;
    let except = query
        .except
        .as_deref()
        .map(|id| parse_id(tr, id))
        .transpose()?;
    let fields = app::records::object_fields(&state.app, &user.actor, kind)
        .await
        .map_err(fail(tr))?;
    let (input, _) = json_input(&fields, &body).map_err(fail(tr))?;
    let matches = app::duplicates::check(&state.app, &user.actor, kind, &input, except)
        .await
        .map_err(fail(tr))?;
    Ok(Json(json!({
        "matches": matches.iter().map(match_json).collect::<Vec<_>>(),
    })))
}

/// The paths of the duplicate check, for the OpenAPI document.
pub(super) fn document(paths: &mut Map<String, Value>) {
    let security = json!([{ "bearer": [] }]);
    let except = json!({ "name": "except", "in": "query", "required": false, "schema": { "type": "string", "format": "uuid" }, "description": "The record being edited, left out of the matches" });
    for spec in checked() {
        let tag = spec.plural;
        paths.insert(format!("/api/v1/{tag}/duplicates"), json!({
            "post": { "tags": [tag], "security": security,
                "summary": "The records this record body may duplicate, by the object's duplicate keys (company name without its legal form, unified social credit code, phone, e-mail); a match the caller cannot open shows only its owner (or that it is in a public pool). Nothing is written",
                "parameters": [except],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "description": "Field values, as for a create" } } } },
                "responses": { "200": { "description": "The matches, those the caller can open first", "content": { "application/json": { "schema": { "type": "object", "properties": {
                    "matches": { "type": "array", "items": { "$ref": "#/components/schemas/DuplicateMatch" } } } } } } } } } }));
    }
}
