//! `meridian bench-import`: how many rows per second an import runs on this database. Makes a
//! lead CSV of `--rows` rows in memory (unique companies, mobiles and e-mails, a source by its
//! Chinese label, every tenth row invalid), imports it as the company's first administrator
//! through the same use case and job as the API, and prints the rows per second of the job.

use anyhow::{bail, Context, Result};
use app::imports::{Mode, Settings};
use app::App;
use domain::permissions::{Action, ObjectKind};
use std::fmt::Write;
use std::time::Instant;

#[derive(clap::Args, Clone, Debug)]
pub struct BenchImportArgs {
    /// Data rows in the generated file.
    #[arg(long, default_value_t = 100_000)]
    pub rows: usize,
    /// Duplicate mode: skip (a duplicate check per row), update, or create.
    #[arg(long, default_value = "skip")]
    pub mode: String,
    /// Undo the import afterwards (and time it).
    #[arg(long)]
    pub undo: bool,
}

fn app_err(e: app::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// The generated file: a header row in Chinese and `rows` leads, every tenth one without a
/// name (refused by the validation, into the error file).
pub fn lead_csv(rows: usize, seed: &str) -> String {
    let mut out = String::from("姓名,公司名称,手机,邮箱,线索来源,城市,备注\n");
    for i in 0..rows {
        let name = if i % 10 == 9 {
            String::new()
        } else {
            format!("导入{i}")
        };
        let _ = writeln!(
            out,
            "{name},{seed}测试{i}科技有限公司,139{:08},lead{i}@{seed}.example,官网,杭州,第 {i} 行",
            i % 100_000_000
        );
    }
    out
}

pub async fn run(app: &App, args: &BenchImportArgs) -> Result<()> {
    let mode = Mode::parse(&args.mode).context("--mode is skip, update or create")?;
    let admin = {
        let mut tx = app.db.begin_read().await?;
        let Some(tenant) = store::jobs::tenant_ids(&mut tx).await?.first().copied() else {
            bail!("no company in this database: create one first (meridian admin user create, or meridian gen)");
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
    let seed = format!(
        "b{}",
        uuid::Uuid::now_v7()
            .simple()
            .to_string()
            .get(24..)
            .unwrap_or("x")
    );
    let file = lead_csv(args.rows, &seed);
    println!(
        "file: {} rows, {:.1} MB",
        args.rows,
        file.len() as f64 / 1e6
    );
    let settings = Settings {
        sheet: None,
        mapping: None,
        mode,
    };
    let started = Instant::now();
    let view = app::imports::create(
        app,
        &admin,
        ObjectKind::Lead,
        "bench.csv",
        file.as_bytes(),
        &settings,
    )
    .await
    .map_err(app_err)?;
    println!(
        "upload (stored, read, mapped): {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let registry = web::mail::job_registry().without_schedules();
    let worker = app::jobs::Worker::new(app.clone(), registry);
    let started = Instant::now();
    worker.run_until_idle().await.map_err(app_err)?;
    let seconds = started.elapsed().as_secs_f64();
    let done = app::imports::get(app, &admin, view.import.id)
        .await
        .map_err(app_err)?;
    let i = &done.import;
    println!(
        "import {}: {} — created {}, updated {}, skipped {}, failed {} in {seconds:.1} s: {:.0} rows/s",
        i.id,
        done.state,
        i.created,
        i.updated,
        i.skipped,
        i.failed,
        args.rows as f64 / seconds.max(1e-9)
    );
    if args.undo {
        let started = Instant::now();
        app::imports::undo(app, &admin, i.id)
            .await
            .map_err(app_err)?;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "undo: {seconds:.1} s, {:.0} records/s",
            i.created as f64 / seconds.max(1e-9)
        );
    }
    Ok(())
}
