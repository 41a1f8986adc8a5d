//! Background jobs: a durable queue in the database (`store::jobs`), the handlers that run
//! each kind, recurring schedules, and the worker that claims and runs them.
//!
//! A capability schedules work by implementing [`JobHandler`] for a kind, registering it in
//! [`Registry::standard`], and calling [`enqueue`] inside the transaction of the change that
//! needs the work: the job exists exactly when the change committed. Recurring work is a
//! [`Schedule`]: the worker enqueues one job per company and period, deduplicated by the
//! database, so several servers never enqueue a period twice.
//!
//! All time comes from the application's clock: due times, leases, back-off and schedule
//! periods. Tests move a `ManualClock` and call [`Worker::step`] instead of waiting.

use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::permissions::{Action, ObjectKind};
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use store::jobs::{Job, NewJob, Outcome};
use store::Tx;
use uuid::Uuid;

pub use store::jobs::{DEAD, DONE, QUEUED, RETRYING, RUNNING};

/// Attempts a job gets unless its enqueuer says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 5;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs the jobs of one kind.
///
/// **Contract: a handler is idempotent.** A job runs at least once and, barring a worker's
/// death, exactly once: a worker that dies (or loses its lease) mid-run leaves the job to be
/// taken over when its lease expires, and a failed run is retried. So a run must give the same
/// end state whether or not an earlier run of the same job got part or all of the way:
/// create with `IF NOT EXISTS` / `ON CONFLICT DO NOTHING`, set rather than add, and check
/// for what an earlier run already did before doing it.
///
/// A run returns its result (stored on the job as JSON) or an error (stored as the job's last
/// error; the job is retried with back-off, and dead after its last attempt). Long runs call
/// [`JobContext::progress`], which also keeps the lease.
pub trait JobHandler: Send + Sync {
    /// The name jobs of this kind are stored under; unique among handlers, never renamed.
    fn kind(&self) -> &'static str;
    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, AppResult<Value>>;
}

/// Recurring work: a job of `kind` with `payload` in every company, once per `every`.
/// Periods are aligned on the Unix epoch (a day-long period starts at 00:00 UTC).
#[derive(Clone)]
pub struct Schedule {
    /// Stored on each job; unique among schedules, never renamed.
    pub name: &'static str,
    pub kind: &'static str,
    pub payload: Value,
    pub every: Duration,
}

impl Schedule {
    /// The start of the period `now` falls in.
    pub fn period_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let every = self.every.num_seconds().max(1);
        let start = now.timestamp().div_euclid(every) * every;
        Utc.timestamp_opt(start, 0).single().unwrap_or(now)
    }
}

/// The handlers and schedules a worker knows.
#[derive(Default, Clone)]
pub struct Registry {
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
    schedules: Vec<Schedule>,
}

impl Registry {
    /// Every built-in kind of job.
    pub fn standard() -> Self {
        Self::default()
            .register(crate::customize::BuildFieldIndex)
            .register(crate::events::PruneEvents)
            .schedule(crate::events::PruneEvents::schedule())
            .register(crate::notifications::FireReminders)
            .schedule(crate::notifications::FireReminders::schedule())
            .register(crate::housekeeping::Housekeeping)
            .schedule(crate::housekeeping::Housekeeping::schedule())
            .register(crate::housekeeping::RebuildSearchTokens)
            .register(crate::stages::StageWarnings)
            .register(crate::closing::ResumeReminders)
            .schedule(crate::closing::ResumeReminders::schedule())
            .schedule(crate::stages::StageWarnings::schedule())
            .register(crate::pools::RecyclePools)
            .register(crate::imports::RunImport)
            .register(crate::exports::RunExport)
            .schedule(crate::pools::RecyclePools::schedule())
    }

