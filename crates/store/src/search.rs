//! Keeping the search-token tables in step with the records they index.

use crate::visibility::{scoped_records, SqlBuilder};
use crate::{Backend, Param, Result, Tx};
use domain::permissions::{DataScope, ObjectKind, Principal};
use domain::search::Term;
use std::sync::atomic::{AtomicI64, Ordering};
use uuid::Uuid;

/// Replaces the search tokens of one record, built from every searchable text of the
/// record, each with whether it is a phone number.
pub async fn index_record(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    record_id: Uuid,
    texts: &[(&str, bool)],
) -> Result<()> {
    let tokens = domain::search::record_tokens(texts.iter().copied());
    replace_tokens(tx, TokenIndex::of(object), tenant_id, record_id, &tokens).await
}

/// Replaces the rows of one record in its token table by `tokens`, in one multi-row insert
/// instead of a round trip per token.
pub(crate) async fn replace_tokens(
    tx: &mut Tx,
    index: TokenIndex<'_>,
    tenant_id: Uuid,
    record_id: Uuid,
    tokens: &[String],
) -> Result<()> {
    let (table, column) = (index.table(), index.column());
    let mut delete = SqlBuilder::new("");
    let tenant = delete.param(Param::Uuid(tenant_id));
    let id = delete.param(Param::Uuid(record_id));
    let object = index.object_predicate(&mut delete, table);
    delete.push(&format!(
        "DELETE FROM {table} WHERE {table}.tenant_id = {tenant} AND {table}.{column} = {id}{object}"
    ));
    on_conn!(tx, c => {
        bind_params!(sqlx::query(&delete.sql), &delete.params).execute(&mut *c).await?;
    });
    if tokens.is_empty() {
        return Ok(());
    }
    let mut insert = SqlBuilder::new("");
    let tenant = insert.param(Param::Uuid(tenant_id));
    let id = insert.param(Param::Uuid(record_id));
    let (object_column, object_value) = match index {
        TokenIndex::Accounts => (String::new(), String::new()),
        TokenIndex::Records(object) => (
            ", object".to_string(),
            format!(", {}", insert.param(Param::Text(object.to_string()))),
        ),
    };
    let rows: Vec<String> = tokens
        .iter()
        .map(|t| {
            let t = insert.param(Param::Text(t.clone()));
            format!("({tenant}{object_value}, {t}, {id})")
        })
        .collect();
    insert.push(&format!(
        "INSERT INTO {table} (tenant_id{object_column}, token, {column}) VALUES {}",
        rows.join(", ")
    ));
    on_conn!(tx, c => {
        bind_params!(sqlx::query(&insert.sql), &insert.params).execute(c).await?;
    });
    Ok(())
}

/// Deletes the search tokens of a deleted record.
pub async fn forget_record(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    record_id: Uuid,
) -> Result<()> {
    let index = TokenIndex::of(object);
    let table = index.table();
    let mut q = SqlBuilder::new("");
    let tenant = q.param(Param::Uuid(tenant_id));
    let record = q.param(Param::Uuid(record_id));
    let of_object = index.object_predicate(&mut q, table);
    q.sql = format!(
        "DELETE FROM {table} WHERE {table}.tenant_id = {tenant} AND {table}.{} = {record}{of_object}",
        index.column()
    );
    on_conn!(tx, c => {
        bind_params!(sqlx::query(&q.sql), &q.params).execute(c).await?;
    });
    Ok(())
}

/// Postings a token may have and still count as rare: below this, a quick search starts from
/// the token's postings instead of walking the list's sort order (measured crossover at a
/// million accounts: about a thousand matches).
pub const RARE_TOKEN_POSTINGS: i64 = 1_000;

static RARE_TOKEN_CAP: AtomicI64 = AtomicI64::new(RARE_TOKEN_POSTINGS);

/// On PostgreSQL a page of more than [`PROBE_PER_ROW_MAX_ROWS`] rows starts from a token's
/// postings up to this many times the threshold: walking the list's order for fifty matches
/// of a token on 0.1–0.5% of the records cost more than fetching its records by key (tier L,
/// quick search p99 57–60 ms with 1,000, 23–26 ms with 5,000). Short pages keep the
/// threshold: their walk stops after a few matches (global search p95 15–18 ms with 1,000,
/// 28–50 ms with 5,000).
const POSTGRES_LONG_PAGE_FACTOR: i64 = 5;

