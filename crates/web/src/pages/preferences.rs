//! The user's own notification preferences on My settings: for every kind, in the app, by
//! e-mail, both or none (a table of radio buttons, saved with one POST).

use super::see_other;
use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::AppState;
use app::notifications::{Channels, Kind};
use app::AppError;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new().route("/settings/notifications", post(save))
}

/// One kind's row of the table.
pub struct PreferenceRow {
    pub kind: &'static str,
    pub label: String,
    pub chosen: &'static str,
}

/// The settings page's table: every kind, with the user's choice.
pub fn rows(t: Tr, chosen: &[(Kind, Channels)]) -> Vec<PreferenceRow> {
    chosen
        .iter()
        .map(|(kind, channels)| PreferenceRow {
            kind: kind.key(),
            label: t.key("notifications.kind_label.", kind.key()),
            chosen: channels.key(),
        })
        .collect()
}

/// The choices a row offers: (value, label).
pub fn choices(t: Tr) -> Vec<(&'static str, String)> {
    Channels::ALL
        .iter()
        .map(|c| (c.key(), t.key("settings.channel.", c.key())))
        .collect()
}

/// Saves the form's `kind=channels` pairs (the CSRF token aside); a bad pair is refused
/// whole and the settings page shows why.
async fn save(State(state): State<AppState>, user: Signed, body: Bytes) -> Response {
    let pairs: Vec<(String, String)> = match serde_urlencoded::from_bytes(&body) {
        Ok(pairs) => pairs,
        Err(_) => return page_error(user.ctx.tr, AppError::field("form", "wrong_type")),
    };
    let choices: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, _)| k != "csrf_token")
        .collect();
    match app::notifications::set_preferences(&state.app, &user.actor, &choices).await {
        Ok(()) => see_other(user.ctx.htmx, "/settings?notice=preferences_saved"),
        Err(e @ AppError::Validation(_)) => super::auth::settings_refused(&state, &user, &e).await,
        Err(e) => page_error(user.ctx.tr, e),
    }
}
