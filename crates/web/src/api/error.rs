//! API errors: `{"error": {"code", "message", "fields": [{"field", "code", "message"}]}}`.
//! Codes are stable; messages follow `Accept-Language`.

use crate::i18n::Tr;
use app::AppError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorOut {
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code (e.g. `not_found`, `validation_failed`, `conflict`).
    pub code: String,
    /// Human-readable message in the caller's language.
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldErrorOut>,
    /// Extra technical detail (e.g. where JSON parsing failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    pub retry_after: Option<i64>,
}

impl ApiError {
    /// The 422 of a body with field errors.
    pub fn invalid(tr: Tr, errors: domain::FieldErrors) -> Self {
        Self::new(tr, AppError::Validation(errors))
    }

    pub fn new(tr: Tr, error: AppError) -> Self {
        let status = crate::error::status_of(&error);
        let fields = match &error {
            AppError::Validation(fields) => fields
                .0
                .iter()
                .map(|f| FieldErrorOut {
                    field: f.field.clone(),
                    code: f.code.to_string(),
                    message: tr.field_error(f),
                })
                .collect(),
            _ => Vec::new(),
        };
        crate::error::log_failure(&error);
        let retry_after = crate::error::retry_after_of(&error);
        ApiError {
            status,
            body: ErrorBody {
                error: ErrorDetail {
                    code: error.code().to_string(),
                    message: crate::error::message_of(tr, &error),
                    fields,
                    detail: None,
                },
            },
            retry_after,
        }
    }

    /// An error that is not a use-case error (transport, headers, body shape).
    pub fn code(tr: Tr, status: StatusCode, code: &str) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                error: ErrorDetail {
                    code: code.to_string(),
                    message: tr.key("error.", code),
                    fields: Vec::new(),
                    detail: None,
                },
            },
            retry_after: None,
        }
    }

    pub fn with_detail(mut self, detail: String) -> Self {
        self.body.error.detail = Some(detail);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        crate::error::with_retry_after(
            (self.status, Json(self.body)).into_response(),
            self.retry_after,
        )
    }
}
