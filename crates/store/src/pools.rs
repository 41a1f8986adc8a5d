//! Public pools (公海池): the pools and their settings, members and administrators, the
//! company's return reasons, who holds a record taken from a pool, the log of pool events,
//! and the conditional moves of a record into and out of a pool. Who sees a pool's records
//! is decided by `visibility` alone (a member's grants name the pool).

use crate::sharing::Grantee;
use crate::visibility::SqlBuilder;
use crate::{Param, Result, Tx};
use chrono::{DateTime, Utc};
use domain::permissions::ObjectKind;
use domain::pools::{Settings, Stale};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Pool {
    pub id: Uuid,
    pub object: String,
    pub name: String,
    pub is_default: bool,
    pub open_to_all: bool,
    pub claims_per_day: Option<i64>,
    pub max_held: Option<i64>,
    pub protection_days: i64,
    pub idle_days: Option<i64>,
    pub stale_days: Option<i64>,
    pub remind_days: i64,
    pub no_reclaim_days: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl Pool {
    pub fn kind(&self) -> Option<ObjectKind> {
        ObjectKind::parse(&self.object)
    }

    pub fn settings(&self) -> Settings {
        Settings {
            claims_per_day: self.claims_per_day,
            max_held: self.max_held,
            protection_days: self.protection_days,
            idle_days: self.idle_days,
            stale_days: self.stale_days,
            remind_days: self.remind_days,
            no_reclaim_days: self.no_reclaim_days,
        }
    }
}

const POOL_COLUMNS: &str = "id, object, name, is_default, open_to_all, claims_per_day, max_held, protection_days, idle_days, stale_days, remind_days, no_reclaim_days, version, created_at";

pub async fn list(tx: &mut Tx, tenant_id: Uuid) -> Result<Vec<Pool>> {
    let sql = format!(
        "SELECT {POOL_COLUMNS} FROM pools WHERE tenant_id = $1 ORDER BY object DESC, is_default DESC, name, id LIMIT 500"
    );
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Pool>(&sql).bind(tenant_id).fetch_all(c).await?
    }))
}

pub async fn get(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<Option<Pool>> {
    let sql = format!("SELECT {POOL_COLUMNS} FROM pools WHERE tenant_id = $1 AND id = $2");
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Pool>(&sql).bind(tenant_id).bind(id).fetch_optional(c).await?
    }))
}

/// The company's default pool of an object: where a returned or recycled record goes when
/// no rule names another.
pub async fn default_pool(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
) -> Result<Option<Pool>> {
    let sql = format!(
        "SELECT {POOL_COLUMNS} FROM pools WHERE tenant_id = $1 AND object = $2 AND is_default"
    );
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Pool>(&sql).bind(tenant_id).bind(object.key()).fetch_optional(c).await?
    }))
}

/// Takes the pool's row lock until the transaction ends, so that claims from one pool
/// (their limits and the record's state) are judged one after the other.
pub async fn lock(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("UPDATE pools SET version = version WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id).bind(id).execute(c).await?;
    });
    Ok(())
}

pub struct NewPool<'a> {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub object: ObjectKind,
    pub name: &'a str,
    pub is_default: bool,
    pub open_to_all: bool,
    pub settings: &'a Settings,
    pub now: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, p: &NewPool<'_>) -> Result<()> {
    let s = p.settings;
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO pools (tenant_id, id, object, name, created_at, is_default, open_to_all, claims_per_day, max_held, protection_days, idle_days, stale_days, remind_days, no_reclaim_days, version)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1)")
            .bind(p.tenant_id).bind(p.id).bind(p.object.key()).bind(p.name).bind(p.now)
            .bind(p.is_default).bind(p.open_to_all).bind(s.claims_per_day).bind(s.max_held)
            .bind(s.protection_days).bind(s.idle_days).bind(s.stale_days).bind(s.remind_days)
            .bind(s.no_reclaim_days)
            .execute(c).await?;
    });
    Ok(())
}

