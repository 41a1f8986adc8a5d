//! Rebuilding search tokens when the way they are computed changes. Tokens come from the
//! application (`domain::search`), so a migration cannot compute them: the database records
//! the version its tokens were built with (`search_tokens_state`), and each company's records
//! whose tokens the newer version changes are re-indexed a batch per transaction
//! ([`rebuild_step`], run by a job while the server answers, or [`rebuild_tokens`] in the
//! foreground). Each batch records how far the company got (`search_token_rebuilds`) in its own
//! transaction, so an interrupted rebuild resumes where it stopped; a batch rewrites whole
//! records, so running one twice changes nothing. The version moves once every company is done.

use crate::search::{replace_tokens, TokenIndex};
use crate::visibility::SqlBuilder;
use crate::{Backend, Db, Param, Result, Tx};
use chrono::{DateTime, Utc};
use domain::objects::ObjectSpec;
use domain::permissions::ObjectKind;
use sqlx::Row;
use uuid::Uuid;

/// The version of the tokens this code writes: 2 indexed phone numbers by their digit grams
/// (and account phone numbers at all) and digit runs in names by theirs too; 3 stores words
/// whole and marked, and the pinyin windows of Chinese names, for prefix matching.
pub const TOKENS_VERSION: i64 = 3;

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

/// The companies whose records still need re-indexing: none when the database's tokens are
/// current.
pub async fn tenants_to_rebuild(db: &Db) -> Result<Vec<Uuid>> {
    if tokens_version(db).await? >= TOKENS_VERSION {
        return Ok(Vec::new());
    }
    let mut tx = db.begin_read().await?;
    let ids = on_conn!(tx, c => {
        sqlx::query_scalar::<_, Uuid>(
            "SELECT t.id FROM tenants t LEFT JOIN search_token_rebuilds r ON r.tenant_id = t.id \
             WHERE r.tenant_id IS NULL OR r.version < $1 OR r.finished_at IS NULL ORDER BY t.id",
        )
        .bind(TOKENS_VERSION)
        .fetch_all(&mut *c)
        .await?
    });
    tx.commit().await?;
    Ok(ids)
}

/// Where one company's rebuild stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildProgress {
    /// Records re-indexed so far (over every run).
    pub records: i64,
    /// The object being re-indexed; `None` once finished.
    pub object: Option<String>,
    pub finished: bool,
}

/// A `search_token_rebuilds` row: version, object, after_id, records, finished_at.
type RebuildRow = (
    i64,
    Option<String>,
    Option<Uuid>,
    i64,
    Option<DateTime<Utc>>,
);

fn rebuilt_objects() -> Vec<&'static ObjectSpec> {
    ObjectKind::RECORDS
        .into_iter()
        .filter_map(domain::objects::spec)
        .filter(|s| s.search_fields().any(|f| f.column.is_some()))
        .collect()
}

/// Re-indexes the next batch of one company's records and records the position reached, in
/// one transaction. When the company's last batch is done and no other company is left, the
/// database's version moves on too.
pub async fn rebuild_step(db: &Db, tenant_id: Uuid, now: DateTime<Utc>) -> Result<RebuildProgress> {
    let objects = rebuilt_objects();
    let mut tx = db.begin().await?;
    let state: Option<RebuildRow> = on_conn!(tx, c => {
        sqlx::query_as("SELECT version, object, after_id, records, finished_at FROM search_token_rebuilds WHERE tenant_id = $1")
            .bind(tenant_id).fetch_optional(&mut *c).await?
    });
    let (object, after, records) = match state {
        Some((version, _, _, records, Some(_))) if version >= TOKENS_VERSION => {
            tx.commit().await?;
            return Ok(RebuildProgress {
                records,
                object: None,
                finished: true,
            });
        }
        Some((version, object, after, records, None)) if version >= TOKENS_VERSION => {
            (object, after, records)
        }
        _ => (objects.first().map(|s| s.kind.key().to_string()), None, 0),
    };
    let index = object
        .as_deref()
        .and_then(|key| objects.iter().position(|s| s.kind.key() == key));
    let (next_object, next_after, done) = match index {
        None => (None, None, 0),
        Some(i) => {
            let (done, last) =
                rebuild_batch(&mut tx, db.backend(), objects[i], tenant_id, after).await?;
            match last {
                Some(id) if done == BATCH as u64 => (object.clone(), Some(id), done),
                _ => (
                    objects.get(i + 1).map(|s| s.kind.key().to_string()),
                    None,
                    done,
                ),
            }
        }
    };
    let records = records + done as i64;
    let finished = next_object.is_none();
    let finished_at = finished.then_some(now);
    on_conn!(tx, c => {
        sqlx::query(
            "INSERT INTO search_token_rebuilds (tenant_id, version, object, after_id, records, finished_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id) DO UPDATE SET version = $2, \
             object = $3, after_id = $4, records = $5, finished_at = $6",
        )
        .bind(tenant_id).bind(TOKENS_VERSION).bind(&next_object).bind(next_after).bind(records).bind(finished_at)
        .execute(&mut *c).await?;
    });
    tx.commit().await?;
    if finished && tenants_to_rebuild(db).await?.is_empty() {
        let mut tx = db.begin().await?;
        set_tokens_version(&mut tx, TOKENS_VERSION).await?;
        tx.commit().await?;
    }
    Ok(RebuildProgress {
        records,
        object: next_object,
        finished,
    })
}

