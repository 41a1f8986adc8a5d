//! The in-app inbox (消息中心): how a capability notifies a user, the inbox's use cases, and
//! the first two kinds — a task's reminder and a record assigned to you.
//!
//! A capability notifies a user by calling [`notify`] inside the transaction of the change
//! that causes it (or of the job that finds it due), so the notification exists exactly when
//! the change committed. It stores a [`Kind`] and parameters, never translated text: the
//! reader's pages and API render it in their language. The parameters hold only the record's
//! name (which a record's reader may always see, see `records::ObjectFields`), never other
//! field values, so a notification whose record has since left the reader's scope leaks
//! nothing but the name it was sent with; its link then answers 404 like any hidden record.

use crate::jobs::{BoxFuture, JobContext, JobHandler, Schedule};
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Duration, Utc};
use domain::permissions::ObjectKind;
use serde_json::{json, Value};
use store::notifications::{NewNotification, Notification};
use store::Tx;
use uuid::Uuid;

/// What a notification is about; its text is `notifications.kind.<key>` in the catalogs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A task's reminder time came.
    TaskReminder,
    /// Someone else made the reader a record's owner.
    Assigned,
    /// Someone shared a record with the reader or put them on its team.
    Shared,
    /// A deal of the reader's nears the end of its stage's expected duration.
    StageDueSoon,
    /// A deal of the reader's has been in its stage longer than expected.
    StageOverdue,
    /// A suspended deal of the reader's reached its resume date.
    ResumeDue,
    /// A record the reader holds goes back to its pool in a few days unless followed up.
    PoolReminder,
}

impl Kind {
    /// Every kind, in the order the settings page lists them: a kind added here gets its
    /// preference (and its mail) with no other code.
    pub const ALL: [Kind; 7] = [
        Kind::TaskReminder,
        Kind::Assigned,
        Kind::Shared,
        Kind::StageDueSoon,
        Kind::StageOverdue,
        Kind::ResumeDue,
        Kind::PoolReminder,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Kind::TaskReminder => "task_reminder",
            Kind::Assigned => "assigned",
            Kind::Shared => "shared",
            Kind::StageDueSoon => "stage_due_soon",
            Kind::StageOverdue => "stage_overdue",
            Kind::ResumeDue => "deal_resume_due",
            Kind::PoolReminder => "pool_reminder",
        }
    }

    pub fn parse(key: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// Where a user wants one kind of notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channels {
    InApp,
    Email,
    Both,
    None,
}

impl Channels {
    pub const ALL: [Channels; 4] = [
        Channels::InApp,
        Channels::Email,
        Channels::Both,
        Channels::None,
    ];
    /// Every kind's choice until the user makes one.
    pub const DEFAULT: Channels = Channels::InApp;

    pub fn key(self) -> &'static str {
        match self {
            Channels::InApp => "in_app",
            Channels::Email => "email",
            Channels::Both => "both",
            Channels::None => "none",
        }
    }

    pub fn parse(key: &str) -> Option<Channels> {
        Channels::ALL.into_iter().find(|c| c.key() == key)
    }

    pub fn in_app(self) -> bool {
        matches!(self, Channels::InApp | Channels::Both)
    }

    pub fn email(self) -> bool {
        matches!(self, Channels::Email | Channels::Both)
    }
}

/// The unread count stops here; the bell shows "99+".
pub const UNREAD_CAP: i64 = 100;
/// Notifications per page.
pub const PAGE: i64 = 50;

/// The record a notification links to, by the name it had then.
pub struct About<'a> {
    pub object: ObjectKind,
    pub id: Uuid,
    pub name: &'a str,
}

/// Notifies `user_id` in the caller's transaction, on the channels the user chose for the
/// kind ([`Channels`]): an inbox entry, a mail (a delivery row and its send job, see
/// `mail::enqueue_notification`), both or nothing. This is the one place the choice is
/// applied. Returns the inbox entry's id when one was written.
pub async fn notify(
    tx: &mut Tx,
    tenant_id: Uuid,
    user_id: Uuid,
    kind: Kind,
    about: &About<'_>,
    now: DateTime<Utc>,
) -> AppResult<Option<Uuid>> {
    let channels = channels_for(tx, tenant_id, user_id, kind).await?;
    let params = json!({ "name": about.name });
    let mut id = None;
    if channels.in_app() {
        id = Some(
            store::notifications::insert(
                tx,
                &NewNotification {
                    tenant_id,
                    user_id,
                    kind: kind.key(),
                    params: &params,
                    object: Some(about.object.key()),
                    record_id: Some(about.id),
                },
                now,
            )
            .await?,
        );
    }
    if channels.email() {
        let mail = crate::mail::NotificationMail {
            tenant_id,
            user_id,
            kind: kind.key(),
            params: &params,
            object: Some(about.object.key()),
            record_id: Some(about.id),
        };
        crate::mail::enqueue_notification(tx, &mail, now).await?;
    }
    Ok(id)
}

/// The user's choice for one kind (the default when none was made).
async fn channels_for(
    tx: &mut Tx,
    tenant_id: Uuid,
    user_id: Uuid,
    kind: Kind,
) -> AppResult<Channels> {
    let stored = store::mail::preference(tx, tenant_id, user_id, kind.key()).await?;
    Ok(stored
        .as_deref()
        .and_then(Channels::parse)
        .unwrap_or(Channels::DEFAULT))
}

