//! The showroom front desk (`/showroom`, 来店/来电登记): a register form with large touch
//! targets and the day's visitors with their "left" button and lost reason, for a tablet at
//! the desk or a phone; the lead page's visits (its follow-up card, 意向客户跟踪卡); the
//! traffic statistics in [`stats`]. Everything calls `app::showroom`, like the API.

use super::records::Choice;
use super::{see_other, Form};
use crate::error::page_error;
use crate::i18n::Tr;
use crate::pages::pools::parse_id;
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::showroom::{Outcome, VisitInput};
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use domain::showroom::{self as rules, VisitDraft};
use serde::Deserialize;
use store::showroom::Visit;
use uuid::Uuid;

mod stats;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/showroom", get(desk))
        .route("/showroom/visits", post(register))
        .route("/showroom/visits/{id}/leave", post(leave))
        .route("/showroom/visits/{id}/lost", post(lost))
        .route("/showroom/stats", get(stats::page))
}

type Pairs = Vec<(String, String)>;

/// A day given as `YYYY-MM-DD`; `None` for anything else.
pub(crate) fn parse_day(raw: Option<&str>) -> Option<NaiveDate> {
    raw.and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
}

/// A time of day in the reader's zone (the desk's list is of one day).
fn clock_time(t: Tr, at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&t.zone).format("%H:%M").to_string()
}

/// A stay in minutes as the reader reads it.
fn stay_text(t: Tr, seconds: Option<i64>) -> Option<String> {
    seconds.map(|s| t.fmt("showroom.minutes", &[("n", &(s / 60).to_string())]))
}

fn choices(list: &[(&str, &str, &str)], t: Tr) -> Vec<Choice> {
    list.iter()
        .map(|(k, zh, en)| Choice {
            value: k.to_string(),
            label: if t.is_zh() { zh } else { en }.to_string(),
        })
        .collect()
}

/// A visit as a line of the day's list or of a lead's card.
pub struct VisitRow {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub arrived: String,
    pub left: Option<String>,
    pub stay: Option<String>,
    pub consultant: String,
    pub intent: String,
    pub first_visit: bool,
    pub phone: String,
    pub heard_from: String,
    pub lost_reason: String,
    pub lost_key: String,
    pub lead_href: Option<String>,
    pub version: i64,
}

fn visit_row(
    t: Tr,
    v: &Visit,
    sources: &[domain::fields::PicklistOption],
    lead_open: bool,
    full_times: bool,
) -> VisitRow {
    let at = |x| {
        if full_times {
            t.time(x)
        } else {
            clock_time(t, x)
        }
    };
    let source = v
        .heard_from
        .as_deref()
        .map(|k| {
            sources
                .iter()
                .find(|o| o.key == k)
                .map(|o| if t.is_zh() { &o.label_zh } else { &o.label_en }.clone())
                .unwrap_or_else(|| k.to_string())
        })
        .unwrap_or_default();
    VisitRow {
        id: v.id,
        name: rules::display_name(&v.visitor_name, v.salutation.as_deref(), t.is_zh()),
        kind: rules::label(rules::KINDS, &v.kind, t.is_zh()).to_string(),
        arrived: at(v.arrived_at),
        left: v.left_at.map(at),
        stay: stay_text(t, v.stay_seconds),
        consultant: v.consultant_name.clone(),
        intent: v.intent.clone().unwrap_or_default(),
        first_visit: v.first_visit,
        phone: v.phone.clone().unwrap_or_default(),
        heard_from: source,
        lost_reason: v
            .lost_reason
            .as_deref()
            .map(|k| rules::label(rules::LOST_REASONS, k, t.is_zh()).to_string())
            .unwrap_or_default(),
        lost_key: v.lost_reason.clone().unwrap_or_default(),
        lead_href: v
            .lead_id
            .filter(|_| lead_open)
            .map(|id| format!("/leads/{id}")),
        version: v.version,
    }
}

/// The register form's values as posted (or empty).
#[derive(Default, Clone)]
struct Draft {
    kind: String,
    name: String,
    salutation: String,
    phone: String,
    consultant_id: String,
    intent: String,
    heard_from: String,
    area: String,
    party_size: String,
    arrived_at: String,
    notes: String,
}

