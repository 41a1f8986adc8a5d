//! Field-level validation errors with stable codes that the UI and API translate.

use serde::Serialize;

/// One problem with one field. `code` is stable and translated by the presentation layer
/// (`error.field.<code>`); `limit` carries the number a message may need (a maximum length).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// The field errors of one submitted form or API body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, code: &'static str) {
        self.0.push(FieldError {
            field: field.to_string(),
            code,
            limit: None,
        });
    }

    pub fn add_limit(&mut self, field: &str, code: &'static str, limit: i64) {
        self.0.push(FieldError {
            field: field.to_string(),
            code,
            limit: Some(limit),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn for_field(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }

    /// Ok when no error was collected, so callers can write `errors.into_result()?`.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

/// Trims a text field; an empty result becomes `None`.
pub fn clean_optional(value: Option<&str>) -> Option<String> {
    value
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(|v| v.to_string())
}

/// Checks a required text field: trimmed, present, at most `max` characters, no control characters.
pub fn required_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> String {
    match clean_optional(value) {
        None => {
            errors.add(field, "required");
            String::new()
        }
        Some(v) => {
            check_text(errors, field, &v, max);
            v
        }
    }
}

/// Checks an optional text field the same way as [`required_text`] but allows it to be empty.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let v = clean_optional(value)?;
    check_text(errors, field, &v, max);
    Some(v)
}

fn check_text(errors: &mut FieldErrors, field: &str, value: &str, max: usize) {
    if value.chars().count() > max {
        errors.add_limit(field, "too_long", max as i64);
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.add(field, "invalid_characters");
    }
}

/// A plausible e-mail address: one `@`, a non-empty local part and a dotted domain.
pub fn is_plausible_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value.len() <= 254
}

/// Normalises an e-mail address for lookups and uniqueness: trimmed and lower-cased.
pub fn normalize_email(value: &str) -> String {
    value.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_reports_missing_and_long_values() {
        let mut errors = FieldErrors::new();
        assert_eq!(required_text(&mut errors, "name", Some("  "), 5), "");
        required_text(&mut errors, "other", Some("abcdef"), 5);
        assert_eq!(errors.0[0].code, "required");
        assert_eq!(errors.0[1].code, "too_long");
        assert_eq!(errors.0[1].limit, Some(5));
    }

    #[test]
    fn counts_characters_not_bytes() {
        let mut errors = FieldErrors::new();
        required_text(&mut errors, "name", Some("华为技术有限公司"), 8);
        assert!(errors.is_empty());
    }

    #[test]
    fn rejects_control_characters() {
        let mut errors = FieldErrors::new();
        optional_text(&mut errors, "name", Some("a\u{0}b"), 50);
        assert_eq!(errors.0[0].code, "invalid_characters");
    }

    #[test]
    fn emails() {
        assert!(is_plausible_email("li.lei@example.com.cn"));
        assert!(!is_plausible_email("li lei@example.com"));
        assert!(!is_plausible_email("nobody"));
        assert!(!is_plausible_email("a@b"));
        assert_eq!(normalize_email(" Li@Example.COM "), "li@example.com");
    }
}
