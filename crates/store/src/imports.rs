//! Imports: the upload, its settings and progress (`imports`, `import_files`), the outcome of
//! each data row that created, updated or failed (`import_rows`), and the last mapping a user
//! chose per object (`import_mappings`). A batch's rows and the import's position are written
//! in the batch's own transaction, and a row's key is its number in the file, so a batch is
//! never applied twice.

use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Uploaded, not yet started (the user is choosing the sheet and mapping).
pub const DRAFT: &str = "draft";
/// Started: its job runs it.
pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
/// What it created was deleted again.
pub const UNDONE: &str = "undone";

pub const CREATED: &str = "created";
pub const UPDATED: &str = "updated";
pub const FAILED: &str = "failed";

const COLUMNS: &str = "tenant_id, id, object, created_by, created_at, file_name, format, sheet, headers, mapping, mode, state, job_id, total_rows, position, created, updated, skipped, failed, finished_at, undone_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Import {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub object: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub file_name: String,
    /// `csv` or `xlsx`.
    pub format: String,
    pub sheet: Option<String>,
    /// JSON array: the chosen sheet's header row.
    pub headers: String,
    /// JSON object: column header → field key.
    pub mapping: String,
    /// `skip`, `update` or `create`.
    pub mode: String,
    pub state: String,
    pub job_id: Option<Uuid>,
    pub total_rows: i64,
    /// Data rows processed so far (the next batch starts there).
    pub position: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed: i64,
    pub finished_at: Option<DateTime<Utc>>,
    pub undone_at: Option<DateTime<Utc>>,
}

/// Stores a new import (a draft) with its file.
pub async fn insert(tx: &mut Tx, import: &Import, content: &[u8]) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query(&format!("INSERT INTO imports ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"))
            .bind(import.tenant_id).bind(import.id).bind(&import.object).bind(import.created_by)
            .bind(import.created_at).bind(&import.file_name).bind(&import.format).bind(&import.sheet)
            .bind(&import.headers).bind(&import.mapping).bind(&import.mode).bind(&import.state).bind(import.job_id)
            .bind(import.total_rows).bind(import.position).bind(import.created).bind(import.updated)
            .bind(import.skipped).bind(import.failed).bind(import.finished_at).bind(import.undone_at)
            .execute(&mut *c).await?;
        sqlx::query("INSERT INTO import_files (tenant_id, import_id, content) VALUES ($1, $2, $3)")
            .bind(import.tenant_id).bind(import.id).bind(content)
            .execute(&mut *c).await?;
    });
    Ok(())
}

pub async fn get(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<Option<Import>> {
    let sql = format!("SELECT {COLUMNS} FROM imports WHERE tenant_id = $1 AND id = $2");
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Import>(&sql).bind(tenant_id).bind(id).fetch_optional(c).await?
    }))
}

pub async fn file(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<Option<Vec<u8>>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_scalar::<_, Vec<u8>>("SELECT content FROM import_files WHERE tenant_id = $1 AND import_id = $2")
            .bind(tenant_id).bind(id).fetch_optional(c).await?
    }))
}

/// Stores a draft's sheet, headers, mapping, mode and row count; false when it is no longer a draft.
pub async fn set_settings(tx: &mut Tx, import: &Import) -> Result<bool> {
    let n = on_conn!(tx, c => {
        sqlx::query("UPDATE imports SET sheet = $3, headers = $4, mapping = $5, mode = $6, total_rows = $7 WHERE tenant_id = $1 AND id = $2 AND state = 'draft'")
            .bind(import.tenant_id).bind(import.id).bind(&import.sheet).bind(&import.headers)
            .bind(&import.mapping).bind(&import.mode).bind(import.total_rows)
            .execute(c).await?.rows_affected()
    });
    Ok(n == 1)
}

/// Starts a draft: queued with its job. False when it is no longer a draft.
pub async fn start(tx: &mut Tx, tenant_id: Uuid, id: Uuid, job_id: Uuid) -> Result<bool> {
    let n = on_conn!(tx, c => {
        sqlx::query("UPDATE imports SET state = 'queued', job_id = $3 WHERE tenant_id = $1 AND id = $2 AND state = 'draft'")
            .bind(tenant_id).bind(id).bind(job_id)
            .execute(c).await?.rows_affected()
    });
    Ok(n == 1)
}

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed: i64,
}

/// Moves the import from `from` to `to` (the rows processed) adding `counts`, finishing it
/// when `finished`. False when its position is no longer `from` (another run got there), so
/// the caller rolls its batch back.
pub async fn advance(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    from: i64,
    to: i64,
    counts: &BatchCounts,
    finished: Option<DateTime<Utc>>,
) -> Result<bool> {
    let state = if finished.is_some() { DONE } else { RUNNING };
    let n = on_conn!(tx, c => {
        sqlx::query("UPDATE imports SET position = $4, created = created + $5, updated = updated + $6, skipped = skipped + $7, failed = failed + $8, state = $9, finished_at = $10 WHERE tenant_id = $1 AND id = $2 AND position = $3 AND state IN ('queued', 'running')")
            .bind(tenant_id).bind(id).bind(from).bind(to).bind(counts.created).bind(counts.updated)
            .bind(counts.skipped).bind(counts.failed).bind(state).bind(finished)
            .execute(c).await?.rows_affected()
    });
    Ok(n == 1)
}

