//! The rules particular to one object, run by the generic record use cases before and after
//! a save: opportunity stages and win rates, activity status and links, "last contacted"
//! and "last deal" dates, and the account 360° stream.

use crate::{Actor, AppResult};
use chrono::{DateTime, Utc};
use domain::fields::FieldValue;
use domain::permissions::ObjectKind;
use domain::FieldErrors;
use rust_decimal::Decimal;
use store::records::{self as repo, Values};
use store::timeline::{self, NewEntry};
use store::{Param, Tx};
use uuid::Uuid;

fn text<'a>(values: &'a Values, key: &str) -> Option<&'a str> {
    match values.get(key) {
        Some(FieldValue::Text(s)) => Some(s),
        _ => None,
    }
}

fn id(values: &Values, key: &str) -> Option<Uuid> {
    match values.get(key) {
        Some(FieldValue::Id(id)) => Some(*id),
        _ => None,
    }
}

fn time(values: &Values, key: &str) -> Option<DateTime<Utc>> {
    match values.get(key) {
        Some(FieldValue::DateTime(t)) => Some(*t),
        _ => None,
    }
}

/// Whether an opportunity's stage is a won stage of its set.
async fn won(tx: &mut Tx, tenant: Uuid, values: &Values) -> AppResult<bool> {
    let meta =
        crate::picklists::RecordMeta::load(tx, tenant, ObjectKind::Opportunity, values).await?;
    let set = meta
        .stage_set
        .unwrap_or_else(domain::picklists::StageSet::standard);
    let closed = text(values, "stage")
        .and_then(|s| set.stage(s))
        .and_then(|s| s.closed);
    Ok(closed == Some(domain::picklists::Closed::Won))
}

/// Activity kinds that count as contacting the customer.
const CONTACT_KINDS: [&str; 3] = ["call", "visit", "meeting"];

/// Adjusts and checks values before they are written. `before` is `None` on create; `given`
/// names the fields the user submitted.
#[allow(clippy::too_many_arguments)]
pub async fn before_save(
    tx: &mut Tx,
    actor: &Actor,
    kind: ObjectKind,
    record_id: Option<Uuid>,
    before: Option<&Values>,
    given: &[&str],
    values: &mut Values,
    errors: &mut FieldErrors,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let tenant = actor.tenant_id();
    // The record's type and stage set, loaded once for the write.
    let meta = crate::picklists::RecordMeta::load(tx, tenant, kind, values).await?;
    meta.check_required(values, errors);
    match kind {
        ObjectKind::Opportunity => {
            let set = meta
                .stage_set
                .unwrap_or_else(domain::picklists::StageSet::standard);
            // A new record of a type with its own set starts at that set's first stage.
            if before.is_none() && !given.contains(&"stage") {
                if let Some(first) = set.first() {
                    values.insert("stage".into(), FieldValue::Text(first.into()));
                }
            }
            let stage = text(values, "stage").unwrap_or_default().to_string();
            let stage_changed = before.is_none_or(|b| text(b, "stage") != Some(stage.as_str()));
            let type_changed =
                before.is_none_or(|b| b.get("record_type") != values.get("record_type"));
            let unknown = set.stage(&stage).is_none() && errors.for_field("stage").is_none();
            if (stage_changed || type_changed) && unknown {
                errors.add("stage", "invalid_choice");
            }
            if stage_changed && !given.contains(&"win_rate") {
                if let Some(rate) = set.win_rate(&stage) {
                    values.insert("win_rate".into(), FieldValue::Decimal(Decimal::from(rate)));
                }
            }
            if set.is_closed(&stage) {
                if stage_changed || !values.contains_key("closed_on") {
                    let today = domain::time::local_day(now, actor.time_zone());
                    values.insert("closed_on".into(), FieldValue::Date(today));
                }
            } else {
                values.remove("closed_on");
            }
            if let (Some(contact), Some(account)) =
                (id(values, "contact_id"), id(values, "account_id"))
            {
                let contact_spec = crate::records::spec(ObjectKind::Contact)?;
                let contact_account = repo::get(tx, contact_spec, &[], tenant, contact)
                    .await?
                    .and_then(|c| c.id_of("account_id"));
                if contact_account.is_some_and(|a| a != account) {
                    errors.add("contact_id", "contact_not_of_account");
                }
            }
        }
        ObjectKind::Activity => {
            let activity_kind = text(values, "kind").unwrap_or("note").to_string();
            if before.is_none() && activity_kind != "task" && !given.contains(&"starts_at") {
                values.insert("starts_at".into(), FieldValue::DateTime(now));
            }
            // Not given (or cleared): tasks and planned visits, calls and meetings are open;
            // one that has happened is done.
            if !values.contains_key("status") {
                let planned = time(values, "starts_at").is_some_and(|t| t > now);
                let status = if activity_kind == "task" || planned {
                    "open"
                } else {
                    "done"
                };
                values.insert("status".into(), FieldValue::Text(status.into()));
            }
            // Fill the account from the contact or opportunity the activity is about.
            if id(values, "account_id").is_none() {
                for (key, object) in [
                    ("opportunity_id", ObjectKind::Opportunity),
                    ("contact_id", ObjectKind::Contact),
                ] {
                    if let Some(linked) = id(values, key) {
                        let spec = crate::records::spec(object)?;
                        if let Some(account) = repo::get(tx, spec, &[], tenant, linked)
                            .await?
                            .and_then(|r| r.id_of("account_id"))
                        {
                            values.insert("account_id".into(), FieldValue::Id(account));
                            break;
                        }
                    }
                }
            }
            if let (Some(start), Some(end)) = (time(values, "starts_at"), time(values, "ends_at")) {
                if end < start {
                    errors.add("ends_at", "ends_before_start");
                }
            }
            let done = text(values, "status") == Some("done");
            let was_done = before.is_some_and(|b| text(b, "status") == Some("done"));
            if done && !was_done {
                values.insert("completed_at".into(), FieldValue::DateTime(now));
            } else if !done {
                values.remove("completed_at");
            }
        }
        ObjectKind::Contact if record_id.is_some() && id(values, "reports_to_id") == record_id => {
            errors.add("reports_to_id", "invalid_reference");
        }
        _ => {}
    }
    Ok(())
}

