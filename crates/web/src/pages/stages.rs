//! The sales process's pages: the stage path on the deal's page (a panel the record page
//! includes), the stage move and checklist forms, and the board `/opportunities/board` with
//! its drag and drop (`assets/board.js`: a drop posts the same stage form and asks for JSON;
//! a refused move answers the gate's message and the card snaps back).

use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, Chrome};
use crate::AppState;
use app::stages::Path as StagePath;
use app::AppError;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Duration;
use domain::picklists::Stage;
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/opportunities/board", get(board))
        .route("/opportunities/{id}/stage", post(move_stage))
        .route("/opportunities/{id}/checklist", post(tick))
}

fn name(t: Tr, s: &Stage) -> String {
    if t.is_zh() {
        s.name_zh.clone()
    } else {
        s.name_en.clone()
    }
}

/// A time spent, in days (or hours under a day).
pub fn spent(t: Tr, d: Duration) -> String {
    if d >= Duration::days(1) {
        t.fmt("stages.days", &[("n", &d.num_days().to_string())])
    } else {
        t.fmt("stages.hours", &[("n", &d.num_hours().max(0).to_string())])
    }
}

fn money(minor: Option<i64>, currency: &str) -> String {
    let exp = domain::money::exponent(currency);
    minor
        .map(|m| {
            format!(
                "{} {}",
                currency,
                domain::money::format(domain::money::from_minor(m, exp), exp)
            )
        })
        .unwrap_or_else(|| "—".into())
}

pub struct PathStep {
    pub key: String,
    pub name: String,
    pub class: &'static str,
    pub spent: String,
}

pub struct ChecklistRow {
    pub key: String,
    pub label: String,
    pub checked: bool,
    pub by: String,
}

pub struct HistoryRow {
    pub stage: String,
    pub entered: String,
    pub spent: String,
    pub by: String,
    pub skipped: bool,
}

