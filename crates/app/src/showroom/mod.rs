//! The showroom register (三表一卡): the front desk logs each walk-in or phone-in visitor
//! (来店/来电登记); a visitor who gives a phone number is the company's lead with that number
//! — found whoever owns it, else created through the record engine for the consultant — and
//! the visit joins the lead's follow-up card (意向客户跟踪卡). Traffic statistics are in
//! [`stats`].
//!
//! Who may register: whoever may create leads. Naming another consultant than oneself gives
//! the new lead away, so it needs the transfer grant on leads, as any create for another
//! owner does. A matched lead the registrant may not open is attached without being shown:
//! the answer says only that the visitor returned.

use crate::records::{self, Edit, Input};
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, NaiveDate, Utc};
use domain::fields::FieldValue;
use domain::permissions::{Action, ObjectKind};
use domain::showroom::{self as rules, VisitDraft};
use domain::FieldErrors;
use serde_json::json;
use store::showroom::{NewVisit, Visit};
use store::Tx;
use uuid::Uuid;

pub mod stats;

/// The most visits one day's list shows.
pub const DAY_LIMIT: i64 = 500;
/// The most visits a lead's card shows.
pub const CARD_LIMIT: i64 = 100;

/// A visit as the front desk submits it.
#[derive(Debug, Clone, Default)]
pub struct VisitInput {
    pub draft: VisitDraft,
    /// The consultant who receives the visitor; the registrant when not given.
    pub consultant_id: Option<Uuid>,
}

/// What a registration did.
#[derive(Debug, Clone, PartialEq)]
pub struct Registered {
    pub visit: Visit,
    /// The lead the visit belongs to, when the registrant may open it.
    pub lead_id: Option<Uuid>,
    pub lead_created: bool,
}

/// Whether the actor may use the front desk.
pub fn may_register(actor: &Actor) -> bool {
    actor.principal.can(ObjectKind::Lead, Action::Create)
}

fn require_desk(actor: &Actor) -> AppResult<()> {
    actor.require(ObjectKind::Lead, Action::Create)
}

/// The lead sources the company offers: "heard from" is one of them.
pub async fn sources(tx: &mut Tx, actor: &Actor) -> AppResult<Vec<domain::fields::PicklistOption>> {
    let fields = records::object_fields_tx(tx, actor.tenant_id(), ObjectKind::Lead).await?;
    Ok(fields
        .field("source")
        .map(|f| f.options.iter().filter(|o| o.active).cloned().collect())
        .unwrap_or_default())
}

/// Registers a visit in one transaction: checks it, finds or creates the lead by its phone,
/// updates the lead's intent, and records the visit and its change-feed event.
pub async fn register(app: &App, actor: &Actor, input: &VisitInput) -> AppResult<Registered> {
    require_desk(actor)?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let keys: Vec<String> = sources(&mut tx, actor)
        .await?
        .into_iter()
        .map(|o| o.key)
        .collect();
    let mut errors = FieldErrors::new();
    let checked = match rules::check(&input.draft, now, &keys) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.0.extend(e.0);
            None
        }
    };
    let consultant = input.consultant_id.unwrap_or(actor.id());
    check_consultant(&mut tx, actor, consultant, &mut errors).await?;
    errors.into_result()?;
    let visit = checked.ok_or_else(|| AppError::Internal("a checked visit".into()))?;
    let (lead_id, lead_created, first_visit) = match &visit.phone {
        None => (None, false, true),
        Some(phone) => {
            match store::showroom::lead_by_phone(&mut tx, actor.tenant_id(), phone).await? {
                Some(lead) => {
                    let returning =
                        store::showroom::lead_has_visits(&mut tx, actor.tenant_id(), lead).await?;
                    set_intent(&mut tx, actor, lead, visit.intent.as_deref(), now).await?;
                    (Some(lead), false, !returning)
                }
                None => {
                    let lead = create_lead(&mut tx, actor, &visit, consultant, now).await?;
                    (Some(lead), true, true)
                }
            }
        }
    };
    let id = Uuid::now_v7();
    let row = NewVisit {
        id,
        kind: visit.kind.clone(),
        visitor_name: visit.name.clone(),
        salutation: visit.salutation.clone(),
        phone: visit.phone.clone(),
        arrived_at: visit.arrived_at,
        left_at: visit.left_at,
        consultant_id: consultant,
        intent: visit.intent.clone(),
        heard_from: visit.heard_from.clone(),
        area: visit.area.clone(),
        party_size: visit.party_size,
        notes: visit.notes.clone(),
        lost_reason: visit.lost_reason.clone(),
        lead_id,
        first_visit,
    };
    store::showroom::insert(&mut tx, actor.tenant_id(), &row, actor.id(), now).await?;
    let mut shown_lead = None;
    if let Some(lead) = lead_id {
        contacted(&mut tx, actor.tenant_id(), lead, visit.arrived_at, now).await?;
        visit_event(&mut tx, actor, lead, &row, now).await?;
        if store::records::is_visible(&mut tx, &actor.principal, ObjectKind::Lead, lead).await? {
            shown_lead = Some(lead);
        }
    }
    let scope = store::showroom::readable(&actor.principal, true);
    let stored = store::showroom::get(&mut tx, scope, id)
        .await?
        .ok_or_else(|| AppError::Internal("the visit just registered".into()))?;
    tx.commit().await?;
    Ok(Registered {
        visit: stored,
        lead_id: shown_lead,
        lead_created,
    })
}

