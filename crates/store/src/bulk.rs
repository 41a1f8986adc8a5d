//! Bulk loading, for the data generator (`meridian gen`): large multi-row INSERTs inside
//! transactions on a dedicated connection, and the few read queries the benchmark needs to
//! choose its users. Nothing here is used while serving requests.
//!
//! On SQLite every insert takes the rows of one table and writes them in statements of at most
//! `*_ROWS` rows, so that a full statement always has the same text (and is prepared once per
//! connection) and stays below SQLite's limit of 32,766 parameters. On PostgreSQL the
//! high-volume tables (accounts, tags, search tokens, field history) are loaded with
//! `COPY … FROM STDIN`, the org tables with multi-row INSERTs.

use crate::{Backend, Db, Result, Tx};
use chrono::{DateTime, Utc};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqlitePoolOptions, SqliteSynchronous};
use sqlx::types::Json;
use uuid::Uuid;

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
/// as it does). On SQLite its connection runs with `synchronous=OFF` (a crash during
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
        "SELECT COUNT(*) FROM account_tags t WHERE t.tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.tenant_id = t.tenant_id AND a.id = t.account_id)",
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

/// `INSERT INTO <head> VALUES (…), (…)` for `rows` rows of `per_row` parameters each, bound
/// row after row. SQLite gets anonymous `?` placeholders: with thousands of numbered ones
/// (`$n`), preparing and binding a statement take quadratic time there, since SQLite looks
/// each parameter name up in a list.
fn values_sql(backend: Backend, head: &str, rows: usize, per_row: usize) -> String {
    let mut sql = String::with_capacity(head.len() + 16 + rows * (per_row * 7 + 4));
    sql.push_str(head);
    sql.push_str(" VALUES ");
    let mut n = 0;
    for i in 0..rows {
        sql.push_str(if i > 0 { ",(" } else { "(" });
        for k in 0..per_row {
            if k > 0 {
                sql.push(',');
            }
            n += 1;
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// Rows in PostgreSQL's COPY text format: tab-separated, `\N` for NULL, backslash escapes.
#[derive(Default)]
struct CopyRows {
    data: String,
    first: bool,
}

impl CopyRows {
    fn with_capacity(bytes: usize) -> Self {
        CopyRows {
            data: String::with_capacity(bytes),
            first: true,
        }
    }

    fn sep(&mut self) {
        if !self.first {
            self.data.push('\t');
        }
        self.first = false;
    }

    fn text(&mut self, value: &str) -> &mut Self {
        self.sep();
        for c in value.chars() {
            match c {
                '\\' => self.data.push_str("\\\\"),
                '\t' => self.data.push_str("\\t"),
                '\n' => self.data.push_str("\\n"),
                '\r' => self.data.push_str("\\r"),
                c => self.data.push(c),
            }
        }
        self
    }

    fn opt(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => {
                self.sep();
                self.data.push_str("\\N");
                self
            }
        }
    }

    fn uuid(&mut self, value: Uuid) -> &mut Self {
        self.sep();
        self.data
            .push_str(value.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
        self
    }

    fn opt_uuid(&mut self, value: Option<Uuid>) -> &mut Self {
        match value {
            Some(v) => self.uuid(v),
            None => self.opt(None),
        }
    }

    fn time(&mut self, value: DateTime<Utc>) -> &mut Self {
        self.sep();
        self.data
            .push_str(&value.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        self
    }

    fn int(&mut self, value: i64) -> &mut Self {
        self.sep();
        self.data.push_str(&value.to_string());
        self
    }

    fn end(&mut self) {
        self.data.push('\n');
        self.first = true;
    }
}

/// Loads rows with `COPY … FROM STDIN` (PostgreSQL): several times faster than INSERTs.
async fn copy_in(conn: &mut sqlx::PgConnection, statement: &str, rows: CopyRows) -> Result<()> {
    if rows.data.is_empty() {
        return Ok(());
    }
    let mut copy = conn.copy_in_raw(statement).await?;
    copy.send(rows.data.into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

// ---------------------------------------------------------------- org

pub struct NewDepartment {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub path: String,
    pub created_at: DateTime<Utc>,
}

/// Inserts departments; parents must come before their children.
pub async fn insert_departments(
    tx: &mut Tx,
    tenant_id: Uuid,
    rows: &[NewDepartment],
) -> Result<()> {
    for chunk in rows.chunks(USER_ROWS) {
        let sql = values_sql(
            tx.backend(),
            "INSERT INTO departments (tenant_id, id, parent_id, name, path, created_at, updated_at)",
            chunk.len(),
            7,
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql);
            for d in chunk {
                q = q.bind(tenant_id).bind(d.id).bind(d.parent_id).bind(&d.name).bind(&d.path)
                    .bind(d.created_at).bind(d.created_at);
            }
            q.execute(c).await?;
        });
    }
    Ok(())
}

pub struct NewUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role_id: Uuid,
    pub department_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    pub manager_path: String,
    pub locale: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Inserts active users and their sign-in identities; managers must come before the users
/// who report to them.
pub async fn insert_users(tx: &mut Tx, tenant_id: Uuid, rows: &[NewUser]) -> Result<()> {
    for chunk in rows.chunks(USER_ROWS) {
        let sql = values_sql(
            tx.backend(),
            "INSERT INTO users (tenant_id, id, email, name, password_hash, role_id, department_id, manager_id, manager_path, locale, active, created_at, updated_at)",
            chunk.len(),
            13,
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql);
            for u in chunk {
                q = q.bind(tenant_id).bind(u.id).bind(&u.email).bind(&u.name).bind(&u.password_hash).bind(u.role_id)
                    .bind(u.department_id).bind(u.manager_id).bind(&u.manager_path).bind(&u.locale)
                    .bind(true).bind(u.created_at).bind(u.created_at);
            }
            q.execute(c).await?;
        });
        let sql = values_sql(
            tx.backend(),
            "INSERT INTO login_identities (tenant_id, email, user_id)",
            chunk.len(),
            3,
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql);
            for u in chunk {
                q = q.bind(tenant_id).bind(&u.email).bind(u.id);
            }
            q.execute(c).await?;
        });
    }
    Ok(())
}

