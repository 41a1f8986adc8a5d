//! The users of the company: list, new and edit forms.

use super::{
    department_choices, is_form_error, parse_id, parse_version, require_admin, Choice, NoticeQuery,
};
use crate::error::{page_error, status_of};
use crate::pages::{opt, opt_id, see_other, Form};
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::org::UserInput;
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use store::org::User;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<User>,
}

pub(super) async fn users(
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
pub(super) struct UserFormPage {
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

pub(super) async fn new_user(State(state): State<AppState>, user: Signed) -> Response {
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

pub(super) async fn edit_user(
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
pub(super) struct UserForm {
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

pub(super) async fn create_user(
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

pub(super) async fn update_user(
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
