//! What the administration pages of company settings (`app::settings`: assignment rules,
//! web forms) share: the list they return to with a notice, the version a form posts, the
//! save refused with the form shown again, and the activate and delete buttons of the list.

use crate::error::page_error;
use crate::pages::pools::parse_id;
use crate::pages::records::Choice;
use crate::pages::{see_other, Form};
use crate::session::Signed;
use crate::views::render;
use crate::AppState;
use app::settings::{self, Setting};
use app::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

pub(crate) type Pairs = Vec<(String, String)>;

/// A select's options with the chosen one marked.
pub(crate) type Options = Vec<(Choice, bool)>;

pub(crate) fn mark(choices: &[Choice], chosen: &str) -> Options {
    choices
        .iter()
        .map(|c| (c.clone(), c.value == chosen))
        .collect()
}

/// A setting's administration pages.
pub(crate) trait AdminPages: Setting + 'static {
    /// The list page (`/admin/web-forms`); its rows' buttons post to `<LIST>/{id}/…`.
    const LIST: &'static str;
    /// Notices (message keys) after a save and after a delete.
    const SAVED: &'static str;
    const DELETED: &'static str;
}

/// The list's activate and delete buttons of a setting (`<LIST>/{id}/active`, `…/delete`).
pub(crate) fn row_routes<S: AdminPages>() -> Router<AppState> {
    Router::new()
        .route(&format!("{}/{{id}}/active", S::LIST), post(set_active::<S>))
        .route(&format!("{}/{{id}}/delete", S::LIST), post(delete::<S>))
}

/// The version the form was read at (0, a conflict, when it is missing).
pub(crate) fn version_of(form: &Pairs) -> i64 {
    form.iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

/// A page with the status given, or the error's page.
pub(crate) fn show<P: Template>(
    result: Result<P, AppError>,
    status: StatusCode,
    user: &Signed,
) -> Response {
    match result {
        Ok(page) => (status, render(&page)).into_response(),
        Err(e) => page_error(user.ctx.tr, e),
    }
}

/// Whether a refused save shows the form again with its errors (the user can mend it)
/// rather than an error page.
pub(crate) fn shows_form_again(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Validation(_) | AppError::Conflict | AppError::Rule(_)
    )
}

/// Back to the setting's list with a notice, or the error's page.
pub(crate) fn back<S: AdminPages>(
    user: &Signed,
    result: Result<(), AppError>,
    notice: &str,
) -> Response {
    match result {
        Ok(()) => see_other(user.ctx.htmx, &format!("{}?notice={notice}", S::LIST)),
        Err(e) => page_error(user.ctx.tr, e),
    }
}

async fn set_active<S: AdminPages>(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> Response {
    let active = form.iter().any(|(k, v)| k == "active" && v == "true");
    let version = version_of(&form);
    let result = async {
        let input = S::activation(active);
        settings::update::<S>(&state.app, &user.actor, parse_id(&id)?, version, &input)
            .await
            .map(|_| ())
    }
    .await;
    back::<S>(&user, result, S::SAVED)
}

async fn delete<S: AdminPages>(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> Response {
    let version = version_of(&form);
    let result =
        async { settings::delete::<S>(&state.app, &user.actor, parse_id(&id)?, version).await }
            .await;
    back::<S>(&user, result, S::DELETED)
}