    pub fn register(mut self, handler: impl JobHandler + 'static) -> Self {
        self.handlers.insert(handler.kind(), Arc::new(handler));
        self
    }

    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.schedules.push(schedule);
        self
    }

    /// The same handlers without the recurring schedules: runs what is queued and nothing
    /// the clock adds.
    pub fn without_schedules(mut self) -> Self {
        self.schedules.clear();
        self
    }

    fn handler(&self, kind: &str) -> Option<Arc<dyn JobHandler>> {
        self.handlers.get(kind).cloned()
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct JobRequest {
    pub tenant_id: Uuid,
    pub kind: &'static str,
    pub payload: Value,
    /// When it may run first; now when `None`.
    pub run_at: Option<DateTime<Utc>>,
    /// The user who asked for it: they (and administrators) may follow it.
    pub created_by: Option<Uuid>,
    pub max_attempts: i64,
}

impl JobRequest {
    pub fn new(tenant_id: Uuid, kind: &'static str, payload: Value) -> Self {
        Self {
            tenant_id,
            kind,
            payload,
            run_at: None,
            created_by: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

/// Enqueues a job inside the caller's transaction and returns its id.
pub async fn enqueue(tx: &mut Tx, now: DateTime<Utc>, request: &JobRequest) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    store::jobs::insert(
        tx,
        &NewJob {
            tenant_id: request.tenant_id,
            id,
            kind: request.kind,
            payload: &request.payload,
            max_attempts: request.max_attempts.max(1),
            run_at: request.run_at.unwrap_or(now),
            created_by: request.created_by,
            recurrence: None,
        },
        now,
    )
    .await?;
    Ok(id)
}

/// Exponential back-off: `base × 2^(attempt − 1)`, at most `cap`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::minutes(1),
            cap: Duration::hours(1),
        }
    }
}

impl Backoff {
    /// The wait after the `attempt`-th failed run (1 for the first).
    pub fn delay(&self, attempt: i64) -> Duration {
        let exponent = attempt.saturating_sub(1).clamp(0, 30) as u32;
        let factor = 2i32.saturating_pow(exponent);
        self.base
            .checked_mul(factor)
            .map_or(self.cap, |d| d.min(self.cap))
    }
}

/// What a running handler sees: the application, its job, and progress reporting.
pub struct JobContext {
    pub app: App,
    pub job: Job,
    owner: String,
    lease: Duration,
}

impl JobContext {
    pub fn payload(&self) -> &Value {
        &self.job.payload.0
    }

    /// The id the payload names under `key`; `what` says what the job is missing when not.
    pub fn payload_id(&self, key: &str, what: &str) -> AppResult<Uuid> {
        self.payload()
            .get(key)
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(|| AppError::Internal(format!("the job names no {what}")))
    }

    pub fn tenant_id(&self) -> Uuid {
        self.job.tenant_id
    }

    /// Records how far the job got (`done` of `total` steps, with a short message) and
    /// extends the lease. Fails when this worker no longer holds the job.
    pub async fn progress(&self, done: i64, total: Option<i64>, message: &str) -> AppResult<()> {
        let now = self.app.now();
        let mut tx = self.app.db.begin().await?;
        let held = store::jobs::progress(
            &mut tx,
            self.job.tenant_id,
            self.job.id,
            &self.owner,
            done,
            total,
            Some(message),
            now,
            now + self.lease,
        )
        .await?;
        tx.commit().await?;
        if held {
            Ok(())
        } else {
            Err(AppError::Internal("the job's lease was lost".into()))
        }
    }
}

/// How one claimed job ended in this worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ran {
    Done,
    /// Failed; will run again at the time given.
    Retrying(DateTime<Utc>),
    Dead,
    /// Given back unfinished (shutdown) for another worker to take at once.
    Released,
    /// Another worker took the job over meanwhile; this run's outcome was dropped.
    LeaseLost,
}

/// Claims and runs jobs. Several workers (threads or servers) may share a database.
pub struct Worker {
    app: App,
    registry: Arc<Registry>,
    /// Who holds a claimed job's lease; unique per worker.
    pub id: String,
    /// How long a claim holds before another worker may take the job over.
    pub lease: Duration,
    pub backoff: Backoff,
}

impl Worker {
    pub fn new(app: App, registry: Registry) -> Self {
        Self {
            app,
            registry: Arc::new(registry),
            id: format!("worker-{}", Uuid::now_v7().simple()),
            lease: Duration::minutes(5),
            backoff: Backoff::default(),
        }
    }