// ---------------------------------------------------------------- accounts

/// An account row as stored. Text values must already be validated and normalised
/// (`domain::accounts::AccountInput::validate`).
pub struct NewAccount {
    pub id: Uuid,
    pub name: String,
    pub account_type: &'static str,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub grade: Option<&'static str>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub credit_code: Option<String>,
    pub parent_id: Option<Uuid>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub owner_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i64,
}

/// Inserts accounts (not their tags or search tokens: see [`insert_account_tags`] and
/// [`insert_search_tokens`]). A parent must be inserted before, or earlier in `rows`.
pub async fn insert_accounts(tx: &mut Tx, tenant_id: Uuid, rows: &[NewAccount]) -> Result<()> {
    if let crate::db::TxConn::Postgres(t) = &mut tx.conn {
        let mut copy = CopyRows::with_capacity(rows.len() * 600);
        for a in rows {
            let tags = serde_json::to_string(&a.tags)
                .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
            copy.uuid(tenant_id)
                .uuid(a.id)
                .text(&a.name)
                .text(a.account_type)
                .opt(a.industry.as_deref())
                .opt(a.province.as_deref())
                .opt(a.city.as_deref())
                .opt(a.grade)
                .opt(a.phone.as_deref())
                .opt(a.website.as_deref())
                .opt(a.address.as_deref())
                .opt(a.credit_code.as_deref())
                .opt_uuid(a.parent_id)
                .opt(a.description.as_deref())
                .text(&tags)
                .uuid(a.owner_id)
                .time(a.created_at)
                .uuid(a.created_by)
                .time(a.updated_at)
                .uuid(a.updated_by)
                .int(a.version)
                .end();
        }
        return copy_in(
            t,
            "COPY accounts (tenant_id, id, name, account_type, industry, province, city, grade, phone, website, address, credit_code, parent_id, description, tags, owner_id, created_at, created_by, updated_at, updated_by, version) FROM STDIN",
            copy,
        )
        .await;
    }
    for chunk in rows.chunks(ACCOUNT_ROWS) {
        let sql = values_sql(
            tx.backend(),
            "INSERT INTO accounts (tenant_id, id, name, account_type, industry, province, city, grade, phone, website, address, credit_code, parent_id, description, tags, owner_id, created_at, created_by, updated_at, updated_by, version)",
            chunk.len(),
            21,
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql);
            for a in chunk {
                q = q.bind(tenant_id).bind(a.id).bind(&a.name).bind(a.account_type).bind(&a.industry)
                    .bind(&a.province).bind(&a.city).bind(a.grade).bind(&a.phone).bind(&a.website)
                    .bind(&a.address).bind(&a.credit_code).bind(a.parent_id).bind(&a.description)
                    .bind(Json(&a.tags)).bind(a.owner_id).bind(a.created_at).bind(a.created_by)
                    .bind(a.updated_at).bind(a.updated_by).bind(a.version);
            }
            q.execute(c).await?;
        });
    }
    Ok(())
}

