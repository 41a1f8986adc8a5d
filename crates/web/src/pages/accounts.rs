//! Account pages: the record page with the account's 360° view, transfer and paged history,
//! and the form, laid out for accounts over the record engine's use cases (the list is the
//! engine's list page).

use super::records::{user_choices as owner_choices, Choice};
use super::{opt, see_other, Form};
use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::records::{ListRequest, ObjectFields, RecordView};
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
use std::collections::HashMap;
use store::history::FieldChange;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts", post(create))
        .route("/accounts/new", get(new_form))
        .route("/accounts/lookup", get(lookup))
        .route("/accounts/{id}", get(show).post(update))
        .route("/accounts/{id}/edit", get(edit_form))
        .route("/accounts/{id}/delete", post(delete))
        .route("/accounts/{id}/transfer", post(transfer))
        .route("/accounts/{id}/history", get(history))
}

/// A malformed id in a URL names no record.
fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

/// The choices of one of the account's picklists, in the reader's language.
fn choices(t: Tr, key: &str) -> Vec<Choice> {
    domain::objects::spec(ObjectKind::Account)
        .and_then(|s| s.field(key))
        .map(|f| {
            f.options
                .iter()
                .filter(|o| o.active)
                .map(|o| Choice {
                    value: o.key.clone(),
                    // The catalog's wording where it has one (`grade.A`), else the option's.
                    label: match t.key(&format!("{key}."), &o.key) {
                        label if label != format!("{key}.{}", o.key) => label,
                        _ if t.is_zh() => o.label_zh.clone(),
                        _ => o.label_en.clone(),
                    },
                })
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------- list

/// What the reader's role may do with the account's fields, for the templates (from
/// [`ObjectFields::for_actor`], the one field-access rule).
trait Limits {
    fn fields(&self) -> &ObjectFields;

    /// Whether the field is shown at all.
    fn shows(&self, key: &str) -> bool {
        self.fields().field(key).is_some()
    }

    /// Whether the field is on the form (neither hidden nor read-only).
    fn edits(&self, key: &str) -> bool {
        self.fields()
            .field(key)
            .is_some_and(|f| self.fields().writable(f))
    }
}

impl Limits for ShowPage {
    fn fields(&self) -> &ObjectFields {
        &self.a.view.fields
    }
}

impl Limits for FormPage {
    fn fields(&self) -> &ObjectFields {
        &self.form_fields
    }
}

/// An account as its page shows it: the engine's record, read by field key.
struct Shown {
    view: RecordView,
    province: Option<String>,
    city: Option<String>,
}

impl Shown {
    fn new(view: RecordView) -> Self {
        let text = |key: &str| view.record.text(key).map(str::to_string);
        let (province, city) = (text("province"), text("city"));
        Shown {
            view,
            province,
            city,
        }
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
    fn or_dash(&self, key: &str) -> String {
        self.value(key).unwrap_or_else(|| "—".into())
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
    fn owner_name(&self) -> &str {
        self.view
            .name_of(&self.view.record.owner_id)
            .unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct LookupQuery {
    #[serde(alias = "parent_name")]
    q: Option<String>,
    field: Option<String>,
}

/// Suggestions for an account lookup field (the parent account on the form).
async fn lookup(
    State(state): State<AppState>,
    user: Signed,
    Query(q): Query<LookupQuery>,
) -> Response {
    if let Some(page) = super::fragment_opened_as_page(&user.ctx, "/accounts") {
        return page;
    }
    let request = ListRequest {
        q: q.q.clone(),
        limit: Some(10),
        sort: Some("name".into()),
        ..Default::default()
    };
    let items =
        match app::records::list(&state.app, &user.actor, ObjectKind::Account, &request).await {
            Ok(page) => page
                .records
                .into_iter()
                .map(|a| {
                    let city = a.text("city").unwrap_or_default().to_string();
                    (a.id, a.name().to_string(), city)
                })
                .collect(),
            Err(AppError::Validation(_)) => Vec::new(),
            Err(e) => return page_error(user.ctx.tr, e),
        };
    let field = q
        .field
        .filter(|f| f.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .unwrap_or_else(|| "parent_id".into());
    render(&super::records::LookupResults {
        t: user.ctx.tr,
        items,
        field,
    })
    .into_response()
}

// ---------------------------------------------------------------- record page

#[derive(Template)]
#[template(path = "accounts/show.html")]
struct ShowPage {
    chrome: Chrome,
    a: Shown,
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
    Ok(ShowPage {
        chrome: Chrome::new(&user.ctx, "accounts").with_notice(notice),
        a: Shown::new(view),
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
struct ShowQuery {
    notice: Option<String>,
    /// The stream's kind filter (the kind links without htmx).
    kind: Option<String>,
    /// Where the stream starts (its "more" link without htmx).
    before: Option<String>,
}

async fn show(
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

// ---------------------------------------------------------------- form

#[derive(Template)]
#[template(path = "accounts/form.html")]
struct FormPage {
    chrome: Chrome,
    /// `None` for a new account.
    id: Option<Uuid>,
    version: i64,
    v: Draft,
    types: Vec<Choice>,
    grades: Vec<Choice>,
    provinces: Vec<Choice>,
    owners: Vec<Choice>,
    errors: FormErrors,
    conflict: bool,
    fields: Vec<super::records::FormField>,
    form_fields: ObjectFields,
}

/// The account form's standard fields as texts by key: the record's values, or what was
/// posted (re-shown after an error).
#[derive(Default)]
struct Draft {
    texts: HashMap<String, String>,
    parent_name: String,
    /// Custom field values as submitted.
    custom: HashMap<String, Vec<String>>,
}

impl Draft {
    fn get(&self, key: &str) -> &str {
        self.texts.get(key).map(String::as_str).unwrap_or_default()
    }

    /// The record's values as the form shows them (tags as one comma-separated text).
    fn of(view: &RecordView) -> Draft {
        let mut texts = HashMap::new();
        for (key, value) in &view.record.values {
            let text = match value {
                FieldValue::Choices(tags) => tags.join(", "),
                other => app::records::plain_text(other),
            };
            texts.insert(key.clone(), text);
        }
        let parent_name = view
            .record
            .id_of("parent_id")
            .and_then(|id| view.name_of(&id))
            .unwrap_or_default()
            .to_string();
        Draft {
            texts,
            parent_name,
            custom: HashMap::new(),
        }
    }

    fn posted(pairs: &super::records::Pairs, custom: HashMap<String, Vec<String>>) -> Draft {
        let mut texts = HashMap::new();
        for (key, value) in pairs {
            texts.entry(key.clone()).or_insert_with(|| value.clone());
        }
        let parent_name = texts.remove("parent_name").unwrap_or_default();
        Draft {
            texts,
            parent_name,
            custom,
        }
    }
}

async fn form_page(
    state: &AppState,
    user: &Signed,
    (id, version): (Option<Uuid>, i64),
    v: Draft,
    errors: FormErrors,
    conflict: bool,
) -> Result<FormPage, AppError> {
    let t = user.ctx.tr;
    let fields =
        super::records::custom_controls(state, user, ObjectKind::Account, id, &v.custom, &errors)
            .await;
    let form_fields =
        app::records::object_fields(&state.app, &user.actor, ObjectKind::Account).await?;
    let can_transfer = user
        .actor
        .principal
        .can(ObjectKind::Account, Action::Transfer);
    Ok(FormPage {
        chrome: Chrome::new(&user.ctx, "accounts"),
        id,
        version,
        v,
        types: choices(t, "account_type"),
        grades: choices(t, "grade"),
        provinces: choices(t, "province"),
        owners: if can_transfer {
            owner_choices(state, user).await
        } else {
            Vec::new()
        },
        errors,
        conflict,
        fields,
        form_fields,
    })
}

fn show_form(page: Result<FormPage, AppError>, status: StatusCode, t: Tr) -> Response {
    match page {
        Ok(page) => (status, render(&page)).into_response(),
        Err(e) => page_error(t, e),
    }
}

async fn new_form(State(state): State<AppState>, user: Signed) -> Response {
    if let Err(e) = user.actor.require(ObjectKind::Account, Action::Create) {
        return page_error(user.ctx.tr, e);
    }
    let mut v = Draft::default();
    v.texts
        .insert("owner_id".into(), user.actor.id().to_string());
    let page = form_page(&state, &user, (None, 0), v, FormErrors::default(), false).await;
    show_form(page, StatusCode::OK, user.ctx.tr)
}

async fn edit_form(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(user.ctx.tr, e),
    };
    let view = match app::records::get(&state.app, &user.actor, ObjectKind::Account, id).await {
        Ok(view) => view,
        Err(e) => return page_error(user.ctx.tr, e),
    };
    if let Err(e) = user.actor.require(ObjectKind::Account, Action::Edit) {
        return page_error(user.ctx.tr, e);
    }
    let version = view.record.version;
    let page = form_page(
        &state,
        &user,
        (Some(id), version),
        Draft::of(&view),
        FormErrors::default(),
        false,
    )
    .await;
    show_form(page, StatusCode::OK, user.ctx.tr)
}

/// Posted keys that are not fields: the form's bookkeeping and the lookup's search box.
const NOT_FIELDS: &[&str] = &["csrf_token", "version", "parent_name"];

/// Reads the posted form as field input for the record engine. Fields the role may not see
/// or change are left out (the form does not show them), so they keep their stored values.
async fn read_form(
    state: &AppState,
    user: &Signed,
    pairs: &super::records::Pairs,
    creating: bool,
) -> Result<(app::records::Input, Draft, Option<i64>), AppError> {
    let (own, input, raw) = super::records::split_custom(
        state,
        user,
        ObjectKind::Account,
        pairs,
        NOT_FIELDS,
        creating,
    )
    .await;
    let fields = app::records::object_fields(&state.app, &user.actor, ObjectKind::Account).await?;
    let input = input
        .into_iter()
        .filter(|(key, _)| fields.field(key).is_none_or(|f| fields.writable(f)))
        .filter(|(key, values)| key != "owner_id" || values.iter().any(|v| !v.is_empty()))
        .collect();
    let version = own
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.trim().parse().ok());
    let custom = raw
        .into_iter()
        .filter(|(k, _)| fields.custom.iter().any(|c| &c.def.key == k))
        .collect();
    let shown: super::records::Pairs = pairs
        .iter()
        .filter(|(k, _)| k != "csrf_token")
        .cloned()
        .collect();
    Ok((input, Draft::posted(&shown, custom), version))
}

async fn create(
    State(state): State<AppState>,
    user: Signed,
    Form(pairs): Form<super::records::Pairs>,
) -> Response {
    let t = user.ctx.tr;
    let (input, draft, _) = match read_form(&state, &user, &pairs, true).await {
        Ok(v) => v,
        Err(e) => return page_error(t, e),
    };
    match app::records::create(&state.app, &user.actor, ObjectKind::Account, &input).await {
        Ok(id) => see_other(
            user.ctx.htmx,
            &format!("/accounts/{id}?notice=account_created"),
        ),
        Err(e @ (AppError::Validation(_) | AppError::Rule(_))) => {
            let errors = FormErrors::from_app(t, &e);
            let page = form_page(&state, &user, (None, 0), draft, errors, false).await;
            show_form(page, StatusCode::UNPROCESSABLE_ENTITY, t)
        }
        Err(e) => page_error(t, e),
    }
}

async fn update(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(pairs): Form<super::records::Pairs>,
) -> Response {
    let t = user.ctx.tr;
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    let (input, draft, version) = match read_form(&state, &user, &pairs, false).await {
        Ok(v) => v,
        Err(e) => return page_error(t, e),
    };
    let Some(version) = version else {
        return page_error(t, AppError::field("version", "required"));
    };
    let result = app::records::update(
        &state.app,
        &user.actor,
        ObjectKind::Account,
        id,
        version,
        &input,
    )
    .await;
    match result {
        Ok(()) => see_other(
            user.ctx.htmx,
            &format!("/accounts/{id}?notice=account_saved"),
        ),
        Err(e @ (AppError::Validation(_) | AppError::Rule(_))) => {
            let errors = FormErrors::from_app(t, &e);
            let page = form_page(&state, &user, (Some(id), version), draft, errors, false).await;
            show_form(page, StatusCode::UNPROCESSABLE_ENTITY, t)
        }
        Err(AppError::Conflict) => {
            // Keep what the user typed; tell them someone else saved first.
            let errors = FormErrors {
                messages: Vec::new(),
                general: Some(t.get("error.conflict").into()),
            };
            let page = form_page(&state, &user, (Some(id), version), draft, errors, true).await;
            show_form(page, StatusCode::CONFLICT, t)
        }
        Err(e) => page_error(t, e),
    }
}

/// The record page again, saying why an action on it was refused.
async fn refused_on_record(state: &AppState, user: &Signed, id: Uuid, error: AppError) -> Response {
    let t = user.ctx.tr;
    match show_page(
        state,
        user,
        id,
        None,
        FormErrors::from_app(t, &error),
        Start::default(),
    )
    .await
    {
        Ok(page) => (crate::error::status_of(&error), render(&page)).into_response(),
        Err(e) => page_error(t, e),
    }
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

async fn delete(
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
    match app::records::delete(&state.app, &user.actor, ObjectKind::Account, id, version).await {
        Ok(()) => see_other(user.ctx.htmx, "/accounts?notice=account_deleted"),
        Err(e @ (AppError::Rule(_) | AppError::Conflict | AppError::StillReferenced(_))) => {
            refused_on_record(&state, &user, id, e).await
        }
        Err(e) => page_error(t, e),
    }
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
