//! Accounts (客户): storage, the visible-record queries and the list-view query.

use crate::search::{SearchPlan, TokenIndex};
use crate::visibility::{visible_records, SqlBuilder};
use crate::{Param, Result, Tx};
use chrono::{DateTime, Utc};
use domain::accounts::{AccountFields, AccountType, Grade};
use domain::permissions::{ObjectKind, Principal};
use domain::views::Condition;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub id: Uuid,
    pub name: String,
    pub account_type: String,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub grade: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub credit_code: Option<String>,
    pub parent_id: Option<Uuid>,
    pub parent_name: Option<String>,
    pub description: Option<String>,
    pub tags: Json<Vec<String>>,
    /// Custom field values, keyed by field (see `records::json_value`).
    pub custom: Json<serde_json::Value>,
    /// When an activity with the account last happened (set by the system).
    pub last_contacted_at: Option<DateTime<Utc>>,
    /// The day of the account's last won deal, `YYYY-MM-DD` (set by the system).
    pub last_deal_at: Option<String>,
    pub owner_id: Uuid,
    pub owner_name: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i64,
}

impl AccountRow {
    /// The record's editable fields, as the domain rules see them.
    pub fn fields(&self) -> AccountFields {
        let row = self;
        AccountFields {
            name: row.name.clone(),
            account_type: AccountType::parse(&row.account_type).unwrap_or(AccountType::Other),
            industry: row.industry.clone(),
            province: row.province.clone(),
            city: row.city.clone(),
            grade: row.grade.as_deref().and_then(Grade::parse),
            phone: row.phone.clone(),
            website: row.website.clone(),
            address: row.address.clone(),
            credit_code: row.credit_code.clone(),
            parent_id: row.parent_id,
            tags: row.tags.0.clone(),
            description: row.description.clone(),
            owner_id: Some(row.owner_id),
        }
    }
}

/// The columns of an [`AccountRow`] over `FROM accounts t` (or another FROM clause that
/// names the accounts `t`), with the owner and parent joined. The parent's name is joined
/// whether or not the reader may open the parent, and nothing else of it: the rule of
/// `app::records::names_for` for every lookup.
fn select(from: &str) -> String {
    format!(
        "SELECT t.id, t.name, t.account_type, t.industry, t.province, t.city, t.grade, t.phone,
    t.website, t.address, t.credit_code, t.parent_id, p.name AS parent_name, t.description, t.tags, t.custom,
    t.last_contacted_at, t.last_deal_at,
    t.owner_id, o.name AS owner_name, t.created_at, t.created_by, t.updated_at, t.updated_by, t.version
    {from}
    JOIN users o ON o.tenant_id = t.tenant_id AND o.id = t.owner_id
    LEFT JOIN accounts p ON p.tenant_id = t.tenant_id AND p.id = t.parent_id"
    )
}

/// Inserts an account, written by `actor` at `now`. `fields.owner_id` must be resolved by
/// the caller.
pub async fn insert(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    f: &AccountFields,
    owner_id: Uuid,
    (actor, now): (Uuid, DateTime<Utc>),
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO accounts (tenant_id, id, name, account_type, industry, province, city, grade, phone, website, address, credit_code, parent_id, description, tags, owner_id, created_at, created_by, updated_at, updated_by, version)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $17, $18, 1)")
            .bind(tenant_id).bind(id).bind(&f.name).bind(f.account_type.key()).bind(&f.industry)
            .bind(&f.province).bind(&f.city).bind(f.grade.map(|g| g.key())).bind(&f.phone).bind(&f.website)
            .bind(&f.address).bind(&f.credit_code).bind(f.parent_id).bind(&f.description).bind(Json(&f.tags))
            .bind(owner_id).bind(now).bind(actor)
            .execute(c).await?;
    });
    replace_tags(tx, tenant_id, id, &f.tags).await?;
    crate::search::index_account(tx, tenant_id, id, &f.name, f.phone.as_deref()).await
}

/// A change of one account: the values it had and the values it gets. `after.owner_id` must
/// be resolved by the caller.
pub struct Change<'a> {
    pub before: &'a AccountFields,
    pub after: &'a AccountFields,
    pub actor: Uuid,
    pub at: DateTime<Utc>,
}

