//! Shares, record teams and pools: the rows that make a record visible beyond its owner's
//! scope. Which records they make visible is decided by `visibility` alone; this module
//! writes and lists them and tells a signed-in user what they have.

use crate::visibility::{editable_records, has_pools, scoped_records, SqlBuilder};
use crate::{Param, Result, Tx};
use chrono::{DateTime, Utc};
use domain::permissions::{Grants, ObjectKind, Principal};
use uuid::Uuid;

/// Who a share (or a pool membership) is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grantee {
    User(Uuid),
    Department(Uuid),
    Role(Uuid),
}

impl Grantee {
    fn column(self) -> &'static str {
        match self {
            Grantee::User(_) => "user_id",
            Grantee::Department(_) => "department_id",
            Grantee::Role(_) => "role_id",
        }
    }

    fn id(self) -> Uuid {
        match self {
            Grantee::User(id) | Grantee::Department(id) | Grantee::Role(id) => id,
        }
    }
}

/// A share with the grantee's name (a role's stored name and key, for built-in roles'
/// translated names).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Share {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub role_id: Option<Uuid>,
    pub access: String,
    pub grantee_name: String,
    pub role_key: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeamMember {
    pub user_id: Uuid,
    pub user_name: String,
    pub access: String,
    pub role: Option<String>,
    pub added_by: Uuid,
    pub added_at: DateTime<Utc>,
}

/// The objects with a share or team row for the user, and the pools they belong to: one
/// index probe per object and grantee, however many rows there are.
pub async fn grants(
    tx: &mut Tx,
    tenant_id: Uuid,
    user_id: Uuid,
    departments: &[Uuid],
    role_id: Uuid,
) -> Result<Grants> {
    let mut q = SqlBuilder::default();
    let tenant = q.param(Param::Uuid(tenant_id));
    let me = q.param(Param::Uuid(user_id));
    let role = q.param(Param::Uuid(role_id));
    let dept = (!departments.is_empty()).then(|| {
        let ids: Vec<String> = departments
            .iter()
            .map(|d| q.param(Param::Uuid(*d)))
            .collect();
        ids.join(", ")
    });
    let mut parts = Vec::new();
    for object in ObjectKind::RECORDS {
        let key = object.key();
        let mut probes = vec![
            format!("SELECT 1 FROM record_shares g WHERE g.tenant_id = {tenant} AND g.user_id = {me} AND g.object = '{key}'"),
            format!("SELECT 1 FROM record_shares g WHERE g.tenant_id = {tenant} AND g.role_id = {role} AND g.object = '{key}'"),
            format!("SELECT 1 FROM record_team g WHERE g.tenant_id = {tenant} AND g.user_id = {me} AND g.object = '{key}'"),
        ];
        if let Some(dept) = &dept {
            probes.push(format!("SELECT 1 FROM record_shares g WHERE g.tenant_id = {tenant} AND g.department_id IN ({dept}) AND g.object = '{key}'"));
        }
        let exists: Vec<String> = probes.iter().map(|p| format!("EXISTS ({p})")).collect();
        parts.push(format!(
            "SELECT '{key}' AS object WHERE {}",
            exists.join(" OR ")
        ));
    }
    q.push(&parts.join(" UNION ALL "));
    let shared: Vec<String> = on_conn!(tx, c => {
        bind_params!(sqlx::query_scalar(&q.sql), &q.params).fetch_all(c).await?
    });
    let mut members = format!(
        "SELECT p.object, p.id FROM pool_members m JOIN pools p ON p.tenant_id = m.tenant_id AND p.id = m.pool_id
         WHERE m.tenant_id = {tenant} AND (m.user_id = {me} OR m.role_id = {role}"
    );
    if let Some(dept) = &dept {
        members.push_str(&format!(" OR m.department_id IN ({dept})"));
    }
    members.push_str(&format!(
        ") UNION SELECT p.object, p.id FROM pools p WHERE p.tenant_id = {tenant} AND p.open_to_all ORDER BY 2"
    ));
    q.sql = members;
    let pools: Vec<(String, Uuid)> = on_conn!(tx, c => {
        bind_params!(sqlx::query_as(&q.sql), &q.params).fetch_all(c).await?
    });
    let mut grants = Grants {
        shared: shared.iter().filter_map(|k| ObjectKind::parse(k)).collect(),
        ..Grants::default()
    };
    for (object, pool) in pools {
        if let Some(object) = ObjectKind::parse(&object).filter(|o| has_pools(*o)) {
            let ids = grants.pools.entry(object).or_default();
            if !ids.contains(&pool) {
                ids.push(pool);
            }
        }
    }
    Ok(grants)
}

pub async fn shares(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    record_id: Uuid,
) -> Result<Vec<Share>> {
    let sql = "SELECT s.id, s.user_id, s.department_id, s.role_id, s.access,
            COALESCE(u.name, d.name, r.name, '') AS grantee_name, r.key AS role_key, s.created_by, s.created_at
        FROM record_shares s
        LEFT JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
        LEFT JOIN departments d ON d.tenant_id = s.tenant_id AND d.id = s.department_id
        LEFT JOIN roles r ON r.tenant_id = s.tenant_id AND r.id = s.role_id
        WHERE s.tenant_id = $1 AND s.object = $2 AND s.record_id = $3
        ORDER BY s.created_at, s.id LIMIT 500";
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Share>(sql).bind(tenant_id).bind(object.key()).bind(record_id)
            .fetch_all(c).await?
    }))
}

