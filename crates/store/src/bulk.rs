//! Bulk loading, for the data generator (`meridian gen`): large multi-row INSERTs inside
//! transactions on a dedicated connection, and the few read queries the benchmark needs to
//! choose its users. Nothing here is used while serving requests.
//!
//! Every insert takes the rows of one table and writes them in statements of at most
//! `*_ROWS` rows, so that a full statement always has the same text (and is prepared once per
//! connection) and stays below SQLite's limit of 32,766 parameters. The tenant id is bound once
//! per statement.

use crate::{Db, Result, Tx};
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqlitePoolOptions, SqliteSynchronous};
use sqlx::types::Json;
use uuid::Uuid;

/// Accounts per INSERT statement (20 parameters a row).
pub const ACCOUNT_ROWS: usize = 1000;
/// Tag rows per INSERT statement (2 parameters a row).
pub const TAG_ROWS: usize = 8000;
/// Search-token rows per INSERT statement (2 parameters a row).
pub const TOKEN_ROWS: usize = 8000;
/// Field-history rows per INSERT statement (7 parameters a row).
pub const HISTORY_ROWS: usize = 2000;
/// Users per INSERT statement (12 parameters a row).
pub const USER_ROWS: usize = 500;

/// A database handle for bulk loading. On SQLite it is a separate one-connection pool on the
/// same file with `synchronous=OFF` (a crash during generation may lose the data being
/// generated, nothing else) and a 1 GiB page cache; on PostgreSQL it is the same pool.
pub async fn loader(db: &Db) -> Result<Db> {
    Ok(match db {
        Db::Sqlite(pool) => {
            let options = (*pool.connect_options())
                .clone()
                .synchronous(SqliteSynchronous::Off)
                .pragma("cache_size", "-1048576")
                .pragma("temp_store", "memory");
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .connect_with(options)
                .await?;
            Db::Sqlite(pool)
        }
        Db::Postgres(pool) => Db::Postgres(pool.clone()),
    })
}

/// Lets a bulk transaction commit without waiting for its WAL flush (PostgreSQL; on SQLite
/// the loader connection already runs with `synchronous=OFF`).
pub async fn relax_durability(tx: &mut Tx) -> Result<()> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// Brings the database into its everyday state after a load: statistics for the PostgreSQL
/// planner (what autovacuum would do a little later), a truncated WAL on SQLite.
pub async fn finish(db: &Db) -> Result<()> {
    match db {
        Db::Postgres(pool) => {
            for table in [
                "accounts",
                "account_tags",
                "account_search",
                "field_history",
                "users",
                "departments",
                "roles",
            ] {
                sqlx::query(&format!("VACUUM (ANALYZE) {table}"))
                    .execute(pool)
                    .await?;
            }
        }
        Db::Sqlite(pool) => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

/// `INSERT INTO <head> VALUES (…), (…)` for `rows` rows of `per_row` parameters each, numbered
/// from `$2` (`$1` is the tenant id). `row` renders one row from its first parameter number.
fn values_sql(head: &str, rows: usize, per_row: usize, row: impl Fn(usize) -> String) -> String {
    let mut sql = String::with_capacity(head.len() + rows * (per_row * 7 + 8));
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&row(2 + i * per_row));
    }
    sql
}

/// `($1, $n, $n+1, …)`: a row that starts with the tenant id.
fn tenant_row(first: usize, count: usize) -> String {
    let mut s = String::from("($1");
    for k in 0..count {
        s.push_str(&format!(",${}", first + k));
    }
    s.push(')');
    s
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
            "INSERT INTO departments (tenant_id, id, parent_id, name, path, created_at, updated_at)",
            chunk.len(),
            5,
            |n| format!("($1,${},${},${},${},${},${})", n, n + 1, n + 2, n + 3, n + 4, n + 4),
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql).bind(tenant_id);
            for d in chunk {
                q = q.bind(d.id).bind(d.parent_id).bind(&d.name).bind(&d.path).bind(d.created_at);
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
            "INSERT INTO users (tenant_id, id, email, name, password_hash, role_id, department_id, manager_id, manager_path, locale, active, created_at, updated_at)",
            chunk.len(),
            12,
            |n| tenant_row(n, 12),
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql).bind(tenant_id);
            for u in chunk {
                q = q.bind(u.id).bind(&u.email).bind(&u.name).bind(&u.password_hash).bind(u.role_id)
                    .bind(u.department_id).bind(u.manager_id).bind(&u.manager_path).bind(&u.locale)
                    .bind(true).bind(u.created_at).bind(u.created_at);
            }
            q.execute(c).await?;
        });
        let sql = values_sql(
            "INSERT INTO login_identities (tenant_id, email, user_id)",
            chunk.len(),
            2,
            |n| tenant_row(n, 2),
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql).bind(tenant_id);
            for u in chunk {
                q = q.bind(&u.email).bind(u.id);
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
    for chunk in rows.chunks(ACCOUNT_ROWS) {
        let sql = values_sql(
            "INSERT INTO accounts (tenant_id, id, name, account_type, industry, province, city, grade, phone, website, address, credit_code, parent_id, description, tags, owner_id, created_at, created_by, updated_at, updated_by, version)",
            chunk.len(),
            20,
            |n| tenant_row(n, 20),
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql).bind(tenant_id);
            for a in chunk {
                q = q.bind(a.id).bind(&a.name).bind(a.account_type).bind(&a.industry)
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
    for chunk in rows.chunks(TAG_ROWS) {
        let sql = values_sql(
            "INSERT INTO account_tags (tenant_id, account_id, tag)",
            chunk.len(),
            2,
            |n| tenant_row(n, 2),
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql).bind(tenant_id);
            for (id, tag) in chunk {
                q = q.bind(*id).bind(tag.as_str());
            }
            q.execute(c).await?;
        });
    }
    Ok(())
}

/// Inserts `(account id, token)` rows: the tokens of `domain::search::index_tokens`.
pub async fn insert_search_tokens(
    tx: &mut Tx,
    tenant_id: Uuid,
    rows: &[(Uuid, String)],
) -> Result<()> {
    for chunk in rows.chunks(TOKEN_ROWS) {
        let sql = values_sql(
            "INSERT INTO account_search (tenant_id, account_id, token)",
            chunk.len(),
            2,
            |n| tenant_row(n, 2),
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql).bind(tenant_id);
            for (id, token) in chunk {
                q = q.bind(*id).bind(token.as_str());
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
    for chunk in rows.chunks(HISTORY_ROWS) {
        // `$2` is the object; the rows' parameters start at `$3`.
        let sql = values_sql(
            "INSERT INTO field_history (tenant_id, object, id, record_id, field, old_value, new_value, changed_by, changed_at)",
            chunk.len(),
            7,
            |n| {
                let n = n + 1;
                format!(
                    "($1,$2,${},${},${},${},${},${},${})",
                    n,
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5,
                    n + 6
                )
            },
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql).bind(tenant_id).bind(object);
            for h in chunk {
                q = q.bind(h.id).bind(h.record_id).bind(h.field).bind(&h.old_value)
                    .bind(&h.new_value).bind(h.changed_by).bind(h.changed_at);
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
