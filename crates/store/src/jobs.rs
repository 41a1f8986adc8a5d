//! The durable job queue: enqueue (inside the caller's transaction), claim with a lease,
//! record progress and the outcome, release, and the administrators' list.
//!
//! A claim is one `UPDATE … WHERE (tenant_id, id) IN (SELECT … LIMIT 1)`: on PostgreSQL the
//! subquery locks its row `FOR UPDATE SKIP LOCKED`, so concurrent workers each take a
//! different job without waiting; on SQLite the claim runs in a write transaction, which
//! the single writer connection serialises. A job is claimable while it waits and is due, or
//! while it is running with an expired lease (its worker died). Every later write of a run
//! (progress, outcome, release) is conditioned on the worker still holding the lease, so a
//! worker that lost its lease cannot overwrite the run that took the job over.

use crate::{Backend, Result, Tx};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

/// Waiting for its first run (`run_at`).
pub const QUEUED: &str = "queued";
/// Held by a worker until `lease_expires_at`.
pub const RUNNING: &str = "running";
/// Finished; `result` holds what it produced.
pub const DONE: &str = "done";
/// A run failed; the next one is due at `run_at`.
pub const RETRYING: &str = "retrying";
/// Failed on its last allowed attempt; waits for an administrator's retry.
pub const DEAD: &str = "dead";

const COLUMNS: &str = "tenant_id, id, kind, payload, state, attempts, max_attempts, run_at, lease_owner, lease_expires_at, progress_done, progress_total, progress_message, result, last_error, schedule, period, created_by, created_at, updated_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub kind: String,
    pub payload: Json<serde_json::Value>,
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub progress_done: i64,
    pub progress_total: Option<i64>,
    pub progress_message: Option<String>,
    pub result: Option<Json<serde_json::Value>>,
    pub last_error: Option<String>,
    pub schedule: Option<String>,
    pub period: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub kind: &'a str,
    pub payload: &'a serde_json::Value,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    /// A recurring job's schedule and period: at most one job per company, schedule and
    /// period is ever stored.
    pub recurrence: Option<(&'a str, &'a str)>,
}

/// Stores a job. Returns false when its recurrence's period already has a job.
pub async fn insert(tx: &mut Tx, job: &NewJob<'_>, now: DateTime<Utc>) -> Result<bool> {
    let (schedule, period) = job.recurrence.unzip();
    let inserted = on_conn!(tx, c => {
        sqlx::query("INSERT INTO jobs (tenant_id, id, kind, payload, state, attempts, max_attempts, run_at, schedule, period, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT DO NOTHING")
            .bind(job.tenant_id).bind(job.id).bind(job.kind).bind(Json(job.payload)).bind(job.max_attempts)
            .bind(job.run_at).bind(schedule).bind(period).bind(job.created_by).bind(now)
            .execute(c).await?.rows_affected()
    });
    Ok(inserted == 1)
}

/// Claims the next due job for `owner` until `lease_until`, counting the attempt.
pub async fn claim(
    tx: &mut Tx,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<Job>> {
    let lock = match tx.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1, lease_expires_at = $3, updated_at = $2 \
         WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM jobs \
             WHERE (state IN ('queued', 'retrying') AND run_at <= $2) OR (state = 'running' AND lease_expires_at <= $2) \
             ORDER BY COALESCE(lease_expires_at, run_at), id LIMIT 1{lock}) \
         RETURNING {COLUMNS}"
    );
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Job>(&sql).bind(owner).bind(now).bind(lease_until).fetch_optional(c).await?
    }))
}

/// Whether any job is claimable at `now`: a read, so that an idle worker's poll does not
/// take SQLite's write lock.
pub async fn any_due(tx: &mut Tx, now: DateTime<Utc>) -> Result<bool> {
    Ok(on_conn!(tx, c => {
        sqlx::query_scalar::<_, i64>("SELECT CAST(1 AS BIGINT) FROM jobs WHERE (state IN ('queued', 'retrying') AND run_at <= $1) OR (state = 'running' AND lease_expires_at <= $1) LIMIT 1")
            .bind(now).fetch_optional(c).await?.is_some()
    }))
}

/// Removes finished jobs last changed before `before`; how many.
pub async fn purge_done(tx: &mut Tx, before: DateTime<Utc>) -> Result<u64> {
    Ok(on_conn!(tx, c => {
        sqlx::query("DELETE FROM jobs WHERE state = 'done' AND updated_at < $1")
            .bind(before).execute(c).await?.rows_affected()
    }))
}

/// Removes one company's jobs finished before `before` (its housekeeping job).
pub async fn purge_done_of(tx: &mut Tx, tenant_id: Uuid, before: DateTime<Utc>) -> Result<u64> {
    Ok(on_conn!(tx, c => {
        sqlx::query("DELETE FROM jobs WHERE tenant_id = $1 AND state = 'done' AND updated_at < $2")
            .bind(tenant_id).bind(before).execute(c).await?.rows_affected()
    }))
}