impl Draft {
    fn posted(form: &Pairs) -> Draft {
        let get = |key: &str| {
            form.iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        Draft {
            kind: get("kind"),
            name: get("name"),
            salutation: get("salutation"),
            phone: get("phone"),
            consultant_id: get("consultant_id"),
            intent: get("intent"),
            heard_from: get("heard_from"),
            area: get("area"),
            party_size: get("party_size"),
            arrived_at: get("arrived_at"),
            notes: get("notes"),
        }
    }

    /// The use case's input; what cannot even be read is a field error.
    fn input(&self, zone: domain::time::Tz) -> Result<VisitInput, AppError> {
        let mut errors = domain::FieldErrors::new();
        let text = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
        let consultant_id = match text(&self.consultant_id) {
            None => None,
            Some(raw) => match Uuid::parse_str(raw.trim()) {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.add("consultant_id", "invalid_reference");
                    None
                }
            },
        };
        let party_size = match text(&self.party_size) {
            None => None,
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.add("party_size", "invalid_number");
                    None
                }
            },
        };
        let arrived_at = match text(&self.arrived_at) {
            None => None,
            Some(raw) => {
                let local = chrono::NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M");
                match local.ok().and_then(|l| domain::time::from_local(l, zone)) {
                    Some(at) => Some(at),
                    None => {
                        errors.add("arrived_at", "invalid_date");
                        None
                    }
                }
            }
        };
        errors.into_result()?;
        Ok(VisitInput {
            draft: VisitDraft {
                kind: text(&self.kind),
                name: text(&self.name),
                salutation: text(&self.salutation),
                phone: text(&self.phone),
                arrived_at,
                left_at: None,
                intent: text(&self.intent),
                heard_from: text(&self.heard_from),
                area: text(&self.area),
                party_size,
                notes: text(&self.notes),
                lost_reason: None,
            },
            consultant_id,
        })
    }
}

#[derive(Template)]
#[template(path = "showroom/desk.html")]
struct DeskPage {
    chrome: Chrome,
    day: String,
    today: bool,
    draft: Draft,
    errors: FormErrors,
    kinds: Vec<Choice>,
    salutations: Vec<Choice>,
    intents: Vec<&'static str>,
    sources: Vec<Choice>,
    consultants: Vec<Choice>,
    lost_reasons: Vec<Choice>,
    visits: Vec<VisitRow>,
    here: usize,
}

#[derive(Deserialize, Default)]
struct DeskQuery {
    day: Option<String>,
    notice: Option<String>,
}

async fn desk(State(state): State<AppState>, user: Signed, Query(q): Query<DeskQuery>) -> Response {
    let day = parse_day(q.day.as_deref());
    let draft = Draft {
        kind: "walk_in".into(),
        consultant_id: user.actor.id().to_string(),
        ..Draft::default()
    };
    let page = desk_page(&state, &user, day, draft, FormErrors::default()).await;
    match page {
        Ok(mut page) => {
            page.chrome = page.chrome.with_notice(q.notice.as_deref());
            render(&page).into_response()
        }
        Err(e) => page_error(user.ctx.tr, e),
    }
}

async fn desk_page(
    state: &AppState,
    user: &Signed,
    day: Option<NaiveDate>,
    draft: Draft,
    errors: FormErrors,
) -> Result<DeskPage, AppError> {
    let t = user.ctx.tr;
    if !app::showroom::may_register(&user.actor) {
        return Err(AppError::Forbidden);
    }
    let today = app::showroom::today(&state.app, &user.actor);
    let day = day.unwrap_or(today);
    let visits = app::showroom::visits(&state.app, &user.actor, day, day).await?;
    let leads: Vec<Uuid> = visits.iter().filter_map(|v| v.lead_id).collect();
    let open = app::showroom::openable_leads(&state.app, &user.actor, &leads).await?;
    let sources = app::showroom::heard_from_choices(&state.app, &user.actor).await?;
    // Only who may give leads away receives visitors for others.
    let may_transfer = user.actor.principal.can(
        domain::permissions::ObjectKind::Lead,
        domain::permissions::Action::Transfer,
    );
    let consultants = if may_transfer {
        super::records::user_choices(state, user).await
    } else {
        vec![Choice {
            value: user.actor.id().to_string(),
            label: user.actor.user.name.clone(),
        }]
    };
    let rows: Vec<VisitRow> = visits
        .iter()
        .map(|v| {
            let lead_open = v.lead_id.is_some_and(|l| open.contains(&l));
            visit_row(t, v, &sources, lead_open, false)
        })
        .collect();
    Ok(DeskPage {
        chrome: Chrome::new(&user.ctx, "showroom"),
        day: day.format("%Y-%m-%d").to_string(),
        today: day == today,
        draft,
        errors,
        kinds: choices(rules::KINDS, t),
        salutations: choices(rules::SALUTATIONS, t),
        intents: rules::INTENTS.to_vec(),
        sources: sources
            .iter()
            .map(|o| Choice {
                value: o.key.clone(),
                label: if t.is_zh() { &o.label_zh } else { &o.label_en }.clone(),
            })
            .collect(),
        consultants,
        lost_reasons: choices(rules::LOST_REASONS, t),
        here: rows.iter().filter(|r| r.left.is_none()).count(),
        visits: rows,
    })
}

