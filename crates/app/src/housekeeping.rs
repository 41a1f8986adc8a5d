//! Housekeeping as jobs: the hourly clean-up of each company (expired sessions, old
//! idempotency keys, finished jobs, exports past their retention) on a recurring schedule, so that with several app servers
//! it runs once per period; and the search-token rebuild after an upgrade, a one-off job per
//! company enqueued at start-up when the store says it is needed.

use crate::jobs::{BoxFuture, JobContext, JobHandler, JobRequest, Schedule};
use crate::{App, AppResult};
use chrono::Duration;
use serde_json::{json, Value};
use store::jobs::NewJob;
use uuid::Uuid;

/// The hourly clean-up of one company.
pub struct Housekeeping;

impl Housekeeping {
    pub const KIND: &'static str = "housekeeping";

    pub fn schedule() -> Schedule {
        Schedule {
            name: "housekeeping",
            kind: Self::KIND,
            payload: json!({}),
            every: Duration::hours(1),
        }
    }

    async fn run(ctx: &JobContext) -> AppResult<Value> {
        let now = ctx.app.now();
        let tenant_id = ctx.tenant_id();
        let mut tx = ctx.app.db.begin().await?;
        let sessions = store::auth::delete_expired_sessions_of(&mut tx, tenant_id, now).await?;
        let keys = store::idempotency::purge_before_of(
            &mut tx,
            tenant_id,
            now - Duration::hours(crate::idempotency::KEEP_HOURS),
        )
        .await?;
        let jobs =
            store::jobs::purge_done_of(&mut tx, tenant_id, now - crate::jobs::KEEP_DONE).await?;
        let exports = store::exports::purge_before(
            &mut tx,
            tenant_id,
            now - Duration::days(crate::exports::RETENTION_DAYS),
        )
        .await?;
        tx.commit().await?;
        Ok(
            json!({ "sessions": sessions, "idempotency_keys": keys, "jobs": jobs, "exports": exports }),
        )
    }
}

impl JobHandler for Housekeeping {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, AppResult<Value>> {
        Box::pin(Self::run(ctx))
    }
}

/// Re-indexes one company's search tokens made by an older version, a batch per
/// transaction, reporting progress. Resumes where an interrupted run stopped (the position
/// is stored with each batch), and a finished company's job does nothing.
pub struct RebuildSearchTokens;

impl RebuildSearchTokens {
    pub const KIND: &'static str = "rebuild_search_tokens";
    /// Stored as the job's schedule, with the token version as its period, so that each
    /// company gets one such job per version however many servers start.
    const SCHEDULE: &'static str = "rebuild_search_tokens";

    async fn run(ctx: &JobContext) -> AppResult<Value> {
        loop {
            let step =
                store::reindex::rebuild_step(&ctx.app.db, ctx.tenant_id(), ctx.app.now()).await?;
            if step.finished {
                return Ok(json!({ "records": step.records }));
            }
            let message = step.object.as_deref().unwrap_or_default();
            ctx.progress(step.records, None, message).await?;
        }
    }
}

impl JobHandler for RebuildSearchTokens {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, AppResult<Value>> {
        Box::pin(Self::run(ctx))
    }
}

/// At start-up: enqueues the search-token rebuild of every company whose tokens are older
/// than the code's, once per company and version (a second server's insert finds it there).
/// Returns how many jobs this call added.
pub async fn enqueue_token_rebuilds(app: &App) -> AppResult<usize> {
    let tenants = store::reindex::pending(&app.db).await?;
    if tenants.is_empty() {
        return Ok(0);
    }
    let now = app.now();
    let period = format!("v{}", store::reindex::TOKENS_VERSION);
    let payload = json!({ "version": store::reindex::TOKENS_VERSION });
    let mut added = 0;
    let mut tx = app.db.begin().await?;
    for tenant_id in tenants {
        let request = JobRequest::new(tenant_id, RebuildSearchTokens::KIND, payload.clone());
        let job = NewJob {
            tenant_id,
            id: Uuid::now_v7(),
            kind: request.kind,
            payload: &request.payload,
            max_attempts: request.max_attempts,
            run_at: now,
            created_by: None,
            recurrence: Some((RebuildSearchTokens::SCHEDULE, &period)),
        };
        if store::jobs::insert(&mut tx, &job, now).await? {
            added += 1;
        }
    }
    tx.commit().await?;
    Ok(added)
}
