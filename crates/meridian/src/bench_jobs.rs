//! `meridian bench-jobs`: how many jobs per second the queue runs on this database. Enqueues
//! jobs of a kind that does nothing, runs them with several workers at once (each its own
//! pool, as separate servers would) and removes them afterwards.

use anyhow::{bail, Context, Result};
use app::jobs::{BoxFuture, JobContext, JobHandler, JobRequest, Registry, Worker};
use app::{App, AppResult};
use serde_json::{json, Value};
use std::time::Instant;

#[derive(clap::Args, Clone, Debug)]
pub struct BenchJobsArgs {
    /// Jobs to enqueue and run.
    #[arg(long, default_value_t = 2000)]
    pub jobs: usize,
    /// Workers running them at once.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
}

/// A job that does nothing: what is measured is the queue.
struct Noop;

const KIND: &str = "bench_noop";

impl JobHandler for Noop {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run<'a>(&'a self, _ctx: &'a JobContext) -> BoxFuture<'a, AppResult<Value>> {
        Box::pin(async { Ok(json!({})) })
    }
}

fn app_err(e: app::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// Enqueues, runs and removes the jobs; prints enqueue and run rates.
pub async fn run(
    app: &App,
    open: impl Fn() -> BoxFuture<'static, Result<App>>,
    args: &BenchJobsArgs,
) -> Result<()> {
    let tenant_id = {
        let mut tx = app.db.begin_read().await?;
        let tenants = store::jobs::tenant_ids(&mut tx).await?;
        match tenants.first() {
            Some(t) => *t,
            None => bail!("no company in this database: create one first (meridian admin user create, or meridian gen)"),
        }
    };
    let started = Instant::now();
    for chunk in (0..args.jobs).collect::<Vec<_>>().chunks(500) {
        let mut tx = app.db.begin().await?;
        for n in chunk {
            let request = JobRequest::new(tenant_id, KIND, json!({ "n": n }));
            app::jobs::enqueue(&mut tx, app.now(), &request)
                .await
                .map_err(app_err)?;
        }
        tx.commit().await?;
    }
    let enqueued = started.elapsed();
    let mut apps = Vec::new();
    for _ in 0..args.workers.max(1) {
        apps.push(open().await?);
    }
    let started = Instant::now();
    let handles: Vec<_> = apps
        .iter()
        .map(|a| {
            let worker = Worker::new(a.clone(), Registry::default().register(Noop));
            tokio::spawn(async move { worker.run_until_idle().await })
        })
        .collect();
    let mut ran = 0;
    for h in handles {
        ran += h.await.context("a worker panicked")?.map_err(app_err)?;
    }
    let elapsed = started.elapsed();
    for a in &apps {
        a.db.close().await;
    }
    let mut tx = app.db.begin().await?;
    store::jobs::delete_kind(&mut tx, tenant_id, KIND).await?;
    tx.commit().await?;
    let backend = match app.db.backend() {
        store::Backend::Sqlite => "SQLite",
        store::Backend::Postgres => "PostgreSQL",
    };
    println!(
        "{backend}: enqueued {} jobs in {:.2} s ({:.0}/s, 500 per transaction); {} workers ran {ran} in {:.2} s: {:.0} jobs/s",
        args.jobs,
        enqueued.as_secs_f64(),
        args.jobs as f64 / enqueued.as_secs_f64(),
        args.workers.max(1),
        elapsed.as_secs_f64(),
        ran as f64 / elapsed.as_secs_f64(),
    );
    if ran != args.jobs {
        bail!("{ran} jobs ran, {} were enqueued", args.jobs);
    }
    Ok(())
}