/// The stage path panel of a deal's page.
pub struct PathPanel {
    pub id: Uuid,
    pub stage: String,
    pub steps: Vec<PathStep>,
    pub current: String,
    pub in_stage: String,
    pub due: Option<String>,
    pub warning: Option<(&'static str, String)>,
    pub activities: Vec<String>,
    pub milestone: String,
    pub buying_step: String,
    pub checklist: Vec<ChecklistRow>,
    pub missing: Vec<String>,
    pub open: bool,
    pub choices: Vec<(String, String, bool)>,
    pub win_rate: String,
    pub amount: String,
    pub weighted: String,
    pub history: Vec<HistoryRow>,
    pub can_skip: bool,
    /// The deal's status (`open`, `suspended`, …), its label, and what the status line says
    /// (the reason, the resume date).
    pub status: &'static str,
    pub status_label: String,
    pub status_note: String,
    /// The closing actions the reader may take: (`won`, `lost`, `suspend`, `reactivate`,
    /// `terminate`; label).
    pub actions: Vec<(&'static str, String)>,
}

/// The closing actions a deal in `status` offers a reader who may edit it.
fn closing_actions(
    t: Tr,
    status: domain::closing::Status,
    admin: bool,
) -> Vec<(&'static str, String)> {
    use domain::closing::Status;
    let keys: &[&'static str] = match status {
        Status::Open => &["won", "lost", "suspend", "terminate"],
        Status::Suspended => &["reactivate", "terminate"],
        Status::Terminated if admin => &["reactivate"],
        Status::Won | Status::Lost => &[],
        Status::Terminated => &[],
    };
    keys.iter()
        .map(|k| (*k, t.key("closing.action.", k)))
        .collect()
}

/// The panel of a deal the reader sees (none when the path cannot be read).
pub async fn path_panel(state: &AppState, user: &Signed, id: Uuid) -> Option<PathPanel> {
    let t = user.ctx.tr;
    let p: StagePath = app::stages::path(&state.app, &user.actor, id).await.ok()?;
    let fields = app::records::object_fields(
        &state.app,
        &user.actor,
        domain::permissions::ObjectKind::Opportunity,
    )
    .await
    .ok()?;
    let zh = t.is_zh();
    let now = state.app.now();
    let current = p.current.clone().unwrap_or_default();
    let admin = user.actor.principal.can(
        domain::permissions::ObjectKind::Org,
        domain::permissions::Action::Administer,
    );
    let may_edit = app::sharing::may(
        &state.app,
        &user.actor,
        domain::permissions::ObjectKind::Opportunity,
        id,
        domain::permissions::Action::Edit,
    )
    .await
    .unwrap_or(false);
    let actions = if may_edit {
        closing_actions(t, p.status, admin)
    } else {
        Vec::new()
    };
    let mut note = p.status_reason.clone().unwrap_or_default();
    if let Some(day) = p.resume_on {
        let resume = t.fmt("closing.resume_note", &[("date", &day.to_string())]);
        note = if note.is_empty() {
            resume
        } else {
            format!("{note} · {resume}")
        };
    }
    let names: std::collections::HashMap<String, String> = p
        .set
        .stages
        .iter()
        .map(|s| (s.key.clone(), name(t, s)))
        .collect();
    let mut missing: Vec<String> = p
        .unmet
        .fields
        .iter()
        .map(|f| {
            fields
                .field(f)
                .map(|d| crate::api::stages::field_label(t, d))
                .unwrap_or_else(|| f.clone())
        })
        .collect();
    missing.extend(p.unmet.items.iter().map(|i| i.label(zh).to_string()));
    Some(PathPanel {
        id,
        stage: current.key.clone(),
        steps: p
            .stages
            .iter()
            .map(|s| PathStep {
                key: s.stage.key.clone(),
                name: name(t, &s.stage),
                class: if s.current {
                    "current"
                } else if s.passed {
                    "passed"
                } else {
                    "ahead"
                },
                spent: if s.spent > Duration::zero() {
                    spent(t, s.spent)
                } else {
                    String::new()
                },
            })
            .collect(),
        current: name(t, &current),
        in_stage: p
            .entered_at
            .map(|at| t.fmt("stages.in_stage", &[("time", &spent(t, now - at))]))
            .unwrap_or_default(),
        due: p
            .due_at
            .filter(|_| current.closed.is_none())
            .map(|d| t.fmt("stages.due", &[("date", &t.time(d))])),
        warning: p
            .warning
            .filter(|_| current.closed.is_none())
            .map(|w| (w.key(), t.key("stages.warning.", w.key()))),
        activities: current
            .gate
            .key_activities
            .iter()
            .map(|a| a.get(zh).to_string())
            .collect(),
        milestone: current.gate.milestone.get(zh).to_string(),
        buying_step: current.gate.buying_step.get(zh).to_string(),
        checklist: p
            .checklist
            .iter()
            .map(|(item, tick)| ChecklistRow {
                key: item.key.clone(),
                label: item.label(zh).to_string(),
                checked: tick.is_some(),
                by: tick
                    .as_ref()
                    .map(|k| {
                        t.fmt(
                            "stages.checked_by",
                            &[
                                ("name", k.checked_by_name.as_deref().unwrap_or_default()),
                                ("time", &t.time(k.checked_at)),
                            ],
                        )
                    })
                    .unwrap_or_default(),
            })
            .collect(),
        missing,
        open: current.closed.is_none(),
        choices: p
            .set
            .stages
            .iter()
            .map(|s| (s.key.clone(), name(t, s), s.key == current.key))
            .collect(),
        win_rate: p
            .win_rate
            .map(|w| format!("{}%", w.normalize()))
            .unwrap_or_else(|| "—".into()),
        amount: money(p.amount_minor, &p.currency),
        weighted: money(p.weighted_minor, &p.currency),
        history: p
            .history
            .iter()
            .rev()
            .map(|e| HistoryRow {
                stage: names
                    .get(&e.stage)
                    .cloned()
                    .unwrap_or_else(|| e.stage.clone()),
                entered: t.time(e.entered_at),
                spent: spent(t, e.left_at.unwrap_or(now) - e.entered_at),
                by: e.entered_by_name.clone().unwrap_or_default(),
                skipped: e.skipped.is_some(),
            })
            .collect(),
        can_skip: p.can_skip,
        status: p.status.key(),
        status_label: t.key("closing.status.", p.status.key()),
        status_note: note,
        actions,
    })
}

#[derive(Deserialize)]
struct MoveForm {
    stage: String,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// Moves a deal (the path's form, a board drop): the gate's message when refused, as JSON
/// for the board's script, else the deal's page with the message.
async fn move_stage(
    State(state): State<AppState>,
    user: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    crate::pages::Form(form): crate::pages::Form<MoveForm>,
) -> Response {
    let t = user.ctx.tr;
    let Ok(id) = Uuid::parse_str(&id) else {
        return page_error(t, AppError::NotFound);
    };
    let result = app::stages::move_stage(&state.app, &user.actor, id, &form.stage, None).await;
    let json = wants_json(&headers);
    match result {
        Ok(()) => {
            let stage = app::stages::path(&state.app, &user.actor, id)
                .await
                .ok()
                .and_then(|p| p.current)
                .map(|s| name(t, &s))
                .unwrap_or_default();
            let message = t.fmt("stages.moved", &[("stage", &stage)]);
            if json {
                Json(serde_json::json!({ "ok": true, "message": message })).into_response()
            } else {
                axum::response::Redirect::to(&format!("/opportunities/{id}?notice=stage_moved"))
                    .into_response()
            }
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict | AppError::Forbidden)) => {
            let error = crate::api::closing::explain(&state, &user.actor, t, id, e).await;
            let mut message = error.body.error.message.clone();
            // A close refused for its review: the review form of the outcome the stage means.
            let review_url = if error.body.error.code == "close_review" {
                app::stages::path(&state.app, &user.actor, id)
                    .await
                    .ok()
                    .and_then(|p| p.set.stage(&form.stage).and_then(|s| s.closed))
                    .map(|c| format!("/opportunities/{id}/close?outcome={}", c.key()))
            } else {
                None
            };
            if let (Some(url), false) = (&review_url, json) {
                return axum::response::Redirect::to(url).into_response();
            }
            if !matches!(
                error.body.error.code.as_str(),
                "stage_gate" | "close_review"
            ) {
                for f in &error.body.error.fields {
                    message.push(' ');
                    message.push_str(&f.message);
                }
            }
            if json {
                let body = serde_json::json!({
                    "ok": false,
                    "message": message,
                    "link": review_url.map(|href| serde_json::json!({
                        "href": href,
                        "text": t.get("closing.open_review"),
                    })),
                });
                (error.status, Json(body)).into_response()
            } else {
                let errors = crate::views::FormErrors {
                    messages: Vec::new(),
                    general: Some(message),
                };
                let kind = domain::permissions::ObjectKind::Opportunity;
                crate::pages::records::show_response(&state, &user, kind, id, None, errors).await
            }
        }
        Err(e) => page_error(t, e),
    }
}

#[derive(Deserialize)]
struct TickForm {
    stage: String,
    item: String,
    checked: String,
}

async fn tick(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    crate::pages::Form(form): crate::pages::Form<TickForm>,
) -> Response {
    let t = user.ctx.tr;
    let Ok(id) = Uuid::parse_str(&id) else {
        return page_error(t, AppError::NotFound);
    };
    let checked = form.checked == "true";
    match app::stages::set_item(
        &state.app,
        &user.actor,
        id,
        &form.stage,
        &form.item,
        checked,
    )
    .await
    {
        Ok(_) => {
            axum::response::Redirect::to(&format!("/opportunities/{id}#stage-path")).into_response()
        }
        Err(e) => page_error(t, e),
    }
}

pub struct CardView {
    pub id: Uuid,
    pub name: String,
    pub account: String,
    pub owner: String,
    pub amount: String,
    pub close: String,
    pub warning: Option<(&'static str, String)>,
}

pub struct ColumnView {
    pub key: String,
    pub name: String,
    pub win_rate: u32,
    pub closed: bool,
    pub count: String,
    pub amount: String,
    pub weighted: String,
    pub unconverted: String,
    pub cards: Vec<CardView>,
    pub more: Option<String>,
}

#[derive(Template)]
#[template(path = "stages/board.html")]
struct BoardPage {
    chrome: Chrome,
    types: Vec<(String, String, bool)>,
    owner: String,
    me: String,
    close_from: String,
    close_to: String,
    columns: Vec<ColumnView>,
    stages: Vec<(String, String)>,
    error: Option<String>,
}

async fn board(State(state): State<AppState>, user: Signed, RawQuery(raw): RawQuery) -> Response {
    let t = user.ctx.tr;
    let mut error = None;
    let query = match crate::api::stages::parse_board(&user.actor, raw.as_deref()) {
        Ok(q) => q,
        Err(errors) => {
            error = Some(
                errors
                    .0
                    .iter()
                    .map(|e| format!("{}: {}", e.field, t.field_error(e)))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            app::board::Query::default()
        }
    };
    let b = match app::board::board(&state.app, &user.actor, &query).await {
        Ok(b) => b,
        Err(AppError::Validation(errors)) => {
            error = Some(
                errors
                    .0
                    .iter()
                    .map(|e| format!("{}: {}", e.field, t.field_error(e)))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            match app::board::board(&state.app, &user.actor, &app::board::Query::default()).await {
                Ok(b) => b,
                Err(e) => return page_error(t, e),
            }
        }
        Err(e) => return page_error(t, e),
    };
    let chosen = b
        .record_type
        .as_ref()
        .map(|r| r.key.clone())
        .unwrap_or_default();
    let exp = domain::money::exponent(&b.currency);
    let base: Vec<(&str, String)> = [
        ("business_type", chosen.clone()),
        (
            "owner",
            query.owner_id.map(|o| o.to_string()).unwrap_or_default(),
        ),
        (
            "close_from",
            query.close_from.map(|d| d.to_string()).unwrap_or_default(),
        ),
        (
            "close_to",
            query.close_to.map(|d| d.to_string()).unwrap_or_default(),
        ),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    let columns = b
        .columns
        .iter()
        .map(|c| ColumnView {
            key: c.stage.key.clone(),
            name: name(t, &c.stage),
            win_rate: c.stage.win_rate,
            closed: c.stage.closed.is_some(),
            count: t.fmt("stages.count", &[("n", &c.count.to_string())]),
            amount: format!("{} {}", b.currency, domain::money::format(c.amount, exp)),
            weighted: format!("{} {}", b.currency, domain::money::format(c.weighted, exp)),
            unconverted: if c.unconverted.is_empty() {
                String::new()
            } else {
                t.fmt("stages.unconverted", &[("list", &c.unconverted.join(", "))])
            },
            cards: c
                .cards
                .iter()
                .map(|k| CardView {
                    id: k.card.id,
                    name: k.card.name.clone(),
                    account: k.account_name.clone(),
                    owner: k.owner_name.clone(),
                    amount: k
                        .amount
                        .map(|a| {
                            let e = domain::money::exponent(&k.card.currency);
                            format!("{} {}", k.card.currency, domain::money::format(a, e))
                        })
                        .unwrap_or_default(),
                    close: k.card.expected_close.clone().unwrap_or_default(),
                    warning: k
                        .warning
                        .map(|w| (w.key(), t.key("stages.warning.", w.key()))),
                })
                .collect(),
            more: c.next.map(|next| {
                let mut q = base.clone();
                q.push(("stage", c.stage.key.clone()));
                q.push(("cursor", next.to_string()));
                format!(
                    "/opportunities/board?{}",
                    serde_urlencoded::to_string(&q).unwrap_or_default()
                )
            }),
        })
        .collect();
    let page = BoardPage {
        chrome: Chrome::new(&user.ctx, "opportunities"),
        types: b
            .types
            .iter()
            .filter(|x| x.record_type.active || x.record_type.key == chosen)
            .map(|x| {
                (
                    x.record_type.key.clone(),
                    x.record_type.name(t.is_zh()).to_string(),
                    x.record_type.key == chosen,
                )
            })
            .collect(),
        owner: query.owner_id.map(|o| o.to_string()).unwrap_or_default(),
        me: user.actor.id().to_string(),
        close_from: query.close_from.map(|d| d.to_string()).unwrap_or_default(),
        close_to: query.close_to.map(|d| d.to_string()).unwrap_or_default(),
        stages: b
            .set
            .stages
            .iter()
            .map(|s| (s.key.clone(), name(t, s)))
            .collect(),
        columns,
        error,
    };
    (StatusCode::OK, render(&page)).into_response()
}
