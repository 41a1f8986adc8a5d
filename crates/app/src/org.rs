//! Administration of the org: departments, users and roles. Requires `org: administer`
//! for changes; reading the org needs `org: read`.

use crate::audit::changes;
use crate::auth::LOCALES;
use crate::secrets;
use crate::{Actor, App, AppError, AppResult};
use domain::org::{child_path, depth, would_cycle, MAX_DEPARTMENT_DEPTH};
use domain::permissions::{Action, DataScope, Grant, ObjectKind, RolePermissions};
use domain::validation::{is_plausible_email, normalize_email, required_text, FieldErrors};
use serde_json::json;
use std::sync::Arc;
use store::org::{self, Department, NewUser, Role, User, UserUpdate};
use store::Tx;
use uuid::Uuid;

fn too_deep() -> AppError {
    let mut errors = FieldErrors::new();
    errors.add_limit("parent_id", "too_deep", MAX_DEPARTMENT_DEPTH as i64);
    AppError::Validation(errors)
}

fn admin(actor: &Actor) -> AppResult<()> {
    actor.require(ObjectKind::Org, Action::Administer)
}

async fn audit_org(
    tx: &mut Tx,
    app: &App,
    actor: &Actor,
    action: &str,
    object: &str,
    id: Uuid,
    detail: serde_json::Value,
) -> AppResult<()> {
    crate::audit::by(tx, actor, app.now(), object, action, Some(id), detail).await
}

// ---------------------------------------------------------------- departments

pub async fn list_departments(app: &App, actor: &Actor) -> AppResult<Vec<Department>> {
    actor.require(ObjectKind::Org, Action::Read)?;
    let mut tx = app.db.begin_read().await?;
    Ok(org::list_departments(&mut tx, actor.tenant_id()).await?)
}

fn department_name(name: &str) -> AppResult<String> {
    let mut errors = FieldErrors::new();
    let name = required_text(&mut errors, "name", Some(name), 100);
    errors.into_result()?;
    Ok(name)
}

async fn parent_department(
    tx: &mut Tx,
    tenant_id: Uuid,
    parent: Option<Uuid>,
) -> AppResult<Option<Department>> {
    match parent {
        None => Ok(None),
        Some(id) => org::get_department(tx, tenant_id, id)
            .await?
            .map(Some)
            .ok_or_else(|| AppError::field("parent_id", "invalid_reference")),
    }
}

fn map_unique(e: store::StoreError, field: &str, code: &'static str) -> AppError {
    if e.is_unique_violation() {
        AppError::field(field, code)
    } else {
        e.into()
    }
}

