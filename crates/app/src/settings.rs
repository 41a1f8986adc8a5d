//! Company settings kept by administrators (assignment rules, web forms): one path for
//! reading, creating, changing at the version read, and deleting them, each change audited.
//! A setting declares its table, its limits, who may keep it, and how an input becomes the
//! fields written ([`Setting`]); the use cases here do the rest alike for every setting.

use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::future::Future;
use store::Tx;
use uuid::Uuid;

/// A versioned company setting: a row of its own table, read whole, written from `Fields`.
pub trait Setting: Sized + Send + Sync {
    /// What an administrator submits (fields left out keep their value on an update).
    type Input: Send + Sync;
    /// What is written on create and on update, resolved and checked.
    type Fields: Send + Sync;
    /// The table (store side), also the scope of the company's limit.
    const TABLE: &'static str;
    /// The audit entity.
    const ENTITY: &'static str;
    /// At most this many per company; `TOO_MANY` is the rule broken past it.
    const MAX: i64;
    const TOO_MANY: &'static str;

    /// Who may see and change these settings.
    fn require(actor: &Actor) -> AppResult<()>;
    fn version(&self) -> i64;
    fn name(&self) -> &str;
    /// The input that only activates or deactivates the setting.
    fn activation(active: bool) -> Self::Input;
    /// The audit entry's detail of a create or an update.
    fn audit_detail(fields: &Self::Fields) -> Value;

    fn read_all(tx: &mut Tx, tenant: Uuid) -> impl Future<Output = AppResult<Vec<Self>>> + Send;
    fn read(
        tx: &mut Tx,
        tenant: Uuid,
        id: Uuid,
    ) -> impl Future<Output = AppResult<Option<Self>>> + Send;
    /// The input over the current row (or the defaults on create), references checked; all
    /// the problems at once as field errors.
    fn resolve(
        tx: &mut Tx,
        actor: &Actor,
        current: Option<&Self>,
        input: &Self::Input,
        now: DateTime<Utc>,
    ) -> impl Future<Output = AppResult<Self::Fields>> + Send;
    fn insert(
        tx: &mut Tx,
        tenant: Uuid,
        id: Uuid,
        fields: &Self::Fields,
        now: DateTime<Utc>,
    ) -> impl Future<Output = AppResult<()>> + Send;
    /// Saves the fields if the row is still at `version`; false when it is not.
    fn write(
        tx: &mut Tx,
        tenant: Uuid,
        id: Uuid,
        version: i64,
        fields: &Self::Fields,
        now: DateTime<Utc>,
    ) -> impl Future<Output = AppResult<bool>> + Send;
}

pub async fn list<S: Setting>(app: &App, actor: &Actor) -> AppResult<Vec<S>> {
    S::require(actor)?;
    let mut tx = app.db.begin_read().await?;
    S::read_all(&mut tx, actor.tenant_id()).await
}

pub async fn get<S: Setting>(app: &App, actor: &Actor, id: Uuid) -> AppResult<S> {
    S::require(actor)?;
    let mut tx = app.db.begin_read().await?;
    S::read(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn create<S: Setting>(app: &App, actor: &Actor, input: &S::Input) -> AppResult<Uuid> {
    S::require(actor)?;
    let mut tx = app.db.begin().await?;
    let tenant = actor.tenant_id();
    let now = app.now();
    let fields = S::resolve(&mut tx, actor, None, input, now).await?;
    if store::settings::count(&mut tx, S::TABLE, tenant, S::MAX).await? >= S::MAX {
        return Err(AppError::Rule(S::TOO_MANY));
    }
    let id = Uuid::now_v7();
    S::insert(&mut tx, tenant, id, &fields, now).await?;
    let detail = S::audit_detail(&fields);
    crate::audit::by(&mut tx, actor, now, S::ENTITY, "created", Some(id), detail).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes the setting if it is still at `version` (else `Conflict`); the setting as saved.
pub async fn update<S: Setting>(
    app: &App,
    actor: &Actor,
    id: Uuid,
    version: i64,
    input: &S::Input,
) -> AppResult<S> {
    S::require(actor)?;
    let mut tx = app.db.begin().await?;
    let tenant = actor.tenant_id();
    let current = S::read(&mut tx, tenant, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = app.now();
    let fields = S::resolve(&mut tx, actor, Some(&current), input, now).await?;
    if current.version() != version || !S::write(&mut tx, tenant, id, version, &fields, now).await?
    {
        return Err(AppError::Conflict);
    }
    let detail = S::audit_detail(&fields);
    crate::audit::by(&mut tx, actor, now, S::ENTITY, "updated", Some(id), detail).await?;
    let saved = S::read(&mut tx, tenant, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(saved)
}

/// Deletes the setting if it is still at `version` (else `Conflict`).
pub async fn delete<S: Setting>(app: &App, actor: &Actor, id: Uuid, version: i64) -> AppResult<()> {
    S::require(actor)?;
    let mut tx = app.db.begin().await?;
    let tenant = actor.tenant_id();
    let current = S::read(&mut tx, tenant, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !store::settings::delete(&mut tx, S::TABLE, tenant, id, version).await? {
        return Err(AppError::Conflict);
    }
    let now = app.now();
    let detail = serde_json::json!({ "name": current.name() });
    crate::audit::by(&mut tx, actor, now, S::ENTITY, "deleted", Some(id), detail).await?;
    tx.commit().await.map_err(AppError::from)
}
