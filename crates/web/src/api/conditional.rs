//! Conditional reads: a `GET` whose `If-None-Match` names the answer's current `ETag` (or `*`)
//! is answered `304 Not Modified` without a body. Done once for every API route that tags its
//! answers, so records, accounts and the organisation behave alike.

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub(crate) async fn not_modified(request: Request, next: Next) -> Response {
    let wanted = if request.method() == Method::GET {
        request.headers().get(header::IF_NONE_MATCH).cloned()
    } else {
        None
    };
    let response = next.run(request).await;
    let (Some(wanted), StatusCode::OK) = (wanted, response.status()) else {
        return response;
    };
    let Some(etag) = response.headers().get(header::ETAG).cloned() else {
        return response;
    };
    if !matches(&wanted, &etag) {
        return response;
    }
    let mut unchanged = StatusCode::NOT_MODIFIED.into_response();
    unchanged.headers_mut().insert(header::ETAG, etag);
    unchanged
}

/// The weak comparison of RFC 9110 §13.1.2: `W/` prefixes are ignored; `*` matches any tag.
fn matches(wanted: &HeaderValue, current: &HeaderValue) -> bool {
    let (Ok(wanted), Ok(current)) = (wanted.to_str(), current.to_str()) else {
        return false;
    };
    let weak = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
    let current = weak(current);
    wanted
        .split(',')
        .any(|tag| tag.trim() == "*" || weak(tag) == current)
}

#[cfg(test)]
mod tests {
    use super::matches;
    use axum::http::HeaderValue;

    #[test]
    fn tags_match_weakly_in_lists_and_by_star() {
        let current = HeaderValue::from_static("\"3\"");
        for wanted in ["\"3\"", "W/\"3\"", "\"1\", \"3\"", "*"] {
            assert!(
                matches(&HeaderValue::from_static(wanted), &current),
                "{wanted}"
            );
        }
        for wanted in ["\"2\"", "\"33\"", ""] {
            assert!(
                !matches(&HeaderValue::from_static(wanted), &current),
                "{wanted}"
            );
        }
    }
}
