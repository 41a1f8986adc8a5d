//! `meridian bench-export`: how fast an export of a list runs on this database, and how much
//! memory it takes. Exports an object's list (`--object`, the leads by default; at most
//! `--rows`, all by default) as the company's first administrator through the same use case
//! and job as the API — XLSX, then CSV — and prints for each the rows, seconds, rows per
//! second, the file's size and the process's peak resident memory during the run (`VmHWM`,
//! reset before each run).

use anyhow::{bail, Context, Result};
use app::exports::{ExportSpec, Format};
use app::App;
use domain::permissions::{Action, ObjectKind};
use std::time::Instant;

#[derive(clap::Args, Clone, Debug)]
pub struct BenchExportArgs {
    /// The object whose list is exported (`leads`, `activities`, …).
    #[arg(long, default_value = "leads")]
    pub object: String,
    /// Rows to export at most; every lead when absent.
    #[arg(long)]
    pub rows: Option<i64>,
    /// The formats, in order: `xlsx,csv` by default.
    #[arg(long, value_delimiter = ',', default_value = "xlsx,csv")]
    pub formats: Vec<String>,
}

fn app_err(e: app::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// The process's peak resident set (`VmHWM`), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Sets the peak back to the current resident set, so each run reports its own peak.
fn reset_peak_rss() {
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("(the peak memory could not be reset: {e}; it is the process's peak so far)");
    }
}

pub async fn run(app: &App, args: &BenchExportArgs) -> Result<()> {
    let object = domain::objects::GENERIC
        .into_iter()
        .find(|k| {
            k.key() == args.object
                || domain::objects::spec(*k).is_some_and(|s| s.plural == args.object)
        })
        .with_context(|| format!("unknown object {}", args.object))?;
    let formats: Vec<Format> = args
        .formats
        .iter()
        .map(|f| Format::parse(f.trim()).with_context(|| format!("unknown format {f}")))
        .collect::<Result<_>>()?;
    let admin = {
        let mut tx = app.db.begin_read().await?;
        let Some(tenant) = store::jobs::tenant_ids(&mut tx).await?.first().copied() else {
            bail!("no company in this database: create one first (meridian gen)");
        };
        let users = store::org::list_users(&mut tx, tenant, 1000).await?;
        let Some(user) = users
            .into_iter()
            .find(|u| u.active && u.permissions.0.allows(ObjectKind::Org, Action::Administer))
        else {
            bail!("the company has no active administrator");
        };
        app::sharing::actor(&mut tx, user).await.map_err(app_err)?
    };
    let spec = ExportSpec {
        sort: Some("-created_at".into()),
        archived: app::records::Archived::Included,
        max_rows: args.rows,
        ..Default::default()
    };
    let registry = web::mail::job_registry().without_schedules();
    let worker = app::jobs::Worker::new(app.clone(), registry);
    println!(
        "export of {} as {} ({}), sorted by -created_at, {}",
        args.object,
        admin.user.name,
        admin.user.email,
        args.rows
            .map_or("every row".to_string(), |n| format!("at most {n} rows"))
    );
    for format in formats {
        reset_peak_rss();
        let before = peak_rss_mb().unwrap_or_default();
        let started = Instant::now();
        let view = app::exports::start(app, &admin, object, &spec, format, "zh-CN")
            .await
            .map_err(app_err)?;
        worker.run_until_idle().await.map_err(app_err)?;
        let seconds = started.elapsed().as_secs_f64();
        let peak = peak_rss_mb().unwrap_or_default();
        let done = app::exports::get(app, &admin, view.export.id)
            .await
            .map_err(app_err)?;
        let e = &done.export;
        let rows = e.row_count.unwrap_or(e.rows_done);
        println!(
            "{}: {} — {rows} rows in {seconds:.1} s: {:.0} rows/s, file {:.1} MB, peak RSS {peak:.0} MB (at start {before:.0} MB)",
            format.key(),
            done.state,
            rows as f64 / seconds.max(1e-9),
            e.size.unwrap_or_default() as f64 / 1e6,
        );
        if let Some(error) = &done.error {
            println!("  error: {error}");
        }
    }
    Ok(())
}
