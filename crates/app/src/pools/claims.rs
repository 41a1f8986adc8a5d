//! Claiming a record from its pool (领取), returning it with a reason (退回), and assigning a
//! pool's records to a rep in bulk (分配). Each is one transaction with the record's move,
//! its pool event, its change-feed event and field history of the owner, and the new owner's
//! notification where someone else made them the owner.
//!
//! Two reps claiming the same record at once: the claim takes the pool's row lock, then
//! moves the record only `WHERE pool_id = <its pool>`; the later claim finds it gone and is
//! refused with `already_claimed` (409), on both databases.

use super::{open, Access};
use crate::events::Subject;
use crate::notifications::{self, About, Kind};
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Duration, Utc};
use domain::permissions::{Action, ObjectKind};
use store::history::NewChange;
use store::pools::{self as repo, Placement, Pool};
use store::Tx;
use uuid::Uuid;

/// The most records one bulk assignment moves.
pub const MAX_ASSIGN: usize = 200;

/// Where a record stands towards pools, for its page: the pool it is in, or who holds it
/// from which pool and until when it is protected; and what the reader may do.
#[derive(Debug, Clone)]
pub struct Standing {
    pub pool: Option<Pool>,
    /// The rep who had it last (in a pool) or holds it.
    pub owner_id: Uuid,
    pub holding: Option<repo::Holding>,
    pub holding_pool: Option<Pool>,
    pub can_claim: bool,
    pub can_return: bool,
    pub events: Vec<repo::Event>,
}

/// The record's pool standing and history (the record must be visible, else 404).
pub async fn standing(
    app: &App,
    actor: &Actor,
    object: ObjectKind,
    id: Uuid,
) -> AppResult<Standing> {
    if domain::pools::spec(object).is_none() {
        return Err(AppError::NotFound);
    }
    let mut tx = app.db.begin_read().await?;
    let placement = visible(&mut tx, actor, object, id).await?;
    let tenant = actor.tenant_id();
    let pool = match placement.pool_id {
        Some(p) => repo::get(&mut tx, tenant, p).await?,
        None => None,
    };
    let holding = repo::holding(&mut tx, object, tenant, id)
        .await?
        .filter(|h| h.user_id == placement.owner_id);
    let holding_pool = match (&pool, &holding) {
        (None, Some(h)) => repo::get(&mut tx, tenant, h.pool_id).await?,
        _ => None,
    };
    let can_edit = actor.principal.can(object, Action::Edit);
    let can_return = pool.is_none() && may_return(&mut tx, actor, object, id, &placement).await?;
    Ok(Standing {
        can_claim: pool.is_some() && can_edit,
        can_return,
        owner_id: placement.owner_id,
        events: repo::events(&mut tx, object, tenant, id, 50).await?,
        pool,
        holding,
        holding_pool,
    })
}

/// The record's placement if the actor sees it, else 404.
async fn visible(tx: &mut Tx, actor: &Actor, object: ObjectKind, id: Uuid) -> AppResult<Placement> {
    if domain::pools::spec(object).is_none()
        || !store::records::is_visible(tx, &actor.principal, object, id).await?
    {
        return Err(AppError::NotFound);
    }
    repo::placement(tx, object, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The holder returns their own record; whoever may transfer it (in their own scope) may
/// return it for them.
async fn may_return(
    tx: &mut Tx,
    actor: &Actor,
    object: ObjectKind,
    id: Uuid,
    p: &Placement,
) -> AppResult<bool> {
    if !actor.principal.can(object, Action::Edit) {
        return Ok(false);
    }
    if p.owner_id == actor.id() {
        return Ok(true);
    }
    if !actor.principal.can(object, Action::Transfer) {
        return Ok(false);
    }
    Ok(store::sharing::is_in_scope(tx, &actor.principal, object, id).await?)
}

fn subject<'a>(object: ObjectKind, id: Uuid, owner: Option<Uuid>, name: &'a str) -> Subject<'a> {
    Subject {
        object,
        id,
        owner_id: owner,
        name,
    }
}