/// Saves the pool's name, openness and settings if it is still at `version`.
pub async fn update(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    version: i64,
    name: &str,
    open_to_all: bool,
    s: &Settings,
) -> Result<bool> {
    let done = on_conn!(tx, c => {
        sqlx::query("UPDATE pools SET name = $4, open_to_all = $5, claims_per_day = $6, max_held = $7, protection_days = $8,
                idle_days = $9, stale_days = $10, remind_days = $11, no_reclaim_days = $12, version = version + 1
            WHERE tenant_id = $1 AND id = $2 AND version = $3")
            .bind(tenant_id).bind(id).bind(version).bind(name).bind(open_to_all)
            .bind(s.claims_per_day).bind(s.max_held).bind(s.protection_days).bind(s.idle_days)
            .bind(s.stale_days).bind(s.remind_days).bind(s.no_reclaim_days)
            .execute(c).await?.rows_affected()
    });
    Ok(done == 1)
}

/// A member of a pool, with the grantee's name (a role's key for built-in roles' names).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    pub user_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub role_id: Option<Uuid>,
    pub name: String,
    pub role_key: Option<String>,
}

impl Member {
    pub fn grantee(&self) -> Option<Grantee> {
        match (self.user_id, self.department_id, self.role_id) {
            (Some(u), _, _) => Some(Grantee::User(u)),
            (_, Some(d), _) => Some(Grantee::Department(d)),
            (_, _, Some(r)) => Some(Grantee::Role(r)),
            _ => None,
        }
    }
}

pub async fn members(tx: &mut Tx, tenant_id: Uuid, pool_id: Uuid) -> Result<Vec<Member>> {
    let sql = "SELECT m.user_id, m.department_id, m.role_id, COALESCE(u.name, d.name, r.name, '') AS name, r.key AS role_key
        FROM pool_members m
        LEFT JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id
        LEFT JOIN departments d ON d.tenant_id = m.tenant_id AND d.id = m.department_id
        LEFT JOIN roles r ON r.tenant_id = m.tenant_id AND r.id = m.role_id
        WHERE m.tenant_id = $1 AND m.pool_id = $2 ORDER BY name LIMIT 1000";
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Member>(sql).bind(tenant_id).bind(pool_id).fetch_all(c).await?
    }))
}

/// Replaces the pool's members.
pub async fn set_members(
    tx: &mut Tx,
    tenant_id: Uuid,
    pool_id: Uuid,
    members: &[Grantee],
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM pool_members WHERE tenant_id = $1 AND pool_id = $2")
            .bind(tenant_id).bind(pool_id).execute(&mut *c).await?;
        for g in members {
            let (u, d, r) = match *g {
                Grantee::User(id) => (Some(id), None, None),
                Grantee::Department(id) => (None, Some(id), None),
                Grantee::Role(id) => (None, None, Some(id)),
            };
            sqlx::query("INSERT INTO pool_members (tenant_id, pool_id, user_id, department_id, role_id) VALUES ($1, $2, $3, $4, $5)")
                .bind(tenant_id).bind(pool_id).bind(u).bind(d).bind(r).execute(&mut *c).await?;
        }
    });
    Ok(())
}

/// The pool's administrators (id and name).
pub async fn admins(tx: &mut Tx, tenant_id: Uuid, pool_id: Uuid) -> Result<Vec<(Uuid, String)>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, (Uuid, String)>("SELECT u.id, u.name FROM pool_admins a JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.user_id
            WHERE a.tenant_id = $1 AND a.pool_id = $2 ORDER BY u.name, u.id")
            .bind(tenant_id).bind(pool_id).fetch_all(c).await?
    }))
}

pub async fn set_admins(tx: &mut Tx, tenant_id: Uuid, pool_id: Uuid, users: &[Uuid]) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM pool_admins WHERE tenant_id = $1 AND pool_id = $2")
            .bind(tenant_id).bind(pool_id).execute(&mut *c).await?;
        for u in users {
            sqlx::query("INSERT INTO pool_admins (tenant_id, pool_id, user_id) VALUES ($1, $2, $3)")
                .bind(tenant_id).bind(pool_id).bind(u).execute(&mut *c).await?;
        }
    });
    Ok(())
}

