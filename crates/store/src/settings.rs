//! What every versioned company setting table (assignment rules, web forms) shares: the
//! bounded count of a company's rows and the delete of a row still at the version read.
//! Each table keeps its own columns, reads and writes.

use crate::{Result, Tx};
use uuid::Uuid;

/// How many rows the company has in `table`, up to `max` (its lists are bounded by it).
pub async fn count(tx: &mut Tx, table: &'static str, tenant_id: Uuid, max: i64) -> Result<i64> {
    let sql =
        format!("SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE tenant_id = $1 LIMIT {max}) t");
    Ok(on_conn!(tx, c => {
        sqlx::query_scalar::<_, i64>(&sql).bind(tenant_id).fetch_one(c).await?
    }))
}

/// Deletes the row if it is still at `version`; false when it is not (or is gone).
pub async fn delete(
    tx: &mut Tx,
    table: &'static str,
    tenant_id: Uuid,
    id: Uuid,
    version: i64,
) -> Result<bool> {
    let sql = format!("DELETE FROM {table} WHERE tenant_id = $1 AND id = $2 AND version = $3");
    let done = on_conn!(tx, c => {
        sqlx::query(&sql).bind(tenant_id).bind(id).bind(version).execute(c).await?.rows_affected()
    });
    Ok(done == 1)
}
