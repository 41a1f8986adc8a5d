//! Sharing a record beyond its owner's scope: explicit shares with a user, a department or a
//! role, and the record's team. Both are managed by the record's owner or by whoever may
//! transfer it; the rows only ever widen what `store::visibility` lets a reader see, and
//! `edit` access lets a grantee edit (the role must still allow editing), never delete or
//! transfer.

use crate::events::Subject;
use crate::notifications::{self, About, Kind};
use crate::{Actor, App, AppError, AppResult};
use domain::permissions::{Action, ObjectKind};
use domain::validation::FieldErrors;
use store::sharing::{self as repo, Grantee, NewMember, NewShare, Share, TeamMember};
use store::Tx;
use uuid::Uuid;

/// The actor of a signed-in user, with what is shared with them read once (cached with the
/// actor; every write of a share, team or pool moves the org epoch, which drops the cache).
pub async fn actor(tx: &mut Tx, user: store::org::User) -> AppResult<Actor> {
    let departments =
        domain::permissions::departments_of(user.department_id, user.department_path.as_deref());
    let grants = repo::grants(tx, user.tenant_id, user.id, &departments, user.role_id).await?;
    let mut actor = Actor::from_user(user);
    actor.principal.grants = grants;
    Ok(actor)
}

/// Fails unless the actor may do `action` (already allowed by the role) on the visible
/// record `id`: editing needs the record in the role's scope or an `edit` share or team
/// place; anything else (delete, transfer) needs it in the role's scope. Free for a user
/// with nothing shared: every record they see is in their scope.
pub async fn require(
    tx: &mut Tx,
    actor: &Actor,
    object: ObjectKind,
    id: Uuid,
    action: Action,
) -> AppResult<()> {
    if !actor.principal.grants.any(object) {
        return Ok(());
    }
    let allowed = match action {
        Action::Edit => repo::is_editable(tx, &actor.principal, object, id).await?,
        _ => repo::is_in_scope(tx, &actor.principal, object, id).await?,
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Whether the actor may take `action` on a record they can see: their role allows it and,
/// for a reader with grants, the record is in their own scope (or shared with them for
/// editing, for `Edit`). Pages ask it before offering a button the save would refuse.
pub async fn may(
    app: &App,
    actor: &Actor,
    object: ObjectKind,
    id: Uuid,
    action: Action,
) -> AppResult<bool> {
    if !actor.principal.can(object, action) {
        return Ok(false);
    }
    if !actor.principal.grants.any(object) {
        return Ok(true);
    }
    let mut tx = app.db.begin_read().await?;
    match require(&mut tx, actor, object, id, action).await {
        Ok(()) => Ok(true),
        Err(AppError::Forbidden) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The shares and team of a record, and whether the reader may change them.
#[derive(Debug, Clone)]
pub struct Sharing {
    pub shares: Vec<Share>,
    pub team: Vec<TeamMember>,
    pub can_manage: bool,
}

pub async fn get(app: &App, actor: &Actor, object: ObjectKind, id: Uuid) -> AppResult<Sharing> {
    let mut tx = app.db.begin_read().await?;
    let record = visible(&mut tx, actor, object, id).await?;
    let can_manage = may_manage(&mut tx, actor, object, &record).await?;
    Ok(Sharing {
        shares: repo::shares(&mut tx, actor.tenant_id(), object, id).await?,
        team: repo::team(&mut tx, actor.tenant_id(), object, id).await?,
        can_manage,
    })
}

/// A share as asked for: exactly one grantee, and the access.
#[derive(Debug, Clone, Default)]
pub struct ShareInput {
    pub user_id: Option<String>,
    pub department_id: Option<String>,
    pub role_id: Option<String>,
    pub access: Option<String>,
}

/// A team place as asked for.
#[derive(Debug, Clone, Default)]
pub struct MemberInput {
    pub user_id: Option<String>,
    pub access: Option<String>,
    pub role: Option<String>,
}

/// The longest team role ("technical lead", "财务对接人").
pub const ROLE_MAX: usize = 50;

/// Shares the record (or changes an existing share's access); the share's id.
pub async fn share(
    app: &App,
    actor: &Actor,
    object: ObjectKind,
    id: Uuid,
    input: &ShareInput,
) -> AppResult<Uuid> {
    let mut tx = app.db.begin().await?;
    let record = visible(&mut tx, actor, object, id).await?;
    require_manage(&mut tx, actor, object, &record).await?;
    let mut errors = FieldErrors::new();
    let access = parse_access(&mut errors, input.access.as_deref());
    let given: Vec<(&str, &str)> = [
        ("user_id", input.user_id.as_deref()),
        ("department_id", input.department_id.as_deref()),
        ("role_id", input.role_id.as_deref()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(str::trim).filter(|v| !v.is_empty()).map(|v| (k, v)))
    .collect();
    let grantee = match given.as_slice() {
        [] => {
            errors.add("user_id", "one_grantee");
            None
        }
        [(field, value)] => grantee(&mut tx, actor, field, value, &mut errors).await?,
        many => {
            for (field, _) in many {
                errors.add(field, "one_grantee");
            }
            None
        }
    };
    errors.into_result()?;
    let (Some(grantee), Some(access)) = (grantee, access) else {
        return Err(AppError::Validation(FieldErrors::new()));
    };
    let now = app.now();
    let (share_id, _) = repo::put_share(
        &mut tx,
        &NewShare {
            tenant_id: actor.tenant_id(),
            object,
            record_id: id,
            grantee,
            access,
            created_by: actor.id(),
            created_at: now,
        },
    )
    .await?;
    let detail = serde_json::json!({ "share_id": share_id, "grantee": grantee_json(grantee), "access": access });
    crate::events::action(
        &mut tx,
        actor,
        now,
        record.subject(object),
        "shared",
        &detail,
    )
    .await?;
    if let Grantee::User(user) = grantee {
        notify_added(&mut tx, actor, object, &record, user, now).await?;
    }
    tx.mark_org_changed();
    tx.commit().await?;
    Ok(share_id)
}

pub async fn unshare(
    app: &App,
    actor: &Actor,
    object: ObjectKind,
    id: Uuid,
    share_id: Uuid,
) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    let record = visible(&mut tx, actor, object, id).await?;
    require_manage(&mut tx, actor, object, &record).await?;
    if !repo::delete_share(&mut tx, actor.tenant_id(), object, id, share_id).await? {
        return Err(AppError::NotFound);
    }
    let detail = serde_json::json!({ "share_id": share_id });
    crate::events::action(
        &mut tx,
        actor,
        app.now(),
        record.subject(object),
        "unshared",
        &detail,
    )
    .await?;
    tx.mark_org_changed();
    tx.commit().await?;
    Ok(())
}

/// Puts a user on the record's team (or changes their access and role there).
pub async fn add_member(
    app: &App,
    actor: &Actor,
    object: ObjectKind,
    id: Uuid,
    input: &MemberInput,
) -> AppResult<Uuid> {
    let mut tx = app.db.begin().await?;
    let record = visible(&mut tx, actor, object, id).await?;
    require_manage(&mut tx, actor, object, &record).await?;
    let mut errors = FieldErrors::new();
    let access = parse_access(&mut errors, input.access.as_deref());
    let role = input
        .role
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if role.is_some_and(|r| r.chars().count() > ROLE_MAX) {
        errors.add_limit("role", "too_long", ROLE_MAX as i64);
    }
    let user = match input
        .user_id
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => {
            errors.add("user_id", "required");
            None
        }
        Some(value) => grantee(&mut tx, actor, "user_id", value, &mut errors).await?,
    };
    errors.into_result()?;
    let (Some(Grantee::User(user_id)), Some(access)) = (user, access) else {
        return Err(AppError::Validation(FieldErrors::new()));
    };
    let now = app.now();
    let added = repo::put_member(
        &mut tx,
        &NewMember {
            tenant_id: actor.tenant_id(),
            object,
            record_id: id,
            user_id,
            access,
            role,
            added_by: actor.id(),
            added_at: now,
        },
    )
    .await?;
    let detail = serde_json::json!({ "user_id": user_id, "access": access, "role": role });
    crate::events::action(
        &mut tx,
        actor,
        now,
        record.subject(object),
        "team_member_added",
        &detail,
    )
    .await?;
    if added {
        notify_added(&mut tx, actor, object, &record, user_id, now).await?;
    }
    tx.mark_org_changed();
    tx.commit().await?;
    Ok(user_id)
}

pub async fn remove_member(
    app: &App,
    actor: &Actor,
    object: ObjectKind,
    id: Uuid,
    user_id: Uuid,
) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    let record = visible(&mut tx, actor, object, id).await?;
    require_manage(&mut tx, actor, object, &record).await?;
    if !repo::delete_member(&mut tx, actor.tenant_id(), object, id, user_id).await? {
        return Err(AppError::NotFound);
    }
    let detail = serde_json::json!({ "user_id": user_id });
    let subject = record.subject(object);
    crate::events::action(
        &mut tx,
        actor,
        app.now(),
        subject,
        "team_member_removed",
        &detail,
    )
    .await?;
    tx.mark_org_changed();
    tx.commit().await?;
    Ok(())
}

/// The record as far as sharing needs it.
struct Shared {
    id: Uuid,
    owner_id: Uuid,
    name: String,
}

impl Shared {
    fn subject(&self, object: ObjectKind) -> Subject<'_> {
        Subject {
            object,
            id: self.id,
            owner_id: Some(self.owner_id),
            name: &self.name,
        }
    }
}

/// The record if the actor sees it, else 404.
async fn visible(tx: &mut Tx, actor: &Actor, object: ObjectKind, id: Uuid) -> AppResult<Shared> {
    if !store::records::is_visible(tx, &actor.principal, object, id).await? {
        return Err(AppError::NotFound);
    }
    let (owner_id, name) = repo::owner_and_name(tx, actor.tenant_id(), object, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Shared { id, owner_id, name })
}

/// The owner, or whoever may transfer the record (the role allows it and the record is in
/// the role's scope, not merely shared).
async fn may_manage(
    tx: &mut Tx,
    actor: &Actor,
    object: ObjectKind,
    record: &Shared,
) -> AppResult<bool> {
    // A record in a pool has no owner: its last owner manages nothing (the scope says so).
    if record.owner_id == actor.id() {
        return Ok(repo::is_in_scope(tx, &actor.principal, object, record.id).await?);
    }
    if !actor.principal.can(object, Action::Transfer) {
        return Ok(false);
    }
    Ok(repo::is_in_scope(tx, &actor.principal, object, record.id).await?)
}

async fn require_manage(
    tx: &mut Tx,
    actor: &Actor,
    object: ObjectKind,
    record: &Shared,
) -> AppResult<()> {
    if may_manage(tx, actor, object, record).await? {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn parse_access(errors: &mut FieldErrors, value: Option<&str>) -> Option<&'static str> {
    match value.map(str::trim) {
        Some("read") => Some("read"),
        Some("edit") => Some("edit"),
        None | Some("") => {
            errors.add("access", "required");
            None
        }
        Some(_) => {
            errors.add("access", "invalid_choice");
            None
        }
    }
}

/// The grantee named by `field`, checked to exist in the actor's company (another
/// company's id is as unknown as a made-up one).
async fn grantee(
    tx: &mut Tx,
    actor: &Actor,
    field: &str,
    value: &str,
    errors: &mut FieldErrors,
) -> AppResult<Option<Grantee>> {
    let Ok(id) = Uuid::try_parse(value) else {
        errors.add(field, "invalid_reference");
        return Ok(None);
    };
    let tenant = actor.tenant_id();
    let found = match field {
        "user_id" => store::org::get_user(tx, tenant, id)
            .await?
            .filter(|u| u.active)
            .map(|_| Grantee::User(id)),
        "department_id" => store::org::get_department(tx, tenant, id)
            .await?
            .map(|_| Grantee::Department(id)),
        _ => store::org::get_role(tx, tenant, id)
            .await?
            .map(|_| Grantee::Role(id)),
    };
    if found.is_none() {
        errors.add(field, "invalid_reference");
    }
    Ok(found)
}

fn grantee_json(grantee: Grantee) -> serde_json::Value {
    match grantee {
        Grantee::User(id) => serde_json::json!({ "user_id": id }),
        Grantee::Department(id) => serde_json::json!({ "department_id": id }),
        Grantee::Role(id) => serde_json::json!({ "role_id": id }),
    }
}

async fn notify_added(
    tx: &mut Tx,
    actor: &Actor,
    object: ObjectKind,
    record: &Shared,
    user: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    if user == actor.id() {
        return Ok(());
    }
    let about = About {
        object,
        id: record.id,
        name: &record.name,
    };
    notifications::notify(tx, actor.tenant_id(), user, Kind::Shared, &about, now).await?;
    Ok(())
}

/// Whom a record can be shared with: active users, departments and roles (as id, name and,
/// for roles, the built-in key), for the sharing forms of those who may share.
#[derive(Debug, Clone, Default)]
pub struct Grantees {
    pub users: Vec<(Uuid, String)>,
    pub departments: Vec<(Uuid, String)>,
    pub roles: Vec<(Uuid, String, Option<String>)>,
}

pub async fn grantees(app: &App, actor: &Actor) -> AppResult<Grantees> {
    let mut tx = app.db.begin_read().await?;
    let tenant = actor.tenant_id();
    Ok(Grantees {
        users: store::org::user_choices(&mut tx, tenant, 5000).await?,
        departments: store::org::list_departments(&mut tx, tenant)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect(),
        roles: store::org::list_roles(&mut tx, tenant)
            .await?
            .into_iter()
            .map(|r| (r.id, r.name, r.key))
            .collect(),
    })
}
