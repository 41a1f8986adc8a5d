//! Records that form a tree through a lookup to their own object (accounts' parents).

use crate::{Result, Tx};
use domain::objects::ObjectSpec;
use uuid::Uuid;

/// The chain above record `id` through its tree field (nearest first), at most `limit`
/// steps: one primary-key read per level, the tree being at most a few levels deep.
pub async fn ancestors(
    tx: &mut Tx,
    spec: &ObjectSpec,
    column: &str,
    tenant_id: Uuid,
    id: Uuid,
    limit: usize,
) -> Result<Vec<Uuid>> {
    let sql = format!(
        "SELECT {column} FROM {} WHERE tenant_id = $1 AND id = $2",
        spec.plural
    );
    let mut chain = Vec::new();
    let mut current = id;
    while chain.len() < limit {
        let row: Option<(Option<Uuid>,)> = on_conn!(tx, c => {
            sqlx::query_as(&sql).bind(tenant_id).bind(current).fetch_optional(c).await?
        });
        match row.and_then(|r| r.0) {
            Some(parent) if !chain.contains(&parent) => {
                chain.push(parent);
                current = parent;
            }
            _ => break,
        }
    }
    Ok(chain)
}