pub async fn is_admin(tx: &mut Tx, tenant_id: Uuid, pool_id: Uuid, user_id: Uuid) -> Result<bool> {
    let found: Option<(i64,)> = on_conn!(tx, c => {
        sqlx::query_as("SELECT 1 FROM pool_admins WHERE tenant_id = $1 AND pool_id = $2 AND user_id = $3")
            .bind(tenant_id).bind(pool_id).bind(user_id).fetch_optional(c).await?
    });
    Ok(found.is_some())
}

/// A return reason of the company.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Reason {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: bool,
}

pub async fn reasons(tx: &mut Tx, tenant_id: Uuid) -> Result<Vec<Reason>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Reason>("SELECT key, name_zh, name_en, active FROM pool_return_reasons WHERE tenant_id = $1 ORDER BY position, key")
            .bind(tenant_id).fetch_all(c).await?
    }))
}

/// Replaces the company's reasons by `reasons`, in order.
pub async fn put_reasons(tx: &mut Tx, tenant_id: Uuid, reasons: &[Reason]) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM pool_return_reasons WHERE tenant_id = $1")
            .bind(tenant_id).execute(&mut *c).await?;
        for (i, r) in reasons.iter().enumerate() {
            sqlx::query("INSERT INTO pool_return_reasons (tenant_id, key, name_zh, name_en, active, position) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(tenant_id).bind(&r.key).bind(&r.name_zh).bind(&r.name_en).bind(r.active).bind(i as i64)
                .execute(&mut *c).await?;
        }
    });
    Ok(())
}

/// A new company's default pools (open to everyone, no rules) and return reasons, in the
/// language it was created in.
pub async fn seed(tx: &mut Tx, tenant_id: Uuid, locale: &str, now: DateTime<Utc>) -> Result<()> {
    for spec in domain::pools::ALL {
        let name = if locale == "en" {
            spec.default_name.1
        } else {
            spec.default_name.0
        };
        let pool = NewPool {
            tenant_id,
            id: Uuid::now_v7(),
            object: spec.object,
            name,
            is_default: true,
            open_to_all: true,
            settings: &Settings::default(),
            now,
        };
        insert(tx, &pool).await?;
    }
    let reasons: Vec<Reason> = [
        ("unreachable", "联系不上", "Cannot be reached"),
        ("no_need", "暂无需求", "No need for now"),
        ("not_decision_maker", "非决策人", "Not the decision maker"),
        ("has_supplier", "已有供应商", "Has a supplier"),
        ("other", "其他", "Other"),
    ]
    .into_iter()
    .map(|(key, zh, en)| Reason {
        key: key.into(),
        name_zh: zh.into(),
        name_en: en.into(),
        active: true,
    })
    .collect();
    put_reasons(tx, tenant_id, &reasons).await
}

/// A record's place in or out of a pool.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Placement {
    pub owner_id: Uuid,
    pub pool_id: Option<Uuid>,
    pub name: String,
}

pub async fn placement(
    tx: &mut Tx,
    object: ObjectKind,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<Placement>> {
    let table = crate::records::table(object)?;
    let sql =
        format!("SELECT owner_id, pool_id, name FROM {table} WHERE tenant_id = $1 AND id = $2");
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Placement>(&sql).bind(tenant_id).bind(id).fetch_optional(c).await?
    }))
}

/// Who holds a record taken from a pool.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Holding {
    pub pool_id: Uuid,
    pub user_id: Uuid,
    pub claimed_at: DateTime<Utc>,
    pub protected_until: DateTime<Utc>,
}

pub async fn holding(
    tx: &mut Tx,
    object: ObjectKind,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<Holding>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Holding>("SELECT pool_id, user_id, claimed_at, protected_until FROM pool_holdings WHERE tenant_id = $1 AND object = $2 AND record_id = $3")
            .bind(tenant_id).bind(object.key()).bind(id).fetch_optional(c).await?
    }))
}

