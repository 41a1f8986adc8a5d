//! The rules objects declare on their specs (`domain::rules::Rule`), run by the record
//! engine before and after a save: stages and win rates, activity status and links, "last
//! contacted" and "last deal" dates, and the account 360° stream. The engine matches on the
//! rule, never on the object; the pure part of each rule is in `domain::rules`.

use crate::{Actor, AppResult};
use chrono::{DateTime, Utc};
use domain::fields::FieldValue;
use domain::permissions::ObjectKind;
use domain::rules::{Rule, CONTACT_KINDS};
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
    meta.check_required(actor, kind, values, errors);
    for rule in crate::records::spec(kind)?.rules {
        match *rule {
            Rule::StageSet => {
                crate::stages::map_on_type_change(tx, tenant, kind, before, given, values, &meta)
                    .await?;
                stage_set(actor, &meta, before, given, values, errors, now)
            }
            Rule::StageGate => {
                crate::stages::check_gate(tx, actor, record_id, before, values, &meta, errors)
                    .await?
            }
            Rule::CloseReview => {
                crate::closing::check(actor, before, given, values, &meta, errors)?
            }
            Rule::ContactOfAccount => contact_of_account(tx, tenant, values, errors).await?,
            Rule::ActivityTiming => {
                activity_timing(tx, tenant, before, given, values, errors, now).await?
            }
            Rule::NotItsOwn(field) => {
                if record_id.is_some() && id(values, field) == record_id {
                    errors.add(field, "invalid_reference");
                }
            }
            Rule::LeadStatus => lead_status(kind, before, given, values, errors)?,
            Rule::Qualification => crate::follow_up::qualification(values),
            Rule::FollowUp => crate::follow_up::before_save(kind, &meta, before, values, now),
            Rule::AccountStream
            | Rule::LastDeal
            | Rule::LastContacted
            | Rule::Reminders
            | Rule::Assignment => {}
        }
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
    let saved = Saved {
        actor,
        kind,
        record_id,
        before,
        values,
        changed,
        now,
    };
    for rule in crate::records::spec(kind)?.rules {
        match *rule {
            Rule::AccountStream => account_stream(tx, &saved).await?,
            Rule::LastDeal => last_deal(tx, &saved).await?,
            Rule::LastContacted => last_contacted(tx, &saved).await?,
            Rule::Reminders => reminders(tx, &saved).await?,
            Rule::StageGate => {
                crate::stages::record_change(tx, actor, kind, record_id, before, values, now)
                    .await?
            }
            Rule::CloseReview => {
                crate::closing::after_save(tx, actor.tenant_id(), record_id, before, values, now)
                    .await?
            }
            Rule::StageSet
            | Rule::ContactOfAccount
            | Rule::ActivityTiming
            | Rule::NotItsOwn(_)
            | Rule::LeadStatus
            | Rule::Assignment
            | Rule::Qualification
            | Rule::FollowUp => {}
        }
    }
    Ok(())
}

/// The status of a record its object converts (`ObjectSpec::conversion`): converted only by
/// converting it, for good; disqualified only with a reason.
fn lead_status(
    kind: ObjectKind,
    before: Option<&Values>,
    given: &[&str],
    values: &Values,
    errors: &mut FieldErrors,
) -> AppResult<()> {
    let Some(c) = crate::records::spec(kind)?.conversion else {
        return Ok(());
    };
    let change = domain::conversion::StatusChange {
        before: before.and_then(|b| text(b, c.status_field)),
        after: text(values, c.status_field),
        given: given.contains(&c.status_field),
        converted: values.contains_key(c.links.at),
        has_reason: values.contains_key(c.reason_field),
    };
    for (field, code) in c.check_status(change) {
        errors.add(field, code);
    }
    Ok(())
}

/// A save as the rules after it see it.
struct Saved<'a> {
    actor: &'a Actor,
    kind: ObjectKind,
    record_id: Uuid,
    before: Option<&'a Values>,
    values: &'a Values,
    changed: &'a [String],
    now: DateTime<Utc>,
}

fn stage_set(
    actor: &Actor,
    meta: &crate::picklists::RecordMeta,
    before: Option<&Values>,
    given: &[&str],
    values: &mut Values,
    errors: &mut FieldErrors,
    now: DateTime<Utc>,
) {
    let set = meta
        .stage_set
        .clone()
        .unwrap_or_else(domain::picklists::StageSet::standard);
    // A new record of a type with its own set starts at that set's first stage.
    if before.is_none() && !given.contains(&"stage") {
        if let Some(first) = set.first() {
            values.insert("stage".into(), FieldValue::Text(first.into()));
        }
    }
    let stage = text(values, "stage").unwrap_or_default().to_string();
    let stage_changed = before.is_none_or(|b| text(b, "stage") != Some(stage.as_str()));
    let type_changed = before.is_none_or(|b| b.get("record_type") != values.get("record_type"));
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
}

async fn contact_of_account(
    tx: &mut Tx,
    tenant: Uuid,
    values: &Values,
    errors: &mut FieldErrors,
) -> AppResult<()> {
    if let (Some(contact), Some(account)) = (id(values, "contact_id"), id(values, "account_id")) {
        let contact_spec = crate::records::spec(ObjectKind::Contact)?;
        let contact_account = repo::get(tx, contact_spec, &[], tenant, contact)
            .await?
            .and_then(|c| c.id_of("account_id"));
        if contact_account.is_some_and(|a| a != account) {
            errors.add("contact_id", "contact_not_of_account");
        }
    }
    Ok(())
}

