//! Public pools (公海池) of leads and accounts: the pools and their settings (members,
//! administrators, limits, protection, recycling rules), the company's return reasons, and a
//! pool's records. Claiming, returning and assigning are in `claims`, the scheduler's
//! recycling and reminders in `recycle`, the statistics in `stats`.
//!
//! A record in a pool has no owner: its `owner_id` keeps who had it last, and the visibility
//! predicate shows it to the pool's members (and to those who see every record) instead of
//! the owner's scope. Who may do what with a pool is decided here, in [`Access`].

pub mod claims;
pub mod recycle;
pub mod stats;

use crate::records::RecordPage;
use crate::{Actor, App, AppError, AppResult};
use domain::permissions::{Action, ObjectKind};
use domain::pools::{Settings, NAME_MAX};
use domain::validation::FieldErrors;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::pools::{self as repo, Member, Pool, Reason};
use store::sharing::Grantee;
use store::Tx;
use uuid::Uuid;

pub use recycle::RecyclePools;

/// What the actor may do with one pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Access {
    /// Sees the pool and its records (a member, an administrator of it or of the company).
    pub open: bool,
    /// Changes its settings and members.
    pub administer: bool,
    /// Assigns its records to reps: its administrators, and members whose role may transfer.
    pub assign: bool,
}

fn is_company_admin(actor: &Actor) -> bool {
    actor.principal.can(ObjectKind::Org, Action::Administer)
}

/// The one check of what the actor may do with `pool`.
pub async fn access(tx: &mut Tx, actor: &Actor, pool: &Pool) -> AppResult<Access> {
    let Some(object) = pool.kind() else {
        return Ok(Access::default());
    };
    let administer = is_company_admin(actor)
        || repo::is_admin(tx, actor.tenant_id(), pool.id, actor.id()).await?;
    let member = actor.principal.grants.pools(object).contains(&pool.id);
    Ok(Access {
        open: administer || member,
        administer,
        assign: administer || (member && actor.principal.can(object, Action::Transfer)),
    })
}

/// The pool if the actor may open it, else 404.
pub(crate) async fn open(tx: &mut Tx, actor: &Actor, id: Uuid) -> AppResult<(Pool, Access)> {
    let pool = repo::get(tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let access = access(tx, actor, &pool).await?;
    if !access.open {
        return Err(AppError::NotFound);
    }
    Ok((pool, access))
}

/// A pool with what the actor may do with it.
#[derive(Debug, Clone)]
pub struct PoolView {
    pub pool: Pool,
    pub access: Access,
}

/// The pools the actor may open, of one object or all.
pub async fn list(
    app: &App,
    actor: &Actor,
    object: Option<ObjectKind>,
) -> AppResult<Vec<PoolView>> {
    let mut tx = app.db.begin_read().await?;
    let mut out = Vec::new();
    for pool in repo::list(&mut tx, actor.tenant_id()).await? {
        if object.is_some_and(|o| pool.kind() != Some(o)) {
            continue;
        }
        let access = access(&mut tx, actor, &pool).await?;
        if access.open {
            out.push(PoolView { pool, access });
        }
    }
    Ok(out)
}

/// A pool with its members and administrators.
#[derive(Debug, Clone)]
pub struct PoolDetail {
    pub pool: Pool,
    pub access: Access,
    pub members: Vec<Member>,
    pub admins: Vec<(Uuid, String)>,
}

pub async fn get(app: &App, actor: &Actor, id: Uuid) -> AppResult<PoolDetail> {
    let mut tx = app.db.begin_read().await?;
    let (pool, access) = open(&mut tx, actor, id).await?;
    Ok(PoolDetail {
        members: repo::members(&mut tx, actor.tenant_id(), id).await?,
        admins: repo::admins(&mut tx, actor.tenant_id(), id).await?,
        pool,
        access,
    })
}

/// A pool as asked for: every field optional on a change (left out: kept).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PoolInput {
    pub object: Option<String>,
    pub name: Option<String>,
    pub open_to_all: Option<bool>,
    /// `Some(None)`: no limit / rule off.
    pub claims_per_day: Option<Option<i64>>,
    pub max_held: Option<Option<i64>>,
    pub protection_days: Option<i64>,
    pub idle_days: Option<Option<i64>>,
    pub stale_days: Option<Option<i64>>,
    pub remind_days: Option<i64>,
    pub no_reclaim_days: Option<i64>,
    /// Members as `user:<id>`, `department:<id>`, `role:<id>`.
    pub members: Option<Vec<String>>,
    pub admins: Option<Vec<String>>,
}