/// Writes new field values if `version` is still current; returns whether it did.
pub async fn update(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    version: i64,
    change: Change<'_>,
) -> Result<bool> {
    let f = change.after;
    let owner_id = f
        .owner_id
        .ok_or_else(|| crate::StoreError::Corrupt("account update without an owner".into()))?;
    let actor = change.actor;
    let done = on_conn!(tx, c => {
        sqlx::query("UPDATE accounts SET name = $3, account_type = $4, industry = $5, province = $6, city = $7, grade = $8, phone = $9, website = $10, address = $11, credit_code = $12, parent_id = $13, description = $14, tags = $15, owner_id = $16, updated_at = $17, updated_by = $18, version = version + 1
            WHERE tenant_id = $1 AND id = $2 AND version = $19")
            .bind(tenant_id).bind(id).bind(&f.name).bind(f.account_type.key()).bind(&f.industry)
            .bind(&f.province).bind(&f.city).bind(f.grade.map(|g| g.key())).bind(&f.phone).bind(&f.website)
            .bind(&f.address).bind(&f.credit_code).bind(f.parent_id).bind(&f.description).bind(Json(&f.tags))
            .bind(owner_id).bind(change.at).bind(actor).bind(version)
            .execute(c).await?.rows_affected()
    });
    if done != 1 {
        return Ok(false);
    }
    if change.before.tags != f.tags {
        replace_tags(tx, tenant_id, id, &f.tags).await?;
    }
    if change.before.name != f.name || change.before.phone != f.phone {
        crate::search::index_account(tx, tenant_id, id, &f.name, f.phone.as_deref()).await?;
    }
    Ok(true)
}

async fn replace_tags(tx: &mut Tx, tenant_id: Uuid, id: Uuid, tags: &[String]) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM account_tags WHERE tenant_id = $1 AND account_id = $2")
            .bind(tenant_id).bind(id).execute(&mut *c).await?;
        for tag in tags {
            sqlx::query("INSERT INTO account_tags (tenant_id, account_id, tag) VALUES ($1, $2, $3)")
                .bind(tenant_id).bind(id).bind(tag).execute(&mut *c).await?;
        }
    });
    Ok(())
}

pub async fn delete(tx: &mut Tx, tenant_id: Uuid, id: Uuid, version: i64) -> Result<bool> {
    let done = on_conn!(tx, c => {
        sqlx::query("DELETE FROM accounts WHERE tenant_id = $1 AND id = $2 AND version = $3")
            .bind(tenant_id).bind(id).bind(version).execute(c).await?.rows_affected()
    });
    Ok(done == 1)
}

