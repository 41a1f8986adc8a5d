//! Administration pages: departments, users and roles. Every page needs `org: administer`;
//! the use cases check it again for every change.

use super::{opt, opt_id, see_other, Form};
use crate::error::{page_error, status_of};
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::org::{RoleInput, UserInput};
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::org::depth;
use domain::permissions::{Action, DataScope, ObjectKind, RolePermissions};
use serde::Deserialize;
use store::org::{Department, User};
use uuid::Uuid;

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

// ---------------------------------------------------------------- users

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<User>,
}

async fn users(
    State(state): State<AppState>,
    user: Signed,
    Query(q): Query<NoticeQuery>,
) -> Response {
    if let Err(e) = require_admin(&user) {
        return page_error(user.ctx.tr, e);
    }
    match app::org::list_users(&state.app, &user.actor).await {
        Ok(users) => render(&UsersPage {
            chrome: Chrome::new(&user.ctx, "admin").with_notice(q.notice.as_deref()),
            users,
        })
        .into_response(),
        Err(e) => page_error(user.ctx.tr, e),
    }
}

/// What the user form shows.
#[derive(Default)]
struct UserValues {
    email: String,
    name: String,
    role_id: String,
    department_id: String,
    manager_id: String,
    active: bool,
    /// The IANA zone name as stored or posted; empty for the default.
    time_zone: String,
}

#[derive(Template)]
#[template(path = "admin/user_form.html")]
struct UserFormPage {
    chrome: Chrome,
    /// `None` for a new user.
    id: Option<Uuid>,
    version: i64,
    v: UserValues,
    roles: Vec<Choice>,
    departments: Vec<Choice>,
    managers: Vec<Choice>,
    time_zones: crate::views::TimeZoneChoice,
    errors: FormErrors,
    conflict: bool,
}

async fn user_form_page(
    state: &AppState,
    user: &Signed,
    id: Option<Uuid>,
    version: i64,
    v: UserValues,
    errors: FormErrors,
    conflict: bool,
) -> Result<UserFormPage, AppError> {
    let t = user.ctx.tr;
    let roles = app::org::list_roles(&state.app, &user.actor).await?;
    let depts = app::org::list_departments(&state.app, &user.actor).await?;
    let users = app::org::list_users(&state.app, &user.actor).await?;
    // A user cannot report to themselves or to anyone below them.
    let own = id.map(|i| format!("/{}/", i.simple()));
    let managers = users
        .into_iter()
        .filter(|u| own.as_deref().is_none_or(|p| !u.manager_path.contains(p)))
        .filter(|u| u.active || u.id.to_string() == v.manager_id)
        .map(|u| Choice {
            value: u.id.to_string(),
            label: if u.active {
                u.name
            } else {
                format!("{} ({})", u.name, t.get("admin.users.inactive"))
            },
        })
        .collect();
    Ok(UserFormPage {
        chrome: Chrome::new(&user.ctx, "admin"),
        id,
        version,
        roles: roles
            .into_iter()
            .map(|r| Choice {
                value: r.id.to_string(),
                label: t.role_name(r.key.as_deref(), &r.name).to_string(),
            })
            .collect(),
        departments: department_choices(&depts, None),
        managers,
        time_zones: crate::views::TimeZoneChoice::new(Some(v.time_zone.as_str())),
        v,
        errors,
        conflict,
    })
}

/// Renders the user form again after a refused POST.
async fn user_form_error(
    state: &AppState,
    user: &Signed,
    id: Option<Uuid>,
    version: i64,
    v: UserValues,
    e: AppError,
) -> Response {
    let t = user.ctx.tr;
    let errors = FormErrors::from_app(t, &e);
    let conflict = matches!(e, AppError::Conflict);
    match user_form_page(state, user, id, version, v, errors, conflict).await {
        Ok(page) => (status_of(&e), render(&page)).into_response(),
        Err(e) => page_error(t, e),
    }
}

async fn new_user(State(state): State<AppState>, user: Signed) -> Response {
    if let Err(e) = require_admin(&user) {
        return page_error(user.ctx.tr, e);
    }
    let v = UserValues {
        active: true,
        ..Default::default()
    };
    match user_form_page(&state, &user, None, 0, v, FormErrors::default(), false).await {
        Ok(page) => render(&page).into_response(),
        Err(e) => page_error(user.ctx.tr, e),
    }
}

