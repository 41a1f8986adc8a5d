//! Message pages (errors, "not found") with the signed-in user's navigation, and the page
//! for addresses that exist nowhere.

use crate::error::Message;
use crate::session::{cookie_value, Ctx, SESSION_COOKIE};
use crate::views::{render, Chrome, MessagePage};
use crate::AppState;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Error pages are rendered where the error is met, often without the session at hand: when
/// the request carries a session, the page is rendered again with its navigation (the
/// response keeps its status and headers).
pub async fn with_navigation(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let head = cookie_value(request.headers(), SESSION_COOKIE).map(|_| {
        let (mut parts, ()) = Request::new(()).into_parts();
        parts.method = request.method().clone();
        parts.uri = request.uri().clone();
        parts.headers = request.headers().clone();
        parts.extensions = request.extensions().clone();
        parts
    });
    let response = next.run(request).await;
    let (Some(mut parts), Some(Message(message))) =
        (head, response.extensions().get::<Message>().cloned())
    else {
        return response;
    };
    let ctx = match Ctx::from_request_parts(&mut parts, &state).await {
        Ok(ctx) if ctx.actor.is_some() => ctx,
        _ => return response,
    };
    let status = response.status();
    let page = MessagePage {
        chrome: Chrome::new(&ctx, ""),
        status: status.as_u16(),
        message,
    };
    let (mut head, _) = response.into_parts();
    head.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(head, Body::from(render(&page).0))
}

/// Any address no route serves: a "not found" page, with navigation when signed in.
pub async fn not_found(ctx: Ctx) -> Response {
    let page = MessagePage {
        chrome: Chrome::new(&ctx, ""),
        status: StatusCode::NOT_FOUND.as_u16(),
        message: ctx.tr.get("error.page_not_found").to_string(),
    };
    (StatusCode::NOT_FOUND, render(&page)).into_response()
}
