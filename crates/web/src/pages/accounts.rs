//! The account's record page: its 360° view, transfer and paged history, over the record
//! engine's use cases (the list, form, lookups and delete are the engine's pages).

use super::records::{user_choices as owner_choices, Choice};
use super::{opt, see_other, Form};
use crate::error::page_error;
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::records::RecordView;
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::fields::FieldValue;
use domain::permissions::{Action, ObjectKind};
use serde::Deserialize;
use store::history::FieldChange;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/transfer", post(transfer))
        .route("/accounts/{id}/history", get(history))
}

/// A malformed id in a URL names no record.
fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

/// An account as its page shows it: the engine's record, read by field key.
struct Shown {
    view: RecordView,
}

impl Shown {
    fn new(view: RecordView) -> Self {
        Shown { view }
    }
    fn id(&self) -> Uuid {
        self.view.record.id
    }
    fn version(&self) -> i64 {
        self.view.record.version
    }
    fn name(&self) -> &str {
        self.view.record.name()
    }
    /// A text value (a choice's key, a phone number), if the record has one.
    fn value(&self, key: &str) -> Option<String> {
        self.view.record.text(key).map(str::to_string)
    }
    /// A choice as the company labels it (its edited picklist, else the standard wording).
    fn choice(&self, t: &crate::i18n::Tr, key: &str) -> String {
        self.view
            .fields
            .field(key)
            .map(|f| {
                super::records::show_value(
                    *t,
                    f,
                    self.view.record.values.get(key),
                    &self.view.names,
                )
                .text
            })
            .unwrap_or_default()
    }
    fn tags(&self) -> Vec<String> {
        match self.view.record.values.get("tags") {
            Some(FieldValue::Choices(tags)) => tags.clone(),
            _ => Vec::new(),
        }
    }
    fn parent_id(&self) -> Option<Uuid> {
        self.view.record.id_of("parent_id")
    }
    fn parent_name(&self) -> String {
        self.parent_id()
            .and_then(|id| self.view.name_of(&id))
            .unwrap_or_default()
            .to_string()
    }
}

// ---------------------------------------------------------------- record page

#[derive(Template)]
#[template(path = "accounts/show.html")]
struct ShowPage {
    chrome: Chrome,
    a: Shown,
    /// The account's fields as the engine's record page lists them, less those this page
    /// shows in its heading, crumbs and roll-up.
    facts: Vec<super::records::Fact>,
    long_texts: Vec<(String, String)>,
    history: Vec<FieldChange>,
    history_more: Option<String>,
    can_edit: bool,
    can_delete: bool,
    can_transfer: bool,
    owners: Vec<Choice>,
    errors: FormErrors,
    x: Option<super::records::Account360>,
}

#[derive(Template)]
#[template(path = "accounts/show.html", block = "history")]
struct HistoryFragment {
    chrome: Chrome,
    history: Vec<FieldChange>,
    history_more: Option<String>,
}

const HISTORY_PAGE: i64 = 20;

fn history_more(id: Uuid, history: &mut Vec<FieldChange>) -> Option<String> {
    if history.len() as i64 > HISTORY_PAGE {
        history.truncate(HISTORY_PAGE as usize);
        history
            .last()
            .map(|h| format!("/accounts/{id}/history?before={}", h.id))
    } else {
        None
    }
}

/// Where the page's paged cards start: the field history before a change, the stream of one
/// kind before an entry (the "more" links of both, opened without htmx, show the whole page).
#[derive(Default)]
struct Start {
    history_before: Option<Uuid>,
    timeline_kind: Option<String>,
    timeline_before: Option<(chrono::DateTime<chrono::Utc>, Uuid)>,
}

/// Fields the account's page shows outside its details: the heading (name, type, grade,
/// tags), the crumbs (the parent) and the roll-up (last contacted, last deal).
const SHOWN_ELSEWHERE: &[&str] = &[
    "name",
    "account_type",
    "grade",
    "tags",
    "parent_id",
    "last_contacted_at",
    "last_deal_at",
];

async fn show_page(
    state: &AppState,
    user: &Signed,
    id: Uuid,
    notice: Option<&str>,
    errors: FormErrors,
    start: Start,
) -> Result<ShowPage, AppError> {
    let view = app::records::get(&state.app, &user.actor, ObjectKind::Account, id).await?;
    let mut history = app::records::history(
        &state.app,
        &user.actor,
        ObjectKind::Account,
        id,
        start.history_before,
        HISTORY_PAGE + 1,
    )
    .await?;
    let more = history_more(id, &mut history);
    let may = |action| app::sharing::may(&state.app, &user.actor, ObjectKind::Account, id, action);
    let can_transfer = may(Action::Transfer).await?;
    let stream = super::records::StreamStart {
        kind: start.timeline_kind.as_deref(),
        before: start.timeline_before,
    };
    let x = Some(super::records::account_360(state, user, id, stream).await?);
    let (facts, long_texts) =
        super::records::record_facts(state, user, &view, SHOWN_ELSEWHERE).await;
    Ok(ShowPage {
        chrome: Chrome::new(&user.ctx, "accounts").with_notice_on(notice, "account"),
        a: Shown::new(view),
        facts,
        long_texts,
        history,
        history_more: more,
        can_edit: may(Action::Edit).await?,
        can_delete: may(Action::Delete).await?,
        can_transfer,
        owners: if can_transfer {
            owner_choices(state, user).await
        } else {
            Vec::new()
        },
        errors,
        x,
    })
}

