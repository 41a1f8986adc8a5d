//! Per-company metadata pages (administrators): a standard picklist's choices
//! (`/admin/picklists/{object}/{key}`: relabel in both languages, retire, add) and an object's
//! record types (`/admin/record-types/{object}`: list, create, edit). Also what a record form
//! takes from the record's type ([`FormLayout`]): its fields, required ones and stages.

use super::{see_other, Form};
use crate::error::page_error;
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::picklists::RecordTypeInput;
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use domain::fields::{FieldDef, PicklistOption};
use domain::permissions::{Action, ObjectKind};
use domain::picklists::{RecordType, StageSet};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/picklists/{object}/{key}",
            get(choices_form).post(save_choices),
        )
        .route(
            "/admin/record-types/{object}",
            get(types_page).post(create_type),
        )
        .route(
            "/admin/record-types/{object}/{id}",
            get(edit_type).post(update_type),
        )
}

type Pairs = Vec<(String, String)>;

fn object_of(raw: &str) -> Result<ObjectKind, AppError> {
    domain::objects::spec_by_plural(raw)
        .map(|s| s.kind)
        .ok_or(AppError::NotFound)
}

fn plural(kind: ObjectKind) -> &'static str {
    domain::objects::spec(kind).map_or("", |s| s.plural)
}

