//! The showroom register (三表一卡): visits, the lead a phone number belongs to, and the
//! grouped counts of the traffic statistics. Which visits a reader sees is a condition on
//! the consultant from `visibility::users_in_scope`, built by the caller.

use crate::visibility::{users_in_scope, SqlBuilder};
use crate::{Backend, Param, Result, Tx};
use chrono::{DateTime, Utc};
use domain::permissions::{ObjectKind, Principal};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Visit {
    pub id: Uuid,
    pub kind: String,
    pub visitor_name: String,
    pub salutation: Option<String>,
    pub phone: Option<String>,
    pub arrived_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
    pub stay_seconds: Option<i64>,
    pub consultant_id: Uuid,
    pub consultant_name: String,
    pub intent: Option<String>,
    pub heard_from: Option<String>,
    pub area: Option<String>,
    pub party_size: Option<i64>,
    pub notes: Option<String>,
    pub lost_reason: Option<String>,
    pub lead_id: Option<Uuid>,
    pub first_visit: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
}

/// A visit to insert; the stay is derived from the times.
#[derive(Debug, Clone)]
pub struct NewVisit {
    pub id: Uuid,
    pub kind: String,
    pub visitor_name: String,
    pub salutation: Option<String>,
    pub phone: Option<String>,
    pub arrived_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
    pub consultant_id: Uuid,
    pub intent: Option<String>,
    pub heard_from: Option<String>,
    pub area: Option<String>,
    pub party_size: Option<i64>,
    pub notes: Option<String>,
    pub lost_reason: Option<String>,
    pub lead_id: Option<Uuid>,
    pub first_visit: bool,
}

/// The visits `principal` may read, as a condition on `v`: those received by a consultant in
/// the reach of their lead scope and, for the front desk (`registered_too`), those they
/// registered themselves.
pub fn readable(principal: &Principal, registered_too: bool) -> SqlBuilder {
    let mut q = SqlBuilder::default();
    let tenant = q.param(Param::Uuid(principal.tenant_id));
    let reach = users_in_scope(&mut q, principal, ObjectKind::Lead, "v.consultant_id");
    let sql = if registered_too {
        let me = q.param(Param::Uuid(principal.user_id));
        format!("(v.tenant_id = {tenant} AND ({reach} OR v.created_by = {me}))")
    } else {
        format!("(v.tenant_id = {tenant} AND {reach})")
    };
    q.sql = sql;
    q
}

const COLUMNS: &str = "v.id, v.kind, v.visitor_name, v.salutation, v.phone, v.arrived_at, v.left_at, v.stay_seconds, v.consultant_id, u.name AS consultant_name, v.intent, v.heard_from, v.area, v.party_size, v.notes, v.lost_reason, v.lead_id, v.first_visit, v.version, v.created_at, v.created_by";

const FROM: &str =
    "FROM showroom_visits v JOIN users u ON u.tenant_id = v.tenant_id AND u.id = v.consultant_id";

/// The stay between two times, in whole seconds, and its bucket.
fn stay(
    arrived: DateTime<Utc>,
    left: Option<DateTime<Utc>>,
) -> (Option<i64>, Option<&'static str>) {
    match left {
        Some(left) => {
            let seconds = (left - arrived).num_seconds().max(0);
            (Some(seconds), Some(domain::showroom::stay_bucket(seconds)))
        }
        None => (None, None),
    }
}

pub async fn insert(
    tx: &mut Tx,
    tenant_id: Uuid,
    visit: &NewVisit,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let (seconds, bucket) = stay(visit.arrived_at, visit.left_at);
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO showroom_visits (tenant_id, id, kind, visitor_name, salutation, phone, arrived_at, left_at, stay_seconds, stay_bucket, consultant_id, intent, heard_from, area, party_size, notes, lost_reason, lead_id, first_visit, created_at, created_by, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $20)")
            .bind(tenant_id).bind(visit.id).bind(&visit.kind).bind(&visit.visitor_name)
            .bind(&visit.salutation).bind(&visit.phone).bind(visit.arrived_at).bind(visit.left_at)
            .bind(seconds).bind(bucket).bind(visit.consultant_id).bind(&visit.intent)
            .bind(&visit.heard_from).bind(&visit.area).bind(visit.party_size).bind(&visit.notes)
            .bind(&visit.lost_reason).bind(visit.lead_id).bind(visit.first_visit).bind(now).bind(actor)
            .execute(c).await?;
    });
    Ok(())
}

/// The condition "`v` arrived in `[from, to)`", its times added to `q`'s parameters.
fn arrived_in(q: &mut SqlBuilder, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let from = q.param(Param::Time(from));
    let to = q.param(Param::Time(to));
    format!("v.arrived_at >= {from} AND v.arrived_at < {to}")
}

/// One visit, if the reader's condition (`scope`, on `v`) admits it.
pub async fn get(tx: &mut Tx, scope: SqlBuilder, id: Uuid) -> Result<Option<Visit>> {
    let mut q = scope;
    let id = q.param(Param::Uuid(id));
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE v.id = {id} AND {} LIMIT 1",
        q.sql
    );
    Ok(on_conn!(tx, c => {
        bind_params!(sqlx::query_as::<_, Visit>(&sql), &q.params).fetch_optional(c).await?
    }))
}

