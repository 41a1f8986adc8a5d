//! `/api/v1/{users,departments,roles}`: the organisation, read by every user (to find the
//! owner to assign), changed by administrators only — through the same use cases as the
//! admin pages (`app::org`).

use super::records::fail;
use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::AppState;
use app::org::UserInput;
use app::AppError;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::org::{Department, Role, User};
use utoipa::ToSchema;
use uuid::Uuid;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .on(Method::GET, "/users", list_users)
        .on(Method::POST, "/users", create_user)
        .on(Method::GET, "/users/{id}", read_user)
        .on(Method::PATCH, "/users/{id}", patch_user)
        .on(Method::GET, "/departments", list_departments)
        .on(Method::POST, "/departments", create_department)
        .on(Method::GET, "/departments/{id}", read_department)
        .on(Method::PATCH, "/departments/{id}", patch_department)
        .on(Method::GET, "/roles", list_roles)
        .on(Method::GET, "/roles/{id}", read_role)
}

/// An answer with the object's version as `ETag` (and `Location` when created).
fn versioned<T: Serialize>(status: StatusCode, body: T, version: i64, location: &str) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::ETAG, super::etag(version));
    if status == StatusCode::CREATED {
        if let Ok(v) = HeaderValue::from_str(location) {
            response.headers_mut().insert(header::LOCATION, v);
        }
    }
    response
}

/// A key that may be `null`: absent is `None`, `null` is `Some(None)`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

// ---------------------------------------------------------------- users

/// A user of the company.
#[derive(Serialize, ToSchema)]
pub struct UserOut {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role_id: Uuid,
    pub role_name: String,
    pub department_id: Option<Uuid>,
    pub department_name: Option<String>,
    pub manager_id: Option<Uuid>,
    pub manager_name: Option<String>,
    /// `en` or `zh-CN`; none follows the browser.
    pub locale: Option<String>,
    /// A deactivated user cannot sign in and its tokens stop working.
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        UserOut {
            id: u.id,
            email: u.email,
            name: u.name,
            role_id: u.role_id,
            role_name: u.role_name,
            department_id: u.department_id,
            department_name: u.department_name,
            manager_id: u.manager_id,
            manager_name: u.manager_name,
            locale: u.locale,
            active: u.active,
            version: u.version,
            created_at: u.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserOut>,
}

/// A new user (administrators). The user is active.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCreate {
    pub email: String,
    pub name: String,
    /// 8 to 128 characters (`password_too_short` otherwise).
    pub password: String,
    pub role_id: Uuid,
    pub department_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    /// `en` or `zh-CN`.
    pub locale: Option<String>,
}

/// A change to a user (administrators): only the fields present change, `null` clears
/// the department or manager. `"active": false` deactivates, `true` reactivates.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub name: Option<String>,
    pub role_id: Option<Uuid>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub department_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub manager_id: Option<Option<Uuid>>,
    pub active: Option<bool>,
    pub locale: Option<String>,
    /// Alternative to `If-Match`: the version the change is based on.
    pub version: Option<i64>,
}

/// List the company's users (active and deactivated), by name.
#[utoipa::path(get, path = "/api/v1/users", tag = "org", security(("bearer" = [])),
    responses((status = 200, body = UserList)))]
async fn list_users(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<UserList>, ApiError> {
    let users = app::org::list_users(&state.app, &user.actor)
        .await
        .map_err(fail(user.tr))?;
    Ok(Json(UserList {
        items: users.into_iter().map(UserOut::from).collect(),
    }))
}

async fn user_response(
    state: &AppState,
    user: &ApiUser,
    id: Uuid,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let u = app::org::get_user(&state.app, &user.actor, id)
        .await
        .map_err(fail(user.tr))?;
    let version = u.version;
    Ok(versioned(
        status,
        UserOut::from(u),
        version,
        &format!("/api/v1/users/{id}"),
    ))
}

/// Read one user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "org", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = UserOut, headers(("ETag" = String)))))]
async fn read_user(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = super::records::parse_id(user.tr, &id)?;
    user_response(&state, &user, id, StatusCode::OK).await
}

/// Create a user (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "org", security(("bearer" = [])),
    request_body = UserCreate,
    responses((status = 201, body = UserOut, headers(("ETag" = String), ("Location" = String)))))]
