//! The sales process on a deal (`domain::rules::Rule::StageGate`, run by the record engine on
//! every save, whatever the path — form, PATCH, the stage endpoint, a board drop): a forward
//! move needs the gate of the stage being left (its required fields and ticked checklist)
//! unless the role may skip it, and the skip is recorded; every stage change is kept
//! (`stage_entries`) in the save's transaction, giving the time spent in each stage and the
//! due-soon/overdue warnings the scheduler sends ([`StageWarnings`]). Also: a deal's stage
//! mapped onto its new business type's set, the checklist ticked per deal and stage, the
//! stage endpoint, and the stage path the record page shows.

use crate::jobs::{BoxFuture, JobContext, JobHandler, Schedule};
use crate::notifications::{notify, About, Kind};
use crate::picklists::RecordMeta;
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Duration, Utc};
use domain::fields::FieldValue;
use domain::permissions::{Action, ObjectKind};
use domain::picklists::{Stage, StageSet};
use domain::stages::{self as rules, Unmet, Warning};
use domain::FieldErrors;
use serde_json::{json, Value};
use store::records::Values;
use store::Tx;
use uuid::Uuid;

fn text<'a>(values: &'a Values, key: &str) -> Option<&'a str> {
    match values.get(key) {
        Some(FieldValue::Text(s)) => Some(s),
        _ => None,
    }
}

fn has_value(values: &Values, key: &str) -> bool {
    match values.get(key) {
        None => false,
        Some(FieldValue::Text(s)) => !s.trim().is_empty(),
        Some(FieldValue::Choices(c)) => !c.is_empty(),
        Some(_) => true,
    }
}

fn set_of(meta: &RecordMeta) -> StageSet {
    meta.stage_set.clone().unwrap_or_else(StageSet::standard)
}

/// The checklist items ticked for a deal's stage.
async fn ticked(tx: &mut Tx, tenant: Uuid, id: Uuid, stage: &str) -> AppResult<Vec<String>> {
    Ok(store::stages::checklist(tx, tenant, id)
        .await?
        .into_iter()
        .filter(|t| t.stage == stage)
        .map(|t| t.item)
        .collect())
}

/// What leaving `from` for `to` still lacks (nothing unless the move goes forward within
/// one set).
async fn unmet_for_move(
    tx: &mut Tx,
    tenant: Uuid,
    id: Uuid,
    set: &StageSet,
    from: &str,
    to: &str,
    values: &Values,
) -> AppResult<Unmet> {
    let Some(stage) = set.stage(from) else {
        return Ok(Unmet::default());
    };
    if !rules::is_forward(set, from, to) {
        return Ok(Unmet::default());
    }
    let checked = ticked(tx, tenant, id, from).await?;
    Ok(rules::unmet(stage, |f| has_value(values, f), &checked))
}

/// Adds the unmet items as field errors: `required_for_stage` on each empty field,
/// `checklist_unticked` on `checklist.<item>`.
pub fn add_errors(unmet: &Unmet, errors: &mut FieldErrors) {
    for field in &unmet.fields {
        if errors.for_field(field).is_none() {
            errors.add(field, "required_for_stage");
        }
    }
    for item in &unmet.items {
        errors.add(&format!("checklist.{}", item.key), "checklist_unticked");
    }
}

/// Before a save: a deal whose business type changed takes the stage its old one maps to in
/// the new set (unless a stage is given with the change).
pub async fn map_on_type_change(
    tx: &mut Tx,
    tenant: Uuid,
    kind: ObjectKind,
    before: Option<&Values>,
    given: &[&str],
    values: &mut Values,
    meta: &RecordMeta,
) -> AppResult<()> {
    let Some(before) = before else { return Ok(()) };
    if before.get("record_type") == values.get("record_type") || given.contains(&"stage") {
        return Ok(());
    }
    let new_set = set_of(meta);
    let old = text(values, "stage").unwrap_or_default().to_string();
    if new_set.stage(&old).is_some() {
        return Ok(());
    }
    let old_meta = RecordMeta::load(tx, tenant, kind, before).await?;
    if let Some(mapped) = rules::map_stage(old_meta.stage_set.as_ref(), &old, &new_set) {
        values.insert("stage".into(), FieldValue::Text(mapped));
    }
    Ok(())
}

