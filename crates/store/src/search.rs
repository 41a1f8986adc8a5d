//! Keeping the search-token tables in step with the records they index.

use crate::{Result, Tx};
use uuid::Uuid;

/// Replaces the name tokens of one account.
pub async fn index_account(
    tx: &mut Tx,
    tenant_id: Uuid,
    account_id: Uuid,
    name: &str,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM account_search WHERE tenant_id = $1 AND account_id = $2")
            .bind(tenant_id).bind(account_id).execute(&mut *c).await?;
    });
    let tokens = domain::search::index_tokens(name);
    if tokens.is_empty() {
        return Ok(());
    }
    // One multi-row insert per account instead of a round trip per token.
    let mut sql = String::from("INSERT INTO account_search (tenant_id, token, account_id) VALUES ");
    for i in 0..tokens.len() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("($1, ${}, $2)", i + 3));
    }
    on_conn!(tx, c => {
        let mut q = sqlx::query(&sql).bind(tenant_id).bind(account_id);
        for t in &tokens {
            q = q.bind(t.as_str());
        }
        q.execute(c).await?;
    });
    Ok(())
}

/// Replaces the search tokens of one record of a generic object (contacts, leads, …), built
/// from every searchable text of the record.
pub async fn index_record(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: &str,
    record_id: Uuid,
    texts: &[&str],
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM record_search WHERE tenant_id = $1 AND object = $2 AND record_id = $3")
            .bind(tenant_id).bind(object).bind(record_id).execute(&mut *c).await?;
    });
    let mut tokens: Vec<String> = texts
        .iter()
        .flat_map(|t| domain::search::index_tokens(t))
        .collect();
    tokens.sort_unstable();
    tokens.dedup();
    if tokens.is_empty() {
        return Ok(());
    }
    let mut sql =
        String::from("INSERT INTO record_search (tenant_id, object, token, record_id) VALUES ");
    for i in 0..tokens.len() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("($1, $2, ${}, $3)", i + 4));
    }
    on_conn!(tx, c => {
        let mut q = sqlx::query(&sql).bind(tenant_id).bind(object).bind(record_id);
        for t in &tokens {
            q = q.bind(t.as_str());
        }
        q.execute(c).await?;
    });
    Ok(())
}

/// Deletes the search tokens of a deleted record.
pub async fn forget_record(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: &str,
    record_id: Uuid,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM record_search WHERE tenant_id = $1 AND object = $2 AND record_id = $3")
            .bind(tenant_id).bind(object).bind(record_id).execute(c).await?;
    });
    Ok(())
}