impl PoolInput {
    fn settings(&self, base: &Settings) -> Settings {
        Settings {
            claims_per_day: self.claims_per_day.unwrap_or(base.claims_per_day),
            max_held: self.max_held.unwrap_or(base.max_held),
            protection_days: self.protection_days.unwrap_or(base.protection_days),
            idle_days: self.idle_days.unwrap_or(base.idle_days),
            stale_days: self.stale_days.unwrap_or(base.stale_days),
            remind_days: self.remind_days.unwrap_or(base.remind_days),
            no_reclaim_days: self.no_reclaim_days.unwrap_or(base.no_reclaim_days),
        }
    }
}

fn check_name(errors: &mut FieldErrors, name: Option<&str>) -> String {
    domain::validation::required_text(errors, "name", name, NAME_MAX)
}

/// Creates a pool (company administrators); its id.
pub async fn create(app: &App, actor: &Actor, input: &PoolInput) -> AppResult<Uuid> {
    actor.require(ObjectKind::Org, Action::Administer)?;
    let mut tx = app.db.begin().await?;
    let mut errors = FieldErrors::new();
    let object = match input.object.as_deref().map(str::trim) {
        None | Some("") => {
            errors.add("object", "required");
            None
        }
        Some(key) => match ObjectKind::parse(key).filter(|o| domain::pools::spec(*o).is_some()) {
            Some(o) => Some(o),
            None => {
                errors.add("object", "invalid_choice");
                None
            }
        },
    };
    let name = check_name(&mut errors, input.name.as_deref());
    let settings = input.settings(&Settings::default());
    settings.check(&mut errors);
    let members = grantees(
        &mut tx,
        actor,
        "members",
        input.members.as_deref(),
        &mut errors,
    )
    .await?;
    let admins = admin_ids(&mut tx, actor, input.admins.as_deref(), &mut errors).await?;
    errors.into_result()?;
    let object = object.ok_or_else(|| AppError::field("object", "required"))?;
    let id = Uuid::now_v7();
    let now = app.now();
    repo::insert(
        &mut tx,
        &repo::NewPool {
            tenant_id: actor.tenant_id(),
            id,
            object,
            name: &name,
            is_default: false,
            open_to_all: input.open_to_all.unwrap_or(false),
            settings: &settings,
            now,
        },
    )
    .await?;
    repo::set_members(&mut tx, actor.tenant_id(), id, &members.unwrap_or_default()).await?;
    repo::set_admins(&mut tx, actor.tenant_id(), id, &admins.unwrap_or_default()).await?;
    let detail = serde_json::json!({ "name": name, "changes": [{ "field": "object", "old": null, "new": object.key() }] });
    crate::audit::by(&mut tx, actor, now, "pool", "created", Some(id), detail).await?;
    tx.mark_org_changed();
    tx.commit().await?;
    Ok(id)
}