/// Inserts `(account id, tag)` rows.
pub async fn insert_account_tags(
    tx: &mut Tx,
    tenant_id: Uuid,
    rows: &[(Uuid, String)],
) -> Result<()> {
    if let crate::db::TxConn::Postgres(t) = &mut tx.conn {
        let mut copy = CopyRows::with_capacity(rows.len() * 90);
        for (id, value) in rows {
            copy.uuid(tenant_id).uuid(*id).text(value).end();
        }
        return copy_in(
            t,
            "COPY account_tags (tenant_id, account_id, tag) FROM STDIN",
            copy,
        )
        .await;
    }
    for chunk in rows.chunks(TAG_ROWS) {
        let sql = values_sql(
            tx.backend(),
            "INSERT INTO account_tags (tenant_id, account_id, tag)",
            chunk.len(),
            3,
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql);
            for (id, tag) in chunk {
                q = q.bind(tenant_id).bind(*id).bind(tag.as_str());
            }
            q.execute(c).await?;
        });
    }
    Ok(())
}

/// Inserts `(account id, token)` rows: the tokens of `domain::search::account_tokens`.
pub async fn insert_search_tokens(
    tx: &mut Tx,
    tenant_id: Uuid,
    rows: &[(Uuid, String)],
) -> Result<()> {
    if let crate::db::TxConn::Postgres(t) = &mut tx.conn {
        let mut copy = CopyRows::with_capacity(rows.len() * 90);
        for (id, value) in rows {
            copy.uuid(tenant_id).uuid(*id).text(value).end();
        }
        return copy_in(
            t,
            "COPY account_search (tenant_id, account_id, token) FROM STDIN",
            copy,
        )
        .await;
    }
    for chunk in rows.chunks(TOKEN_ROWS) {
        let sql = values_sql(
            tx.backend(),
            "INSERT INTO account_search (tenant_id, account_id, token)",
            chunk.len(),
            3,
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql);
            for (id, token) in chunk {
                q = q.bind(tenant_id).bind(*id).bind(token.as_str());
            }
            q.execute(c).await?;
        });
    }
    Ok(())
}

/// One field-history row, as `store::history::record` would have written it.
pub struct NewChange {
    pub id: Uuid,
    pub record_id: Uuid,
    pub field: &'static str,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub changed_by: Uuid,
    pub changed_at: DateTime<Utc>,
}

pub async fn insert_field_history(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: &str,
    rows: &[NewChange],
) -> Result<()> {
    if let crate::db::TxConn::Postgres(t) = &mut tx.conn {
        let mut copy = CopyRows::with_capacity(rows.len() * 200);
        for h in rows {
            copy.uuid(tenant_id)
                .text(object)
                .uuid(h.id)
                .uuid(h.record_id)
                .text(h.field)
                .opt(h.old_value.as_deref())
                .opt(h.new_value.as_deref())
                .uuid(h.changed_by)
                .time(h.changed_at)
                .end();
        }
        return copy_in(
            t,
            "COPY field_history (tenant_id, object, id, record_id, field, old_value, new_value, changed_by, changed_at) FROM STDIN",
            copy,
        )
        .await;
    }
    for chunk in rows.chunks(HISTORY_ROWS) {
        let sql = values_sql(
            tx.backend(),
            "INSERT INTO field_history (tenant_id, object, id, record_id, field, old_value, new_value, changed_by, changed_at)",
            chunk.len(),
            9,
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql);
            for h in chunk {
                q = q.bind(tenant_id).bind(object).bind(h.id).bind(h.record_id).bind(h.field)
                    .bind(&h.old_value).bind(&h.new_value).bind(h.changed_by).bind(h.changed_at);
            }
            q.execute(c).await?;
        });
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
        ("account_tags", &mut out.account_tags),
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

/// The SQL spellings that differ between the two databases, for set-based generation.
struct Dialect {
    least: &'static str,
    json_object: &'static str,
}

