//! Lead assignment rules (线索分配): the ordered rules of a company, the rotation cursors the
//! creating transaction locks and moves, and the bounded counts of a rep's capacity.

use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use domain::assignment::{Settings, MAX_RULES};
use domain::views::FilterSpec;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Rule {
    pub id: Uuid,
    pub position: i64,
    pub name: String,
    pub active: bool,
    /// The lead record type (business line) the rule is for; none: every lead.
    pub record_type: Option<String>,
    /// The department whose members' leads the rule is for (with its sub-departments).
    pub department_id: Option<Uuid>,
    pub criteria: Json<Vec<FilterSpec>>,
    pub method: String,
    pub settings: Json<Settings>,
    pub max_open: Option<i64>,
    pub max_per_day: Option<i64>,
    pub fallback_pool_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What is written of a rule, on create and on update.
#[derive(Debug, Clone)]
pub struct RuleFields {
    pub name: String,
    pub active: bool,
    pub record_type: Option<String>,
    pub department_id: Option<Uuid>,
    pub criteria: Vec<FilterSpec>,
    pub method: &'static str,
    pub settings: Settings,
    pub max_open: Option<i64>,
    pub max_per_day: Option<i64>,
    pub fallback_pool_id: Option<Uuid>,
}

/// The table, for what every setting shares (`crate::settings`).
pub const TABLE: &str = "assignment_rules";

const COLUMNS: &str = "id, position, name, active, record_type, department_id, criteria, method, settings, max_open, max_per_day, fallback_pool_id, version, created_at, updated_at";

/// The company's rules in their order (the active ones only with `active_only`).
pub async fn list(tx: &mut Tx, tenant_id: Uuid, active_only: bool) -> Result<Vec<Rule>> {
    let filter = if active_only { " AND active" } else { "" };
    let sql = format!(
        "SELECT {COLUMNS} FROM assignment_rules WHERE tenant_id = $1{filter} ORDER BY position, id LIMIT {MAX_RULES}"
    );
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Rule>(&sql).bind(tenant_id).fetch_all(c).await?
    }))
}

pub async fn get(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<Option<Rule>> {
    let sql = format!("SELECT {COLUMNS} FROM assignment_rules WHERE tenant_id = $1 AND id = $2");
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Rule>(&sql).bind(tenant_id).bind(id).fetch_optional(c).await?
    }))
}

/// Adds a rule after the company's last one.
pub async fn insert(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    r: &RuleFields,
    now: DateTime<Utc>,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO assignment_rules (tenant_id, id, position, name, active, record_type, department_id, criteria, method, settings, max_open, max_per_day, fallback_pool_id, version, created_at, updated_at)
            VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM assignment_rules WHERE tenant_id = $1), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $13)")
            .bind(tenant_id).bind(id).bind(&r.name).bind(r.active).bind(&r.record_type).bind(r.department_id)
            .bind(Json(&r.criteria)).bind(r.method).bind(Json(&r.settings)).bind(r.max_open).bind(r.max_per_day)
            .bind(r.fallback_pool_id).bind(now)
            .execute(c).await?;
    });
    Ok(())
}

