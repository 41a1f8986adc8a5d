//! Rebuilding search tokens when the way they are computed changes. Tokens come from the
//! application (`domain::search`), so a migration cannot compute them: the database records
//! the version its tokens were built with (`search_tokens_state`), and [`rebuild_tokens`]
//! re-indexes every record whose tokens the newer version changes, a batch per transaction,
//! then records the version. It can be interrupted and run again: each batch rewrites whole
//! records, and the version moves only at the end.

use crate::search::{replace_tokens, TokenIndex};
use crate::visibility::SqlBuilder;
use crate::{Backend, Db, Param, Result, Tx};
use domain::objects::ObjectSpec;
use domain::permissions::ObjectKind;
use sqlx::Row;
use uuid::Uuid;

/// The version of the tokens this code writes: 2 indexes phone numbers by their digit grams
/// (and account phone numbers at all) and digit runs in names by theirs too.
pub const TOKENS_VERSION: i64 = 2;

/// Records re-indexed per transaction.
const BATCH: i64 = 500;

/// The version of the tokens the database holds.
pub async fn tokens_version(db: &Db) -> Result<i64> {
    let mut tx = db.begin_read().await?;
    let version: i64 = on_conn!(tx, c => {
        sqlx::query_scalar("SELECT version FROM search_tokens_state WHERE id = 1")
            .fetch_one(&mut *c).await?
    });
    tx.commit().await?;
    Ok(version)
}

/// Re-indexes the records whose tokens differ between the database's version and
/// [`TOKENS_VERSION`], and records the new version. Returns how many records it re-indexed
/// (0 when the tokens were current).
pub async fn rebuild_tokens(db: &Db) -> Result<u64> {
    if tokens_version(db).await? >= TOKENS_VERSION {
        return Ok(0);
    }
    let mut done = 0;
    for spec in ObjectKind::RECORDS
        .into_iter()
        .filter_map(domain::objects::spec)
    {
        done += rebuild_object(db, spec).await?;
    }
    let mut tx = db.begin().await?;
    set_tokens_version(&mut tx, TOKENS_VERSION).await?;
    tx.commit().await?;
    Ok(done)
}

/// Records the version of the tokens the database holds.
pub async fn set_tokens_version(tx: &mut Tx, version: i64) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("UPDATE search_tokens_state SET version = $1 WHERE id = 1")
            .bind(version).execute(&mut *c).await?;
    });
    Ok(())
}

/// The records of one object with a digit in a searchable text (the only ones whose tokens
/// version 2 changed), walked in key order.
async fn rebuild_object(db: &Db, spec: &ObjectSpec) -> Result<u64> {
    let fields: Vec<_> = spec
        .search_fields()
        .filter(|f| f.column.is_some())
        .collect();
    if fields.is_empty() {
        return Ok(0);
    }
    let columns: Vec<&str> = fields.iter().filter_map(|f| f.column.as_deref()).collect();
    let has_digit = |column: &str| match db.backend() {
        Backend::Sqlite => format!("r.{column} GLOB '*[0-9]*'"),
        Backend::Postgres => format!("r.{column} ~ '[0-9]'"),
    };
    let digits = columns
        .iter()
        .map(|c| has_digit(c))
        .collect::<Vec<_>>()
        .join(" OR ");
    let index = match spec.kind {
        ObjectKind::Account => TokenIndex::Accounts,
        kind => TokenIndex::Records(kind.key()),
    };
    let select = columns
        .iter()
        .map(|c| format!("r.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut after: Option<(Uuid, Uuid)> = None;
    let mut done = 0;
    loop {
        let mut q = SqlBuilder::new("");
        let keyset = match after {
            Some((tenant, id)) => {
                let t = q.param(Param::Uuid(tenant));
                let i = q.param(Param::Uuid(id));
                format!("(r.tenant_id > {t} OR (r.tenant_id = {t} AND r.id > {i})) AND ")
            }
            None => String::new(),
        };
        let limit = q.param(Param::I64(BATCH));
        // On PostgreSQL the rows are locked until the batch commits, so that a record saved
        // meanwhile keeps the tokens of its new values (SQLite's write transaction already
        // excludes other writers).
        let lock = match db.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        };
        q.push(&format!(
            "SELECT r.tenant_id, r.id, {select} FROM {table} r WHERE {keyset}({digits}) ORDER BY r.tenant_id, r.id LIMIT {limit}{lock}",
            table = spec.plural,
        ));
        let mut tx = db.begin().await?;
        let batch: Vec<(Uuid, Uuid, Vec<Option<String>>)> = on_conn!(tx, c => {
            let rows = bind_params!(sqlx::query(&q.sql), &q.params).fetch_all(&mut *c).await?;
            let mut batch = Vec::with_capacity(rows.len());
            for row in rows {
                let mut texts = Vec::with_capacity(columns.len());
                for i in 0..columns.len() {
                    texts.push(row.try_get::<Option<String>, _>(i + 2)?);
                }
                batch.push((row.try_get::<Uuid, _>(0)?, row.try_get::<Uuid, _>(1)?, texts));
            }
            batch
        });
        for (tenant, id, texts) in &batch {
            let texts = domain::search::search_texts(spec, |key| {
                let i = fields.iter().position(|f| f.key == key)?;
                texts.get(i)?.as_deref()
            });
            let tokens = domain::search::record_tokens(texts);
            replace_tokens(&mut tx, index, *tenant, *id, &tokens).await?;
        }
        tx.commit().await?;
        done += batch.len() as u64;
        match batch.last() {
            Some((tenant, id, _)) if batch.len() as i64 == BATCH => after = Some((*tenant, *id)),
            _ => return Ok(done),
        }
    }
}
