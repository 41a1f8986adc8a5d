//! How a deal ends or pauses (`domain::rules::Rule::CloseReview`, run by the record engine
//! on every save whatever the path — form, PATCH, the stage endpoint, a board drop, the close
//! endpoint): a won or lost stage needs the close review (`domain::closing`), the deal's
//! status follows its stage, a suspended deal's stage stays put, a terminated deal is edited
//! by administrators only, and the stage clock stops while the deal is not open. The use
//! cases: close with a review, suspend (中止), reactivate, terminate (终止); and the
//! scheduler's reminder of a suspended deal's resume date ([`ResumeReminders`]).

use crate::jobs::{BoxFuture, JobContext, JobHandler, Schedule};
use crate::notifications::{notify, About, Kind};
use crate::picklists::RecordMeta;
use crate::records::Input;
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::closing::{self as rules, Move, Status};
use domain::fields::FieldValue;
use domain::permissions::{Action, ObjectKind};
use domain::picklists::{Closed, StageSet};
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
        Some(_) => true,
    }
}

/// A deal's status among its values.
pub fn status_of(values: &Values) -> Status {
    Status::parse(text(values, "status"))
}

fn administrator(actor: &Actor) -> bool {
    actor.principal.can(ObjectKind::Org, Action::Administer)
}

/// Before a save: refuses editing a terminated deal (but for administrators) and moving a
/// suspended deal's stage; a won or lost stage needs the review's fields
/// (`required_for_close` on each missing one) when the deal enters it or the review is
/// changed; the status follows the stage.
pub fn check(
    actor: &Actor,
    before: Option<&Values>,
    given: &[&str],
    values: &mut Values,
    meta: &RecordMeta,
    errors: &mut FieldErrors,
) -> AppResult<()> {
    let was = before.map(status_of);
    if was.is_some_and(|s| !rules::may_edit(s, administrator(actor))) {
        return Err(AppError::Refused("deal_terminated"));
    }
    let stage = text(values, "stage").unwrap_or_default().to_string();
    let stage_changed = before.is_none_or(|b| text(b, "stage") != Some(stage.as_str()));
    if stage_changed && was == Some(Status::Suspended) {
        errors.add("stage", "deal_suspended");
        return Ok(());
    }
    let set = meta.stage_set.clone().unwrap_or_else(StageSet::standard);
    let closed = set.stage(&stage).and_then(|s| s.closed);
    if let Some(outcome) = closed {
        let review = rules::review_fields(outcome);
        if stage_changed || given.iter().any(|g| review.contains(g)) {
            for field in rules::missing_review(outcome, |f| has_value(values, f)) {
                if errors.for_field(field).is_none() {
                    errors.add(field, "required_for_close");
                }
            }
        }
    }
    let status = if stage_changed {
        status_of(values).after_stage(closed)
    } else {
        status_of(values)
    };
    values.insert("status".into(), FieldValue::Text(status.key().into()));
    Ok(())
}

/// After a save: the stage clock stops when the deal goes on hold or is terminated, and
/// starts again (its due times moved on by the time on hold) when it is reopened.
pub async fn after_save(
    tx: &mut Tx,
    tenant: Uuid,
    id: Uuid,
    before: Option<&Values>,
    values: &Values,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let (Some(before), after) = (before.map(status_of), status_of(values)) else {
        return Ok(());
    };
    if before.clock_runs() && matches!(after, Status::Suspended | Status::Terminated) {
        store::closing::pause(tx, tenant, id, now).await?;
    } else if !before.clock_runs() && after.clock_runs() {
        store::closing::resume(tx, tenant, id, now).await?;
    }
    Ok(())
}

/// The closing stage of `outcome` in the deal's set (the first one).
fn closing_stage(set: &StageSet, outcome: Closed) -> Option<String> {
    set.stages
        .iter()
        .find(|s| s.closed == Some(outcome))
        .map(|s| s.key.clone())
}

/// The deal as the actor sees it, with its stage set.
async fn deal(app: &App, actor: &Actor, id: Uuid) -> AppResult<(store::records::Record, StageSet)> {
    let mut tx = app.db.begin_read().await?;
    let (record, meta) = crate::stages::deal(&mut tx, actor, id).await?;
    Ok((record, meta.stage_set.unwrap_or_else(StageSet::standard)))
}

/// Closes the deal as won or lost with its review (`review`: the fields of
/// [`rules::review_fields`], by key): the record engine's update of the stage and the review
/// together, so the gate and the review rule apply as on any other path. Without `version`
/// the current one is taken (a concurrent save still answers 409).
pub async fn close(
    app: &App,
    actor: &Actor,
    id: Uuid,
    outcome: Closed,
    review: &Input,
    version: Option<i64>,
) -> AppResult<()> {
    let (record, set) = deal(app, actor, id).await?;
    let mut errors = FieldErrors::new();
    let allowed = rules::review_fields(outcome);
    for (key, _) in review {
        if !allowed.contains(&key.as_str()) {
            errors.add(&format!("review.{key}"), "unknown_field");
        }
    }
    errors.into_result()?;
    let Some(stage) = closing_stage(&set, outcome) else {
        return Err(AppError::Rule("no_closing_stage"));
    };
    let mut input: Input = vec![("stage".to_string(), vec![stage])];
    input.extend(review.iter().cloned());
    let version = version.unwrap_or(record.version);
    crate::records::update(app, actor, ObjectKind::Opportunity, id, version, &input).await
}

