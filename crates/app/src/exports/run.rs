//! The export's job: resolves the user as they are now, walks their list in keyset pages,
//! writes the rows to a temporary file and stores it in chunks, then finishes the export
//! with its audit row. A run starts from the beginning (an earlier run's chunks are removed
//! first), so a run after a crash or a lost lease writes the whole file once.

use super::cells::Shaper;
use super::writer::Writer;
use super::{columns, ExportSpec, ExportView, CHUNK, PAGE};
use crate::jobs::{BoxFuture, JobContext, JobHandler};
use crate::{Actor, App, AppError, AppResult};
use domain::permissions::Action;
use serde_json::{json, Value};
use std::io::Read;
use store::exports as repo;
use uuid::Uuid;

/// Runs an export (`{"export_id": …}`).
pub struct RunExport;

impl RunExport {
    pub const KIND: &'static str = "run_export";
}

/// Chunks stored per write transaction.
const CHUNKS_PER_TX: i64 = 8;

impl JobHandler for RunExport {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, AppResult<Value>> {
        Box::pin(async move {
            let id = ctx.payload_id("export_id", "export")?;
            run(ctx, id).await
        })
    }
}

/// Why an export ended without a file, for the reader (error codes).
const USER_INACTIVE: &str = "user_inactive";
const NOT_ALLOWED: &str = "forbidden";

async fn run(ctx: &JobContext, id: Uuid) -> AppResult<Value> {
    let app = &ctx.app;
    let tenant_id = ctx.tenant_id();
    let mut tx = app.db.begin_read().await?;
    let Some(export) = repo::get(&mut tx, tenant_id, id).await? else {
        return Ok(json!({ "export_id": id }));
    };
    let view = ExportView::of(export, None)?;
    if view.finished() {
        return Ok(json!({ "export_id": id, "state": view.state }));
    }
    let user = store::org::get_user(&mut tx, tenant_id, view.export.created_by)
        .await?
        .filter(|u| u.active);
    let actor = match user {
        Some(user) => Some(crate::sharing::actor(&mut tx, user).await?),
        None => None,
    };
    tx.commit().await?;
    let refusal = match &actor {
        None => Some(USER_INACTIVE),
        Some(a) if !a.principal.can(view.object, Action::Export) => Some(NOT_ALLOWED),
        Some(a) if !a.principal.can(view.object, Action::Read) => Some(NOT_ALLOWED),
        Some(_) => None,
    };
    let (Some(actor), None) = (actor, refusal) else {
        let code = refusal.unwrap_or(USER_INACTIVE);
        let mut tx = app.db.begin().await?;
        repo::fail(&mut tx, tenant_id, id, code, app.now()).await?;
        tx.commit().await?;
        tracing::info!(export = %id, reason = code, "export refused when it ran");
        return Ok(json!({ "export_id": id, "state": repo::FAILED, "error": code }));
    };
    let mut tx = app.db.begin().await?;
    let started = repo::begin_run(&mut tx, tenant_id, id).await?;
    tx.commit().await?;
    if !started {
        return Ok(json!({ "export_id": id }));
    }
    let (file, size, rows) = write_file(ctx, &actor, &view).await?;
    store_file(app, &actor, &view, file, size, rows).await?;
    Ok(json!({ "export_id": id, "rows": rows, "bytes": size }))
}

/// Walks the list and writes every row; returns the file, its size and the rows.
async fn write_file(
    ctx: &JobContext,
    actor: &Actor,
    view: &ExportView,
) -> AppResult<(std::fs::File, u64, i64)> {
    let app = &ctx.app;
    let export = &view.export;
    let fields = crate::records::object_fields(app, actor, view.object).await?;
    let shaper = Shaper {
        fields: &fields,
        zh: export.language.starts_with("zh"),
        zone: actor.time_zone(),
    };
    let columns = columns(&fields, &view.spec.columns);
    let header = columns.iter().map(|f| shaper.label(f)).collect();
    let mut writer = Writer::new(view.format, header)?;
    let mut rows = 0i64;
    let mut cursor = None;
    let max_rows = view.spec.max_rows.unwrap_or(i64::MAX).max(0);
    while rows < max_rows {
        let limit = PAGE.min(max_rows - rows);
        let request = view.spec.list_request(cursor.take(), limit);
        let page = crate::records::list_up_to(app, actor, view.object, &request, PAGE).await?;
        for record in &page.records {
            let cells: Vec<_> = columns
                .iter()
                .map(|f| shaper.cell(f, &record.values, &page.names))
                .collect();
            writer.row(&cells)?;
        }
        rows += page.records.len() as i64;
        let mut tx = app.db.begin().await?;
        repo::set_progress(&mut tx, export.tenant_id, export.id, rows).await?;
        tx.commit().await?;
        ctx.progress(rows, None, "").await?;
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    // Zipping a large workbook takes a while: off the async threads.
    let (file, size) = tokio::task::spawn_blocking(move || writer.finish())
        .await
        .map_err(|e| AppError::Internal(format!("finishing the export file: {e}")))??;
    Ok((file, size, rows))
}

/// Stores the file in chunks, a few per transaction, and finishes the export with its audit
/// row in the last one.
async fn store_file(
    app: &App,
    actor: &Actor,
    view: &ExportView,
    mut file: std::fs::File,
    size: u64,
    rows: i64,
) -> AppResult<()> {
    let export = &view.export;
    let mut seq = 0i64;
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let mut tx = app.db.begin().await?;
        let mut end = false;
        for _ in 0..CHUNKS_PER_TX {
            let n = read_full(&mut file, &mut buffer)?;
            if n > 0 {
                repo::insert_chunk(&mut tx, export.tenant_id, export.id, seq, &buffer[..n]).await?;
                seq += 1;
            }
            if n < CHUNK {
                end = true;
                break;
            }
        }
        if end {
            let now = app.now();
            let finished =
                repo::finish(&mut tx, export.tenant_id, export.id, rows, size as i64, now).await?;
            if finished {
                audit(&mut tx, actor, view, rows, now).await?;
                tx.commit().await?;
            }
            return Ok(());
        }
        tx.commit().await?;
    }
}

/// Fills `buffer` from the file as far as it goes; the bytes read.
fn read_full(file: &mut std::fs::File, buffer: &mut [u8]) -> AppResult<usize> {
    let mut n = 0;
    while n < buffer.len() {
        match file.read(&mut buffer[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(AppError::Internal(format!("reading the export file: {e}"))),
        }
    }
    Ok(n)
}

/// Who exported what, how, and how many rows.
async fn audit(
    tx: &mut store::Tx,
    actor: &Actor,
    view: &ExportView,
    rows: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let spec: &ExportSpec = &view.spec;
    let plural = domain::objects::spec(view.object)
        .map(|s| s.plural)
        .unwrap_or_default();
    let name = format!("{plural} ({rows}, {})", view.format.key().to_uppercase());
    crate::audit::by(
        tx,
        actor,
        now,
        "export",
        "export",
        Some(view.export.id),
        json!({
            "name": name,
            "object": view.object.key(),
            "format": view.format.key(),
            "rows": rows,
            "view": spec.view,
            "filters": spec.filters,
            "q": spec.q,
            "sort": spec.sort,
            "archived": spec.archived.key(),
            "columns": spec.columns,
        }),
    )
    .await
}
