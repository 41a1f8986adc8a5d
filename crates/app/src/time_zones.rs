//! Users' time zones: each user reads every time, and "today", in their own zone (a setting
//! on the settings page and on the user's record; Asia/Shanghai until chosen).

use crate::{Actor, App, AppError, AppResult};
use domain::permissions::{Action, ObjectKind};
use store::audit::{self, AuditEvent};
use uuid::Uuid;

/// Sets the time zone of `user_id`: an IANA name such as `Europe/Berlin`, or empty for the
/// default. Users set their own; administrators anyone's.
pub async fn set_time_zone(app: &App, actor: &Actor, user_id: Uuid, name: &str) -> AppResult<()> {
    let name = name.trim();
    let zone = if name.is_empty() {
        None
    } else {
        Some(
            domain::time::parse_zone(name)
                .ok_or_else(|| AppError::field("time_zone", "invalid_time_zone"))?,
        )
    };
    if user_id != actor.id() {
        actor.require(ObjectKind::Org, Action::Administer)?;
    }
    let mut tx = app.db.begin().await?;
    store::org::get_user(&mut tx, actor.tenant_id(), user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::org::set_time_zone(&mut tx, actor.tenant_id(), user_id, zone.map(|z| z.name())).await?;
    audit::record(
        &mut tx,
        AuditEvent {
            tenant_id: actor.tenant_id(),
            actor_id: Some(actor.id()),
            action: "set_time_zone",
            object: "user",
            record_id: Some(user_id),
            detail: serde_json::json!({ "time_zone": zone.map(|z| z.name()) }),
            at: app.now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