/// The postings under which a token drives a query whose page has `rows` rows, for a scope
/// that holds `scope_share` of the records. Walking the list's order finds a page after about
/// rows / (token's share × scope's share) rows, while starting from the postings costs about
/// as many lookups as the token has postings, so the crossover grows with 1 / √(scope's
/// share): a manager whose scope holds a tenth of the records starts from tokens with three
/// times as many postings.
fn rare_token_threshold(backend: Backend, rows: i64, scope_share: f64) -> i64 {
    let cap = RARE_TOKEN_CAP.load(Ordering::Relaxed);
    let cap = match backend {
        Backend::Postgres if rows > PROBE_PER_ROW_MAX_ROWS => cap * POSTGRES_LONG_PAGE_FACTOR,
        _ => cap,
    };
    (cap as f64 / scope_share.clamp(MIN_SCOPE_SHARE, 1.0).sqrt()).round() as i64
}

/// Below this share a scope counts as this share (the threshold grows at most tenfold).
const MIN_SCOPE_SHARE: f64 = 0.01;

/// The share of the company's records `principal` may see of `object`, estimated from the
/// share of the users whose records the scope covers (the users table is small). 1 for all
/// records, and for one's own, whose lists walk the owner's own index.
async fn scope_share(tx: &mut Tx, principal: &Principal, object: ObjectKind) -> Result<f64> {
    match principal.read_scope(object) {
        None | Some(DataScope::All) | Some(DataScope::Own) => return Ok(1.0),
        Some(_) => {}
    }
    // The owners the scope covers, through the same predicate as the records.
    let mut q = SqlBuilder::new(
        "SELECT (SELECT COUNT(*) FROM (SELECT vu.tenant_id, vu.id AS owner_id, NULL AS pool_id FROM users vu) w WHERE ",
    );
    scoped_records(&mut q, principal, object, "w");
    let tenant = q.param(Param::Uuid(principal.tenant_id));
    q.push(&format!(
        "), (SELECT COUNT(*) FROM users u WHERE u.tenant_id = {tenant})"
    ));
    let (visible, all): (i64, i64) = on_conn!(tx, c => {
        bind_params!(sqlx::query_as(&q.sql), &q.params).fetch_one(c).await?
    });
    Ok(if all > 0 {
        visible as f64 / all as f64
    } else {
        1.0
    })
}

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

impl TokenIndex<'static> {
    /// The token table of an object's records: accounts, the most numerous and most searched
    /// records, keep theirs in a table of their own.
    pub fn of(kind: ObjectKind) -> Self {
        match kind {
            ObjectKind::Account => TokenIndex::Accounts,
            kind => TokenIndex::Records(kind.key()),
        }
    }
}

impl TokenIndex<'_> {
    pub(crate) fn table(self) -> &'static str {
        match self {
            TokenIndex::Accounts => "account_search",
            TokenIndex::Records(_) => "record_search",
        }
    }

    /// The index of the table by record (SQLite's name for it).
    fn record_index(self) -> &'static str {
        match self {
            TokenIndex::Accounts => "account_search_account",
            TokenIndex::Records(_) => "record_search_record",
        }
    }

    pub(crate) fn column(self) -> &'static str {
        match self {
            TokenIndex::Accounts => "account_id",
            TokenIndex::Records(_) => "record_id",
        }
    }

    pub(crate) fn object_predicate(self, q: &mut SqlBuilder, alias: &str) -> String {
        match self {
            TokenIndex::Accounts => String::new(),
            TokenIndex::Records(object) => {
                let p = q.param(Param::Text(object.to_string()));
                format!(" AND {alias}.object = {p}")
            }
        }
    }
}

/// The condition on `{alias}.token` that keeps the tokens `term` matches: one token, or the
/// index range of a prefix.
pub(crate) fn term_condition(q: &mut SqlBuilder, term: &Term, alias: &str) -> String {
    range_condition(q, term, alias)
}

fn range_condition(q: &mut SqlBuilder, term: &Term, alias: &str) -> String {
    let low = q.param(Param::Text(term.low().to_string()));
    match term.high() {
        None => format!("{alias}.token = {low}"),
        Some(high) => {
            let high = q.param(Param::Text(high));
            format!("{alias}.token >= {low} AND {alias}.token < {high}")
        }
    }
}

