use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Config(String),
}

impl StoreError {
    /// Whether the error is a unique-constraint violation (a duplicate insert).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Sqlx(sqlx::Error::Database(e)) if e.is_unique_violation())
    }

    pub fn is_foreign_key_violation(&self) -> bool {
        matches!(self, StoreError::Sqlx(sqlx::Error::Database(e)) if e.is_foreign_key_violation())
    }

    /// Whether the database refused a write for lack of space: `SQLITE_FULL` (a full disk, or
    /// the file at `max_page_count`) or PostgreSQL's `disk_full` (SQLSTATE 53100).
    pub fn is_storage_full(&self) -> bool {
        let StoreError::Sqlx(sqlx::Error::Database(e)) = self else {
            return false;
        };
        let Some(code) = e.code() else { return false };
        if e.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
            // Extended result codes keep the primary code in the low byte.
            code.parse::<i32>().is_ok_and(|c| c & 0xff == SQLITE_FULL)
        } else {
            code == PG_DISK_FULL
        }
    }
}

/// SQLite's primary result code for "database or disk is full".
const SQLITE_FULL: i32 = 13;
/// PostgreSQL's SQLSTATE for "disk full".
const PG_DISK_FULL: &str = "53100";

/// Hands out a SQLite connection from its pool only when it is outside any transaction. After
/// `SQLITE_FULL` (or an I/O error) SQLite rolls the transaction back by itself, the driver's
/// `ROLLBACK` then fails, and the driver would go on believing it is inside a transaction:
/// every later `BEGIN` on that connection would fail. Such a connection is closed instead,
/// and the pool opens a fresh one. (The pool pings a connection it takes back, which waits for
/// the rollback that dropping a transaction queued, so the state seen here is settled.)
async fn sqlite_connection_is_clean(conn: &mut sqlx::SqliteConnection) -> sqlx::Result<bool> {
    use sqlx::Connection;
    if conn.is_in_transaction() {
        tracing::warn!("replacing a SQLite connection left inside a failed transaction");
        return Ok(false);
    }
    Ok(true)
}

/// Payload of the write probe: a few pages, more than a small write needs, so that a database
/// that cannot grow fails the probe.
pub const PROBE_BYTES: usize = 16 * 1024;

/// Read connections to a SQLite database: enough for the two cores of a small server to
/// overlap reads with waiting on the disk.
const SQLITE_READERS: u32 = 4;

/// How often the WAL is copied back into the database file, off the write path.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// The writer itself checkpoints only past this many WAL pages (about 40 MB): a bound for
/// when the background checkpoints cannot keep up, not the usual path.
const WRITER_CHECKPOINT_PAGES: &str = "10000";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to one of the two supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgPool),
}

/// SQLite takes one writer at a time. Write transactions queue, in order, for the single
/// connection of `writer` instead of sleeping in SQLite's busy handler on one of the readers'
/// connections (which gave creates a one-second p99 under concurrency); reads use `readers`.
#[derive(Clone, Debug)]
pub struct SqliteDb {
    pub readers: SqlitePool,
    pub writer: SqlitePool,
}

/// A transaction on either database. Dropping it without `commit` rolls back.
pub struct Tx {
    pub(crate) conn: TxConn,
    /// The transaction wrote users, roles, departments or sessions: cached sign-ins are
    /// stale once it commits (see [`org_epoch`]).
    org_changed: bool,
    /// The transaction wrote company metadata (see [`crate::metadata_cache`]).
    metadata_changed: bool,
    /// Change-feed events to write just before the commit (see [`crate::events`]).
    pub(crate) pending_events: Vec<crate::events::Pending>,
}

/// A point inside a transaction to come back to (see [`Tx::savepoint`]); not nested.
#[must_use]
pub struct Savepoint {
    events: usize,
}

