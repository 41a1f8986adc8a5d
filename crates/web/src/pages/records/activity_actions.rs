//! What a rep does to an activity from its page: complete, reopen, postpone, follow up,
//! check in.

use super::parse_id;
use super::record_page::show_response;
use crate::error::page_error;
use crate::pages::{see_other, Form};
use crate::session::Signed;
use crate::views::FormErrors;
use crate::AppState;
use app::AppError;
use axum::extract::{Path, State};
use axum::response::Response;
use domain::permissions::ObjectKind;
use uuid::Uuid;

#[derive(serde::Deserialize)]
pub(super) struct ActionForm {
    version: Option<String>,
    days: Option<String>,
    name: Option<String>,
    due_at: Option<String>,
    latitude: Option<String>,
    longitude: Option<String>,
    accuracy: Option<String>,
}

async fn activity_action<F>(
    state: &AppState,
    user: &Signed,
    id: &str,
    notice: &str,
    run: F,
) -> Response
where
    F: AsyncFnOnce(Uuid) -> Result<(), AppError>,
{
    let t = user.ctx.tr;
    let id = match parse_id(id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    match run(id).await {
        Ok(()) => see_other(user.ctx.htmx, &format!("/activities/{id}?notice={notice}")),
        Err(e @ (AppError::Validation(_) | AppError::Rule(_) | AppError::Conflict)) => {
            show_response(
                state,
                user,
                ObjectKind::Activity,
                id,
                None,
                FormErrors::from_app(t, &e),
            )
            .await
        }
        Err(e) => page_error(t, e),
    }
}

fn version_of(form: &ActionForm) -> Option<i64> {
    form.version.as_deref().and_then(|v| v.parse().ok())
}

pub(super) async fn complete(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    activity_action(&state, &user, &id, "completed", async |id| {
        app::activities::complete(&state.app, &user.actor, id, version_of(&form)).await
    })
    .await
}

pub(super) async fn reopen(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    activity_action(&state, &user, &id, "reopened", async |id| {
        app::activities::reopen(&state.app, &user.actor, id, version_of(&form)).await
    })
    .await
}

pub(super) async fn postpone(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let days = form
        .days
        .as_deref()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    activity_action(&state, &user, &id, "postponed", async |id| {
        app::activities::postpone(&state.app, &user.actor, id, version_of(&form), days).await
    })
    .await
}

pub(super) async fn follow_up(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let t = user.ctx.tr;
    let source = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    let name = form.name.clone().unwrap_or_default();
    match app::activities::follow_up(
        &state.app,
        &user.actor,
        source,
        &name,
        form.due_at.as_deref().filter(|d| !d.is_empty()),
    )
    .await
    {
        Ok(new_id) => see_other(
            user.ctx.htmx,
            &format!("/activities/{new_id}?notice=record_created"),
        ),
        Err(e @ (AppError::Validation(_) | AppError::Rule(_))) => {
            show_response(
                &state,
                &user,
                ObjectKind::Activity,
                source,
                None,
                FormErrors::from_app(t, &e),
            )
            .await
        }
        Err(e) => page_error(t, e),
    }
}

pub(super) async fn check_in(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let number = |v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<f64>())
    };
    let position = match (number(&form.latitude), number(&form.longitude)) {
        (Some(Ok(lat)), Some(Ok(lng))) => Ok(Some((lat, lng))),
        (None, None) => Ok(None),
        _ => Err(AppError::field("latitude", "invalid_number")),
    };
    let accuracy = number(&form.accuracy).and_then(Result::ok);
    activity_action(&state, &user, &id, "checked_in", async |id| {
        app::activities::check_in(&state.app, &user.actor, id, position?, accuracy).await
    })
    .await
}
