//! Keeping the search-token tables in step with the records they index.

use crate::visibility::SqlBuilder;
use crate::{Backend, Param, Result, Tx};
use std::sync::atomic::{AtomicI64, Ordering};
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

/// Postings a token may have and still count as rare: below this, a quick search starts from
/// the token's postings instead of walking the list's sort order (measured crossover at a
/// million accounts: about a thousand matches).
pub const RARE_TOKEN_POSTINGS: i64 = 1_000;

static RARE_TOKEN_CAP: AtomicI64 = AtomicI64::new(RARE_TOKEN_POSTINGS);

/// Changes the rare-token threshold for this process. Both plans return the same rows, so
/// this only moves the crossover; tests use it to run each plan on small data.
pub fn set_rare_token_postings(postings: i64) {
    RARE_TOKEN_CAP.store(postings, Ordering::Relaxed);
}

/// A search-token table and the records it points at.
#[derive(Debug, Clone, Copy)]
pub enum TokenIndex<'a> {
    /// `account_search`: the names of accounts.
    Accounts,
    /// `record_search`: the searchable texts of one generic object (its key).
    Records(&'a str),
}

impl TokenIndex<'_> {
    fn table(self) -> &'static str {
        match self {
            TokenIndex::Accounts => "account_search",
            TokenIndex::Records(_) => "record_search",
        }
    }

    fn column(self) -> &'static str {
        match self {
            TokenIndex::Accounts => "account_id",
            TokenIndex::Records(_) => "record_id",
        }
    }

    fn object_predicate(self, q: &mut SqlBuilder, alias: &str) -> String {
        match self {
            TokenIndex::Accounts => String::new(),
            TokenIndex::Records(object) => {
                let p = q.param(Param::Text(object.to_string()));
                format!(" AND {alias}.object = {p}")
            }
        }
    }
}

/// How a quick search joins the list query: every token must match, and a rare one, when there
/// is one, drives the query.
#[derive(Debug, Clone)]
pub struct SearchPlan {
    backend: Backend,
    /// The rarest token, when it is rare enough to start from.
    driver: Option<String>,
    /// The tokens checked per row.
    others: Vec<String>,
}

impl SearchPlan {
    /// Counts each token's postings up to the rare-token threshold (an index range of at most
    /// that many entries) and picks the rarest as the driver if it is under it.
    pub async fn new(
        tx: &mut Tx,
        tenant_id: Uuid,
        index: TokenIndex<'_>,
        tokens: &[String],
    ) -> Result<SearchPlan> {
        let backend = tx.backend();
        let threshold = RARE_TOKEN_CAP.load(Ordering::Relaxed);
        let mut rarest: Option<(usize, i64)> = None;
        if threshold <= 0 {
            return Ok(SearchPlan {
                backend,
                driver: None,
                others: tokens.to_vec(),
            });
        }
        for (i, token) in tokens.iter().enumerate() {
            let mut q = SqlBuilder::new("");
            let tenant = q.param(Param::Uuid(tenant_id));
            let t = q.param(Param::Text(token.clone()));
            let object = index.object_predicate(&mut q, "s");
            let cap = q.param(Param::I64(threshold));
            q.push(&format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM {} s WHERE s.tenant_id = {tenant}{object} AND s.token = {t} LIMIT {cap}) x",
                index.table()
            ));
            let (postings,): (i64,) = on_conn!(tx, c => {
                bind_params!(sqlx::query_as(&q.sql), &q.params).fetch_one(c).await?
            });
            if postings < threshold && rarest.is_none_or(|(_, n)| postings < n) {
                rarest = Some((i, postings));
            }
        }
        let mut others = tokens.to_vec();
        let driver = rarest.map(|(i, _)| others.remove(i));
        Ok(SearchPlan {
            backend,
            driver,
            others,
        })
    }

    /// The FROM clause of the list query: `FROM <table> <alias>`, or, with a driver, the token
    /// table first (`CROSS JOIN` keeps that order on SQLite; PostgreSQL plans it as a join).
    pub fn from_clause(&self, index: TokenIndex<'_>, table: &str, alias: &str) -> String {
        match self.driver {
            Some(_) => format!("FROM {} s CROSS JOIN {table} {alias}", index.table()),
            None => format!("FROM {table} {alias}"),
        }
    }

    /// Appends ` AND …` predicates that keep the rows carrying every token.
    pub fn push_predicates(
        &self,
        q: &mut SqlBuilder,
        tenant_id: Uuid,
        index: TokenIndex<'_>,
        alias: &str,
    ) {
        let tenant = q.param(Param::Uuid(tenant_id));
        let column = index.column();
        if let Some(driver) = &self.driver {
            let t = q.param(Param::Text(driver.clone()));
            let object = index.object_predicate(q, "s");
            q.push(&format!(
                " AND s.tenant_id = {tenant}{object} AND s.token = {t} AND {alias}.tenant_id = s.tenant_id AND {alias}.id = s.{column}"
            ));
        }
        for token in &self.others {
            let t = q.param(Param::Text(token.clone()));
            let object = index.object_predicate(q, "x");
            let table = index.table();
            q.push(&match self.backend {
                Backend::Sqlite => format!(
                    " AND {alias}.id IN (SELECT x.{column} FROM {table} x WHERE x.tenant_id = {tenant}{object} AND x.token = {t})"
                ),
                // A probe per row, in the list's order: `OFFSET 0` keeps PostgreSQL from
                // turning the check into a join that reads all of the token's postings (its
                // estimate of a token's postings is far too low for common tokens, and it then
                // fetched every posting's record to sort them: 155 ms instead of 3.5 ms for
                // a token on 2% of a million leads).
                Backend::Postgres => format!(
                    " AND EXISTS (SELECT 1 FROM {table} x WHERE x.tenant_id = {tenant}{object} AND x.token = {t} AND x.{column} = {alias}.id OFFSET 0)"
                ),
            });
        }
    }
}