/// The visits that arrived in `[from, to)` the reader's condition admits, newest first.
pub async fn between(
    tx: &mut Tx,
    scope: SqlBuilder,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Visit>> {
    let mut q = scope;
    let window = arrived_in(&mut q, from, to);
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE {window} AND {} ORDER BY v.arrived_at DESC, v.id DESC LIMIT {limit}",
        q.sql
    );
    Ok(on_conn!(tx, c => {
        bind_params!(sqlx::query_as::<_, Visit>(&sql), &q.params).fetch_all(c).await?
    }))
}

/// A lead's visits, newest first: its follow-up card (意向客户跟踪卡).
pub async fn for_lead(
    tx: &mut Tx,
    tenant_id: Uuid,
    lead_id: Uuid,
    limit: i64,
) -> Result<Vec<Visit>> {
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE v.tenant_id = $1 AND v.lead_id = $2 ORDER BY v.arrived_at DESC, v.id DESC LIMIT {limit}"
    );
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Visit>(&sql).bind(tenant_id).bind(lead_id).fetch_all(c).await?
    }))
}

/// Whether the lead has a visit already (the next one is a return, not a first visit).
pub async fn lead_has_visits(tx: &mut Tx, tenant_id: Uuid, lead_id: Uuid) -> Result<bool> {
    let found: Option<(i64,)> = on_conn!(tx, c => {
        sqlx::query_as("SELECT CAST(1 AS BIGINT) FROM showroom_visits WHERE tenant_id = $1 AND lead_id = $2 LIMIT 1")
            .bind(tenant_id).bind(lead_id).fetch_optional(c).await?
    });
    Ok(found.is_some())
}

/// The company's oldest lead with this phone number (in the leads' stored format) as its
/// mobile or phone, whoever owns it; each column probed on its index.
pub async fn lead_by_phone(tx: &mut Tx, tenant_id: Uuid, phone: &str) -> Result<Option<Uuid>> {
    for column in ["mobile", "phone"] {
        let sql = format!(
            "SELECT id FROM leads WHERE tenant_id = $1 AND {column} = $2 ORDER BY id LIMIT 1"
        );
        let found: Option<(Uuid,)> = on_conn!(tx, c => {
            sqlx::query_as(&sql).bind(tenant_id).bind(phone).fetch_optional(c).await?
        });
        if let Some((id,)) = found {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Sets a visit's leave time (and its stay) and lost reason, if its version is still
/// `version`; whether it was.
#[allow(clippy::too_many_arguments)]
pub async fn set_outcome(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    version: i64,
    arrived_at: DateTime<Utc>,
    left_at: Option<DateTime<Utc>>,
    lost_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let (seconds, bucket) = stay(arrived_at, left_at);
    let done = on_conn!(tx, c => {
        sqlx::query("UPDATE showroom_visits SET left_at = $3, stay_seconds = $4, stay_bucket = $5, lost_reason = $6, updated_at = $7, version = version + 1
            WHERE tenant_id = $1 AND id = $2 AND version = $8")
            .bind(tenant_id).bind(id).bind(left_at).bind(seconds).bind(bucket).bind(lost_reason)
            .bind(now).bind(version).execute(c).await?.rows_affected()
    });
    Ok(done == 1)
}

/// One group of the statistics: how many visits share these values. `quarter` is the UTC
/// quarter hour they arrived in (seconds since the epoch / 900), which the caller places in
/// the reader's day and hour (every zone's offset is a whole number of quarter hours).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StatGroup {
    pub quarter: i64,
    pub consultant_id: Uuid,
    pub consultant_name: String,
    pub intent: Option<String>,
    pub stay_bucket: Option<String>,
    pub lost_reason: Option<String>,
    pub first_visit: bool,
    pub with_phone: i64,
    pub converted: i64,
    pub count: i64,
}

/// The most groups one statistics read returns.
pub const MAX_GROUPS: i64 = 100_000;

/// The visits that arrived in `[from, to)` the reader's condition admits, counted per group,
/// on the arrival index of the company (or of the consultants, for a narrow scope).
pub async fn stat_groups(
    tx: &mut Tx,
    scope: SqlBuilder,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<StatGroup>> {
    let mut q = scope;
    let window = arrived_in(&mut q, from, to);
    let quarter = match tx.backend() {
        Backend::Sqlite => "CAST(strftime('%s', v.arrived_at) AS INTEGER) / 900",
        Backend::Postgres => "CAST(FLOOR(EXTRACT(EPOCH FROM v.arrived_at) / 900) AS BIGINT)",
    };
    let flag = |condition: &str| {
        format!("CASE WHEN {condition} THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END")
    };
    let with_phone = flag("v.phone IS NOT NULL");
    let converted = flag("l.converted_opportunity_id IS NOT NULL");
    let sql = format!(
        "SELECT {quarter} AS quarter, v.consultant_id, u.name AS consultant_name, v.intent, v.stay_bucket, v.lost_reason, v.first_visit,
            {with_phone} AS with_phone, {converted} AS converted, COUNT(*) AS count
         {FROM} LEFT JOIN leads l ON l.tenant_id = v.tenant_id AND l.id = v.lead_id
         WHERE {window} AND {}
         GROUP BY 1, v.consultant_id, u.name, v.intent, v.stay_bucket, v.lost_reason, v.first_visit, 8, 9
         ORDER BY 1 LIMIT {MAX_GROUPS}",
        q.sql
    );
    Ok(on_conn!(tx, c => {
        bind_params!(sqlx::query_as::<_, StatGroup>(&sql), &q.params).fetch_all(c).await?
    }))
}
