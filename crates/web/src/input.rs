//! Control characters in text input. Every request passes [`refuse_control_characters`]
//! before a handler parses it: query parameters (filters included), form bodies and JSON
//! bodies, on pages and the API alike. A string holding a control character other than tab,
//! line feed and carriage return (which multi-line texts such as notes and descriptions
//! contain) is refused with a field error (`control_character`, 422) naming the parameter or
//! field, before anything reaches the database: PostgreSQL cannot store NUL in text and
//! answered 500, SQLite stored it, so the two databases disagreed.

use crate::i18n::{Lang, Tr};
use app::AppError;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::FieldErrors;
use serde_json::Value;

pub const CODE: &str = "control_character";

/// Whether `c` may not appear in text input.
pub fn is_refused(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

fn has_refused(s: &str) -> bool {
    s.chars().any(is_refused)
}

/// The field a query parameter or form field names: a filter by the field it filters.
fn pair_field(key: &str, value: &str) -> String {
    match (key, value.split_once(':')) {
        ("filter", Some((field, _))) if !has_refused(field) => format!("filter.{field}"),
        _ => key.to_string(),
    }
}

/// Refused characters in `application/x-www-form-urlencoded` text (a query string or a form).
pub fn check_pairs(errors: &mut FieldErrors, encoded: &[u8]) {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(encoded).unwrap_or_default();
    for (key, value) in pairs {
        if has_refused(&key) || has_refused(&value) {
            let field = if has_refused(&key) {
                "query".to_string()
            } else {
                pair_field(&key, &value)
            };
            if !errors.0.iter().any(|e| e.field == field) {
                errors.add(&field, CODE);
            }
        }
    }
}

/// Refused characters anywhere in a JSON value (keys included), reported under `field`.
fn json_has_refused(value: &Value) -> bool {
    match value {
        Value::String(s) => has_refused(s),
        Value::Array(items) => items.iter().any(json_has_refused),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| has_refused(k) || json_has_refused(v)),
        _ => false,
    }
}

/// Refused characters in a JSON body, by top-level field.
pub fn check_json(errors: &mut FieldErrors, value: &Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if has_refused(key) || json_has_refused(v) {
                    let field = if has_refused(key) { "body" } else { key };
                    errors.add(field, CODE);
                }
            }
        }
        other if json_has_refused(other) => errors.add("body", CODE),
        _ => {}
    }
}

/// Whether a JSON text can hold a refused character at all, so that most bodies are not
/// parsed twice (here and by the handler): inside valid JSON a control character is either
/// escaped (`\u…`) or, for DEL and the C1 range, raw (`7F`, `C2 80`…`C2 9F` in UTF-8); raw C0
/// characters make the JSON invalid, which the handler answers itself.
fn json_may_hold_refused(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|w| {
        w == b"\\u"
            || w[0] == 0x7f
            || w[1] == 0x7f
            || (w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1]))
    }) || bytes == [0x7f]
}

fn content_type(request: &Request) -> &str {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The middleware: checks the query string and form or JSON bodies; other bodies and
/// unreadable ones are left to the handler's own parsing (and its errors).
pub async fn refuse_control_characters(request: Request, next: Next) -> Response {
    let mut errors = FieldErrors::new();
    if let Some(query) = request.uri().query() {
        check_pairs(&mut errors, query.as_bytes());
    }
    let kind = content_type(&request);
    let is_form = kind.starts_with("application/x-www-form-urlencoded");
    let is_json = kind.starts_with("application/json");
    let request = if errors.is_empty() && (is_form || is_json) {
        let (parts, body) = request.into_parts();
        let bytes = match to_bytes(body, crate::BODY_LIMIT).await {
            Ok(b) => b,
            Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        };
        if is_form {
            check_pairs(&mut errors, &bytes);
        } else if json_may_hold_refused(&bytes) {
            if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
                check_json(&mut errors, &value);
            }
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        request
    };
    if errors.is_empty() {
        return next.run(request).await;
    }
    refuse(&request, errors)
}

fn refuse(request: &Request, errors: FieldErrors) -> Response {
    tracing::info!(path = %request.uri().path(), "input refused: control character");
    if request.uri().path().starts_with("/api/") {
        let tr = Tr::new(
            request
                .headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
                .unwrap_or(Lang::En),
        );
        return crate::api::ApiError::new(tr, AppError::Validation(errors)).into_response();
    }
    let tr = Tr::new(crate::session::language_for(request.headers(), None));
    let text: Vec<String> = errors
        .0
        .iter()
        .map(|e| format!("{}: {}", e.field, tr.field_error(e)))
        .collect();
    crate::error::message_page(tr, StatusCode::UNPROCESSABLE_ENTITY, &text.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(errors: &FieldErrors) -> Vec<(&str, &str)> {
        errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect()
    }

    #[test]
    fn nul_and_other_controls_are_refused_tab_and_newlines_pass() {
        for c in [
            '\0', '\u{1}', '\u{8}', '\u{b}', '\u{1b}', '\u{7f}', '\u{85}',
        ] {
            assert!(is_refused(c), "{c:?}");
        }
        for c in ['\t', '\n', '\r', ' ', '华', '\u{a0}'] {
            assert!(!is_refused(c), "{c:?}");
        }
    }

    #[test]
    fn query_strings_and_forms_name_the_parameter() {
        let mut errors = FieldErrors::new();
        check_pairs(
            &mut errors,
            b"city=a%00b&filter=name:eq:a%00b&q=ok&note=line%0Aline&x%01=1",
        );
        assert_eq!(
            codes(&errors),
            [("city", CODE), ("filter.name", CODE), ("query", CODE)]
        );
    }

    #[test]
    fn json_that_may_hold_refused_characters_is_checked() {
        for refused in ["\u{0}", "\u{1f}", "\u{7f}", "\u{85}", "\u{9f}"] {
            let text = serde_json::json!({ "name": format!("a{refused}b") }).to_string();
            assert!(super::json_may_hold_refused(text.as_bytes()), "{text:?}");
        }
        for plain in [
            r#"{"name":"深圳华为 Co. Ltd"}"#,
            r#"{"amount":12,"tags":["VIP"]}"#,
        ] {
            assert!(!super::json_may_hold_refused(plain.as_bytes()), "{plain}");
        }
    }

    #[test]
    fn json_bodies_name_the_top_level_field() {
        let mut errors = FieldErrors::new();
        let body = serde_json::json!({
            "name": "a\u{0}b", "tags": ["x", "y\u{0}"], "notes": "two\nlines\ttabbed",
            "filters": [{"field": "name", "op": "eq", "values": ["\u{0}"]}], "n": 1
        });
        check_json(&mut errors, &body);
        assert_eq!(
            codes(&errors),
            [("filters", CODE), ("name", CODE), ("tags", CODE)]
        );
    }
}
