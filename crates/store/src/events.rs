//! The change feed: one row per committed change of a record, in the change's transaction.
//!
//! Readers page by `seq`, which must grow in commit order, or a reader that had passed a
//! later row would skip one committed late. On SQLite writers are serialised, so a
//! counter the writer moves (`event_sequence`) is. On PostgreSQL a `bigserial` is taken at insert, not at commit, so
//! [`insert`] only queues the event on the transaction, and [`flush`] (run by
//! [`Tx::commit`]) takes the company's transaction-level advisory lock, inserts the queued
//! events and lets the commit release the lock: a writer takes its numbers only after the
//! previous one committed. The lock is the transaction's last, held for the few inserts and
//! the commit only, and its holders wait on nothing else, so it adds no deadlock.
//! (Reading only below `pg_snapshot_xmin` was the other way; that horizon is the whole
//! server's, so any long transaction in any database would have held the feed back.)

use crate::visibility::{visible_events, SqlBuilder};
use crate::{Param, Result, Tx};
use chrono::{DateTime, Utc};
use domain::permissions::{ObjectKind, Principal};
use sqlx::types::Json;
use uuid::Uuid;

/// Namespace of the advisory locks that order the feed (the other key is the company's).
const FEED_LOCK: i32 = 0x4d45_5645;

pub struct NewEvent<'a> {
    pub tenant_id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub object: ObjectKind,
    pub record_id: Uuid,
    pub kind: &'a str,
    pub owner_id: Option<Uuid>,
    /// `[{field, old, new}]` for updates, `{…}` details for named actions.
    pub changes: &'a serde_json::Value,
}

/// A position in the feed: events after it follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Cursor(pub i64);

impl Cursor {
    /// The opaque text form.
    pub fn encode(&self) -> String {
        self.0.to_string()
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        text.parse().ok().filter(|s: &i64| *s >= 0).map(Cursor)
    }
}

/// An event queued on its transaction until the commit.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    tenant_id: Uuid,
    at: DateTime<Utc>,
    actor_id: Option<Uuid>,
    object: &'static str,
    record_id: Uuid,
    kind: String,
    owner_id: Option<Uuid>,
    changes: serde_json::Value,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Row {
    seq: i64,
    at: DateTime<Utc>,
    actor_id: Option<Uuid>,
    object: String,
    record_id: Uuid,
    kind: String,
    owner_id: Option<Uuid>,
    changes: Json<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub cursor: Cursor,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub object: ObjectKind,
    pub record_id: Uuid,
    pub kind: String,
    pub owner_id: Option<Uuid>,
    pub changes: serde_json::Value,
}

/// Writes `event` with the transaction: queued now, inserted at [`Tx::commit`] (nothing when
/// the transaction is rolled back).
pub async fn insert(tx: &mut Tx, event: &NewEvent<'_>) -> Result<()> {
    tx.pending_events.push(Pending {
        tenant_id: event.tenant_id,
        at: event.at,
        actor_id: event.actor_id,
        object: event.object.key(),
        record_id: event.record_id,
        kind: event.kind.to_string(),
        owner_id: event.owner_id,
        changes: event.changes.clone(),
    });
    Ok(())
}

/// Adds `changes` to the events of `kinds` this transaction already queued for the record;
/// whether there was one (a save written in parts, such as an account's standard and custom
/// fields, stays one event).
pub fn extend_queued(
    tx: &mut Tx,
    tenant_id: Uuid,
    object: ObjectKind,
    record_id: Uuid,
    kinds: &[&str],
    changes: &[serde_json::Value],
) -> bool {
    let mut found = false;
    for event in tx.pending_events.iter_mut().filter(|e| {
        e.tenant_id == tenant_id
            && e.object == object.key()
            && e.record_id == record_id
            && kinds.contains(&e.kind.as_str())
    }) {
        if let serde_json::Value::Array(listed) = &mut event.changes {
            listed.extend(changes.iter().cloned());
            found = true;
        }
    }
    found
}

