//! Administration pages: departments, users and roles. Every page needs `org: administer`;
//! the use cases check it again for every change.

use crate::session::Signed;
use crate::AppState;
use app::AppError;
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::Router;
use domain::org::depth;
use domain::permissions::{Action, ObjectKind};
use serde::Deserialize;
use store::org::Department;
use uuid::Uuid;

mod departments;
mod roles;
mod users;

use departments::{
    create_department, delete_department, departments, move_department, rename_department,
};
use roles::{create_role, delete_role, edit_role, new_role, roles, update_role};
use users::{create_user, edit_user, new_user, update_user, users};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/new", get(new_user))
        .route("/admin/users/{id}", get(edit_user).post(update_user))
        .route(
            "/admin/departments",
            get(departments).post(create_department),
        )
        .route("/admin/departments/{id}/rename", post(rename_department))
        .route("/admin/departments/{id}/move", post(move_department))
        .route("/admin/departments/{id}/delete", post(delete_department))
        .route("/admin/roles", get(roles).post(create_role))
        .route("/admin/roles/new", get(new_role))
        .route("/admin/roles/{id}", get(edit_role).post(update_role))
        .route("/admin/roles/{id}/delete", post(delete_role))
}

// ---------------------------------------------------------------- shared

/// A choice of a select: (value, label).
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

/// The record version a form carried; a missing or malformed one can only be stale.
fn parse_version(raw: Option<&str>) -> i64 {
    raw.and_then(|v| v.trim().parse().ok()).unwrap_or(-1)
}

/// GET pages answer 403 to anyone who may not administer the org.
fn require_admin(user: &Signed) -> Result<(), AppError> {
    user.actor.require(ObjectKind::Org, Action::Administer)
}

/// Errors a page shows next to its form (the others become an error page).
fn is_form_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Validation(_) | AppError::Rule(_) | AppError::Conflict
    )
}

/// Departments as select options, indented by depth. Departments at or below `exclude_path`
/// (a department and its subtree, which it cannot be moved under) are left out.
fn department_choices(depts: &[Department], exclude_path: Option<&str>) -> Vec<Choice> {
    depts
        .iter()
        .filter(|d| exclude_path.is_none_or(|p| !d.path.starts_with(p)))
        .map(|d| Choice {
            value: d.id.to_string(),
            label: format!(
                "{}{}",
                "\u{a0}\u{a0}\u{a0}".repeat(depth(&d.path).saturating_sub(1)),
                d.name
            ),
        })
        .collect()
}

async fn home(_user: Signed) -> Redirect {
    Redirect::to("/admin/users")
}
