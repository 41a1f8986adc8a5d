//! Dropping the secondary indexes of the generated tables before a load and building them
//! after.

use crate::{Backend, Db, Result, Tx};

/// The tables the generator fills in bulk.
pub const GENERATED_TABLES: [&str; 9] = [
    "accounts",
    "record_tags",
    "account_search",
    "field_history",
    "contacts",
    "leads",
    "opportunities",
    "activities",
    "record_search",
];

/// Drops the secondary indexes of `tables` (keeping primary keys and unique constraints, but
/// see below) and returns the statements that make them again, for [`build_indexes`]:
/// building each index once after a load is much faster than keeping a dozen indexes per
/// table current row by row.
///
/// On PostgreSQL the primary keys of the search-token tables go too (the generator writes
/// no duplicate token rows): adding a key after the load sorts once, where keeping it meant
/// tens of millions of inserts at random places in a B-tree. SQLite cannot drop a key.
pub async fn drop_secondary_indexes(loader: &Db, tables: &[&str]) -> Result<Vec<(String, String)>> {
    let mut tx = loader.begin().await?;
    let mut dropped = secondary_indexes(&mut tx, tables).await?;
    for (name, _) in &dropped {
        let sql = format!("DROP INDEX {name}");
        on_conn!(tx, c => {
            sqlx::query(&sql).execute(&mut *c).await?;
        });
    }
    if let crate::db::TxConn::Postgres(t) = &mut tx.conn {
        let keys: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT c.conname::text, r.relname::text, pg_get_constraintdef(c.oid)
             FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
             WHERE c.contype = 'p' AND r.relnamespace = current_schema()::regnamespace
                AND r.relname = ANY($1) ORDER BY r.relname",
        )
        .bind(
            KEYS_ADDED_AFTER_LOAD
                .iter()
                .filter(|t| tables.contains(t))
                .map(|t| t.to_string())
                .collect::<Vec<_>>(),
        )
        .fetch_all(&mut **t)
        .await?;
        for (name, table, definition) in keys {
            sqlx::query(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
                .execute(&mut **t)
                .await?;
            dropped.push((
                name.clone(),
                format!("ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"),
            ));
        }
    }
    tx.commit().await?;
    Ok(dropped)
}

/// Tables whose primary key [`drop_secondary_indexes`] drops on PostgreSQL.
const KEYS_ADDED_AFTER_LOAD: [&str; 2] = ["account_search", "record_search"];

/// Builds the indexes [`drop_secondary_indexes`] dropped, one transaction each, and returns
/// how many seconds each took.
///
/// On SQLite with a small page cache meanwhile: SQLite's sorter keeps as much in memory as the
/// cache may hold, and one huge in-memory sort per index was slower than sorting 16 MB runs
/// and merging them (measured on 5 million activities: 20 s with the loader's 1 GB cache,
/// 11 s with 16 MB).
pub async fn build_indexes(
    loader: &Db,
    definitions: &[(String, String)],
) -> Result<Vec<(String, f64)>> {
    let sqlite = loader.backend() == Backend::Sqlite;
    let mut seconds = Vec::with_capacity(definitions.len());
    if sqlite {
        set_loader_cache(loader, INDEX_BUILD_CACHE_KIB).await?;
    }
    for (name, definition) in definitions {
        let started = std::time::Instant::now();
        let mut tx = loader.begin().await?;
        on_conn!(tx, c => {
            sqlx::query(definition).execute(&mut *c).await?;
        });
        tx.commit().await?;
        seconds.push((name.clone(), started.elapsed().as_secs_f64()));
    }
    if sqlite {
        set_loader_cache(loader, LOADER_CACHE_KIB).await?;
    }
    Ok(seconds)
}

/// The SQLite loader's page cache while loading rows, and while building indexes, in KiB.
pub(super) const LOADER_CACHE_KIB: i64 = 1024 * 1024;
const INDEX_BUILD_CACHE_KIB: i64 = 16 * 1024;

async fn set_loader_cache(loader: &Db, kib: i64) -> Result<()> {
    if let Db::Sqlite(sqlite) = loader {
        // The loader has one connection, so the setting stays with it.
        sqlx::query(&format!("PRAGMA cache_size = -{kib}"))
            .execute(&sqlite.writer)
            .await?;
    }
    Ok(())
}

/// The secondary indexes of `tables` as (name, CREATE statement).
async fn secondary_indexes(tx: &mut Tx, tables: &[&str]) -> Result<Vec<(String, String)>> {
    let list = tables
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    // In the order the migrations made them, which is the order they are made again in: where
    // two indexes serve a query equally well, SQLite (without statistics) takes the newer one,
    // so another order changes plans (built by name, the activities' owner index came after
    // the account index, and a rep's account page took 600 ms instead of 3 ms).
    let sql = match tx.backend() {
        Backend::Sqlite => format!(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({list}) ORDER BY rowid"
        ),
        Backend::Postgres => format!(
            "SELECT c.relname::text, pg_get_indexdef(c.oid) FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
             WHERE t.relnamespace = current_schema()::regnamespace AND t.relname IN ({list})
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid) ORDER BY c.oid"
        ),
    };
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, (String, String)>(&sql).fetch_all(&mut *c).await?
    }))
}
