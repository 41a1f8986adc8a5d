//! Changes computed by the system (complete, postpone, check in, a conversion's links and
//! moved activities), written through the same tail as a user's update.

use super::{actor_fields_tx, repo, visible_record, write_change, Change};
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Utc};
use domain::permissions::{Action, ObjectKind};
use domain::FieldErrors;
use store::records::Values;
use store::Tx;
use uuid::Uuid;

/// Applies a change computed by the system (complete, postpone, check in) as the actor.
pub async fn system_change<F>(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
    version: Option<i64>,
    change: F,
) -> AppResult<()>
where
    F: FnOnce(&mut Values, DateTime<Utc>) -> AppResult<Vec<&'static str>>,
{
    let mut tx = app.db.begin().await?;
    let now = app.now();
    system_change_in(
        &mut tx,
        actor,
        kind,
        id,
        version,
        now,
        Edit::Checked,
        change,
    )
    .await?;
    tx.commit().await.map_err(AppError::from)
}

/// Who decides whether the actor may make a system change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edit {
    /// The record must be visible to the actor and editable by them.
    Checked,
    /// The caller decided it (a converted lead's activities move with it, whoever owns them).
    Authorised,
}

/// [`system_change`] inside the caller's transaction: the change's rules, history, events
/// and hooks are those of any update.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn system_change_in<F>(
    tx: &mut Tx,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
    version: Option<i64>,
    now: DateTime<Utc>,
    edit: Edit,
    change: F,
) -> AppResult<()>
where
    F: FnOnce(&mut Values, DateTime<Utc>) -> AppResult<Vec<&'static str>>,
{
    let fields = actor_fields_tx(tx, actor, kind).await?;
    let current = match edit {
        Edit::Checked => {
            let current = visible_record(tx, actor, &fields, id).await?;
            actor.require(kind, Action::Edit)?;
            current
        }
        Edit::Authorised => repo::get(
            tx,
            fields.spec,
            &fields.custom_defs(),
            actor.tenant_id(),
            id,
        )
        .await?
        .ok_or(AppError::NotFound)?,
    };
    if version.is_some_and(|v| v != current.version) {
        return Err(AppError::Conflict);
    }
    let mut values = current.values.clone();
    let given = change(&mut values, now)?;
    let change = Change {
        values,
        given: &given,
        errors: FieldErrors::new(),
        rows: &crate::children::ChildInput::default(),
        authorised: edit == Edit::Authorised,
    };
    write_change(tx, actor, &fields, &current, change, now).await
}
