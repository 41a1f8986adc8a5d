//! Administration of business types (`/admin/business-types`): the list with the templates
//! to install, and a business type's stages edited in one form (at most twelve rows; an
//! empty key leaves a row out). Texts in both languages are typed as `中文 | English`, lists
//! one item per line; a checklist line keeps the key of the item with the same English text.

use crate::error::page_error;
use crate::session::Signed;
use crate::views::{render, Chrome};
use crate::AppState;
use app::business_types::{BusinessType, Input};
use app::AppError;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::permissions::{Action, ObjectKind};
use domain::picklists::{Closed, Stage, MAX_STAGES};
use domain::stages::{ChecklistItem, Gate, Texts};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/business-types", get(list))
        .route("/admin/business-types/install", post(install))
        .route("/admin/business-types/{key}", get(edit).post(save))
}

#[derive(Template)]
#[template(path = "admin/business_types.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<(String, String, usize, bool, bool)>,
    templates: Vec<(String, String)>,
}

fn notice_of(raw: Option<&str>) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw.unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "notice")
        .map(|(_, v)| v)
}

async fn list(State(state): State<AppState>, user: Signed, RawQuery(raw): RawQuery) -> Response {
    let t = user.ctx.tr;
    if let Err(e) = user.actor.require(ObjectKind::Org, Action::Administer) {
        return page_error(t, e);
    }
    let types = match app::business_types::list(&state.app, &user.actor).await {
        Ok(types) => types,
        Err(e) => return page_error(t, e),
    };
    let zh = t.is_zh();
    let page = ListPage {
        chrome: Chrome::new(&user.ctx, "admin").with_notice(notice_of(raw.as_deref()).as_deref()),
        rows: types
            .iter()
            .map(|b| {
                (
                    b.record_type.key.clone(),
                    b.record_type.name(zh).to_string(),
                    b.set.stages.len(),
                    b.record_type.is_default,
                    b.record_type.active,
                )
            })
            .collect(),
        templates: domain::stages::templates()
            .into_iter()
            .filter(|tpl| !types.iter().any(|b| b.record_type.key == tpl.key))
            .map(|tpl| {
                let name = if zh { tpl.set.name_zh } else { tpl.set.name_en };
                (tpl.key.to_string(), name)
            })
            .collect(),
    };
    render(&page).into_response()
}

#[derive(serde::Deserialize)]
struct InstallForm {
    template: String,
}

async fn install(
    State(state): State<AppState>,
    user: Signed,
    crate::pages::Form(form): crate::pages::Form<InstallForm>,
) -> Response {
    let t = user.ctx.tr;
    match app::business_types::install(&state.app, &user.actor, &form.template).await {
        Ok(b) => {
            Redirect::to(&format!("/admin/business-types/{}", b.record_type.key)).into_response()
        }
        Err(e) => page_error(t, e),
    }
}

/// One stage row of the form, as text.
#[derive(Default, Clone)]
pub struct Row {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub win_rate: String,
    pub closed: String,
    pub duration: String,
    pub milestone: String,
    pub buying_step: String,
    pub activities: String,
    pub required: String,
    pub checklist: String,
    pub maps_from: String,
}

fn pair(t: &Texts) -> String {
    if t.is_empty() {
        String::new()
    } else {
        format!("{} | {}", t.zh, t.en)
    }
}

fn unpair(s: &str) -> Texts {
    match s.split_once('|') {
        Some((zh, en)) => Texts::new(zh.trim(), en.trim()),
        None => Texts::new(s.trim(), s.trim()),
    }
}

impl Row {
    fn of(s: &Stage) -> Row {
        let g = &s.gate;
        Row {
            key: s.key.clone(),
            name_zh: s.name_zh.clone(),
            name_en: s.name_en.clone(),
            win_rate: s.win_rate.to_string(),
            closed: s.closed.map(Closed::key).unwrap_or_default().into(),
            duration: g.duration_days.map(|d| d.to_string()).unwrap_or_default(),
            milestone: pair(&g.milestone),
            buying_step: pair(&g.buying_step),
            activities: g
                .key_activities
                .iter()
                .map(pair)
                .collect::<Vec<_>>()
                .join("\n"),
            required: g.required_fields.join(", "),
            checklist: g
                .checklist
                .iter()
                .map(|i| format!("{} | {}", i.zh, i.en))
                .collect::<Vec<_>>()
                .join("\n"),
            maps_from: g.maps_from.join(", "),
        }
    }

