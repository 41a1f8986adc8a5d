//! Activity actions beyond editing: complete a task, postpone it, plan a follow-up, check in
//! at a visit; and the "My day" home page.

use crate::records::{self, Input};
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Duration, Utc};
use domain::fields::FieldValue;
use domain::permissions::{Action, ObjectKind};
use domain::views::FilterSpec;
use store::records::Record;
use uuid::Uuid;

const OBJECT: ObjectKind = ObjectKind::Activity;

pub async fn complete(app: &App, actor: &Actor, id: Uuid, version: Option<i64>) -> AppResult<()> {
    records::system_change(app, actor, OBJECT, id, version, |values, _| {
        values.insert("status".into(), FieldValue::Text("done".into()));
        Ok(vec!["status"])
    })
    .await
}

pub async fn reopen(app: &App, actor: &Actor, id: Uuid, version: Option<i64>) -> AppResult<()> {
    records::system_change(app, actor, OBJECT, id, version, |values, _| {
        values.insert("status".into(), FieldValue::Text("open".into()));
        Ok(vec!["status"])
    })
    .await
}

/// Moves an open task's due time (and its reminder) `days` later; without a due time, the
/// task becomes due `days` from now.
pub async fn postpone(
    app: &App,
    actor: &Actor,
    id: Uuid,
    version: Option<i64>,
    days: i64,
) -> AppResult<()> {
    if !(1..=365).contains(&days) {
        return Err(AppError::field("days", "out_of_range"));
    }
    records::system_change(app, actor, OBJECT, id, version, |values, now| {
        if values.get("status") == Some(&FieldValue::Text("done".into())) {
            return Err(AppError::Rule("activity_done"));
        }
        let shift = Duration::days(days);
        let due = match values.get("due_at") {
            Some(FieldValue::DateTime(t)) => *t + shift,
            _ => now + shift,
        };
        values.insert("due_at".into(), FieldValue::DateTime(due));
        if let Some(FieldValue::DateTime(r)) = values.get("remind_at").cloned() {
            values.insert("remind_at".into(), FieldValue::DateTime(r + shift));
        }
        Ok(vec!["due_at", "remind_at"])
    })
    .await
}

/// Checks in at a visit: the time, and where the user was when the browser's geolocation
/// was allowed (`position` is `None` when it was not).
pub async fn check_in(
    app: &App,
    actor: &Actor,
    id: Uuid,
    position: Option<(f64, f64)>,
    accuracy: Option<f64>,
) -> AppResult<()> {
    let mut errors = domain::FieldErrors::new();
    if let Some((latitude, longitude)) = position {
        if !(-90.0..=90.0).contains(&latitude) || !latitude.is_finite() {
            errors.add("latitude", "out_of_range");
        }
        if !(-180.0..=180.0).contains(&longitude) || !longitude.is_finite() {
            errors.add("longitude", "out_of_range");
        }
    }
    if accuracy.is_some_and(|a| !(0.0..=100_000.0).contains(&a)) {
        errors.add("accuracy", "out_of_range");
    }
    errors.into_result()?;
    let decimal = |v: f64| {
        rust_decimal::Decimal::from_f64_retain(v).map(|d| FieldValue::Decimal(d.round_dp(6)))
    };
    records::system_change(app, actor, OBJECT, id, None, |values, now| {
        if values.get("kind") != Some(&FieldValue::Text("visit".into())) {
            return Err(AppError::Rule("checkin_only_visits"));
        }
        values.insert("checkin_at".into(), FieldValue::DateTime(now));
        // Being there is the visit happening: it is done, and counts as contact.
        values.insert("status".into(), FieldValue::Text("done".into()));
        let accuracy = position.and(accuracy);
        for (key, v) in [
            ("checkin_lat", position.map(|p| p.0)),
            ("checkin_lng", position.map(|p| p.1)),
            ("checkin_accuracy", accuracy),
        ] {
            match v.and_then(decimal) {
                Some(d) => values.insert(key.into(), d),
                None => values.remove(key),
            };
        }
        Ok(vec!["checkin_at", "status"])
    })
    .await
}

