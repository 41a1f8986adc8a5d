//! CSRF protection for the HTML pages: a random token in a SameSite=Strict, HttpOnly cookie
//! that every state-changing request must echo, in the `csrf_token` form field or the
//! `X-CSRF-Token` header (htmx sends the header). The API does not accept cookies at all (it
//! authenticates with bearer tokens), so it needs no CSRF token.

use crate::i18n::Tr;
use crate::session::{cookie_value, language_for};
use crate::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const COOKIE: &str = "meridian_csrf";
pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

/// The request's CSRF token, for templates to embed.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

fn is_valid_token(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

pub async fn protect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/api/")
        || path.starts_with("/assets/")
        || path == "/healthz"
        || path == "/metrics"
        // Web forms are posted from the company website by design (see pages::web_form_public).
        || path.starts_with("/f/")
    {
        return next.run(request).await;
    }
    let existing = cookie_value(request.headers(), COOKIE).filter(|v| is_valid_token(v));
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe {
        let token = existing.clone().unwrap_or_else(app::secrets::random_token);
        let mut request = request;
        request.extensions_mut().insert(CsrfToken(token.clone()));
        let mut response = next.run(request).await;
        if existing.is_none() {
            let cookie = format!(
                "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
                if state.secure_cookies { "; Secure" } else { "" }
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        return response;
    }
    let Some(expected) = existing else {
        return reject(&request);
    };
    let header_token = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (request, submitted) = match header_token {
        Some(t) => (request, Some(t)),
        None => {
            let kind = request
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if kind.starts_with("multipart/form-data") {
                // A file upload without script: the form's action carries the token, as
                // the body is not read here (it may be megabytes).
                let token = request
                    .uri()
                    .query()
                    .and_then(|q| form_urlencoded_field(q.as_bytes(), FIELD));
                return match token {
                    Some(t) if app::secrets::same_secret(&t, &expected) => {
                        let mut request = request;
                        request.extensions_mut().insert(CsrfToken(expected));
                        next.run(request).await
                    }
                    _ => reject(&request),
                };
            }
            if !kind.starts_with("application/x-www-form-urlencoded") {
                return reject(&request);
            }
            let (parts, body) = request.into_parts();
            let bytes = match to_bytes(body, crate::BODY_LIMIT).await {
                Ok(b) => b,
                Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
            };
            let token = form_urlencoded_field(&bytes, FIELD);
            (Request::from_parts(parts, Body::from(bytes)), token)
        }
    };
    match submitted {
        Some(t) if app::secrets::same_secret(&t, &expected) => {
            let mut request = request;
            request.extensions_mut().insert(CsrfToken(expected));
            next.run(request).await
        }
        _ => reject(&request),
    }
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn reject(request: &Request) -> Response {
    let tr = Tr::new(language_for(request.headers(), None));
    tracing::warn!(path = %request.uri().path(), "request refused: missing or wrong CSRF token");
    crate::error::message_page(tr, StatusCode::FORBIDDEN, tr.get("error.csrf"))
}