/// Before a save: refuses a forward move whose gate is unmet, unless the actor may skip.
#[allow(clippy::too_many_arguments)]
pub async fn check_gate(
    tx: &mut Tx,
    actor: &Actor,
    record_id: Option<Uuid>,
    before: Option<&Values>,
    values: &Values,
    meta: &RecordMeta,
    errors: &mut FieldErrors,
) -> AppResult<()> {
    let (Some(id), Some(before)) = (record_id, before) else {
        return Ok(());
    };
    if before.get("record_type") != values.get("record_type") {
        return Ok(());
    }
    let (from, to) = (
        text(before, "stage").unwrap_or_default(),
        text(values, "stage").unwrap_or_default(),
    );
    if from == to {
        return Ok(());
    }
    let set = set_of(meta);
    let unmet = unmet_for_move(tx, actor.tenant_id(), id, &set, from, to, values).await?;
    if !unmet.is_empty()
        && !actor
            .principal
            .can(ObjectKind::Opportunity, Action::SkipGate)
    {
        add_errors(&unmet, errors);
    }
    Ok(())
}

fn unmet_json(unmet: &Unmet) -> Value {
    json!({
        "fields": unmet.fields,
        "items": unmet.items.iter().map(|i| json!({ "key": i.key, "zh": i.zh, "en": i.en })).collect::<Vec<_>>(),
    })
}

/// After a save: a new stage (or a new deal) is entered, with the time it is due; a move
/// past an unmet gate (by a role that may skip) is recorded on the entry and as an event.
#[allow(clippy::too_many_arguments)]
pub async fn record_change(
    tx: &mut Tx,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
    before: Option<&Values>,
    values: &Values,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let to = text(values, "stage").unwrap_or_default();
    let from = before.and_then(|b| text(b, "stage"));
    if from == Some(to) {
        return Ok(());
    }
    let tenant = actor.tenant_id();
    let meta = RecordMeta::load(tx, tenant, kind, values).await?;
    let set = set_of(&meta);
    let same_type = before.is_some_and(|b| b.get("record_type") == values.get("record_type"));
    let unmet = match (from, same_type) {
        (Some(from), true) => unmet_for_move(tx, tenant, id, &set, from, to, values).await?,
        _ => Unmet::default(),
    };
    let skipped = (!unmet.is_empty()).then(|| unmet_json(&unmet));
    let days = set.stage(to).and_then(|s| s.gate.duration_days);
    let times = days.map(|d| rules::due_times(now, d));
    store::stages::enter(
        tx,
        tenant,
        &store::stages::NewEntry {
            opportunity_id: id,
            stage: to,
            from_stage: from,
            at: now,
            by: actor.id(),
            soon_at: times.map(|t| t.0),
            due_at: times.map(|t| t.1),
            skipped: skipped.clone(),
        },
    )
    .await?;
    if let Some(skipped) = skipped {
        let owner = match values.get("owner_id") {
            Some(FieldValue::Id(o)) => Some(*o),
            _ => None,
        };
        let subject = crate::events::Subject {
            object: kind,
            id,
            owner_id: owner,
            name: text(values, "name").unwrap_or_default(),
        };
        let detail = json!({ "from": from, "to": to, "unmet": skipped });
        crate::events::action(tx, actor, now, subject, "stage_gate_skipped", &detail).await?;
    }
    Ok(())
}

/// Moves a deal to `stage` (`POST /opportunities/{id}/stage`, a board drop): the record
/// engine's update of the one field, so the same gate applies. `version` (`If-Match`) is
/// optional here: without it the current version is taken, and a concurrent save still
/// answers 409.
pub async fn move_stage(
    app: &App,
    actor: &Actor,
    id: Uuid,
    stage: &str,
    version: Option<i64>,
) -> AppResult<()> {
    let version = match version {
        Some(v) => v,
        None => {
            crate::records::get(app, actor, ObjectKind::Opportunity, id)
                .await?
                .record
                .version
        }
    };
    let input = vec![("stage".to_string(), vec![stage.to_string()])];
    crate::records::update(app, actor, ObjectKind::Opportunity, id, version, &input).await
}

