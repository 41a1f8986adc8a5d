//! Inserts per table: departments, users, accounts with their tags and search tokens, field
//! history.

use super::statements::{copy_in, values_sql, CopyRows};
use super::{ACCOUNT_ROWS, HISTORY_ROWS, TAG_ROWS, TOKEN_ROWS, USER_ROWS};
use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

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
/// (the account spec's field types).
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

/// Inserts `(account id, tag)` rows of the accounts' `tags` field into `record_tags`.
pub async fn insert_account_tags(
    tx: &mut Tx,
    tenant_id: Uuid,
    rows: &[(Uuid, String)],
) -> Result<()> {
    if let crate::db::TxConn::Postgres(t) = &mut tx.conn {
        let mut copy = CopyRows::with_capacity(rows.len() * 90);
        for (id, value) in rows {
            copy.uuid(tenant_id)
                .text("account")
                .text("tags")
                .text(value)
                .uuid(*id)
                .end();
        }
        return copy_in(
            t,
            "COPY record_tags (tenant_id, object, field, tag, record_id) FROM STDIN",
            copy,
        )
        .await;
    }
    // Five parameters a row, within SQLite's 32,766.
    for chunk in rows.chunks(TAG_ROWS * 3 / 5) {
        let sql = values_sql(
            tx.backend(),
            "INSERT INTO record_tags (tenant_id, object, field, tag, record_id)",
            chunk.len(),
            5,
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql);
            for (id, tag) in chunk {
                q = q.bind(tenant_id).bind("account").bind("tags").bind(tag.as_str()).bind(*id);
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