/// The consultant must be an active user of the company; another than the registrant
/// needs the transfer grant (the new lead is theirs).
async fn check_consultant(
    tx: &mut Tx,
    actor: &Actor,
    consultant: Uuid,
    errors: &mut FieldErrors,
) -> AppResult<()> {
    let known = matches!(
        store::org::get_user(tx, actor.tenant_id(), consultant).await?,
        Some(u) if u.active
    );
    if !known {
        errors.add("consultant_id", "invalid_reference");
    } else if consultant != actor.id() && !actor.principal.can(ObjectKind::Lead, Action::Transfer) {
        errors.add("consultant_id", "owner_not_allowed");
    }
    Ok(())
}

/// A returning visitor's intent, as the desk judged it today, becomes the lead's: the
/// registration authorises the change, whoever owns the lead (its history says who).
async fn set_intent(
    tx: &mut Tx,
    actor: &Actor,
    lead: Uuid,
    intent: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(intent) = intent else {
        return Ok(());
    };
    let intent = intent.to_string();
    records::system_change_in(
        tx,
        actor,
        ObjectKind::Lead,
        lead,
        None,
        now,
        Edit::Authorised,
        move |values, _| {
            if values.get("intent") == Some(&FieldValue::Text(intent.clone())) {
                return Ok(Vec::new());
            }
            values.insert("intent".into(), FieldValue::Text(intent));
            Ok(vec!["intent"])
        },
    )
    .await
}

/// A new lead through the record engine (validation, history, search, events), owned by
/// the consultant, with the source the visitor heard of the company from.
async fn create_lead(
    tx: &mut Tx,
    actor: &Actor,
    visit: &rules::CheckedVisit,
    consultant: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Uuid> {
    let zh = actor
        .user
        .locale
        .as_deref()
        .is_none_or(|l| l.starts_with("zh"));
    let name = rules::display_name(&visit.name, visit.salutation.as_deref(), zh);
    let mut input: Input = vec![
        ("name".into(), vec![name]),
        ("owner_id".into(), vec![consultant.to_string()]),
        // The desk chose the consultant: the company's assignment rules do not move it.
        ("assign".into(), vec!["false".into()]),
    ];
    let optional = [
        ("mobile", &visit.phone),
        ("intent", &visit.intent),
        ("source", &visit.heard_from),
        ("notes", &visit.notes),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            input.push((key.into(), vec![v.clone()]));
        }
    }
    records::create_in(tx, actor, ObjectKind::Lead, &input, now)
        .await
        .map_err(|e| match e {
            // The lead's fields are the visit's under other names.
            AppError::Validation(errors) => AppError::Validation(FieldErrors(
                errors
                    .0
                    .into_iter()
                    .map(|mut err| {
                        err.field = match err.field.as_str() {
                            "mobile" => "phone".into(),
                            "source" => "heard_from".into(),
                            "owner_id" => "consultant_id".into(),
                            "name" | "intent" | "notes" => err.field,
                            other => format!("lead.{other}"),
                        };
                        err
                    })
                    .collect(),
            )),
            other => other,
        })
}

/// A visit is a contact with the lead: its "last contacted" time moves (never back) and its
/// next follow-up is due from there, as after a done call or visit.
async fn contacted(
    tx: &mut Tx,
    tenant: Uuid,
    lead: Uuid,
    arrived_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let at = domain::rules::contacted_at(Some(arrived_at), now);
    let param = store::Param::Time(at);
    store::records::bump_date(tx, "leads", "last_contacted_at", tenant, lead, param).await?;
    crate::follow_up::refresh(tx, tenant, ObjectKind::Lead, lead, now).await
}