/// A suspension as asked: why, and when the deal is to be taken up again (optional).
pub struct Suspension {
    pub reason: String,
    pub resume_on: Option<NaiveDate>,
}

fn reason_errors(reason: &str, errors: &mut FieldErrors) {
    if reason.trim().is_empty() {
        errors.add("reason", "required");
    } else if reason.chars().count() > rules::MAX_REASON {
        errors.add_limit("reason", "too_long", rules::MAX_REASON as i64);
    }
}

/// Applies `step` to the deal's status by the record engine (as the actor: whoever may edit
/// the deal), setting the other fields `fill` gives.
async fn change_status(
    app: &App,
    actor: &Actor,
    id: Uuid,
    version: Option<i64>,
    step: Move,
    fill: Vec<(&'static str, Option<FieldValue>)>,
) -> AppResult<()> {
    let admin = administrator(actor);
    crate::records::system_change(
        app,
        actor,
        ObjectKind::Opportunity,
        id,
        version,
        move |values, _now| {
            let next = step
                .apply(status_of(values), admin)
                .map_err(AppError::Refused)?;
            values.insert("status".into(), FieldValue::Text(next.key().into()));
            let mut given = vec!["status"];
            for (key, value) in fill {
                match value {
                    Some(v) => values.insert(key.into(), v),
                    None => values.remove(key),
                };
                given.push(key);
            }
            Ok(given)
        },
    )
    .await
}

/// Puts an open deal on hold (中止) with a reason and an optional resume date (today or
/// later, in the actor's time zone): it leaves the board's open columns and its stage clock
/// stops until it is reactivated.
pub async fn suspend(
    app: &App,
    actor: &Actor,
    id: Uuid,
    suspension: &Suspension,
    version: Option<i64>,
) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    reason_errors(&suspension.reason, &mut errors);
    let today = domain::time::local_day(app.now(), actor.time_zone());
    if suspension.resume_on.is_some_and(|d| d < today) {
        errors.add("resume_on", "resume_in_past");
    }
    errors.into_result()?;
    let fill = vec![
        (
            "status_reason",
            Some(FieldValue::Text(suspension.reason.trim().to_string())),
        ),
        ("resume_on", suspension.resume_on.map(FieldValue::Date)),
    ];
    change_status(app, actor, id, version, Move::Suspend, fill).await
}

/// Takes a suspended deal up again (an administrator also reopens a terminated one): it is
/// open, back on the board, and its stage clock runs on from where it stopped.
pub async fn reactivate(app: &App, actor: &Actor, id: Uuid, version: Option<i64>) -> AppResult<()> {
    let fill = vec![("status_reason", None), ("resume_on", None)];
    change_status(app, actor, id, version, Move::Reactivate, fill).await
}

/// Ends an open or suspended deal for good (终止) with a reason: from then on only an
/// administrator edits or reopens it.
pub async fn terminate(
    app: &App,
    actor: &Actor,
    id: Uuid,
    reason: &str,
    version: Option<i64>,
) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    reason_errors(reason, &mut errors);
    errors.into_result()?;
    let fill = vec![
        (
            "status_reason",
            Some(FieldValue::Text(reason.trim().to_string())),
        ),
        ("resume_on", None),
    ];
    change_status(app, actor, id, version, Move::Terminate, fill).await
}

/// Reminders taken per transaction.
const REMINDER_BATCH: i64 = 500;

/// Reminds the owner of a suspended deal on its resume date (in China time), once per date:
/// the deal is marked in the notification's transaction, so a rerun or another worker
/// never reminds twice, and a moved date reminds again.
pub struct ResumeReminders;

impl ResumeReminders {
    pub const KIND: &'static str = "resume_reminders";

    /// Runs every hour in every company.
    pub fn schedule() -> Schedule {
        Schedule {
            name: "resume_reminders",
            kind: Self::KIND,
            payload: json!({}),
            every: Duration::hours(1),
        }
    }
}

/// Sends the company's due resume reminders; how many.
pub async fn send_resume_reminders(app: &App, tenant_id: Uuid) -> AppResult<usize> {
    let mut sent = 0;
    loop {
        let now = app.now();
        let today = domain::time::local_day(now, domain::time::DEFAULT_ZONE);
        let mut tx = app.db.begin().await?;
        let due =
            store::closing::take_due_resumes(&mut tx, tenant_id, today, REMINDER_BATCH).await?;
        for deal in &due {
            let about = About {
                object: ObjectKind::Opportunity,
                id: deal.opportunity_id,
                name: &deal.name,
            };
            notify(
                &mut tx,
                tenant_id,
                deal.owner_id,
                Kind::ResumeDue,
                &about,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        sent += due.len();
        if (due.len() as i64) < REMINDER_BATCH {
            return Ok(sent);
        }
    }
}

impl JobHandler for ResumeReminders {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, AppResult<Value>> {
        Box::pin(async move {
            let sent = send_resume_reminders(&ctx.app, ctx.tenant_id()).await?;
            Ok(json!({ "sent": sent }))
        })
    }
}
