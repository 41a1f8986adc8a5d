//! Departments, roles and users.

use crate::{Result, StoreError, Tx};
use chrono::{DateTime, Utc};
use domain::permissions::RolePermissions;
use sqlx::types::Json;
use uuid::Uuid;

// ---------------------------------------------------------------- departments

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Department {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub path: String,
    pub version: i64,
    pub member_count: i64,
}

const DEPARTMENT_COLUMNS: &str = "d.id, d.parent_id, d.name, d.path, d.version,
    (SELECT COUNT(*) FROM users m WHERE m.tenant_id = d.tenant_id AND m.department_id = d.id AND m.active = $2) AS member_count";

pub async fn list_departments(tx: &mut Tx, tenant_id: Uuid) -> Result<Vec<Department>> {
    let sql = format!(
        "SELECT {DEPARTMENT_COLUMNS} FROM departments d WHERE d.tenant_id = $1 ORDER BY d.path"
    );
    Ok(on_conn!(tx, c => {
        sqlx::query_as(&sql).bind(tenant_id).bind(true).fetch_all(c).await?
    }))
}

pub async fn get_department(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<Option<Department>> {
    let sql = format!(
        "SELECT {DEPARTMENT_COLUMNS} FROM departments d WHERE d.tenant_id = $1 AND d.id = $3"
    );
    Ok(on_conn!(tx, c => {
        sqlx::query_as(&sql).bind(tenant_id).bind(true).bind(id).fetch_optional(c).await?
    }))
}

pub async fn insert_department(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    parent_id: Option<Uuid>,
    name: &str,
    path: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.mark_org_changed();
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO departments (tenant_id, id, parent_id, name, path, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)")
            .bind(tenant_id).bind(id).bind(parent_id).bind(name).bind(path).bind(now)
            .execute(c).await?;
    });
    Ok(())
}

/// Renames a department if its version still matches; returns whether it did.
pub async fn rename_department(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    name: &str,
    (version, now): (i64, DateTime<Utc>),
) -> Result<bool> {
    tx.mark_org_changed();
    let done = on_conn!(tx, c => {
        sqlx::query("UPDATE departments SET name = $3, version = version + 1, updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND version = $5")
            .bind(tenant_id).bind(id).bind(name).bind(now).bind(version)
            .execute(c).await?.rows_affected()
    });
    Ok(done == 1)
}

/// Moves a department (and, by rewriting the path prefix, its whole subtree) under a new parent.
pub async fn move_department(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    new_parent: Option<Uuid>,
    old_path: &str,
    new_path: &str,
    (version, now): (i64, DateTime<Utc>),
) -> Result<bool> {
    tx.mark_org_changed();
    let moved = on_conn!(tx, c => {
        sqlx::query("UPDATE departments SET parent_id = $3, version = version + 1, updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND version = $5")
            .bind(tenant_id).bind(id).bind(new_parent).bind(now).bind(version)
            .execute(c).await?.rows_affected()
    });
    if moved != 1 {
        return Ok(false);
    }
    on_conn!(tx, c => {
        sqlx::query("UPDATE departments SET path = $3 || substr(path, CAST($4 AS INTEGER)) WHERE tenant_id = $1 AND path LIKE $2")
            .bind(tenant_id)
            .bind(format!("{old_path}%"))
            .bind(new_path)
            .bind(old_path.len() as i64 + 1)
            .execute(c).await?;
    });
    Ok(true)
}