/// The deal as the actor may see it, and its type and stage set.
pub(crate) async fn deal(
    tx: &mut Tx,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(store::records::Record, RecordMeta)> {
    let fields = crate::records::actor_fields_tx(tx, actor, ObjectKind::Opportunity).await?;
    let custom = fields.custom_defs();
    let record = store::records::get_visible(tx, &actor.principal, fields.spec, &custom, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let meta = RecordMeta::load(
        tx,
        actor.tenant_id(),
        ObjectKind::Opportunity,
        &record.values,
    )
    .await?;
    Ok((record, meta))
}

/// Ticks or unticks a checklist item of a stage of the deal's set (whoever may edit the
/// deal), with an event; answers the deal's checklist.
pub async fn set_item(
    app: &App,
    actor: &Actor,
    id: Uuid,
    stage: &str,
    item: &str,
    checked: bool,
) -> AppResult<Vec<store::stages::Ticked>> {
    let mut tx = app.db.begin().await?;
    let (record, meta) = deal(&mut tx, actor, id).await?;
    actor.require(ObjectKind::Opportunity, Action::Edit)?;
    crate::sharing::require(&mut tx, actor, ObjectKind::Opportunity, id, Action::Edit).await?;
    let set = set_of(&meta);
    let Some(found) = set.stage(stage) else {
        let mut errors = FieldErrors::new();
        errors.add("stage", "invalid_choice");
        return Err(AppError::Validation(errors));
    };
    if !found.gate.checklist.iter().any(|i| i.key == item) {
        return Err(AppError::NotFound);
    }
    let now = app.now();
    let tenant = actor.tenant_id();
    let change = checked.then_some((actor.id(), now));
    if store::stages::set_checked(&mut tx, tenant, id, stage, item, change).await? {
        let subject = crate::events::Subject {
            object: ObjectKind::Opportunity,
            id,
            owner_id: Some(record.owner_id),
            name: record.name(),
        };
        let name = if checked {
            "checklist_checked"
        } else {
            "checklist_unchecked"
        };
        let detail = json!({ "stage": stage, "item": item });
        crate::events::action(&mut tx, actor, now, subject, name, &detail).await?;
    }
    let list = store::stages::checklist(&mut tx, tenant, id).await?;
    tx.commit().await?;
    Ok(list)
}

/// One stage on a deal's path.
#[derive(Debug, Clone)]
pub struct PathStage {
    pub stage: Stage,
    pub current: bool,
    /// Before the current stage in the set.
    pub passed: bool,
    /// Time spent in it over every entry (to now for the current one).
    pub spent: Duration,
}

/// What the stage path shows for a deal.
#[derive(Debug, Clone)]
pub struct Path {
    pub set: StageSet,
    pub stages: Vec<PathStage>,
    pub current: Option<Stage>,
    pub entered_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub warning: Option<Warning>,
    /// The current stage's checklist with who ticked each item and when.
    pub checklist: Vec<(domain::stages::ChecklistItem, Option<store::stages::Ticked>)>,
    /// What a move forward from the current stage still lacks.
    pub unmet: Unmet,
    pub history: Vec<store::stages::Entry>,
    pub win_rate: Option<rust_decimal::Decimal>,
    pub amount_minor: Option<i64>,
    pub weighted_minor: Option<i64>,
    pub currency: String,
    pub can_skip: bool,
    /// Open, suspended, won, lost or terminated (`domain::closing`).
    pub status: domain::closing::Status,
    /// The reason of a suspension or termination, and the resume date of a suspension.
    pub status_reason: Option<String>,
    pub resume_on: Option<chrono::NaiveDate>,
}

/// The deal's stage path (anyone who sees the deal).
pub async fn path(app: &App, actor: &Actor, id: Uuid) -> AppResult<Path> {
    let mut tx = app.db.begin_read().await?;
    let (record, meta) = deal(&mut tx, actor, id).await?;
    let tenant = actor.tenant_id();
    let set = set_of(&meta);
    let now = app.now();
    let history = store::stages::entries(&mut tx, tenant, id, 200).await?;
    let ticks = store::stages::checklist(&mut tx, tenant, id).await?;
    let current_key = record.text("stage").unwrap_or_default().to_string();
    let position = set.stages.iter().position(|s| s.key == current_key);
    let stages = set
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| PathStage {
            stage: s.clone(),
            current: Some(i) == position,
            passed: position.is_some_and(|p| i < p),
            spent: history
                .iter()
                .filter(|e| e.stage == s.key)
                .map(|e| e.left_at.unwrap_or(now) - e.entered_at)
                .fold(Duration::zero(), |a, b| a + b),
        })
        .collect();
    let current = set.stage(&current_key).cloned();
    let open = history.iter().rev().find(|e| e.left_at.is_none());
    let entered_at = open.map(|e| e.entered_at);
    let days = current.as_ref().and_then(|s| s.gate.duration_days);
    let status = crate::closing::status_of(&record.values);
    // The clock stops while the deal is on hold: no warning then (the scheduler's either).
    let warning = entered_at
        .filter(|_| status.clock_runs())
        .and_then(|at| rules::warning(at, days, now));
    let due_at = entered_at
        .zip(days)
        .map(|(at, d)| rules::due_times(at, d).1);
    let (checklist, unmet) = match &current {
        Some(stage) => {
            let checked: Vec<String> = ticks
                .iter()
                .filter(|t| t.stage == stage.key)
                .map(|t| t.item.clone())
                .collect();
            let list = stage
                .gate
                .checklist
                .iter()
                .map(|item| {
                    let tick = ticks
                        .iter()
                        .find(|t| t.stage == stage.key && t.item == item.key)
                        .cloned();
                    (item.clone(), tick)
                })
                .collect();
            let unmet = if stage.closed.is_some() {
                Unmet::default()
            } else {
                rules::unmet(stage, |f| has_value(&record.values, f), &checked)
            };
            (list, unmet)
        }
        None => (Vec::new(), Unmet::default()),
    };
    let win_rate = match record.values.get("win_rate") {
        Some(FieldValue::Decimal(d)) => Some(*d),
        _ => None,
    };
    let currency = record.text("currency").unwrap_or("CNY").to_string();
    let exponent = domain::money::exponent(&currency);
    let amount_minor = match record.values.get("amount") {
        Some(FieldValue::Decimal(d)) => domain::money::to_minor_rounded(*d, exponent),
        _ => None,
    };
    let rate = win_rate
        .and_then(|r| rust_decimal::prelude::ToPrimitive::to_u32(&r.round()))
        .unwrap_or(0);
    Ok(Path {
        stages,
        current,
        entered_at,
        due_at,
        warning,
        checklist,
        unmet,
        history,
        win_rate,
        weighted_minor: amount_minor.map(|a| rules::weighted(a, rate)),
        amount_minor,
        currency,
        set,
        can_skip: actor
            .principal
            .can(ObjectKind::Opportunity, Action::SkipGate),
        status,
        status_reason: record.text("status_reason").map(str::to_string),
        resume_on: match record.values.get("resume_on") {
            Some(FieldValue::Date(d)) => Some(*d),
            _ => None,
        },
    })
}

/// Warnings taken per transaction.
const WARNING_BATCH: i64 = 500;

/// Sends each deal's owner a due-soon and an overdue notification for the stage it is in,
/// once per stage entry: the entry is marked in the notification's transaction, so a rerun
/// or another worker never sends one twice, and a deal past due at once gets only the
/// overdue one.
pub struct StageWarnings;

impl StageWarnings {
    pub const KIND: &'static str = "stage_warnings";

    /// Runs every fifteen minutes in every company.
    pub fn schedule() -> Schedule {
        Schedule {
            name: "stage_warnings",
            kind: Self::KIND,
            payload: json!({}),
            every: Duration::minutes(15),
        }
    }
}

/// Sends the company's due warnings; how many.
pub async fn send_warnings(app: &App, tenant_id: Uuid) -> AppResult<usize> {
    let mut sent = 0;
    for warning in [Warning::Overdue, Warning::DueSoon] {
        loop {
            let now = app.now();
            let mut tx = app.db.begin().await?;
            let due =
                store::stages::take_due(&mut tx, tenant_id, warning.level(), now, WARNING_BATCH)
                    .await?;
            for deal in &due {
                let about = About {
                    object: ObjectKind::Opportunity,
                    id: deal.opportunity_id,
                    name: &deal.name,
                };
                let kind = match warning {
                    Warning::Overdue => Kind::StageOverdue,
                    Warning::DueSoon => Kind::StageDueSoon,
                };
                notify(&mut tx, tenant_id, deal.owner_id, kind, &about, now).await?;
            }
            tx.commit().await?;
            sent += due.len();
            if (due.len() as i64) < WARNING_BATCH {
                break;
            }
        }
    }
    Ok(sent)
}

impl JobHandler for StageWarnings {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, AppResult<Value>> {
        Box::pin(async move {
            let sent = send_warnings(&ctx.app, ctx.tenant_id()).await?;
            Ok(json!({ "sent": sent }))
        })
    }
}