/// How a quick search joins the list query: every token must match, and a rare one, when there
/// is one, drives the query.
#[derive(Debug, Clone)]
pub struct SearchPlan<'a> {
    backend: Backend,
    tenant_id: Uuid,
    index: TokenIndex<'a>,
    /// The rarest term, when it is rare enough to start from.
    driver: Option<Term>,
    /// The terms checked per row.
    others: Vec<Term>,
    /// Whether the other tokens are probed row by row (a correlated `EXISTS`) rather than
    /// read whole (`IN`, which SQLite materialises once per query).
    probe_per_row: bool,
}

/// Pages up to this many rows probe common tokens row by row on SQLite too: the walk in list
/// order stops after a few matches, where reading a token's whole postings (tens of thousands
/// for a city) cost more than the walk (global search, five rows per object: p95 43–70 ms
/// with `IN`, 10–34 ms with per-row probes; a 50-row page for a manager whose scope holds
/// 0.2% of the records walked much further: p95 54 ms with `IN`, 213 ms per row).
const PROBE_PER_ROW_MAX_ROWS: i64 = 20;

impl<'a> SearchPlan<'a> {
    /// Counts each token's postings up to the rare-token threshold (an index range of at most
    /// that many entries) and picks the rarest as the driver if it is under it. `rows`: the
    /// page size of the list query of `object`.
    pub async fn new(
        tx: &mut Tx,
        principal: &Principal,
        object: ObjectKind,
        index: TokenIndex<'a>,
        tokens: &[Term],
        rows: i64,
    ) -> Result<SearchPlan<'a>> {
        let backend = tx.backend();
        let tenant_id = principal.tenant_id;
        let mut plan = SearchPlan {
            backend,
            tenant_id,
            index,
            driver: None,
            others: tokens.to_vec(),
            probe_per_row: backend == Backend::Postgres || rows <= PROBE_PER_ROW_MAX_ROWS,
        };
        if tokens.is_empty() || RARE_TOKEN_CAP.load(Ordering::Relaxed) <= 0 {
            return Ok(plan);
        }
        let share = scope_share(tx, principal, object).await?;
        let threshold = rare_token_threshold(backend, rows, share);
        let mut rarest: Option<(usize, i64)> = None;
        for (i, token) in tokens.iter().enumerate() {
            // A prefix's postings count a record once per token of it in the range: an
            // overestimate, which only makes it drive less often.
            let mut q = SqlBuilder::new("");
            let tenant = q.param(Param::Uuid(tenant_id));
            let t = term_condition(&mut q, token, "s");
            let object = index.object_predicate(&mut q, "s");
            let cap = q.param(Param::I64(threshold));
            q.push(&format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM {} s WHERE s.tenant_id = {tenant}{object} AND {t} LIMIT {cap}) x",
                index.table()
            ));
            let (postings,): (i64,) = on_conn!(tx, c => {
                bind_params!(sqlx::query_as(&q.sql), &q.params).fetch_one(c).await?
            });
            if postings < threshold && rarest.is_none_or(|(_, n)| postings < n) {
                rarest = Some((i, postings));
            }
        }
        let Some((i, _)) = rarest else {
            return Ok(plan);
        };
        plan.driver = Some(plan.others.remove(i));
        Ok(plan)
    }

    /// The FROM clause of the list query: `FROM <table> <alias>`; with a driver on SQLite the
    /// token table first (`CROSS JOIN` keeps that order), on PostgreSQL a subquery of the
    /// driver's records. `q` must be the builder the clause starts (its parameters come first).
    /// Whether a token's postings drive the query (see [`SearchPlan::from_clause`]).
    pub fn has_driver(&self) -> bool {
        self.driver.is_some()
    }

    pub fn from_clause(&self, q: &mut SqlBuilder, table: &str, alias: &str) -> String {
        let index = self.index;
        match (&self.driver, self.backend) {
            (Some(Term::Token(_)), Backend::Sqlite) => {
                format!("FROM {} s CROSS JOIN {table} {alias}", index.table())
            }
            // A prefix's records once each (a name may hold it in several windows), then
            // the records by key.
            (Some(prefix @ Term::Prefix(_)), Backend::Sqlite) => {
                let tenant = q.param(Param::Uuid(self.tenant_id));
                let range = term_condition(q, prefix, "p");
                let object = index.object_predicate(q, "p");
                format!(
                    "FROM (SELECT DISTINCT p.tenant_id, p.{column} FROM {} p WHERE p.tenant_id = {tenant}{object} AND {range}) s CROSS JOIN {table} {alias}",
                    index.table(),
                    column = index.column()
                )
            }
            // The driver's records fetched by key, then sorted: `OFFSET 0` keeps PostgreSQL
            // from walking the list's order index instead and probing the postings per row
            // (with no statistics on a token it guessed thousands of postings: 2.6 s walking
            // every contact for a token no contact has).
            (Some(driver), Backend::Postgres) => {
                let tenant = q.param(Param::Uuid(self.tenant_id));
                let t = term_condition(q, driver, "s");
                let object = index.object_predicate(q, "s");
                let postings = match driver {
                    Term::Token(_) => format!("{} s", index.table()),
                    Term::Prefix(_) => format!(
                        "(SELECT DISTINCT s.tenant_id, s.{column} FROM {} s WHERE s.tenant_id = {tenant}{object} AND {t}) s",
                        index.table(),
                        column = index.column()
                    ),
                };
                let condition = match driver {
                    Term::Token(_) => format!("s.tenant_id = {tenant}{object} AND {t} AND "),
                    Term::Prefix(_) => String::new(),
                };
                format!(
                    "FROM (SELECT d.* FROM {postings} CROSS JOIN {table} d WHERE {condition}d.tenant_id = s.tenant_id AND d.id = s.{} OFFSET 0) {alias}",
                    index.column()
                )
            }
            (None, _) => format!("FROM {table} {alias}"),
        }
    }

    /// Appends ` AND …` predicates that keep the rows carrying every token.
    pub fn push_predicates(&self, q: &mut SqlBuilder, alias: &str) {
        let index = self.index;
        let sqlite_driver = self.driver.is_some() && self.backend == Backend::Sqlite;
        if !sqlite_driver && self.others.is_empty() {
            return;
        }
        let tenant = q.param(Param::Uuid(self.tenant_id));
        let column = index.column();
        match (&self.driver, self.backend) {
            (Some(driver @ Term::Token(_)), Backend::Sqlite) => {
                let t = term_condition(q, driver, "s");
                let object = index.object_predicate(q, "s");
                q.push(&format!(
                    " AND s.tenant_id = {tenant}{object} AND {t} AND {alias}.tenant_id = s.tenant_id AND {alias}.id = s.{column}"
                ));
            }
            // The range is in the FROM clause.
            (Some(Term::Prefix(_)), Backend::Sqlite) => {
                q.push(&format!(
                    " AND {alias}.tenant_id = s.tenant_id AND {alias}.id = s.{column}"
                ));
            }
            // In the FROM clause.
            (Some(_), Backend::Postgres) | (None, _) => {}
        }
        let table = index.table();
        for token in &self.others {
            let t = term_condition(q, token, "x");
            // A prefix probed for one record reads that record's few tokens: left to itself
            // SQLite prefers the covering token index and walks every posting of the range.
            let by_record = match token {
                Term::Prefix(_) => format!(" INDEXED BY {}", index.record_index()),
                Term::Token(_) => String::new(),
            };
            let object = index.object_predicate(q, "x");
            q.push(&match (self.probe_per_row, self.backend) {
                (false, _) => format!(
                    " AND {alias}.id IN (SELECT x.{column} FROM {table} x WHERE x.tenant_id = {tenant}{object} AND {t})"
                ),
                (true, Backend::Sqlite) => format!(
                    " AND EXISTS (SELECT 1 FROM {table} x{by_record} WHERE x.tenant_id = {tenant}{object} AND {t} AND x.{column} = {alias}.id)"
                ),
                // `OFFSET 0` keeps PostgreSQL from turning the probe into a join that reads
                // all of the token's postings (it guesses far too few for a common token, and
                // then fetched every posting's record to sort them: 155 ms instead of 3.5 ms
                // for a token on 2% of a million leads).
                (true, Backend::Postgres) => format!(
                    " AND EXISTS (SELECT 1 FROM {table} x WHERE x.tenant_id = {tenant}{object} AND {t} AND x.{column} = {alias}.id OFFSET 0)"
                ),
            });
        }
    }
}
