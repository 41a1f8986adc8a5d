//! The deal's closing actions on its page: "Won" and "Lost" open the close review form
//! (`/opportunities/{id}/close?outcome=won|lost`: the reason from the company's list, for a
//! loss the competitor who won and their price, the lessons), "Suspend" asks the reason and
//! the resume date, "Reactivate" takes a suspended deal up again, "Terminate" asks the
//! reason. Each form posts to the same use case as the API (`app::closing`); a refusal shows
//! the form again with its messages, saving nothing.

use crate::error::page_error;
use crate::pages::records::{form_fields, form_input, raw_names, FormField, Pairs};
use crate::pages::{see_other, Form};
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::AppError;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::permissions::ObjectKind;
use domain::picklists::Closed;
use std::collections::HashMap;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/opportunities/{id}/close", get(close_form).post(close))
        .route(
            "/opportunities/{id}/suspend",
            get(suspend_form).post(suspend),
        )
        .route("/opportunities/{id}/reactivate", post(reactivate))
        .route(
            "/opportunities/{id}/terminate",
            get(terminate_form).post(terminate),
        )
}

const OPPORTUNITY: ObjectKind = ObjectKind::Opportunity;

#[derive(Template)]
#[template(path = "closing/form.html")]
struct ClosingForm {
    chrome: Chrome,
    id: Uuid,
    name: String,
    version: i64,
    /// The path the form posts to under the deal: `close`, `suspend`, `terminate`.
    action: &'static str,
    outcome: Option<&'static str>,
    title: String,
    intro: String,
    submit: String,
    fields: Vec<FormField>,
    errors: FormErrors,
}

fn outcome_of(raw: Option<&str>) -> Option<Closed> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
    pairs
        .into_iter()
        .find(|(k, _)| k == "outcome")
        .and_then(|(_, v)| Closed::parse(&v))
}

fn parse(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

/// A plain control of the suspend and terminate forms.
fn control(key: &str, label: String, control: &'static str, value: String) -> FormField {
    FormField {
        key: key.to_string(),
        label,
        help: None,
        control,
        value,
        chosen: Vec::new(),
        options: Vec::new(),
        required: key == "reason",
        error: None,
        lookup_url: String::new(),
        lookup_label: String::new(),
        full: control == "textarea",
        when: None,
        shown: true,
        refresh: false,
    }
}

/// What a form shows again: the posted values and the errors.
struct Posted<'a> {
    raw: HashMap<String, Vec<String>>,
    errors: FormErrors,
    status: StatusCode,
    version: Option<i64>,
    pairs: &'a Pairs,
}

impl Posted<'_> {
    fn value(&self, key: &str) -> String {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

async fn render_close(
    state: &AppState,
    user: &Signed,
    id: Uuid,
    outcome: Closed,
    posted: Option<Posted<'_>>,
) -> Result<Response, AppError> {
    let t = user.ctx.tr;
    let view = app::records::get(&state.app, &user.actor, OPPORTUNITY, id).await?;
    let (raw, errors, status, version) = match posted {
        Some(p) => (p.raw, p.errors, p.status, p.version),
        None => (HashMap::new(), FormErrors::default(), StatusCode::OK, None),
    };
    let mut names = raw_names(state, user, &view.fields, &raw).await;
    names.extend(view.names.clone());
    let review = domain::closing::review_fields(outcome);
    let mut fields: Vec<FormField> = form_fields(
        state,
        user,
        &view.fields,
        &view.record.values,
        &names,
        &raw,
        &errors,
    )
    .await
    .into_iter()
    .filter(|f| review.contains(&f.key.as_str()))
    .collect();
    for f in &mut fields {
        f.required = true;
        f.shown = true;
        f.when = None;
    }
    let form = ClosingForm {
        chrome: Chrome::new(&user.ctx, "opportunities"),
        id,
        name: view.record.name().to_string(),
        version: version.unwrap_or(view.record.version),
        action: "close",
        outcome: Some(outcome.key()),
        title: t.key("closing.title.", outcome.key()),
        intro: t.get("closing.review_intro").to_string(),
        submit: t.key("closing.submit.", outcome.key()),
        fields,
        errors,
    };
    Ok((status, render(&form)).into_response())
}

async fn close_form(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let t = user.ctx.tr;
    let Some(outcome) = outcome_of(raw.as_deref()) else {
        return page_error(t, AppError::field("outcome", "invalid_choice"));
    };
    match parse(&id) {
        Ok(id) => render_close(&state, &user, id, outcome, None)
            .await
            .unwrap_or_else(|e| page_error(t, e)),
        Err(e) => page_error(t, e),
    }
}

/// Whether a refusal is shown on the form again (else an error page).
fn shown_on_form(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Validation(_)
            | AppError::Rule(_)
            | AppError::Refused(_)
            | AppError::Conflict
            | AppError::Forbidden
    )
}

