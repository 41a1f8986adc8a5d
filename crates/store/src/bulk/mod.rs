//! Bulk loading, for the data generator (`meridian gen`): large multi-row INSERTs inside
//! transactions on a dedicated connection, and the few read queries the benchmark needs to
//! choose its users. Nothing here is used while serving requests.
//!
//! On SQLite every insert takes the rows of one table and writes them in statements of at most
//! `*_ROWS` rows, so that a full statement always has the same text (and is prepared once per
//! connection) and stays below SQLite's limit of 32,766 parameters. On PostgreSQL the
//! high-volume tables (accounts, tags, search tokens, field history) are loaded with
//! `COPY … FROM STDIN`, the org tables with multi-row INSERTs.

use crate::{Db, Result, Tx};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqlitePoolOptions, SqliteSynchronous};
use uuid::Uuid;

mod derive;
mod indexes;
mod insert;
mod statements;

pub use derive::{derive_related, Related};
use indexes::LOADER_CACHE_KIB;
pub use indexes::{build_indexes, drop_secondary_indexes, GENERATED_TABLES};
pub use insert::{
    insert_account_tags, insert_accounts, insert_departments, insert_field_history,
    insert_search_tokens, insert_users, NewAccount, NewChange, NewDepartment, NewUser,
};

/// Accounts per INSERT statement (21 parameters a row).
pub const ACCOUNT_ROWS: usize = 1000;
/// Tag rows per INSERT statement (3 parameters a row).
pub const TAG_ROWS: usize = 8000;
/// Search-token rows per INSERT statement (3 parameters a row).
pub const TOKEN_ROWS: usize = 8000;
/// Field-history rows per INSERT statement (9 parameters a row).
pub const HISTORY_ROWS: usize = 2000;
/// Users per INSERT statement (13 parameters a row).
pub const USER_ROWS: usize = 500;
/// Accounts whose related records [`derive_related`] writes per transaction.
pub const DERIVE_CHUNK: i64 = 100_000;

/// A database handle for bulk loading: a one-connection pool (temporary tables live as long
/// as it does, so the pool never retires it: a generation may take longer than the pool's
/// default lifetime of 30 minutes on a busy machine). On SQLite its connection runs with `synchronous=OFF` (a crash during
/// generation may lose the data being generated, nothing else) and a 1 GiB page cache.
pub async fn loader(db: &Db) -> Result<Db> {
    Ok(match db {
        Db::Sqlite(sqlite) => {
            let options = (*sqlite.writer.connect_options())
                .clone()
                .synchronous(SqliteSynchronous::Off)
                .pragma("cache_size", format!("-{LOADER_CACHE_KIB}"))
                .pragma("temp_store", "memory");
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .max_lifetime(None)
                .idle_timeout(None)
                .connect_with(options)
                .await?;
            Db::Sqlite(crate::db::SqliteDb {
                readers: pool.clone(),
                writer: pool,
            })
        }
        Db::Postgres(pool) => Db::Postgres(
            PgPoolOptions::new()
                .max_connections(1)
                .max_lifetime(None)
                .idle_timeout(None)
                .connect_with((*pool.connect_options()).clone())
                .await?,
        ),
    })
}

/// Prepares a bulk-load transaction. On PostgreSQL it commits without waiting for the WAL
/// flush and, when the user may (a superuser), skips the foreign-key triggers for this
/// transaction, as `pg_restore --disable-triggers` does: the generator writes parents before
/// children, and [`check_references`] verifies afterwards. Returns whether it skipped them.
/// (On SQLite the loader connection already runs with `synchronous=OFF`; foreign keys stay on.)
pub async fn begin_load(tx: &mut Tx) -> Result<bool> {
    let crate::db::TxConn::Postgres(t) = &mut tx.conn else {
        return Ok(false);
    };
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut **t)
        .await?;
    let (superuser,): (bool,) =
        sqlx::query_as("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut **t)
            .await?;
    if superuser {
        sqlx::query("SET LOCAL session_replication_role = replica")
            .execute(&mut **t)
            .await?;
    }
    Ok(superuser)
}

/// Rows of a company whose references point nowhere (what the foreign keys would have
/// refused); must be 0 after a load that skipped them.
pub async fn check_references(tx: &mut Tx, tenant_id: Uuid) -> Result<i64> {
    let checks = [
        "SELECT COUNT(*) FROM accounts a WHERE a.tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = a.tenant_id AND u.id = a.owner_id)",
        "SELECT COUNT(*) FROM accounts a WHERE a.tenant_id = $1 AND a.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts p WHERE p.tenant_id = a.tenant_id AND p.id = a.parent_id)",
        "SELECT COUNT(*) FROM record_tags t WHERE t.tenant_id = $1 AND t.object = 'account' AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.tenant_id = t.tenant_id AND a.id = t.record_id)",
        "SELECT COUNT(*) FROM account_search s WHERE s.tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.tenant_id = s.tenant_id AND a.id = s.account_id)",
    ];
    let mut orphans = 0;
    for sql in checks {
        let (n,): (i64,) = on_conn!(tx, c => {
            sqlx::query_as(sql).bind(tenant_id).fetch_one(c).await?
        });
        orphans += n;
    }
    Ok(orphans)
}

/// Brings the database into its everyday state after a load: statistics for the PostgreSQL
/// planner (what autovacuum would do a little later), a truncated WAL on SQLite.
pub async fn finish(db: &Db) -> Result<()> {
    match db {
        Db::Postgres(pool) => {
            for table in GENERATED_TABLES
                .iter()
                .chain(&["users", "departments", "roles"])
            {
                sqlx::query(&format!("VACUUM (ANALYZE) {table}"))
                    .execute(pool)
                    .await?;
            }
        }
        Db::Sqlite(sqlite) => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&sqlite.writer)
                .await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- read-back

/// Row counts of the generated tables for one company.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub users: i64,
    pub departments: i64,
    pub accounts: i64,
    pub account_tags: i64,
    pub account_search: i64,
    pub field_history: i64,
}

pub async fn counts(tx: &mut Tx, tenant_id: Uuid) -> Result<Counts> {
    let mut out = Counts::default();
    for (table, slot) in [
        ("users", &mut out.users),
        ("departments", &mut out.departments),
        ("accounts", &mut out.accounts),
        ("record_tags", &mut out.account_tags),
        ("account_search", &mut out.account_search),
        ("field_history", &mut out.field_history),
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = $1");
        let (n,): (i64,) = on_conn!(tx, c => {
            sqlx::query_as(&sql).bind(tenant_id).fetch_one(c).await?
        });
        *slot = n;
    }
    Ok(out)
}

/// The users with a given role who own the most accounts, with their account counts.
pub async fn top_owners(
    tx: &mut Tx,
    tenant_id: Uuid,
    role_id: Uuid,
    limit: i64,
) -> Result<Vec<(Uuid, i64)>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as(
            "SELECT u.id, (SELECT COUNT(*) FROM accounts a WHERE a.tenant_id = u.tenant_id AND a.owner_id = u.id) AS n
             FROM users u WHERE u.tenant_id = $1 AND u.role_id = $2 AND u.active = $3
             ORDER BY n DESC, u.id LIMIT $4")
            .bind(tenant_id).bind(role_id).bind(true).bind(limit).fetch_all(c).await?
    }))
}
