//! The 360° stream of an account and the relationships between records.

use crate::visibility::{visible_records, SqlBuilder};
use crate::{Param, Result, Tx};
use chrono::{DateTime, Utc};
use domain::permissions::{ObjectKind, Principal};
use sqlx::types::Json;
use uuid::Uuid;

/// One event in an account's stream.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// `activity`, `opportunity` or `field`.
    pub kind: String,
    pub object: String,
    pub record_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub summary: Json<serde_json::Value>,
}

pub struct NewEntry<'a> {
    pub account_id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: &'a str,
    pub object: ObjectKind,
    pub record_id: Uuid,
    pub actor_id: Uuid,
    pub summary: serde_json::Value,
}

pub async fn add(tx: &mut Tx, tenant_id: Uuid, e: &NewEntry<'_>) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO account_timeline (tenant_id, id, account_id, at, kind, object, record_id, actor_id, summary) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(tenant_id).bind(Uuid::now_v7()).bind(e.account_id).bind(e.at).bind(e.kind)
            .bind(e.object.key()).bind(e.record_id).bind(e.actor_id).bind(Json(&e.summary))
            .execute(c).await?;
    });
    Ok(())
}

/// Moves the entries of a record to another account (an opportunity or activity re-linked).
pub async fn forget_record(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    record_id: Uuid,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM account_timeline WHERE tenant_id = $1 AND object = $2 AND record_id = $3")
            .bind(tenant_id).bind(object.key()).bind(record_id).execute(c).await?;
    });
    Ok(())
}

/// Deletes the stream of a deleted account.
pub async fn forget_account(tx: &mut Tx, tenant_id: Uuid, account_id: Uuid) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM account_timeline WHERE tenant_id = $1 AND account_id = $2")
            .bind(tenant_id).bind(account_id).execute(c).await?;
    });
    Ok(())
}

/// A page of the account's stream, newest first, only with entries about records the
/// principal may see (the account's own field changes are visible with the account).
pub async fn page(
    tx: &mut Tx,
    principal: &Principal,
    account_id: Uuid,
    kind: Option<&str>,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Entry>> {
    let mut q = SqlBuilder::new("SELECT e.id, e.at, e.kind, e.object, e.record_id, e.actor_id, u.name AS actor_name, e.summary FROM account_timeline e LEFT JOIN users u ON u.tenant_id = e.tenant_id AND u.id = e.actor_id WHERE ");
    let tenant = q.param(Param::Uuid(principal.tenant_id));
    let account = q.param(Param::Uuid(account_id));
    q.push(&format!(
        "e.tenant_id = {tenant} AND e.account_id = {account}"
    ));
    if let Some(kind) = kind {
        let p = q.param(Param::Text(kind.to_string()));
        q.push(&format!(" AND e.kind = {p}"));
    }
    if let Some((at, id)) = before {
        let at = q.param(Param::Time(at));
        let id = q.param(Param::Uuid(id));
        q.push(&format!(
            " AND (e.at < {at} OR (e.at = {at} AND e.id < {id}))"
        ));
    }
    q.push(" AND (e.object = 'account'");
    for object in [
        ObjectKind::Opportunity,
        ObjectKind::Activity,
        ObjectKind::Contact,
    ] {
        let table = crate::records::table(object)?;
        q.push(&format!(" OR (e.object = '{}' AND EXISTS (SELECT 1 FROM {table} t WHERE t.id = e.record_id AND ", object.key()));
        visible_records(&mut q, principal, object, "t");
        q.push("))");
    }
    q.push(")");
    let limit = q.param(Param::I64(limit + 1));
    q.push(&format!(" ORDER BY e.at DESC, e.id DESC LIMIT {limit}"));
    Ok(on_conn!(tx, c => {
        bind_params!(sqlx::query_as::<_, Entry>(&q.sql), &q.params).fetch_all(c).await?
    }))
}

/// A relationship between two records of the same object.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Link {
    pub id: Uuid,
    pub from_id: Uuid,
    pub to_id: Uuid,
    pub kind: String,
    pub note: Option<String>,
    pub other_id: Uuid,
    pub other_name: String,
    /// Whether the record asked about is the `from` side.
    pub outgoing: bool,
}

/// The relationships of a record, both directions, with the other record's name, limited to
/// other records the principal may see.
pub async fn links(
    tx: &mut Tx,
    principal: &Principal,
    object: ObjectKind,
    record_id: Uuid,
) -> Result<Vec<Link>> {
    let table = crate::records::table(object)?;
    let mut q = SqlBuilder::new("");
    let tenant = q.param(Param::Uuid(principal.tenant_id));
    let object_key = q.param(Param::Text(object.key().to_string()));
    let id = q.param(Param::Uuid(record_id));
    let mut visible = SqlBuilder {
        sql: String::new(),
        params: std::mem::take(&mut q.params),
    };
    visible_records(&mut visible, principal, object, "t");
    q.params = visible.params;
    q.sql = format!(
        "SELECT l.id, l.from_id, l.to_id, l.kind, l.note, t.id AS other_id, t.name AS other_name,
            (l.from_id = {id}) AS outgoing
         FROM record_links l JOIN {table} t ON t.tenant_id = l.tenant_id
            AND t.id = CASE WHEN l.from_id = {id} THEN l.to_id ELSE l.from_id END
         WHERE l.tenant_id = {tenant} AND l.object = {object_key} AND (l.from_id = {id} OR l.to_id = {id})
           AND {} ORDER BY l.kind, t.name LIMIT 500",
        visible.sql
    );
    Ok(on_conn!(tx, c => {
        bind_params!(sqlx::query_as::<_, Link>(&q.sql), &q.params).fetch_all(c).await?
    }))
}

pub struct NewLink<'a> {
    pub object: ObjectKind,
    pub from_id: Uuid,
    pub to_id: Uuid,
    pub kind: &'a str,
    pub note: Option<&'a str>,
}

pub async fn add_link(
    tx: &mut Tx,
    tenant_id: Uuid,
    l: &NewLink<'_>,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    on_conn!(tx, c => {
        sqlx::query("INSERT INTO record_links (tenant_id, id, object, from_id, to_id, kind, note, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(tenant_id).bind(id).bind(l.object.key()).bind(l.from_id).bind(l.to_id).bind(l.kind).bind(l.note).bind(now).bind(actor)
            .execute(c).await?;
    });
    Ok(id)
}

/// The link with this id if it touches `record_id`.
pub async fn get_link(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    record_id: Uuid,
    id: Uuid,
) -> Result<Option<(Uuid, Uuid)>> {
    Ok(on_conn!(tx, c => {
        sqlx::query_as::<_, (Uuid, Uuid)>("SELECT from_id, to_id FROM record_links WHERE tenant_id = $1 AND object = $2 AND id = $3 AND (from_id = $4 OR to_id = $4)")
            .bind(tenant_id).bind(object.key()).bind(id).bind(record_id).fetch_optional(c).await?
    }))
}

pub async fn delete_link(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM record_links WHERE tenant_id = $1 AND id = $2").bind(tenant_id).bind(id).execute(c).await?;
    });
    Ok(())
}

/// Deletes every relationship of a record (the record is being deleted).
pub async fn delete_links_of(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    record_id: Uuid,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM record_links WHERE tenant_id = $1 AND object = $2 AND (from_id = $3 OR to_id = $3)")
            .bind(tenant_id).bind(object.key()).bind(record_id).execute(c).await?;
    });
    Ok(())
}
