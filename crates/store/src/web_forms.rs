//! Web forms (网站表单): a company's forms, their submission counters, and the per-address
//! hit counts of the rate limit (in the database, so every app server shares them).

use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use domain::web_forms::FormField;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebForm {
    pub id: Uuid,
    pub public_key: String,
    pub name: String,
    pub active: bool,
    pub fields: Json<Vec<FormField>>,
    /// `rules`, `rule:<id>` or `pool:<id>` (`domain::web_forms::Target`).
    pub target: String,
    /// Holds the leads no rule assigns; the submissions are created in their name.
    pub owner_id: Uuid,
    pub source: Option<String>,
    pub thanks_zh: String,
    pub thanks_en: String,
    pub redirect_url: Option<String>,
    pub allowed_origins: Json<Vec<String>>,
    pub rate_limit: i64,
    pub submissions: i64,
    pub spam: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What is written of a form, on create and on update.
#[derive(Debug, Clone)]
pub struct FormFields {
    pub name: String,
    pub active: bool,
    pub fields: Vec<FormField>,
    pub target: String,
    pub owner_id: Uuid,
    pub source: Option<String>,
    pub thanks_zh: String,
    pub thanks_en: String,
    pub redirect_url: Option<String>,
    pub allowed_origins: Vec<String>,
    pub rate_limit: i64,
}

/// A company has few forms; lists are bounded all the same.
pub const MAX_FORMS: i64 = 200;

/// The table, for what every setting shares (`crate::settings`).
pub const TABLE: &str = "web_forms";

const COLUMNS: &str = "id, public_key, name, active, fields, target, owner_id, source, thanks_zh, thanks_en, redirect_url, allowed_origins, rate_limit, submissions, spam, version, created_at, updated_at";

pub async fn list(tx: &mut Tx, tenant_id: Uuid) -> Result<Vec<WebForm>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM web_forms WHERE tenant_id = $1 ORDER BY name, id LIMIT {MAX_FORMS}"
    );
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, WebForm>(&sql).bind(tenant_id).fetch_all(c).await?
    }))
}

pub async fn get(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<Option<WebForm>> {
    let sql = format!("SELECT {COLUMNS} FROM web_forms WHERE tenant_id = $1 AND id = $2");
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, WebForm>(&sql).bind(tenant_id).bind(id).fetch_optional(c).await?
    }))
}

pub async fn by_key(tx: &mut Tx, tenant_id: Uuid, key: &str) -> Result<Option<WebForm>> {
    let sql = format!("SELECT {COLUMNS} FROM web_forms WHERE tenant_id = $1 AND public_key = $2");
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, WebForm>(&sql).bind(tenant_id).bind(key).fetch_optional(c).await?
    }))
}

pub async fn insert(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    public_key: &str,
    f: &FormFields,
    now: DateTime<Utc>,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO web_forms (tenant_id, id, public_key, name, active, fields, target, owner_id, source, thanks_zh, thanks_en, redirect_url, allowed_origins, rate_limit, version, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $15)")
            .bind(tenant_id).bind(id).bind(public_key).bind(&f.name).bind(f.active).bind(Json(&f.fields))
            .bind(&f.target).bind(f.owner_id).bind(&f.source).bind(&f.thanks_zh).bind(&f.thanks_en)
            .bind(&f.redirect_url).bind(Json(&f.allowed_origins)).bind(f.rate_limit).bind(now)
            .execute(c).await?;
    });
    Ok(())
}

/// Saves the form if it is still at `version`.
pub async fn update(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    version: i64,
    f: &FormFields,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = on_conn!(tx, c => {
        sqlx::query("UPDATE web_forms SET name = $4, active = $5, fields = $6, target = $7, owner_id = $8, source = $9, thanks_zh = $10,
                thanks_en = $11, redirect_url = $12, allowed_origins = $13, rate_limit = $14, updated_at = $15, version = version + 1
            WHERE tenant_id = $1 AND id = $2 AND version = $3")
            .bind(tenant_id).bind(id).bind(version).bind(&f.name).bind(f.active).bind(Json(&f.fields))
            .bind(&f.target).bind(f.owner_id).bind(&f.source).bind(&f.thanks_zh).bind(&f.thanks_en)
            .bind(&f.redirect_url).bind(Json(&f.allowed_origins)).bind(f.rate_limit).bind(now)
            .execute(c).await?.rows_affected()
    });
    Ok(done == 1)
}

/// Counts a submission that created a lead (`spam: false`) or a robot's caught by the
/// honeypot (`spam: true`); the form's version does not move.
pub async fn count_submission(tx: &mut Tx, tenant_id: Uuid, id: Uuid, spam: bool) -> Result<()> {
    let column = if spam { "spam" } else { "submissions" };
    let sql =
        format!("UPDATE web_forms SET {column} = {column} + 1 WHERE tenant_id = $1 AND id = $2");
    on_conn!(tx, c => {
        sqlx::query(&sql).bind(tenant_id).bind(id).execute(c).await?;
    });
    Ok(())
}

/// Counts one post of `client` to the form in the window starting at `window`, and answers
/// how many it has made there, this one included. Earlier windows' rows of the form are
/// removed on the way, so the table holds only the current window.
pub async fn hit(
    tx: &mut Tx,
    tenant_id: Uuid,
    form_id: Uuid,
    client: &str,
    window: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_conn!(tx, c => {
        sqlx::query("DELETE FROM web_form_hits WHERE tenant_id = $1 AND form_id = $2 AND window_start < $3")
            .bind(tenant_id).bind(form_id).bind(window).execute(&mut *c).await?;
        sqlx::query_scalar::<_, i64>("INSERT INTO web_form_hits (tenant_id, form_id, client, window_start, hits) VALUES ($1, $2, $3, $4, 1)
            ON CONFLICT (tenant_id, form_id, client, window_start) DO UPDATE SET hits = web_form_hits.hits + 1
            RETURNING hits")
            .bind(tenant_id).bind(form_id).bind(client).bind(window).fetch_one(c).await?
    }))
}