impl Dialect {
    fn of(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Dialect {
                least: "min",
                json_object: "json_object",
            },
            Backend::Postgres => Dialect {
                least: "least",
                json_object: "jsonb_build_object",
            },
        }
    }

    /// The id of a record derived from account `account` (an expression): the account id's
    /// first 13 bytes (its time and version bits) and 3 bytes of `part` (which record of the
    /// account, below 2^24). Records are written in account-id order, so each table's
    /// primary key grows at its end instead of taking random inserts.
    fn derived_id(backend: Backend, account: &str, part: &str) -> String {
        match backend {
            Backend::Sqlite => format!(
                "unhex(hex(substr({account}, 1, 13)) || printf('%06x', {part}))"
            ),
            Backend::Postgres => format!(
                "(left(encode(uuid_send({account}), 'hex'), 26) || lpad(to_hex({part}), 6, '0'))::uuid"
            ),
        }
    }

    /// `t` plus a number of days and hours (integer SQL expressions), as a timestamp. On
    /// SQLite in the text the application writes (RFC 3339 with `+00:00`, milliseconds only
    /// when there are some): keyset paging compares the stored text, so an instant must have
    /// one spelling.
    fn plus(backend: Backend, t: &str, days: &str, hours: &str) -> String {
        match backend {
            Backend::Sqlite => format!(
                "replace(strftime('%Y-%m-%dT%H:%M:%f+00:00', {t}, '+' || ({days}) || ' days', '+' || ({hours}) || ' hours'), '.000+', '+')"
            ),
            Backend::Postgres => {
                format!("({t} + make_interval(days => ({days})::int, hours => ({hours})::int))")
            }
        }
    }

    /// Whole days from timestamp `t` to the bound anchor `$2`, at least 1.
    fn days_to_anchor(backend: Backend, t: &str) -> String {
        match backend {
            Backend::Sqlite => format!("max(1, CAST(julianday($2) - julianday({t}) AS INTEGER))"),
            Backend::Postgres => format!("greatest(1, EXTRACT(DAY FROM ($2 - {t}))::int)"),
        }
    }

    /// `account_search` read by account. SQLite is told which index: without statistics it
    /// prefers the covering primary key on `tenant_id` alone, and scans every token per account.
    fn tokens_by_account(backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => "account_search t INDEXED BY account_search_account",
            Backend::Postgres => "account_search t",
        }
    }

    /// The `YYYY-MM-DD` day of a timestamp expression.
    fn day(backend: Backend, t: &str) -> String {
        match backend {
            Backend::Sqlite => format!("substr({t}, 1, 10)"),
            Backend::Postgres => format!("to_char({t} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
        }
    }
}

