//! Exports of list views: what was asked and how far its job got (`exports`), and the file
//! in chunks (`export_chunks`), written by the job in order and read back one chunk per
//! query, so a large file is never held whole in memory.

use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Asked for; its job has not started.
pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
/// Ended without a file (the user was deactivated, the job died).
pub const FAILED: &str = "failed";

const COLUMNS: &str = "tenant_id, id, object, created_by, created_at, format, language, request, state, job_id, rows_done, row_count, size, file_name, error, finished_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Export {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub object: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    /// `csv` or `xlsx`.
    pub format: String,
    /// The language of the header row and the values (`zh-CN`, `en`).
    pub language: String,
    /// JSON: the list request (filters, sort, quick search, archive), the columns and the view.
    pub request: String,
    pub state: String,
    pub job_id: Option<Uuid>,
    /// Rows written so far.
    pub rows_done: i64,
    /// Rows in the finished file.
    pub row_count: Option<i64>,
    /// Bytes of the finished file.
    pub size: Option<i64>,
    pub file_name: String,
    /// Why it failed (an error code).
    pub error: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
}

pub async fn insert(tx: &mut Tx, e: &Export) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query(&format!("INSERT INTO exports ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"))
            .bind(e.tenant_id).bind(e.id).bind(&e.object).bind(e.created_by).bind(e.created_at)
            .bind(&e.format).bind(&e.language).bind(&e.request).bind(&e.state).bind(e.job_id)
            .bind(e.rows_done).bind(e.row_count).bind(e.size).bind(&e.file_name).bind(&e.error)
            .bind(e.finished_at)
            .execute(c).await?;
    });
    Ok(())
}

pub async fn get(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<Option<Export>> {
    let sql = format!("SELECT {COLUMNS} FROM exports WHERE tenant_id = $1 AND id = $2");
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Export>(&sql).bind(tenant_id).bind(id).fetch_optional(c).await?
    }))
}

/// The exports of `user`, newest first, at most `limit` (on `exports_by_user`).
pub async fn list_of(tx: &mut Tx, tenant_id: Uuid, user: Uuid, limit: i64) -> Result<Vec<Export>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM exports WHERE tenant_id = $1 AND created_by = $2 ORDER BY id DESC LIMIT $3"
    );
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, Export>(&sql).bind(tenant_id).bind(user).bind(limit).fetch_all(c).await?
    }))
}

/// Starts (or starts again) a run: the chunks of an earlier run are removed and the count
/// set back to zero. False when the export is finished (nothing to run).
pub async fn begin_run(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<bool> {
    let n = on_conn!(tx, c => {
        sqlx::query("DELETE FROM export_chunks WHERE tenant_id = $1 AND export_id = $2")
            .bind(tenant_id).bind(id).execute(&mut *c).await?;
        sqlx::query("UPDATE exports SET state = 'running', rows_done = 0 WHERE tenant_id = $1 AND id = $2 AND state IN ('queued', 'running')")
            .bind(tenant_id).bind(id).execute(&mut *c).await?.rows_affected()
    });
    Ok(n == 1)
}

/// Records the rows written so far.
pub async fn set_progress(tx: &mut Tx, tenant_id: Uuid, id: Uuid, rows: i64) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("UPDATE exports SET rows_done = $3 WHERE tenant_id = $1 AND id = $2 AND state = 'running'")
            .bind(tenant_id).bind(id).bind(rows).execute(c).await?;
    });
    Ok(())
}

/// Stores chunk `seq` of the file.
pub async fn insert_chunk(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    seq: i64,
    content: &[u8],
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO export_chunks (tenant_id, export_id, seq, content) VALUES ($1, $2, $3, $4)")
            .bind(tenant_id).bind(id).bind(seq).bind(content).execute(c).await?;
    });
    Ok(())
}

/// Chunk `seq` of the file, `None` past the last.
pub async fn chunk(tx: &mut Tx, tenant_id: Uuid, id: Uuid, seq: i64) -> Result<Option<Vec<u8>>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_scalar::<_, Vec<u8>>("SELECT content FROM export_chunks WHERE tenant_id = $1 AND export_id = $2 AND seq = $3")
            .bind(tenant_id).bind(id).bind(seq).fetch_optional(c).await?
    }))
}

/// Finishes a run with its file's rows and size. False when the export was no longer running.
pub async fn finish(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    rows: i64,
    size: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = on_conn!(tx, c => {
        sqlx::query("UPDATE exports SET state = 'done', rows_done = $3, row_count = $3, size = $4, finished_at = $5 WHERE tenant_id = $1 AND id = $2 AND state = 'running'")
            .bind(tenant_id).bind(id).bind(rows).bind(size).bind(now).execute(c).await?.rows_affected()
    });
    Ok(n == 1)
}

/// Ends an export without a file, with the reason's code; its chunks are removed.
pub async fn fail(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    error: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM export_chunks WHERE tenant_id = $1 AND export_id = $2")
            .bind(tenant_id).bind(id).execute(&mut *c).await?;
        sqlx::query("UPDATE exports SET state = 'failed', error = $3, finished_at = $4 WHERE tenant_id = $1 AND id = $2 AND state IN ('queued', 'running')")
            .bind(tenant_id).bind(id).bind(error).bind(now).execute(&mut *c).await?;
    });
    Ok(())
}

/// Removes the company's exports made before `before`, with their files (on
/// `exports_by_time`). Returns how many.
pub async fn purge_before(tx: &mut Tx, tenant_id: Uuid, before: DateTime<Utc>) -> Result<u64> {
    Ok(on_conn!(tx, c => {
        sqlx::query("DELETE FROM export_chunks WHERE tenant_id = $1 AND export_id IN (SELECT id FROM exports WHERE tenant_id = $1 AND created_at < $2)")
            .bind(tenant_id).bind(before).execute(&mut *c).await?;
        sqlx::query("DELETE FROM exports WHERE tenant_id = $1 AND created_at < $2")
            .bind(tenant_id).bind(before).execute(&mut *c).await?.rows_affected()
    }))
}