/// The visit on the lead's change feed: the follow-up card's entry for integrations.
async fn visit_event(
    tx: &mut Tx,
    actor: &Actor,
    lead: Uuid,
    visit: &NewVisit,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let owner = store::pools::placement(tx, ObjectKind::Lead, actor.tenant_id(), lead)
        .await?
        .map(|p| p.owner_id);
    let subject = crate::events::Subject {
        object: ObjectKind::Lead,
        id: lead,
        owner_id: owner,
        name: "",
    };
    let detail = json!({
        "visit_id": visit.id, "kind": visit.kind, "arrived_at": visit.arrived_at,
        "consultant_id": visit.consultant_id, "intent": visit.intent,
        "first_visit": visit.first_visit,
    });
    crate::events::action(tx, actor, now, subject, "showroom_visit", &detail).await
}

/// What a change of a visit sets: the visitor left (now or at a time), a lost reason.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// `Some(None)`: left now; `Some(Some(t))`: left at `t`.
    pub left: Option<Option<DateTime<Utc>>>,
    /// `Some(None)` clears the reason.
    pub lost_reason: Option<Option<String>>,
    pub version: Option<i64>,
}

/// Records that a visitor left and why one was lost, on a visit the actor may read.
pub async fn set_outcome(
    app: &App,
    actor: &Actor,
    id: Uuid,
    outcome: &Outcome,
) -> AppResult<Visit> {
    require_desk(actor)?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let current = store::showroom::get(
        &mut tx,
        store::showroom::readable(&actor.principal, true),
        id,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    if outcome.version.is_some_and(|v| v != current.version) {
        return Err(AppError::Conflict);
    }
    let mut errors = FieldErrors::new();
    let left_at = match outcome.left {
        None => current.left_at,
        Some(at) => {
            let at = at.unwrap_or(now);
            rules::check_leave(&mut errors, current.arrived_at, at, now);
            Some(at)
        }
    };
    let lost_reason = match &outcome.lost_reason {
        None => current.lost_reason.clone(),
        Some(given) => rules::check_lost_reason(&mut errors, given),
    };
    errors.into_result()?;
    let done = store::showroom::set_outcome(
        &mut tx,
        actor.tenant_id(),
        id,
        current.version,
        current.arrived_at,
        left_at,
        lost_reason.as_deref(),
        now,
    )
    .await?;
    if !done {
        return Err(AppError::Conflict);
    }
    let visit = store::showroom::get(
        &mut tx,
        store::showroom::readable(&actor.principal, true),
        id,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(visit)
}

/// The visits of the days `[from, to]` in the actor's time zone they may read (their
/// consultants' and those they registered), newest first.
pub async fn visits(
    app: &App,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<Visit>> {
    let (start, end) = stats::bounds(actor, from, to)?;
    let mut tx = app.db.begin_read().await?;
    let scope = store::showroom::readable(&actor.principal, true);
    Ok(store::showroom::between(&mut tx, scope, start, end, DAY_LIMIT).await?)
}

/// Today in the actor's time zone.
pub fn today(app: &App, actor: &Actor) -> NaiveDate {
    domain::time::local_day(app.now(), actor.time_zone())
}

/// A lead's visits, its follow-up card: for whoever may open the lead (404 otherwise).
pub async fn for_lead(app: &App, actor: &Actor, lead: Uuid) -> AppResult<Vec<Visit>> {
    let mut tx = app.db.begin_read().await?;
    if !store::records::is_visible(&mut tx, &actor.principal, ObjectKind::Lead, lead).await? {
        return Err(AppError::NotFound);
    }
    Ok(store::showroom::for_lead(&mut tx, actor.tenant_id(), lead, CARD_LIMIT).await?)
}

/// Which of these leads the actor may open (a visit links to its lead only for them).
pub async fn openable_leads(
    app: &App,
    actor: &Actor,
    leads: &[Uuid],
) -> AppResult<std::collections::HashSet<Uuid>> {
    let mut tx = app.db.begin_read().await?;
    let mut open = std::collections::HashSet::new();
    for lead in leads {
        if !open.contains(lead)
            && store::records::is_visible(&mut tx, &actor.principal, ObjectKind::Lead, *lead)
                .await?
        {
            open.insert(*lead);
        }
    }
    Ok(open)
}

/// The lead sources offered as "heard from" (the company's list of lead sources).
pub async fn heard_from_choices(
    app: &App,
    actor: &Actor,
) -> AppResult<Vec<domain::fields::PicklistOption>> {
    let mut tx = app.db.begin_read().await?;
    sources(&mut tx, actor).await
}

/// One visit the actor may read (their consultants' or one they registered); 404 otherwise.
pub async fn get(app: &App, actor: &Actor, id: Uuid) -> AppResult<Visit> {
    let mut tx = app.db.begin_read().await?;
    store::showroom::get(
        &mut tx,
        store::showroom::readable(&actor.principal, true),
        id,
    )
    .await?
    .ok_or(AppError::NotFound)
}