/// Takes the record out of `pool_id` for `owner`, if it is still in that pool; false when
/// someone else took it first (or it left the pool).
#[allow(clippy::too_many_arguments)]
pub async fn take(
    tx: &mut Tx,
    object: ObjectKind,
    tenant_id: Uuid,
    id: Uuid,
    pool_id: Uuid,
    owner: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
    protected_until: DateTime<Utc>,
) -> Result<bool> {
    let table = crate::records::table(object)?;
    let sql = format!(
        "UPDATE {table} SET pool_id = NULL, owner_id = $4, updated_by = $5, updated_at = $6, version = version + 1
         WHERE tenant_id = $1 AND id = $2 AND pool_id = $3"
    );
    let done = on_conn!(tx, c => {
        let done = sqlx::query(&sql).bind(tenant_id).bind(id).bind(pool_id).bind(owner).bind(by).bind(now)
            .execute(&mut *c).await?.rows_affected();
        if done == 1 {
            sqlx::query("INSERT INTO pool_holdings (tenant_id, object, record_id, pool_id, user_id, claimed_at, protected_until) VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (tenant_id, object, record_id) DO UPDATE SET pool_id = excluded.pool_id, user_id = excluded.user_id,
                    claimed_at = excluded.claimed_at, protected_until = excluded.protected_until")
                .bind(tenant_id).bind(object.key()).bind(id).bind(pool_id).bind(owner).bind(now).bind(protected_until)
                .execute(&mut *c).await?;
        }
        done
    });
    Ok(done == 1)
}

/// Puts the record held by `owner` into `pool_id` (the owner column keeps who had it last),
/// if it is still held by them; false when it was moved meanwhile. `by` is who did it
/// (none for the scheduler, which leaves `updated_by` as it was).
#[allow(clippy::too_many_arguments)]
pub async fn put(
    tx: &mut Tx,
    object: ObjectKind,
    tenant_id: Uuid,
    id: Uuid,
    pool_id: Uuid,
    owner: Uuid,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let table = crate::records::table(object)?;
    let sql = format!(
        "UPDATE {table} SET pool_id = $3, updated_by = COALESCE($5, updated_by), updated_at = $6, version = version + 1
         WHERE tenant_id = $1 AND id = $2 AND pool_id IS NULL AND owner_id = $4"
    );
    let done = on_conn!(tx, c => {
        let done = sqlx::query(&sql).bind(tenant_id).bind(id).bind(pool_id).bind(owner).bind(by).bind(now)
            .execute(&mut *c).await?.rows_affected();
        if done == 1 {
            sqlx::query("DELETE FROM pool_holdings WHERE tenant_id = $1 AND object = $2 AND record_id = $3")
                .bind(tenant_id).bind(object.key()).bind(id).execute(&mut *c).await?;
        }
        done
    });
    Ok(done == 1)
}

/// Claims of `user` from the pool since `since` (the start of their day).
pub async fn claims_since(
    tx: &mut Tx,
    tenant_id: Uuid,
    pool_id: Uuid,
    user_id: Uuid,
    since: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_conn!(tx, c => {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM pool_events WHERE tenant_id = $1 AND pool_id = $2 AND user_id = $3 AND kind IN ('claimed', 'assigned') AND at >= $4")
            .bind(tenant_id).bind(pool_id).bind(user_id).bind(since).fetch_one(c).await?
    }))
}

/// Records `user` holds, taken from the pool, still theirs and out of any pool.
pub async fn held(
    tx: &mut Tx,
    object: ObjectKind,
    tenant_id: Uuid,
    pool_id: Uuid,
    user_id: Uuid,
) -> Result<i64> {
    let table = crate::records::table(object)?;
    let sql = format!(
        "SELECT COUNT(*) FROM pool_holdings h JOIN {table} t ON t.tenant_id = h.tenant_id AND t.id = h.record_id
         WHERE h.tenant_id = $1 AND h.pool_id = $2 AND h.user_id = $3 AND h.object = $4 AND t.owner_id = h.user_id AND t.pool_id IS NULL"
    );
    Ok(on_conn!(tx, c => {
        sqlx::query_scalar::<_, i64>(&sql).bind(tenant_id).bind(pool_id).bind(user_id).bind(object.key()).fetch_one(c).await?
    }))
}

