//! Account pages: the list with filters, the record page with its history, the form.

use super::records::{user_choices as owner_choices, Choice};
use super::{opt, see_other, Form};
use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::accounts::ListParams;
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::accounts::{split_tags, AccountInput, AccountType, Grade};
use domain::permissions::{Action, FieldAccess, ObjectKind};
use domain::regions::PROVINCES;
use serde::Deserialize;
use std::collections::HashMap;
use store::accounts::AccountRow;
use store::history::FieldChange;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(list).post(create))
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

fn type_choices(t: Tr) -> Vec<Choice> {
    AccountType::ALL
        .iter()
        .map(|v| Choice {
            value: v.key().into(),
            label: t.key("account_type.", v.key()),
        })
        .collect()
}

fn grade_choices(t: Tr) -> Vec<Choice> {
    Grade::ALL
        .iter()
        .map(|g| Choice {
            value: g.key().into(),
            label: t.key("grade.", g.key()),
        })
        .collect()
}

fn province_choices(t: Tr) -> Vec<Choice> {
    PROVINCES
        .iter()
        .map(|p| Choice {
            value: p.code.into(),
            label: if t.is_zh() {
                p.name_zh.into()
            } else {
                p.name_en.into()
            },
        })
        .collect()
}

// ---------------------------------------------------------------- list

