//! The administrators' audit log (`/admin/audit`): newest first, filtered by actor, area,
//! action and dates (in the reader's time zone), "older" by keyset cursor.

use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, Chrome};
use crate::AppState;
use app::audit::FilterInput;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::Value;
use store::audit::AuditEntry;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/audit", get(list))
}

/// A value of the log as a reader reads it: text as is, nothing as "—".
fn plain(value: &Value) -> String {
    match value {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An audit row as the page and the API show it.
pub struct AuditLine {
    pub id: String,
    pub at: String,
    pub actor: String,
    pub sentence: String,
    /// `field: old → new`, one per change.
    pub changes: Vec<String>,
}

impl AuditLine {
    pub fn new(t: Tr, entry: &AuditEntry) -> Self {
        let detail = &entry.detail.0;
        let mut name = detail.get("name").map(plain).unwrap_or_default();
        if entry.object == "setting" {
            name = t.key("audit.setting.", &name);
        }
        // Rows written before names were kept (sign-ins, the company's creation) have none.
        let sentence_key = if name.is_empty() {
            "audit.sentence_unnamed"
        } else {
            "audit.sentence"
        };
        let sentence = t.fmt(
            sentence_key,
            &[
                ("action", &t.key("audit.action.", &entry.action)),
                ("object", &t.key("audit.object.", &entry.object)),
                ("name", &name),
            ],
        );
        let changes = detail
            .get("changes")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|c| {
                        let mut field = c.get("field").map(plain).unwrap_or_default();
                        if entry.object == "setting" {
                            field = t.key("audit.setting_field.", &field);
                        }
                        let old = c.get("old").map(plain).unwrap_or_else(|| "—".into());
                        let new = c.get("new").map(plain).unwrap_or_else(|| "—".into());
                        format!("{field}: {old} → {new}")
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            id: entry.id.to_string(),
            at: t.time(entry.at),
            actor: entry
                .actor_name
                .clone()
                .unwrap_or_else(|| t.get("audit.system").to_string()),
            sentence,
            changes,
        }
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    actor: Option<String>,
    object: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    lines: Vec<AuditLine>,
    users: Vec<(String, String)>,
    objects: Vec<(&'static str, String)>,
    actions: Vec<(&'static str, String)>,
    actor: String,
    object: String,
    action: String,
    from: String,
    to: String,
    /// The query string of the next (older) page, when there is one.
    older: Option<String>,
}

async fn list(State(state): State<AppState>, user: Signed, Query(q): Query<ListQuery>) -> Response {
    let t = user.ctx.tr;
    let input = FilterInput {
        actor: q.actor.clone(),
        object: q.object.clone(),
        action: q.action.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
    };
    let page = match app::audit::list(
        &state.app,
        &user.actor,
        &input,
        q.cursor.as_deref(),
        app::audit::PAGE,
    )
    .await
    {
        Ok(page) => page,
        Err(e) => return page_error(t, e),
    };
    let users = match app::org::list_users(&state.app, &user.actor).await {
        Ok(users) => users
            .into_iter()
            .map(|u| (u.id.to_string(), u.name))
            .collect(),
        Err(e) => return page_error(t, e),
    };
    let value = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
    let older = page.next.as_ref().map(|cursor| {
        let pairs = [
            ("actor", value(&q.actor)),
            ("object", value(&q.object)),
            ("action", value(&q.action)),
            ("from", value(&q.from)),
            ("to", value(&q.to)),
            ("cursor", cursor.clone()),
        ];
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    });
    render(&AuditPage {
        chrome: Chrome::new(&user.ctx, "admin"),
        lines: page.items.iter().map(|e| AuditLine::new(t, e)).collect(),
        users,
        objects: app::audit::AREAS
            .iter()
            .map(|o| (*o, t.key("audit.object.", o)))
            .collect(),
        actions: app::audit::ACTIONS
            .iter()
            .map(|a| (*a, t.key("audit.action.", a)))
            .collect(),
        actor: value(&q.actor),
        object: value(&q.object),
        action: value(&q.action),
        from: value(&q.from),
        to: value(&q.to),
        older,
    })
    .into_response()
}
