use domain::FieldErrors;

/// What can go wrong in a use case. Each variant has a stable code (see [`AppError::code`])
/// that the web layer translates and the API returns.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("not signed in")]
    Unauthenticated,
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    #[error("too many failed sign-in attempts; retry in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: i64 },
    #[error("invalid input")]
    Validation(FieldErrors),
    #[error("the record was changed by someone else")]
    Conflict,
    /// A business rule refused the change; the code names the rule.
    #[error("refused: {0}")]
    Rule(&'static str),
    /// Refused because of the record's state, which someone else may have just changed (a
    /// pool record already claimed, protected, not in a pool): 409; the code names it.
    #[error("refused by the record's state: {0}")]
    Refused(&'static str),
    /// A record others still refer to is not deleted: which objects refer to it, how many.
    #[error("still referred to by other records")]
    StillReferenced(Vec<crate::references::Referrers>),
    /// The database has no space left: nothing was written; retrying later may succeed.
    #[error("storage full: {0}")]
    StorageFull(String),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Forbidden => "forbidden",
            AppError::Unauthenticated => "unauthenticated",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::TooManyAttempts { .. } => "too_many_attempts",
            AppError::Validation(_) => "validation_failed",
            AppError::Conflict => "conflict",
            AppError::Rule(code) | AppError::Refused(code) => code,
            AppError::StillReferenced(_) => "still_referenced",
            AppError::StorageFull(_) => "storage_full",
            AppError::Internal(_) => "internal",
        }
    }

    /// A validation error on a single field.
    pub fn field(field: &str, code: &'static str) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, code);
        AppError::Validation(errors)
    }
}

impl From<store::StoreError> for AppError {
    fn from(e: store::StoreError) -> Self {
        if e.is_storage_full() {
            AppError::StorageFull(e.to_string())
        } else {
            AppError::Internal(e.to_string())
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        AppError::Validation(e)
    }
}