/// The tables the generator fills in bulk.
pub const GENERATED_TABLES: [&str; 9] = [
    "accounts",
    "account_tags",
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
const LOADER_CACHE_KIB: i64 = 1024 * 1024;
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

/// What [`derive_related`] made.
#[derive(Debug, Default, Clone)]
pub struct Related {
    pub contacts: i64,
    pub leads: i64,
    pub opportunities: i64,
    pub activities: i64,
    /// Search-token rows written for them.
    pub search_tokens: i64,
    /// Seconds spent on each kind of statement, over all chunks.
    pub seconds: Vec<(&'static str, f64)>,
}

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗";
const GIVEN: &str = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞";

/// Makes the records around the generated accounts in the database itself, set-based:
/// 1–2 contacts per account (with a custom `budget_level` picklist value), one lead per
/// account, an opportunity for three accounts in five, and five activities per account over
/// its life; then the accounts' "last contacted" dates. Values are spread by a hash of the
/// account's position, so a seed's data is the same on every run. Timestamps stop at
/// `anchor`. Then the search tokens of the contacts, leads and opportunities.
///
/// The accounts' search tokens must be indexed by account (`account_search_account`); the
/// other secondary indexes of the tables written are best dropped before
/// ([`drop_secondary_indexes`]) and built after.
///
/// It works in chunks of [`DERIVE_CHUNK`] accounts, each its own transaction: on SQLite one
/// transaction over millions of rows grows the WAL to several times the database, and every
/// page read then searches that WAL (the load slowed to a crawl). `loader` is the
/// one-connection handle of [`loader`], which keeps the numbering table of the accounts.
pub async fn derive_related(
    loader: &Db,
    tenant_id: Uuid,
    anchor: DateTime<Utc>,
) -> Result<Related> {
    let backend = loader.backend();
    let d = Dialect::of(backend);
    let (least, json_object) = (d.least, d.json_object);
    let id = |part: &str| Dialect::derived_id(backend, "base.id", part);
    // Accounts numbered in id order (`gen_base`, a temporary table of the loader's one
    // connection); `h(k)` a deterministic spread of that number. Each statement takes the
    // accounts numbered in ($3, $4].
    let number_accounts = "CREATE TEMP TABLE gen_base AS SELECT a.id, a.name, a.phone, a.province, a.city, a.owner_id, a.created_at,
        row_number() OVER (ORDER BY a.id) AS n FROM accounts a WHERE a.tenant_id = $1";
    let chunk = "base.n > $3 AND base.n <= $4";
    let h = |salt: u32| format!("((base.n * 2654435761 + {salt} * 40503) % 1000003)");
    let series = "(SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4)";
    let at = |days: &str, hours: &str| {
        format!(
            "{least}({}, $2)",
            Dialect::plus(backend, "base.created_at", days, hours)
        )
    };
    // A Chinese name; `extra` varies it between records of one account.
    let person = |salt: u32, extra: &str| {
        let v = |k: u32| format!("({} + {extra})", h(salt + k));
        format!(
            "substr('{SURNAMES}', CAST(1 + {} % 20 AS INTEGER), 1) || substr('{GIVEN}', CAST(1 + {} % 30 AS INTEGER), 1) || CASE WHEN {} % 3 = 0 THEN '' ELSE substr('{GIVEN}', CAST(1 + {} % 30 AS INTEGER), 1) END",
            v(0), v(1), v(2), v(3)
        )
    };
    let contact_created = at(
        &format!("{} % 30 + s.k * 40", h(5)),
        &format!("{} % 9", h(6)),
    );
    let contacts = format!(
        "INSERT INTO contacts (tenant_id, id, name, account_id, title, customer_role, mobile, custom, owner_id, created_at, created_by, updated_at, updated_by, version)
         SELECT $1, {id}, {name}, base.id,
            CASE {t} % 6 WHEN 0 THEN '总经理' WHEN 1 THEN '采购经理' WHEN 2 THEN '技术总监' WHEN 3 THEN 'IT 主管' WHEN 4 THEN '财务经理' ELSE '项目经理' END,
            CASE {t} % 7 WHEN 0 THEN 'decision_maker' WHEN 1 THEN 'influencer' WHEN 2 THEN 'evaluator' WHEN 3 THEN 'user' WHEN 4 THEN 'gatekeeper' WHEN 5 THEN 'champion' ELSE NULL END,
            '+86 13' || ({t} % 10) || ' ' || (1000 + {m} % 9000) || ' ' || (1000 + ({m} / 9000) % 9000),
            {json_object}('budget_level', CASE {b} % 3 WHEN 0 THEN 'high' WHEN 1 THEN 'mid' ELSE 'low' END),
            base.owner_id, {created}, base.owner_id, {created}, base.owner_id, 1
         FROM gen_base base JOIN {series} s ON s.k < 1 + {c} % 2 WHERE {chunk}",
        name = person(10, "s.k * 7"),
        id = id("16 + s.k"),
        t = h(20),
        m = h(21),
        b = h(22),
        c = h(23),
        created = contact_created,
    );
    let lead_created = at(&format!("{} % 60", h(30)), &format!("{} % 9", h(31)));
    let leads = format!(
        "INSERT INTO leads (tenant_id, id, name, company, title, mobile, province, city, source, status, intent, custom, owner_id, created_at, created_by, updated_at, updated_by, version)
         SELECT $1, {id}, {name}, base.name, CASE {t} % 3 WHEN 0 THEN '总经理' WHEN 1 THEN '采购经理' ELSE '技术总监' END,
            '+86 15' || ({t} % 10) || ' ' || (1000 + {m} % 9000) || ' ' || (1000 + ({m} / 9000) % 9000),
            base.province, base.city,
            CASE {t} % 9 WHEN 0 THEN 'web' WHEN 1 THEN 'phone' WHEN 2 THEN 'email' WHEN 3 THEN 'visit' WHEN 4 THEN 'event' WHEN 5 THEN 'referral' WHEN 6 THEN 'advertising' WHEN 7 THEN 'import' ELSE 'api' END,
            CASE {s} % 10 WHEN 0 THEN 'new' WHEN 1 THEN 'new' WHEN 2 THEN 'contacted' WHEN 3 THEN 'contacted' WHEN 4 THEN 'qualified' WHEN 5 THEN 'disqualified' ELSE 'converted' END,
            CASE {s} % 4 WHEN 0 THEN 'H' WHEN 1 THEN 'A' WHEN 2 THEN 'B' ELSE 'C' END,
            '{{}}', base.owner_id, {created}, base.owner_id, {created}, base.owner_id, 1
         FROM gen_base base WHERE {chunk}",
        name = person(40, "0"),
        id = id("32"),
        t = h(41),
        m = h(42),
        s = h(43),
        created = lead_created,
    );
    let opp_created = at(&format!("{} % 90", h(50)), &format!("{} % 9", h(51)));
    let close = Dialect::day(
        backend,
        &Dialect::plus(backend, &opp_created, &format!("{} % 180", h(52)), "0"),
    );
    let opportunities = format!(
        "INSERT INTO opportunities (tenant_id, id, name, account_id, amount_minor, currency, expected_close, stage, win_rate, source, closed_on, custom, owner_id, created_at, created_by, updated_at, updated_by, version)
         SELECT $1, {id}, base.name || ' · ' || CASE {t} % 4 WHEN 0 THEN '系统升级' WHEN 1 THEN '年度采购' WHEN 2 THEN '新建项目' ELSE '扩容' END,
            base.id, ({a} % 500 + 1) * 1000000, 'CNY', {close},
            CASE {s} % 6 WHEN 0 THEN 'initial' WHEN 1 THEN 'needs' WHEN 2 THEN 'proposal' WHEN 3 THEN 'negotiation' WHEN 4 THEN 'won' ELSE 'lost' END,
            CASE {s} % 6 WHEN 0 THEN 10 WHEN 1 THEN 30 WHEN 2 THEN 50 WHEN 3 THEN 70 WHEN 4 THEN 100 ELSE 0 END,
            CASE {t} % 5 WHEN 0 THEN 'web' WHEN 1 THEN 'referral' WHEN 2 THEN 'event' WHEN 3 THEN 'visit' ELSE 'phone' END,
            CASE WHEN {s} % 6 >= 4 THEN {close} ELSE NULL END,
            '{{}}', base.owner_id, {created}, base.owner_id, {created}, base.owner_id, 1
         FROM gen_base base WHERE {p} % 5 < 3 AND {chunk}",
        t = h(53),
        a = h(54),
        s = h(55),
        p = h(56),
        id = id("48"),
        created = opp_created,
    );
    // Spread over the account's life so far.
    let span = Dialect::days_to_anchor(backend, "base.created_at");
    let starts = at(
        &format!("({} + s.k * 7919) % {span}", h(60)),
        &format!("({} + s.k) % 10", h(61)),
    );
    let kind = format!("CASE ({} + s.k * 3) % 10 WHEN 0 THEN 'call' WHEN 1 THEN 'call' WHEN 2 THEN 'call' WHEN 3 THEN 'visit' WHEN 4 THEN 'visit' WHEN 5 THEN 'meeting' WHEN 6 THEN 'note' WHEN 7 THEN 'note' ELSE 'task' END", h(62));
    // The activities of a chunk, before they are written; "last contacted" is computed from
    // the same rows. $5: thirty days before the anchor (later tasks are still open).
    let activity_rows = format!(
        "SELECT base.id, {derived_id} AS derived_id, base.name, base.owner_id, {kind} AS kind, {starts} AS starts,
            CASE ({label}) % 4 WHEN 0 THEN '跟进' WHEN 1 THEN '需求沟通' WHEN 2 THEN '方案讲解' ELSE '回访' END AS label
         FROM gen_base base CROSS JOIN {series} s WHERE {chunk}",
        derived_id = id("64 + s.k"),
        label = h(63),
    );
    let activities = format!(
        "INSERT INTO activities (tenant_id, id, kind, name, account_id, starts_at, due_at, status, completed_at, custom, owner_id, created_at, created_by, updated_at, updated_by, version)
         SELECT $1, x.derived_id, x.kind, x.label || ' · ' || x.name, x.id, x.starts, CASE WHEN x.kind = 'task' THEN x.starts ELSE NULL END,
            CASE WHEN x.kind = 'task' AND x.starts >= $5 THEN 'open' ELSE 'done' END,
            CASE WHEN x.kind = 'task' AND x.starts >= $5 THEN NULL ELSE x.starts END,
            '{{}}', x.owner_id, x.starts, x.owner_id, x.starts, x.owner_id, 1
         FROM ({activity_rows}) x"
    );
    // Calls, visits and meetings are always done; the latest is the account's last contact.
    // From the generated rows, not by reading `activities` back (it has no indexes yet).
    let last_contacted = format!(
        "UPDATE accounts SET last_contacted_at = x.last
         FROM (SELECT r.id AS account_id, max(r.starts) AS last FROM ({activity_rows}) r
               WHERE r.kind IN ('call', 'visit', 'meeting') GROUP BY r.id) x
         WHERE accounts.tenant_id = $1 AND accounts.id = x.account_id"
    );
    let recent = anchor - chrono::Duration::days(30);
    // Search tokens, as `app::records` writes them for records made in the app: the bigrams
    // of each person's name; for leads also the company's tokens, for opportunities the
    // account's tokens (their names start with it) and the bigrams of the word after it. The
    // account's tokens come from `account_search` (indexed by account before this runs).
    // Contacts' and leads' mobile numbers (`+86 1xx xxxx xxxx`) by their digit grams: every
    // run of four of the national number `1xxxxxxxxxx`, as `domain::search::phone_tokens`
    // gives. Not generated: the legal-form bigrams an
    // opportunity's name carries in its middle. $2, $3: the chunk.
    let token_chunk = "base.n > $2 AND base.n <= $3";
    // Joins written as CROSS JOINs with the conditions in WHERE: SQLite then keeps the order
    // written (the chunk's accounts first, then primary-key or index lookups).
    let bigrams = |table: &str, derived: &str, text: &str, join: &str| {
        format!(
            "SELECT substr({text}, p.k + 1, 2) AS token, r.id AS record_id
             FROM gen_base base {join} CROSS JOIN {table} r CROSS JOIN {series} p
             WHERE {token_chunk} AND r.tenant_id = $1 AND r.id = {derived} AND p.k < length({text}) - 1"
        )
    };
    let digits = "substr(replace(replace(r.mobile, '+', ''), ' ', ''), 3)";
    let digit_series = "(SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
    let mobile_grams = |table: &str, derived: &str, join: &str| {
        format!(
            "SELECT substr({digits}, p.k + 1, {gram}) AS token, r.id AS record_id
             FROM gen_base base {join} CROSS JOIN {table} r CROSS JOIN {digit_series} p
             WHERE {token_chunk} AND r.tenant_id = $1 AND r.id = {derived} AND p.k <= length({digits}) - {gram}",
            gram = domain::search::DIGIT_GRAM,
        )
    };
    // The tokens of the account's name (a lead's company, the start of an opportunity's
    // name), without its phone number's grams: those are the only tokens made of digits that
    // occur in the phone number's digits or its national form with the trunk prefix
    // (`861026814664`, `01026814664`; generated names have no digits). `join` adds a table and
    // `join_on` its conditions.
    let account_tokens = |record: &str, join: &str, join_on: &str| {
        format!(
            "SELECT t.token AS token, {record} AS record_id
             FROM gen_base base {join} CROSS JOIN {tokens}
             WHERE {token_chunk} {join_on} AND t.tenant_id = $1 AND t.account_id = base.id
               AND (base.phone IS NULL OR {position}({digits} || '|0' || substr({digits}, 3), t.token) = 0)",
            tokens = Dialect::tokens_by_account(backend),
            digits = "replace(replace(replace(base.phone, '+', ''), ' ', ''), '-', '')",
            position = match backend {
                Backend::Sqlite => "instr",
                Backend::Postgres => "strpos",
            },
        )
    };
    // One statement per object, its token sources merged by UNION: no (token, record) pair
    // is written twice, so PostgreSQL can load the table without its primary key.
    let insert = |object: &str, rows: String| {
        format!(
            "INSERT INTO record_search (tenant_id, object, token, record_id)
             SELECT $1, '{object}', x.token, x.record_id FROM ({rows}) x"
        )
    };
    let opportunity = id("48");
    let token_statements = [
        // A person's name has no repeated bigram (surnames and given names are disjoint); a
        // number's grams may repeat, and UNION writes each once.
        insert(
            "contact",
            format!(
                "{} UNION {}",
                bigrams(
                    "contacts",
                    &id("16 + s.k"),
                    "r.name",
                    &format!("JOIN {series} s ON s.k < 2"),
                ),
                mobile_grams(
                    "contacts",
                    &id("16 + s.k"),
                    &format!("JOIN {series} s ON s.k < 2"),
                )
            ),
        ),
        insert(
            "lead",
            format!(
                "{} UNION {} UNION {}",
                account_tokens(&id("32"), "", ""),
                bigrams("leads", &id("32"), "r.name", ""),
                mobile_grams("leads", &id("32"), "")
            ),
        ),
        insert(
            "opportunity",
            format!(
                "{} UNION {}",
                account_tokens(
                    "r.id",
                    "CROSS JOIN opportunities r",
                    &format!("AND r.tenant_id = $1 AND r.id = {opportunity}"),
                ),
                // The word after "name · ".
                bigrams(
                    "opportunities",
                    &opportunity,
                    "substr(r.name, length(base.name) + 4)",
                    ""
                )
            ),
        ),
    ];

    let mut tx = loader.begin().await?;
    begin_load(&mut tx).await?;
    on_conn!(tx, c => {
        sqlx::query(number_accounts).bind(tenant_id).execute(&mut *c).await?;
        sqlx::query("CREATE INDEX gen_base_n ON gen_base (n)").execute(&mut *c).await?;
    });
    let (accounts,): (i64,) = on_conn!(tx, c => {
        sqlx::query_as("SELECT COUNT(*) FROM gen_base").fetch_one(&mut *c).await?
    });
    tx.commit().await?;

    // Seconds per step, summed over the chunks, in the order the steps run.
    let mut seconds: Vec<(&'static str, f64)> = Vec::new();
    let mut took = |step: &'static str, started: std::time::Instant| {
        let secs = started.elapsed().as_secs_f64();
        match seconds.iter_mut().find(|(s, _)| *s == step) {
            Some(entry) => entry.1 += secs,
            None => seconds.push((step, secs)),
        }
    };
    let mut from = 0;
    while from < accounts {
        let to = from + DERIVE_CHUNK;
        let mut tx = loader.begin().await?;
        begin_load(&mut tx).await?;
        for (step, sql) in [
            ("contacts", &contacts),
            ("leads", &leads),
            ("opportunities", &opportunities),
        ] {
            let started = std::time::Instant::now();
            on_conn!(tx, c => {
                sqlx::query(sql).bind(tenant_id).bind(anchor).bind(from).bind(to).execute(&mut *c).await?;
            });
            took(step, started);
        }
        for (step, sql) in [
            ("activities", &activities),
            ("last contacted", &last_contacted),
        ] {
            let started = std::time::Instant::now();
            on_conn!(tx, c => {
                sqlx::query(sql).bind(tenant_id).bind(anchor).bind(from).bind(to).bind(recent).execute(&mut *c).await?;
            });
            took(step, started);
        }
        let started = std::time::Instant::now();
        for sql in &token_statements {
            on_conn!(tx, c => {
                sqlx::query(sql).bind(tenant_id).bind(from).bind(to).execute(&mut *c).await?;
            });
        }
        took("search tokens", started);
        let started = std::time::Instant::now();
        tx.commit().await?;
        took("commit", started);
        from = to;
    }

    let mut tx = loader.begin().await?;
    on_conn!(tx, c => {
        sqlx::query("DROP TABLE gen_base").execute(&mut *c).await?;
    });
    let mut made = Related {
        seconds,
        ..Related::default()
    };
    for (table, slot) in [
        ("contacts", &mut made.contacts),
        ("leads", &mut made.leads),
        ("opportunities", &mut made.opportunities),
        ("activities", &mut made.activities),
        ("record_search", &mut made.search_tokens),
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = $1");
        *slot = on_conn!(tx, c => {
            sqlx::query_scalar::<_, i64>(&sql).bind(tenant_id).fetch_one(&mut *c).await?
        });
    }
    tx.commit().await?;
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Generated instants are spelled as the application writes them (sqlx's RFC 3339 with
    /// `+00:00` and only the fractional digits there are): lists compare SQLite's text, and
    /// `….000+00:00` next to `…+00:00` for one instant broke keyset paging.
    #[tokio::test]
    async fn generated_instants_are_spelled_as_the_application_writes_them() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite");
        let base = chrono::DateTime::parse_from_rfc3339("2026-11-20T09:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        for (millis, days, hours) in [(0, 0, 0), (0, 3, 5), (120, 1, 0), (7, 0, 2)] {
            let start = base + chrono::Duration::milliseconds(millis);
            let expected = start + chrono::Duration::days(days) + chrono::Duration::hours(hours);
            let sql = format!(
                "SELECT {} AS generated, $2 AS written",
                Dialect::plus(Backend::Sqlite, "$1", &days.to_string(), &hours.to_string())
            );
            let (generated, written): (String, String) = sqlx::query_as(&sql)
                .bind(start)
                .bind(expected)
                .fetch_one(&pool)
                .await
                .expect("query");
            assert_eq!(generated, written, "{millis} ms + {days} d {hours} h");
        }
    }
}
