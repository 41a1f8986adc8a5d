//! Companies (tenants). Every other table is keyed by a tenant id.

use crate::metadata_cache::{cached, MetadataCache};
use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Tenant {
    pub id: Uuid,
    pub name: String,
    pub default_locale: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, tenant: &Tenant) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO tenants (id, name, default_locale, created_at) VALUES ($1, $2, $3, $4)")
            .bind(tenant.id)
            .bind(&tenant.name)
            .bind(&tenant.default_locale)
            .bind(tenant.created_at)
            .execute(c)
            .await?;
    });
    crate::picklists::seed(tx, tenant.id).await?;
    crate::pools::seed(tx, tenant.id, &tenant.default_locale, tenant.created_at).await
}

/// Whether any company exists yet (the set-up page is offered only while none does).
pub async fn any_exists(tx: &mut Tx) -> Result<bool> {
    let found: Option<(Uuid,)> = on_conn!(tx, c => {
        sqlx::query_as("SELECT id FROM tenants LIMIT 1").fetch_optional(c).await?
    });
    Ok(found.is_some())
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<Option<Tenant>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as("SELECT id, name, default_locale, created_at FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(c)
            .await?
    }))
}

pub async fn find_by_name(tx: &mut Tx, name: &str) -> Result<Option<Tenant>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as("SELECT id, name, default_locale, created_at FROM tenants WHERE name = $1 ORDER BY created_at LIMIT 1")
            .bind(name)
            .fetch_optional(c)
            .await?
    }))
}

/// The only company, when exactly one exists (command-line defaults).
pub async fn only(tx: &mut Tx) -> Result<Option<Tenant>> {
    let rows: Vec<Tenant> = on_conn!(tx, c => {
        sqlx::query_as("SELECT id, name, default_locale, created_at FROM tenants ORDER BY created_at LIMIT 2")
            .fetch_all(c)
            .await?
    });
    Ok(if rows.len() == 1 {
        rows.into_iter().next()
    } else {
        None
    })
}

/// The company currency (ISO 4217 code): what amounts without a currency of their own are in,
/// and what exchange rates convert to.
pub async fn currency(tx: &mut Tx, id: Uuid) -> Result<String> {
    cached!(CURRENCY, tx, id, read_currency(tx, id).await?)
}

static CURRENCY: MetadataCache<Uuid, String> = MetadataCache::new();

async fn read_currency(tx: &mut Tx, id: Uuid) -> Result<String> {
    let code: Option<String> = on_conn!(tx, c => {
        sqlx::query_scalar("SELECT currency FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(c)
            .await?
    });
    Ok(code.unwrap_or_else(|| domain::money::DEFAULT_CURRENCY.to_string()))
}

pub async fn set_currency(tx: &mut Tx, id: Uuid, code: &str) -> Result<()> {
    tx.mark_metadata_changed();
    on_conn!(tx, c => {
        sqlx::query("UPDATE tenants SET currency = $2 WHERE id = $1")
            .bind(id)
            .bind(code)
            .execute(c)
            .await?;
    });
    Ok(())
}