pub async fn create_department(
    app: &App,
    actor: &Actor,
    name: &str,
    parent: Option<Uuid>,
) -> AppResult<Uuid> {
    admin(actor)?;
    let name = department_name(name)?;
    let mut tx = app.db.begin().await?;
    let parent = parent_department(&mut tx, actor.tenant_id(), parent).await?;
    let id = Uuid::now_v7();
    let path = child_path(parent.as_ref().map(|p| p.path.as_str()), id);
    if depth(&path) > MAX_DEPARTMENT_DEPTH {
        return Err(too_deep());
    }
    org::insert_department(
        &mut tx,
        actor.tenant_id(),
        id,
        parent.map(|p| p.id),
        &name,
        &path,
        app.now(),
    )
    .await
    .map_err(|e| map_unique(e, "name", "duplicate_name"))?;
    audit_org(
        &mut tx,
        app,
        actor,
        "create",
        "department",
        id,
        serde_json::json!({ "name": name }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn rename_department(
    app: &App,
    actor: &Actor,
    id: Uuid,
    name: &str,
    version: i64,
) -> AppResult<()> {
    admin(actor)?;
    let name = department_name(name)?;
    let mut tx = app.db.begin().await?;
    let current = org::get_department(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !org::rename_department(&mut tx, actor.tenant_id(), id, &name, (version, app.now()))
        .await
        .map_err(|e| map_unique(e, "name", "duplicate_name"))?
    {
        return Err(AppError::Conflict);
    }
    audit_org(
        &mut tx,
        app,
        actor,
        "rename",
        "department",
        id,
        json!({ "name": name, "changes": changes(&[("name", json!(current.name), json!(name))]) }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn move_department(
    app: &App,
    actor: &Actor,
    id: Uuid,
    new_parent: Option<Uuid>,
    version: i64,
) -> AppResult<()> {
    admin(actor)?;
    let mut tx = app.db.begin().await?;
    let dept = org::get_department(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let parent = parent_department(&mut tx, actor.tenant_id(), new_parent).await?;
    if let Some(p) = &parent {
        if would_cycle(&dept.path, &p.path) {
            return Err(AppError::field("parent_id", "cycle"));
        }
    }
    let new_path = child_path(parent.as_ref().map(|p| p.path.as_str()), id);
    let new_parent_name = parent.as_ref().map(|p| p.name.clone());
    let old_parent = match dept.parent_id {
        Some(pid) => org::get_department(&mut tx, actor.tenant_id(), pid)
            .await?
            .map(|p| p.name),
        None => None,
    };
    let subtree_depth = org::list_departments(&mut tx, actor.tenant_id())
        .await?
        .iter()
        .filter(|d| d.path.starts_with(&dept.path))
        .map(|d| depth(&d.path) - depth(&dept.path))
        .max()
        .unwrap_or(0);
    if depth(&new_path) + subtree_depth > MAX_DEPARTMENT_DEPTH {
        return Err(too_deep());
    }
    if !org::move_department(
        &mut tx,
        actor.tenant_id(),
        id,
        parent.map(|p| p.id),
        &dept.path,
        &new_path,
        (version, app.now()),
    )
    .await
    .map_err(|e| map_unique(e, "parent_id", "duplicate_name"))?
    {
        return Err(AppError::Conflict);
    }
    audit_org(&mut tx, app, actor,
        "move",
        "department",
        id,
        json!({ "name": dept.name, "changes": changes(&[("parent", json!(old_parent), json!(new_parent_name))]) }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_department(app: &App, actor: &Actor, id: Uuid, version: i64) -> AppResult<()> {
    admin(actor)?;
    let mut tx = app.db.begin().await?;
    let dept = org::get_department(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if org::department_in_use(&mut tx, actor.tenant_id(), id).await? {
        return Err(AppError::Rule("department_not_empty"));
    }
    if !org::delete_department(&mut tx, actor.tenant_id(), id, version).await? {
        return Err(AppError::Conflict);
    }
    audit_org(
        &mut tx,
        app,
        actor,
        "delete",
        "department",
        id,
        json!({ "name": dept.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- users

pub struct UserInput {
    pub email: String,
    pub name: String,
    pub password: Option<String>,
    pub role_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    pub active: bool,
    pub locale: Option<String>,
}

pub async fn list_users(app: &App, actor: &Actor) -> AppResult<Vec<User>> {
    actor.require(ObjectKind::Org, Action::Read)?;
    let mut tx = app.db.begin_read().await?;
    Ok(org::list_users(&mut tx, actor.tenant_id(), 5000).await?)
}

/// The active users as (id, name), for owner pick-lists.
pub async fn user_choices(app: &App, actor: &Actor) -> AppResult<Arc<Vec<(Uuid, String)>>> {
    actor.require(ObjectKind::Org, Action::Read)?;
    let now = app.now();
    if let Some(choices) = app.user_choices.get(&actor.tenant_id(), now) {
        return Ok(choices);
    }
    let epoch = store::org_epoch();
    let mut tx = app.db.begin_read().await?;
    let choices = Arc::new(org::user_choices(&mut tx, actor.tenant_id(), 5000).await?);
    app.user_choices
        .put(actor.tenant_id(), choices.clone(), epoch, now);
    Ok(choices)
}

pub async fn get_user(app: &App, actor: &Actor, id: Uuid) -> AppResult<User> {
    actor.require(ObjectKind::Org, Action::Read)?;
    let mut tx = app.db.begin_read().await?;
    org::get_user(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Checks the references of a user form; returns the manager path the user will have.
async fn check_user_refs(
    tx: &mut Tx,
    tenant_id: Uuid,
    user_id: Uuid,
    input: &UserInput,
    errors: &mut FieldErrors,
) -> AppResult<String> {
    match input.role_id {
        None => errors.add("role_id", "required"),
        Some(role) => {
            if org::get_role(tx, tenant_id, role).await?.is_none() {
                errors.add("role_id", "invalid_reference");
            }
        }
    }
    if let Some(dept) = input.department_id {
        if org::get_department(tx, tenant_id, dept).await?.is_none() {
            errors.add("department_id", "invalid_reference");
        }
    }
    let mut manager_path = child_path(None, user_id);
    if let Some(manager) = input.manager_id {
        match org::get_user(tx, tenant_id, manager).await? {
            None => errors.add("manager_id", "invalid_reference"),
            Some(m) => {
                let own_path = child_path(None, user_id);
                if manager == user_id || m.manager_path.contains(&own_path[1..]) {
                    errors.add("manager_id", "cycle");
                } else {
                    manager_path = child_path(Some(&m.manager_path), user_id);
                }
            }
        }
    }
    if let Some(locale) = &input.locale {
        if !LOCALES.contains(&locale.as_str()) {
            errors.add("locale", "invalid_choice");
        }
    }
    Ok(manager_path)
}

pub async fn create_user(app: &App, actor: &Actor, input: UserInput) -> AppResult<Uuid> {
    admin(actor)?;
    create_user_unchecked(app, actor.tenant_id(), Some(actor.id()), input).await
}

/// Creates a user without a permission check: for the command line, which acts as the system.
pub async fn create_user_unchecked(
    app: &App,
    tenant_id: Uuid,
    actor_id: Option<Uuid>,
    input: UserInput,
) -> AppResult<Uuid> {
    let mut errors = FieldErrors::new();
    let email = normalize_email(&input.email);
    if email.is_empty() {
        errors.add("email", "required");
    } else if !is_plausible_email(&email) {
        errors.add("email", "invalid_email");
    }
    let name = required_text(&mut errors, "name", Some(&input.name), 100);
    let password = input.password.clone().unwrap_or_default();
    let len = password.chars().count();
    if len < secrets::PASSWORD_MIN {
        errors.add_limit(
            "password",
            "password_too_short",
            secrets::PASSWORD_MIN as i64,
        );
    } else if len > secrets::PASSWORD_MAX {
        errors.add_limit("password", "too_long", secrets::PASSWORD_MAX as i64);
    }
    let id = Uuid::now_v7();
    let hash = if errors.is_empty() {
        secrets::hash_password(password).await?
    } else {
        String::new()
    };
    let mut tx = app.db.begin().await?;
    let manager_path = check_user_refs(&mut tx, tenant_id, id, &input, &mut errors).await?;
    if errors.for_field("email").is_none() && org::email_taken(&mut tx, &email).await? {
        errors.add("email", "email_taken");
    }
    errors.into_result()?;
    let role_id = input
        .role_id
        .ok_or_else(|| AppError::field("role_id", "required"))?;
    org::insert_user(
        &mut tx,
        tenant_id,
        &NewUser {
            id,
            email: &email,
            name: &name,
            password_hash: &hash,
            role_id,
            department_id: input.department_id,
            manager_id: input.manager_id,
            manager_path: &manager_path,
            locale: input.locale.as_deref(),
        },
        app.now(),
    )
    .await
    .map_err(|e| map_unique(e, "email", "email_taken"))?;
    let role_name = org::get_role(&mut tx, tenant_id, role_id)
        .await?
        .map(|r| r.name);
    crate::audit::record(
        &mut tx,
        tenant_id,
        actor_id,
        app.now(),
        "user",
        "create",
        Some(id),
        json!({ "name": name, "email": email, "role": role_name }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Roles whose grants include administering the org.
async fn admin_role_ids(tx: &mut Tx, tenant_id: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(org::list_roles(tx, tenant_id)
        .await?
        .into_iter()
        .filter(|r| r.permissions.0.allows(ObjectKind::Org, Action::Administer))
        .map(|r| r.id)
        .collect())
}

pub async fn update_user(
    app: &App,
    actor: &Actor,
    id: Uuid,
    version: i64,
    input: UserInput,
) -> AppResult<()> {
    admin(actor)?;
    let mut errors = FieldErrors::new();
    let name = required_text(&mut errors, "name", Some(&input.name), 100);
    let mut tx = app.db.begin().await?;
    let current = org::get_user(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let manager_path = check_user_refs(&mut tx, actor.tenant_id(), id, &input, &mut errors).await?;
    errors.into_result()?;
    let role_id = input
        .role_id
        .ok_or_else(|| AppError::field("role_id", "required"))?;
    if current.version != version {
        return Err(AppError::Conflict);
    }
    let update = UserUpdate {
        name: &name,
        role_id,
        department_id: input.department_id,
        manager_id: input.manager_id,
        active: input.active,
        locale: input.locale.as_deref().or(current.locale.as_deref()),
    };
    if !org::update_user(
        &mut tx,
        actor.tenant_id(),
        id,
        (version, app.now()),
        &update,
        &current.manager_path,
        &manager_path,
    )
    .await?
    {
        return Err(AppError::Conflict);
    }
    // The company must keep at least one active administrator.
    let admin_roles = admin_role_ids(&mut tx, actor.tenant_id()).await?;
    if org::count_active_admins(&mut tx, actor.tenant_id(), &admin_roles).await? == 0 {
        return Err(AppError::Rule("last_admin"));
    }
    if !input.active && current.active {
        store::auth::delete_user_sessions(&mut tx, actor.tenant_id(), id, None).await?;
    }
    let after = org::get_user(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let action = match (current.active, after.active) {
        (true, false) => "deactivate",
        (false, true) => "activate",
        _ => "update",
    };
    let detail = json!({ "name": after.name, "changes": user_changes(&current, &after) });
    audit_org(&mut tx, app, actor, action, "user", id, detail).await?;
    tx.commit().await?;
    Ok(())
}

/// What an edit changed in a user, with names rather than ids.
fn user_changes(before: &User, after: &User) -> serde_json::Value {
    changes(&[
        ("name", json!(before.name), json!(after.name)),
        ("role", json!(before.role_name), json!(after.role_name)),
        (
            "department",
            json!(before.department_name),
            json!(after.department_name),
        ),
        (
            "manager",
            json!(before.manager_name),
            json!(after.manager_name),
        ),
        ("active", json!(before.active), json!(after.active)),
        ("locale", json!(before.locale), json!(after.locale)),
    ])
}

// ---------------------------------------------------------------- roles

pub async fn list_roles(app: &App, actor: &Actor) -> AppResult<Vec<Role>> {
    actor.require(ObjectKind::Org, Action::Read)?;
    let mut tx = app.db.begin_read().await?;
    Ok(org::list_roles(&mut tx, actor.tenant_id()).await?)
}

pub async fn get_role(app: &App, actor: &Actor, id: Uuid) -> AppResult<Role> {
    actor.require(ObjectKind::Org, Action::Read)?;
    let mut tx = app.db.begin_read().await?;
    org::get_role(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A role as submitted: a name and, per object, the granted action keys and a scope key.
pub struct RoleInput {
    pub name: String,
    pub grants: Vec<(String, Vec<String>, String)>,
}

fn parse_role(input: &RoleInput) -> AppResult<(String, RolePermissions)> {
    let mut errors = FieldErrors::new();
    let name = required_text(&mut errors, "name", Some(&input.name), 100);
    let mut permissions = RolePermissions::default();
    for (object_key, action_keys, scope_key) in &input.grants {
        let Some(object) = ObjectKind::ALL.into_iter().find(|o| o.key() == object_key) else {
            errors.add("permissions", "invalid_choice");
            continue;
        };
        let mut actions = Vec::new();
        for key in action_keys {
            match Action::parse(key).filter(|a| object.actions().contains(a)) {
                Some(a) if !actions.contains(&a) => actions.push(a),
                Some(_) => {}
                None => errors.add(&format!("{object_key}.actions"), "invalid_choice"),
            }
        }
        // A scope matters only for an object the role grants something on.
        let scope = if object.has_scope() && !actions.is_empty() {
            DataScope::parse(scope_key).unwrap_or_else(|| {
                errors.add(&format!("{object_key}.scope"), "invalid_choice");
                DataScope::Own
            })
        } else {
            DataScope::All
        };
        if !actions.is_empty() {
            actions.sort();
            permissions.objects.insert(object, Grant { actions, scope });
        }
    }
    errors.into_result()?;
    Ok((name, permissions))
}

pub async fn create_role(app: &App, actor: &Actor, input: RoleInput) -> AppResult<Uuid> {
    admin(actor)?;
    let (name, permissions) = parse_role(&input)?;
    let role_permissions = permissions.clone();
    let id = Uuid::now_v7();
    let mut tx = app.db.begin().await?;
    org::insert_role(
        &mut tx,
        actor.tenant_id(),
        &Role {
            id,
            key: None,
            name: name.clone(),
            permissions: store::JsonValue(permissions),
            version: 1,
        },
        app.now(),
    )
    .await
    .map_err(|e| map_unique(e, "name", "duplicate_name"))?;
    audit_org(
        &mut tx,
        app,
        actor,
        "create",
        "role",
        id,
        json!({ "name": name, "permissions": permissions_summary(&role_permissions) }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_role(
    app: &App,
    actor: &Actor,
    id: Uuid,
    version: i64,
    input: RoleInput,
) -> AppResult<()> {
    admin(actor)?;
    let (name, mut permissions) = parse_role(&input)?;
    let mut tx = app.db.begin().await?;
    let current = org::get_role(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Field limits are set on the fields page, not in the role form: keep them.
    permissions.fields = current.permissions.0.fields.clone();
    let detail = json!({ "name": name, "changes": changes(&[
        ("name", json!(current.name), json!(name)),
        ("permissions", permissions_summary(&current.permissions.0), permissions_summary(&permissions)),
    ]) });
    let role = Role {
        id,
        key: current.key,
        name,
        permissions: store::JsonValue(permissions),
        version,
    };
    if !org::update_role(&mut tx, actor.tenant_id(), &role, app.now())
        .await
        .map_err(|e| map_unique(e, "name", "duplicate_name"))?
    {
        return Err(AppError::Conflict);
    }
    let admin_roles = admin_role_ids(&mut tx, actor.tenant_id()).await?;
    if org::count_active_admins(&mut tx, actor.tenant_id(), &admin_roles).await? == 0 {
        return Err(AppError::Rule("last_admin"));
    }
    audit_org(&mut tx, app, actor, "update", "role", id, detail).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_role(app: &App, actor: &Actor, id: Uuid, version: i64) -> AppResult<()> {
    admin(actor)?;
    let mut tx = app.db.begin().await?;
    let role = org::get_role(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if org::role_in_use(&mut tx, actor.tenant_id(), id).await? {
        return Err(AppError::Rule("role_in_use"));
    }
    if !org::delete_role(&mut tx, actor.tenant_id(), id, version).await? {
        return Err(AppError::Conflict);
    }
    audit_org(
        &mut tx,
        app,
        actor,
        "delete",
        "role",
        id,
        json!({ "name": role.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A role's grants as `{object: "actions… (scope)"}`, short enough to read in the audit log.
fn permissions_summary(permissions: &RolePermissions) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for (object, grant) in &permissions.objects {
        let actions: Vec<&str> = grant.actions.iter().map(|a| a.key()).collect();
        let text = if object.has_scope() {
            format!("{} ({})", actions.join(", "), grant.scope.key())
        } else {
            actions.join(", ")
        };
        out.insert(object.key().to_string(), json!(text));
    }
    serde_json::Value::Object(out)
}