async fn edit_user(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
) -> Response {
    let t = user.ctx.tr;
    if let Err(e) = require_admin(&user) {
        return page_error(user.ctx.tr, e);
    }
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(user.ctx.tr, e),
    };
    let u = match app::org::get_user(&state.app, &user.actor, id).await {
        Ok(u) => u,
        Err(e) => return page_error(t, e),
    };
    let v = UserValues {
        email: u.email,
        name: u.name,
        role_id: u.role_id.to_string(),
        department_id: u.department_id.map(|d| d.to_string()).unwrap_or_default(),
        manager_id: u.manager_id.map(|m| m.to_string()).unwrap_or_default(),
        active: u.active,
        time_zone: u.time_zone.unwrap_or_default(),
    };
    let page = user_form_page(
        &state,
        &user,
        Some(id),
        u.version,
        v,
        FormErrors::default(),
        false,
    )
    .await;
    match page {
        Ok(page) => render(&page).into_response(),
        Err(e) => page_error(t, e),
    }
}

/// The user form as posted.
#[derive(Deserialize, Default)]
struct UserForm {
    email: Option<String>,
    name: Option<String>,
    password: Option<String>,
    role_id: Option<String>,
    department_id: Option<String>,
    manager_id: Option<String>,
    /// A checkbox: present when ticked.
    active: Option<String>,
    time_zone: Option<String>,
    version: Option<String>,
}

impl UserForm {
    /// The values to show again; a new user is always active.
    fn values(&self, creating: bool) -> UserValues {
        UserValues {
            email: self.email.clone().unwrap_or_default(),
            name: self.name.clone().unwrap_or_default(),
            role_id: opt(&self.role_id).unwrap_or_default(),
            department_id: opt(&self.department_id).unwrap_or_default(),
            manager_id: opt(&self.manager_id).unwrap_or_default(),
            active: creating || self.active.is_some(),
            time_zone: opt(&self.time_zone).unwrap_or_default(),
        }
    }

    /// The posted time zone, refused before anything is saved when it is not one.
    fn time_zone(&self) -> Result<String, AppError> {
        let name = opt(&self.time_zone).unwrap_or_default();
        match name.is_empty() || domain::time::parse_zone(&name).is_some() {
            true => Ok(name),
            false => Err(AppError::field("time_zone", "invalid_time_zone")),
        }
    }

    fn input(&self, creating: bool) -> Result<UserInput, AppError> {
        Ok(UserInput {
            email: self.email.clone().unwrap_or_default(),
            name: self.name.clone().unwrap_or_default(),
            // Passwords are taken as typed, spaces included.
            password: self.password.clone(),
            role_id: opt_id("role_id", &self.role_id)?,
            department_id: opt_id("department_id", &self.department_id)?,
            manager_id: opt_id("manager_id", &self.manager_id)?,
            active: creating || self.active.is_some(),
            locale: None,
        })
    }
}

