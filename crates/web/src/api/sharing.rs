//! `/api/v1/{object}/{id}/shares` and `/team`: who else sees (or edits) a record beyond its
//! owner's scope (`app::sharing`).

use super::records::{fail, parse_id};
use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::i18n::Tr;
use crate::AppState;
use app::sharing::{MemberInput, ShareInput};
use app::AppError;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::{Extension, Json};
use domain::permissions::ObjectKind;
use domain::validation::FieldErrors;
use serde_json::{json, Map, Value};
use store::sharing::{Share, TeamMember};

pub fn routes() -> ApiRoutes {
    let mut routes = ApiRoutes::default();
    for object in ObjectKind::RECORDS {
        let Some(spec) = domain::objects::spec(object) else {
            continue;
        };
        let base = format!("/{}/{{id}}", spec.plural);
        routes = routes
            .on_object(Method::GET, &format!("{base}/shares"), object, shares)
            .on_object(Method::POST, &format!("{base}/shares"), object, add_share)
            .on_object(
                Method::DELETE,
                &format!("{base}/shares/{{share_id}}"),
                object,
                remove_share,
            )
            .on_object(Method::GET, &format!("{base}/team"), object, team)
            .on_object(Method::POST, &format!("{base}/team"), object, add_member)
            .on_object(
                Method::DELETE,
                &format!("{base}/team/{{user_id}}"),
                object,
                remove_member,
            );
    }
    routes
}

pub fn share_json(s: &Share) -> Value {
    json!({ "id": s.id, "user_id": s.user_id, "department_id": s.department_id, "role_id": s.role_id,
        "grantee_name": s.grantee_name, "access": s.access, "created_by": s.created_by, "created_at": s.created_at })
}

pub fn member_json(m: &TeamMember) -> Value {
    json!({ "user_id": m.user_id, "user_name": m.user_name, "access": m.access, "role": m.role,
        "added_by": m.added_by, "added_at": m.added_at })
}

async fn shares(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(user.tr, &id)?;
    let sharing = app::sharing::get(&state.app, &user.actor, object, id)
        .await
        .map_err(fail(user.tr))?;
    let items: Vec<Value> = sharing.shares.iter().map(share_json).collect();
    Ok(Json(
        json!({ "items": items, "can_manage": sharing.can_manage }),
    ))
}

async fn team(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(user.tr, &id)?;
    let sharing = app::sharing::get(&state.app, &user.actor, object, id)
        .await
        .map_err(fail(user.tr))?;
    let items: Vec<Value> = sharing.team.iter().map(member_json).collect();
    Ok(Json(
        json!({ "items": items, "can_manage": sharing.can_manage }),
    ))
}

/// The body's text fields by name: unknown names and values other than strings (or null)
/// are field errors.
fn text_fields(
    tr: Tr,
    body: Map<String, Value>,
    known: &[&str],
) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let mut errors = FieldErrors::new();
    let mut out = Vec::new();
    for (key, value) in body {
        if !known.contains(&key.as_str()) {
            errors.add(&key, "unknown_field");
            continue;
        }
        match value {
            Value::String(s) => out.push((key, Some(s))),
            Value::Null => out.push((key, None)),
            _ => errors.add(&key, "wrong_type"),
        }
    }
    errors
        .into_result()
        .map_err(|e| ApiError::new(tr, AppError::Validation(e)))?;
    Ok(out)
}

fn take(fields: &[(String, Option<String>)], key: &str) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.clone())
}

async fn add_share(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: ApiUser,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let fields = text_fields(tr, body, &["user_id", "department_id", "role_id", "access"])?;
    let input = ShareInput {
        user_id: take(&fields, "user_id"),
        department_id: take(&fields, "department_id"),
        role_id: take(&fields, "role_id"),
        access: take(&fields, "access"),
    };
    let share_id = app::sharing::share(&state.app, &user.actor, object, id, &input)
        .await
        .map_err(fail(tr))?;
    let sharing = app::sharing::get(&state.app, &user.actor, object, id)
        .await
        .map_err(fail(tr))?;
    let share = sharing
        .shares
        .iter()
        .find(|s| s.id == share_id)
        .map(share_json)
        .unwrap_or_else(|| json!({ "id": share_id }));
    Ok((StatusCode::CREATED, Json(share)))
}