/// Keeps derived data current after a save: the account stream and the "last" dates.
#[allow(clippy::too_many_arguments)]
pub async fn after_save(
    tx: &mut Tx,
    actor: &Actor,
    kind: ObjectKind,
    record_id: Uuid,
    before: Option<&Values>,
    values: &Values,
    changed: &[String],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let tenant = actor.tenant_id();
    let name = text(values, "name").unwrap_or_default().to_string();
    let entry = |account_id, kind: &'static str, summary| NewEntry {
        account_id,
        at: now,
        kind,
        object: kind_object(kind),
        record_id,
        actor_id: actor.id(),
        summary,
    };
    match kind {
        ObjectKind::Opportunity => {
            let Some(account) = id(values, "account_id") else {
                return Ok(());
            };
            let summary = if before.is_none() {
                serde_json::json!({ "event": "created", "name": name, "stage": text(values, "stage"),
                    "amount": values.get("amount").map(crate::records::plain_text), "currency": text(values, "currency") })
            } else {
                let tracked: Vec<&String> = changed
                    .iter()
                    .filter(|f| f.as_str() != "updated_at")
                    .collect();
                if tracked.is_empty() {
                    return Ok(());
                }
                let changes: Vec<serde_json::Value> = tracked
                    .iter()
                    .map(|f| serde_json::json!({
                        "field": f,
                        "old": before.and_then(|b| b.get(f.as_str())).map(crate::records::plain_text),
                        "new": values.get(f.as_str()).map(crate::records::plain_text),
                    }))
                    .collect();
                serde_json::json!({ "event": "changed", "name": name, "changes": changes })
            };
            timeline::add(tx, tenant, &entry(account, "opportunity", summary)).await?;
            let stage = text(values, "stage");
            if before.is_none_or(|b| text(b, "stage") != stage) && won(tx, tenant, values).await? {
                if let Some(FieldValue::Date(day)) = values.get("closed_on") {
                    repo::bump_date(
                        tx,
                        "accounts",
                        "last_deal_at",
                        tenant,
                        account,
                        Param::Text(day.format("%Y-%m-%d").to_string()),
                    )
                    .await?;
                }
            }
        }
        ObjectKind::Activity => {
            let activity_kind = text(values, "kind").unwrap_or("note");
            let status = text(values, "status").unwrap_or("open");
            let done_now =
                status == "done" && before.is_none_or(|b| text(b, "status") != Some("done"));
            // A new or moved reminder gets a run of the reminders at its time (the schedule
            // every minute is the backstop for reminders written by other means).
            if let Some(at) = time(values, "remind_at") {
                if status == "open" && before.is_none_or(|b| time(b, "remind_at") != Some(at)) {
                    crate::notifications::fire_reminders_at(tx, tenant, at.max(now), now).await?;
                }
            }
            if let Some(account) = id(values, "account_id") {
                let event = if before.is_none() {
                    Some("logged")
                } else if changed.iter().any(|f| f == "checkin_at") {
                    Some("checked_in")
                } else if done_now {
                    Some("completed")
                } else {
                    None
                };
                if let Some(event) = event {
                    let summary = serde_json::json!({ "event": event, "name": name, "kind": activity_kind, "status": status,
                        "checkin": values.contains_key("checkin_at") });
                    timeline::add(tx, tenant, &entry(account, "activity", summary)).await?;
                }
            }
            if done_now && CONTACT_KINDS.contains(&activity_kind) {
                let at = time(values, "starts_at")
                    .filter(|t| *t <= now)
                    .unwrap_or(now);
                for (key, table) in [
                    ("account_id", "accounts"),
                    ("contact_id", "contacts"),
                    ("lead_id", "leads"),
                ] {
                    if let Some(target) = id(values, key) {
                        repo::bump_date(
                            tx,
                            table,
                            "last_contacted_at",
                            tenant,
                            target,
                            Param::Time(at),
                        )
                        .await?;
                    }
                }
            }
        }
        ObjectKind::Contact if before.is_none() => {
            if let Some(account) = id(values, "account_id") {
                let summary = serde_json::json!({ "event": "created", "name": name, "title": text(values, "title") });
                timeline::add(tx, tenant, &entry(account, "contact", summary)).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn kind_object(kind: &str) -> ObjectKind {
    match kind {
        "opportunity" => ObjectKind::Opportunity,
        "activity" => ObjectKind::Activity,
        "contact" => ObjectKind::Contact,
        _ => ObjectKind::Account,
    }
}