/// Records progress and extends the lease. False when `owner` no longer holds the job.
#[allow(clippy::too_many_arguments)]
pub async fn progress(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    owner: &str,
    done: i64,
    total: Option<i64>,
    message: Option<&str>,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<bool> {
    let n = on_conn!(tx, c => {
        sqlx::query("UPDATE jobs SET progress_done = $4, progress_total = $5, progress_message = $6, lease_expires_at = $8, updated_at = $7 WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3 AND state = 'running'")
            .bind(tenant_id).bind(id).bind(owner).bind(done).bind(total).bind(message).bind(now).bind(lease_until)
            .execute(c).await?.rows_affected()
    });
    Ok(n == 1)
}

/// Extends the lease of a running job. False when `owner` no longer holds it.
pub async fn renew(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    owner: &str,
    lease_until: DateTime<Utc>,
) -> Result<bool> {
    let n = on_conn!(tx, c => {
        sqlx::query("UPDATE jobs SET lease_expires_at = $4 WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3 AND state = 'running'")
            .bind(tenant_id).bind(id).bind(owner).bind(lease_until)
            .execute(c).await?.rows_affected()
    });
    Ok(n == 1)
}

/// The end of a run: done with its result, or failed (retrying at `retry_at`, or dead when
/// `retry_at` is `None`). False when `owner` no longer holds the job.
pub async fn finish(
    tx: &mut Tx,
    job: &Job,
    owner: &str,
    outcome: Outcome<'_>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let (state, run_at, result, error) = match outcome {
        Outcome::Done(result) => (DONE, job.run_at, Some(Json(result)), None),
        Outcome::Failed {
            error,
            retry_at: Some(at),
        } => (RETRYING, at, None, Some(error)),
        Outcome::Failed {
            error,
            retry_at: None,
        } => (DEAD, job.run_at, None, Some(error)),
    };
    let n = on_conn!(tx, c => {
        sqlx::query("UPDATE jobs SET state = $4, run_at = $5, result = $6, last_error = COALESCE($7, last_error), lease_owner = NULL, lease_expires_at = NULL, updated_at = $8 WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3 AND state = 'running'")
            .bind(job.tenant_id).bind(job.id).bind(owner).bind(state).bind(run_at).bind(result).bind(error).bind(now)
            .execute(c).await?.rows_affected()
    });
    Ok(n == 1)
}

/// How a run ended.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    Done(&'a serde_json::Value),
    Failed {
        error: &'a str,
        retry_at: Option<DateTime<Utc>>,
    },
}

/// Gives a running job back without counting the attempt, for another worker to take at
/// once (graceful shutdown). False when `owner` no longer holds it.
pub async fn release(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = on_conn!(tx, c => {
        sqlx::query("UPDATE jobs SET state = CASE WHEN attempts > 1 THEN 'retrying' ELSE 'queued' END, attempts = attempts - 1, run_at = $4, lease_owner = NULL, lease_expires_at = NULL, updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3 AND state = 'running'")
            .bind(tenant_id).bind(id).bind(owner).bind(now)
            .execute(c).await?.rows_affected()
    });
    Ok(n == 1)
}

/// Puts a dead or retrying job back in the queue, due now, with a fresh count of attempts.
/// False when the job is in neither state.
pub async fn retry(tx: &mut Tx, tenant_id: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let n = on_conn!(tx, c => {
        sqlx::query("UPDATE jobs SET state = 'queued', attempts = 0, run_at = $3, updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND state IN ('dead', 'retrying')")
            .bind(tenant_id).bind(id).bind(now)
            .execute(c).await?.rows_affected()
    });
    Ok(n == 1)
}

pub async fn get(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<Option<Job>> {
    let sql = format!("SELECT {COLUMNS} FROM jobs WHERE tenant_id = $1 AND id = $2");
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Job>(&sql).bind(tenant_id).bind(id).fetch_optional(c).await?
    }))
}

/// A company's jobs in the given states, the most recently changed first.
pub async fn list(tx: &mut Tx, tenant_id: Uuid, states: &[&str], limit: i64) -> Result<Vec<Job>> {
    let placeholders: Vec<String> = (0..states.len()).map(|i| format!("${}", i + 3)).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM jobs WHERE tenant_id = $1 AND state IN ({}) ORDER BY updated_at DESC, id DESC LIMIT $2",
        placeholders.join(", ")
    );
    Ok(on_conn!(tx, c => {
        let mut q = sqlx::query_as::<_, Job>(&sql).bind(tenant_id).bind(limit);
        for s in states {
            q = q.bind(*s);
        }
        q.fetch_all(c).await?
    }))
}

/// The ids of all companies, for schedules that run in each.
pub async fn tenant_ids(tx: &mut Tx) -> Result<Vec<Uuid>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_scalar::<_, Uuid>("SELECT id FROM tenants ORDER BY id").fetch_all(c).await?
    }))
}

/// Removes a company's jobs of one kind (the jobs benchmark's own).
pub async fn delete_kind(tx: &mut Tx, tenant_id: Uuid, kind: &str) -> Result<u64> {
    Ok(on_conn!(tx, c => {
        sqlx::query("DELETE FROM jobs WHERE tenant_id = $1 AND kind = $2")
            .bind(tenant_id).bind(kind)
            .execute(c).await?.rows_affected()
    }))
}