/// Changes a pool at `version` (its administrators; the administrators themselves only by
/// a company administrator). A stale version is `Conflict`.
pub async fn update(
    app: &App,
    actor: &Actor,
    id: Uuid,
    version: i64,
    input: &PoolInput,
) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    let (pool, access) = open(&mut tx, actor, id).await?;
    if !access.administer {
        return Err(AppError::Forbidden);
    }
    let mut errors = FieldErrors::new();
    if input.object.as_deref().is_some_and(|o| o != pool.object) {
        errors.add("object", "not_editable");
    }
    let name = match &input.name {
        Some(n) => check_name(&mut errors, Some(n)),
        None => pool.name.clone(),
    };
    let settings = input.settings(&pool.settings());
    settings.check(&mut errors);
    let members = grantees(
        &mut tx,
        actor,
        "members",
        input.members.as_deref(),
        &mut errors,
    )
    .await?;
    let admins = admin_ids(&mut tx, actor, input.admins.as_deref(), &mut errors).await?;
    if admins.is_some() && !is_company_admin(actor) {
        errors.add("admins", "not_editable");
    }
    errors.into_result()?;
    let open_to_all = input.open_to_all.unwrap_or(pool.open_to_all);
    let tenant = actor.tenant_id();
    if !repo::update(&mut tx, tenant, id, version, &name, open_to_all, &settings).await? {
        return Err(AppError::Conflict);
    }
    if let Some(members) = members {
        repo::set_members(&mut tx, tenant, id, &members).await?;
    }
    if let Some(admins) = admins {
        repo::set_admins(&mut tx, tenant, id, &admins).await?;
    }
    let old = pool.settings();
    let mut changes = Vec::new();
    let mut diff = |field: &str, old: String, new: String| {
        if old != new {
            changes.push(serde_json::json!({ "field": field, "old": old, "new": new }));
        }
    };
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    diff("name", pool.name.clone(), name.clone());
    diff(
        "open_to_all",
        pool.open_to_all.to_string(),
        open_to_all.to_string(),
    );
    diff(
        "claims_per_day",
        opt(old.claims_per_day),
        opt(settings.claims_per_day),
    );
    diff("max_held", opt(old.max_held), opt(settings.max_held));
    diff(
        "protection_days",
        old.protection_days.to_string(),
        settings.protection_days.to_string(),
    );
    diff("idle_days", opt(old.idle_days), opt(settings.idle_days));
    diff("stale_days", opt(old.stale_days), opt(settings.stale_days));
    diff(
        "remind_days",
        old.remind_days.to_string(),
        settings.remind_days.to_string(),
    );
    diff(
        "no_reclaim_days",
        old.no_reclaim_days.to_string(),
        settings.no_reclaim_days.to_string(),
    );
    if input.members.is_some() {
        diff(
            "members",
            String::new(),
            input.members.clone().unwrap_or_default().join(", "),
        );
    }
    if input.admins.is_some() {
        diff(
            "admins",
            String::new(),
            input.admins.clone().unwrap_or_default().join(", "),
        );
    }
    let detail = serde_json::json!({ "name": name, "changes": changes });
    crate::audit::by(
        &mut tx,
        actor,
        app.now(),
        "pool",
        "updated",
        Some(id),
        detail,
    )
    .await?;
    tx.mark_org_changed();
    tx.commit().await?;
    Ok(())
}

/// Members given as `user:<id>`, `department:<id>` or `role:<id>`, each checked to exist in
/// the company; `None` when not given.
async fn grantees(
    tx: &mut Tx,
    actor: &Actor,
    field: &str,
    given: Option<&[String]>,
    errors: &mut FieldErrors,
) -> AppResult<Option<Vec<Grantee>>> {
    let Some(given) = given else {
        return Ok(None);
    };
    let tenant = actor.tenant_id();
    let mut out = Vec::new();
    for value in given {
        let (kind, id) = value.split_once(':').unwrap_or(("", value));
        let Ok(id) = Uuid::try_parse(id.trim()) else {
            errors.add(field, "invalid_reference");
            continue;
        };
        let found = match kind.trim() {
            "user" => store::org::get_user(tx, tenant, id)
                .await?
                .filter(|u| u.active)
                .map(|_| Grantee::User(id)),
            "department" => store::org::get_department(tx, tenant, id)
                .await?
                .map(|_| Grantee::Department(id)),
            "role" => store::org::get_role(tx, tenant, id)
                .await?
                .map(|_| Grantee::Role(id)),
            _ => None,
        };
        match found {
            Some(g) if !out.contains(&g) => out.push(g),
            Some(_) => {}
            None => errors.add(field, "invalid_reference"),
        }
    }
    Ok(Some(out))
}

async fn admin_ids(
    tx: &mut Tx,
    actor: &Actor,
    given: Option<&[String]>,
    errors: &mut FieldErrors,
) -> AppResult<Option<Vec<Uuid>>> {
    let Some(given) = given else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for value in given {
        let id = value.strip_prefix("user:").unwrap_or(value).trim();
        let user = match Uuid::try_parse(id) {
            Ok(id) => store::org::get_user(tx, actor.tenant_id(), id)
                .await?
                .filter(|u| u.active),
            Err(_) => None,
        };
        match user {
            Some(u) if !out.contains(&u.id) => out.push(u.id),
            Some(_) => {}
            None => errors.add("admins", "invalid_reference"),
        }
    }
    Ok(Some(out))
}

/// The company's return reasons (every one, retired ones inactive).
pub async fn reasons(app: &App, actor: &Actor) -> AppResult<Vec<Reason>> {
    let mut tx = app.db.begin_read().await?;
    Ok(repo::reasons(&mut tx, actor.tenant_id()).await?)
}