/// Inserts the transaction's queued events, under each company's feed lock on PostgreSQL.
pub(crate) async fn flush(tx: &mut Tx) -> Result<()> {
    let pending = std::mem::take(&mut tx.pending_events);
    let mut locked: Vec<Uuid> = Vec::new();
    for event in &pending {
        if let crate::db::TxConn::Postgres(t) = &mut tx.conn {
            if !locked.contains(&event.tenant_id) {
                sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                    .bind(FEED_LOCK)
                    .bind(event.tenant_id.to_string())
                    .execute(&mut **t)
                    .await?;
                locked.push(event.tenant_id);
            }
        }
        // SQLite: the single writer moves one counter (the key starts with the company, so
        // the number cannot be the rowid); PostgreSQL: the sequence, under the lock above.
        let insert = match &mut tx.conn {
            crate::db::TxConn::Sqlite(t) => {
                sqlx::query("UPDATE event_sequence SET last_seq = last_seq + 1")
                    .execute(&mut **t)
                    .await?;
                "INSERT INTO events (seq, tenant_id, at, actor_id, object, record_id, kind, owner_id, changes) VALUES ((SELECT last_seq FROM event_sequence), $1, $2, $3, $4, $5, $6, $7, $8)"
            }
            crate::db::TxConn::Postgres(_) => {
                "INSERT INTO events (tenant_id, at, actor_id, object, record_id, kind, owner_id, changes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            }
        };
        on_conn!(tx, c => {
            sqlx::query(insert)
                .bind(event.tenant_id)
                .bind(event.at)
                .bind(event.actor_id)
                .bind(event.object)
                .bind(event.record_id)
                .bind(&event.kind)
                .bind(event.owner_id)
                .bind(Json(&event.changes))
                .execute(c)
                .await?;
        });
    }
    Ok(())
}

/// Up to `limit` events after `after` of `objects` that `principal` may see (by the owner
/// each event carries), oldest first.
pub async fn page(
    tx: &mut Tx,
    principal: &Principal,
    objects: &[ObjectKind],
    after: Cursor,
    limit: i64,
) -> Result<Vec<Event>> {
    let mut q = SqlBuilder::new(
        "SELECT e.seq, e.at, e.actor_id, e.object, e.record_id, e.kind, e.owner_id, e.changes FROM events e WHERE ",
    );
    let tenant = q.param(Param::Uuid(principal.tenant_id));
    let seq = q.param(Param::I64(after.0));
    q.push(&format!("e.tenant_id = {tenant} AND e.seq > {seq}"));
    q.push(" AND (1 = 0");
    for object in objects {
        let key = q.param(Param::Text(object.key().to_string()));
        q.push(&format!(" OR (e.object = {key} AND "));
        visible_events(&mut q, principal, *object, "e");
        q.push(")");
    }
    q.push(")");
    let limit = q.param(Param::I64(limit));
    q.push(&format!(" ORDER BY e.seq LIMIT {limit}"));
    let rows: Vec<Row> = on_conn!(tx, c => {
        let query = sqlx::query_as(&q.sql);
        bind_params!(query, &q.params).fetch_all(c).await?
    });
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Event {
                cursor: Cursor(r.seq),
                at: r.at,
                actor_id: r.actor_id,
                object: ObjectKind::parse(&r.object)?,
                record_id: r.record_id,
                kind: r.kind,
                owner_id: r.owner_id,
                changes: r.changes.0,
            })
        })
        .collect())
}

/// Removes the company's events from before `before`; returns how many.
pub async fn prune(tx: &mut Tx, tenant_id: Uuid, before: DateTime<Utc>) -> Result<u64> {
    Ok(on_conn!(tx, c => {
        sqlx::query("DELETE FROM events WHERE tenant_id = $1 AND at < $2")
            .bind(tenant_id)
            .bind(before)
            .execute(c)
            .await?
            .rows_affected()
    }))
}
