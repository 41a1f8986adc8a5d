//! Background jobs: a job's progress page (`/jobs/{id}`, polled with htmx until the job
//! ends, so the user may leave and come back) and the administrators' list of failed and
//! dead jobs with their retry.

use super::see_other;
use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use store::jobs::Job;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/jobs/{id}", get(show))
        .route("/admin/jobs", get(list))
        .route("/admin/jobs/{id}/retry", post(retry))
}

/// A job as pages show it.
pub struct JobRow {
    pub id: Uuid,
    pub title: String,
    pub state: String,
    pub state_label: String,
    pub finished: bool,
    pub done: i64,
    pub total: i64,
    pub percent: i64,
    pub message: Option<String>,
    pub error: Option<String>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: String,
    pub updated_at: String,
    /// Where the user goes once the job is done (the page of what it worked on).
    pub back: Option<String>,
}

impl JobRow {
    pub fn new(t: Tr, job: &Job) -> Self {
        let finished = matches!(job.state.as_str(), app::jobs::DONE | app::jobs::DEAD);
        let total = job.progress_total.unwrap_or(0).max(0);
        let done = job.progress_done.max(0);
        let percent = match (job.state.as_str(), total) {
            (app::jobs::DONE, _) => 100,
            (_, 0) => 0,
            _ => (done * 100 / total).clamp(0, 100),
        };
        Self {
            id: job.id,
            title: t.key("job.kind.", &job.kind),
            state: job.state.clone(),
            state_label: t.key("job.state.", &job.state),
            finished,
            done,
            total,
            percent,
            message: job.progress_message.clone(),
            error: job.last_error.clone(),
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            run_at: t.time(job.run_at),
            updated_at: t.time(job.updated_at),
            back: back_link(job),
        }
    }
}

/// The page of what a job worked on, for the kinds that have one: a field index build goes
/// back to its object's fields.
fn back_link(job: &Job) -> Option<String> {
    if job.kind != app::customize::BuildFieldIndex::KIND {
        return None;
    }
    let object = job.payload.0.get("object")?.as_str()?;
    let kind = domain::permissions::ObjectKind::parse(object)?;
    let spec = domain::objects::spec(kind)?;
    Some(format!("/admin/fields/{}", spec.plural))
}

#[derive(Template)]
#[template(path = "jobs/show.html")]
struct JobPage {
    chrome: Chrome,
    job: JobRow,
}

#[derive(Template)]
#[template(path = "jobs/show.html", block = "status")]
struct JobStatus {
    chrome: Chrome,
    job: JobRow,
}

async fn show(State(state): State<AppState>, user: Signed, Path(id): Path<String>) -> Response {
    let t = user.ctx.tr;
    let Ok(id) = Uuid::parse_str(&id) else {
        return page_error(t, app::AppError::NotFound);
    };
    match app::jobs::get(&state.app, &user.actor, id).await {
        Ok(job) => {
            let chrome = Chrome::new(&user.ctx, "jobs");
            let job = JobRow::new(t, &job);
            if user.ctx.htmx {
                render(&JobStatus { chrome, job }).into_response()
            } else {
                render(&JobPage { chrome, job }).into_response()
            }
        }
        Err(e) => page_error(t, e),
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    state: Option<String>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/jobs.html")]
struct JobsPage {
    chrome: Chrome,
    jobs: Vec<JobRow>,
    /// The state filter: "" for failed and dead jobs.
    state: String,
    states: Vec<(&'static str, String)>,
}

async fn list(State(state): State<AppState>, user: Signed, Query(q): Query<ListQuery>) -> Response {
    let t = user.ctx.tr;
    let filter = q.state.as_deref().unwrap_or("").trim().to_string();
    let states: Vec<&str> = if filter.is_empty() {
        Vec::new()
    } else {
        vec![filter.as_str()]
    };
    match app::jobs::list(&state.app, &user.actor, &states).await {
        Ok(jobs) => render(&JobsPage {
            chrome: Chrome::new(&user.ctx, "admin").with_notice(q.notice.as_deref()),
            jobs: jobs.iter().map(|j| JobRow::new(t, j)).collect(),
            state: filter.clone(),
            states: app::jobs::STATES
                .iter()
                .map(|s| (*s, t.key("job.state.", s)))
                .collect(),
        })
        .into_response(),
        Err(e) => page_error(t, e),
    }
}

async fn retry(State(state): State<AppState>, user: Signed, Path(id): Path<String>) -> Response {
    let t = user.ctx.tr;
    let Ok(id) = Uuid::parse_str(&id) else {
        return page_error(t, app::AppError::NotFound);
    };
    match app::jobs::retry(&state.app, &user.actor, id).await {
        Ok(()) => see_other(user.ctx.htmx, "/admin/jobs?notice=job_retried"),
        Err(e) => page_error(t, e),
    }
}