/// Replaces the company's return reasons (company administrators). A reason left out that
/// records were returned with is kept inactive, so their history still reads.
pub async fn set_reasons(app: &App, actor: &Actor, given: &[Reason]) -> AppResult<()> {
    actor.require(ObjectKind::Org, Action::Administer)?;
    let mut errors = FieldErrors::new();
    if given.len() > domain::pools::MAX_REASONS {
        errors.add_limit(
            "reasons",
            "too_many_rows",
            domain::pools::MAX_REASONS as i64,
        );
    }
    let mut out: Vec<Reason> = Vec::new();
    for (i, r) in given.iter().enumerate() {
        let key = r.key.trim();
        if !domain::pools::valid_reason_key(key) || out.iter().any(|o| o.key == key) {
            errors.add(&format!("reasons.{i}.key"), "invalid_key");
        }
        let zh = domain::validation::required_text(
            &mut errors,
            &format!("reasons.{i}.name_zh"),
            Some(&r.name_zh),
            NAME_MAX,
        );
        let en = domain::validation::required_text(
            &mut errors,
            &format!("reasons.{i}.name_en"),
            Some(&r.name_en),
            NAME_MAX,
        );
        out.push(Reason {
            key: key.to_string(),
            name_zh: zh,
            name_en: en,
            active: r.active,
        });
    }
    if !out.iter().any(|r| r.active) {
        errors.add("reasons", "required");
    }
    errors.into_result()?;
    let mut tx = app.db.begin().await?;
    let old = repo::reasons(&mut tx, actor.tenant_id()).await?;
    for r in &old {
        if !out.iter().any(|o| o.key == r.key) {
            out.push(Reason {
                active: false,
                ..r.clone()
            });
        }
    }
    repo::put_reasons(&mut tx, actor.tenant_id(), &out).await?;
    let text = |list: &[Reason]| {
        list.iter()
            .filter(|r| r.active)
            .map(|r| format!("{} ({}/{})", r.key, r.name_zh, r.name_en))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let now = app.now();
    crate::audit::setting_changed(
        &mut tx,
        actor,
        now,
        "pool_return_reasons",
        serde_json::json!(text(&old)),
        serde_json::json!(text(&out)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The most records one page of a pool shows.
pub const MAX_PAGE: i64 = 200;

#[derive(Serialize, Deserialize)]
struct Cursor {
    at: chrono::DateTime<chrono::Utc>,
    id: Uuid,
}

/// One page of a pool's records as the reader may see them (members and administrators;
/// anyone else 404), newest in the pool first, with a keyset cursor.
pub async fn records(
    app: &App,
    actor: &Actor,
    pool_id: Uuid,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<(PoolView, RecordPage)> {
    let mut tx = app.db.begin_read().await?;
    let (pool, access) = open(&mut tx, actor, pool_id).await?;
    let object = pool.kind().ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let limit = limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        errors.add_limit("limit", "out_of_range", MAX_PAGE);
    }
    let after = match cursor.filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match hex::decode(c)
            .ok()
            .and_then(|b| serde_json::from_slice::<Cursor>(&b).ok())
        {
            Some(c) => Some((c.at, c.id)),
            None => {
                errors.add("cursor", "invalid_cursor");
                None
            }
        },
    };
    errors.into_result()?;
    let mut page = repo::records(&mut tx, object, actor.tenant_id(), pool.id, after, limit).await?;
    let next_cursor = if page.len() as i64 > limit {
        page.truncate(limit as usize);
        page.last().and_then(|(id, at)| {
            serde_json::to_vec(&Cursor { at: *at, id: *id })
                .ok()
                .map(hex::encode)
        })
    } else {
        None
    };
    let fields = crate::records::actor_fields_tx(&mut tx, actor, object).await?;
    let ids: Vec<Uuid> = page.iter().map(|(id, _)| *id).collect();
    let mut found: HashMap<Uuid, store::records::Record> = store::records::get_many(
        &mut tx,
        fields.spec,
        &fields.custom_defs(),
        actor.tenant_id(),
        &ids,
    )
    .await?
    .into_iter()
    .map(|r| (r.id, r))
    .collect();
    let mut records = Vec::new();
    for id in ids {
        if let Some(mut r) = found.remove(&id) {
            fields.strip(&mut r.values);
            records.push(r);
        }
    }
    let names = crate::records::names_for(&mut tx, actor, &fields, &records).await?;
    Ok((
        PoolView { pool, access },
        RecordPage {
            fields,
            records,
            names,
            next_cursor,
        },
    ))
}