async fn user_name(tx: &mut Tx, tenant: Uuid, id: Uuid) -> AppResult<String> {
    Ok(store::org::get_user(tx, tenant, id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default())
}

/// Writes the owner's change to the field history (readable names, like the engine's).
async fn owner_history(
    tx: &mut Tx,
    actor: &Actor,
    object: ObjectKind,
    id: Uuid,
    old: Uuid,
    new: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if old == new {
        return Ok(());
    }
    let tenant = actor.tenant_id();
    let old_name = user_name(tx, tenant, old).await?;
    let new_name = user_name(tx, tenant, new).await?;
    let change = NewChange {
        field: "owner_id",
        old_value: Some(&old_name),
        new_value: Some(&new_name),
    };
    store::history::record(tx, tenant, object.key(), id, (actor.id(), now), &[change]).await?;
    Ok(())
}

/// A record leaving its pool for an owner, by a claim or a manager's assignment.
struct Taking {
    object: ObjectKind,
    id: Uuid,
    pool_id: Uuid,
    owner: Uuid,
    previous_owner: Uuid,
    kind: &'static str,
    protected_until: DateTime<Utc>,
}

/// Takes the record out of its pool when it is still there, recording the pool event and the
/// owner change; false when another transaction took it first.
async fn take(tx: &mut Tx, actor: &Actor, t: &Taking, now: DateTime<Utc>) -> AppResult<bool> {
    let tenant = actor.tenant_id();
    let taken = repo::take(
        tx,
        t.object,
        tenant,
        t.id,
        t.pool_id,
        t.owner,
        actor.id(),
        now,
        t.protected_until,
    )
    .await?;
    if !taken {
        return Ok(false);
    }
    repo::insert_event(
        tx,
        &repo::NewEvent {
            tenant_id: tenant,
            object: t.object,
            record_id: t.id,
            pool_id: t.pool_id,
            kind: t.kind,
            user_id: t.owner,
            actor_id: Some(actor.id()),
            reason: None,
            held_since: None,
            at: now,
        },
    )
    .await?;
    owner_history(tx, actor, t.object, t.id, t.previous_owner, t.owner, now).await?;
    Ok(true)
}

/// Claims the record for the actor, within the pool's limits.
pub async fn claim(app: &App, actor: &Actor, object: ObjectKind, id: Uuid) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    let tenant = actor.tenant_id();
    let now = app.now();
    let placement = claimable(&mut tx, actor, object, id, now).await?;
    actor.require(object, Action::Edit)?;
    let Some(pool_id) = placement.pool_id else {
        return Err(refusal_out_of_pool(&mut tx, actor, object, id, &placement, now).await?);
    };
    repo::lock(&mut tx, tenant, pool_id).await?;
    let pool = repo::get(&mut tx, tenant, pool_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if pool.no_reclaim_days > 0 {
        let last = repo::last_lost(&mut tx, object, tenant, id, actor.id()).await?;
        if last.is_some_and(|at| at + Duration::days(pool.no_reclaim_days) > now) {
            return Err(AppError::Rule("pool_no_reclaim"));
        }
    }
    if let Some(limit) = pool.claims_per_day {
        let zone = actor.time_zone();
        let today = domain::time::day_start(domain::time::local_day(now, zone), zone);
        if repo::claims_since(&mut tx, tenant, pool_id, actor.id(), today).await? >= limit {
            return Err(AppError::Rule("pool_daily_limit"));
        }
    }
    if let Some(limit) = pool.max_held {
        if repo::held(&mut tx, object, tenant, pool_id, actor.id()).await? >= limit {
            return Err(AppError::Rule("pool_held_limit"));
        }
    }
    let protected_until = now + Duration::days(pool.protection_days);
    let taking = Taking {
        object,
        id,
        pool_id,
        owner: actor.id(),
        previous_owner: placement.owner_id,
        kind: repo::CLAIMED,
        protected_until,
    };
    if !take(&mut tx, actor, &taking, now).await? {
        return Err(AppError::Refused("already_claimed"));
    }
    let detail = serde_json::json!({ "pool_id": pool_id, "pool": pool.name, "protected_until": protected_until });
    crate::events::action(
        &mut tx,
        actor,
        now,
        subject(object, id, Some(actor.id()), &placement.name),
        "claimed",
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The record to claim if the actor sees it. One they no longer see because someone took it
/// from a pool they belong to (they saw it there a moment ago) is refused as claimed or
/// protected; anything else unseen is 404.
async fn claimable(
    tx: &mut Tx,
    actor: &Actor,
    object: ObjectKind,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Placement> {
    if domain::pools::spec(object).is_none() {
        return Err(AppError::NotFound);
    }
    let tenant = actor.tenant_id();
    let visible = store::records::is_visible(tx, &actor.principal, object, id).await?;
    let placement = repo::placement(tx, object, tenant, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if visible {
        return Ok(placement);
    }
    let mine = actor.principal.grants.pools(object);
    let taken = repo::holding(tx, object, tenant, id)
        .await?
        .filter(|h| h.user_id == placement.owner_id && mine.contains(&h.pool_id));
    Err(match taken {
        Some(h) if h.protected_until > now => AppError::Refused("pool_protected"),
        Some(_) => AppError::Refused("already_claimed"),
        None => AppError::NotFound,
    })
}

/// Why a record that is in no pool cannot be claimed: still protected for its holder,
/// already claimed by someone (or the actor), or never in a pool.
async fn refusal_out_of_pool(
    tx: &mut Tx,
    actor: &Actor,
    object: ObjectKind,
    id: Uuid,
    p: &Placement,
    now: DateTime<Utc>,
) -> AppResult<AppError> {
    let holding = repo::holding(tx, object, actor.tenant_id(), id)
        .await?
        .filter(|h| h.user_id == p.owner_id);
    Ok(match holding {
        Some(h) if h.user_id != actor.id() && h.protected_until > now => {
            AppError::Refused("pool_protected")
        }
        Some(_) => AppError::Refused("already_claimed"),
        None => AppError::Refused("not_in_pool"),
    })
}

/// Returns a held record to its pool (the pool it was taken from, else the object's
/// default pool) with one of the company's active reasons.
pub async fn give_back(
    app: &App,
    actor: &Actor,
    object: ObjectKind,
    id: Uuid,
    reason: Option<&str>,
) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    let placement = visible(&mut tx, actor, object, id).await?;
    let tenant = actor.tenant_id();
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let reasons = repo::reasons(&mut tx, tenant).await?;
    let reason = match reason {
        None => return Err(AppError::field("reason", "required")),
        Some(r) if reasons.iter().any(|x| x.active && x.key == r) => r,
        Some(_) => return Err(AppError::field("reason", "invalid_choice")),
    };
    if placement.pool_id.is_some() {
        return Err(AppError::Refused("already_in_pool"));
    }
    if !may_return(&mut tx, actor, object, id, &placement).await? {
        return Err(AppError::Forbidden);
    }
    let now = app.now();
    let holding = repo::holding(&mut tx, object, tenant, id)
        .await?
        .filter(|h| h.user_id == placement.owner_id);
    let pool = target_pool(&mut tx, tenant, object, holding.as_ref().map(|h| h.pool_id)).await?;
    if !repo::put(
        &mut tx,
        object,
        tenant,
        id,
        pool.id,
        placement.owner_id,
        Some(actor.id()),
        now,
    )
    .await?
    {
        return Err(AppError::Conflict);
    }
    repo::insert_event(
        &mut tx,
        &repo::NewEvent {
            tenant_id: tenant,
            object,
            record_id: id,
            pool_id: pool.id,
            kind: repo::RETURNED,
            user_id: placement.owner_id,
            actor_id: Some(actor.id()),
            reason: Some(reason),
            held_since: holding.map(|h| h.claimed_at),
            at: now,
        },
    )
    .await?;
    let detail = serde_json::json!({ "pool_id": pool.id, "pool": pool.name, "reason": reason });
    crate::events::action(
        &mut tx,
        actor,
        now,
        subject(object, id, Some(placement.owner_id), &placement.name),
        "returned",
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The pool a record goes back to: the one named (its rule's, the one it came from), else
/// the object's default pool.
pub(crate) async fn target_pool(
    tx: &mut Tx,
    tenant: Uuid,
    object: ObjectKind,
    named: Option<Uuid>,
) -> AppResult<Pool> {
    if let Some(id) = named {
        if let Some(pool) = repo::get(tx, tenant, id).await? {
            return Ok(pool);
        }
    }
    repo::default_pool(tx, tenant, object)
        .await?
        .ok_or_else(|| {
            AppError::Internal(format!("the company has no default {} pool", object.key()))
        })
}

/// Assigns records of the pool to `owner` (the pool's administrators, and members whose role
/// may transfer); how many moved. Every id must be in the pool, else nothing moves.
pub async fn assign(
    app: &App,
    actor: &Actor,
    pool_id: Uuid,
    ids: &[Uuid],
    owner: Option<&str>,
) -> AppResult<usize> {
    let mut tx = app.db.begin().await?;
    let (pool, access): (Pool, Access) = open(&mut tx, actor, pool_id).await?;
    if !access.assign {
        return Err(AppError::Forbidden);
    }
    let object = pool.kind().ok_or(AppError::NotFound)?;
    let tenant = actor.tenant_id();
    let mut errors = domain::FieldErrors::new();
    if ids.is_empty() {
        errors.add("ids", "required");
    } else if ids.len() > MAX_ASSIGN {
        errors.add_limit("ids", "too_many_rows", MAX_ASSIGN as i64);
    }
    let owner = match owner.map(str::trim).filter(|o| !o.is_empty()) {
        None => {
            errors.add("owner_id", "required");
            None
        }
        Some(o) => match Uuid::try_parse(o) {
            Ok(o) => store::org::get_user(&mut tx, tenant, o)
                .await?
                .filter(|u| u.active),
            Err(_) => None,
        },
    };
    if owner.is_none() && !errors.0.iter().any(|e| e.field == "owner_id") {
        errors.add("owner_id", "invalid_reference");
    }
    errors.into_result()?;
    let owner = owner.ok_or_else(|| AppError::field("owner_id", "required"))?;
    repo::lock(&mut tx, tenant, pool_id).await?;
    let now = app.now();
    let protected_until = now + Duration::days(pool.protection_days);
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    for id in &unique {
        let Some(placement) = repo::placement(&mut tx, object, tenant, *id).await? else {
            return Err(AppError::NotFound);
        };
        let taking = Taking {
            object,
            id: *id,
            pool_id,
            owner: owner.id,
            previous_owner: placement.owner_id,
            kind: repo::ASSIGNED,
            protected_until,
        };
        if !take(&mut tx, actor, &taking, now).await? {
            return Err(AppError::Refused("not_in_pool"));
        }
        let detail =
            serde_json::json!({ "pool_id": pool_id, "pool": pool.name, "owner_id": owner.id });
        crate::events::action(
            &mut tx,
            actor,
            now,
            subject(object, *id, Some(owner.id), &placement.name),
            "pool_assigned",
            &detail,
        )
        .await?;
        if owner.id != actor.id() {
            let about = About {
                object,
                id: *id,
                name: &placement.name,
            };
            notifications::notify(&mut tx, tenant, owner.id, Kind::Assigned, &about, now).await?;
        }
    }
    tx.commit().await?;
    Ok(unique.len())
}