/// The form's errors, with the close review's and the gate's messages as the API gives them.
async fn form_errors(state: &AppState, user: &Signed, id: Uuid, e: AppError) -> FormErrors {
    let t = user.ctx.tr;
    let mut errors = FormErrors::from_app(t, &e);
    if matches!(e, AppError::Validation(_)) {
        let explained = crate::api::closing::explain(state, &user.actor, t, id, e).await;
        errors.general = Some(explained.body.error.message.clone());
        for f in explained.body.error.fields {
            if let Some(m) = errors.messages.iter_mut().find(|(k, _)| *k == f.field) {
                m.1 = f.message;
            }
        }
    }
    errors
}

async fn close(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Response {
    let t = user.ctx.tr;
    let id = match parse(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    let outcome = pairs
        .iter()
        .find(|(k, _)| k == "outcome")
        .and_then(|(_, v)| Closed::parse(v));
    let Some(outcome) = outcome else {
        return page_error(t, AppError::field("outcome", "invalid_choice"));
    };
    let fields = match app::records::object_fields(&state.app, &user.actor, OPPORTUNITY).await {
        Ok(f) => f,
        Err(e) => return page_error(t, e),
    };
    let review = domain::closing::review_fields(outcome);
    let own: Pairs = pairs
        .iter()
        .filter(|(k, _)| review.contains(&k.as_str()) || k == "version")
        .cloned()
        .collect();
    let (input, raw, version) = form_input(&fields, &own, false, t.zone);
    match app::closing::close(&state.app, &user.actor, id, outcome, &input, version).await {
        Ok(()) => see_other(
            user.ctx.htmx,
            &format!("/opportunities/{id}?notice=deal_{}", outcome.key()),
        ),
        Err(e) if shown_on_form(&e) => {
            let status = crate::error::status_of(&e);
            let errors = form_errors(&state, &user, id, e).await;
            let posted = Posted {
                raw,
                errors,
                status,
                version,
                pairs: &own,
            };
            render_close(&state, &user, id, outcome, Some(posted))
                .await
                .unwrap_or_else(|e| page_error(t, e))
        }
        Err(e) => page_error(t, e),
    }
}

async fn render_status_form(
    state: &AppState,
    user: &Signed,
    id: Uuid,
    action: &'static str,
    posted: Option<Posted<'_>>,
) -> Result<Response, AppError> {
    let t = user.ctx.tr;
    let view = app::records::get(&state.app, &user.actor, OPPORTUNITY, id).await?;
    let value = |key: &str| posted.as_ref().map(|p| p.value(key)).unwrap_or_default();
    let mut fields = vec![control(
        "reason",
        t.get("closing.reason").to_string(),
        "textarea",
        value("reason"),
    )];
    if action == "suspend" {
        fields.push(control(
            "resume_on",
            t.get("closing.resume_on").to_string(),
            "date",
            value("resume_on"),
        ));
    }
    let (errors, status, version) = match posted {
        Some(p) => (p.errors, p.status, p.version),
        None => (FormErrors::default(), StatusCode::OK, None),
    };
    for f in &mut fields {
        f.error = errors.get(&f.key).map(str::to_string);
    }
    let form = ClosingForm {
        chrome: Chrome::new(&user.ctx, "opportunities"),
        id,
        name: view.record.name().to_string(),
        version: version.unwrap_or(view.record.version),
        action,
        outcome: None,
        title: t.key("closing.title.", action),
        intro: t.key("closing.intro.", action),
        submit: t.key("closing.submit.", action),
        fields,
        errors,
    };
    Ok((status, render(&form)).into_response())
}

async fn suspend_form(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
) -> Response {
    let t = user.ctx.tr;
    match parse(&id) {
        Ok(id) => render_status_form(&state, &user, id, "suspend", None)
            .await
            .unwrap_or_else(|e| page_error(t, e)),
        Err(e) => page_error(t, e),
    }
}

async fn terminate_form(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
) -> Response {
    let t = user.ctx.tr;
    match parse(&id) {
        Ok(id) => render_status_form(&state, &user, id, "terminate", None)
            .await
            .unwrap_or_else(|e| page_error(t, e)),
        Err(e) => page_error(t, e),
    }
}

fn version_of(pairs: &Pairs) -> Option<i64> {
    pairs
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse().ok())
}

async fn status_result(
    state: &AppState,
    user: &Signed,
    id: Uuid,
    action: &'static str,
    pairs: &Pairs,
    result: Result<(), AppError>,
) -> Response {
    let t = user.ctx.tr;
    match result {
        Ok(()) => see_other(
            user.ctx.htmx,
            &format!("/opportunities/{id}?notice=deal_{action}"),
        ),
        Err(e) if shown_on_form(&e) => {
            let posted = Posted {
                raw: HashMap::new(),
                status: crate::error::status_of(&e),
                errors: FormErrors::from_app(t, &e),
                version: version_of(pairs),
                pairs,
            };
            render_status_form(state, user, id, action, Some(posted))
                .await
                .unwrap_or_else(|e| page_error(t, e))
        }
        Err(e) => page_error(t, e),
    }
}

async fn suspend(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Response {
    let t = user.ctx.tr;
    let id = match parse(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    let value = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let resume = value("resume_on");
    let result = match chrono::NaiveDate::parse_from_str(&resume, "%Y-%m-%d") {
        Err(_) if !resume.is_empty() => Err(AppError::field("resume_on", "invalid_date")),
        parsed => {
            let suspension = app::closing::Suspension {
                reason: value("reason"),
                resume_on: parsed.ok(),
            };
            app::closing::suspend(&state.app, &user.actor, id, &suspension, version_of(&pairs))
                .await
        }
    };
    status_result(&state, &user, id, "suspend", &pairs, result).await
}

async fn terminate(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Response {
    let t = user.ctx.tr;
    let id = match parse(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    let reason = pairs
        .iter()
        .find(|(k, _)| k == "reason")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let result =
        app::closing::terminate(&state.app, &user.actor, id, &reason, version_of(&pairs)).await;
    status_result(&state, &user, id, "terminate", &pairs, result).await
}

/// Reactivates from the deal's page (a button); a refusal is shown on the deal's page.
async fn reactivate(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Response {
    let t = user.ctx.tr;
    let id = match parse(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    match app::closing::reactivate(&state.app, &user.actor, id, version_of(&pairs)).await {
        Ok(()) => see_other(
            user.ctx.htmx,
            &format!("/opportunities/{id}?notice=deal_reactivate"),
        ),
        Err(e) if shown_on_form(&e) => {
            let errors = FormErrors::from_app(t, &e);
            crate::pages::records::show_response(&state, &user, OPPORTUNITY, id, None, errors).await
        }
        Err(e) => page_error(t, e),
    }
}
