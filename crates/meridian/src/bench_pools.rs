//! `meridian bench-pools`: public pools on generated data. Makes a lead pool open to everyone
//! with a 30-day idle rule and marks `--recycle` held leads as claimed from it 40 days ago
//! (none contacted since), then times the scheduler's recycling run over them while a sales
//! rep's leads list is read over and over beside it (its latency before and during the run);
//! then the pool's list (first and deeper pages) and claims from it, as the rep. It leaves
//! the recycled leads in its pool: run it on a copy of generated data.

use crate::bench::percentile;
use anyhow::{bail, Context, Result};
use app::pools::PoolInput;
use app::records::ListRequest;
use app::{Actor, App};
use domain::permissions::{Action, ObjectKind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args, Clone, Debug)]
pub struct BenchPoolsArgs {
    /// Held leads to recycle into the pool.
    #[arg(long, default_value_t = 100_000)]
    pub recycle: i64,
    /// Timed runs of each pool operation.
    #[arg(long, default_value_t = 200)]
    pub iterations: usize,
}

fn app_err(e: app::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// The company's first administrator and first active sales rep.
async fn people(app: &App) -> Result<(Actor, Actor)> {
    let mut tx = app.db.begin_read().await?;
    let Some(tenant) = store::jobs::tenant_ids(&mut tx).await?.first().copied() else {
        bail!("no company in this database: generate one first (meridian gen)");
    };
    let users = store::org::list_users(&mut tx, tenant, 100_000).await?;
    let admin = users
        .iter()
        .find(|u| u.active && u.permissions.0.allows(ObjectKind::Org, Action::Administer))
        .cloned()
        .context("the company has no active administrator")?;
    let rep = users
        .iter()
        .find(|u| u.active && u.role_key.as_deref() == Some("sales_rep"))
        .cloned()
        .context("the company has no active sales rep")?;
    let admin = app::sharing::actor(&mut tx, admin).await.map_err(app_err)?;
    let rep = app::sharing::actor(&mut tx, rep).await.map_err(app_err)?;
    Ok((admin, rep))
}

fn line(what: &str, mut ms: Vec<f64>) {
    ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{what:<44} n={:<5} p50 {:>8.2} ms  p95 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms",
        ms.len(),
        percentile(&ms, 50.0),
        percentile(&ms, 95.0),
        percentile(&ms, 99.0),
        ms.last().copied().unwrap_or(f64::NAN)
    );
}

/// The rep's leads list, first page, as its page reads it.
async fn list_once(app: &App, rep: &Actor) -> Result<f64> {
    let t = Instant::now();
    app::records::list(app, rep, ObjectKind::Lead, &ListRequest::default())
        .await
        .map_err(app_err)?;
    Ok(t.elapsed().as_secs_f64() * 1e3)
}

pub async fn run(app: &App, args: &BenchPoolsArgs) -> Result<()> {
    let (admin, _) = people(app).await?;
    let tenant = admin.tenant_id();
    let name = format!("bench pool {}", uuid::Uuid::now_v7().simple());
    let input = PoolInput {
        object: Some("lead".into()),
        name: Some(name),
        open_to_all: Some(true),
        claims_per_day: Some(None),
        max_held: Some(None),
        protection_days: Some(0),
        idle_days: Some(Some(30)),
        stale_days: Some(None),
        remind_days: Some(0),
        no_reclaim_days: Some(0),
        members: None,
        admins: None,
    };
    let pool_id = app::pools::create(app, &admin, &input)
        .await
        .map_err(app_err)?;
    // The rep again: an actor carries the pools it belongs to as it was made.
    let (_, rep) = people(app).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let held = store::pools::hold_many(
        &mut tx,
        ObjectKind::Lead,
        tenant,
        pool_id,
        now - chrono::Duration::days(40),
        args.recycle,
    )
    .await?;
    tx.commit().await?;
    println!("pool {pool_id}: {held} held leads claimed from it 40 days ago");

    let mut before = Vec::new();
    for _ in 0..args.iterations.min(100) {
        before.push(list_once(app, &rep).await?);
    }
    line("rep's leads list, before the run", before);

    // The recycling run, with the rep's list read beside it until it ends.
    let running = Arc::new(AtomicBool::new(true));
    let reader = {
        let (app, rep, running) = (app.clone(), rep.clone(), running.clone());
        tokio::spawn(async move {
            let mut ms = Vec::new();
            while running.load(Ordering::Relaxed) {
                ms.push(list_once(&app, &rep).await?);
            }
            Ok::<_, anyhow::Error>(ms)
        })
    };
    let started = Instant::now();
    let (recycled, _) = app::pools::recycle::run(app, tenant)
        .await
        .map_err(app_err)?;
    let seconds = started.elapsed().as_secs_f64();
    running.store(false, Ordering::Relaxed);
    let during = reader.await.context("the list reader")??;
    println!(
        "recycling run: {recycled} records in {seconds:.1} s ({:.0} records/s)",
        recycled as f64 / seconds.max(1e-9)
    );
    line("rep's leads list, during the run", during);

    // The pool's list as the rep, first page and ten pages deep.
    let mut first = Vec::new();
    let mut deep = Vec::new();
    for i in 0..args.iterations {
        let t = Instant::now();
        let (_, page) = app::pools::records(app, &rep, pool_id, None, Some(50))
            .await
            .map_err(app_err)?;
        first.push(t.elapsed().as_secs_f64() * 1e3);
        if i % 10 == 0 {
            let mut cursor = page.next_cursor;
            for _ in 0..10 {
                let Some(c) = cursor else { break };
                let t = Instant::now();
                let (_, page) = app::pools::records(app, &rep, pool_id, Some(&c), Some(50))
                    .await
                    .map_err(app_err)?;
                deep.push(t.elapsed().as_secs_f64() * 1e3);
                cursor = page.next_cursor;
            }
        }
    }
    line("pool list, first page (rep)", first);
    line("pool list, next pages (rep)", deep);

    // Claims: the first record of each page, as the rep (the pool sets no limit).
    let mut claims = Vec::new();
    for _ in 0..args.iterations {
        let (_, page) = app::pools::records(app, &rep, pool_id, None, Some(1))
            .await
            .map_err(app_err)?;
        let Some(record) = page.records.first() else {
            break;
        };
        let t = Instant::now();
        app::pools::claims::claim(app, &rep, ObjectKind::Lead, record.id)
            .await
            .map_err(app_err)?;
        claims.push(t.elapsed().as_secs_f64() * 1e3);
    }
    line("claim from the pool (rep)", claims);
    Ok(())
}
