//! The import's job: reads the stored file once per run, then imports it a batch per
//! transaction. Each batch writes its rows' outcomes and moves the import's position in the
//! same transaction, on the condition that the position is still where the batch started:
//! a killed worker leaves its last batch uncommitted (nothing of it applied) and the next
//! run starts there; two runs of one import never both apply a batch.

use super::rows::{Outcome, Plan};
use super::{read_table, ImportView, Table};
use crate::jobs::{BoxFuture, JobContext, JobHandler};
use crate::{Actor, App, AppError, AppResult};
use serde_json::{json, Value};
use store::imports::{self as repo, BatchCounts, Import, ImportRow};
use uuid::Uuid;

/// Rows per transaction.
pub const BATCH: usize = 500;

/// Runs an import (`{"import_id": …}`).
pub struct RunImport;

impl RunImport {
    pub const KIND: &'static str = "run_import";
}

impl JobHandler for RunImport {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, AppResult<Value>> {
        Box::pin(async move {
            let id = ctx.payload_id("import_id", "import")?;
            let Some(mut run) = Loaded::load(&ctx.app, ctx.tenant_id(), id).await? else {
                return Ok(json!({ "import_id": id }));
            };
            let total = run.table.rows.len() as i64;
            while !run.step(&ctx.app, BATCH).await? {
                ctx.progress(run.import.position, Some(total), "").await?;
            }
            ctx.progress(total, Some(total), "").await?;
            let import = &run.import;
            Ok(json!({
                "import_id": id,
                "created": import.created,
                "updated": import.updated,
                "skipped": import.skipped,
                "failed": import.failed,
            }))
        })
    }
}

/// An import being run: its row, its file's table, the importing user and the plan.
struct Loaded {
    import: Import,
    table: Table,
    actor: Actor,
    plan: Plan,
}

impl Loaded {
    /// `None` when the import has nothing left to run (finished, undone, or gone).
    async fn load(app: &App, tenant_id: Uuid, id: Uuid) -> AppResult<Option<Loaded>> {
        let mut tx = app.db.begin_read().await?;
        let Some(import) = repo::get(&mut tx, tenant_id, id).await? else {
            return Ok(None);
        };
        if ![repo::QUEUED, repo::RUNNING].contains(&import.state.as_str()) {
            return Ok(None);
        }
        let bytes = repo::file(&mut tx, tenant_id, id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("import {id} has no file")))?;
        let table = read_table(&import, &bytes)?;
        let user = store::org::get_user(&mut tx, tenant_id, import.created_by)
            .await?
            .filter(|u| u.active)
            .ok_or_else(|| AppError::Internal(format!("the user of import {id} is not active")))?;
        let actor = crate::sharing::actor(&mut tx, user).await?;
        let plan = Plan::new(&mut tx, &actor, &import, &table.headers).await?;
        tx.commit().await?;
        Ok(Some(Loaded {
            import,
            table,
            actor,
            plan,
        }))
    }

    /// Imports the next `size` rows in one transaction; true when the import is finished
    /// (by this batch or by another run).
    async fn step(&mut self, app: &App, size: usize) -> AppResult<bool> {
        let tenant = self.import.tenant_id;
        let from = self.import.position.max(0) as usize;
        let to = (from + size).min(self.table.rows.len());
        let now = app.now();
        let mut tx = app.db.begin().await?;
        let mut counts = BatchCounts::default();
        let mut written = Vec::new();
        for row in &self.table.rows[from.min(to)..to] {
            let outcome = self
                .plan
                .apply(&mut tx, &self.actor, &row.cells, now)
                .await?;
            let mut stored = ImportRow {
                row_number: row.number,
                outcome: outcome.key().to_string(),
                record_id: None,
                version: None,
                cells: None,
                errors: None,
            };
            match outcome {
                Outcome::Created(id) => {
                    counts.created += 1;
                    stored.record_id = Some(id);
                }
                Outcome::Updated(id) => {
                    counts.updated += 1;
                    stored.record_id = Some(id);
                }
                Outcome::Skipped => {
                    counts.skipped += 1;
                    continue;
                }
                Outcome::Failed(errors) => {
                    counts.failed += 1;
                    let errors: Vec<super::StoredError> = errors
                        .0
                        .into_iter()
                        .map(|e| super::StoredError {
                            field: e.field,
                            code: e.code.to_string(),
                            limit: e.limit,
                        })
                        .collect();
                    stored.cells = Some(super::to_json(&row.cells));
                    stored.errors = Some(super::to_json(&errors));
                }
            }
            written.push(stored);
        }
        let table = crate::records::spec(self.plan.kind())?.plural;
        let ids: Vec<Uuid> = written.iter().filter_map(|r| r.record_id).collect();
        let versions: std::collections::HashMap<Uuid, i64> =
            repo::versions(&mut tx, table, tenant, &ids)
                .await?
                .into_iter()
                .collect();
        for row in &mut written {
            row.version = row.record_id.and_then(|id| versions.get(&id).copied());
        }
        repo::insert_rows(&mut tx, tenant, self.import.id, &written).await?;
        let finished = (to >= self.table.rows.len()).then_some(now);
        let moved = repo::advance(
            &mut tx,
            tenant,
            self.import.id,
            from as i64,
            to as i64,
            &counts,
            finished,
        )
        .await?;
        if !moved {
            // Another run got past this batch: nothing of this one is kept.
            drop(tx);
            return self.reload(app).await;
        }
        tx.commit().await?;
        self.import.position = to as i64;
        self.import.created += counts.created;
        self.import.updated += counts.updated;
        self.import.skipped += counts.skipped;
        self.import.failed += counts.failed;
        if finished.is_some() {
            self.import.state = repo::DONE.to_string();
        }
        Ok(finished.is_some())
    }

    /// Reads the import again after another run moved it; true when it is finished.
    async fn reload(&mut self, app: &App) -> AppResult<bool> {
        let mut tx = app.db.begin_read().await?;
        let import = repo::get(&mut tx, self.import.tenant_id, self.import.id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        let active = [repo::QUEUED, repo::RUNNING].contains(&import.state.as_str());
        self.import = import;
        Ok(!active)
    }
}

/// Imports the next `size` rows of an import, as its job does between two progress reports;
/// true when nothing is left. (A run stopped after it resumes at the next row.)
pub async fn run_batch(app: &App, tenant_id: Uuid, id: Uuid, size: usize) -> AppResult<bool> {
    match Loaded::load(app, tenant_id, id).await? {
        Some(mut run) => run.step(app, size.max(1)).await,
        None => Ok(true),
    }
}

impl ImportView {
    /// Rows processed of all.
    pub fn progress(&self) -> (i64, i64) {
        (self.import.position, self.import.total_rows)
    }
}