async fn create_user(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let input: UserCreate = super::typed_body(tr, body)?;
    let id = app::org::create_user(
        &state.app,
        &user.actor,
        UserInput {
            email: input.email,
            name: input.name,
            password: Some(input.password),
            role_id: Some(input.role_id),
            department_id: input.department_id,
            manager_id: input.manager_id,
            active: true,
            locale: input.locale,
        },
    )
    .await
    .map_err(fail(tr))?;
    user_response(&state, &user, id, StatusCode::CREATED).await
}

/// Change a user (administrators): name, role, department, manager, language, or deactivate
/// (`"active": false`) and reactivate. Deactivating ends the user's sessions; the company
/// keeps at least one active administrator.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "org", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The user's ETag, or `*` for whatever version is current (or `version` in the body)")),
    request_body = UserPatch,
    responses((status = 200, body = UserOut, headers(("ETag" = String)))))]
async fn patch_user(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let id = super::records::parse_id(tr, &id)?;
    let current = app::org::get_user(&state.app, &user.actor, id)
        .await
        .map_err(fail(tr))?;
    let change: UserPatch = super::typed_body(tr, body)?;
    let version = super::expected_version(tr, &headers, change.version, current.version)?;
    let input = UserInput {
        email: current.email,
        name: change.name.unwrap_or(current.name),
        password: None,
        role_id: Some(change.role_id.unwrap_or(current.role_id)),
        department_id: change.department_id.unwrap_or(current.department_id),
        manager_id: change.manager_id.unwrap_or(current.manager_id),
        active: change.active.unwrap_or(current.active),
        locale: change.locale.or(current.locale),
    };
    app::org::update_user(&state.app, &user.actor, id, version, input)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    user_response(&state, &user, id, StatusCode::OK).await
}

// ---------------------------------------------------------------- departments

/// A department; `parent_id` places it in the tree.
#[derive(Serialize, ToSchema)]
pub struct DepartmentOut {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    /// Active members.
    pub member_count: i64,
    pub version: i64,
}

impl From<Department> for DepartmentOut {
    fn from(d: Department) -> Self {
        DepartmentOut {
            id: d.id,
            parent_id: d.parent_id,
            name: d.name,
            member_count: d.member_count,
            version: d.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentList {
    /// Parents before their children.
    pub items: Vec<DepartmentOut>,
}

/// A new department (administrators).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentCreate {
    pub name: String,
    pub parent_id: Option<Uuid>,
}

/// Rename (`name`) or move (`parent_id`, `null` for the top level) a department
/// (administrators); one of the two per request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    /// Alternative to `If-Match`.
    pub version: Option<i64>,
}

/// List the departments.
#[utoipa::path(get, path = "/api/v1/departments", tag = "org", security(("bearer" = [])),
    responses((status = 200, body = DepartmentList)))]
async fn list_departments(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<DepartmentList>, ApiError> {
    let departments = app::org::list_departments(&state.app, &user.actor)
        .await
        .map_err(fail(user.tr))?;
    Ok(Json(DepartmentList {
        items: departments.into_iter().map(DepartmentOut::from).collect(),
    }))
}

/// The department `id` as the caller may read it (404 when there is none).
async fn department(
    state: &AppState,
    user: &ApiUser,
    id: Uuid,
) -> Result<store::org::Department, ApiError> {
    app::org::list_departments(&state.app, &user.actor)
        .await
        .map_err(fail(user.tr))?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| ApiError::new(user.tr, AppError::NotFound))
}