async fn create_user(
    State(state): State<AppState>,
    user: Signed,
    Form(form): Form<UserForm>,
) -> Response {
    let result = match (form.input(true), form.time_zone()) {
        (Ok(input), Ok(zone)) => {
            match app::org::create_user(&state.app, &user.actor, input).await {
                Ok(id) => app::time_zones::set_time_zone(&state.app, &user.actor, id, &zone).await,
                Err(e) => Err(e),
            }
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(_) => see_other(user.ctx.htmx, "/admin/users?notice=user_created"),
        Err(e) if is_form_error(&e) => {
            user_form_error(&state, &user, None, 0, form.values(true), e).await
        }
        Err(e) => page_error(user.ctx.tr, e),
    }
}

async fn update_user(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<UserForm>,
) -> Response {
    let t = user.ctx.tr;
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(user.ctx.tr, e),
    };
    let version = parse_version(form.version.as_deref());
    let result = match (form.input(false), form.time_zone()) {
        (Ok(input), Ok(zone)) => {
            match app::org::update_user(&state.app, &user.actor, id, version, input).await {
                Ok(()) => app::time_zones::set_time_zone(&state.app, &user.actor, id, &zone).await,
                Err(e) => Err(e),
            }
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(()) => see_other(user.ctx.htmx, "/admin/users?notice=user_saved"),
        Err(e) if is_form_error(&e) => {
            let mut v = form.values(false);
            // The e-mail address is not part of the edit form; show the stored one.
            if let Ok(u) = app::org::get_user(&state.app, &user.actor, id).await {
                v.email = u.email;
            }
            user_form_error(&state, &user, Some(id), version, v, e).await
        }
        Err(e) => page_error(t, e),
    }
}

// ---------------------------------------------------------------- departments

/// One department in the tree. The tree is rendered as nested lists from the rows in path
/// order: after a node either its children's list opens, or its item closes together with
/// `closes` enclosing lists.
struct DeptNode {
    d: Department,
    members: String,
    /// The parent's id, or "" at the top level.
    parent_value: String,
    /// Whether this department's forms are open.
    editing: bool,
    opens_children: bool,
    closes: usize,
}

#[derive(Template)]
#[template(path = "admin/departments.html")]
struct DepartmentsPage {
    chrome: Chrome,
    nodes: Vec<DeptNode>,
    /// Parent choices for a new department.
    parents: Vec<Choice>,
    /// Where the department whose forms are open (`?edit=`) can move to.
    move_targets: Vec<Choice>,
    /// Errors of the create form.
    errors: FormErrors,
    /// Errors of the forms of the department being edited.
    edit_errors: FormErrors,
    /// The same field errors with their labels, for the message on top of the page.
    edit_messages: Vec<String>,
    new_name: String,
    new_parent: String,
    edit_name: String,
}

fn tree_nodes(t: Tr, depts: Vec<Department>, editing: Option<Uuid>) -> Vec<DeptNode> {
    // Levels as rendered: never more than one deeper than the previous row.
    let mut levels = Vec::with_capacity(depts.len());
    let mut prev = 0;
    for d in &depts {
        let level = depth(&d.path).clamp(1, prev + 1);
        levels.push(level);
        prev = level;
    }
    depts
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let level = levels[i];
            let next = levels.get(i + 1).copied().unwrap_or(1);
            DeptNode {
                members: t.fmt(
                    "admin.departments.members",
                    &[("count", &d.member_count.to_string())],
                ),
                parent_value: d.parent_id.map(|p| p.to_string()).unwrap_or_default(),
                editing: editing == Some(d.id),
                d,
                opens_children: next > level,
                closes: level.saturating_sub(next),
            }
        })
        .collect()
}

#[derive(Default)]
struct DeptState {
    editing: Option<Uuid>,
    errors: FormErrors,
    /// Whether `errors` belong to the create form (else to the department being edited).
    create_failed: bool,
    new_name: String,
    new_parent: String,
    edit_name: Option<String>,
}

async fn departments_page(
    state: &AppState,
    user: &Signed,
    notice: Option<&str>,
    s: DeptState,
) -> Result<DepartmentsPage, AppError> {
    let t = user.ctx.tr;
    let depts = app::org::list_departments(&state.app, &user.actor).await?;
    let editing = s
        .editing
        .and_then(|id| depts.iter().find(|d| d.id == id).cloned());
    let move_targets = editing
        .as_ref()
        .map(|e| department_choices(&depts, Some(&e.path)))
        .unwrap_or_default();
    Ok(DepartmentsPage {
        chrome: Chrome::new(&user.ctx, "admin").with_notice(notice),
        parents: department_choices(&depts, None),
        nodes: tree_nodes(t, depts, editing.as_ref().map(|e| e.id)),
        move_targets,
        edit_messages: if s.create_failed {
            Vec::new()
        } else {
            s.errors
                .messages
                .iter()
                .map(|(field, msg)| {
                    let label = match field.as_str() {
                        "name" => t.get("admin.departments.name"),
                        "parent_id" => t.get("admin.departments.parent"),
                        _ => return msg.clone(),
                    };
                    format!("{label}{}{msg}", if t.is_zh() { "：" } else { ": " })
                })
                .collect()
        },
        errors: if s.create_failed {
            s.errors.clone()
        } else {
            FormErrors::default()
        },
        edit_errors: if s.create_failed {
            FormErrors::default()
        } else {
            s.errors
        },
        new_name: s.new_name,
        new_parent: s.new_parent,
        edit_name: s
            .edit_name
            .or_else(|| editing.map(|e| e.name))
            .unwrap_or_default(),
    })
}

