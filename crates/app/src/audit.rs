//! The audit of administration: who changed a user, a role, a department, a field, a view
//! shared with the company, a setting or an API token, when, and what changed (old → new).
//! Every use case writes its row through [`record`] in the change's own transaction, with
//! the time from the clock, so a rolled-back change leaves none. Administrators read the log
//! newest first with filters ([`list`]).

use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Utc};
use domain::permissions::{Action, ObjectKind};
use domain::validation::FieldErrors;
use serde_json::{json, Value};
use store::audit::{AuditEntry, AuditEvent, AuditFilter};
use store::Tx;
use uuid::Uuid;

/// The areas of administration the log shows, as stored in `audit_log.object`.
pub const AREAS: [&str; 9] = [
    "user",
    "role",
    "department",
    "field",
    "view",
    "setting",
    "api_token",
    "tenant",
    "export",
];

/// The actions written for those areas.
pub const ACTIONS: [&str; 21] = [
    "create",
    "update",
    "rename",
    "move",
    "delete",
    "deactivate",
    "activate",
    "login",
    "login_failed",
    "change_password",
    "reset_password",
    "set_time_zone",
    "create_token",
    "revoke_token",
    "add_field",
    "update_field",
    "field_access",
    "share",
    "changed",
    "create_company",
    "export",
];

/// A page of the log; the API and the page show at most this many rows at once.
pub const PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

/// Writes one audit row inside the change's transaction. `actor_id` is `None` for the
/// command line, which acts as the system.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    tx: &mut Tx,
    tenant_id: Uuid,
    actor_id: Option<Uuid>,
    now: DateTime<Utc>,
    object: &str,
    action: &str,
    record_id: Option<Uuid>,
    detail: Value,
) -> AppResult<()> {
    store::audit::record(
        tx,
        AuditEvent {
            tenant_id,
            actor_id,
            action,
            object,
            record_id,
            detail,
            at: now,
        },
    )
    .await?;
    Ok(())
}

/// Writes one audit row for a change `actor` made.
pub async fn by(
    tx: &mut Tx,
    actor: &Actor,
    now: DateTime<Utc>,
    object: &str,
    action: &str,
    record_id: Option<Uuid>,
    detail: Value,
) -> AppResult<()> {
    record(
        tx,
        actor.tenant_id(),
        Some(actor.id()),
        now,
        object,
        action,
        record_id,
        detail,
    )
    .await
}

/// The changes between two states as `[{field, old, new}]`, keeping only the fields whose
/// value differs. Values are what a reader recognises (names, not ids).
pub fn changes(pairs: &[(&str, Value, Value)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .filter(|(_, old, new)| old != new)
            .map(|(field, old, new)| json!({ "field": field, "old": old, "new": new }))
            .collect(),
    )
}

/// Audits a change of a company setting (`key`, e.g. `smtp`), old → new, in the change's
/// transaction. Secrets are the caller's to leave out of `old` and `new`.
pub async fn setting_changed(
    tx: &mut Tx,
    actor: &Actor,
    now: DateTime<Utc>,
    key: &str,
    old: Value,
    new: Value,
) -> AppResult<()> {
    by(
        tx,
        actor,
        now,
        "setting",
        "changed",
        None,
        json!({ "name": key, "changes": changes(&[(key, old, new)]) }),
    )
    .await
}

/// What the log is narrowed to, as submitted (query parameters of the page and the API).
#[derive(Debug, Clone, Default)]
pub struct FilterInput {
    pub actor: Option<String>,
    pub object: Option<String>,
    pub action: Option<String>,
    /// A date (`YYYY-MM-DD`) in the reader's time zone, inclusive.
    pub from: Option<String>,
    /// A date in the reader's time zone, inclusive (up to the end of that day).
    pub to: Option<String>,
}

fn blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Checks the filters; a value that is not one of the choices is a field error.
pub fn parse_filter(actor: &Actor, input: &FilterInput) -> AppResult<AuditFilter> {
    let mut errors = FieldErrors::new();
    let mut filter = AuditFilter::default();
    if let Some(id) = blank(&input.actor) {
        match Uuid::parse_str(id) {
            Ok(id) => filter.actor_id = Some(id),
            Err(_) => errors.add("actor", "invalid_reference"),
        }
    }
    match blank(&input.object) {
        Some(object) if AREAS.contains(&object) => filter.objects = vec![object.to_string()],
        Some(_) => errors.add("object", "invalid_choice"),
        None => filter.objects = AREAS.iter().map(|a| a.to_string()).collect(),
    }
    if let Some(action) = blank(&input.action) {
        if ACTIONS.contains(&action) {
            filter.action = Some(action.to_string());
        } else {
            errors.add("action", "invalid_choice");
        }
    }
    let zone = actor.time_zone();
    let date = |value: &str| chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok();
    if let Some(from) = blank(&input.from) {
        match date(from) {
            Some(day) => filter.from = Some(domain::time::day_start(day, zone)),
            None => errors.add("from", "invalid_date"),
        }
    }
    if let Some(to) = blank(&input.to) {
        match date(to).and_then(|d| d.succ_opt()) {
            Some(next) => filter.to = Some(domain::time::day_start(next, zone)),
            None => errors.add("to", "invalid_date"),
        }
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if to <= from {
            errors.add("to", "ends_before_start");
        }
    }
    errors.into_result()?;
    Ok(filter)
}

/// One page of the log and where the next one starts.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub next: Option<String>,
}

/// A cursor: the last row's time (microseconds since the epoch) and id, opaque to callers.
fn encode_cursor(entry: &AuditEntry) -> String {
    format!("{}_{}", entry.at.timestamp_micros(), entry.id.simple())
}

fn decode_cursor(cursor: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (micros, id) = cursor.split_once('_')?;
    let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
    Some((at, Uuid::try_parse(id).ok()?))
}

/// The company's audit log, newest first, for administrators only.
pub async fn list(
    app: &App,
    actor: &Actor,
    input: &FilterInput,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<AuditPage> {
    actor.require(ObjectKind::Org, Action::Administer)?;
    let filter = parse_filter(actor, input)?;
    let after = match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => {
            Some(decode_cursor(c).ok_or_else(|| AppError::field("cursor", "invalid_cursor"))?)
        }
    };
    if !(1..=MAX_PAGE).contains(&limit) {
        let mut errors = FieldErrors::new();
        errors.add_limit("limit", "above_max", MAX_PAGE);
        return Err(AppError::Validation(errors));
    }
    let mut tx = app.db.begin_read().await?;
    let mut items =
        store::audit::list(&mut tx, actor.tenant_id(), &filter, after, limit + 1).await?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(encode_cursor)
    } else {
        None
    };
    Ok(AuditPage { items, next })
}