pub(crate) enum TxConn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Counts commits that changed who users are or what they may do (users, roles,
/// departments, sessions) in this process. Caches of signed-in users compare it to drop what
/// such a change made stale.
static ORG_EPOCH: AtomicU64 = AtomicU64::new(0);

pub fn org_epoch() -> u64 {
    ORG_EPOCH.load(Ordering::Acquire)
}

/// A dynamically bound query parameter, for queries built at run time (list filters).
#[derive(Debug, Clone)]
pub enum Param {
    Uuid(uuid::Uuid),
    Text(String),
    I64(i64),
    Time(chrono::DateTime<chrono::Utc>),
    F64(f64),
    Json(serde_json::Value),
    /// Nullable values, typed so that PostgreSQL knows the type of a NULL.
    OptUuid(Option<uuid::Uuid>),
    OptText(Option<String>),
    OptI64(Option<i64>),
    OptF64(Option<f64>),
    OptTime(Option<chrono::DateTime<chrono::Utc>>),
}

/// Runs `$body` with `$conn` bound to the transaction's connection, for either backend.
macro_rules! on_conn {
    ($tx:expr, $conn:ident => $body:expr) => {
        match &mut $tx.conn {
            $crate::db::TxConn::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::db::TxConn::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

/// Runs `$body` with `$pool` bound to the pool, for either backend: the readers' pool, or
/// with `writer` the SQLite writer's (for statements that write outside a transaction).
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(s) => {
                let $pool = &s.readers;
                $body
            }
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
    (writer $db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(s) => {
                let $pool = &s.writer;
                $body
            }
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Binds a slice of [`Param`]s to a query in order.
macro_rules! bind_params {
    ($query:expr, $params:expr) => {{
        let mut q = $query;
        for p in $params {
            q = match p {
                $crate::db::Param::Uuid(v) => q.bind(*v),
                $crate::db::Param::Text(v) => q.bind(v.as_str()),
                $crate::db::Param::I64(v) => q.bind(*v),
                $crate::db::Param::Time(v) => q.bind(*v),
                $crate::db::Param::F64(v) => q.bind(*v),
                $crate::db::Param::Json(v) => q.bind(sqlx::types::Json(v)),
                $crate::db::Param::OptUuid(v) => q.bind(*v),
                $crate::db::Param::OptText(v) => q.bind(v.as_deref()),
                $crate::db::Param::OptI64(v) => q.bind(*v),
                $crate::db::Param::OptF64(v) => q.bind(*v),
                $crate::db::Param::OptTime(v) => q.bind(*v),
            };
        }
        q
    }};
}

async fn checkpoint_sqlite(db: &SqliteDb) -> crate::Result<(i64, i64)> {
    let (_busy, log, done): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&db.readers)
        .await?;
    Ok((log, done))
}

/// Checkpoints every [`CHECKPOINT_EVERY`] until the pools close.
async fn checkpoint_in_background(db: SqliteDb) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if db.readers.is_closed() || db.writer.is_closed() {
            return;
        }
        if let Err(e) = checkpoint_sqlite(&db).await {
            tracing::warn!(error = %e, "background checkpoint failed; the writer's own checkpoints bound the WAL");
        }
    }
}

impl Db {
    /// Opens (creating if needed) the SQLite database `meridian.db` in `data_dir`.
    pub async fn open_sqlite_dir(data_dir: &Path) -> crate::Result<Db> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Config(format!(
                "cannot create data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        Self::open_sqlite_file(&data_dir.join("meridian.db")).await
    }

    pub async fn open_sqlite_file(path: &Path) -> crate::Result<Db> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        Self::open_sqlite(options, false).await
    }

    /// Opens a SQLite database with the caller's connection options (a file, and settings
    /// such as a `max_page_count` every connection applies), creating it if needed.
    pub async fn open_sqlite_with(options: SqliteConnectOptions) -> crate::Result<Db> {
        Self::open_sqlite(options.create_if_missing(true), false).await
    }

    /// Readers get `SQLITE_READERS` connections and the writer one; an in-memory database
    /// (one per connection) gets a single connection for both.
    async fn open_sqlite(options: SqliteConnectOptions, in_memory: bool) -> crate::Result<Db> {
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-32000")
            .pragma("temp_store", "memory");
        // SQLite's default checkpoint runs inside the commit that passes 1,000 WAL pages, so
        // one create in a few dozen also copied the WAL back (9–10 ms p95 at a million
        // records, 3 ms without): the checkpoints run beside the writer instead.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .before_acquire(|conn, _| Box::pin(sqlite_connection_is_clean(conn)))
            .connect_with(
                options
                    .clone()
                    .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES),
            )
            .await?;
        let readers = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(SQLITE_READERS)
                .min_connections(1)
                .before_acquire(|conn, _| Box::pin(sqlite_connection_is_clean(conn)))
                .connect_with(options)
                .await?
        };
        let db = SqliteDb { readers, writer };
        if !in_memory {
            tokio::spawn(checkpoint_in_background(db.clone()));
        }
        Ok(Db::Sqlite(db))
    }

    pub async fn open_postgres(url: &str) -> crate::Result<Db> {
        // Meridian's queries are short and LIMIT-ed; on a small machine a parallel plan's
        // workers cost more to start than they save (quick search at a million accounts:
        // 100-300 ms with them, 50-80 ms without).
        // Every statement is planned for its values: after five runs PostgreSQL would reuse a
        // generic plan, and the best plan depends on the values — a search token found
        // nowhere had its generic plan walk 1.5 million contacts (2.5 s instead of 1 ms), and
        // a rep may own one record or 70,000.
        let options = PgConnectOptions::from_str(url)?.options([
            ("max_parallel_workers_per_gather", "0"),
            ("plan_cache_mode", "force_custom_plan"),
        ]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Db::Postgres(pool))
    }

    /// Opens the database a URL names: `postgres://…`, `sqlite://path` or `sqlite::memory:`.
    pub async fn open_url(url: &str) -> crate::Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open_postgres(url).await
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?.create_if_missing(true);
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            Self::open_sqlite(options, in_memory).await
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL (expected postgres:// or sqlite:): {url}"
            )))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> crate::Result<()> {
        match self {
            Db::Sqlite(s) => sqlx::migrate!("migrations/sqlite").run(&s.writer).await?,
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so that a transaction that reads and then writes waits for the lock
    /// instead of failing with SQLITE_BUSY.
    pub async fn begin(&self) -> crate::Result<Tx> {
        Ok(match self {
            Db::Sqlite(s) => Tx::new(TxConn::Sqlite(
                s.writer.begin_with("BEGIN IMMEDIATE").await?,
            )),
            Db::Postgres(pool) => Tx::new(TxConn::Postgres(pool.begin().await?)),
        })
    }

    /// Starts a read-only transaction (a consistent snapshot; no write lock on SQLite).
    pub async fn begin_read(&self) -> crate::Result<Tx> {
        Ok(match self {
            Db::Sqlite(s) => Tx::new(TxConn::Sqlite(s.readers.begin().await?)),
            Db::Postgres(pool) => Tx::new(TxConn::Postgres(pool.begin().await?)),
        })
    }

    /// Whether a write gets through: writes a row with [`PROBE_BYTES`] of payload, removes it
    /// and commits. It needs room to grow the database and to log the change, so it fails
    /// like any write when the disk (or a SQLite file at its `max_page_count`) is full, and
    /// when the SQLite writer connection cannot start a transaction.
    pub async fn probe_write(&self, now: chrono::DateTime<chrono::Utc>) -> crate::Result<()> {
        let mut tx = self.begin().await?;
        on_conn!(tx, c => {
            sqlx::query("INSERT INTO health_probe (payload, checked_at) VALUES ($1, $2)")
                .bind(vec![0u8; PROBE_BYTES])
                .bind(now)
                .execute(&mut *c)
                .await?;
            sqlx::query("DELETE FROM health_probe").execute(&mut *c).await?;
        });
        tx.commit().await
    }

    /// A quick liveness probe.
    pub async fn ping(&self) -> crate::Result<()> {
        on_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Copies what the WAL holds back into the SQLite database file as far as no reader
    /// still needs it (`PRAGMA wal_checkpoint(PASSIVE)`, which waits for no one); returns the
    /// WAL's frames and those checkpointed. Nothing to do on PostgreSQL.
    pub async fn checkpoint(&self) -> crate::Result<(i64, i64)> {
        match self {
            Db::Sqlite(s) => checkpoint_sqlite(s).await,
            Db::Postgres(_) => Ok((0, 0)),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(s) => {
                s.readers.close().await;
                s.writer.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }

    /// Writes a consistent copy of a SQLite database to `out` while it stays online.
    pub async fn backup_sqlite(&self, out: &Path) -> crate::Result<()> {
        let Db::Sqlite(SqliteDb { readers: pool, .. }) = self else {
            return Err(StoreError::Config(
                "online backup through Meridian is for SQLite; use pg_dump for PostgreSQL".into(),
            ));
        };
        if out.exists() {
            return Err(StoreError::Config(format!(
                "{} already exists; choose a new file",
                out.display()
            )));
        }
        let target = out
            .to_str()
            .ok_or_else(|| StoreError::Config("backup path is not valid UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(pool)
            .await?;
        Ok(())
    }
}

impl Tx {
    fn new(conn: TxConn) -> Tx {
        Tx {
            conn,
            org_changed: false,
            metadata_changed: false,
            pending_events: Vec::new(),
        }
    }

    pub async fn commit(mut self) -> crate::Result<()> {
        crate::events::flush(&mut self).await?;
        match self.conn {
            TxConn::Sqlite(t) => t.commit().await?,
            TxConn::Postgres(t) => t.commit().await?,
        }
        if self.org_changed {
            ORG_EPOCH.fetch_add(1, Ordering::AcqRel);
        }
        if self.metadata_changed {
            crate::metadata_cache::bump();
        }
        Ok(())
    }

    /// Notes a write to company metadata (custom fields, picklist choices, record types, stage
    /// sets, the company currency): what this process keeps of it is stale now and at commit.
    pub fn mark_metadata_changed(&mut self) {
        self.metadata_changed = true;
        crate::metadata_cache::bump();
    }

    pub(crate) fn metadata_changed(&self) -> bool {
        self.metadata_changed
    }

    /// Notes a write to users, roles, departments or sessions. The epoch moves now (a cache
    /// filled from the old data meanwhile is tagged with the new epoch) and again at commit.
    pub fn mark_org_changed(&mut self) {
        self.org_changed = true;
        ORG_EPOCH.fetch_add(1, Ordering::AcqRel);
    }

    /// Opens a savepoint: what is written after it can be undone alone
    /// ([`Tx::rollback_to`]), the change-feed events queued since included.
    pub async fn savepoint(&mut self) -> crate::Result<Savepoint> {
        on_conn!(self, c => { sqlx::query("SAVEPOINT engine_row").execute(c).await?; });
        Ok(Savepoint {
            events: self.pending_events.len(),
        })
    }

    /// Keeps what was written since the savepoint.
    pub async fn release(&mut self, _savepoint: Savepoint) -> crate::Result<()> {
        on_conn!(self, c => { sqlx::query("RELEASE SAVEPOINT engine_row").execute(c).await?; });
        Ok(())
    }

    /// Undoes what was written since the savepoint, and drops the events queued since.
    pub async fn rollback_to(&mut self, savepoint: Savepoint) -> crate::Result<()> {
        on_conn!(self, c => {
            sqlx::query("ROLLBACK TO SAVEPOINT engine_row").execute(&mut *c).await?;
            sqlx::query("RELEASE SAVEPOINT engine_row").execute(&mut *c).await?;
        });
        self.pending_events.truncate(savepoint.events);
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            TxConn::Sqlite(_) => Backend::Sqlite,
            TxConn::Postgres(_) => Backend::Postgres,
        }
    }
}