/// When `user` last returned or lost the record to a pool, if ever.
pub async fn last_lost(
    tx: &mut Tx,
    object: ObjectKind,
    tenant_id: Uuid,
    id: Uuid,
    user_id: Uuid,
) -> Result<Option<DateTime<Utc>>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_scalar::<_, DateTime<Utc>>("SELECT at FROM pool_events WHERE tenant_id = $1 AND object = $2 AND record_id = $3 AND user_id = $4
            AND kind IN ('returned', 'recycled') ORDER BY at DESC LIMIT 1")
            .bind(tenant_id).bind(object.key()).bind(id).bind(user_id).fetch_optional(c).await?
    }))
}

pub const CLAIMED: &str = "claimed";
pub const RETURNED: &str = "returned";
pub const RECYCLED: &str = "recycled";
pub const ASSIGNED: &str = "assigned";
pub const REMINDED: &str = "reminded";
/// Put in the pool by an assignment rule when created (`reason`: the rule's name).
pub const PLACED: &str = "placed";

pub struct NewEvent<'a> {
    pub tenant_id: Uuid,
    pub object: ObjectKind,
    pub record_id: Uuid,
    pub pool_id: Uuid,
    pub kind: &'static str,
    /// The rep concerned: who claimed, returned, lost, was assigned or reminded.
    pub user_id: Uuid,
    pub actor_id: Option<Uuid>,
    /// A return reason's key, or a recycling rule (`idle:30`, `stale:60`).
    pub reason: Option<&'a str>,
    /// When the rep took the record (for returns and recycling: how long they held it).
    pub held_since: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

pub async fn insert_event(tx: &mut Tx, e: &NewEvent<'_>) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO pool_events (tenant_id, id, object, record_id, pool_id, kind, user_id, actor_id, reason, held_since, at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(e.tenant_id).bind(Uuid::now_v7()).bind(e.object.key()).bind(e.record_id).bind(e.pool_id)
            .bind(e.kind).bind(e.user_id).bind(e.actor_id).bind(e.reason).bind(e.held_since).bind(e.at)
            .execute(c).await?;
    });
    Ok(())
}

/// A pool event as a record page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub kind: String,
    pub pool_id: Uuid,
    pub pool_name: String,
    pub user_id: Uuid,
    pub user_name: String,
    pub actor_name: Option<String>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// The record's pool events, newest first.
pub async fn events(
    tx: &mut Tx,
    object: ObjectKind,
    tenant_id: Uuid,
    id: Uuid,
    limit: i64,
) -> Result<Vec<Event>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Event>("SELECT e.kind, e.pool_id, p.name AS pool_name, e.user_id, u.name AS user_name, a.name AS actor_name, e.reason, e.at
            FROM pool_events e
            JOIN pools p ON p.tenant_id = e.tenant_id AND p.id = e.pool_id
            JOIN users u ON u.tenant_id = e.tenant_id AND u.id = e.user_id
            LEFT JOIN users a ON a.tenant_id = e.tenant_id AND a.id = e.actor_id
            WHERE e.tenant_id = $1 AND e.object = $2 AND e.record_id = $3 ORDER BY e.at DESC, e.id DESC LIMIT $4")
            .bind(tenant_id).bind(object.key()).bind(id).bind(limit).fetch_all(c).await?
    }))
}

/// One page of a pool's records, newest in the pool first: `(id, updated_at)`, one more
/// than `limit` when another page follows. Walks `<table>_pool_updated_at`.
pub async fn records(
    tx: &mut Tx,
    object: ObjectKind,
    tenant_id: Uuid,
    pool_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<(Uuid, DateTime<Utc>)>> {
    let table = crate::records::table(object)?;
    let mut q = SqlBuilder::default();
    let tenant = q.param(Param::Uuid(tenant_id));
    let pool = q.param(Param::Uuid(pool_id));
    q.push(&format!(
        "SELECT t.id, t.updated_at FROM {table} t WHERE t.tenant_id = {tenant} AND t.pool_id = {pool}"
    ));
    if let Some((at, id)) = after {
        let at = q.param(Param::Time(at));
        let id = q.param(Param::Uuid(id));
        q.push(&format!(
            " AND (t.updated_at < {at} OR (t.updated_at = {at} AND t.id < {id}))"
        ));
    }
    let limit = q.param(Param::I64(limit + 1));
    q.push(&format!(
        " ORDER BY t.updated_at DESC, t.id DESC LIMIT {limit}"
    ));
    Ok(on_conn!(tx, c => {
        bind_params!(sqlx::query_as::<_, (Uuid, DateTime<Utc>)>(&q.sql), &q.params).fetch_all(c).await?
    }))
}

/// A held record a pool's rule finds due (or soon due, for a reminder).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    pub held_since: DateTime<Utc>,
    pub last_contacted_at: Option<DateTime<Utc>>,
}

