//! The change feed (outbox): every committed change of a record writes an event in the
//! change's own transaction, so an event exists exactly when its change committed.
//!
//! The record engine and accounts write through the functions here — [`changed`] (with the
//! field history), [`created`] and [`deleted`] (with the audit row) — so an object served by
//! them gets its events without code of its own. A later capability (claim, convert,
//! approve…) calls [`action`] in its transaction. Readers follow the feed with [`feed`],
//! within their data scope (judged by the owner the event carries, so also after a delete)
//! and field access (hidden fields' changes are dropped).

use crate::{records, Actor, App, AppError, AppResult};
use chrono::{DateTime, Duration, Utc};
use domain::permissions::ObjectKind;
use serde_json::{json, Value};
use store::audit::{self, AuditEvent};
use store::events::{self as repo, Cursor, NewEvent};
use store::history::{self, NewChange};
use store::Tx;
use uuid::Uuid;

pub use store::events::{Cursor as FeedCursor, Event};

pub const CREATED: &str = "created";
pub const UPDATED: &str = "updated";
pub const DELETED: &str = "deleted";
pub const OWNER_CHANGED: &str = "owner_changed";
pub const STAGE_CHANGED: &str = "stage_changed";

/// Events older than this are pruned by the daily [`PruneEvents`] job.
pub const RETENTION_DAYS: i64 = 90;
/// The most events one page of the feed returns.
pub const MAX_PAGE: i64 = 500;

/// The record a change is about.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub object: ObjectKind,
    pub id: Uuid,
    /// The owner after the change (before it, for a delete).
    pub owner_id: Option<Uuid>,
    /// The record's name (the audit log's and a notification's text).
    pub name: &'a str,
}

async fn emit(
    tx: &mut Tx,
    actor: &Actor,
    now: DateTime<Utc>,
    subject: Subject<'_>,
    kind: &str,
    changes: &Value,
) -> AppResult<()> {
    repo::insert(
        tx,
        &NewEvent {
            tenant_id: actor.tenant_id(),
            at: now,
            actor_id: Some(actor.id()),
            object: subject.object,
            record_id: subject.id,
            kind,
            owner_id: subject.owner_id,
            changes,
        },
    )
    .await?;
    Ok(())
}