/// Moves the version on when no company is left to re-index (none has records of the old
/// version, or there is no company yet); returns the companies still to do.
pub async fn pending(db: &Db) -> Result<Vec<Uuid>> {
    if tokens_version(db).await? >= TOKENS_VERSION {
        return Ok(Vec::new());
    }
    let tenants = tenants_to_rebuild(db).await?;
    if tenants.is_empty() {
        let mut tx = db.begin().await?;
        set_tokens_version(&mut tx, TOKENS_VERSION).await?;
        tx.commit().await?;
    }
    Ok(tenants)
}

/// Re-indexes every company's records in the foreground (`meridian migrate` and `gen`) and
/// records the new version. Returns how many records it re-indexed (0 when current).
pub async fn rebuild_tokens(db: &Db, now: DateTime<Utc>) -> Result<u64> {
    if tokens_version(db).await? >= TOKENS_VERSION {
        return Ok(0);
    }
    let mut done = 0;
    for tenant_id in tenants_to_rebuild(db).await? {
        let before = current_records(db, tenant_id).await?;
        loop {
            let step = rebuild_step(db, tenant_id, now).await?;
            if step.finished {
                done += (step.records - before).max(0) as u64;
                break;
            }
        }
    }
    let mut tx = db.begin().await?;
    set_tokens_version(&mut tx, TOKENS_VERSION).await?;
    tx.commit().await?;
    Ok(done)
}

/// Records already re-indexed in a company's unfinished rebuild of the current version.
async fn current_records(db: &Db, tenant_id: Uuid) -> Result<i64> {
    let mut tx = db.begin_read().await?;
    let records: Option<i64> = on_conn!(tx, c => {
        sqlx::query_scalar("SELECT records FROM search_token_rebuilds WHERE tenant_id = $1 AND version = $2")
            .bind(tenant_id).bind(TOKENS_VERSION).fetch_optional(&mut *c).await?
    });
    tx.commit().await?;
    Ok(records.unwrap_or(0))
}

/// Records the version of the tokens the database holds.
pub async fn set_tokens_version(tx: &mut Tx, version: i64) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("UPDATE search_tokens_state SET version = $1 WHERE id = 1")
            .bind(version).execute(&mut *c).await?;
    });
    Ok(())
}

/// One batch of a company's records of one object, in key order after `after` (version 3
/// changed the tokens of every name, so every record is re-indexed). Returns how many it
/// re-indexed and the last one's id.
async fn rebuild_batch(
    tx: &mut Tx,
    backend: Backend,
    spec: &ObjectSpec,
    tenant_id: Uuid,
    after: Option<Uuid>,
) -> Result<(u64, Option<Uuid>)> {
    let fields: Vec<_> = spec
        .search_fields()
        .filter(|f| f.column.is_some())
        .collect();
    let columns: Vec<&str> = fields.iter().filter_map(|f| f.column.as_deref()).collect();
    let index = TokenIndex::of(spec.kind);
    let select = columns
        .iter()
        .map(|c| format!("r.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut q = SqlBuilder::new("");
    let tenant = q.param(Param::Uuid(tenant_id));
    let keyset = match after {
        Some(id) => format!("r.id > {} AND ", q.param(Param::Uuid(id))),
        None => String::new(),
    };
    let limit = q.param(Param::I64(BATCH));
    // On PostgreSQL the rows are locked until the batch commits, so that a record saved
    // meanwhile keeps the tokens of its new values (SQLite's write transaction already
    // excludes other writers).
    let lock = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    };
    q.push(&format!(
        "SELECT r.id, {select} FROM {table} r WHERE {keyset}r.tenant_id = {tenant} ORDER BY r.id LIMIT {limit}{lock}",
        table = spec.plural,
    ));
    let batch: Vec<(Uuid, Vec<Option<String>>)> = on_conn!(tx, c => {
        let rows = bind_params!(sqlx::query(&q.sql), &q.params).fetch_all(&mut *c).await?;
        let mut batch = Vec::with_capacity(rows.len());
        for row in rows {
            let mut texts = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                texts.push(row.try_get::<Option<String>, _>(i + 1)?);
            }
            batch.push((row.try_get::<Uuid, _>(0)?, texts));
        }
        batch
    });
    for (id, texts) in &batch {
        let texts = domain::search::search_texts(spec, |key| {
            let i = fields.iter().position(|f| f.key == key)?;
            texts.get(i)?.as_deref()
        });
        let tokens = domain::search::record_tokens(texts);
        replace_tokens(tx, index, tenant_id, *id, &tokens).await?;
    }
    Ok((batch.len() as u64, batch.last().map(|(id, _)| *id)))
}