    /// Enqueues the current period's job of every schedule in every company, unless
    /// already enqueued (by this or another server). Returns how many were added.
    pub async fn enqueue_schedules(&self) -> AppResult<usize> {
        if self.registry.schedules.is_empty() {
            return Ok(0);
        }
        let now = self.app.now();
        let mut tx = self.app.db.begin().await?;
        let tenants = store::jobs::tenant_ids(&mut tx).await?;
        let mut added = 0;
        for schedule in &self.registry.schedules {
            let start = schedule.period_start(now);
            let period = start.to_rfc3339();
            for tenant_id in &tenants {
                let job = NewJob {
                    tenant_id: *tenant_id,
                    id: Uuid::now_v7(),
                    kind: schedule.kind,
                    payload: &schedule.payload,
                    max_attempts: DEFAULT_MAX_ATTEMPTS,
                    run_at: start,
                    created_by: None,
                    recurrence: Some((schedule.name, &period)),
                };
                if store::jobs::insert(&mut tx, &job, now).await? {
                    added += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Claims the next due job, if any.
    pub async fn claim(&self) -> AppResult<Option<Job>> {
        let now = self.app.now();
        let mut read = self.app.db.begin_read().await?;
        let due = store::jobs::any_due(&mut read, now).await?;
        drop(read);
        if !due {
            return Ok(None);
        }
        let mut tx = self.app.db.begin().await?;
        let job = store::jobs::claim(&mut tx, &self.id, now, now + self.lease).await?;
        tx.commit().await?;
        Ok(job)
    }

    /// One poll: enqueues due schedules, then claims and runs one job. `None` when no job
    /// was due.
    pub async fn step(&self) -> AppResult<Option<(Uuid, Ran)>> {
        self.enqueue_schedules().await?;
        let Some(job) = self.claim().await? else {
            return Ok(None);
        };
        let id = job.id;
        let ran = self
            .execute(job, std::future::pending(), std::time::Duration::ZERO)
            .await?;
        Ok(Some((id, ran)))
    }

    /// Runs jobs until none is due; returns how many ran.
    pub async fn run_until_idle(&self) -> AppResult<usize> {
        let mut ran = 0;
        while self.step().await?.is_some() {
            ran += 1;
        }
        Ok(ran)
    }

    /// Runs a claimed job, keeping its lease while it runs. When `stop` completes first, the
    /// job gets `grace` to finish and is then released.
    pub async fn execute(
        &self,
        job: Job,
        stop: impl Future<Output = ()>,
        grace: std::time::Duration,
    ) -> AppResult<Ran> {
        let Some(handler) = self.registry.handler(&job.kind) else {
            // Retried like a failure: during a rolling upgrade a newer worker may know it.
            let error = format!("no handler for jobs of kind {:?}", job.kind);
            return self.fail(&job, &error).await;
        };
        let ctx = Arc::new(JobContext {
            app: self.app.clone(),
            job,
            owner: self.id.clone(),
            lease: self.lease,
        });
        // On its own task, so that a panicking handler fails its job instead of the worker.
        let mut run = {
            let ctx = ctx.clone();
            tokio::spawn(async move { handler.run(&ctx).await })
        };
        tokio::pin!(stop);
        let renew_every = self
            .lease
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(60))
            / 3;
        let mut renewal =
            tokio::time::interval(renew_every.max(std::time::Duration::from_millis(10)));
        renewal.tick().await;
        let mut stopping = false;
        let outcome = loop {
            tokio::select! {
                outcome = &mut run => break Some(outcome),
                () = &mut stop, if !stopping => stopping = true,
                _ = renewal.tick(), if !stopping => {
                    match self.renew(&ctx.job).await {
                        Ok(true) => {}
                        Ok(false) => {
                            run.abort();
                            return Ok(Ran::LeaseLost);
                        }
                        Err(e) => {
                            run.abort();
                            return Err(e);
                        }
                    }
                }
            }
            if stopping {
                break tokio::time::timeout(grace, &mut run).await.ok();
            }
        };
        match outcome {
            Some(Ok(Ok(result))) => self.done(&ctx.job, &result).await,
            Some(Ok(Err(e))) => self.fail(&ctx.job, &e.to_string()).await,
            Some(Err(e)) => {
                let error = if e.is_panic() {
                    "the job's handler panicked".to_string()
                } else {
                    format!("the job's task ended: {e}")
                };
                self.fail(&ctx.job, &error).await
            }
            None => {
                run.abort();
                self.release(&ctx.job).await
            }
        }
    }

    async fn renew(&self, job: &Job) -> AppResult<bool> {
        let now = self.app.now();
        let mut tx = self.app.db.begin().await?;
        let held =
            store::jobs::renew(&mut tx, job.tenant_id, job.id, &self.id, now + self.lease).await?;
        tx.commit().await?;
        Ok(held)
    }

    async fn done(&self, job: &Job, result: &Value) -> AppResult<Ran> {
        self.finish(job, Outcome::Done(result), Ran::Done).await
    }

    async fn fail(&self, job: &Job, error: &str) -> AppResult<Ran> {
        tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, %error, "job failed");
        if job.attempts < job.max_attempts {
            let at = self.app.now() + self.backoff.delay(job.attempts);
            let outcome = Outcome::Failed {
                error,
                retry_at: Some(at),
            };
            return self.finish(job, outcome, Ran::Retrying(at)).await;
        }
        let outcome = Outcome::Failed {
            error,
            retry_at: None,
        };
        self.finish(job, outcome, Ran::Dead).await
    }

    async fn finish(&self, job: &Job, outcome: Outcome<'_>, ran: Ran) -> AppResult<Ran> {
        let now = self.app.now();
        let mut tx = self.app.db.begin().await?;
        let held = store::jobs::finish(&mut tx, job, &self.id, outcome, now).await?;
        tx.commit().await?;
        Ok(if held { ran } else { Ran::LeaseLost })
    }

    async fn release(&self, job: &Job) -> AppResult<Ran> {
        let now = self.app.now();
        let mut tx = self.app.db.begin().await?;
        let held = store::jobs::release(&mut tx, job.tenant_id, job.id, &self.id, now).await?;
        tx.commit().await?;
        tracing::info!(job = %job.id, kind = %job.kind, "job released at shutdown");
        Ok(if held { Ran::Released } else { Ran::LeaseLost })
    }

    /// Polls every `poll` until `shutdown` turns true; a job running then gets `grace` to
    /// finish and is otherwise released.
    pub async fn run(
        &self,
        poll: std::time::Duration,
        grace: std::time::Duration,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        tracing::info!(worker = %self.id, "job worker started");
        while !*shutdown.borrow() {
            let claimed = match self.enqueue_schedules().await {
                Ok(_) => self.claim().await,
                Err(e) => Err(e),
            };
            match claimed {
                Ok(Some(job)) => {
                    let mut stop = shutdown.clone();
                    let stopped = async move {
                        let _ = stop.wait_for(|s| *s).await;
                    };
                    if let Err(e) = self.execute(job, stopped, grace).await {
                        tracing::warn!(error = %e, "recording a job's outcome failed");
                    }
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "claiming a job failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.wait_for(|s| *s) => {}
            }
        }
        tracing::info!(worker = %self.id, "job worker stopped");
    }
}

/// How long finished jobs are kept (for their pages and results).
pub const KEEP_DONE: Duration = Duration::days(30);

/// Removes jobs finished more than [`KEEP_DONE`] ago (housekeeping); how many.
pub async fn purge(app: &App) -> AppResult<u64> {
    let mut tx = app.db.begin().await?;
    let n = store::jobs::purge_done(&mut tx, app.now() - KEEP_DONE).await?;
    tx.commit().await?;
    Ok(n)
}

fn is_admin(actor: &Actor) -> bool {
    actor.principal.can(ObjectKind::Org, Action::Administer)
}

/// A job, for its creator and the company's administrators; anyone else gets `NotFound`.
pub async fn get(app: &App, actor: &Actor, id: Uuid) -> AppResult<Job> {
    let mut tx = app.db.begin_read().await?;
    let job = store::jobs::get(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if job.created_by == Some(actor.id()) || is_admin(actor) {
        Ok(job)
    } else {
        Err(AppError::NotFound)
    }
}

/// The states an administrator's list may show.
pub const STATES: [&str; 5] = [QUEUED, RUNNING, RETRYING, DEAD, DONE];

/// The company's jobs in the given states (failed ones when empty), for administrators.
pub async fn list(app: &App, actor: &Actor, states: &[&str]) -> AppResult<Vec<Job>> {
    actor.require(ObjectKind::Org, Action::Administer)?;
    let states: Vec<&str> = if states.is_empty() {
        vec![DEAD, RETRYING]
    } else {
        states.to_vec()
    };
    if let Some(bad) = states.iter().find(|s| !STATES.contains(s)) {
        tracing::debug!(state = %bad, "unknown job state asked for");
        return Err(AppError::field("state", "unknown_state"));
    }
    let mut tx = app.db.begin_read().await?;
    Ok(store::jobs::list(&mut tx, actor.tenant_id(), &states, 200).await?)
}

/// Puts a dead (or retrying) job back in the queue, due now, with fresh attempts.
pub async fn retry(app: &App, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require(ObjectKind::Org, Action::Administer)?;
    let mut tx = app.db.begin().await?;
    store::jobs::get(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !store::jobs::retry(&mut tx, actor.tenant_id(), id, app.now()).await? {
        return Err(AppError::Rule("job_not_retryable"));
    }
    tx.commit().await?;
    Ok(())
}