async fn departments_error(state: &AppState, user: &Signed, s: DeptState, e: AppError) -> Response {
    let t = user.ctx.tr;
    let s = DeptState {
        errors: FormErrors::from_app(t, &e),
        ..s
    };
    match departments_page(state, user, None, s).await {
        Ok(page) => (status_of(&e), render(&page)).into_response(),
        Err(e) => page_error(t, e),
    }
}

#[derive(Deserialize)]
struct DepartmentsQuery {
    notice: Option<String>,
    edit: Option<String>,
}

async fn departments(
    State(state): State<AppState>,
    user: Signed,
    Query(q): Query<DepartmentsQuery>,
) -> Response {
    if let Err(e) = require_admin(&user) {
        return page_error(user.ctx.tr, e);
    }
    let s = DeptState {
        editing: opt(&q.edit).and_then(|e| Uuid::parse_str(&e).ok()),
        ..Default::default()
    };
    match departments_page(&state, &user, q.notice.as_deref(), s).await {
        Ok(page) => render(&page).into_response(),
        Err(e) => page_error(user.ctx.tr, e),
    }
}

#[derive(Deserialize)]
struct DepartmentForm {
    name: Option<String>,
    parent_id: Option<String>,
    version: Option<String>,
}

async fn create_department(
    State(state): State<AppState>,
    user: Signed,
    Form(form): Form<DepartmentForm>,
) -> Response {
    let name = form.name.clone().unwrap_or_default();
    let result = match opt_id("parent_id", &form.parent_id) {
        Ok(parent) => app::org::create_department(&state.app, &user.actor, &name, parent).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(
            user.ctx.htmx,
            "/admin/departments?notice=department_created",
        ),
        Err(e) if is_form_error(&e) => {
            let s = DeptState {
                create_failed: true,
                new_name: name,
                new_parent: opt(&form.parent_id).unwrap_or_default(),
                ..Default::default()
            };
            departments_error(&state, &user, s, e).await
        }
        Err(e) => page_error(user.ctx.tr, e),
    }
}

/// What a department form asks for.
enum DeptChange {
    Rename,
    Move,
    Delete,
}

async fn change_department(
    state: AppState,
    user: Signed,
    id: String,
    form: DepartmentForm,
    change: DeptChange,
) -> Response {
    let t = user.ctx.tr;
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(user.ctx.tr, e),
    };
    let version = parse_version(form.version.as_deref());
    let (app, actor) = (&state.app, &user.actor);
    let (result, notice) = match change {
        DeptChange::Rename => {
            let name = form.name.as_deref().unwrap_or_default();
            (
                app::org::rename_department(app, actor, id, name, version).await,
                "department_renamed",
            )
        }
        DeptChange::Move => {
            let result = match opt_id("parent_id", &form.parent_id) {
                Ok(parent) => app::org::move_department(app, actor, id, parent, version).await,
                Err(e) => Err(e),
            };
            (result, "department_moved")
        }
        DeptChange::Delete => (
            app::org::delete_department(app, actor, id, version).await,
            "department_deleted",
        ),
    };
    match result {
        Ok(()) => see_other(
            user.ctx.htmx,
            &format!("/admin/departments?notice={notice}"),
        ),
        Err(e) if is_form_error(&e) => {
            let s = DeptState {
                editing: Some(id),
                edit_name: form.name.clone(),
                ..Default::default()
            };
            departments_error(&state, &user, s, e).await
        }
        Err(e) => page_error(t, e),
    }
}

async fn rename_department(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<DepartmentForm>,
) -> Response {
    change_department(state, user, id, form, DeptChange::Rename).await
}

async fn move_department(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<DepartmentForm>,
) -> Response {
    change_department(state, user, id, form, DeptChange::Move).await
}

async fn delete_department(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<DepartmentForm>,
) -> Response {
    change_department(state, user, id, form, DeptChange::Delete).await
}

// ---------------------------------------------------------------- roles

