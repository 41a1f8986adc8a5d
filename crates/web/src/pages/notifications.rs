//! The inbox page (`/notifications`): kind, text in the reader's language, time in their
//! zone, the link to the record; mark one or all read (POST forms, htmx swaps the list).

use super::see_other;
use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use store::notifications::Notification;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list))
        .route("/notifications/read-all", post(read_all))
        .route("/notifications/{id}/read", post(read))
}

/// A notification's text in the reader's language, from its kind and parameters (the
/// record's name only).
pub fn text(t: &Tr, n: &Notification) -> String {
    kind_text(t, &n.kind, &n.params.0)
}

/// The text of a notification of `kind` with its parameters: the inbox, the API and the
/// notification mails (`crate::mail`) all render it here.
pub fn kind_text(t: &Tr, kind: &str, params: &serde_json::Value) -> String {
    let name = params.get("name").and_then(|v| v.as_str()).unwrap_or("");
    t.fmt(&format!("notifications.kind.{kind}"), &[("name", name)])
}

/// The page of the record a notification is about. The record page itself checks that the
/// reader may still see it (404 otherwise), so the link reveals nothing but the name.
fn link(n: &Notification) -> Option<String> {
    let kind = domain::permissions::ObjectKind::parse(n.object.as_deref()?)?;
    let spec = domain::objects::spec(kind)?;
    Some(format!("/{}/{}", spec.plural, n.record_id?))
}

pub struct Row {
    pub id: Uuid,
    pub kind_label: String,
    pub text: String,
    pub time: String,
    pub link: Option<String>,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "notifications/list.html")]
struct ListPage {
    chrome: Chrome,
    items: Vec<Row>,
    next: Option<Uuid>,
    unread_only: bool,
}

#[derive(Template)]
#[template(path = "notifications/list.html", block = "inbox")]
struct Inbox {
    chrome: Chrome,
    items: Vec<Row>,
    next: Option<Uuid>,
    unread_only: bool,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    unread: Option<String>,
    cursor: Option<String>,
}

async fn list(State(state): State<AppState>, user: Signed, Query(q): Query<ListQuery>) -> Response {
    let t = user.ctx.tr;
    let unread_only = q.unread.as_deref() == Some("true");
    let cursor = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match Uuid::parse_str(c) {
            Ok(id) => Some(id),
            Err(_) => return page_error(t, app::AppError::field("cursor", "invalid_cursor")),
        },
    };
    let page = match app::notifications::list(
        &state.app,
        &user.actor,
        unread_only,
        cursor,
        app::notifications::PAGE,
    )
    .await
    {
        Ok(page) => page,
        Err(e) => return page_error(t, e),
    };
    let items = page
        .items
        .iter()
        .map(|n| Row {
            id: n.id,
            kind_label: t.key("notifications.kind_label.", &n.kind),
            text: text(&t, n),
            time: t.time(n.created_at),
            link: link(n),
            unread: n.read_at.is_none(),
        })
        .collect();
    let chrome = Chrome::new(&user.ctx, "notifications");
    if user.ctx.htmx {
        render(&Inbox {
            chrome,
            items,
            next: page.next,
            unread_only,
        })
        .into_response()
    } else {
        render(&ListPage {
            chrome,
            items,
            next: page.next,
            unread_only,
        })
        .into_response()
    }
}

async fn read(State(state): State<AppState>, user: Signed, Path(id): Path<String>) -> Response {
    let t = user.ctx.tr;
    let Ok(id) = Uuid::parse_str(&id) else {
        return page_error(t, app::AppError::NotFound);
    };
    match app::notifications::mark_read(&state.app, &user.actor, id).await {
        Ok(()) => see_other(user.ctx.htmx, "/notifications"),
        Err(e) => page_error(t, e),
    }
}

async fn read_all(State(state): State<AppState>, user: Signed) -> Response {
    match app::notifications::mark_all_read(&state.app, &user.actor).await {
        Ok(_) => see_other(user.ctx.htmx, "/notifications"),
        Err(e) => page_error(user.ctx.tr, e),
    }
}