fn values<'a>(pairs: &'a Pairs, name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn value(pairs: &Pairs, name: &str) -> String {
    values(pairs, name)
        .first()
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// One row of the choices form: an existing choice (key fixed) or a new one.
pub struct ChoiceRow {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub active: bool,
    pub existing: bool,
}

#[derive(Template)]
#[template(path = "admin/picklist_form.html")]
struct ChoicesPage {
    chrome: Chrome,
    object: &'static str,
    key: String,
    label: String,
    rows: Vec<ChoiceRow>,
    errors: FormErrors,
}

/// Empty rows offered for new choices.
const NEW_ROWS: usize = 3;

fn rows_of(options: &[PicklistOption]) -> Vec<ChoiceRow> {
    let mut rows: Vec<ChoiceRow> = options
        .iter()
        .map(|o| ChoiceRow {
            key: o.key.clone(),
            label_zh: o.label_zh.clone(),
            label_en: o.label_en.clone(),
            active: o.active,
            existing: true,
        })
        .collect();
    rows.extend((0..NEW_ROWS).map(|_| ChoiceRow {
        key: String::new(),
        label_zh: String::new(),
        label_en: String::new(),
        active: true,
        existing: false,
    }));
    rows
}

async fn picklist_field(
    state: &AppState,
    user: &Signed,
    object: &str,
    key: &str,
) -> Result<(ObjectKind, FieldDef), AppError> {
    user.actor.require(ObjectKind::Org, Action::Administer)?;
    let kind = object_of(object)?;
    let fields = app::records::object_fields(&state.app, &user.actor, kind).await?;
    let field = fields
        .field(key)
        .filter(|f| f.column.is_some() && domain::picklists::editable(f).is_ok())
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok((kind, field))
}

fn choices_page(
    user: &Signed,
    kind: ObjectKind,
    field: &FieldDef,
    rows: Vec<ChoiceRow>,
    errors: FormErrors,
) -> ChoicesPage {
    ChoicesPage {
        chrome: Chrome::new(&user.ctx, "admin"),
        object: plural(kind),
        key: field.key.clone(),
        label: super::records::label(user.ctx.tr, field),
        rows,
        errors,
    }
}

async fn choices_form(
    State(state): State<AppState>,
    user: Signed,
    Path((object, key)): Path<(String, String)>,
) -> Response {
    match picklist_field(&state, &user, &object, &key).await {
        Ok((kind, field)) => {
            let rows = rows_of(&field.options);
            render(&choices_page(
                &user,
                kind,
                &field,
                rows,
                FormErrors::default(),
            ))
            .into_response()
        }
        Err(e) => page_error(user.ctx.tr, e),
    }
}

/// The posted rows: `option_key`, `option_zh`, `option_en` in order; `option_active` names
/// the existing keys kept on offer (a new row is offered). Rows left empty are skipped.
fn posted_rows(pairs: &Pairs, existing: &[PicklistOption]) -> Vec<ChoiceRow> {
    let keys = values(pairs, "option_key");
    let zh = values(pairs, "option_zh");
    let en = values(pairs, "option_en");
    let active = values(pairs, "option_active");
    keys.iter()
        .enumerate()
        .map(|(i, key)| {
            let key = key.trim().to_string();
            let is_existing = existing.iter().any(|o| o.key == key);
            ChoiceRow {
                active: !is_existing || active.contains(&key.as_str()),
                existing: is_existing,
                label_zh: zh.get(i).map(|v| v.trim().to_string()).unwrap_or_default(),
                label_en: en.get(i).map(|v| v.trim().to_string()).unwrap_or_default(),
                key,
            }
        })
        .filter(|r| !(r.key.is_empty() && r.label_zh.is_empty() && r.label_en.is_empty()))
        .collect()
}

async fn save_choices(
    State(state): State<AppState>,
    user: Signed,
    Path((object, key)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> Response {
    let t = user.ctx.tr;
    let (kind, field) = match picklist_field(&state, &user, &object, &key).await {
        Ok(found) => found,
        Err(e) => return page_error(t, e),
    };
    let rows = posted_rows(&pairs, &field.options);
    let options: Vec<PicklistOption> = rows
        .iter()
        .map(|r| PicklistOption {
            key: r.key.clone(),
            label_zh: r.label_zh.clone(),
            label_en: r.label_en.clone(),
            active: r.active,
        })
        .collect();
    match app::picklists::set_options(&state.app, &user.actor, kind, &key, options).await {
        Ok(_) => see_other(
            user.ctx.htmx,
            &format!("/admin/fields/{}?notice=saved", plural(kind)),
        ),
        Err(e @ AppError::Validation(_)) => {
            let mut errors = FormErrors::from_app(t, &e);
            // The rows' errors are named by their position among the rows shown.
            errors.general = Some(
                errors
                    .messages
                    .iter()
                    .map(|(_, m)| m.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            )
            .filter(|m| !m.is_empty());
            let mut shown = rows;
            shown.extend(rows_of(&[]));
            let page = choices_page(&user, kind, &field, shown, errors);
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(e) => page_error(t, e),
    }
}

/// A field offered for a record type's required and layout lists.
pub struct FieldChoice {
    pub key: String,
    pub label: String,
    pub required: bool,
    pub shown: bool,
}

pub struct TypeRow {
    pub id: String,
    pub key: String,
    pub name: String,
    pub stage_set: String,
    pub active: bool,
    pub is_default: bool,
}

#[derive(Template)]
#[template(path = "admin/record_types.html")]
struct TypesPage {
    chrome: Chrome,
    object: &'static str,
    object_label: String,
    objects: Vec<(&'static str, String)>,
    rows: Vec<TypeRow>,
    /// The form: the type edited (its id), or a new one.
    editing: Option<String>,
    f: RecordTypeInput,
    fields: Vec<FieldChoice>,
    /// Stage sets as (key, name); empty for objects without stages.
    sets: Vec<(String, String)>,
    /// Leads: the follow-up deadline per intent level as (level, label, days given, default).
    follow_up: Vec<(String, String, String, u32)>,
    errors: FormErrors,
}

#[derive(serde::Deserialize, Default)]
struct Notice {
    notice: Option<String>,
}

fn blank() -> RecordTypeInput {
    RecordTypeInput {
        key: String::new(),
        name_zh: String::new(),
        name_en: String::new(),
        active: true,
        is_default: false,
        stage_set: None,
        required_fields: Vec::new(),
        layout_fields: Vec::new(),
        follow_up_days: Default::default(),
    }
}

async fn types_view(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    editing: Option<Uuid>,
    f: Option<RecordTypeInput>,
    errors: FormErrors,
) -> Result<TypesPage, AppError> {
    let t = user.ctx.tr;
    user.actor.require(ObjectKind::Org, Action::Administer)?;
    let types = app::picklists::record_types(&state.app, &user.actor, kind).await?;
    let sets: Vec<StageSet> = if domain::objects::spec(kind)
        .and_then(|s| s.stage_field)
        .is_some()
    {
        app::picklists::list_stage_sets(&state.app, &user.actor, kind).await?
    } else {
        Vec::new()
    };
    let set_name = |key: &Option<String>| {
        let key = key.as_deref().unwrap_or(domain::picklists::DEFAULT_SET);
        sets.iter()
            .find(|s| s.key == key)
            .map(|s| {
                if t.is_zh() {
                    s.name_zh.clone()
                } else {
                    s.name_en.clone()
                }
            })
            .unwrap_or_default()
    };
    let f = match (f, editing) {
        (Some(f), _) => f,
        (None, Some(id)) => types
            .iter()
            .find(|x| x.id == id)
            .map(RecordTypeInput::of)
            .ok_or(AppError::NotFound)?,
        (None, None) => blank(),
    };
    let fields = app::records::object_fields(&state.app, &user.actor, kind).await?;
    let choices = fields
        .all()
        .into_iter()
        .filter(|d| fields.writable(d) && d.key != "record_type")
        .map(|d| FieldChoice {
            key: d.key.clone(),
            label: super::records::label(t, d),
            required: f.required_fields.contains(&d.key),
            shown: f.layout_fields.contains(&d.key),
        })
        .collect();
    let follow_up = if fields.spec.rules.contains(&domain::rules::Rule::FollowUp) {
        let intent = fields.field("intent");
        domain::follow_up::DEFAULT_DAYS
            .iter()
            .map(|(level, default)| {
                let label = intent
                    .and_then(|d| d.options.iter().find(|o| o.key == *level))
                    .map(|o| {
                        if t.is_zh() {
                            o.label_zh.clone()
                        } else {
                            o.label_en.clone()
                        }
                    })
                    .unwrap_or_else(|| level.to_string());
                let given = f
                    .follow_up_days
                    .get(*level)
                    .map(u32::to_string)
                    .unwrap_or_default();
                (level.to_string(), label, given, *default)
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(TypesPage {
        chrome: Chrome::new(&user.ctx, "admin"),
        object: plural(kind),
        object_label: t.key("object.", kind.key()),
        objects: domain::objects::GENERIC
            .iter()
            .map(|k| (plural(*k), t.key("object.", k.key())))
            .collect(),
        rows: types
            .iter()
            .map(|x| TypeRow {
                id: x.id.to_string(),
                key: x.key.clone(),
                name: x.name(t.is_zh()).to_string(),
                stage_set: if sets.is_empty() {
                    String::new()
                } else {
                    set_name(&x.stage_set)
                },
                active: x.active,
                is_default: x.is_default,
            })
            .collect(),
        editing: editing.map(|id| id.to_string()),
        f,
        fields: choices,
        sets: sets
            .iter()
            .map(|s| {
                (
                    s.key.clone(),
                    if t.is_zh() {
                        s.name_zh.clone()
                    } else {
                        s.name_en.clone()
                    },
                )
            })
            .collect(),
        follow_up,
        errors,
    })
}

async fn types_page(
    State(state): State<AppState>,
    user: Signed,
    Path(object): Path<String>,
    Query(q): Query<Notice>,
) -> Response {
    let t = user.ctx.tr;
    let result = async {
        let kind = object_of(&object)?;
        types_view(&state, &user, kind, None, None, FormErrors::default()).await
    }
    .await;
    match result {
        Ok(mut page) => {
            page.chrome = page.chrome.with_notice(q.notice.as_deref());
            render(&page).into_response()
        }
        Err(e) => page_error(t, e),
    }
}

async fn edit_type(
    State(state): State<AppState>,
    user: Signed,
    Path((object, id)): Path<(String, String)>,
) -> Response {
    let t = user.ctx.tr;
    let result = async {
        let kind = object_of(&object)?;
        let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
        types_view(&state, &user, kind, Some(id), None, FormErrors::default()).await
    }
    .await;
    match result {
        Ok(page) => render(&page).into_response(),
        Err(e) => page_error(t, e),
    }
}

fn posted_type(pairs: &Pairs) -> RecordTypeInput {
    let list = |name: &str| -> Vec<String> {
        values(pairs, name)
            .into_iter()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    };
    RecordTypeInput {
        key: value(pairs, "key"),
        name_zh: value(pairs, "name_zh"),
        name_en: value(pairs, "name_en"),
        active: !value(pairs, "active").is_empty(),
        is_default: !value(pairs, "is_default").is_empty(),
        stage_set: Some(value(pairs, "stage_set")).filter(|s| !s.is_empty()),
        required_fields: list("required_fields"),
        layout_fields: list("layout_fields"),
        // A number field left empty keeps the level's default; what is not a day count is
        // taken as 0, which the check refuses.
        follow_up_days: domain::follow_up::DEFAULT_DAYS
            .iter()
            .filter_map(|(level, _)| {
                let given = value(pairs, &format!("follow_up_days.{level}"));
                let given = given.trim();
                (!given.is_empty()).then(|| (level.to_string(), given.parse().unwrap_or(0)))
            })
            .collect(),
    }
}

async fn save_type(
    state: AppState,
    user: Signed,
    object: String,
    id: Option<String>,
    pairs: Pairs,
) -> Response {
    let t = user.ctx.tr;
    let kind = match object_of(&object) {
        Ok(kind) => kind,
        Err(e) => return page_error(t, e),
    };
    let id = match id.map(|id| Uuid::parse_str(&id)) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return page_error(t, AppError::NotFound),
    };
    let input = posted_type(&pairs);
    match app::picklists::save_record_type(&state.app, &user.actor, kind, id, input.clone()).await {
        Ok(_) => see_other(
            user.ctx.htmx,
            &format!("/admin/record-types/{}?notice=saved", plural(kind)),
        ),
        Err(e @ AppError::Validation(_)) => {
            let errors = FormErrors::from_app(t, &e);
            match types_view(&state, &user, kind, id, Some(input), errors).await {
                Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response(),
                Err(e) => page_error(t, e),
            }
        }
        Err(e) => page_error(t, e),
    }
}

async fn create_type(
    State(state): State<AppState>,
    user: Signed,
    Path(object): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Response {
    save_type(state, user, object, None, pairs).await
}

async fn update_type(
    State(state): State<AppState>,
    user: Signed,
    Path((object, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> Response {
    save_type(state, user, object, Some(id), pairs).await
}

/// What a record form takes from the record's type: which fields it shows, which are
/// required and which stages it offers. Objects without record types show everything.
pub struct FormLayout {
    types: Vec<RecordType>,
    sets: Vec<StageSet>,
}

impl FormLayout {
    pub async fn load(state: &AppState, user: &Signed, kind: ObjectKind) -> FormLayout {
        let types = if app::picklists::typed(kind) {
            app::picklists::record_types(&state.app, &user.actor, kind)
                .await
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let sets = if domain::objects::spec(kind)
            .and_then(|s| s.stage_field)
            .is_some()
        {
            app::picklists::list_stage_sets(&state.app, &user.actor, kind)
                .await
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        FormLayout { types, sets }
    }

    /// The type of a record whose `record_type` is `key` (none: the default type).
    pub fn chosen(&self, key: Option<&str>) -> Option<&RecordType> {
        RecordType::of(&self.types, key)
    }

    /// Whether the form shows `field`: the type chooser when there is a choice (or the
    /// record has a type), other fields when the type's layout has them (or they are
    /// required).
    pub fn shows(&self, chosen: Option<&RecordType>, field: &FieldDef, current: &[String]) -> bool {
        if field.key == "record_type" {
            return self.types.iter().filter(|t| t.active).count() > 1 || !current.is_empty();
        }
        field.required || chosen.is_none_or(|t| t.shows(&field.key))
    }

    pub fn required(&self, chosen: Option<&RecordType>, key: &str) -> bool {
        chosen.is_some_and(|t| t.required_fields.iter().any(|f| f == key))
    }

    /// The stage keys the type's set offers (`None`: no stages on this object).
    pub fn stages(&self, chosen: Option<&RecordType>) -> Option<Vec<&str>> {
        let wanted = chosen
            .and_then(|t| t.stage_set.as_deref())
            .unwrap_or(domain::picklists::DEFAULT_SET);
        let set = self
            .sets
            .iter()
            .find(|s| s.key == wanted)
            .or(self.sets.first())?;
        Some(set.stages.iter().map(|s| s.key.as_str()).collect())
    }
}
