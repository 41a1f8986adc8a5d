//! Background jobs: run now, at a time, on a schedule; retries with back-off, dead jobs and
//! their retry; two workers on one database; lease takeover; graceful release; the
//! custom-field index build through the pages and the API; who may see which job.

use crate::on_both_databases;
use crate::support::Env;
use app::jobs::{
    BoxFuture, JobContext, JobHandler, JobRequest, Ran, Registry, Schedule, Worker, DEAD, DONE,
    QUEUED, RETRYING,
};
use app::{App, AppError, AppResult};
use axum::http::StatusCode;
use chrono::Duration;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use store::Db;
use uuid::Uuid;

/// Records each run (job id, payload); fails while `fail_first` runs are left.
#[derive(Clone, Default)]
struct Recorder {
    runs: Arc<Mutex<Vec<(Uuid, Value)>>>,
    failures_left: Arc<AtomicUsize>,
}

impl Recorder {
    fn failing(times: usize) -> Self {
        let r = Self::default();
        r.failures_left.store(times, Ordering::SeqCst);
        r
    }

    fn runs(&self) -> Vec<(Uuid, Value)> {
        self.runs.lock().expect("runs").clone()
    }
}

impl JobHandler for Recorder {
    fn kind(&self) -> &'static str {
        "test_record"
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, AppResult<Value>> {
        Box::pin(async move {
            // Let other workers interleave.
            tokio::task::yield_now().await;
            let failing = self
                .failures_left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if failing {
                return Err(AppError::Internal("the sink is down".into()));
            }
            ctx.progress(1, Some(1), "done").await?;
            self.runs
                .lock()
                .expect("runs")
                .push((ctx.job.id, ctx.payload().clone()));
            Ok(json!({ "ok": true }))
        })
    }
}

fn request(tenant_id: Uuid, payload: Value) -> JobRequest {
    JobRequest::new(tenant_id, "test_record", payload)
}

async fn enqueue(app: &App, request: &JobRequest) -> Uuid {
    let mut tx = app.db.begin().await.expect("tx");
    let id = app::jobs::enqueue(&mut tx, app.now(), request)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    id
}

async fn job(app: &App, tenant_id: Uuid, id: Uuid) -> store::jobs::Job {
    let mut tx = app.db.begin_read().await.expect("tx");
    store::jobs::get(&mut tx, tenant_id, id)
        .await
        .expect("get job")
        .expect("job exists")
}

fn hourly() -> Schedule {
    Schedule {
        name: "test_hourly",
        kind: "test_record",
        payload: json!({ "schedule": "hourly" }),
        every: Duration::hours(1),
    }
}

async fn jobs_run_now_at_their_time_and_once_per_period(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let other = env.company("乙公司", "admin@b.example").await;
    let recorder = Recorder::default();
    let worker = Worker::new(
        env.app.clone(),
        Registry::default()
            .register(recorder.clone())
            .schedule(hourly()),
    );
    // Now, and in ten minutes.
    let now_job = enqueue(&env.app, &request(c.tenant_id, json!({ "n": 1 }))).await;
    let mut later = request(c.tenant_id, json!({ "n": 2 }));
    later.run_at = Some(env.app.now() + Duration::minutes(10));
    let later_job = enqueue(&env.app, &later).await;

    // The first poll also enqueues this hour's recurring job of each company.
    assert_eq!(worker.run_until_idle().await.expect("run"), 3);
    let ran: Vec<Uuid> = recorder.runs().iter().map(|(id, _)| *id).collect();
    assert!(
        ran.contains(&now_job) && !ran.contains(&later_job),
        "{ran:?}"
    );
    let done = job(&env.app, c.tenant_id, now_job).await;
    assert_eq!((done.state.as_str(), done.attempts), (DONE, 1));
    assert_eq!(done.result.map(|r| r.0), Some(json!({ "ok": true })));
    assert_eq!((done.progress_done, done.progress_total), (1, Some(1)));
    assert_eq!(job(&env.app, c.tenant_id, later_job).await.state, QUEUED);

    // Nothing more in this hour: the recurring job is not enqueued twice.
    env.clock.advance(Duration::minutes(9));
    assert_eq!(worker.run_until_idle().await.expect("run"), 0);
    env.clock.advance(Duration::minutes(1));
    assert_eq!(worker.run_until_idle().await.expect("run"), 1);
    assert_eq!(job(&env.app, c.tenant_id, later_job).await.state, DONE);

    // A kind this worker does not know fails like any run (a newer worker may know it).
    let unknown = enqueue(
        &env.app,
        &JobRequest::new(c.tenant_id, "test_unknown", json!({})),
    )
    .await;
    let (id, ran) = worker.step().await.expect("step").expect("a job ran");
    assert_eq!(
        (id, ran),
        (unknown, Ran::Retrying(env.app.now() + Duration::minutes(1)))
    );
    let j = job(&env.app, c.tenant_id, unknown).await;
    assert_eq!(
        j.last_error.as_deref(),
        Some("no handler for jobs of kind \"test_unknown\"")
    );
    let mut tx = env.app.db.begin().await.expect("tx");
    store::jobs::delete_kind(&mut tx, c.tenant_id, "test_unknown")
        .await
        .expect("delete");
    tx.commit().await.expect("commit");

    // Next hour: one recurring job per company again.
    env.clock.advance(Duration::hours(1));
    assert_eq!(worker.run_until_idle().await.expect("run"), 2);
    assert_eq!(worker.run_until_idle().await.expect("run"), 0);
    let recurring = recorder
        .runs()
        .iter()
        .filter(|(_, p)| p["schedule"] == "hourly")
        .count();
    assert_eq!(recurring, 4, "two companies × two hours");
    let _ = other;
}

