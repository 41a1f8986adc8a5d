//! Recycling (回收) by the scheduler: every hour, in every company, each pool's rules move
//! the held records they govern back into the pool — not followed up (no done activity) for
//! N days, or not converted / without an open opportunity or a deal M days after being
//! taken — and remind the holder X days before, once.
//!
//! A pool's rules govern the records taken from it; the object's default pool's rules also
//! govern the records never taken from a pool (from their creation). Records still
//! protected are left alone. A run works in batches, one transaction each; a record moves
//! only `WHERE pool_id IS NULL AND owner_id = <its holder>`, so a run repeated (a retry, a
//! second worker) finds nothing left to do, and each recycling is logged exactly once.

use crate::jobs::{BoxFuture, JobContext, JobHandler, Schedule};
use crate::notifications::{self, About, Kind};
use crate::{App, AppResult};
use chrono::{DateTime, Duration, Utc};
use domain::permissions::ObjectKind;
use serde_json::{json, Value};
use store::pools::{self as repo, Pool, Rule};
use uuid::Uuid;

/// Records moved (or reminded) per transaction.
pub const BATCH: i64 = 200;

pub struct RecyclePools;

impl RecyclePools {
    pub const KIND: &'static str = "recycle_pools";

    pub fn schedule() -> Schedule {
        Schedule {
            name: "recycle_pools",
            kind: Self::KIND,
            payload: json!({}),
            every: Duration::hours(1),
        }
    }
}

impl JobHandler for RecyclePools {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, AppResult<Value>> {
        Box::pin(async move {
            let (recycled, reminded) = run(&ctx.app, ctx.tenant_id()).await?;
            Ok(json!({ "recycled": recycled, "reminded": reminded }))
        })
    }
}

/// The rules of a pool with their days, and the reason each writes (`idle:30`).
fn rules(pool: &Pool, object: ObjectKind) -> Vec<(Rule, i64, String)> {
    let Some(spec) = domain::pools::spec(object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(days) = pool.idle_days {
        out.push((Rule::Idle, days, format!("idle:{days}")));
    }
    if let Some(days) = pool.stale_days {
        out.push((Rule::Stale(spec.stale), days, format!("stale:{days}")));
    }
    out
}

/// Recycles and reminds in one company; how many records were recycled and reminded.
pub async fn run(app: &App, tenant_id: Uuid) -> AppResult<(usize, usize)> {
    let pools = {
        let mut tx = app.db.begin_read().await?;
        repo::list(&mut tx, tenant_id).await?
    };
    let mut recycled = 0;
    let mut reminded = 0;
    for pool in &pools {
        let Some(object) = pool.kind() else { continue };
        for (rule, days, reason) in rules(pool, object) {
            recycled += recycle_rule(app, tenant_id, object, pool, rule, days, &reason).await?;
        }
    }
    for pool in &pools {
        let Some(object) = pool.kind() else { continue };
        if pool.remind_days <= 0 {
            continue;
        }
        for (rule, days, _) in rules(pool, object) {
            reminded += remind_rule(app, tenant_id, object, pool, rule, days).await?;
        }
    }
    Ok((recycled, reminded))
}

async fn recycle_rule(
    app: &App,
    tenant_id: Uuid,
    object: ObjectKind,
    pool: &Pool,
    rule: Rule,
    days: i64,
    reason: &str,
) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let now = app.now();
        let mut tx = app.db.begin().await?;
        let cutoff = now - Duration::days(days);
        let due = repo::due(
            &mut tx, object, pool, tenant_id, rule, cutoff, now, false, BATCH,
        )
        .await?;
        let mut moved = 0;
        for d in &due {
            if !repo::put(
                &mut tx, object, tenant_id, d.id, pool.id, d.owner_id, None, now,
            )
            .await?
            {
                continue;
            }
            moved += 1;
            repo::insert_event(
                &mut tx,
                &repo::NewEvent {
                    tenant_id,
                    object,
                    record_id: d.id,
                    pool_id: pool.id,
                    kind: repo::RECYCLED,
                    user_id: d.owner_id,
                    actor_id: None,
                    reason: Some(reason),
                    held_since: Some(d.held_since),
                    at: now,
                },
            )
            .await?;
            let detail = json!({ "pool_id": pool.id, "pool": pool.name, "rule": reason });
            store::events::insert(
                &mut tx,
                &store::events::NewEvent {
                    tenant_id,
                    at: now,
                    actor_id: None,
                    object,
                    record_id: d.id,
                    kind: "recycled",
                    owner_id: Some(d.owner_id),
                    changes: &detail,
                },
            )
            .await?;
        }
        tx.commit().await?;
        total += moved;
        if (due.len() as i64) < BATCH || moved == 0 {
            return Ok(total);
        }
    }
}

async fn remind_rule(
    app: &App,
    tenant_id: Uuid,
    object: ObjectKind,
    pool: &Pool,
    rule: Rule,
    days: i64,
) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let now = app.now();
        let mut tx = app.db.begin().await?;
        let cutoff = now + Duration::days(pool.remind_days) - Duration::days(days);
        let due = repo::due(
            &mut tx, object, pool, tenant_id, rule, cutoff, now, true, BATCH,
        )
        .await?;
        let mut sent = 0;
        for d in &due {
            let since: DateTime<Utc> = match d.last_contacted_at {
                Some(c) if c > d.held_since => c,
                _ => d.held_since,
            };
            if repo::reminded_since(&mut tx, object, tenant_id, d.id, since).await? {
                continue;
            }
            sent += 1;
            let due_at = cutoff_reached(d, rule, days);
            let reason = due_at.to_rfc3339();
            repo::insert_event(
                &mut tx,
                &repo::NewEvent {
                    tenant_id,
                    object,
                    record_id: d.id,
                    pool_id: pool.id,
                    kind: repo::REMINDED,
                    user_id: d.owner_id,
                    actor_id: None,
                    reason: Some(&reason),
                    held_since: Some(d.held_since),
                    at: now,
                },
            )
            .await?;
            let about = About {
                object,
                id: d.id,
                name: &d.name,
            };
            notifications::notify(
                &mut tx,
                tenant_id,
                d.owner_id,
                Kind::PoolReminder,
                &about,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        total += sent;
        if (due.len() as i64) < BATCH || sent == 0 {
            return Ok(total);
        }
    }
}

/// When the rule will take the record back (for the reminder's log).
fn cutoff_reached(d: &repo::Due, rule: Rule, days: i64) -> DateTime<Utc> {
    let base = match (rule, d.last_contacted_at) {
        (Rule::Idle, Some(c)) if c > d.held_since => c,
        _ => d.held_since,
    };
    base + Duration::days(days)
}