/// Whether a department has sub-departments or users (then it cannot be deleted).
pub async fn department_in_use(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<bool> {
    let child: Option<(Uuid,)> = on_conn!(tx, c => {
        sqlx::query_as("SELECT id FROM departments WHERE tenant_id = $1 AND parent_id = $2 LIMIT 1")
            .bind(tenant_id).bind(id).fetch_optional(c).await?
    });
    let member: Option<(Uuid,)> = on_conn!(tx, c => {
        sqlx::query_as("SELECT id FROM users WHERE tenant_id = $1 AND department_id = $2 LIMIT 1")
            .bind(tenant_id).bind(id).fetch_optional(c).await?
    });
    Ok(child.is_some() || member.is_some())
}

pub async fn delete_department(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    version: i64,
) -> Result<bool> {
    tx.mark_org_changed();
    let done = on_conn!(tx, c => {
        sqlx::query("DELETE FROM departments WHERE tenant_id = $1 AND id = $2 AND version = $3")
            .bind(tenant_id).bind(id).bind(version).execute(c).await?.rows_affected()
    });
    Ok(done == 1)
}

// ---------------------------------------------------------------- roles

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Role {
    pub id: Uuid,
    pub key: Option<String>,
    pub name: String,
    pub permissions: Json<RolePermissions>,
    pub version: i64,
}

pub async fn insert_role(
    tx: &mut Tx,
    tenant_id: Uuid,
    role: &Role,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.mark_org_changed();
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO roles (tenant_id, id, key, name, permissions, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)")
            .bind(tenant_id).bind(role.id).bind(&role.key).bind(&role.name).bind(&role.permissions).bind(now)
            .execute(c).await?;
    });
    Ok(())
}

pub async fn update_role(
    tx: &mut Tx,
    tenant_id: Uuid,
    role: &Role,
    now: DateTime<Utc>,
) -> Result<bool> {
    tx.mark_org_changed();
    let done = on_conn!(tx, c => {
        sqlx::query("UPDATE roles SET name = $3, permissions = $4, version = version + 1, updated_at = $5 WHERE tenant_id = $1 AND id = $2 AND version = $6")
            .bind(tenant_id).bind(role.id).bind(&role.name).bind(&role.permissions).bind(now).bind(role.version)
            .execute(c).await?.rows_affected()
    });
    Ok(done == 1)
}

pub async fn list_roles(tx: &mut Tx, tenant_id: Uuid) -> Result<Vec<Role>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as("SELECT id, key, name, permissions, version FROM roles WHERE tenant_id = $1 ORDER BY created_at, name")
            .bind(tenant_id).fetch_all(c).await?
    }))
}

pub async fn get_role(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<Option<Role>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as("SELECT id, key, name, permissions, version FROM roles WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id).bind(id).fetch_optional(c).await?
    }))
}

pub async fn find_role(tx: &mut Tx, tenant_id: Uuid, key_or_name: &str) -> Result<Option<Role>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as("SELECT id, key, name, permissions, version FROM roles WHERE tenant_id = $1 AND (key = $2 OR name = $2) ORDER BY key LIMIT 1")
            .bind(tenant_id).bind(key_or_name).fetch_optional(c).await?
    }))
}

pub async fn role_in_use(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<bool> {
    let found: Option<(Uuid,)> = on_conn!(tx, c => {
        sqlx::query_as("SELECT id FROM users WHERE tenant_id = $1 AND role_id = $2 LIMIT 1")
            .bind(tenant_id).bind(id).fetch_optional(c).await?
    });
    Ok(found.is_some())
}

pub async fn delete_role(tx: &mut Tx, tenant_id: Uuid, id: Uuid, version: i64) -> Result<bool> {
    tx.mark_org_changed();
    let done = on_conn!(tx, c => {
        sqlx::query("DELETE FROM roles WHERE tenant_id = $1 AND id = $2 AND version = $3")
            .bind(tenant_id).bind(id).bind(version).execute(c).await?.rows_affected()
    });
    Ok(done == 1)
}

// ---------------------------------------------------------------- users

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role_id: Uuid,
    pub role_name: String,
    /// The role's key when it is built in.
    pub role_key: Option<String>,
    pub permissions: Json<RolePermissions>,
    pub department_id: Option<Uuid>,
    pub department_name: Option<String>,
    pub department_path: Option<String>,
    pub manager_id: Option<Uuid>,
    pub manager_name: Option<String>,
    pub manager_path: String,
    pub locale: Option<String>,
    /// An IANA time zone name; `None` for the default (`domain::time::DEFAULT_ZONE`).
    pub time_zone: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

const USER_SELECT: &str = "SELECT u.tenant_id, u.id, u.email, u.name, u.password_hash, u.role_id, r.name AS role_name, r.key AS role_key,
    r.permissions, u.department_id, d.name AS department_name, d.path AS department_path, u.manager_id,
    m.name AS manager_name, u.manager_path, u.locale, u.time_zone, u.active, u.version, u.created_at
    FROM users u
    JOIN roles r ON r.tenant_id = u.tenant_id AND r.id = u.role_id
    LEFT JOIN departments d ON d.tenant_id = u.tenant_id AND d.id = u.department_id
    LEFT JOIN users m ON m.tenant_id = u.tenant_id AND m.id = u.manager_id";

pub struct NewUser<'a> {
    pub id: Uuid,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role_id: Uuid,
    pub department_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    pub manager_path: &'a str,
    pub locale: Option<&'a str>,
}

