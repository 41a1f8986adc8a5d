//! HTML pages. Each module owns the routes of one capability.

mod accounts;
mod admin;
mod assignment;
pub mod audit;
mod auth;
mod business_types;
mod closing;
pub mod conversion;
mod exchange_rates;
mod exports;
mod fields;
pub mod imports;
mod jobs;
mod mail;
pub mod messages;
pub mod notifications;
mod picklists;
pub mod pools;
mod preferences;
pub mod records;
mod search;
mod settings_admin;
pub mod showroom;
mod stages;
mod web_form_public;
mod web_forms;

use crate::AppState;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(auth::routes())
        .merge(accounts::routes())
        .merge(admin::routes())
        .merge(stages::routes())
        .merge(closing::routes())
        .merge(business_types::routes())
        .merge(records::routes())
        .merge(fields::routes())
        .merge(picklists::routes())
        .merge(search::routes())
        .merge(jobs::routes())
        .merge(exchange_rates::routes())
        .merge(audit::routes())
        .merge(notifications::routes())
        .merge(mail::routes())
        .merge(preferences::routes())
        .merge(pools::routes())
        .merge(conversion::routes())
        .merge(imports::routes())
        .merge(exports::routes())
        .merge(assignment::routes())
        .merge(showroom::routes())
        .merge(web_forms::routes())
        .merge(web_form_public::routes())
        .fallback(messages::not_found)
}

/// Sends the browser to `target` after a successful POST: a 303 for plain forms, an
/// `HX-Redirect` for htmx requests (so htmx does a full navigation).
pub fn see_other(ctx_htmx: bool, target: &str) -> Response {
    if ctx_htmx {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(target) {
            headers.insert("HX-Redirect", v);
        }
        (StatusCode::OK, headers).into_response()
    } else {
        Redirect::to(target).into_response()
    }
}

/// A fragment URL (lookup suggestions, a filter row) opened as a page rather than by htmx:
/// the list it belongs to, so that the browser shows a whole page.
pub fn fragment_opened_as_page(ctx: &crate::session::Ctx, list: &str) -> Option<Response> {
    (!ctx.htmx).then(|| Redirect::to(list).into_response())
}

/// Empty form fields become `None`.
pub fn opt(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Parses an optional id from a form field; a malformed one is an `invalid_reference` error.
pub fn opt_id(field: &str, value: &Option<String>) -> Result<Option<uuid::Uuid>, app::AppError> {
    match opt(value) {
        None => Ok(None),
        Some(v) => uuid::Uuid::parse_str(&v)
            .map(Some)
            .map_err(|_| app::AppError::field(field, "invalid_reference")),
    }
}

/// `axum::Form` with a translated error page for bodies that cannot be read.
pub struct Form<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for Form<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let tr = crate::i18n::Tr::new(crate::session::language_for(req.headers(), None));
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(Form(value)),
            Err(rejection) => {
                let status = rejection.status();
                let key = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "error.payload_too_large"
                } else {
                    "error.malformed_form"
                };
                tracing::info!(%rejection, "form rejected");
                Err(crate::error::message_page(tr, status, tr.get(key)))
            }
        }
    }
}

/// The opaque cursor of a 360° stream page: the last entry's time and id.
pub fn encode_timeline_cursor(at: chrono::DateTime<chrono::Utc>, id: uuid::Uuid) -> String {
    format!("{}_{}", at.timestamp_micros(), id.simple())
}

pub fn decode_timeline_cursor(raw: &str) -> Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)> {
    let (micros, id) = raw.split_once('_')?;
    let at = chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?;
    Some((at, uuid::Uuid::parse_str(id).ok()?))
}