struct RoleRow {
    id: Uuid,
    name: String,
    builtin: bool,
    /// One line per object the role has any action on.
    grants: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/roles.html")]
struct RolesPage {
    chrome: Chrome,
    roles: Vec<RoleRow>,
}

/// "Accounts: Create, View · Own department" for each granted object.
fn grant_summary(t: Tr, permissions: &RolePermissions) -> Vec<String> {
    ObjectKind::ALL
        .into_iter()
        .filter_map(|o| {
            let g = permissions.grant(o).filter(|g| !g.actions.is_empty())?;
            let actions: Vec<String> = o
                .actions()
                .iter()
                .filter(|a| g.allows(**a))
                .map(|a| t.key("admin.action.", a.key()))
                .collect();
            let sep = if t.is_zh() { "、" } else { ", " };
            let mut line = format!(
                "{}{}{}",
                t.key("admin.object.", o.key()),
                if t.is_zh() { "：" } else { ": " },
                actions.join(sep)
            );
            if o.has_scope() {
                line.push_str(" · ");
                line.push_str(&t.key("admin.scope.", g.scope.key()));
            }
            Some(line)
        })
        .collect()
}

async fn roles(
    State(state): State<AppState>,
    user: Signed,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let t = user.ctx.tr;
    if let Err(e) = require_admin(&user) {
        return page_error(user.ctx.tr, e);
    }
    match app::org::list_roles(&state.app, &user.actor).await {
        Ok(roles) => render(&RolesPage {
            chrome: Chrome::new(&user.ctx, "admin").with_notice(q.notice.as_deref()),
            roles: roles
                .into_iter()
                .map(|r| RoleRow {
                    id: r.id,
                    grants: grant_summary(t, &r.permissions.0),
                    builtin: r.key.is_some(),
                    name: t.role_name(r.key.as_deref(), &r.name).to_string(),
                })
                .collect(),
        })
        .into_response(),
        Err(e) => page_error(t, e),
    }
}

/// One checkbox of the permission matrix; `available` is false where the action means
/// nothing for the object.
struct MatrixCell {
    action: &'static str,
    label: String,
    available: bool,
    checked: bool,
}

struct MatrixRow {
    object: &'static str,
    label: String,
    cells: Vec<MatrixCell>,
    has_scope: bool,
    scope: String,
    /// Field errors of this object's actions or scope.
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/role_form.html")]
struct RoleFormPage {
    chrome: Chrome,
    /// `None` for a new role.
    id: Option<Uuid>,
    version: i64,
    name: String,
    builtin: bool,
    /// Column headers: every action.
    actions: Vec<Choice>,
    scopes: Vec<Choice>,
    rows: Vec<MatrixRow>,
    errors: FormErrors,
    conflict: bool,
}

impl RoleFormPage {
    fn new(user: &Signed, id: Option<Uuid>, version: i64, name: String) -> Self {
        let t = user.ctx.tr;
        Self {
            chrome: Chrome::new(&user.ctx, "admin"),
            id,
            version,
            name,
            builtin: false,
            actions: Action::ALL
                .iter()
                .map(|a| Choice {
                    value: a.key().into(),
                    label: t.key("admin.action.", a.key()),
                })
                .collect(),
            scopes: DataScope::ALL
                .iter()
                .map(|s| Choice {
                    value: s.key().into(),
                    label: t.key("admin.scope.", s.key()),
                })
                .collect(),
            rows: Vec::new(),
            errors: FormErrors::default(),
            conflict: false,
        }
    }

    /// Fills the matrix from "is this action ticked" and "which scope" per object.
    fn matrix(
        mut self,
        t: Tr,
        checked: impl Fn(ObjectKind, Action) -> bool,
        scope: impl Fn(ObjectKind) -> String,
    ) -> Self {
        self.rows = ObjectKind::ALL
            .into_iter()
            .map(|o| MatrixRow {
                object: o.key(),
                label: t.key("admin.object.", o.key()),
                cells: Action::ALL
                    .into_iter()
                    .map(|a| MatrixCell {
                        action: a.key(),
                        label: t.key("admin.action.", a.key()),
                        available: o.actions().contains(&a),
                        checked: o.actions().contains(&a) && checked(o, a),
                    })
                    .collect(),
                has_scope: o.has_scope(),
                scope: scope(o),
                error: None,
            })
            .collect();
        self
    }

    fn with_permissions(self, t: Tr, p: &RolePermissions) -> Self {
        self.matrix(
            t,
            |o, a| p.allows(o, a),
            |o| {
                p.grant(o)
                    .map_or(DataScope::Own, |g| g.scope)
                    .key()
                    .to_string()
            },
        )
    }