/// The actor's choice for every kind, in [`Kind::ALL`] order.
pub async fn preferences(app: &App, actor: &Actor) -> AppResult<Vec<(Kind, Channels)>> {
    let mut tx = app.db.begin_read().await?;
    let stored = store::mail::preferences(&mut tx, actor.tenant_id(), actor.id()).await?;
    Ok(Kind::ALL
        .into_iter()
        .map(|kind| {
            let channels = stored
                .iter()
                .find(|(k, _)| k == kind.key())
                .and_then(|(_, c)| Channels::parse(c))
                .unwrap_or(Channels::DEFAULT);
            (kind, channels)
        })
        .collect())
}

/// Sets the actor's own choices, `(kind, channels)` by key; kinds left out keep theirs.
/// An unknown kind (`unknown_field`) or choice (`invalid_choice`) is a field error named by
/// the kind, and nothing is changed.
pub async fn set_preferences(
    app: &App,
    actor: &Actor,
    choices: &[(String, String)],
) -> AppResult<()> {
    let mut errors = domain::FieldErrors::new();
    let mut parsed = Vec::new();
    for (kind, channels) in choices {
        match (Kind::parse(kind), Channels::parse(channels)) {
            (None, _) => errors.add(kind, "unknown_field"),
            (Some(_), None) => errors.add(kind, "invalid_choice"),
            (Some(k), Some(c)) => parsed.push((k, c)),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    for (kind, channels) in parsed {
        store::mail::set_preference(
            &mut tx,
            actor.tenant_id(),
            actor.id(),
            kind.key(),
            channels.key(),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One page of the actor's own notifications, newest first.
pub struct Page {
    pub items: Vec<Notification>,
    /// The cursor of the next page, when there is one.
    pub next: Option<Uuid>,
}

pub async fn list(
    app: &App,
    actor: &Actor,
    unread_only: bool,
    before: Option<Uuid>,
    limit: i64,
) -> AppResult<Page> {
    let limit = limit.clamp(1, 200);
    let mut tx = app.db.begin_read().await?;
    let mut items = store::notifications::list(
        &mut tx,
        actor.tenant_id(),
        actor.id(),
        unread_only,
        before,
        limit,
    )
    .await?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|n| n.id)
    } else {
        None
    };
    Ok(Page { items, next })
}

/// The actor's unread count, at most [`UNREAD_CAP`].
pub async fn unread_count(app: &App, actor: &Actor) -> AppResult<i64> {
    let mut tx = app.db.begin_read().await?;
    Ok(
        store::notifications::unread_count(&mut tx, actor.tenant_id(), actor.id(), UNREAD_CAP)
            .await?,
    )
}

/// Marks one of the actor's notifications read; another user's is not found.
pub async fn mark_read(app: &App, actor: &Actor, id: Uuid) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    if !store::notifications::mark_read(&mut tx, actor.tenant_id(), actor.id(), id, app.now())
        .await?
    {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

pub async fn mark_all_read(app: &App, actor: &Actor) -> AppResult<u64> {
    let mut tx = app.db.begin().await?;
    let n = store::notifications::mark_all_read(&mut tx, actor.tenant_id(), actor.id(), app.now())
        .await?;
    tx.commit().await?;
    Ok(n)
}

/// Reminders older than this when first found (the worker was down, or the task was created
/// with a reminder long past) do not fire: a day-old reminder is no longer one.
pub const REMINDER_LOOKBACK: Duration = Duration::hours(24);
/// Reminders taken per transaction.
const REMINDER_BATCH: i64 = 500;

/// Notifies the owners of the company's tasks whose reminder time has come: each due
/// activity is marked notified for its reminder time in the same transaction as its
/// notification, so a retry, a second run or another worker never notifies twice, and a
/// postponed reminder fires again at its new time.
pub struct FireReminders;

impl FireReminders {
    pub const KIND: &'static str = "fire_reminders";

    /// Runs every minute in every company.
    pub fn schedule() -> Schedule {
        Schedule {
            name: "fire_reminders",
            kind: Self::KIND,
            payload: json!({}),
            every: Duration::minutes(1),
        }
    }
}

/// Enqueues a run of the company's reminders at `at` (a task's new reminder time), in the
/// caller's transaction, so the reminder fires at its second rather than its minute.
pub async fn fire_reminders_at(
    tx: &mut Tx,
    tenant_id: Uuid,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut request = crate::jobs::JobRequest::new(tenant_id, FireReminders::KIND, json!({}));
    request.run_at = Some(at);
    crate::jobs::enqueue(tx, now, &request).await?;
    Ok(())
}

/// Fires the company's due reminders; how many.
pub async fn fire_reminders(app: &App, tenant_id: Uuid) -> AppResult<usize> {
    let mut fired = 0;
    loop {
        let now = app.now();
        let mut tx = app.db.begin().await?;
        let due = store::notifications::take_due_reminders(
            &mut tx,
            tenant_id,
            now,
            now - REMINDER_LOOKBACK,
            REMINDER_BATCH,
        )
        .await?;
        for task in &due {
            let about = About {
                object: ObjectKind::Activity,
                id: task.id,
                name: &task.name,
            };
            notify(
                &mut tx,
                tenant_id,
                task.owner_id,
                Kind::TaskReminder,
                &about,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        fired += due.len();
        if (due.len() as i64) < REMINDER_BATCH {
            return Ok(fired);
        }
    }
}

impl JobHandler for FireReminders {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, AppResult<Value>> {
        Box::pin(async move {
            let fired = fire_reminders(&ctx.app, ctx.tenant_id()).await?;
            Ok(json!({ "fired": fired }))
        })
    }
}