/// Which rule of a pool to look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// No done activity (no contact) since `cutoff` nor since it was taken.
    Idle,
    /// Not converted / no open opportunity and no deal since taken before `cutoff`.
    Stale(Stale),
}

/// The held records governed by `pool` (taken from it, or from nowhere when it is the
/// object's default pool) that `rule` finds due at `cutoff`, out of their protection at
/// `now`; with `unreminded`, only those not yet reminded since they were taken or last
/// contacted. At most `limit`.
#[allow(clippy::too_many_arguments)]
pub async fn due(
    tx: &mut Tx,
    object: ObjectKind,
    pool: &Pool,
    tenant_id: Uuid,
    rule: Rule,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
    unreminded: bool,
    limit: i64,
) -> Result<Vec<Due>> {
    let table = crate::records::table(object)?;
    let mut q = SqlBuilder::default();
    let tenant = q.param(Param::Uuid(tenant_id));
    let pool_id = q.param(Param::Uuid(pool.id));
    let key = q.param(Param::Text(object.key().to_string()));
    let cut = q.param(Param::Time(cutoff));
    let now_p = q.param(Param::Time(now));
    let since = "COALESCE(h.claimed_at, t.created_at)";
    let governed = if pool.is_default {
        format!("(h.pool_id = {pool_id} OR h.record_id IS NULL)")
    } else {
        format!("h.pool_id = {pool_id}")
    };
    q.push(&format!(
        "SELECT t.id, t.owner_id, t.name, {since} AS held_since, t.last_contacted_at FROM {table} t
         LEFT JOIN pool_holdings h ON h.tenant_id = t.tenant_id AND h.object = {key} AND h.record_id = t.id
         WHERE t.tenant_id = {tenant} AND t.pool_id IS NULL AND {governed}
           AND (h.protected_until IS NULL OR h.protected_until <= {now_p}) AND {since} <= {cut}"
    ));
    match rule {
        Rule::Idle => q.push(&format!(
            " AND (t.last_contacted_at IS NULL OR t.last_contacted_at <= {cut})"
        )),
        Rule::Stale(Stale::NotConverted) => q.push(" AND t.status <> 'converted'"),
        Rule::Stale(Stale::NoOpenDeal) => {
            let day = q.param(Param::Text(cutoff.format("%Y-%m-%d").to_string()));
            q.push(&format!(
                " AND (t.last_deal_at IS NULL OR t.last_deal_at < {day})
                  AND NOT EXISTS (SELECT 1 FROM opportunities o WHERE o.tenant_id = t.tenant_id AND o.account_id = t.id AND o.closed_on IS NULL)"
            ))
        }
    };
    if unreminded {
        q.push(&format!(
            " AND NOT EXISTS (SELECT 1 FROM pool_events e WHERE e.tenant_id = t.tenant_id AND e.object = {key} AND e.record_id = t.id
                AND e.kind = 'reminded' AND e.at >= {since} AND (t.last_contacted_at IS NULL OR e.at >= t.last_contacted_at))"
        ));
    }
    let limit = q.param(Param::I64(limit));
    q.push(&format!(" ORDER BY t.id LIMIT {limit}"));
    Ok(on_conn!(tx, c => {
        bind_params!(sqlx::query_as::<_, Due>(&q.sql), &q.params).fetch_all(c).await?
    }))
}