async fn register(
    State(state): State<AppState>,
    user: Signed,
    Form(form): Form<Pairs>,
) -> Response {
    let draft = Draft::posted(&form);
    let result = async {
        let input = draft.input(user.actor.time_zone())?;
        app::showroom::register(&state.app, &user.actor, &input).await
    }
    .await;
    match result {
        Ok(done) => {
            let notice = if done.visit.first_visit {
                "showroom_registered"
            } else {
                "showroom_returning"
            };
            see_other(user.ctx.htmx, &format!("/showroom?notice={notice}"))
        }
        Err(e @ AppError::Validation(_)) => {
            let errors = FormErrors::from_app(user.ctx.tr, &e);
            match desk_page(&state, &user, None, draft, errors).await {
                Ok(page) => (crate::error::status_of(&e), render(&page)).into_response(),
                Err(other) => page_error(user.ctx.tr, other),
            }
        }
        Err(e) => page_error(user.ctx.tr, e),
    }
}

fn form_value<'a>(form: &'a Pairs, key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Back to the day the change was made on.
fn back_to_desk(user: &Signed, form: &Pairs, notice: &str) -> Response {
    let day = parse_day(form_value(form, "day"))
        .map(|d| format!("day={}&", d.format("%Y-%m-%d")))
        .unwrap_or_default();
    see_other(user.ctx.htmx, &format!("/showroom?{day}notice={notice}"))
}

async fn leave(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> Response {
    let outcome = Outcome {
        left: Some(None),
        lost_reason: None,
        version: form_value(&form, "version").and_then(|v| v.parse().ok()),
    };
    change(&state, &user, &id, &form, &outcome, "showroom_left").await
}

async fn lost(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> Response {
    let reason = form_value(&form, "lost_reason")
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    let outcome = Outcome {
        left: None,
        lost_reason: Some(reason),
        version: form_value(&form, "version").and_then(|v| v.parse().ok()),
    };
    change(&state, &user, &id, &form, &outcome, "showroom_lost_saved").await
}

async fn change(
    state: &AppState,
    user: &Signed,
    id: &str,
    form: &Pairs,
    outcome: &Outcome,
    notice: &str,
) -> Response {
    let result = async {
        let id = parse_id(id)?;
        app::showroom::set_outcome(&state.app, &user.actor, id, outcome).await
    }
    .await;
    match result {
        Ok(_) => back_to_desk(user, form, notice),
        Err(e) => page_error(user.ctx.tr, e),
    }
}

/// The lead page's visits: its follow-up card (意向客户跟踪卡), times in the reader's zone.
pub struct VisitsPanel {
    pub visits: Vec<VisitRow>,
}

pub async fn visits_panel(state: &AppState, user: &Signed, lead: Uuid) -> Option<VisitsPanel> {
    let t = user.ctx.tr;
    let visits = app::showroom::for_lead(&state.app, &user.actor, lead)
        .await
        .ok()?;
    if visits.is_empty() {
        return None;
    }
    let sources = app::showroom::heard_from_choices(&state.app, &user.actor)
        .await
        .unwrap_or_default();
    Some(VisitsPanel {
        visits: visits
            .iter()
            .map(|v| visit_row(t, v, &sources, false, true))
            .collect(),
    })
}
