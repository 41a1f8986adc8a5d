//! Export pages: the "Export" action on each object's list posts the list as it is shown
//! (view, filters, quick search, sort, archive choice) with a format to `/{object}/export`,
//! which starts the export and sends the user to its progress (`/exports/{id}`, polled with
//! htmx until done, then the download link); `/exports` lists the user's recent exports and
//! `/exports/{id}/file` downloads a finished one. The same use cases as the API's.

use super::records::{export_spec, parse_list_query, OBJECTS};
use super::see_other;
use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, Chrome};
use crate::AppState;
use app::exports::{self, ExportView, Format};
use app::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use domain::permissions::ObjectKind;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route("/exports", get(recent))
        .route("/exports/{id}", get(show))
        .route("/exports/{id}/file", get(file));
    for kind in OBJECTS {
        let Some(spec) = domain::objects::spec(kind) else {
            continue;
        };
        router = router.route(
            &format!("/{}/export", spec.plural),
            post(start).layer(Extension(kind)),
        );
    }
    router
}

fn plural(kind: ObjectKind) -> &'static str {
    domain::objects::spec(kind).map_or("", |s| s.plural)
}

/// An export's id from its URL: a malformed one is not found.
fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

/// Starts an export of the list the form describes, then shows its progress.
async fn start(
    State(state): State<AppState>,
    user: Signed,
    Extension(kind): Extension<ObjectKind>,
    super::Form(form): super::Form<Vec<(String, String)>>,
) -> Response {
    let t = user.ctx.tr;
    let format = form
        .iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let Some(format) = Format::parse(&format) else {
        return page_error(t, AppError::field("format", "invalid_choice"));
    };
    let list: Vec<&(String, String)> = form
        .iter()
        .filter(|(k, _)| k != "csrf_token" && k != "format")
        .collect();
    let raw = serde_urlencoded::to_string(&list).unwrap_or_default();
    let query = parse_list_query(Some(&raw));
    let started = async {
        let spec = export_spec(&state, &user, kind, &query).await?;
        exports::start(&state.app, &user.actor, kind, &spec, format, t.lang_code()).await
    }
    .await;
    match started {
        Ok(view) => see_other(user.ctx.htmx, &format!("/exports/{}", view.export.id)),
        Err(e) => page_error(t, e),
    }
}

/// An export as the progress page and the list show it.
pub struct ExportRow {
    pub id: Uuid,
    pub object: String,
    pub plural: &'static str,
    pub format: String,
    pub file_name: String,
    pub state: String,
    pub state_label: String,
    pub finished: bool,
    pub done: bool,
    pub rows: i64,
    pub created_at: String,
    pub error: Option<String>,
}

impl ExportRow {
    fn new(t: Tr, view: &ExportView) -> Self {
        let e = &view.export;
        ExportRow {
            id: e.id,
            object: domain::objects::spec(view.object)
                .map_or("", |s| s.label(t.is_zh()))
                .to_string(),
            plural: plural(view.object),
            format: view.format.key().to_uppercase(),
            file_name: e.file_name.clone(),
            state: view.state.clone(),
            state_label: t.key("export.state.", &view.state),
            finished: view.finished(),
            done: view.done(),
            rows: e.row_count.unwrap_or(e.rows_done),
            created_at: t.time(e.created_at),
            error: view
                .error
                .as_deref()
                .map(|code| t.key("export.error.", code)),
        }
    }
}

#[derive(Template)]
#[template(path = "exports/show.html")]
struct ShowPage {
    chrome: Chrome,
    export: ExportRow,
}

#[derive(Template)]
#[template(path = "exports/show.html", block = "status")]
struct ShowStatus {
    chrome: Chrome,
    export: ExportRow,
}

async fn show(State(state): State<AppState>, user: Signed, Path(id): Path<String>) -> Response {
    let t = user.ctx.tr;
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    match exports::get(&state.app, &user.actor, id).await {
        Ok(view) => {
            let chrome = Chrome::new(&user.ctx, plural(view.object));
            let export = ExportRow::new(t, &view);
            if user.ctx.htmx {
                render(&ShowStatus { chrome, export }).into_response()
            } else {
                render(&ShowPage { chrome, export }).into_response()
            }
        }
        Err(e) => page_error(t, e),
    }
}

#[derive(Template)]
#[template(path = "exports/list.html")]
struct RecentPage {
    chrome: Chrome,
    exports: Vec<ExportRow>,
}

async fn recent(State(state): State<AppState>, user: Signed) -> Response {
    let t = user.ctx.tr;
    match exports::recent(&state.app, &user.actor).await {
        Ok(items) => render(&RecentPage {
            chrome: Chrome::new(&user.ctx, "exports"),
            exports: items.iter().map(|v| ExportRow::new(t, v)).collect(),
        })
        .into_response(),
        Err(e) => page_error(t, e),
    }
}

async fn file(State(state): State<AppState>, user: Signed, Path(id): Path<String>) -> Response {
    let t = user.ctx.tr;
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    match crate::api::exports::download(&state.app, &user.actor, id).await {
        Ok(response) => response,
        Err(e) => page_error(t, e),
    }
}
