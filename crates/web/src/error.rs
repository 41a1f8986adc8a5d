//! Turning use-case errors into pages and API responses.

use crate::i18n::Tr;
use crate::views::{render, MessagePage};
use app::AppError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

pub fn status_of(error: &AppError) -> StatusCode {
    match error {
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::Unauthenticated | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
        AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict | AppError::StillReferenced(_) | AppError::Refused(_) => {
            StatusCode::CONFLICT
        }
        AppError::Rule(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::StorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Seconds a client is asked to wait before retrying after a full disk.
pub const STORAGE_FULL_RETRY_SECS: i64 = 60;

/// The `Retry-After` an error answers with, if any.
pub fn retry_after_of(error: &AppError) -> Option<i64> {
    match error {
        AppError::TooManyAttempts { retry_after_secs } => Some(*retry_after_secs),
        AppError::StorageFull(_) => Some(STORAGE_FULL_RETRY_SECS),
        _ => None,
    }
}

/// Logs what the user is not told: the detail of an internal error or a full disk.
pub fn log_failure(error: &AppError) {
    match error {
        AppError::Internal(detail) => tracing::error!(error = %detail, "request failed"),
        AppError::StorageFull(detail) => {
            tracing::error!(error = %detail, "request failed: storage full")
        }
        _ => {}
    }
}

/// Adds `Retry-After` to a response.
pub fn with_retry_after(mut response: Response, secs: Option<i64>) -> Response {
    if let Some(Ok(v)) = secs.map(|s| axum::http::HeaderValue::from_str(&s.to_string())) {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, v);
    }
    response
}

/// The translated message of an error.
pub fn message_of(tr: Tr, error: &AppError) -> String {
    match error {
        AppError::TooManyAttempts { retry_after_secs } => {
            let minutes = ((retry_after_secs + 59) / 60).to_string();
            tr.fmt("error.too_many_attempts", &[("minutes", &minutes)])
        }
        AppError::Rule(code) | AppError::Refused(code) => tr.key("error.rule.", code),
        AppError::StillReferenced(referrers) => {
            let list: Vec<String> = referrers
                .iter()
                .map(|r| {
                    let label = domain::objects::spec(r.object)
                        .map(|s| s.label(tr.is_zh()))
                        .unwrap_or_else(|| r.object.key());
                    let count = if r.count >= app::references::COUNT_CAP {
                        format!("{}+", app::references::COUNT_CAP)
                    } else {
                        r.count.to_string()
                    };
                    tr.fmt(
                        "error.still_referenced_by",
                        &[("object", label), ("count", &count)],
                    )
                })
                .collect();
            let separator = if tr.is_zh() { "、" } else { ", " };
            tr.fmt(
                "error.still_referenced",
                &[("referrers", &list.join(separator))],
            )
        }
        other => tr.key("error.", other.code()),
    }
}

/// What a message page said, kept on its response so that the page layer can show it again
/// with the signed-in user's navigation (`pages::messages::with_navigation`).
#[derive(Clone)]
pub struct Message(pub String);

/// A full page telling the user what went wrong.
pub fn message_page(tr: Tr, status: StatusCode, message: &str) -> Response {
    let page = MessagePage::new(tr, status, message);
    let mut response = (status, render(&page)).into_response();
    response
        .extensions_mut()
        .insert(Message(message.to_string()));
    response
}

/// The page for an error that a handler does not handle itself.
pub fn page_error(tr: Tr, error: AppError) -> Response {
    if let AppError::Unauthenticated = error {
        return Redirect::to("/login").into_response();
    }
    log_failure(&error);
    with_retry_after(
        message_page(tr, status_of(&error), &message_of(tr, &error)),
        retry_after_of(&error),
    )
}