/// One data row's outcome.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImportRow {
    /// The row's number in the file (the header is row 1).
    pub row_number: i64,
    pub outcome: String,
    pub record_id: Option<Uuid>,
    /// The record's version right after the import wrote it.
    pub version: Option<i64>,
    /// JSON array of the original cells (failed rows).
    pub cells: Option<String>,
    /// JSON array of `{field, code, limit}` (failed rows).
    pub errors: Option<String>,
}

/// Writes the outcomes of a batch's rows in multi-row statements.
pub async fn insert_rows(
    tx: &mut Tx,
    tenant_id: Uuid,
    import_id: Uuid,
    rows: &[ImportRow],
) -> Result<()> {
    for chunk in rows.chunks(100) {
        let mut sql = String::from("INSERT INTO import_rows (tenant_id, import_id, row_number, outcome, record_id, version, cells, errors) VALUES ");
        for i in 0..chunk.len() {
            let b = i * 6 + 3;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "($1, $2, ${}, ${}, ${}, ${}, ${}, ${})",
                b,
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5
            ));
        }
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql).bind(tenant_id).bind(import_id);
            for r in chunk {
                q = q.bind(r.row_number).bind(&r.outcome).bind(r.record_id).bind(r.version)
                    .bind(&r.cells).bind(&r.errors);
            }
            q.execute(&mut *c).await?;
        });
    }
    Ok(())
}

/// The rows with one outcome, in file order, after row `after`, at most `limit`.
pub async fn rows(
    tx: &mut Tx,
    tenant_id: Uuid,
    import_id: Uuid,
    outcome: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<ImportRow>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, ImportRow>("SELECT row_number, outcome, record_id, version, cells, errors FROM import_rows WHERE tenant_id = $1 AND import_id = $2 AND outcome = $3 AND row_number > $4 ORDER BY row_number LIMIT $5")
            .bind(tenant_id).bind(import_id).bind(outcome).bind(after).bind(limit)
            .fetch_all(c).await?
    }))
}

/// Marks an import undone; false when it was not done (or already undone).
pub async fn mark_undone(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool> {
    let n = on_conn!(tx, c => {
        sqlx::query("UPDATE imports SET state = 'undone', undone_at = $3 WHERE tenant_id = $1 AND id = $2 AND state = 'done'")
            .bind(tenant_id).bind(id).bind(at)
            .execute(c).await?.rows_affected()
    });
    Ok(n == 1)
}

/// Imports newest first, before `before` (a keyset cursor on the id), at most `limit`; only
/// those of `user` unless `None` (administrators), only of `object` when given. Walks
/// `imports_by_user` or the primary key.
pub async fn list(
    tx: &mut Tx,
    tenant_id: Uuid,
    user: Option<Uuid>,
    object: Option<&str>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Import>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM imports WHERE tenant_id = $1 AND ($2 IS NULL OR created_by = $2) AND ($3 IS NULL OR object = $3) AND ($4 IS NULL OR id < $4) AND state <> 'draft' ORDER BY id DESC LIMIT $5"
    );
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Import>(&sql).bind(tenant_id).bind(user).bind(object).bind(before).bind(limit)
            .fetch_all(c).await?
    }))
}

/// The mapping `user` last used for `object` (JSON), if any.
pub async fn last_mapping(
    tx: &mut Tx,
    tenant_id: Uuid,
    user: Uuid,
    object: &str,
) -> Result<Option<String>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_scalar::<_, String>("SELECT mapping FROM import_mappings WHERE tenant_id = $1 AND user_id = $2 AND object = $3")
            .bind(tenant_id).bind(user).bind(object).fetch_optional(c).await?
    }))
}

pub async fn remember_mapping(
    tx: &mut Tx,
    tenant_id: Uuid,
    user: Uuid,
    object: &str,
    mapping: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO import_mappings (tenant_id, user_id, object, mapping, updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, user_id, object) DO UPDATE SET mapping = excluded.mapping, updated_at = excluded.updated_at")
            .bind(tenant_id).bind(user).bind(object).bind(mapping).bind(now)
            .execute(c).await?;
    });
    Ok(())
}

/// The versions of records of `table` among `ids` (those still there).
pub async fn versions(
    tx: &mut Tx,
    table: &str,
    tenant_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, i64)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT id, version FROM {table} WHERE tenant_id = $1 AND id IN ({})",
            marks.join(", ")
        );
        let found: Vec<(Uuid, i64)> = on_conn!(tx, c => {
            let mut q = sqlx::query_as(&sql).bind(tenant_id);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(c).await?
        });
        out.extend(found);
    }
    Ok(out)
}
