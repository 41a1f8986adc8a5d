//! Who is asking: the session cookie, the language, and the page context every handler gets.

use crate::csrf::CsrfToken;
use crate::i18n::{Lang, Tr};
use crate::AppState;
use app::{Actor, AppError};
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};

pub const SESSION_COOKIE: &str = "meridian_session";
pub const LANG_COOKIE: &str = "meridian_lang";

/// The value of a cookie in the request headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// The language for a request: the user's choice, else the language cookie, else the
/// browser's `Accept-Language`, else Chinese.
pub fn language_for(headers: &HeaderMap, actor: Option<&Actor>) -> Lang {
    actor
        .and_then(|a| a.user.locale.as_deref())
        .and_then(Lang::parse)
        .or_else(|| {
            cookie_value(headers, LANG_COOKIE)
                .as_deref()
                .and_then(Lang::parse)
        })
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or(Lang::Zh)
}

/// Context of a page request, signed in or not.
#[derive(Clone)]
pub struct Ctx {
    pub tr: Tr,
    pub csrf: String,
    pub actor: Option<Actor>,
    /// The request came from htmx and wants a fragment.
    pub htmx: bool,
    pub session_cookie: Option<String>,
    pub path_and_query: String,
    /// The signed-in user's unread notifications (capped), for the bell of whole pages.
    pub unread: i64,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session_cookie = cookie_value(&parts.headers, SESSION_COOKIE);
        let actor = match &session_cookie {
            Some(value) => match app::auth::session_actor(&state.app, value).await {
                Ok(actor) => Some(actor),
                Err(AppError::Unauthenticated) => None,
                Err(e) => {
                    let tr = Tr::new(language_for(&parts.headers, None));
                    return Err(crate::error::page_error(tr, e));
                }
            },
            None => None,
        };
        let mut tr = Tr::new(language_for(&parts.headers, actor.as_ref()));
        if let Some(actor) = &actor {
            tr = tr.in_zone(actor.time_zone());
        }
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let htmx =
            parts.headers.contains_key("hx-request") && !parts.headers.contains_key("hx-boosted");
        let path_and_query = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.0.clone())
            .unwrap_or_else(|| parts.uri.clone())
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let unread = match &actor {
            Some(actor) if !htmx => app::notifications::unread_count(&state.app, actor)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "the unread count failed");
                    0
                }),
            _ => 0,
        };
        Ok(Ctx {
            tr,
            csrf,
            actor,
            htmx,
            session_cookie,
            path_and_query,
            unread,
        })
    }
}

/// A page request from a signed-in user; others are sent to sign in (or to set-up).
pub struct Signed {
    pub ctx: Ctx,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        match ctx.actor.clone() {
            Some(actor) => Ok(Signed { ctx, actor }),
            None => {
                if app::auth::needs_setup(&state.app).await.unwrap_or(false) {
                    return Err(Redirect::to("/setup").into_response());
                }
                let next = urlencode(&ctx.path_and_query);
                let target = format!("/login?next={next}");
                if ctx.htmx {
                    Err(([("HX-Redirect", target)], "").into_response())
                } else {
                    Err(Redirect::to(&target).into_response())
                }
            }
        }
    }
}

pub fn urlencode(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)])
        .map(|s| s.trim_start_matches("v=").to_string())
        .unwrap_or_default()
}

/// A local path to return to after sign-in; anything else (other hosts, schemes) becomes `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_local() {
        assert_eq!(safe_next(Some("/accounts?q=1")), "/accounts?q=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