pub async fn insert_user(
    tx: &mut Tx,
    tenant_id: Uuid,
    user: &NewUser<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.mark_org_changed();
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO users (tenant_id, id, email, name, password_hash, role_id, department_id, manager_id, manager_path, locale, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)")
            .bind(tenant_id).bind(user.id).bind(user.email).bind(user.name).bind(user.password_hash)
            .bind(user.role_id).bind(user.department_id).bind(user.manager_id).bind(user.manager_path)
            .bind(user.locale).bind(true).bind(now)
            .execute(c).await?;
    });
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO login_identities (email, tenant_id, user_id) VALUES ($1, $2, $3)")
            .bind(user.email).bind(tenant_id).bind(user.id)
            .execute(c).await?;
    });
    Ok(())
}

pub async fn get_user(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<Option<User>> {
    let sql = format!("{USER_SELECT} WHERE u.tenant_id = $1 AND u.id = $2");
    Ok(on_conn!(tx, c => {
        sqlx::query_as(&sql).bind(tenant_id).bind(id).fetch_optional(c).await?
    }))
}

pub async fn find_user_by_email(tx: &mut Tx, tenant_id: Uuid, email: &str) -> Result<Option<User>> {
    let sql = format!("{USER_SELECT} WHERE u.tenant_id = $1 AND u.email = $2");
    Ok(on_conn!(tx, c => {
        sqlx::query_as(&sql).bind(tenant_id).bind(email).fetch_optional(c).await?
    }))
}

/// The user an e-mail address signs in as, in whichever company.
pub async fn find_login(tx: &mut Tx, email: &str) -> Result<Option<User>> {
    let ident: Option<(Uuid, Uuid)> = on_conn!(tx, c => {
        sqlx::query_as("SELECT tenant_id, user_id FROM login_identities WHERE email = $1")
            .bind(email).fetch_optional(c).await?
    });
    match ident {
        Some((tenant_id, user_id)) => get_user(tx, tenant_id, user_id).await,
        None => Ok(None),
    }
}

pub async fn email_taken(tx: &mut Tx, email: &str) -> Result<bool> {
    let found: Option<(String,)> = on_conn!(tx, c => {
        sqlx::query_as("SELECT email FROM login_identities WHERE email = $1")
            .bind(email).fetch_optional(c).await?
    });
    Ok(found.is_some())
}

/// Users of a company, active first, by name; at most `limit` (user lists are small).
pub async fn list_users(tx: &mut Tx, tenant_id: Uuid, limit: i64) -> Result<Vec<User>> {
    let sql = format!(
        "{USER_SELECT} WHERE u.tenant_id = $1 ORDER BY u.active DESC, u.name, u.id LIMIT $2"
    );
    Ok(on_conn!(tx, c => {
        sqlx::query_as(&sql).bind(tenant_id).bind(limit).fetch_all(c).await?
    }))
}

/// The active users of a company as (id, name), by name: the owner pick-lists. Two columns
/// instead of whole users, since every list page and form needs them.
pub async fn user_choices(tx: &mut Tx, tenant_id: Uuid, limit: i64) -> Result<Vec<(Uuid, String)>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as("SELECT id, name FROM users WHERE tenant_id = $1 AND active = $2 ORDER BY name, id LIMIT $3")
            .bind(tenant_id).bind(true).bind(limit).fetch_all(c).await?
    }))
}

