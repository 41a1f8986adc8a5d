//! The department tree: adding, renaming, moving and deleting departments.

use super::{department_choices, is_form_error, parse_id, parse_version, require_admin, Choice};
use crate::error::{page_error, status_of};
use crate::i18n::Tr;
use crate::pages::{opt, opt_id, see_other, Form};
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use domain::org::depth;
use serde::Deserialize;
use store::org::Department;
use uuid::Uuid;

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
pub(super) struct DepartmentsQuery {
    notice: Option<String>,
    edit: Option<String>,
}

pub(super) async fn departments(
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
pub(super) struct DepartmentForm {
    name: Option<String>,
    parent_id: Option<String>,
    version: Option<String>,
}

pub(super) async fn create_department(
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

pub(super) async fn rename_department(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<DepartmentForm>,
) -> Response {
    change_department(state, user, id, form, DeptChange::Rename).await
}

pub(super) async fn move_department(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<DepartmentForm>,
) -> Response {
    change_department(state, user, id, form, DeptChange::Move).await
}

pub(super) async fn delete_department(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<DepartmentForm>,
) -> Response {
    change_department(state, user, id, form, DeptChange::Delete).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

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