/// What the reader's role may do with the limitable account fields, for the templates.
trait Limits {
    fn limits(&self) -> &[(&'static str, FieldAccess)];

    /// Whether the field is shown at all.
    fn shows(&self, key: &str) -> bool {
        !self
            .limits()
            .iter()
            .any(|(k, a)| *k == key && *a == FieldAccess::Hidden)
    }

    /// Whether the field is on the form (neither hidden nor read-only).
    fn edits(&self, key: &str) -> bool {
        !self.limits().iter().any(|(k, _)| *k == key)
    }
}

impl Limits for ShowPage {
    fn limits(&self) -> &[(&'static str, FieldAccess)] {
        &self.limits
    }
}

impl Limits for FormPage {
    fn limits(&self) -> &[(&'static str, FieldAccess)] {
        &self.limits
    }
}

/// The accounts list is the record engine's list, like every object's: views, the filter
/// builder, sortable column headers and chosen columns.
async fn list(
    State(state): State<AppState>,
    user: Signed,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    let query = super::records::parse_list_query(raw.as_deref());
    match super::records::list_page(&state, &user, ObjectKind::Account, query).await {
        Ok(response) => response,
        Err(e) => page_error(user.ctx.tr, e),
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
    let params = ListParams {
        q: q.q.clone(),
        limit: Some("10".into()),
        sort: Some("name".into()),
        ..Default::default()
    };
    let items = match app::accounts::list(&state.app, &user.actor, &params).await {
        Ok(page) => page
            .items
            .into_iter()
            .map(|a| (a.id, a.name, a.city.unwrap_or_default()))
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
    a: AccountRow,
    history: Vec<FieldChange>,
    history_more: Option<String>,
    can_edit: bool,
    can_delete: bool,
    can_transfer: bool,
    owners: Vec<Choice>,
    errors: FormErrors,
    x: Option<super::records::Account360>,
    limits: Vec<(&'static str, FieldAccess)>,
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
    let a = app::accounts::get(&state.app, &user.actor, id).await?;
    let mut history = app::accounts::history(
        &state.app,
        &user.actor,
        id,
        start.history_before,
        HISTORY_PAGE + 1,
    )
    .await?;
    let more = history_more(id, &mut history);
    let p = &user.actor.principal;
    let can_transfer = p.can(ObjectKind::Account, Action::Transfer);
    let stream = super::records::StreamStart {
        kind: start.timeline_kind.as_deref(),
        before: start.timeline_before,
    };
    let x = Some(super::records::account_360(state, user, &a, stream).await?);
    Ok(ShowPage {
        chrome: Chrome::new(&user.ctx, "accounts").with_notice(notice),
        a,
        history,
        history_more: more,
        can_edit: p.can(ObjectKind::Account, Action::Edit),
        can_delete: p.can(ObjectKind::Account, Action::Delete),
        can_transfer,
        owners: if can_transfer {
            owner_choices(state, user).await
        } else {
            Vec::new()
        },
        errors,
        x,
        limits: app::accounts::limited_fields(&user.actor),
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
        let mut history =
            app::accounts::history(&state.app, &user.actor, id, before, HISTORY_PAGE + 1).await?;
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
    v: AccountInput,
    tags: String,
    parent_name: String,
    types: Vec<Choice>,
    grades: Vec<Choice>,
    provinces: Vec<Choice>,
    owners: Vec<Choice>,
    errors: FormErrors,
    conflict: bool,
    fields: Vec<super::records::FormField>,
    limits: Vec<(&'static str, FieldAccess)>,
}

/// The account form as posted. Every field is text; checks happen in the domain rules.
#[derive(Deserialize, Default)]
struct AccountForm {
    name: Option<String>,
    account_type: Option<String>,
    industry: Option<String>,
    province: Option<String>,
    city: Option<String>,
    grade: Option<String>,
    phone: Option<String>,
    website: Option<String>,
    address: Option<String>,
    credit_code: Option<String>,
    parent_id: Option<String>,
    parent_name: Option<String>,
    tags: Option<String>,
    description: Option<String>,
    owner_id: Option<String>,
    version: Option<String>,
}

impl AccountForm {
    fn input(&self) -> AccountInput {
        AccountInput {
            name: self.name.clone(),
            account_type: self.account_type.clone(),
            industry: self.industry.clone(),
            province: self.province.clone(),
            city: self.city.clone(),
            grade: self.grade.clone(),
            phone: self.phone.clone(),
            website: self.website.clone(),
            address: self.address.clone(),
            credit_code: self.credit_code.clone(),
            parent_id: self.parent_id.clone(),
            tags: split_tags(self.tags.as_deref().unwrap_or_default()),
            description: self.description.clone(),
            owner_id: opt(&self.owner_id),
        }
    }
}

/// What the form shows: the record (if any), the version it is based on, and the values.
struct Draft {
    id: Option<Uuid>,
    version: i64,
    v: AccountInput,
    parent_name: String,
    /// Custom field values as submitted (re-shown after an error).
    custom: HashMap<String, Vec<String>>,
}

async fn form_page(
    state: &AppState,
    user: &Signed,
    draft: Draft,
    errors: FormErrors,
    conflict: bool,
) -> FormPage {
    let Draft {
        id,
        version,
        v,
        parent_name,
        custom,
    } = draft;
    let t = user.ctx.tr;
    let fields =
        super::records::custom_controls(state, user, ObjectKind::Account, id, &custom, &errors)
            .await;
    let can_transfer = user
        .actor
        .principal
        .can(ObjectKind::Account, Action::Transfer);
    FormPage {
        chrome: Chrome::new(&user.ctx, "accounts"),
        id,
        version,
        tags: v.tags.join(", "),
        v,
        parent_name,
        types: type_choices(t),
        grades: grade_choices(t),
        provinces: province_choices(t),
        owners: if can_transfer {
            owner_choices(state, user).await
        } else {
            Vec::new()
        },
        errors,
        conflict,
        fields,
        limits: app::accounts::limited_fields(&user.actor),
    }
}

async fn new_form(State(state): State<AppState>, user: Signed) -> Response {
    if let Err(e) = user.actor.require(ObjectKind::Account, Action::Create) {
        return page_error(user.ctx.tr, e);
    }
    let v = AccountInput {
        owner_id: Some(user.actor.id().to_string()),
        ..Default::default()
    };
    render(
        &form_page(
            &state,
            &user,
            Draft {
                id: None,
                version: 0,
                v,
                parent_name: String::new(),
                custom: HashMap::new(),
            },
            FormErrors::default(),
            false,
        )
        .await,
    )
    .into_response()
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
    let a = match app::accounts::get(&state.app, &user.actor, id).await {
        Ok(a) => a,
        Err(e) => return page_error(user.ctx.tr, e),
    };
    if let Err(e) = user.actor.require(ObjectKind::Account, Action::Edit) {
        return page_error(user.ctx.tr, e);
    }
    let v = a.fields().to_input();
    render(
        &form_page(
            &state,
            &user,
            Draft {
                id: Some(id),
                version: a.version,
                v,
                parent_name: a.parent_name.clone().unwrap_or_default(),
                custom: HashMap::new(),
            },
            FormErrors::default(),
            false,
        )
        .await,
    )
    .into_response()
}

/// The account form's own fields; everything else posted is a custom field.
const FORM_KEYS: &[&str] = &[
    "name",
    "account_type",
    "industry",
    "province",
    "city",
    "grade",
    "phone",
    "website",
    "address",
    "credit_code",
    "parent_id",
    "parent_name",
    "tags",
    "description",
    "owner_id",
    "version",
    "csrf_token",
];

/// Reads the posted account form: its own fields and the custom ones.
async fn read_form(
    state: &AppState,
    user: &Signed,
    pairs: &super::records::Pairs,
    creating: bool,
) -> Result<
    (
        AccountForm,
        app::records::Input,
        HashMap<String, Vec<String>>,
    ),
    Response,
> {
    let (own, custom, custom_raw) =
        super::records::split_custom(state, user, ObjectKind::Account, pairs, FORM_KEYS, creating)
            .await;
    let encoded = serde_urlencoded::to_string(&own).unwrap_or_default();
    match serde_urlencoded::from_str::<AccountForm>(&encoded) {
        Ok(form) => Ok((form, custom, custom_raw)),
        Err(_) => Err(crate::error::message_page(
            user.ctx.tr,
            StatusCode::BAD_REQUEST,
            user.ctx.tr.get("error.malformed_form"),
        )),
    }
}

async fn create(
    State(state): State<AppState>,
    user: Signed,
    Form(pairs): Form<super::records::Pairs>,
) -> Response {
    let (form, custom, custom_raw) = match read_form(&state, &user, &pairs, true).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let input = form.input();
    match app::accounts::create_with_custom(&state.app, &user.actor, &input, &custom).await {
        Ok(row) => see_other(
            user.ctx.htmx,
            &format!("/accounts/{}?notice=account_created", row.id),
        ),
        Err(e @ (AppError::Validation(_) | AppError::Rule(_))) => {
            let errors = FormErrors::from_app(user.ctx.tr, &e);
            let page = form_page(
                &state,
                &user,
                Draft {
                    id: None,
                    version: 0,
                    v: input,
                    parent_name: form.parent_name.unwrap_or_default(),
                    custom: custom_raw.clone(),
                },
                errors,
                false,
            )
            .await;
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(e) => page_error(user.ctx.tr, e),
    }
}

async fn update(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(pairs): Form<super::records::Pairs>,
) -> Response {
    let t = user.ctx.tr;
    let (form, custom, custom_raw) = match read_form(&state, &user, &pairs, false).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    let input = form.input();
    let Some(version) = form.version.as_deref().and_then(|v| v.parse::<i64>().ok()) else {
        return page_error(t, AppError::field("version", "required"));
    };
    match app::accounts::update_with_custom(&state.app, &user.actor, id, version, &input, &custom)
        .await
    {
        Ok(_) => see_other(
            user.ctx.htmx,
            &format!("/accounts/{id}?notice=account_saved"),
        ),
        Err(e @ (AppError::Validation(_) | AppError::Rule(_))) => {
            let errors = FormErrors::from_app(t, &e);
            let page = form_page(
                &state,
                &user,
                Draft {
                    id: Some(id),
                    version,
                    v: input,
                    parent_name: form.parent_name.unwrap_or_default(),
                    custom: custom_raw.clone(),
                },
                errors,
                false,
            )
            .await;
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(AppError::Conflict) => {
            // Keep what the user typed; tell them someone else saved first.
            let errors = FormErrors {
                messages: Vec::new(),
                general: Some(t.get("error.conflict").into()),
            };
            let page = form_page(
                &state,
                &user,
                Draft {
                    id: Some(id),
                    version,
                    v: input,
                    parent_name: form.parent_name.unwrap_or_default(),
                    custom: custom_raw.clone(),
                },
                errors,
                true,
            )
            .await;
            (StatusCode::CONFLICT, render(&page)).into_response()
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
    match app::accounts::delete(&state.app, &user.actor, id, version).await {
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
    match app::accounts::transfer(&state.app, &user.actor, id, version, owner).await {
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