/// Plans a follow-up task on the same account, contact, lead and opportunity.
pub async fn follow_up(
    app: &App,
    actor: &Actor,
    id: Uuid,
    subject: &str,
    due: Option<&str>,
) -> AppResult<Uuid> {
    let source = records::get(app, actor, OBJECT, id).await?;
    let mut input: Input = vec![
        ("kind".into(), vec!["task".into()]),
        ("name".into(), vec![subject.to_string()]),
        (
            "due_at".into(),
            due.map(|d| vec![d.to_string()]).unwrap_or_default(),
        ),
    ];
    for key in ["account_id", "contact_id", "lead_id", "opportunity_id"] {
        if let Some(linked) = source.record.id_of(key) {
            input.push((key.into(), vec![linked.to_string()]));
        }
    }
    records::create(app, actor, OBJECT, &input).await
}

/// When an activity takes place on a day's list: a task when it is due, anything else
/// when it starts (the other when one is missing).
pub fn when(record: &Record) -> Option<DateTime<Utc>> {
    let time = |key: &str| match record.values.get(key) {
        Some(FieldValue::DateTime(t)) => Some(*t),
        _ => None,
    };
    let (first, second) = if record.text("kind") == Some("task") {
        ("due_at", "starts_at")
    } else {
        ("starts_at", "due_at")
    };
    time(first).or_else(|| time(second))
}

/// What "My day" shows.
pub struct MyDay {
    pub today: Vec<Record>,
    pub overdue: Vec<Record>,
    pub reminders: Vec<Record>,
    /// The actor's leads whose next follow-up is due today or overdue, the latest last.
    pub follow_ups: Vec<Record>,
    pub names: std::collections::HashMap<Uuid, String>,
    pub day_start: DateTime<Utc>,
}

/// Today's open tasks and meetings, overdue tasks, and reminders due now, for the actor.
pub async fn my_day(app: &App, actor: &Actor) -> AppResult<MyDay> {
    let now = app.now();
    let filter = |field: &str, op: &str, values: &[&str]| FilterSpec {
        field: field.into(),
        op: op.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    };
    let mine = filter("owner_id", "eq", &["me"]);
    let open = filter("status", "eq", &["open"]);
    let request = |filters: Vec<FilterSpec>, sort: &str| records::ListRequest {
        filters,
        sort: Some(sort.into()),
        limit: Some(100),
        ..Default::default()
    };
    let due_today = records::list(
        app,
        actor,
        OBJECT,
        &request(
            vec![mine.clone(), open.clone(), filter("due_at", "today", &[])],
            "due_at",
        ),
    )
    .await?;
    let meetings_today = records::list(
        app,
        actor,
        OBJECT,
        &request(
            vec![mine.clone(), filter("starts_at", "today", &[])],
            "starts_at",
        ),
    )
    .await?;
    let zone = actor.time_zone();
    let today = domain::time::local_day(now, zone);
    let day_start = domain::time::day_start(today, zone);
    let today = today.format("%Y-%m-%d").to_string();
    let overdue = records::list(
        app,
        actor,
        OBJECT,
        &request(
            vec![
                mine.clone(),
                open.clone(),
                filter("due_at", "lt", &[&today]),
            ],
            "due_at",
        ),
    )
    .await?;
    let reminders = records::list(
        app,
        actor,
        OBJECT,
        &request(
            vec![mine, open, filter("remind_at", "lte", &[&today])],
            "remind_at",
        ),
    )
    .await?;
    let follow_ups = if actor.principal.can(ObjectKind::Lead, Action::Read) {
        records::list(
            app,
            actor,
            ObjectKind::Lead,
            &request(
                vec![
                    filter("owner_id", "eq", &["me"]),
                    filter("next_follow_up_at", "lte", &[&today]),
                ],
                "next_follow_up_at",
            ),
        )
        .await?
        .records
    } else {
        Vec::new()
    };
    let mut names = due_today.names;
    let mut today: Vec<Record> = due_today.records;
    for r in meetings_today.records {
        if !today.iter().any(|t| t.id == r.id) && r.text("kind") != Some("note") {
            today.push(r);
        }
    }
    // In time order: a task at its due time, anything else at its start.
    today.sort_by_key(|r| (when(r), r.id));
    names.extend(meetings_today.names);
    names.extend(overdue.names);
    names.extend(reminders.names);
    Ok(MyDay {
        today,
        overdue: overdue.records,
        reminders: reminders
            .records
            .into_iter()
            .filter(
                |r| matches!(r.values.get("remind_at"), Some(FieldValue::DateTime(t)) if *t <= now),
            )
            .collect(),
        follow_ups,
        names,
        day_start,
    })
}