async fn activity_timing(
    tx: &mut Tx,
    tenant: Uuid,
    before: Option<&Values>,
    given: &[&str],
    values: &mut Values,
    errors: &mut FieldErrors,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let activity_kind = text(values, "kind").unwrap_or("note").to_string();
    if before.is_none()
        && domain::rules::starts_now(&activity_kind)
        && !given.contains(&"starts_at")
    {
        values.insert("starts_at".into(), FieldValue::DateTime(now));
    }
    // Not given (or cleared): the rule of its kind and time.
    if !values.contains_key("status") {
        let status = domain::rules::default_status(&activity_kind, time(values, "starts_at"), now);
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
    Ok(())
}

/// The record's entry in its account's stream: what happened, in the shape the stream shows
/// for its object.
async fn account_stream(tx: &mut Tx, saved: &Saved<'_>) -> AppResult<()> {
    let Some(account) = id(saved.values, "account_id") else {
        return Ok(());
    };
    let (values, before) = (saved.values, saved.before);
    let name = text(values, "name").unwrap_or_default().to_string();
    let summary = match saved.kind {
        ObjectKind::Opportunity if before.is_none() => Some(
            serde_json::json!({ "event": "created", "name": name, "stage": text(values, "stage"),
            "amount": values.get("amount").map(crate::records::plain_text), "currency": text(values, "currency") }),
        ),
        ObjectKind::Opportunity => {
            let changes: Vec<serde_json::Value> = saved
                .changed
                .iter()
                .filter(|f| f.as_str() != "updated_at")
                .map(|f| serde_json::json!({
                    "field": f,
                    "old": before.and_then(|b| b.get(f.as_str())).map(crate::records::plain_text),
                    "new": values.get(f.as_str()).map(crate::records::plain_text),
                }))
                .collect();
            (!changes.is_empty())
                .then(|| serde_json::json!({ "event": "changed", "name": name, "changes": changes }))
        }
        ObjectKind::Activity => {
            let status = text(values, "status").unwrap_or("open");
            let done_now =
                status == "done" && before.is_none_or(|b| text(b, "status") != Some("done"));
            // An activity joining the account (a converted lead's, moved with it) enters its
            // stream as if logged there.
            let joined = before.is_some_and(|b| id(b, "account_id") != Some(account));
            let event = if before.is_none() || joined {
                Some("logged")
            } else if saved.changed.iter().any(|f| f == "checkin_at") {
                Some("checked_in")
            } else if done_now {
                Some("completed")
            } else {
                None
            };
            event.map(|event| {
                serde_json::json!({ "event": event, "name": name, "kind": text(values, "kind").unwrap_or("note"),
                    "status": status, "checkin": values.contains_key("checkin_at") })
            })
        }
        ObjectKind::Contact => before.is_none().then(
            || serde_json::json!({ "event": "created", "name": name, "title": text(values, "title") }),
        ),
        // Their own changes are the stream's owner's (`ObjectSpec::own_changes_in_stream`).
        ObjectKind::Account | ObjectKind::Lead | ObjectKind::Org => None,
    };
    let Some(summary) = summary else {
        return Ok(());
    };
    let entry = NewEntry {
        account_id: account,
        at: saved.now,
        kind: saved.kind.key(),
        object: saved.kind,
        record_id: saved.record_id,
        actor_id: saved.actor.id(),
        summary,
    };
    timeline::add(tx, saved.actor.tenant_id(), &entry).await?;
    Ok(())
}

async fn last_deal(tx: &mut Tx, saved: &Saved<'_>) -> AppResult<()> {
    let tenant = saved.actor.tenant_id();
    let (values, before) = (saved.values, saved.before);
    let Some(account) = id(values, "account_id") else {
        return Ok(());
    };
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
    Ok(())
}

async fn last_contacted(tx: &mut Tx, saved: &Saved<'_>) -> AppResult<()> {
    let (values, before) = (saved.values, saved.before);
    let activity_kind = text(values, "kind").unwrap_or("note");
    let done_now = text(values, "status") == Some("done")
        && before.is_none_or(|b| text(b, "status") != Some("done"));
    if !done_now || !CONTACT_KINDS.contains(&activity_kind) {
        return Ok(());
    }
    let at = domain::rules::contacted_at(time(values, "starts_at"), saved.now);
    // What the activity is about: every standard lookup of it to an object that keeps a
    // "last contacted" time.
    let spec = crate::records::spec(saved.kind)?;
    for field in &spec.fields {
        let Some(target) = field
            .lookup_object
            .as_deref()
            .and_then(ObjectKind::parse)
            .and_then(domain::objects::spec)
        else {
            continue;
        };
        if target.field("last_contacted_at").is_none() {
            continue;
        }
        if let Some(record) = id(values, &field.key) {
            let tenant = saved.actor.tenant_id();
            let at = Param::Time(at);
            repo::bump_date(tx, target.plural, "last_contacted_at", tenant, record, at).await?;
            if target.rules.contains(&Rule::FollowUp) {
                crate::follow_up::refresh(tx, tenant, target.kind, record, saved.now).await?;
            }
        }
    }
    Ok(())
}

/// A new or moved reminder gets a run of the reminders at its time (the schedule every
/// minute is the backstop for reminders written by other means).
async fn reminders(tx: &mut Tx, saved: &Saved<'_>) -> AppResult<()> {
    let (values, before) = (saved.values, saved.before);
    let status = text(values, "status").unwrap_or("open");
    if let Some(at) = time(values, "remind_at") {
        if status == "open" && before.is_none_or(|b| time(b, "remind_at") != Some(at)) {
            let tenant = saved.actor.tenant_id();
            crate::notifications::fire_reminders_at(tx, tenant, at.max(saved.now), saved.now)
                .await?;
        }
    }
    Ok(())
}