#[derive(Deserialize)]
pub(crate) struct ShowQuery {
    notice: Option<String>,
    /// The stream's kind filter (the kind links without htmx).
    kind: Option<String>,
    /// Where the stream starts (its "more" link without htmx).
    before: Option<String>,
}

pub(crate) async fn show(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(user.ctx.tr, e),
    };
    let timeline_before = match opt(&q.before) {
        None => None,
        Some(raw) => match super::decode_timeline_cursor(&raw) {
            Some(cursor) => Some(cursor),
            None => {
                return page_error(user.ctx.tr, AppError::field("before", "invalid_cursor"));
            }
        },
    };
    let start = Start {
        timeline_kind: opt(&q.kind),
        timeline_before,
        ..Start::default()
    };
    match show_page(
        &state,
        &user,
        id,
        q.notice.as_deref(),
        FormErrors::default(),
        start,
    )
    .await
    {
        Ok(page) => render(&page).into_response(),
        Err(e) => page_error(user.ctx.tr, e),
    }
}

#[derive(Deserialize)]
struct HistoryQuery {
    before: Option<String>,
}

async fn history(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(user.ctx.tr, e),
    };
    let before = match opt(&q.before).map(|b| Uuid::parse_str(&b)) {
        None => None,
        Some(Ok(b)) => Some(b),
        Some(Err(_)) => {
            return page_error(user.ctx.tr, AppError::field("before", "invalid_cursor"))
        }
    };
    if !user.ctx.htmx {
        let start = Start {
            history_before: before,
            ..Start::default()
        };
        return match show_page(&state, &user, id, None, FormErrors::default(), start).await {
            Ok(page) => render(&page).into_response(),
            Err(e) => page_error(user.ctx.tr, e),
        };
    }
    let result = async {
        let mut history = app::records::history(
            &state.app,
            &user.actor,
            ObjectKind::Account,
            id,
            before,
            HISTORY_PAGE + 1,
        )
        .await?;
        let more = history_more(id, &mut history);
        Ok::<_, AppError>(HistoryFragment {
            chrome: Chrome::new(&user.ctx, "accounts"),
            history,
            history_more: more,
        })
    }
    .await;
    match result {
        Ok(fragment) => render(&fragment).into_response(),
        Err(e) => page_error(user.ctx.tr, e),
    }
}

/// The record page with a notice, or again saying why an action on it was refused (the
/// engine's pages show an account's page through this).
pub(crate) async fn page_response(
    state: &AppState,
    user: &Signed,
    id: Uuid,
    notice: Option<&str>,
    errors: FormErrors,
) -> Response {
    let status = if errors.general.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page_with_status(state, user, id, notice, errors, status).await
}

async fn page_with_status(
    state: &AppState,
    user: &Signed,
    id: Uuid,
    notice: Option<&str>,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    match show_page(state, user, id, notice, errors, Start::default()).await {
        Ok(page) => (status, render(&page)).into_response(),
        Err(e) => page_error(user.ctx.tr, e),
    }
}

/// The record page again, saying why an action on it was refused.
async fn refused_on_record(state: &AppState, user: &Signed, id: Uuid, error: AppError) -> Response {
    let errors = FormErrors::from_app(user.ctx.tr, &error);
    page_with_status(
        state,
        user,
        id,
        None,
        errors,
        crate::error::status_of(&error),
    )
    .await
}

/// The version an action is based on; a missing or malformed one never matches.
fn form_version(version: &Option<String>) -> i64 {
    version
        .as_deref()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1)
}

#[derive(Deserialize)]
struct VersionForm {
    version: Option<String>,
    owner_id: Option<String>,
}

async fn transfer(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<VersionForm>,
) -> Response {
    let t = user.ctx.tr;
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    let version = form_version(&form.version);
    let owner = match super::opt_id("owner_id", &form.owner_id) {
        Ok(Some(o)) => o,
        Ok(None) => return page_error(t, AppError::field("owner_id", "required")),
        Err(e) => return page_error(t, e),
    };
    match app::records::transfer(
        &state.app,
        &user.actor,
        ObjectKind::Account,
        id,
        version,
        owner,
    )
    .await
    {
        Ok(Some(_)) => see_other(
            user.ctx.htmx,
            &format!("/accounts/{id}?notice=account_transferred"),
        ),
        Ok(None) => see_other(user.ctx.htmx, "/accounts?notice=account_transferred"),
        Err(e @ (AppError::Validation(_) | AppError::Conflict)) => {
            refused_on_record(&state, &user, id, e).await
        }
        Err(e) => page_error(t, e),
    }
}