    /// The stage typed in the row; `old` gives checklist items their keys.
    fn stage(&self, old: Option<&Stage>) -> Stage {
        let list = |s: &str| -> Vec<String> {
            s.split([',', '，'])
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_string)
                .collect()
        };
        let lines = |s: &str| -> Vec<Texts> {
            s.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(unpair)
                .collect()
        };
        let checklist = lines(&self.checklist)
            .into_iter()
            .map(|t| {
                let key = old
                    .and_then(|o| o.gate.checklist.iter().find(|i| i.en == t.en))
                    .map(|i| i.key.clone())
                    .unwrap_or_else(|| domain::stages::item_key(&t.en));
                ChecklistItem {
                    key,
                    zh: t.zh,
                    en: t.en,
                }
            })
            .collect();
        Stage {
            key: self.key.trim().to_string(),
            name_zh: self.name_zh.trim().to_string(),
            name_en: self.name_en.trim().to_string(),
            win_rate: self.win_rate.trim().parse().unwrap_or(101),
            closed: Closed::parse(self.closed.trim()),
            gate: Gate {
                duration_days: match self.duration.trim() {
                    "" => None,
                    d => Some(d.parse().unwrap_or(0)),
                },
                key_activities: lines(&self.activities),
                milestone: match self.milestone.trim() {
                    "" => Texts::default(),
                    m => unpair(m),
                },
                buying_step: match self.buying_step.trim() {
                    "" => Texts::default(),
                    m => unpair(m),
                },
                required_fields: list(&self.required),
                checklist,
                maps_from: list(&self.maps_from),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "admin/business_type_form.html")]
struct FormPage {
    chrome: Chrome,
    key: String,
    name_zh: String,
    name_en: String,
    active: bool,
    is_default: bool,
    rows: Vec<(usize, Row)>,
    errors: Vec<String>,
}

fn form_page(user: &Signed, b: &BusinessType, rows: Vec<Row>, errors: Vec<String>) -> FormPage {
    let mut rows = rows;
    while rows.len() < MAX_STAGES {
        rows.push(Row::default());
    }
    FormPage {
        chrome: Chrome::new(&user.ctx, "admin"),
        key: b.record_type.key.clone(),
        name_zh: b.record_type.name_zh.clone(),
        name_en: b.record_type.name_en.clone(),
        active: b.record_type.active,
        is_default: b.record_type.is_default,
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| (i + 1, r))
            .collect(),
        errors,
    }
}

async fn edit(State(state): State<AppState>, user: Signed, Path(key): Path<String>) -> Response {
    let t = user.ctx.tr;
    if let Err(e) = user.actor.require(ObjectKind::Org, Action::Administer) {
        return page_error(t, e);
    }
    match app::business_types::get(&state.app, &user.actor, &key).await {
        Ok(b) => {
            let rows = b.set.stages.iter().map(Row::of).collect();
            render(&form_page(&user, &b, rows, Vec::new())).into_response()
        }
        Err(e) => page_error(t, e),
    }
}

async fn save(
    State(state): State<AppState>,
    user: Signed,
    Path(key): Path<String>,
    crate::pages::Form(form): crate::pages::Form<Vec<(String, String)>>,
) -> Response {
    let t = user.ctx.tr;
    let current = match app::business_types::get(&state.app, &user.actor, &key).await {
        Ok(b) => b,
        Err(e) => return page_error(t, e),
    };
    let value = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    for i in 0..MAX_STAGES {
        let f = |n: &str| value(&format!("s{i}_{n}"));
        rows.push(Row {
            key: f("key"),
            name_zh: f("name_zh"),
            name_en: f("name_en"),
            win_rate: f("win_rate"),
            closed: f("closed"),
            duration: f("duration"),
            milestone: f("milestone"),
            buying_step: f("buying_step"),
            activities: f("activities"),
            required: f("required"),
            checklist: f("checklist"),
            maps_from: f("maps_from"),
        });
    }
    let rows: Vec<Row> = rows
        .into_iter()
        .filter(|r| !r.key.trim().is_empty())
        .collect();
    let stages = rows
        .iter()
        .map(|r| r.stage(current.set.stage(r.key.trim())))
        .collect();
    let input = Input {
        key: key.clone(),
        name_zh: value("name_zh"),
        name_en: value("name_en"),
        active: form.iter().any(|(k, _)| k == "active"),
        is_default: form.iter().any(|(k, _)| k == "is_default"),
        stages,
    };
    match app::business_types::save(&state.app, &user.actor, input).await {
        Ok(_) => Redirect::to("/admin/business-types?notice=business_type_saved").into_response(),
        Err(AppError::Validation(errors)) => {
            let messages = errors
                .0
                .iter()
                .map(|e| format!("{}: {}", e.field, t.field_error(e)))
                .collect();
            let page = form_page(&user, &current, rows, messages);
            (axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(e) => page_error(t, e),
    }
}