async fn remove_share(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: ApiUser,
    Path((id, share_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let share_id = parse_id(tr, &share_id)?;
    app::sharing::unshare(&state.app, &user.actor, object, id, share_id)
        .await
        .map_err(fail(tr))?;
    Ok(StatusCode::NO_CONTENT)
}

async fn add_member(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: ApiUser,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let fields = text_fields(tr, body, &["user_id", "access", "role"])?;
    let input = MemberInput {
        user_id: take(&fields, "user_id"),
        access: take(&fields, "access"),
        role: take(&fields, "role"),
    };
    let user_id = app::sharing::add_member(&state.app, &user.actor, object, id, &input)
        .await
        .map_err(fail(tr))?;
    let sharing = app::sharing::get(&state.app, &user.actor, object, id)
        .await
        .map_err(fail(tr))?;
    let member = sharing
        .team
        .iter()
        .find(|m| m.user_id == user_id)
        .map(member_json)
        .unwrap_or_else(|| json!({ "user_id": user_id }));
    Ok((StatusCode::CREATED, Json(member)))
}

async fn remove_member(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: ApiUser,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let user_id = parse_id(tr, &user_id)?;
    app::sharing::remove_member(&state.app, &user.actor, object, id, user_id)
        .await
        .map_err(fail(tr))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The paths and schemas of sharing, for the OpenAPI document.
pub(super) fn document(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let security = json!([{ "bearer": [] }]);
    let uuid = json!({ "type": ["string", "null"], "format": "uuid" });
    let access = json!({ "type": "string", "enum": ["read", "edit"], "description": "`edit` lets the grantee edit the record when their role allows editing" });
    schemas.insert("ShareIn".into(), json!({ "type": "object", "additionalProperties": false,
        "description": "Exactly one of `user_id`, `department_id`, `role_id`",
        "required": ["access"], "properties": { "user_id": uuid, "department_id": uuid, "role_id": uuid, "access": access } }));
    schemas.insert("Share".into(), json!({ "type": "object", "properties": {
        "id": { "type": "string", "format": "uuid" }, "user_id": uuid, "department_id": uuid, "role_id": uuid,
        "grantee_name": { "type": "string" }, "access": access,
        "created_by": { "type": "string", "format": "uuid" }, "created_at": { "type": "string", "format": "date-time" } } }));
    schemas.insert("ShareList".into(), json!({ "type": "object", "properties": {
        "items": { "type": "array", "items": { "$ref": "#/components/schemas/Share" } },
        "can_manage": { "type": "boolean", "description": "Whether the caller may add and remove shares and team members" } } }));
    schemas.insert("TeamMemberIn".into(), json!({ "type": "object", "additionalProperties": false,
        "required": ["user_id", "access"], "properties": { "user_id": { "type": "string", "format": "uuid" }, "access": access,
            "role": { "type": ["string", "null"], "maxLength": app::sharing::ROLE_MAX, "description": "The member's part, e.g. technical lead" } } }));
    schemas.insert("TeamMember".into(), json!({ "type": "object", "properties": {
        "user_id": { "type": "string", "format": "uuid" }, "user_name": { "type": "string" }, "access": access,
        "role": { "type": ["string", "null"] },
        "added_by": { "type": "string", "format": "uuid" }, "added_at": { "type": "string", "format": "date-time" } } }));
    schemas.insert(
        "TeamList".into(),
        json!({ "type": "object", "properties": {
        "items": { "type": "array", "items": { "$ref": "#/components/schemas/TeamMember" } },
        "can_manage": { "type": "boolean" } } }),
    );
    let id_param = |name: &str| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } });
    let content = |schema: &str| json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } });
    for object in ObjectKind::RECORDS {
        let Some(spec) = domain::objects::spec(object) else {
            continue;
        };
        let tag = spec.plural;
        let manage = "by the record's owner or whoever may transfer it";
        paths.insert(format!("/api/v1/{tag}/{{id}}/shares"), json!({
            "get": { "tags": [tag], "security": security, "summary": "Who the record is shared with",
                "parameters": [id_param("id")],
                "responses": { "200": { "description": "Shares", "content": content("ShareList") } } },
            "post": { "tags": [tag], "security": security, "summary": format!("Share the record with a user, department or role ({manage}); again for the same grantee changes the access"),
                "parameters": [id_param("id")], "requestBody": { "required": true, "content": content("ShareIn") },
                "responses": { "201": { "description": "The share", "content": content("Share") } } } }));
        paths.insert(format!("/api/v1/{tag}/{{id}}/shares/{{share_id}}"), json!({
            "delete": { "tags": [tag], "security": security, "summary": format!("Remove a share ({manage})"),
                "parameters": [id_param("id"), id_param("share_id")],
                "responses": { "204": { "description": "Removed" } } } }));
        paths.insert(format!("/api/v1/{tag}/{{id}}/team"), json!({
            "get": { "tags": [tag], "security": security, "summary": "The record's team",
                "parameters": [id_param("id")],
                "responses": { "200": { "description": "Team members", "content": content("TeamList") } } },
            "post": { "tags": [tag], "security": security, "summary": format!("Put a user on the record's team, or change their access and part ({manage})"),
                "parameters": [id_param("id")], "requestBody": { "required": true, "content": content("TeamMemberIn") },
                "responses": { "201": { "description": "The member", "content": content("TeamMember") } } } }));
        paths.insert(format!("/api/v1/{tag}/{{id}}/team/{{user_id}}"), json!({
            "delete": { "tags": [tag], "security": security, "summary": format!("Take a user off the record's team ({manage})"),
                "parameters": [id_param("id"), id_param("user_id")],
                "responses": { "204": { "description": "Removed" } } } }));
    }
}