/// Whether any account names this one as its parent.
pub async fn has_children(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<bool> {
    let row: Option<(Uuid,)> = on_conn!(tx, c => {
        sqlx::query_as("SELECT id FROM accounts WHERE tenant_id = $1 AND parent_id = $2 LIMIT 1")
            .bind(tenant_id).bind(id).fetch_optional(c).await?
    });
    Ok(row.is_some())
}

/// The parent chain above an account (nearest first), at most `limit` steps.
pub async fn ancestors(tx: &mut Tx, tenant_id: Uuid, id: Uuid, limit: usize) -> Result<Vec<Uuid>> {
    let mut chain = Vec::new();
    let mut current = id;
    while chain.len() < limit {
        let row: Option<(Option<Uuid>,)> = on_conn!(tx, c => {
            sqlx::query_as("SELECT parent_id FROM accounts WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id).bind(current).fetch_optional(c).await?
        });
        match row.and_then(|r| r.0) {
            Some(parent) => {
                chain.push(parent);
                current = parent;
            }
            None => break,
        }
    }
    Ok(chain)
}

/// One account, if the principal may see it.
pub async fn get_visible(
    tx: &mut Tx,
    principal: &Principal,
    id: Uuid,
) -> Result<Option<AccountRow>> {
    let mut q = SqlBuilder::new(&select("FROM accounts t"));
    q.push(" WHERE ");
    visible_records(&mut q, principal, ObjectKind::Account, "t");
    let id = q.param(Param::Uuid(id));
    q.push(&format!(" AND t.id = {id}"));
    Ok(on_conn!(tx, c => {
        bind_params!(sqlx::query_as::<_, AccountRow>(&q.sql), &q.params).fetch_optional(c).await?
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Name,
    CreatedAt,
    UpdatedAt,
}

impl SortField {
    pub fn column(self) -> &'static str {
        match self {
            SortField::Name => "name",
            SortField::CreatedAt => "created_at",
            SortField::UpdatedAt => "updated_at",
        }
    }
}

/// Where the previous page ended: the sort value and id of its last row.
#[derive(Debug, Clone, PartialEq)]
pub enum CursorValue {
    Text(String),
    Time(DateTime<Utc>),
}

#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub search_tokens: Vec<String>,
    pub account_type: Option<String>,
    pub grade: Option<String>,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub owner_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    pub tag: Option<String>,
    pub credit_code: Option<String>,
    pub phone: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: AccountFilter,
    /// Checked filters of the records' filter language (`filter=field:op:value`).
    pub conditions: Vec<Condition>,
    pub sort: SortField,
    pub descending: bool,
    pub after: Option<(CursorValue, Uuid)>,
    pub limit: i64,
}

/// One page of the accounts the principal may see, filtered and sorted, fetched with keyset
/// pagination (never OFFSET, never COUNT). Returns up to `limit + 1` rows so the caller can
/// tell whether another page follows.
pub async fn list(
    tx: &mut Tx,
    principal: &Principal,
    query: &ListQuery,
) -> Result<Vec<AccountRow>> {
    let f = &query.filter;
    let search = SearchPlan::new(
        tx,
        principal,
        ObjectKind::Account,
        TokenIndex::Accounts,
        &f.search_tokens,
        query.limit,
    )
    .await?;
    let mut q = SqlBuilder::new("");
    let from = search.from_clause(&mut q, "accounts", "t");
    q.push(&select(&from));
    q.push(" WHERE ");
    crate::visibility::visible_records_in_list(
        &mut q,
        principal,
        ObjectKind::Account,
        "t",
        tx.backend(),
    );
    search.push_predicates(&mut q, "t");
    let tenant = q.param(Param::Uuid(principal.tenant_id));
    let text_filters = [
        ("account_type", &f.account_type),
        ("grade", &f.grade),
        ("industry", &f.industry),
        ("province", &f.province),
        ("city", &f.city),
        ("credit_code", &f.credit_code),
        ("phone", &f.phone),
    ];
    for (column, value) in text_filters {
        if let Some(v) = value {
            let p = q.param(Param::Text(v.clone()));
            q.push(&format!(" AND t.{column} = {p}"));
        }
    }
    for (column, value) in [("owner_id", f.owner_id), ("parent_id", f.parent_id)] {
        if let Some(v) = value {
            let p = q.param(Param::Uuid(v));
            q.push(&format!(" AND t.{column} = {p}"));
        }
    }
    if let Some(tag) = &f.tag {
        let p = q.param(Param::Text(tag.clone()));
        q.push(&format!(" AND t.id IN (SELECT at.account_id FROM account_tags at WHERE at.tenant_id = {tenant} AND at.tag = {p})"));
    }
    let ranges = [
        ("created_at", ">=", f.created_from),
        ("created_at", "<", f.created_to),
        ("updated_at", ">=", f.updated_from),
        ("updated_at", "<", f.updated_to),
    ];
    for (column, op, value) in ranges {
        if let Some(v) = value {
            let p = q.param(Param::Time(v));
            q.push(&format!(" AND t.{column} {op} {p}"));
        }
    }
    for condition in &query.conditions {
        q.push(" AND ");
        crate::records::condition_sql(&mut q, tx.backend(), condition);
    }
    let column = query.sort.column();
    let (cmp, dir) = if query.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some((value, id)) = &query.after {
        let v = q.param(match value {
            CursorValue::Text(s) => Param::Text(s.clone()),
            CursorValue::Time(t) => Param::Time(*t),
        });
        let id = q.param(Param::Uuid(*id));
        q.push(&format!(
            " AND (t.{column} {cmp} {v} OR (t.{column} = {v} AND t.id {cmp} {id}))"
        ));
    }
    let limit = q.param(Param::I64(query.limit + 1));
    q.push(&format!(
        " ORDER BY t.{column} {dir}, t.id {dir} LIMIT {limit}"
    ));
    Ok(on_conn!(tx, c => {
        bind_params!(sqlx::query_as::<_, AccountRow>(&q.sql), &q.params).fetch_all(c).await?
    }))
}