async fn department_response(
    state: &AppState,
    user: &ApiUser,
    id: Uuid,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let d = department(state, user, id).await?;
    let version = d.version;
    Ok(versioned(
        status,
        DepartmentOut::from(d),
        version,
        &format!("/api/v1/departments/{id}"),
    ))
}

/// Read one department.
#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "org", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = DepartmentOut, headers(("ETag" = String)))))]
async fn read_department(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = super::records::parse_id(user.tr, &id)?;
    department_response(&state, &user, id, StatusCode::OK).await
}

/// Create a department (administrators).
#[utoipa::path(post, path = "/api/v1/departments", tag = "org", security(("bearer" = [])),
    request_body = DepartmentCreate,
    responses((status = 201, body = DepartmentOut, headers(("ETag" = String), ("Location" = String)))))]
async fn create_department(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let input: DepartmentCreate = super::typed_body(tr, body)?;
    let id = app::org::create_department(&state.app, &user.actor, &input.name, input.parent_id)
        .await
        .map_err(fail(tr))?;
    department_response(&state, &user, id, StatusCode::CREATED).await
}

/// Rename or move a department (administrators).
#[utoipa::path(patch, path = "/api/v1/departments/{id}", tag = "org", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The department's ETag, or `*` for whatever version is current (or `version` in the body)")),
    request_body = DepartmentPatch,
    responses((status = 200, body = DepartmentOut, headers(("ETag" = String)))))]
async fn patch_department(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let id = super::records::parse_id(tr, &id)?;
    let current = department(&state, &user, id).await?;
    let change: DepartmentPatch = super::typed_body(tr, body)?;
    let version = super::expected_version(tr, &headers, change.version, current.version)?;
    let (app, actor) = (&state.app, &user.actor);
    let result = match (change.name, change.parent_id) {
        (Some(name), None) => app::org::rename_department(app, actor, id, &name, version).await,
        (None, Some(parent)) => app::org::move_department(app, actor, id, parent, version).await,
        (Some(_), Some(_)) => Err(AppError::field("parent_id", "rename_or_move")),
        (None, None) => Err(AppError::field("name", "required")),
    };
    result.map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    department_response(&state, &user, id, StatusCode::OK).await
}

// ---------------------------------------------------------------- roles

/// A role: what its users may do, on which records (`permissions`: grants per object with
/// actions and a data scope, and field limits).
#[derive(Serialize, ToSchema)]
pub struct RoleOut {
    pub id: Uuid,
    /// The built-in role it was made from (`administrator`, `sales_director`, `sales_manager`,
    /// `sales_rep`), none for the company's own.
    pub key: Option<String>,
    pub name: String,
    #[schema(value_type = Object)]
    pub permissions: Value,
    pub version: i64,
}

impl From<Role> for RoleOut {
    fn from(r: Role) -> Self {
        RoleOut {
            id: r.id,
            key: r.key,
            name: r.name,
            permissions: serde_json::to_value(&r.permissions.0).unwrap_or_default(),
            version: r.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RoleList {
    pub items: Vec<RoleOut>,
}

/// List the roles.
#[utoipa::path(get, path = "/api/v1/roles", tag = "org", security(("bearer" = [])),
    responses((status = 200, body = RoleList)))]
async fn list_roles(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<RoleList>, ApiError> {
    let roles = app::org::list_roles(&state.app, &user.actor)
        .await
        .map_err(fail(user.tr))?;
    Ok(Json(RoleList {
        items: roles.into_iter().map(RoleOut::from).collect(),
    }))
}

/// Read one role.
#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "org", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = RoleOut, headers(("ETag" = String)))))]
async fn read_role(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = super::records::parse_id(user.tr, &id)?;
    let role = app::org::get_role(&state.app, &user.actor, id)
        .await
        .map_err(fail(user.tr))?;
    let version = role.version;
    Ok(versioned(StatusCode::OK, RoleOut::from(role), version, ""))
}