    fn with_input(self, t: Tr, input: &RoleInput) -> Self {
        let grant = |o: ObjectKind| input.grants.iter().find(|g| g.0 == o.key());
        self.matrix(
            t,
            |o, a| grant(o).is_some_and(|g| g.1.iter().any(|k| k == a.key())),
            |o| grant(o).map(|g| g.2.clone()).unwrap_or_default(),
        )
    }

    /// Shows why a POST was refused: the general message on top, field errors by their row.
    fn with_error(mut self, t: Tr, e: &AppError) -> Self {
        self.errors = FormErrors::from_app(t, e);
        self.conflict = matches!(e, AppError::Conflict);
        let colon = if t.is_zh() { "：" } else { ": " };
        for row in &mut self.rows {
            let messages: Vec<String> = [
                ("actions", "admin.roles.permissions"),
                ("scope", "admin.roles.scope"),
            ]
            .iter()
            .filter_map(|(field, label)| {
                let msg = self.errors.get(&format!("{}.{field}", row.object))?;
                Some(format!("{}{colon}{msg}", t.get(label)))
            })
            .collect();
            if !messages.is_empty() {
                row.error = Some(format!("{} · {}", row.label, messages.join(" ")));
            }
        }
        self
    }
}

/// Reads the role form: `name`, `version`, and per object `<object>.actions` (repeated) and
/// `<object>.scope`. Every object gets an entry, so unticking everything revokes it.
fn role_input(pairs: Vec<(String, String)>) -> (RoleInput, i64) {
    let mut name = String::new();
    let mut version = -1;
    let mut grants: Vec<(String, Vec<String>, String)> = ObjectKind::ALL
        .iter()
        .map(|o| (o.key().to_string(), Vec::new(), String::new()))
        .collect();
    fn entry<'a>(
        grants: &'a mut Vec<(String, Vec<String>, String)>,
        object: &str,
    ) -> &'a mut (String, Vec<String>, String) {
        match grants.iter().position(|g| g.0 == object) {
            Some(i) => &mut grants[i],
            None => {
                grants.push((object.to_string(), Vec::new(), String::new()));
                grants.last_mut().expect("just pushed")
            }
        }
    }
    for (key, value) in pairs {
        if key == "name" {
            name = value;
        } else if key == "version" {
            version = parse_version(Some(&value));
        } else if let Some(object) = key.strip_suffix(".actions") {
            entry(&mut grants, object).1.push(value);
        } else if let Some(object) = key.strip_suffix(".scope") {
            entry(&mut grants, object).2 = value;
        }
    }
    (RoleInput { name, grants }, version)
}

async fn new_role(user: Signed) -> Response {
    if let Err(e) = require_admin(&user) {
        return page_error(user.ctx.tr, e);
    }
    let t = user.ctx.tr;
    let page = RoleFormPage::new(&user, None, 0, String::new())
        .with_permissions(t, &RolePermissions::default());
    render(&page).into_response()
}

/// The form of a stored role, its name in the reader's language when it is a built-in one.
fn stored_role_page(user: &Signed, id: Uuid, role: &store::org::Role) -> RoleFormPage {
    let t = user.ctx.tr;
    let name = t.role_name(role.key.as_deref(), &role.name).to_string();
    let mut page = RoleFormPage::new(user, Some(id), role.version, name)
        .with_permissions(t, &role.permissions.0);
    page.builtin = role.key.is_some();
    page
}

async fn edit_role(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
) -> Response {
    let t = user.ctx.tr;
    if let Err(e) = require_admin(&user) {
        return page_error(user.ctx.tr, e);
    }
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(user.ctx.tr, e),
    };
    match app::org::get_role(&state.app, &user.actor, id).await {
        Ok(role) => render(&stored_role_page(&user, id, &role)).into_response(),
        Err(e) => page_error(t, e),
    }
}

/// Renders the role form again after a refused POST, with what was submitted.
async fn role_form_error(
    state: &AppState,
    user: &Signed,
    id: Option<Uuid>,
    version: i64,
    input: &RoleInput,
    e: AppError,
) -> Response {
    let t = user.ctx.tr;
    let mut page = RoleFormPage::new(user, id, version, input.name.clone()).with_input(t, input);
    if let Some(id) = id {
        if let Ok(role) = app::org::get_role(&state.app, &user.actor, id).await {
            page.builtin = role.key.is_some();
        }
    }
    (status_of(&e), render(&page.with_error(t, &e))).into_response()
}

