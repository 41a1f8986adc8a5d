//! Roles and their permission matrix: list, new and edit forms, deleting a role.

use super::{is_form_error, parse_id, parse_version, require_admin, Choice, NoticeQuery};
use crate::error::{page_error, status_of};
use crate::i18n::Tr;
use crate::pages::{see_other, Form};
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::org::RoleInput;
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use domain::permissions::{Action, DataScope, ObjectKind, RolePermissions};
use serde::Deserialize;
use uuid::Uuid;

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

pub(super) async fn roles(
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

pub(super) async fn new_role(user: Signed) -> Response {
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

pub(super) async fn edit_role(
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

pub(super) async fn create_role(
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

pub(super) async fn update_role(
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
pub(super) struct VersionForm {
    version: Option<String>,
}

pub(super) async fn delete_role(
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
}