pub struct NewShare {
    pub tenant_id: Uuid,
    pub object: ObjectKind,
    pub record_id: Uuid,
    pub grantee: Grantee,
    pub access: &'static str,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

/// Shares the record with the grantee, or changes the access of the share it already has;
/// the share's id and whether it is new.
pub async fn put_share(tx: &mut Tx, s: &NewShare) -> Result<(Uuid, bool)> {
    let column = s.grantee.column();
    let find = format!(
        "SELECT id FROM record_shares WHERE tenant_id = $1 AND {column} = $2 AND object = $3 AND record_id = $4"
    );
    let existing: Option<Uuid> = on_conn!(tx, c => {
        sqlx::query_scalar(&find).bind(s.tenant_id).bind(s.grantee.id()).bind(s.object.key()).bind(s.record_id)
            .fetch_optional(c).await?
    });
    if let Some(id) = existing {
        on_conn!(tx, c => {
            sqlx::query("UPDATE record_shares SET access = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(s.tenant_id).bind(id).bind(s.access).execute(c).await?;
        });
        return Ok((id, false));
    }
    let id = Uuid::now_v7();
    let insert = format!(
        "INSERT INTO record_shares (tenant_id, id, object, record_id, {column}, access, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    );
    on_conn!(tx, c => {
        sqlx::query(&insert).bind(s.tenant_id).bind(id).bind(s.object.key()).bind(s.record_id)
            .bind(s.grantee.id()).bind(s.access).bind(s.created_by).bind(s.created_at)
            .execute(c).await?;
    });
    Ok((id, true))
}

/// Removes a share of the record; false when the record has no such share.
pub async fn delete_share(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    record_id: Uuid,
    share_id: Uuid,
) -> Result<bool> {
    let n = on_conn!(tx, c => {
        sqlx::query("DELETE FROM record_shares WHERE tenant_id = $1 AND id = $2 AND object = $3 AND record_id = $4")
            .bind(tenant_id).bind(share_id).bind(object.key()).bind(record_id)
            .execute(c).await?.rows_affected()
    });
    Ok(n == 1)
}

pub async fn team(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    record_id: Uuid,
) -> Result<Vec<TeamMember>> {
    let sql = "SELECT m.user_id, u.name AS user_name, m.access, m.role, m.added_by, m.added_at
        FROM record_team m JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id
        WHERE m.tenant_id = $1 AND m.object = $2 AND m.record_id = $3
        ORDER BY m.added_at, m.user_id LIMIT 500";
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, TeamMember>(sql).bind(tenant_id).bind(object.key()).bind(record_id)
            .fetch_all(c).await?
    }))
}

pub struct NewMember<'a> {
    pub tenant_id: Uuid,
    pub object: ObjectKind,
    pub record_id: Uuid,
    pub user_id: Uuid,
    pub access: &'static str,
    pub role: Option<&'a str>,
    pub added_by: Uuid,
    pub added_at: DateTime<Utc>,
}

/// Adds the user to the record's team, or changes their access and role there; whether
/// they are new on it.
pub async fn put_member(tx: &mut Tx, m: &NewMember<'_>) -> Result<bool> {
    let updated = on_conn!(tx, c => {
        sqlx::query("UPDATE record_team SET access = $5, role = $6 WHERE tenant_id = $1 AND object = $2 AND record_id = $3 AND user_id = $4")
            .bind(m.tenant_id).bind(m.object.key()).bind(m.record_id).bind(m.user_id)
            .bind(m.access).bind(m.role).execute(c).await?.rows_affected()
    });
    if updated == 1 {
        return Ok(false);
    }
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO record_team (tenant_id, object, record_id, user_id, access, role, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(m.tenant_id).bind(m.object.key()).bind(m.record_id).bind(m.user_id)
            .bind(m.access).bind(m.role).bind(m.added_by).bind(m.added_at)
            .execute(c).await?;
    });
    Ok(true)
}