async fn create_role(
    State(state): State<AppState>,
    user: Signed,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (input, _) = role_input(pairs);
    let shown = RoleInput {
        name: input.name.clone(),
        grants: input.grants.clone(),
    };
    match app::org::create_role(&state.app, &user.actor, input).await {
        Ok(_) => see_other(user.ctx.htmx, "/admin/roles?notice=role_created"),
        Err(e) if is_form_error(&e) => role_form_error(&state, &user, None, 0, &shown, e).await,
        Err(e) => page_error(user.ctx.tr, e),
    }
}

async fn update_role(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let t = user.ctx.tr;
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(user.ctx.tr, e),
    };
    let (input, version) = role_input(pairs);
    let shown = RoleInput {
        name: input.name.clone(),
        grants: input.grants.clone(),
    };
    match app::org::update_role(&state.app, &user.actor, id, version, input).await {
        Ok(()) => see_other(user.ctx.htmx, "/admin/roles?notice=role_saved"),
        Err(e) if is_form_error(&e) => {
            role_form_error(&state, &user, Some(id), version, &shown, e).await
        }
        Err(e) => page_error(t, e),
    }
}

#[derive(Deserialize)]
struct VersionForm {
    version: Option<String>,
}

async fn delete_role(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<VersionForm>,
) -> Response {
    let t = user.ctx.tr;
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(user.ctx.tr, e),
    };
    let version = parse_version(form.version.as_deref());
    match app::org::delete_role(&state.app, &user.actor, id, version).await {
        Ok(()) => see_other(user.ctx.htmx, "/admin/roles?notice=role_deleted"),
        Err(e) if is_form_error(&e) => {
            match app::org::get_role(&state.app, &user.actor, id).await {
                // Show the role as stored, with the reason it was not deleted.
                Ok(role) => {
                    let page = stored_role_page(&user, id, &role).with_error(t, &e);
                    (status_of(&e), render(&page)).into_response()
                }
                Err(e) => page_error(t, e),
            }
        }
        Err(e) => page_error(t, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn role_form_collects_repeated_actions_per_object() {
        let (input, version) = role_input(pairs(&[
            ("csrf_token", "x"),
            ("name", "Region manager"),
            ("version", "3"),
            ("account.actions", "read"),
            ("account.actions", "create"),
            ("account.scope", "department_tree"),
            ("org.scope", ""),
        ]));
        assert_eq!(version, 3);
        assert_eq!(input.name, "Region manager");
        let account = input.grants.iter().find(|g| g.0 == "account").unwrap();
        assert_eq!(account.1, vec!["read", "create"]);
        assert_eq!(account.2, "department_tree");
        // Unticked objects are still sent, so saving revokes them.
        let org = input.grants.iter().find(|g| g.0 == "org").unwrap();
        assert!(org.1.is_empty());
        assert_eq!(input.grants.len(), ObjectKind::ALL.len());
    }

    #[test]
    fn role_form_keeps_unknown_objects_for_validation() {
        let (input, version) = role_input(pairs(&[("lead.actions", "read")]));
        assert_eq!(version, -1);
        assert!(input.grants.iter().any(|g| g.0 == "lead"));
    }

    fn dept(parent: Option<&Department>, name: &str) -> Department {
        let id = Uuid::now_v7();
        Department {
            id,
            parent_id: parent.map(|p| p.id),
            name: name.into(),
            path: domain::org::child_path(parent.map(|p| p.path.as_str()), id),
            version: 1,
            member_count: 0,
        }
    }

    #[test]
    fn tree_nodes_open_and_close_nested_lists() {
        let a = dept(None, "a");
        let b = dept(Some(&a), "b");
        let c = dept(Some(&b), "c");
        let d = dept(None, "d");
        let nodes = tree_nodes(Tr::new(Lang::En), vec![a, b, c, d], None);
        let shape: Vec<(bool, usize)> =
            nodes.iter().map(|n| (n.opens_children, n.closes)).collect();
        assert_eq!(shape, vec![(true, 0), (true, 0), (false, 2), (false, 0)]);
        // Every list opened is closed again.
        let opened = nodes.iter().filter(|n| n.opens_children).count();
        let closed: usize = nodes.iter().map(|n| n.closes).sum();
        assert_eq!(opened, closed);
    }
}