async fn failed_jobs_back_off_then_die_and_an_administrator_retries_them(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let recorder = Recorder::failing(usize::MAX);
    let worker = Worker::new(
        env.app.clone(),
        Registry::default().register(recorder.clone()),
    );
    let mut req = request(c.tenant_id, json!({}));
    req.max_attempts = 3;
    let id = enqueue(&env.app, &req).await;

    // 1st attempt fails: retry in 1 minute; 2nd: in 2 minutes; 3rd: dead.
    let start = env.app.now();
    let (_, ran) = worker.step().await.expect("step").expect("a job ran");
    assert_eq!(ran, Ran::Retrying(start + Duration::minutes(1)));
    let j = job(&env.app, c.tenant_id, id).await;
    assert_eq!((j.state.as_str(), j.attempts), (RETRYING, 1));
    assert_eq!(
        j.last_error.as_deref(),
        Some("internal error: the sink is down")
    );
    env.clock.advance(Duration::seconds(59));
    assert!(
        worker.step().await.expect("step").is_none(),
        "not before its time"
    );
    env.clock.advance(Duration::seconds(1));
    let (_, ran) = worker.step().await.expect("step").expect("a job ran");
    assert_eq!(ran, Ran::Retrying(env.app.now() + Duration::minutes(2)));
    env.clock.advance(Duration::minutes(2));
    let (_, ran) = worker.step().await.expect("step").expect("a job ran");
    assert_eq!(ran, Ran::Dead);
    let j = job(&env.app, c.tenant_id, id).await;
    assert_eq!((j.state.as_str(), j.attempts), (DEAD, 3));
    env.clock.advance(Duration::days(1));
    assert!(
        worker.step().await.expect("step").is_none(),
        "dead stays dead"
    );

    // Administrators see it, in the API and on the page.
    let admin_api = env.api(&env.token(&c.admin).await);
    let r = admin_api.get("/api/v1/jobs?state=dead").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["items"][0]["id"], json!(id));
    assert_eq!(
        r.json()["items"][0]["error"],
        "internal error: the sink is down"
    );
    let r = admin_api.get("/api/v1/jobs?state=lost").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = admin_api.get("/api/v1/jobs?state=dead&colour=red").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "colour");
    let mut browser = env.browser();
    browser.login("admin@a.example").await;
    let page = browser.get("/admin/jobs").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(&format!("id=\"job-{id}\" data-state=\"dead\""));
    page.assert_contains("已失败");

    // Retried from the page: queued with fresh attempts, and it runs once the sink is up.
    let r = browser.post(&format!("/admin/jobs/{id}/retry"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/admin/jobs?notice=job_retried");
    let j = job(&env.app, c.tenant_id, id).await;
    assert_eq!((j.state.as_str(), j.attempts), (QUEUED, 0));
    recorder.failures_left.store(0, Ordering::SeqCst);
    let (_, ran) = worker.step().await.expect("step").expect("a job ran");
    assert_eq!(ran, Ran::Done);
    // A done job is not retried.
    let r = admin_api
        .post(&format!("/api/v1/jobs/{id}/retry"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "job_not_retryable");
}

async fn two_workers_run_each_job_exactly_once(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let recorder = Recorder::default();
    let registry = Registry::default()
        .register(recorder.clone())
        .schedule(hourly());
    let other_db = crate::support::second_pool(&env.app.db).await;
    let other_app = App::with_clock(other_db.clone(), env.clock.clone());
    let workers = [
        Arc::new(Worker::new(env.app.clone(), registry.clone())),
        Arc::new(Worker::new(other_app, registry)),
    ];
    let mut ids = Vec::new();
    for n in 0..40 {
        ids.push(enqueue(&env.app, &request(c.tenant_id, json!({ "n": n }))).await);
    }
    for _hour in 0..3 {
        let handles: Vec<_> = workers
            .iter()
            .map(|w| {
                let w = w.clone();
                tokio::spawn(async move { w.run_until_idle().await.expect("run") })
            })
            .collect();
        let mut total = 0;
        for h in handles {
            total += h.await.expect("worker");
        }
        assert!(total >= 1, "the hour's recurring job ran");
        env.clock.advance(Duration::hours(1));
    }
    let runs = recorder.runs();
    for id in &ids {
        let n = runs.iter().filter(|(r, _)| r == id).count();
        assert_eq!(n, 1, "job {id} ran {n} times");
        assert_eq!(job(&env.app, c.tenant_id, *id).await.state, DONE);
    }
    let recurring = runs
        .iter()
        .filter(|(_, p)| p["schedule"] == "hourly")
        .count();
    assert_eq!(recurring, 3, "once per hour for three hours: {runs:?}");
    assert_eq!(runs.len(), 43);
    other_db.close().await;
}

/// On PostgreSQL a claim skips a job another worker's claim holds locked instead of waiting
/// for it (`FOR UPDATE SKIP LOCKED`).
async fn claims_skip_jobs_locked_by_another_claim(env: Env) {
    let Db::Postgres(pool) = env.app.db.clone() else {
        panic!("a PostgreSQL scenario");
    };
    let c = env.company("甲公司", "admin@a.example").await;
    let first = enqueue(&env.app, &request(c.tenant_id, json!({ "n": 1 }))).await;
    let second = enqueue(&env.app, &request(c.tenant_id, json!({ "n": 2 }))).await;
    // Another worker is in the middle of claiming the first job.
    let mut other = pool.begin().await.expect("tx");
    sqlx::query("SELECT id FROM jobs WHERE id = $1 FOR UPDATE")
        .bind(first)
        .fetch_one(&mut *other)
        .await
        .expect("lock the first job");
    let worker = Worker::new(env.app.clone(), Registry::default());
    let claimed = tokio::time::timeout(std::time::Duration::from_secs(10), worker.claim())
        .await
        .expect("the claim does not wait for the locked job")
        .expect("claim")
        .expect("a job");
    assert_eq!(claimed.id, second);
    other.rollback().await.expect("rollback");
    let claimed = worker.claim().await.expect("claim").expect("a job");
    assert_eq!(claimed.id, first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_skip_jobs_locked_by_another_claim_on_postgres() {
    crate::support::run(
        crate::support::Backend::Postgres,
        claims_skip_jobs_locked_by_another_claim,
    )
    .await
}

async fn a_crashed_workers_job_is_taken_over_when_its_lease_expires(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let recorder = Recorder::default();
    let registry = Registry::default().register(recorder.clone());
    let crashed = Worker::new(env.app.clone(), registry.clone());
    let survivor = Worker::new(env.app.clone(), registry);
    let id = enqueue(&env.app, &request(c.tenant_id, json!({}))).await;

    // The first worker claims the job and dies before running it.
    let claimed = crashed.claim().await.expect("claim").expect("a job");
    assert_eq!(claimed.id, id);
    assert!(survivor.step().await.expect("step").is_none(), "leased");
    env.clock.advance(crashed.lease - Duration::seconds(1));
    assert!(
        survivor.step().await.expect("step").is_none(),
        "still leased"
    );
    env.clock.advance(Duration::seconds(1));
    let (ran_id, ran) = survivor.step().await.expect("step").expect("taken over");
    assert_eq!((ran_id, ran), (id, Ran::Done));
    let j = job(&env.app, c.tenant_id, id).await;
    assert_eq!((j.state.as_str(), j.attempts), (DONE, 2));
    // Had the first worker come back, its outcome would not overwrite the run that took over.
    let late = crashed
        .execute(claimed, std::future::pending(), std::time::Duration::ZERO)
        .await
        .expect("execute");
    assert_eq!(late, Ran::LeaseLost);
    assert_eq!(job(&env.app, c.tenant_id, id).await.state, DONE);
}

/// Panics on its first run.
struct Panicking(Arc<AtomicBool>);

impl JobHandler for Panicking {
    fn kind(&self) -> &'static str {
        "test_panicking"
    }

    fn run<'a>(&'a self, _ctx: &'a JobContext) -> BoxFuture<'a, AppResult<Value>> {
        Box::pin(async move {
            if !self.0.swap(true, Ordering::SeqCst) {
                panic!("a bug in a handler");
            }
            Ok(json!({}))
        })
    }
}

async fn a_panicking_handler_fails_its_job_not_the_worker(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let worker = Worker::new(
        env.app.clone(),
        Registry::default().register(Panicking(Arc::default())),
    );
    let id = enqueue(
        &env.app,
        &JobRequest::new(c.tenant_id, "test_panicking", json!({})),
    )
    .await;
    let (_, ran) = worker.step().await.expect("step").expect("a job ran");
    assert_eq!(ran, Ran::Retrying(env.app.now() + Duration::minutes(1)));
    let j = job(&env.app, c.tenant_id, id).await;
    assert_eq!(j.last_error.as_deref(), Some("the job's handler panicked"));
    env.clock.advance(Duration::minutes(1));
    let (_, ran) = worker.step().await.expect("step").expect("a job ran");
    assert_eq!(ran, Ran::Done);
}

/// Blocks its first run until the worker gives up on it.
#[derive(Clone, Default)]
struct Blocking {
    started: Arc<tokio::sync::Notify>,
    blocked_once: Arc<AtomicBool>,
    finished: Arc<AtomicUsize>,
}

impl JobHandler for Blocking {
    fn kind(&self) -> &'static str {
        "test_blocking"
    }

    fn run<'a>(&'a self, _ctx: &'a JobContext) -> BoxFuture<'a, AppResult<Value>> {
        Box::pin(async move {
            if !self.blocked_once.swap(true, Ordering::SeqCst) {
                self.started.notify_one();
                std::future::pending::<()>().await;
            }
            self.finished.fetch_add(1, Ordering::SeqCst);
            Ok(json!({}))
        })
    }
}

async fn graceful_shutdown_releases_the_running_job(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let handler = Blocking::default();
    let registry = Registry::default().register(handler.clone());
    let id = enqueue(
        &env.app,
        &JobRequest::new(c.tenant_id, "test_blocking", json!({})),
    )
    .await;
    let worker = Arc::new(Worker::new(env.app.clone(), registry.clone()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = {
        let worker = worker.clone();
        tokio::spawn(async move {
            worker
                .run(
                    std::time::Duration::from_millis(10),
                    std::time::Duration::ZERO,
                    stopped,
                )
                .await
        })
    };
    handler.started.notified().await;
    assert_eq!(job(&env.app, c.tenant_id, id).await.state, "running");
    stop.send(true).expect("stop");
    running.await.expect("worker stops");
    let j = job(&env.app, c.tenant_id, id).await;
    assert_eq!(j.state, QUEUED);
    assert_eq!(
        (j.lease_owner, j.lease_expires_at, j.attempts),
        (None, None, 0)
    );
    // Another worker takes it at once, without waiting for a lease to expire.
    let other = Worker::new(env.app.clone(), registry);
    let (ran_id, ran) = other
        .step()
        .await
        .expect("step")
        .expect("released job runs");
    assert_eq!((ran_id, ran), (id, Ran::Done));
    assert_eq!(handler.finished.load(Ordering::SeqCst), 1);
}

async fn custom_field_indexes_are_built_by_a_job_from_the_page_and_the_api(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let mut browser = env.browser();
    browser.login("admin@a.example").await;
    let r = browser
        .post(
            "/admin/fields/contacts",
            &[
                ("key", "tier"),
                ("label_zh", "层级"),
                ("label_en", "Tier"),
                ("field_type", "text"),
                ("indexed", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page_url = r.location();
    assert!(page_url.starts_with("/jobs/"), "{page_url}");
    let index_name = || async {
        let mut tx = env.app.db.begin_read().await.expect("tx");
        store::custom_fields::list(
            &mut tx,
            c.tenant_id,
            domain::permissions::ObjectKind::Contact,
        )
        .await
        .expect("fields")
        .into_iter()
        .find(|f| f.def.key == "tier")
        .expect("field added")
        .index_name
    };
    // The request only enqueued the build; the page shows it waiting and polls.
    assert_eq!(index_name().await, None);
    let page = browser.get(&page_url).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("自定义字段索引");
    page.assert_contains("排队中");
    page.assert_contains("data-state=\"queued\"");
    page.assert_contains(&format!("hx-get=\"{page_url}\""));
    page.assert_contains("value=\"0\"");
    // htmx polls the status alone, not the whole page.
    let fragment = browser.get_htmx(&page_url).await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(
        fragment
            .body
            .trim_start()
            .starts_with("<section class=\"card job-status\""),
        "{}",
        fragment.body
    );
    assert!(!fragment.body.contains("<html"));
    // The index build.
    assert_eq!(env.run_jobs().await, 1);
    assert_eq!(index_name().await.as_deref(), Some("cf_contacts_tier"));
    browser.accept_language = "en".into();
    let page = browser.get(&page_url).await;
    page.assert_contains("data-state=\"done\"");
    page.assert_contains("value=\"100\"");
    page.assert_contains("Done");
    page.assert_contains("href=\"/admin/fields/contacts\"");
    assert!(!page.body.contains("hx-get"), "polling stops once done");

    // The index button of the field list, again through a job (idempotent: same index).
    let r = browser.post("/admin/fields/contacts/tier/index", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().starts_with("/jobs/"));
    assert_eq!(env.run_jobs().await, 1);
    assert_eq!(index_name().await.as_deref(), Some("cf_contacts_tier"));

    // The API answers 202 with the job to follow.
    let api = env.api(&env.token(&c.admin).await);
    let r = api
        .post(
            "/api/v1/leads/fields",
            json!({"key": "budget", "label_zh": "预算", "label_en": "Budget", "field_type": "number", "indexed": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let url = r.json()["job"]["url"]
        .as_str()
        .expect("job url")
        .to_string();
    assert_eq!(r.location(), url);
    let j = api.get(&url).await;
    assert_eq!(j.status, StatusCode::OK, "{}", j.body);
    assert_eq!(j.json()["state"], "queued");
    assert_eq!(j.json()["kind"], "custom_field_index");
    assert_eq!(env.run_jobs().await, 1);
    let j = api.get(&url).await.json();
    assert_eq!(j["state"], "done");
    assert_eq!(
        j["progress"],
        json!({"done": 2, "total": 2, "message": "done"})
    );
    assert_eq!(j["result"]["index"], "cf_leads_budget");
    assert_eq!(j["error"], Value::Null);
    let fields = api.get("/api/v1/leads/fields").await.json();
    assert!(fields["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|f| f["key"] == "budget" && f["indexed"] == true));
}

async fn only_the_creator_and_administrators_see_a_job(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let other = env.company("乙公司", "admin@b.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let peer = env
        .user(&c, "peer@a.example", "sales_rep", None, None)
        .await;
    let mut mine = request(c.tenant_id, json!({}));
    mine.created_by = Some(rep.id());
    let rep_job = enqueue(&env.app, &mine).await;
    app::customize::add_field(
        &env.app,
        &c.admin,
        domain::permissions::ObjectKind::Contact,
        serde_json::from_value(
            json!({"key": "tier", "label_zh": "层级", "label_en": "Tier", "field_type": "text"}),
        )
        .expect("def"),
    )
    .await
    .expect("add field");
    let admin_job = app::customize::index_field(
        &env.app,
        &c.admin,
        domain::permissions::ObjectKind::Contact,
        "tier",
    )
    .await
    .expect("index job");

    let rep_api = env.api(&env.token(&rep).await);
    let peer_api = env.api(&env.token(&peer).await);
    let admin_api = env.api(&env.token(&c.admin).await);
    let stranger_api = env.api(&env.token(&other.admin).await);
    let status = |r: crate::support::Response| r.status;
    assert_eq!(
        status(rep_api.get(&format!("/api/v1/jobs/{rep_job}")).await),
        StatusCode::OK
    );
    assert_eq!(
        status(admin_api.get(&format!("/api/v1/jobs/{rep_job}")).await),
        StatusCode::OK
    );
    assert_eq!(
        status(peer_api.get(&format!("/api/v1/jobs/{rep_job}")).await),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(rep_api.get(&format!("/api/v1/jobs/{admin_job}")).await),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(stranger_api.get(&format!("/api/v1/jobs/{admin_job}")).await),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(rep_api.get("/api/v1/jobs/not-an-id").await),
        StatusCode::NOT_FOUND
    );
    // Only administrators list and retry.
    assert_eq!(
        status(rep_api.get("/api/v1/jobs").await),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(
            rep_api
                .post(&format!("/api/v1/jobs/{rep_job}/retry"), json!({}))
                .await
        ),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(
            stranger_api
                .post(&format!("/api/v1/jobs/{admin_job}/retry"), json!({}))
                .await
        ),
        StatusCode::NOT_FOUND
    );
    let listed = admin_api.get("/api/v1/jobs?state=queued").await.json();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        stranger_api.get("/api/v1/jobs?state=queued").await.json()["items"],
        json!([])
    );
    // The API document describes the jobs' paths.
    let doc = rep_api.get("/api/v1/openapi.json").await.json();
    for path in [
        "/api/v1/jobs",
        "/api/v1/jobs/{id}",
        "/api/v1/jobs/{id}/retry",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} in the OpenAPI document"
        );
    }
    // The pages likewise.
    let mut browser = env.browser();
    browser.login("peer@a.example").await;
    assert_eq!(
        browser.get(&format!("/jobs/{rep_job}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        browser.get("/admin/jobs").await.status,
        StatusCode::FORBIDDEN
    );
    let mut browser = env.browser();
    browser.login("rep@a.example").await;
    let page = browser.get(&format!("/jobs/{rep_job}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // Times in the reader's time zone (China time by default), as on every page.
    let local = env
        .app
        .now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    page.assert_contains(&local);
    assert!(!page.body.contains("UTC"), "{}", page.body);
    assert_eq!(
        browser.get(&format!("/jobs/{admin_job}")).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn finished_jobs_are_purged_after_thirty_days(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let recorder = Recorder::default();
    let worker = Worker::new(env.app.clone(), Registry::default().register(recorder));
    let done = enqueue(&env.app, &request(c.tenant_id, json!({}))).await;
    worker.run_until_idle().await.expect("run");
    let mut later = request(c.tenant_id, json!({}));
    later.run_at = Some(env.app.now() + Duration::days(60));
    let waiting = enqueue(&env.app, &later).await;
    env.clock
        .advance(app::jobs::KEEP_DONE - Duration::seconds(1));
    assert_eq!(app::jobs::purge(&env.app).await.expect("purge"), 0);
    env.clock.advance(Duration::seconds(2));
    assert_eq!(app::jobs::purge(&env.app).await.expect("purge"), 1);
    let mut tx = env.app.db.begin_read().await.expect("tx");
    assert!(store::jobs::get(&mut tx, c.tenant_id, done)
        .await
        .expect("get")
        .is_none());
    assert!(store::jobs::get(&mut tx, c.tenant_id, waiting)
        .await
        .expect("get")
        .is_some());
}

on_both_databases!(
    finished_jobs_are_purged_after_thirty_days,
    a_panicking_handler_fails_its_job_not_the_worker,
    jobs_run_now_at_their_time_and_once_per_period,
    failed_jobs_back_off_then_die_and_an_administrator_retries_them,
    two_workers_run_each_job_exactly_once,
    a_crashed_workers_job_is_taken_over_when_its_lease_expires,
    graceful_shutdown_releases_the_running_job,
    custom_field_indexes_are_built_by_a_job_from_the_page_and_the_api,
    only_the_creator_and_administrators_see_a_job,
);