pub async fn delete_member(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    record_id: Uuid,
    user_id: Uuid,
) -> Result<bool> {
    let n = on_conn!(tx, c => {
        sqlx::query("DELETE FROM record_team WHERE tenant_id = $1 AND object = $2 AND record_id = $3 AND user_id = $4")
            .bind(tenant_id).bind(object.key()).bind(record_id).bind(user_id)
            .execute(c).await?.rows_affected()
    });
    Ok(n == 1)
}

/// Removes the shares and team of a deleted record.
pub async fn forget_record(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    record_id: Uuid,
) -> Result<()> {
    for table in ["record_shares", "record_team"] {
        let sql =
            format!("DELETE FROM {table} WHERE tenant_id = $1 AND object = $2 AND record_id = $3");
        on_conn!(tx, c => {
            sqlx::query(&sql).bind(tenant_id).bind(object.key()).bind(record_id).execute(c).await?;
        });
    }
    Ok(())
}

/// Whether the principal may edit the record (given the role allows editing): in the role's
/// scope, or shared with them or with them on its team with `edit` access.
pub async fn is_editable(
    tx: &mut Tx,
    principal: &Principal,
    object: ObjectKind,
    id: Uuid,
) -> Result<bool> {
    exists(tx, principal, object, id, editable_records).await
}

/// Whether the record is in the principal's own scope, grants left out.
pub async fn is_in_scope(
    tx: &mut Tx,
    principal: &Principal,
    object: ObjectKind,
    id: Uuid,
) -> Result<bool> {
    exists(tx, principal, object, id, scoped_records).await
}

async fn exists(
    tx: &mut Tx,
    principal: &Principal,
    object: ObjectKind,
    id: Uuid,
    predicate: fn(&mut SqlBuilder, &Principal, ObjectKind, &str),
) -> Result<bool> {
    let table = crate::records::table(object)?;
    let mut q = SqlBuilder::new(&format!("SELECT t.id FROM {table} t WHERE "));
    predicate(&mut q, principal, object, "t");
    let p = q.param(Param::Uuid(id));
    q.push(&format!(" AND t.id = {p}"));
    Ok(on_conn!(tx, c => {
        bind_params!(sqlx::query(&q.sql), &q.params).fetch_optional(c).await?.is_some()
    }))
}

/// Creates a pool of `object` (leads or accounts).
pub async fn create_pool(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO pools (tenant_id, id, object, name, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(tenant_id).bind(id).bind(object.key()).bind(name).bind(now).execute(c).await?;
    });
    tx.mark_org_changed();
    Ok(id)
}

pub async fn add_pool_member(
    tx: &mut Tx,
    tenant_id: Uuid,
    pool_id: Uuid,
    member: Grantee,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO pool_members (tenant_id, pool_id, {}) VALUES ($1, $2, $3)",
        member.column()
    );
    on_conn!(tx, c => {
        sqlx::query(&sql).bind(tenant_id).bind(pool_id).bind(member.id()).execute(c).await?;
    });
    // Members' signed-in grants change.
    tx.mark_org_changed();
    Ok(())
}

/// Puts a lead or an account into a pool (or out of any, with `None`).
pub async fn set_pool(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    record_id: Uuid,
    pool_id: Option<Uuid>,
) -> Result<bool> {
    if !has_pools(object) {
        return Ok(false);
    }
    let table = crate::records::table(object)?;
    let sql = format!("UPDATE {table} SET pool_id = $3 WHERE tenant_id = $1 AND id = $2");
    let n = on_conn!(tx, c => {
        sqlx::query(&sql).bind(tenant_id).bind(record_id).bind(pool_id).execute(c).await?.rows_affected()
    });
    Ok(n == 1)
}

/// A record's owner and name, whatever the reader's scope (the caller checked it).
pub async fn owner_and_name(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    id: Uuid,
) -> Result<Option<(Uuid, String)>> {
    let table = crate::records::table(object)?;
    let sql = format!("SELECT owner_id, name FROM {table} WHERE tenant_id = $1 AND id = $2");
    Ok(on_conn!(tx, c => {
        sqlx::query_as(&sql).bind(tenant_id).bind(id).fetch_optional(c).await?
    }))
}