/// Whether the record was reminded since `since` (checked again under the record's lock).
pub async fn reminded_since(
    tx: &mut Tx,
    object: ObjectKind,
    tenant_id: Uuid,
    id: Uuid,
    since: DateTime<Utc>,
) -> Result<bool> {
    let table = crate::records::table(object)?;
    let sql = format!("UPDATE {table} SET version = version WHERE tenant_id = $1 AND id = $2");
    let found: Option<(i64,)> = on_conn!(tx, c => {
        sqlx::query(&sql).bind(tenant_id).bind(id).execute(&mut *c).await?;
        sqlx::query_as("SELECT 1 FROM pool_events WHERE tenant_id = $1 AND object = $2 AND record_id = $3 AND kind = 'reminded' AND at >= $4 LIMIT 1")
            .bind(tenant_id).bind(object.key()).bind(id).bind(since).fetch_optional(&mut *c).await?
    });
    Ok(found.is_some())
}

/// One line of a pool's statistics: events of a kind (and reason) per rep.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatLine {
    pub user_id: Uuid,
    pub user_name: String,
    pub kind: String,
    pub reason: Option<String>,
    pub count: i64,
}

/// The pool's events since `since`, counted per rep, kind and reason (for reasons: the key,
/// for rules: the rule's kind without its days).
pub async fn stats(
    tx: &mut Tx,
    tenant_id: Uuid,
    pool_id: Uuid,
    since: DateTime<Utc>,
) -> Result<Vec<StatLine>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, StatLine>("SELECT e.user_id, u.name AS user_name, e.kind, e.reason, COUNT(*) AS count
            FROM pool_events e JOIN users u ON u.tenant_id = e.tenant_id AND u.id = e.user_id
            WHERE e.tenant_id = $1 AND e.pool_id = $2 AND e.at >= $3 AND e.kind NOT IN ('reminded', 'placed')
            GROUP BY e.user_id, u.name, e.kind, e.reason ORDER BY u.name, e.user_id, e.kind, e.reason LIMIT 2000")
            .bind(tenant_id).bind(pool_id).bind(since).fetch_all(c).await?
    }))
}

/// How long records were held before they came back (returned or recycled) since `since`:
/// `(user, held_since, at)` rows, for the averages.
pub async fn held_spans(
    tx: &mut Tx,
    tenant_id: Uuid,
    pool_id: Uuid,
    since: DateTime<Utc>,
) -> Result<Vec<(Uuid, DateTime<Utc>, DateTime<Utc>)>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, (Uuid, DateTime<Utc>, DateTime<Utc>)>("SELECT user_id, held_since, at FROM pool_events
            WHERE tenant_id = $1 AND pool_id = $2 AND at >= $3 AND kind IN ('returned', 'recycled') AND held_since IS NOT NULL LIMIT 100000")
            .bind(tenant_id).bind(pool_id).bind(since).fetch_all(c).await?
    }))
}

/// Marks up to `limit` held records of `object` (owned, not in a pool, not yet held) as
/// claimed from `pool_id` at `claimed_at` by their owners, protection over — what claims
/// long ago leave behind; for benchmarks of recycling. How many it marked.
pub async fn hold_many(
    tx: &mut Tx,
    object: ObjectKind,
    tenant_id: Uuid,
    pool_id: Uuid,
    claimed_at: DateTime<Utc>,
    limit: i64,
) -> Result<u64> {
    let table = crate::records::table(object)?;
    let sql = format!(
        "INSERT INTO pool_holdings (tenant_id, object, record_id, pool_id, user_id, claimed_at, protected_until)
         SELECT t.tenant_id, $2, t.id, $3, t.owner_id, $4, $4 FROM {table} t
         WHERE t.tenant_id = $1 AND t.pool_id IS NULL AND t.owner_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM pool_holdings h WHERE h.tenant_id = t.tenant_id AND h.object = $2 AND h.record_id = t.id)
         ORDER BY t.id LIMIT $5"
    );
    Ok(on_conn!(tx, c => {
        sqlx::query(&sql).bind(tenant_id).bind(object.key()).bind(pool_id).bind(claimed_at).bind(limit)
            .execute(&mut *c).await?.rows_affected()
    }))
}
