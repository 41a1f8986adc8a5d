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
        AppError::Conflict => StatusCode::CONFLICT,
        AppError::Rule(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The translated message of an error.
pub fn message_of(tr: Tr, error: &AppError) -> String {
    match error {
        AppError::TooManyAttempts { retry_after_secs } => {
            let minutes = ((retry_after_secs + 59) / 60).to_string();
            tr.fmt("error.too_many_attempts", &[("minutes", &minutes)])
        }
        AppError::Rule(code) => tr.key("error.rule.", code),
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
    match &error {
        AppError::Unauthenticated => Redirect::to("/login").into_response(),
        AppError::Internal(detail) => {
            tracing::error!(error = %detail, "request failed");
            message_page(
                tr,
                StatusCode::INTERNAL_SERVER_ERROR,
                &message_of(tr, &error),
            )
        }
        _ => message_page(tr, status_of(&error), &message_of(tr, &error)),
    }
}