/// Writes the field history of a save and its events: `owner_changed` when the owner
/// changed, `stage_changed` when the object's stage field did, `updated` otherwise; each
/// with every changed field's old and new value (as the history shows them).
pub async fn changed(
    tx: &mut Tx,
    actor: &Actor,
    now: DateTime<Utc>,
    subject: Subject<'_>,
    changes: &[NewChange<'_>],
) -> AppResult<()> {
    history::record(
        tx,
        actor.tenant_id(),
        subject.object.key(),
        subject.id,
        (actor.id(), now),
        changes,
    )
    .await?;
    if changes.is_empty() {
        return Ok(());
    }
    let stage = records::spec(subject.object)?.stage_field;
    let mut kinds = Vec::new();
    if changes.iter().any(|c| c.field == "owner_id") {
        kinds.push(OWNER_CHANGED);
        tell_new_owner(tx, actor, now, subject).await?;
    }
    if changes.iter().any(|c| Some(c.field) == stage) {
        kinds.push(STAGE_CHANGED);
    }
    if kinds.is_empty() {
        kinds.push(UPDATED);
    }
    let listed: Vec<Value> = changes
        .iter()
        .map(|c| json!({ "field": c.field, "old": c.old_value, "new": c.new_value }))
        .collect();
    // The rest of a save this transaction already reported joins its events.
    let saves = [UPDATED, OWNER_CHANGED, STAGE_CHANGED];
    let tenant = actor.tenant_id();
    if repo::extend_queued(tx, tenant, subject.object, subject.id, &saves, &listed) {
        return Ok(());
    }
    let listed = Value::Array(listed);
    for kind in kinds {
        emit(tx, actor, now, subject, kind, &listed).await?;
    }
    Ok(())
}

/// Writes the audit row and the event of a new record.
pub async fn created(
    tx: &mut Tx,
    actor: &Actor,
    now: DateTime<Utc>,
    subject: Subject<'_>,
) -> AppResult<()> {
    audit_row(tx, actor, now, subject, "create", json!({})).await?;
    tell_new_owner(tx, actor, now, subject).await?;
    emit(tx, actor, now, subject, CREATED, &json!([])).await
}

/// A record created for, or moved to, another user than the actor is announced to that
/// user (`notifications::Kind::Assigned`), in the change's transaction.
async fn tell_new_owner(
    tx: &mut Tx,
    actor: &Actor,
    now: DateTime<Utc>,
    subject: Subject<'_>,
) -> AppResult<()> {
    let Some(owner) = subject.owner_id.filter(|owner| *owner != actor.id()) else {
        return Ok(());
    };
    let about = crate::notifications::About {
        object: subject.object,
        id: subject.id,
        name: subject.name,
    };
    crate::notifications::notify(
        tx,
        actor.tenant_id(),
        owner,
        crate::notifications::Kind::Assigned,
        &about,
        now,
    )
    .await?;
    Ok(())
}

/// Writes the audit row and the event of a deleted record.
pub async fn deleted(
    tx: &mut Tx,
    actor: &Actor,
    now: DateTime<Utc>,
    subject: Subject<'_>,
) -> AppResult<()> {
    audit_row(
        tx,
        actor,
        now,
        subject,
        "delete",
        json!({ "name": subject.name }),
    )
    .await?;
    emit(tx, actor, now, subject, DELETED, &json!([])).await
}

/// A named action of a capability (`claimed`, `converted`, `approved`…) with its details.
pub async fn action(
    tx: &mut Tx,
    actor: &Actor,
    now: DateTime<Utc>,
    subject: Subject<'_>,
    name: &'static str,
    detail: &Value,
) -> AppResult<()> {
    emit(tx, actor, now, subject, name, detail).await
}

async fn audit_row(
    tx: &mut Tx,
    actor: &Actor,
    now: DateTime<Utc>,
    subject: Subject<'_>,
    action: &str,
    detail: Value,
) -> AppResult<()> {
    audit::record(
        tx,
        AuditEvent {
            tenant_id: actor.tenant_id(),
            actor_id: Some(actor.id()),
            action,
            object: subject.object.key(),
            record_id: Some(subject.id),
            detail,
            at: now,
        },
    )
    .await?;
    Ok(())
}

/// One page of the feed and where the next one starts.
#[derive(Debug, Clone)]
pub struct FeedPage {
    pub items: Vec<Event>,
    /// The cursor to ask with next: the last item's, or the one asked with when empty.
    pub next: Cursor,
}

/// Events after `after` (of `object`, or of every object) that the actor may see, oldest
/// first, without the changes of fields hidden from them.
pub async fn feed(
    app: &App,
    actor: &Actor,
    object: Option<ObjectKind>,
    after: Cursor,
    limit: i64,
) -> AppResult<FeedPage> {
    let objects: Vec<ObjectKind> = match object {
        Some(o) => vec![o],
        None => ObjectKind::RECORDS.to_vec(),
    };
    let mut tx = app.db.begin_read().await?;
    let mut fields = Vec::new();
    for kind in &objects {
        fields.push(records::actor_fields_tx(&mut tx, actor, *kind).await?);
    }
    let mut items = repo::page(
        &mut tx,
        &actor.principal,
        &objects,
        after,
        limit.clamp(1, MAX_PAGE),
    )
    .await?;
    tx.commit().await?;
    for event in &mut items {
        let Some(visible) = fields.iter().find(|f| f.spec.kind == event.object) else {
            return Err(AppError::NotFound);
        };
        if let Value::Array(changes) = &mut event.changes {
            changes.retain(|c| {
                c.get("field")
                    .and_then(Value::as_str)
                    .is_some_and(|f| !visible.hidden.iter().any(|h| h == f))
            });
        }
    }
    let next = items.last().map(|e| e.cursor).unwrap_or(after);
    Ok(FeedPage { items, next })
}

/// Removes each company's events older than [`RETENTION_DAYS`], daily.
pub struct PruneEvents;

impl PruneEvents {
    pub const KIND: &'static str = "prune_events";

    pub fn schedule() -> crate::jobs::Schedule {
        crate::jobs::Schedule {
            name: "prune_events",
            kind: Self::KIND,
            payload: json!({}),
            every: Duration::days(1),
        }
    }

    async fn prune(ctx: &crate::jobs::JobContext) -> AppResult<Value> {
        let cutoff = ctx.app.now() - Duration::days(RETENTION_DAYS);
        let mut tx = ctx.app.db.begin().await?;
        let removed = repo::prune(&mut tx, ctx.job.tenant_id, cutoff).await?;
        tx.commit().await?;
        Ok(json!({ "removed": removed }))
    }
}

impl crate::jobs::JobHandler for PruneEvents {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    fn run<'a>(
        &'a self,
        ctx: &'a crate::jobs::JobContext,
    ) -> crate::jobs::BoxFuture<'a, AppResult<Value>> {
        Box::pin(Self::prune(ctx))
    }
}