pub async fn count_active_admins(
    tx: &mut Tx,
    tenant_id: Uuid,
    admin_role_ids: &[Uuid],
) -> Result<i64> {
    let mut total = 0;
    for role_id in admin_role_ids {
        let (n,): (i64,) = on_conn!(tx, c => {
            sqlx::query_as("SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND role_id = $2 AND active = $3")
                .bind(tenant_id).bind(role_id).bind(true).fetch_one(c).await?
        });
        total += n;
    }
    Ok(total)
}

pub struct UserUpdate<'a> {
    pub name: &'a str,
    pub role_id: Uuid,
    pub department_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    pub active: bool,
    pub locale: Option<&'a str>,
}

/// Updates a user if the version still matches. A manager change also rewrites the manager
/// paths of the user and everyone below them.
pub async fn update_user(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    (version, now): (i64, DateTime<Utc>),
    update: &UserUpdate<'_>,
    old_manager_path: &str,
    new_manager_path: &str,
) -> Result<bool> {
    tx.mark_org_changed();
    let done = on_conn!(tx, c => {
        sqlx::query("UPDATE users SET name = $3, role_id = $4, department_id = $5, manager_id = $6, active = $7, locale = $8, version = version + 1, updated_at = $9 WHERE tenant_id = $1 AND id = $2 AND version = $10")
            .bind(tenant_id).bind(id).bind(update.name).bind(update.role_id).bind(update.department_id)
            .bind(update.manager_id).bind(update.active).bind(update.locale).bind(now).bind(version)
            .execute(c).await?.rows_affected()
    });
    if done != 1 {
        return Ok(false);
    }
    if old_manager_path != new_manager_path {
        on_conn!(tx, c => {
            sqlx::query("UPDATE users SET manager_path = $3 || substr(manager_path, CAST($4 AS INTEGER)) WHERE tenant_id = $1 AND manager_path LIKE $2")
                .bind(tenant_id)
                .bind(format!("{old_manager_path}%"))
                .bind(new_manager_path)
                .bind(old_manager_path.len() as i64 + 1)
                .execute(c).await?;
        });
    }
    Ok(true)
}

pub async fn set_locale(tx: &mut Tx, tenant_id: Uuid, id: Uuid, locale: &str) -> Result<()> {
    tx.mark_org_changed();
    on_conn!(tx, c => {
        sqlx::query("UPDATE users SET locale = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id).bind(id).bind(locale).execute(c).await?;
    });
    Ok(())
}

/// Sets a user's time zone (an IANA name, checked by the caller; `None` for the default).
pub async fn set_time_zone(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    time_zone: Option<&str>,
) -> Result<()> {
    tx.mark_org_changed();
    on_conn!(tx, c => {
        sqlx::query("UPDATE users SET time_zone = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id).bind(id).bind(time_zone).execute(c).await?;
    });
    Ok(())
}

pub async fn set_password_hash(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.mark_org_changed();
    let done = on_conn!(tx, c => {
        sqlx::query("UPDATE users SET password_hash = $3, version = version + 1, updated_at = $4 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id).bind(id).bind(hash).bind(now).execute(c).await?.rows_affected()
    });
    if done != 1 {
        return Err(StoreError::Corrupt(format!(
            "user {id} vanished while changing password"
        )));
    }
    Ok(())
}