/// Saves the rule if it is still at `version`.
pub async fn update(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    version: i64,
    r: &RuleFields,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = on_conn!(tx, c => {
        sqlx::query("UPDATE assignment_rules SET name = $4, active = $5, record_type = $6, department_id = $7, criteria = $8, method = $9,
                settings = $10, max_open = $11, max_per_day = $12, fallback_pool_id = $13, updated_at = $14, version = version + 1
            WHERE tenant_id = $1 AND id = $2 AND version = $3")
            .bind(tenant_id).bind(id).bind(version).bind(&r.name).bind(r.active).bind(&r.record_type).bind(r.department_id)
            .bind(Json(&r.criteria)).bind(r.method).bind(Json(&r.settings)).bind(r.max_open).bind(r.max_per_day)
            .bind(r.fallback_pool_id).bind(now)
            .execute(c).await?.rows_affected()
    });
    Ok(done == 1)
}

/// Gives the rules their positions (1, 2, … in the order given).
pub async fn reorder(tx: &mut Tx, tenant_id: Uuid, ids: &[Uuid], now: DateTime<Utc>) -> Result<()> {
    for (i, id) in ids.iter().enumerate() {
        on_conn!(tx, c => {
            sqlx::query("UPDATE assignment_rules SET position = $3, updated_at = $4, version = version + 1 WHERE tenant_id = $1 AND id = $2 AND position <> $3")
                .bind(tenant_id).bind(id).bind(i as i64 + 1).bind(now).execute(c).await?;
        });
    }
    Ok(())
}

/// Namespace of the advisory lock that orders capacity-limited assignments.
const CAPACITY_LOCK: i32 = 0x4153_4e47;

/// Orders the company's assignments under capacity until the transaction ends: taken before
/// any rotation's cursor, so that two rules naming one rep judge its capacity one after the
/// other and never both give it the last place. PostgreSQL only: SQLite has one writer.
pub async fn lock_capacity(tx: &mut Tx, tenant_id: Uuid) -> Result<()> {
    if let crate::db::TxConn::Postgres(t) = &mut tx.conn {
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind(CAPACITY_LOCK)
            .bind(tenant_id.to_string())
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// Where the rule's rotation stands, with its row locked until the transaction ends (created
/// at 0 the first time), so creates on every app server take their turns one after another.
pub async fn lock_cursor(
    tx: &mut Tx,
    tenant_id: Uuid,
    rule_id: Uuid,
    rotation: &str,
) -> Result<i64> {
    Ok(on_conn!(tx, c => {
        sqlx::query_scalar::<_, i64>("INSERT INTO assignment_cursors (tenant_id, rule_id, rotation, position) VALUES ($1, $2, $3, 0)
            ON CONFLICT (tenant_id, rule_id, rotation) DO UPDATE SET position = assignment_cursors.position
            RETURNING position")
            .bind(tenant_id).bind(rule_id).bind(rotation).fetch_one(c).await?
    }))
}

/// Moves the rotation's cursor (its row is locked by [`lock_cursor`]).
pub async fn set_cursor(
    tx: &mut Tx,
    tenant_id: Uuid,
    rule_id: Uuid,
    rotation: &str,
    position: i64,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("UPDATE assignment_cursors SET position = $4 WHERE tenant_id = $1 AND rule_id = $2 AND rotation = $3")
            .bind(tenant_id).bind(rule_id).bind(rotation).bind(position).execute(c).await?;
    });
    Ok(())
}

/// The open leads the rep holds (out of any pool, neither converted nor disqualified),
/// counted up to `limit`: a range of the rep's rows on `leads_owner_status`.
pub async fn open_leads(
    tx: &mut Tx,
    tenant_id: Uuid,
    rep: Uuid,
    closed: &[&str],
    limit: i64,
) -> Result<i64> {
    Ok(on_conn!(tx, c => {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM (SELECT 1 FROM leads WHERE tenant_id = $1 AND owner_id = $2 AND pool_id IS NULL
                AND status NOT IN ($3, $4) LIMIT $5) t")
            .bind(tenant_id).bind(rep).bind(closed.first().copied().unwrap_or_default())
            .bind(closed.get(1).copied().unwrap_or_default()).bind(limit)
            .fetch_one(c).await?
    }))
}

/// The leads assigned to the rep since `since` that they still hold, counted up to `limit`:
/// a range of the rep's rows on `leads_owner_assigned_at`.
pub async fn assigned_since(
    tx: &mut Tx,
    tenant_id: Uuid,
    rep: Uuid,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<i64> {
    Ok(on_conn!(tx, c => {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM (SELECT 1 FROM leads WHERE tenant_id = $1 AND owner_id = $2 AND assigned_at >= $3 LIMIT $4) t")
            .bind(tenant_id).bind(rep).bind(since).bind(limit).fetch_one(c).await?
    }))
}

/// The active users of a department and its sub-departments, in a stable order (by id).
pub async fn department_members(
    tx: &mut Tx,
    tenant_id: Uuid,
    department: Uuid,
) -> Result<Vec<Uuid>> {
    let sql = format!(
        "SELECT u.id FROM users u JOIN departments d ON d.tenant_id = u.tenant_id AND d.id = u.department_id
         WHERE u.tenant_id = $1 AND u.active AND d.path LIKE (SELECT p.path FROM departments p WHERE p.tenant_id = $1 AND p.id = $2) || '%'
         ORDER BY u.id LIMIT {}",
        domain::assignment::MAX_REPS
    );
    Ok(on_conn!(tx, c => {
        sqlx::query_scalar::<_, Uuid>(&sql).bind(tenant_id).bind(department).fetch_all(c).await?
    }))
}

/// Puts a lead just created into a pool (the owner column keeps its creator, who had it
/// last), in the create's transaction.
pub async fn place_in_pool(tx: &mut Tx, tenant_id: Uuid, lead: Uuid, pool_id: Uuid) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("UPDATE leads SET pool_id = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id).bind(lead).bind(pool_id).execute(c).await?;
    });
    Ok(())
}
