//! Pages of the metadata-driven objects (contacts, leads, opportunities, activities): list with
//! saved views and a filter builder, record page with related lists and history, form. Every
//! field — standard or custom — is rendered from its `FieldDef`.

use super::{see_other, Form};
use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::records::{Input, ListRequest, ObjectFields};
use app::AppError;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::{DateTime, Utc};
use domain::fields::{FieldDef, FieldType, FieldValue};
use domain::objects::ObjectSpec;
use domain::permissions::{Action, ObjectKind};
use domain::views::{FilterSpec, ViewDefinition};
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;
use store::history::FieldChange;
use uuid::Uuid;

pub use domain::objects::GENERIC as OBJECTS;

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for kind in OBJECTS {
        let Some(spec) = domain::objects::spec(kind) else {
            continue;
        };
        let object = Router::new()
            .route("/", get(list).post(create))
            .route("/new", get(new_form))
            .route("/lookup", get(lookup))
            .route("/filter-row", get(filter_row))
            .route("/views", post(save_view))
            .route("/views/{view}/delete", post(delete_view))
            .route("/{id}", get(show).post(update))
            .route("/{id}/edit", get(edit_form))
            .route("/{id}/delete", post(delete))
            .layer(Extension(kind));
        router = router.nest(&format!("/{}", spec.plural), object);
    }
    // Accounts have pages of their own; their views and filter builder are these.
    let account_lists = Router::new()
        .route("/accounts/views", post(save_view))
        .route("/accounts/views/{view}/delete", post(delete_view))
        .route("/accounts/filter-row", get(filter_row))
        .layer(Extension(ObjectKind::Account));
    router
        .merge(account_lists)
        .route("/", get(my_day))
        .route("/activities/{id}/complete", post(complete))
        .route("/activities/{id}/reopen", post(reopen))
        .route("/activities/{id}/postpone", post(postpone))
        .route("/activities/{id}/follow-up", post(follow_up))
        .route("/activities/{id}/check-in", post(check_in))
        .route("/accounts/{id}/timeline", get(account_timeline))
        .route("/accounts/{id}/links", post(add_account_link))
        .route(
            "/accounts/{id}/links/{link}/delete",
            post(remove_account_link),
        )
        .route("/contacts/{id}/links", post(add_contact_link))
        .route(
            "/contacts/{id}/links/{link}/delete",
            post(remove_contact_link),
        )
}

fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

fn spec_of(kind: ObjectKind) -> &'static ObjectSpec {
    domain::objects::spec(kind).unwrap_or_else(|| unreachable_spec())
}

#[cold]
fn unreachable_spec() -> &'static ObjectSpec {
    // Routes are only registered for objects with a spec.
    domain::objects::spec(ObjectKind::Contact).expect("contacts have a spec")
}

/// Choices for a select: (value, label).
#[derive(Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// A field value as the reader sees it, with a link when it names a record.
#[derive(Clone, Default)]
pub struct Shown {
    pub text: String,
    pub href: Option<String>,
}

pub fn label(t: Tr, field: &FieldDef) -> String {
    let (zh, en) = (&field.label_zh, &field.label_en);
    if t.is_zh() && !zh.is_empty() || en.is_empty() {
        zh.clone()
    } else {
        en.clone()
    }
}

fn option_label(t: Tr, field: &FieldDef, key: &str) -> String {
    field
        .options
        .iter()
        .find(|o| o.key == key)
        .map(|o| {
            if t.is_zh() {
                o.label_zh.clone()
            } else {
                o.label_en.clone()
            }
        })
        .unwrap_or_else(|| key.to_string())
}

/// Groups digits by thousands: 1234567.5 → 1,234,567.50.
/// An amount as stored: with its currency's places, which the store gave it.
pub fn money(d: &rust_decimal::Decimal) -> String {
    domain::money::format(*d, d.scale())
}

pub fn show_value(
    t: Tr,
    field: &FieldDef,
    value: Option<&FieldValue>,
    names: &HashMap<Uuid, String>,
) -> Shown {
    let Some(value) = value else {
        return Shown {
            text: "—".into(),
            href: None,
        };
    };
    let text = |s: String| Shown {
        text: s,
        href: None,
    };
    match (field.field_type, value) {
        (FieldType::Picklist, FieldValue::Text(k)) => text(option_label(t, field, k)),
        (FieldType::MultiSelect, FieldValue::Choices(keys)) => text(
            keys.iter()
                .map(|k| option_label(t, field, k))
                .collect::<Vec<_>>()
                .join("、"),
        ),
        (FieldType::Money, FieldValue::Decimal(d)) => text(money(d)),
        (FieldType::Percent, FieldValue::Decimal(d)) => text(format!("{}%", d.normalize())),
        (_, FieldValue::Decimal(d)) => text(d.normalize().to_string()),
        (_, FieldValue::Date(d)) => text(d.format("%Y-%m-%d").to_string()),
        (_, FieldValue::DateTime(dt)) => text(t.time(dt)),
        (_, FieldValue::Bool(b)) => text(if *b { "✓".into() } else { "—".into() }),
        (FieldType::Lookup, FieldValue::Id(id)) => {
            let plural = field
                .lookup_object
                .as_deref()
                .and_then(ObjectKind::parse)
                .and_then(domain::objects::spec)
                .map(|s| s.plural)
                .unwrap_or("accounts");
            Shown {
                text: names
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| t.get("record.unavailable").into()),
                href: Some(format!("/{plural}/{id}")),
            }
        }
        (_, FieldValue::Id(id)) => text(names.get(id).cloned().unwrap_or_else(|| "—".into())),
        (FieldType::Email, FieldValue::Text(s)) => Shown {
            text: s.clone(),
            href: Some(format!("mailto:{s}")),
        },
        (FieldType::Phone, FieldValue::Text(s)) => Shown {
            text: s.clone(),
            href: Some(format!("tel:{s}")),
        },
        (FieldType::Url, FieldValue::Text(s)) => Shown {
            text: s.clone(),
            href: Some(s.clone()),
        },
        (_, FieldValue::Text(s)) => text(s.clone()),
        (_, FieldValue::Choices(c)) => text(c.join(", ")),
    }
}

/// A history value as stored (names already resolved), with choice keys shown as labels.
pub fn history_text(t: Tr, fields: &ObjectFields, key: &str, value: &Option<String>) -> String {
    let Some(v) = value else { return "—".into() };
    match fields.field(key) {
        Some(f) if f.field_type == FieldType::Picklist => option_label(t, f, v),
        Some(f) if f.field_type == FieldType::DateTime => DateTime::parse_from_rfc3339(v)
            .map(|d| t.time(d.with_timezone(&Utc)))
            .unwrap_or_else(|_| v.clone()),
        Some(f) if f.field_type == FieldType::Money => v
            .parse::<rust_decimal::Decimal>()
            .map(|d| money(&d))
            .unwrap_or_else(|_| v.clone()),
        _ => v.clone(),
    }
}

fn field_label(t: Tr, fields: &ObjectFields, key: &str) -> String {
    fields
        .field(key)
        .map(|f| label(t, f))
        .unwrap_or_else(|| key.to_string())
}

// ---------------------------------------------------------------- form

/// One control of a record form.
pub struct FormField {
    pub key: String,
    pub label: String,
    pub help: Option<String>,
    /// text, textarea, number, date, datetime-local, checkbox, select, multi, lookup, email, tel, url
    pub control: &'static str,
    pub value: String,
    pub chosen: Vec<String>,
    pub options: Vec<Choice>,
    pub required: bool,
    pub error: Option<String>,
    pub lookup_url: String,
    pub lookup_label: String,
    pub full: bool,
    /// Shown only while another field (`.0`) holds one of these values (`.1`, spaced).
    pub when: Option<(String, String)>,
    pub shown: bool,
}

/// A value as a form control holds it; a time as the browser's `datetime-local`, in the
/// reader's zone.
fn form_text(t: Tr, value: &FieldValue) -> String {
    match value {
        FieldValue::DateTime(at) => at.with_timezone(&t.zone).format(DATETIME_LOCAL).to_string(),
        other => app::records::plain_text(other),
    }
}

/// The active users, as an owner pick-list.
pub(super) async fn user_choices(state: &AppState, user: &Signed) -> Vec<Choice> {
    app::org::user_choices(&state.app, &user.actor)
        .await
        .map(|choices| {
            choices
                .iter()
                .map(|(id, name)| Choice {
                    value: id.to_string(),
                    label: name.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The controls of a form for `fields`, filled from what was submitted (`raw`), else from
/// the record's values.
async fn form_fields(
    state: &AppState,
    user: &Signed,
    fields: &ObjectFields,
    values: &store::records::Values,
    names: &HashMap<Uuid, String>,
    raw: &HashMap<String, Vec<String>>,
    errors: &FormErrors,
) -> Vec<FormField> {
    let t = user.ctx.tr;
    let users = user_choices(state, user).await;
    let current_of = |field: &FieldDef| -> Vec<String> {
        match raw.get(&field.key) {
            Some(given) => given.iter().filter(|v| !v.is_empty()).cloned().collect(),
            None => match values.get(&field.key) {
                Some(FieldValue::Choices(c)) => c.clone(),
                Some(v) => vec![form_text(t, v)],
                None => Vec::new(),
            },
        }
    };
    let mut out = Vec::new();
    for field in fields.all() {
        // Fields the system sets or the role may not change are shown on the record page.
        if !fields.writable(field) {
            continue;
        }
        let current = current_of(field);
        // A field that matters only for some values of another is hidden for the others
        // (and shown again by the page's script when that other field changes).
        let when = fields.spec.shown_when(&field.key);
        let shown = when.is_none_or(|w| {
            let on = fields
                .field(w.on)
                .map(&current_of)
                .and_then(|v| v.into_iter().next())
                .or_else(|| fields.field(w.on).and_then(|f| f.default_value.clone()))
                .unwrap_or_default();
            w.values.contains(&on.as_str())
        });
        let control = match field.field_type {
            FieldType::Text => "text",
            FieldType::LongText => "textarea",
            FieldType::Number | FieldType::Money | FieldType::Percent => "number",
            FieldType::Date => "date",
            FieldType::DateTime => "datetime-local",
            FieldType::Checkbox => "checkbox",
            FieldType::Picklist => "select",
            FieldType::MultiSelect => "multi",
            FieldType::Lookup => "lookup",
            FieldType::User => "select",
            FieldType::Phone => "tel",
            FieldType::Email => "email",
            FieldType::Url => "url",
        };
        let options = match field.field_type {
            FieldType::User => users.clone(),
            _ => field
                .options
                .iter()
                .filter(|o| o.active || current.contains(&o.key))
                .map(|o| Choice {
                    value: o.key.clone(),
                    label: if t.is_zh() {
                        o.label_zh.clone()
                    } else {
                        o.label_en.clone()
                    },
                })
                .collect(),
        };
        let value = current.first().cloned().unwrap_or_default();
        let target_plural = field
            .lookup_object
            .as_deref()
            .and_then(ObjectKind::parse)
            .and_then(domain::objects::spec)
            .map(|s| s.plural)
            .unwrap_or("accounts");
        let lookup_label = Uuid::parse_str(&value)
            .ok()
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_default();
        out.push(FormField {
            key: field.key.clone(),
            label: label(t, field),
            help: if t.is_zh() {
                field.help_zh.clone()
            } else {
                field.help_en.clone()
            }
            .filter(|h| !h.is_empty()),
            control,
            chosen: current.clone(),
            value,
            options,
            required: field.required,
            error: errors.get(&field.key).map(str::to_string),
            lookup_url: format!("/{target_plural}/lookup?field={}", field.key),
            lookup_label,
            full: field.field_type == FieldType::LongText,
            when: when.map(|w| (w.on.to_string(), w.values.join(" "))),
            shown: shown || errors.get(&field.key).is_some(),
        });
    }
    out
}

/// The custom-field controls of a form for an object with a form of its own (accounts).
pub async fn custom_controls(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    id: Option<Uuid>,
    raw: &HashMap<String, Vec<String>>,
    errors: &FormErrors,
) -> Vec<FormField> {
    let Ok(fields) = app::records::object_fields(&state.app, &user.actor, kind).await else {
        return Vec::new();
    };
    let mut values = store::records::Values::new();
    let mut names = HashMap::new();
    match id {
        Some(id) => {
            if let Ok(view) = app::records::get(&state.app, &user.actor, kind, id).await {
                values = view.record.values;
                names = view.names;
            }
        }
        None => {
            for c in &fields.custom {
                if let Some(Ok(Some(v))) = c
                    .def
                    .default_value
                    .as_ref()
                    .map(|d| c.def.parse(std::slice::from_ref(d)))
                {
                    values.insert(c.def.key.clone(), v);
                }
            }
        }
    }
    let custom_keys: Vec<String> = fields.custom.iter().map(|c| c.def.key.clone()).collect();
    form_fields(state, user, &fields, &values, &names, raw, errors)
        .await
        .into_iter()
        .filter(|f| custom_keys.contains(&f.key))
        .collect()
}

/// Splits a posted form into the keys an object's own form knows (`standard`) and custom
/// field input.
pub async fn split_custom(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    pairs: &Pairs,
    standard: &[&str],
    creating: bool,
) -> (Pairs, Input, HashMap<String, Vec<String>>) {
    let own: Pairs = pairs
        .iter()
        .filter(|(k, _)| standard.contains(&k.as_str()))
        .cloned()
        .collect();
    let rest: Pairs = pairs
        .iter()
        .filter(|(k, _)| !standard.contains(&k.as_str()))
        .cloned()
        .collect();
    match app::records::object_fields(&state.app, &user.actor, kind).await {
        Ok(fields) => {
            let (input, raw, _) = form_input(&fields, &rest, creating, user.ctx.tr.zone);
            (own, input, raw)
        }
        Err(_) => (own, Input::new(), HashMap::new()),
    }
}

#[derive(Template)]
#[template(path = "records/form.html")]
struct FormPage {
    chrome: Chrome,
    object_label: String,
    plural: &'static str,
    id: Option<Uuid>,
    version: i64,
    fields: Vec<FormField>,
    errors: FormErrors,
    conflict: bool,
}

/// Form bodies as (name, value) pairs: repeated names carry multi-select values.
pub type Pairs = Vec<(String, String)>;

/// The submitted fields of a record form, without the form's own controls. A form posts
/// every field, so an empty one is what the user did not fill in: `creating`, it is not
/// given (defaults and the object's rules apply, as when the API leaves it out); editing,
/// it clears the field's value. `raw` keeps everything posted, to show the form again.
fn form_input(
    fields: &ObjectFields,
    pairs: &Pairs,
    creating: bool,
    zone: domain::time::Tz,
) -> (Input, HashMap<String, Vec<String>>, Option<i64>) {
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    let mut version = None;
    for (key, value) in pairs {
        match key.as_str() {
            "csrf_token" | "q" => continue,
            "version" => {
                version = value.parse().ok();
                continue;
            }
            _ => {}
        }
        match grouped.iter_mut().find(|(k, _)| k == key) {
            Some((_, values)) => values.push(value.clone()),
            None => grouped.push((key.clone(), vec![value.clone()])),
        }
    }
    let posted: Input = grouped
        .iter()
        .map(|(key, values)| {
            // A checkbox posts a hidden "false" and, when ticked, "true": the last one counts.
            let checkbox = fields
                .field(key)
                .is_some_and(|f| f.field_type == FieldType::Checkbox);
            let values = if checkbox {
                values.last().cloned().into_iter().collect()
            } else {
                values.clone()
            };
            // A browser's `datetime-local` is wall-clock time in the user's zone.
            let datetime = fields
                .field(key)
                .is_some_and(|f| f.field_type == FieldType::DateTime);
            let values = if datetime {
                values.iter().map(|v| zoned(v, zone)).collect()
            } else {
                values
            };
            (key.clone(), values)
        })
        .collect();
    let raw = posted.iter().cloned().collect();
    let input = posted
        .into_iter()
        .filter(|(_, values)| !creating || values.iter().any(|v| !v.trim().is_empty()))
        .collect();
    (input, raw, version)
}

/// The format of a browser's `datetime-local` value.
const DATETIME_LOCAL: &str = "%Y-%m-%dT%H:%M";

/// A posted `datetime-local` value as an RFC 3339 time in `zone`; anything else unchanged
/// (for the field's own check).
fn zoned(value: &str, zone: domain::time::Tz) -> String {
    chrono::NaiveDateTime::parse_from_str(value.trim(), DATETIME_LOCAL)
        .ok()
        .and_then(|local| domain::time::from_local(local, zone))
        .map(|at| at.to_rfc3339())
        .unwrap_or_else(|| value.to_string())
}

/// What a form shows: the record (if editing), its values and names, what was submitted.
struct FormState<'a> {
    id: Option<Uuid>,
    version: i64,
    values: &'a store::records::Values,
    names: &'a HashMap<Uuid, String>,
    raw: &'a HashMap<String, Vec<String>>,
    errors: FormErrors,
    status: StatusCode,
}

async fn render_form(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    form: FormState<'_>,
) -> Response {
    let FormState {
        id,
        version,
        values,
        names,
        raw,
        errors,
        status,
    } = form;
    let t = user.ctx.tr;
    let fields = match app::records::object_fields(&state.app, &user.actor, kind).await {
        Ok(f) => f,
        Err(e) => return page_error(t, e),
    };
    let spec = spec_of(kind);
    let controls = form_fields(state, user, &fields, values, names, raw, &errors).await;
    let conflict = errors.general.as_deref() == Some(t.get("error.conflict"));
    let page = FormPage {
        chrome: Chrome::new(&user.ctx, spec.plural),
        object_label: t.key("object.", kind.key()),
        plural: spec.plural,
        id,
        version,
        fields: controls,
        errors,
        conflict,
    };
    (status, render(&page)).into_response()
}

async fn new_form(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(e) = user.actor.require(kind, Action::Create) {
        return page_error(user.ctx.tr, e);
    }
    // Prefill from the query string (e.g. a contact under an account, a visit for a contact).
    let pairs: Pairs =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let mut prefill: HashMap<String, Vec<String>> = HashMap::new();
    let mut names = HashMap::new();
    let mut values = store::records::Values::new();
    values.insert("owner_id".into(), FieldValue::Id(user.actor.id()));
    let fields = match app::records::object_fields(&state.app, &user.actor, kind).await {
        Ok(f) => f,
        Err(e) => return page_error(user.ctx.tr, e),
    };
    for field in fields.all() {
        if let Some(d) = &field.default_value {
            if let Ok(Some(v)) = field.parse(std::slice::from_ref(d)) {
                values.insert(field.key.clone(), v);
            }
        }
    }
    for (key, value) in pairs {
        if let Some(field) = fields.field(&key).filter(|f| !f.system) {
            if field.field_type == FieldType::Lookup {
                if let (Ok(id), Some(object)) = (
                    Uuid::parse_str(&value),
                    field.lookup_object.as_deref().and_then(ObjectKind::parse),
                ) {
                    if let Ok(view) = lookup_name(&state, &user, object, id).await {
                        names.insert(id, view);
                    }
                }
            }
            prefill.entry(key).or_default().push(value);
        }
    }
    render_form(
        &state,
        &user,
        kind,
        FormState {
            id: None,
            version: 0,
            values: &values,
            names: &names,
            raw: &prefill,
            errors: FormErrors::default(),
            status: StatusCode::OK,
        },
    )
    .await
}

async fn lookup_name(
    state: &AppState,
    user: &Signed,
    object: ObjectKind,
    id: Uuid,
) -> Result<String, AppError> {
    if object == ObjectKind::Account {
        return app::accounts::get(&state.app, &user.actor, id)
            .await
            .map(|a| a.name);
    }
    app::records::get(&state.app, &user.actor, object, id)
        .await
        .map(|v| v.record.name().to_string())
}

async fn create(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    Form(pairs): Form<Pairs>,
) -> Response {
    let t = user.ctx.tr;
    let fields = match app::records::object_fields(&state.app, &user.actor, kind).await {
        Ok(f) => f,
        Err(e) => return page_error(t, e),
    };
    let (input, raw, _) = form_input(&fields, &pairs, true, user.ctx.tr.zone);
    match app::records::create(&state.app, &user.actor, kind, &input).await {
        Ok(id) => see_other(
            user.ctx.htmx,
            &format!("/{}/{id}?notice=created", spec_of(kind).plural),
        ),
        Err(e @ (AppError::Validation(_) | AppError::Rule(_) | AppError::Forbidden)) => {
            let names = raw_names(&state, &user, &fields, &raw).await;
            render_form(
                &state,
                &user,
                kind,
                FormState {
                    id: None,
                    version: 0,
                    values: &Default::default(),
                    names: &names,
                    raw: &raw,
                    errors: FormErrors::from_app(t, &e),
                    status: crate::error::status_of(&e),
                },
            )
            .await
        }
        Err(e) => page_error(t, e),
    }
}

/// Names for the lookup ids in a re-displayed form.
async fn raw_names(
    state: &AppState,
    user: &Signed,
    fields: &ObjectFields,
    raw: &HashMap<String, Vec<String>>,
) -> HashMap<Uuid, String> {
    let mut names = HashMap::new();
    for field in fields.all() {
        let Some(object) = field.lookup_object.as_deref().and_then(ObjectKind::parse) else {
            continue;
        };
        if let Some(id) = raw
            .get(&field.key)
            .and_then(|v| v.first())
            .and_then(|v| Uuid::parse_str(v).ok())
        {
            if let Ok(name) = lookup_name(state, user, object, id).await {
                names.insert(id, name);
            }
        }
    }
    names
}

async fn edit_form(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    Path(id): Path<String>,
) -> Response {
    let t = user.ctx.tr;
    let view = match async {
        app::records::get(&state.app, &user.actor, kind, parse_id(&id)?).await
    }
    .await
    {
        Ok(v) => v,
        Err(e) => return page_error(t, e),
    };
    if let Err(e) = user.actor.require(kind, Action::Edit) {
        return page_error(t, e);
    }
    render_form(
        &state,
        &user,
        kind,
        FormState {
            id: Some(view.record.id),
            version: view.record.version,
            values: &view.record.values,
            names: &view.names,
            raw: &HashMap::new(),
            errors: FormErrors::default(),
            status: StatusCode::OK,
        },
    )
    .await
}

async fn update(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Response {
    let t = user.ctx.tr;
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    let fields = match app::records::object_fields(&state.app, &user.actor, kind).await {
        Ok(f) => f,
        Err(e) => return page_error(t, e),
    };
    let (input, raw, version) = form_input(&fields, &pairs, false, user.ctx.tr.zone);
    let Some(version) = version else {
        return page_error(t, AppError::field("version", "required"));
    };
    match app::records::update(&state.app, &user.actor, kind, id, version, &input).await {
        Ok(()) => see_other(
            user.ctx.htmx,
            &format!("/{}/{id}?notice=saved", spec_of(kind).plural),
        ),
        Err(
            e @ (AppError::Validation(_)
            | AppError::Rule(_)
            | AppError::Conflict
            | AppError::Forbidden),
        ) => {
            let names = raw_names(&state, &user, &fields, &raw).await;
            render_form(
                &state,
                &user,
                kind,
                FormState {
                    id: Some(id),
                    version,
                    values: &Default::default(),
                    names: &names,
                    raw: &raw,
                    errors: FormErrors::from_app(t, &e),
                    status: crate::error::status_of(&e),
                },
            )
            .await
        }
        Err(e) => page_error(t, e),
    }
}

#[derive(serde::Deserialize)]
struct VersionForm {
    version: Option<String>,
}

async fn delete(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<VersionForm>,
) -> Response {
    let t = user.ctx.tr;
    let result = async {
        let id = parse_id(&id)?;
        let version = form
            .version
            .as_deref()
            .and_then(|v| v.parse().ok())
            .ok_or(AppError::field("version", "required"))?;
        app::records::delete(&state.app, &user.actor, kind, id, version).await?;
        Ok::<_, AppError>(id)
    }
    .await;
    match result {
        Ok(_) => see_other(
            user.ctx.htmx,
            &format!("/{}?notice=deleted", spec_of(kind).plural),
        ),
        Err(e @ (AppError::Rule(_) | AppError::Conflict)) => match parse_id(&id) {
            Ok(id) => {
                show_response(&state, &user, kind, id, None, FormErrors::from_app(t, &e)).await
            }
            Err(e) => page_error(t, e),
        },
        Err(e) => page_error(t, e),
    }
}

// ---------------------------------------------------------------- record page

/// A short list of related records on a record page.
pub struct RelatedList {
    pub title: String,
    pub id: String,
    /// Column headers: the name's, then one per cell.
    pub columns: Vec<String>,
    pub rows: Vec<(String, String, Vec<Shown>)>,
    pub all_url: String,
    pub new_url: Option<String>,
    pub more: bool,
}

/// Records of `kind` whose lookup `key` points at `id`, newest first.
pub async fn related(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    key: &str,
    id: Uuid,
    title_key: &str,
    new_url: Option<String>,
) -> Option<RelatedList> {
    let t = user.ctx.tr;
    user.actor.principal.read_scope(kind)?;
    let request = ListRequest {
        related: Some((key.to_string(), id)),
        limit: Some(10),
        ..Default::default()
    };
    let page = app::records::list(&state.app, &user.actor, kind, &request)
        .await
        .ok()?;
    let spec = spec_of(kind);
    let columns: Vec<&FieldDef> = spec
        .default_columns
        .iter()
        .filter(|c| **c != key && **c != "name")
        .filter_map(|c| page.fields.field(c))
        .take(3)
        .collect();
    let rows = page
        .records
        .iter()
        .map(|r| {
            (
                format!("/{}/{}", spec.plural, r.id),
                r.name().to_string(),
                columns
                    .iter()
                    .map(|f| show_value(t, f, r.values.get(&f.key), &page.names))
                    .collect(),
            )
        })
        .collect();
    Some(RelatedList {
        title: t.get(title_key).to_string(),
        id: format!("related-{}", spec.plural),
        columns: spec
            .field("name")
            .into_iter()
            .chain(columns.iter().copied())
            .map(|f| label(t, f))
            .collect(),
        rows,
        all_url: format!("/{}?ff={key}&fo=eq&fv={id}&edited=1", spec.plural),
        new_url: new_url.filter(|_| user.actor.principal.can(kind, Action::Create)),
        more: page.next_cursor.is_some(),
    })
}

#[derive(Template)]
#[template(path = "records/show.html")]
struct ShowPage {
    chrome: Chrome,
    kind: &'static str,
    plural: &'static str,
    object_label: String,
    id: Uuid,
    version: i64,
    name: String,
    facts: Vec<(String, String, Shown)>,
    long_texts: Vec<(String, String)>,
    related: Vec<RelatedList>,
    history: Vec<(String, String, String, String, String)>,
    can_edit: bool,
    can_delete: bool,
    activity: Option<ActivityPanel>,
    links: Option<LinksPanel>,
    log_links: Vec<(String, String)>,
    errors: FormErrors,
}

pub struct ActivityPanel {
    pub open: bool,
    pub visit: bool,
    pub checked_in: Option<String>,
    pub location: Option<String>,
}

pub struct LinksPanel {
    pub action: String,
    pub lookup_url: String,
    pub kinds: Vec<Choice>,
    pub items: Vec<(String, String, String, String)>,
}

async fn show(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let notice: Option<String> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(raw.as_deref().unwrap_or_default())
            .unwrap_or_default()
            .into_iter()
            .find(|(k, _)| k == "notice")
            .map(|(_, v)| v);
    match parse_id(&id) {
        Ok(id) => {
            show_response(
                &state,
                &user,
                kind,
                id,
                notice.as_deref(),
                FormErrors::default(),
            )
            .await
        }
        Err(e) => page_error(user.ctx.tr, e),
    }
}

async fn show_response(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    id: Uuid,
    notice: Option<&str>,
    errors: FormErrors,
) -> Response {
    let t = user.ctx.tr;
    let status = if errors.general.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    match show_page(state, user, kind, id, notice, errors).await {
        Ok(page) => (status, render(&page)).into_response(),
        Err(e) => page_error(t, e),
    }
}

/// Field history rows as (time, who, field label, old, new).
pub fn history_rows(
    t: Tr,
    fields: &ObjectFields,
    history: Vec<FieldChange>,
) -> Vec<(String, String, String, String, String)> {
    history
        .into_iter()
        .map(|h| {
            (
                t.time(h.changed_at),
                h.changed_by_name.clone().unwrap_or_default(),
                field_label(t, fields, &h.field),
                history_text(t, fields, &h.field, &h.old_value),
                history_text(t, fields, &h.field, &h.new_value),
            )
        })
        .collect()
}

async fn show_page(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    id: Uuid,
    notice: Option<&str>,
    errors: FormErrors,
) -> Result<ShowPage, AppError> {
    let t = user.ctx.tr;
    let view = app::records::get(&state.app, &user.actor, kind, id).await?;
    let fields = &view.fields;
    let spec = spec_of(kind);
    let record = &view.record;
    let mut facts = Vec::new();
    let mut long_texts = Vec::new();
    for field in fields.all() {
        if field.key == "name" {
            continue;
        }
        if kind == ObjectKind::Activity && field.key.starts_with("checkin_") {
            continue;
        }
        if field.field_type == FieldType::LongText {
            if let Some(FieldValue::Text(s)) = record.values.get(&field.key) {
                long_texts.push((label(t, field), s.clone()));
            }
            continue;
        }
        // A field that does not apply to this record (a task's place) is left out when empty.
        let applies = spec.shown_when(&field.key).is_none_or(|w| {
            matches!(record.values.get(w.on), Some(FieldValue::Text(v)) if w.values.contains(&v.as_str()))
        });
        if !applies && !record.values.contains_key(&field.key) {
            continue;
        }
        facts.push((
            field.key.clone(),
            label(t, field),
            show_value(t, field, record.values.get(&field.key), &view.names),
        ));
    }
    let history = app::records::history(&state.app, &user.actor, kind, id, None, 30).await?;
    let history = history_rows(t, fields, history);
    let p = &user.actor.principal;
    let mut related_lists = Vec::new();
    let mut log_links = Vec::new();
    let link_key = match kind {
        ObjectKind::Contact => Some("contact_id"),
        ObjectKind::Lead => Some("lead_id"),
        ObjectKind::Opportunity => Some("opportunity_id"),
        _ => None,
    };
    if let Some(key) = link_key {
        let mut prefill = format!("{key}={id}");
        if let Some(account) = record.id_of("account_id") {
            prefill.push_str(&format!("&account_id={account}"));
        }
        for activity_kind in ["call", "visit", "meeting", "task", "note"] {
            log_links.push((
                format!("/activities/new?kind={activity_kind}&{prefill}"),
                t.key("activity.log.", activity_kind),
            ));
        }
        if let Some(list) = related(
            state,
            user,
            ObjectKind::Activity,
            key,
            id,
            "related.activities",
            Some(format!("/activities/new?{prefill}")),
        )
        .await
        {
            related_lists.push(list);
        }
    }
    if kind == ObjectKind::Contact {
        let account = record
            .id_of("account_id")
            .map(|a| format!("&account_id={a}"))
            .unwrap_or_default();
        if let Some(list) = related(
            state,
            user,
            ObjectKind::Opportunity,
            "contact_id",
            id,
            "related.opportunities",
            Some(format!("/opportunities/new?contact_id={id}{account}")),
        )
        .await
        {
            related_lists.push(list);
        }
        if let Some(list) = related(
            state,
            user,
            ObjectKind::Contact,
            "reports_to_id",
            id,
            "related.reports",
            Some(format!("/contacts/new?reports_to_id={id}{account}")),
        )
        .await
        {
            related_lists.push(list);
        }
    }
    let links = if kind == ObjectKind::Contact {
        Some(links_panel(state, user, ObjectKind::Contact, id).await?)
    } else {
        None
    };
    let activity = (kind == ObjectKind::Activity).then(|| {
        let checked_in = match record.values.get("checkin_at") {
            Some(FieldValue::DateTime(at)) => Some(t.time(at)),
            _ => None,
        };
        let coordinate = |k: &str| match record.values.get(k) {
            Some(FieldValue::Decimal(d)) => d.to_f64(),
            _ => None,
        };
        let location = match (coordinate("checkin_lat"), coordinate("checkin_lng")) {
            (Some(lat), Some(lng)) => Some(match coordinate("checkin_accuracy") {
                Some(acc) => format!("{lat:.5}, {lng:.5} (±{acc:.0} m)"),
                None => format!("{lat:.5}, {lng:.5}"),
            }),
            _ => None,
        };
        ActivityPanel {
            open: record.text("status") == Some("open"),
            visit: record.text("kind") == Some("visit"),
            checked_in,
            location,
        }
    });
    Ok(ShowPage {
        chrome: Chrome::new(&user.ctx, spec.plural).with_notice(notice),
        kind: kind.key(),
        plural: spec.plural,
        object_label: t.key("object.", kind.key()),
        id,
        version: record.version,
        name: record.name().to_string(),
        facts,
        long_texts,
        related: related_lists,
        history,
        can_edit: p.can(kind, Action::Edit),
        can_delete: p.can(kind, Action::Delete),
        activity,
        links,
        log_links,
        errors,
    })
}

/// The relationships panel of an account or contact.
pub async fn links_panel(
    state: &AppState,
    user: &Signed,
    object: ObjectKind,
    id: Uuid,
) -> Result<LinksPanel, AppError> {
    let t = user.ctx.tr;
    let kinds = app::account360::link_kinds(object);
    let plural = spec_of_any(object);
    let items = app::account360::links(&state.app, &user.actor, object, id)
        .await?
        .into_iter()
        .map(|l| {
            let label = kinds
                .iter()
                .find(|k| k.0 == l.kind)
                .map(|k| match (l.outgoing, t.is_zh()) {
                    (true, true) => k.1,
                    (true, false) => k.2,
                    (false, true) => k.3,
                    (false, false) => k.4,
                })
                .unwrap_or(l.kind.as_str())
                .to_string();
            (
                label,
                format!("/{plural}/{}", l.other_id),
                l.other_name,
                format!("/{plural}/{id}/links/{}/delete", l.id),
            )
        })
        .collect();
    Ok(LinksPanel {
        action: format!("/{plural}/{id}/links"),
        lookup_url: format!("/{plural}/lookup?field=to_id"),
        kinds: kinds
            .iter()
            .map(|k| Choice {
                value: k.0.into(),
                label: if t.is_zh() { k.1.into() } else { k.2.into() },
            })
            .collect(),
        items,
    })
}

fn spec_of_any(object: ObjectKind) -> &'static str {
    domain::objects::spec(object)
        .map(|s| s.plural)
        .unwrap_or("accounts")
}

#[derive(serde::Deserialize)]
pub struct LinkForm {
    pub to_id: Option<String>,
    pub kind: Option<String>,
    pub note: Option<String>,
}

pub async fn add_link(
    state: &AppState,
    user: &Signed,
    object: ObjectKind,
    id: &str,
    form: LinkForm,
) -> Response {
    let t = user.ctx.tr;
    let plural = spec_of_any(object);
    let result = async {
        let id = parse_id(id)?;
        let to =
            super::opt_id("to_id", &form.to_id)?.ok_or(AppError::field("to_id", "required"))?;
        app::account360::add_link(
            &state.app,
            &user.actor,
            object,
            id,
            to,
            form.kind.as_deref().unwrap_or_default(),
            form.note.as_deref(),
        )
        .await?;
        Ok::<_, AppError>(id)
    }
    .await;
    match result {
        Ok(id) => see_other(
            user.ctx.htmx,
            &format!("/{plural}/{id}?notice=link_added#links"),
        ),
        Err(e @ AppError::Validation(_)) => match parse_id(id) {
            Ok(rid) if object == ObjectKind::Contact => {
                show_response(state, user, object, rid, None, FormErrors::from_app(t, &e)).await
            }
            _ => page_error(t, e),
        },
        Err(e) => page_error(t, e),
    }
}

pub async fn remove_link(
    state: &AppState,
    user: &Signed,
    object: ObjectKind,
    id: &str,
    link: &str,
) -> Response {
    let plural = spec_of_any(object);
    let result = async {
        let id = parse_id(id)?;
        app::account360::remove_link(&state.app, &user.actor, object, id, parse_id(link)?).await?;
        Ok::<_, AppError>(id)
    }
    .await;
    match result {
        Ok(id) => see_other(
            user.ctx.htmx,
            &format!("/{plural}/{id}?notice=link_removed#links"),
        ),
        Err(e) => page_error(user.ctx.tr, e),
    }
}

async fn add_contact_link(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<LinkForm>,
) -> Response {
    add_link(&state, &user, ObjectKind::Contact, &id, form).await
}

async fn add_account_link(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<LinkForm>,
) -> Response {
    add_link(&state, &user, ObjectKind::Account, &id, form).await
}

async fn remove_account_link(
    State(state): State<AppState>,
    user: Signed,
    Path((id, link)): Path<(String, String)>,
) -> Response {
    remove_link(&state, &user, ObjectKind::Account, &id, &link).await
}

async fn remove_contact_link(
    State(state): State<AppState>,
    user: Signed,
    Path((id, link)): Path<(String, String)>,
) -> Response {
    remove_link(&state, &user, ObjectKind::Contact, &id, &link).await
}

// ---------------------------------------------------------------- activity actions

#[derive(serde::Deserialize)]
struct ActionForm {
    version: Option<String>,
    days: Option<String>,
    name: Option<String>,
    due_at: Option<String>,
    latitude: Option<String>,
    longitude: Option<String>,
    accuracy: Option<String>,
}

async fn activity_action<F>(
    state: &AppState,
    user: &Signed,
    id: &str,
    notice: &str,
    run: F,
) -> Response
where
    F: AsyncFnOnce(Uuid) -> Result<(), AppError>,
{
    let t = user.ctx.tr;
    let id = match parse_id(id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    match run(id).await {
        Ok(()) => see_other(user.ctx.htmx, &format!("/activities/{id}?notice={notice}")),
        Err(e @ (AppError::Validation(_) | AppError::Rule(_) | AppError::Conflict)) => {
            show_response(
                state,
                user,
                ObjectKind::Activity,
                id,
                None,
                FormErrors::from_app(t, &e),
            )
            .await
        }
        Err(e) => page_error(t, e),
    }
}

fn version_of(form: &ActionForm) -> Option<i64> {
    form.version.as_deref().and_then(|v| v.parse().ok())
}

async fn complete(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    activity_action(&state, &user, &id, "completed", async |id| {
        app::activities::complete(&state.app, &user.actor, id, version_of(&form)).await
    })
    .await
}

async fn reopen(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    activity_action(&state, &user, &id, "reopened", async |id| {
        app::activities::reopen(&state.app, &user.actor, id, version_of(&form)).await
    })
    .await
}

async fn postpone(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let days = form
        .days
        .as_deref()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    activity_action(&state, &user, &id, "postponed", async |id| {
        app::activities::postpone(&state.app, &user.actor, id, version_of(&form), days).await
    })
    .await
}

async fn follow_up(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let t = user.ctx.tr;
    let source = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(t, e),
    };
    let name = form.name.clone().unwrap_or_default();
    match app::activities::follow_up(
        &state.app,
        &user.actor,
        source,
        &name,
        form.due_at.as_deref().filter(|d| !d.is_empty()),
    )
    .await
    {
        Ok(new_id) => see_other(
            user.ctx.htmx,
            &format!("/activities/{new_id}?notice=created"),
        ),
        Err(e @ (AppError::Validation(_) | AppError::Rule(_))) => {
            show_response(
                &state,
                &user,
                ObjectKind::Activity,
                source,
                None,
                FormErrors::from_app(t, &e),
            )
            .await
        }
        Err(e) => page_error(t, e),
    }
}

async fn check_in(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let number = |v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<f64>())
    };
    let position = match (number(&form.latitude), number(&form.longitude)) {
        (Some(Ok(lat)), Some(Ok(lng))) => Ok(Some((lat, lng))),
        (None, None) => Ok(None),
        _ => Err(AppError::field("latitude", "invalid_number")),
    };
    let accuracy = number(&form.accuracy).and_then(Result::ok);
    activity_action(&state, &user, &id, "checked_in", async |id| {
        app::activities::check_in(&state.app, &user.actor, id, position?, accuracy).await
    })
    .await
}

// ---------------------------------------------------------------- list

/// One row of the filter builder.
pub struct FilterRow {
    pub field: String,
    pub op: String,
    pub value: String,
    pub operators: Vec<Choice>,
    pub input: &'static str,
}

#[derive(Template)]
#[template(path = "records/list.html")]
struct ListPage {
    chrome: Chrome,
    plural: &'static str,
    title: String,
    new_label: String,
    can_create: bool,
    can_share: bool,
    views: Vec<Choice>,
    view: String,
    saved_view: Option<(Uuid, bool)>,
    q: String,
    sort: String,
    filters: Vec<FilterRow>,
    field_choices: Vec<Choice>,
    column_choices: Vec<(Choice, bool)>,
    columns: Vec<(String, String, Option<String>)>,
    rows: Vec<(String, String, Vec<Shown>)>,
    next_url: Option<String>,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "records/list.html", block = "rows")]
struct ListRows {
    chrome: Chrome,
    columns: Vec<(String, String, Option<String>)>,
    rows: Vec<(String, String, Vec<Shown>)>,
    next_url: Option<String>,
}

#[derive(Template)]
#[template(path = "records/filter_row.html")]
struct FilterRowFragment {
    chrome: Chrome,
    plural: &'static str,
    row: FilterRow,
    field_choices: Vec<Choice>,
}

fn input_kind(field: Option<&FieldDef>) -> &'static str {
    match field.map(|f| f.field_type) {
        Some(FieldType::Date | FieldType::DateTime) => "date-or-days",
        Some(FieldType::Number | FieldType::Money | FieldType::Percent) => "number",
        _ => "text",
    }
}

fn build_filter_row(t: Tr, fields: &ObjectFields, spec: &FilterSpec) -> FilterRow {
    let field = fields.field(&spec.field);
    let operators = field
        .map(|f| f.field_type.operators().to_vec())
        .unwrap_or_default()
        .into_iter()
        .map(|op| Choice {
            value: op.key().into(),
            label: t.key("op.", op.key()),
        })
        .collect();
    // Show choice keys as the user typed them; a picklist filter shows its keys.
    FilterRow {
        field: spec.field.clone(),
        op: spec.op.clone(),
        value: spec.values.join(","),
        operators,
        input: input_kind(field),
    }
}

fn field_choices(t: Tr, fields: &ObjectFields) -> Vec<Choice> {
    fields
        .all()
        .into_iter()
        .map(|f| Choice {
            value: f.key.clone(),
            label: label(t, f),
        })
        .collect()
}

/// The list page's query string.
#[derive(Default)]
pub(super) struct ListQuery {
    view: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
    edited: bool,
    filters: Vec<FilterSpec>,
    notice: Option<String>,
    /// Other parameters: those named like a field filter on it (`?grade=A`).
    by_field: Vec<(String, String)>,
}

pub(super) fn parse_list_query(raw: Option<&str>) -> ListQuery {
    let pairs: Pairs = serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
    let mut q = ListQuery::default();
    let (mut ff, mut fo, mut fv) = (Vec::new(), Vec::new(), Vec::new());
    for (key, value) in pairs {
        match key.as_str() {
            "view" => q.view = Some(value),
            "q" => q.q = Some(value),
            "sort" => q.sort = Some(value).filter(|s| !s.is_empty()),
            "cursor" => q.cursor = Some(value),
            "edited" => q.edited = true,
            "notice" => q.notice = Some(value),
            "ff" => ff.push(value),
            "fo" => fo.push(value),
            "fv" => fv.push(value),
            _ if !value.is_empty() => q.by_field.push((key, value)),
            _ => {}
        }
    }
    for (i, field) in ff.into_iter().enumerate() {
        if field.is_empty() {
            continue;
        }
        let op = fo.get(i).cloned().unwrap_or_default();
        let value = fv.get(i).cloned().unwrap_or_default();
        let values = if value.trim().is_empty() {
            Vec::new()
        } else {
            value.split(',').map(|v| v.trim().to_string()).collect()
        };
        q.filters.push(FilterSpec { field, op, values });
    }
    q
}

fn list_url(
    plural: &str,
    view: &str,
    q: &str,
    sort: &str,
    filters: &[FilterSpec],
    cursor: Option<&str>,
) -> String {
    let mut pairs: Vec<(&str, String)> = vec![("view", view.to_string())];
    if !q.is_empty() {
        pairs.push(("q", q.to_string()));
    }
    pairs.push(("sort", sort.to_string()));
    pairs.push(("edited", "1".into()));
    for f in filters {
        pairs.push(("ff", f.field.clone()));
        pairs.push(("fo", f.op.clone()));
        pairs.push(("fv", f.values.join(",")));
    }
    if let Some(c) = cursor {
        pairs.push(("cursor", c.to_string()));
    }
    format!(
        "/{plural}?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

/// The view a list starts from: a built-in key or a saved view id.
async fn resolve_view(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    key: &str,
) -> Result<(ViewDefinition, Option<(Uuid, bool)>), AppError> {
    if let Ok(id) = Uuid::parse_str(key) {
        let view = app::customize::get_view(&state.app, &user.actor, kind, id).await?;
        let mine = view.owner_id == user.actor.id();
        return Ok((view.definition.0, Some((id, mine))));
    }
    app::customize::builtin_views(kind)
        .into_iter()
        .find(|v| v.key == key)
        .map(|v| (v.definition, None))
        .ok_or(AppError::NotFound)
}

async fn list(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    let t = user.ctx.tr;
    let query = parse_list_query(raw.as_deref());
    match list_page(&state, &user, kind, query).await {
        Ok(response) => response,
        Err(e) => page_error(t, e),
    }
}

pub(super) async fn list_page(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    query: ListQuery,
) -> Result<Response, AppError> {
    let t = user.ctx.tr;
    let spec = spec_of(kind);
    let view_key = query
        .view
        .clone()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "all".into());
    let (definition, saved_view) = resolve_view(state, user, kind, &view_key).await?;
    let fields = app::records::object_fields(&state.app, &user.actor, kind).await?;
    let mut filters = if query.edited {
        query.filters.clone()
    } else {
        definition.filters.clone()
    };
    filters.extend(
        query
            .by_field
            .iter()
            .filter(|(key, _)| fields.field(key).is_some())
            .map(|(key, value)| FilterSpec {
                field: key.clone(),
                op: "eq".into(),
                values: vec![value.clone()],
            }),
    );
    let default_sort = if definition.descending {
        format!("-{}", definition.sort)
    } else {
        definition.sort.clone()
    };
    let sort = query.sort.clone().unwrap_or(default_sort);
    let request = ListRequest {
        filters: filters.clone(),
        sort: Some(sort.clone()),
        cursor: query.cursor.clone(),
        limit: Some(50),
        q: query.q.clone(),
        related: None,
    };
    let (page, errors, status) =
        match app::records::list(&state.app, &user.actor, kind, &request).await {
            Ok(page) => (Some(page), FormErrors::default(), StatusCode::OK),
            Err(e @ AppError::Validation(_)) => {
                let mut errors = FormErrors::from_app(t, &e);
                // Name the filter's field as the user knows it.
                for (key, _) in &mut errors.messages {
                    *key = match key.strip_prefix("filter.") {
                        Some(field) => field_label(t, &fields, field),
                        None => t.key("filter.", key),
                    };
                }
                (None, errors, StatusCode::UNPROCESSABLE_ENTITY)
            }
            Err(e) => return Err(e),
        };
    let column_keys: Vec<String> = if definition.columns.is_empty() {
        spec.default_columns.iter().map(|c| c.to_string()).collect()
    } else {
        definition.columns.clone()
    };
    let column_defs: Vec<&FieldDef> = column_keys
        .iter()
        .filter_map(|k| fields.field(k))
        .filter(|f| f.key != "name")
        .collect();
    let q = query.q.clone().unwrap_or_default();
    let columns: Vec<(String, String, Option<String>)> = column_defs
        .iter()
        .map(|f| {
            let next_sort = if sort == f.key {
                format!("-{}", f.key)
            } else {
                f.key.clone()
            };
            let href = f
                .indexed
                .then(|| list_url(spec.plural, &view_key, &q, &next_sort, &filters, None));
            (f.key.clone(), label(t, f), href)
        })
        .collect();
    let mut rows = Vec::new();
    let mut next_url = None;
    if let Some(page) = &page {
        for r in &page.records {
            rows.push((
                format!("/{}/{}", spec.plural, r.id),
                r.name().to_string(),
                column_defs
                    .iter()
                    .map(|f| show_value(t, f, r.values.get(&f.key), &page.names))
                    .collect(),
            ));
        }
        next_url = page
            .next_cursor
            .as_deref()
            .map(|c| list_url(spec.plural, &view_key, &q, &sort, &filters, Some(c)));
    }
    let name_column = (
        String::from("name"),
        label(t, spec.field("name").unwrap_or(&spec.fields[0])),
        Some(list_url(
            spec.plural,
            &view_key,
            &q,
            if sort == "name" { "-name" } else { "name" },
            &filters,
            None,
        )),
    );
    let mut all_columns = vec![name_column];
    all_columns.extend(columns);
    if user.ctx.htmx && query.cursor.is_some() {
        let fragment = ListRows {
            chrome: Chrome::new(&user.ctx, spec.plural),
            columns: all_columns,
            rows,
            next_url,
        };
        return Ok((status, render(&fragment)).into_response());
    }
    let mut views: Vec<Choice> = app::customize::builtin_views(kind)
        .into_iter()
        .map(|v| Choice {
            value: v.key.into(),
            label: if t.is_zh() {
                v.label_zh.into()
            } else {
                v.label_en.into()
            },
        })
        .collect();
    for v in app::customize::usable_views(&state.app, &user.actor, kind).await? {
        views.push(Choice {
            value: v.id.to_string(),
            label: v.name,
        });
    }
    let mut filter_rows: Vec<FilterRow> = filters
        .iter()
        .map(|f| build_filter_row(t, &fields, f))
        .collect();
    filter_rows.push(build_filter_row(
        t,
        &fields,
        &FilterSpec {
            field: String::new(),
            op: String::new(),
            values: Vec::new(),
        },
    ));
    let column_choices = fields
        .all()
        .into_iter()
        .filter(|f| f.key != "name")
        .map(|f| {
            (
                Choice {
                    value: f.key.clone(),
                    label: label(t, f),
                },
                column_keys.contains(&f.key),
            )
        })
        .collect();
    let page = ListPage {
        chrome: Chrome::new(&user.ctx, spec.plural).with_notice(query.notice.as_deref()),
        plural: spec.plural,
        title: spec.label(t.is_zh()).to_string(),
        new_label: t.key("new.", kind.key()),
        can_create: user.actor.principal.can(kind, Action::Create),
        can_share: user
            .actor
            .principal
            .can(ObjectKind::Org, Action::Administer)
            || user
                .actor
                .principal
                .can(ObjectKind::Account, Action::Transfer),
        views,
        view: view_key,
        saved_view,
        q,
        sort,
        filters: filter_rows,
        field_choices: field_choices(t, &fields),
        column_choices,
        columns: all_columns,
        rows,
        next_url,
        errors,
    };
    Ok((status, render(&page)).into_response())
}

/// A filter row re-rendered for a newly chosen field (operators that fit its type).
async fn filter_row(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    let list = format!("/{}", spec_of(kind).plural);
    if let Some(page) = super::fragment_opened_as_page(&user.ctx, &list) {
        return page;
    }
    let t = user.ctx.tr;
    let pairs: Pairs =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let fields = match app::records::object_fields(&state.app, &user.actor, kind).await {
        Ok(f) => f,
        Err(e) => return page_error(t, e),
    };
    let spec = FilterSpec {
        field: get("ff"),
        op: get("fo"),
        values: vec![get("fv")],
    };
    let mut row = build_filter_row(t, &fields, &spec);
    if !row.operators.iter().any(|o| o.value == row.op) {
        row.op = row
            .operators
            .first()
            .map(|o| o.value.clone())
            .unwrap_or_default();
    }
    render(&FilterRowFragment {
        chrome: Chrome::new(&user.ctx, ""),
        plural: spec_of(kind).plural,
        row,
        field_choices: field_choices(t, &fields),
    })
    .into_response()
}

/// The suggestions of a lookup: (id, name, a second line) per record.
#[derive(Template)]
#[template(path = "records/lookup.html")]
pub(super) struct LookupResults {
    pub t: Tr,
    pub items: Vec<(Uuid, String, String)>,
    pub field: String,
}

/// Suggestions for a lookup field pointing at this object.
async fn lookup(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    let list = format!("/{}", spec_of(kind).plural);
    if let Some(page) = super::fragment_opened_as_page(&user.ctx, &list) {
        return page;
    }
    let pairs: Pairs =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let field = get("field")
        .filter(|f| {
            !f.is_empty()
                && f.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
        .unwrap_or_else(|| "id".into());
    let request = ListRequest {
        q: get("q"),
        limit: Some(10),
        sort: Some("name".into()),
        ..Default::default()
    };
    let items = match app::records::list(&state.app, &user.actor, kind, &request).await {
        Ok(page) => {
            let second = match kind {
                ObjectKind::Contact | ObjectKind::Opportunity => "account_id",
                ObjectKind::Lead => "company",
                _ => "kind",
            };
            page.records
                .iter()
                .map(|r| {
                    let extra = page
                        .fields
                        .field(second)
                        .map(|f| show_value(user.ctx.tr, f, r.values.get(second), &page.names).text)
                        .filter(|s| s != "—")
                        .unwrap_or_default();
                    (r.id, r.name().to_string(), extra)
                })
                .collect()
        }
        Err(AppError::Validation(_)) => Vec::new(),
        Err(e) => return page_error(user.ctx.tr, e),
    };
    render(&LookupResults {
        t: user.ctx.tr,
        items,
        field,
    })
    .into_response()
}

// ---------------------------------------------------------------- saved views

async fn save_view(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    Form(pairs): Form<Pairs>,
) -> Response {
    let t = user.ctx.tr;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let raw: String = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let query = parse_list_query(Some(&raw));
    let sort = query.sort.clone().unwrap_or_else(|| "-updated_at".into());
    let (descending, sort_key) = match sort.strip_prefix('-') {
        Some(k) => (true, k.to_string()),
        None => (false, sort.clone()),
    };
    let columns: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "col")
        .map(|(_, v)| v.clone())
        .collect();
    let sharing = match get("share").as_str() {
        "everyone" => app::customize::Sharing::Everyone,
        "role" => app::customize::Sharing::Role(user.actor.user.role_id),
        "department" => match user.actor.user.department_id {
            Some(d) => app::customize::Sharing::Department(d),
            None => app::customize::Sharing::Private,
        },
        _ => app::customize::Sharing::Private,
    };
    let input = app::customize::ViewInput {
        name: get("name"),
        sharing,
        definition: ViewDefinition {
            columns,
            filters: query.filters.clone(),
            sort: sort_key,
            descending,
        },
    };
    let plural = spec_of(kind).plural;
    let existing = Uuid::parse_str(&get("view_id")).ok();
    let result = match existing {
        Some(id) => {
            let version = get("view_version").parse().unwrap_or(0);
            app::customize::update_view(&state.app, &user.actor, kind, id, version, &input)
                .await
                .map(|_| id)
        }
        None => app::customize::create_view(&state.app, &user.actor, kind, &input).await,
    };
    match result {
        Ok(id) => see_other(
            user.ctx.htmx,
            &format!("/{plural}?view={id}&notice=view_saved"),
        ),
        Err(e @ (AppError::Validation(_) | AppError::Forbidden | AppError::Conflict)) => {
            // The view form lives in a disclosure of the list; say precisely what was wrong.
            let errors = FormErrors::from_app(t, &e);
            let detail: Vec<String> = errors
                .messages
                .iter()
                .map(|(f, m)| format!("{f}: {m}"))
                .collect();
            let message = format!("{} {}", crate::error::message_of(t, &e), detail.join("; "));
            (
                crate::error::status_of(&e),
                render(&crate::views::MessagePage::new(
                    t,
                    crate::error::status_of(&e),
                    &message,
                )),
            )
                .into_response()
        }
        Err(e) => page_error(t, e),
    }
}

async fn delete_view(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    Path(view): Path<String>,
) -> Response {
    let result = async {
        app::customize::delete_view(&state.app, &user.actor, kind, parse_id(&view)?).await
    }
    .await;
    match result {
        Ok(()) => see_other(
            user.ctx.htmx,
            &format!("/{}?notice=view_deleted", spec_of(kind).plural),
        ),
        Err(e) => page_error(user.ctx.tr, e),
    }
}

// ---------------------------------------------------------------- My day

/// One line of My day: link, subject, kind label, when, what it is about.
pub struct DayItem {
    pub href: String,
    pub name: String,
    pub kind: String,
    pub when: String,
    pub about: Shown,
    pub open: bool,
    pub id: Uuid,
    pub version: i64,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    today: Vec<DayItem>,
    overdue: Vec<DayItem>,
    reminders: Vec<DayItem>,
    date: String,
}

async fn my_day(State(state): State<AppState>, user: Signed, RawQuery(raw): RawQuery) -> Response {
    let t = user.ctx.tr;
    let notice: Option<String> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(raw.as_deref().unwrap_or_default())
            .unwrap_or_default()
            .into_iter()
            .find(|(k, _)| k == "notice")
            .map(|(_, v)| v);
    let (day, fields) = match async {
        let day = app::activities::my_day(&state.app, &user.actor).await?;
        let fields =
            app::records::object_fields(&state.app, &user.actor, ObjectKind::Activity).await?;
        Ok::<_, AppError>((day, fields))
    }
    .await
    {
        Ok(v) => v,
        Err(AppError::Forbidden) => return see_other(false, "/accounts"),
        Err(e) => return page_error(t, e),
    };
    let kind_field = fields.field("kind");
    let account_field = fields.field("account_id");
    let at = |r: &store::records::Record, key: &str| match r
        .values
        .get(key)
        .or_else(|| r.values.get("starts_at"))
    {
        Some(FieldValue::DateTime(at)) => Some(*at),
        _ => None,
    };
    let item = |r: &store::records::Record, at: Option<DateTime<Utc>>| {
        let when = at.map(|at| t.time(at)).unwrap_or_default();
        DayItem {
            href: format!("/activities/{}", r.id),
            name: r.name().to_string(),
            kind: kind_field
                .map(|f| show_value(t, f, r.values.get("kind"), &day.names).text)
                .unwrap_or_default(),
            when,
            about: account_field
                .map(|f| show_value(t, f, r.values.get("account_id"), &day.names))
                .unwrap_or_default(),
            open: r.text("status") == Some("open"),
            id: r.id,
            version: r.version,
        }
    };
    let page = HomePage {
        chrome: Chrome::new(&user.ctx, "home").with_notice(notice.as_deref()),
        today: day
            .today
            .iter()
            .map(|r| item(r, app::activities::when(r)))
            .collect(),
        overdue: day
            .overdue
            .iter()
            .map(|r| item(r, at(r, "due_at")))
            .collect(),
        reminders: day
            .reminders
            .iter()
            .map(|r| item(r, at(r, "remind_at")))
            .collect(),
        date: domain::time::local_day(day.day_start, t.zone)
            .format("%Y-%m-%d")
            .to_string(),
    };
    render(&page).into_response()
}

// ---------------------------------------------------------------- account 360°

/// Open and won amounts summed in the company currency by today's exchange rates.
pub struct RollupTotal {
    pub label: String,
    pub open: String,
    pub won: String,
    /// The currencies left out for want of a rate, as a sentence.
    pub unconverted: Option<String>,
}

/// The parts of the account page that come from other objects: roll-ups, related lists,
/// relationships and the 360° stream.
pub struct Account360 {
    /// Custom fields: (key, label, value).
    pub custom_facts: Vec<(String, String, Shown)>,
    pub children: i64,
    pub amounts: Vec<(String, String, String)>,
    /// The amounts in the company currency, when the account has amounts in several.
    pub total: Option<RollupTotal>,
    pub last_contacted: String,
    pub last_deal: String,
    pub related: Vec<RelatedList>,
    pub links: Option<LinksPanel>,
    pub log_links: Vec<(String, String)>,
    pub timeline: TimelinePage,
}

/// One page of the stream.
pub struct TimelinePage {
    pub account_id: Uuid,
    pub kind: String,
    pub kinds: Vec<Choice>,
    pub items: Vec<TimelineItem>,
    pub more: Option<String>,
}

pub struct TimelineItem {
    pub at: String,
    pub who: String,
    pub kind: String,
    pub kind_label: String,
    pub title: String,
    pub href: Option<String>,
    pub lines: Vec<String>,
}

fn summary_text(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Turns stream entries into readable lines, with labels in the reader's language.
async fn timeline_items(
    state: &AppState,
    user: &Signed,
    entries: Vec<store::timeline::Entry>,
) -> Vec<TimelineItem> {
    let t = user.ctx.tr;
    let mut fields_of: HashMap<&str, ObjectFields> = HashMap::new();
    for kind in [
        ObjectKind::Account,
        ObjectKind::Opportunity,
        ObjectKind::Activity,
        ObjectKind::Contact,
    ] {
        if let Ok(f) = app::records::object_fields(&state.app, &user.actor, kind).await {
            fields_of.insert(kind.key(), f);
        }
    }
    let changes_lines =
        |fields: Option<&ObjectFields>, changes: Option<&serde_json::Value>| -> Vec<String> {
            changes
                .and_then(|c| c.as_array())
                .map(|list| {
                    list.iter()
                        .map(|c| {
                            let field = summary_text(c, "field");
                            let old = c.get("old").and_then(|v| v.as_str()).map(str::to_string);
                            let new = c.get("new").and_then(|v| v.as_str()).map(str::to_string);
                            match fields {
                                Some(f) => format!(
                                    "{}: {} → {}",
                                    field_label(t, f, &field),
                                    history_text(t, f, &field, &old),
                                    history_text(t, f, &field, &new)
                                ),
                                None => format!(
                                    "{field}: {} → {}",
                                    old.unwrap_or_default(),
                                    new.unwrap_or_default()
                                ),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
    entries
        .into_iter()
        .map(|e| {
            let s = &e.summary.0;
            let event = summary_text(s, "event");
            let fields = fields_of.get(e.object.as_str());
            let pick = |key: &str, value: &str| -> String {
                fields
                    .and_then(|f| f.field(key))
                    .map(|f| option_label(t, f, value))
                    .unwrap_or_else(|| value.to_string())
            };
            let plural = ObjectKind::parse(&e.object)
                .and_then(domain::objects::spec)
                .map(|s| s.plural)
                .unwrap_or("accounts");
            let (title, lines) = match e.kind.as_str() {
                "activity" => {
                    let kind = pick("kind", &summary_text(s, "kind"));
                    let mut lines = vec![t.key("timeline.event.", &event)];
                    if s.get("checkin").and_then(|v| v.as_bool()) == Some(true) {
                        lines.push(t.get("timeline.checked_in").to_string());
                    }
                    (format!("{kind} · {}", summary_text(s, "name")), lines)
                }
                "opportunity" if event == "created" => {
                    let amount = s
                        .get("amount")
                        .and_then(|v| v.as_str())
                        .and_then(|a| a.parse::<rust_decimal::Decimal>().ok())
                        .map(|d| format!("{} {}", money(&d), summary_text(s, "currency")))
                        .unwrap_or_default();
                    (
                        summary_text(s, "name"),
                        vec![
                            format!(
                                "{} · {}",
                                t.get("timeline.event.created"),
                                pick("stage", &summary_text(s, "stage"))
                            ),
                            amount,
                        ],
                    )
                }
                "opportunity" => (
                    summary_text(s, "name"),
                    changes_lines(fields, s.get("changes")),
                ),
                "contact" => (
                    summary_text(s, "name"),
                    vec![t.get("timeline.event.contact_added").to_string()],
                ),
                _ => (
                    t.get("timeline.fields_changed").to_string(),
                    changes_lines(fields_of.get("account"), s.get("changes")),
                ),
            };
            TimelineItem {
                at: t.time(e.at),
                who: e.actor_name.clone().unwrap_or_default(),
                kind: e.kind.clone(),
                kind_label: t.key("timeline.kind.", &e.kind),
                title,
                href: (e.kind != "field").then(|| format!("/{plural}/{}", e.record_id)),
                lines: lines.into_iter().filter(|l| !l.is_empty()).collect(),
            }
        })
        .collect()
}

pub async fn timeline_page(
    state: &AppState,
    user: &Signed,
    account_id: Uuid,
    kind: Option<&str>,
    before: Option<(DateTime<Utc>, Uuid)>,
) -> Result<TimelinePage, AppError> {
    let t = user.ctx.tr;
    let (entries, more) =
        app::account360::timeline(&state.app, &user.actor, account_id, kind, before, 20).await?;
    let next = if more {
        entries
            .last()
            .map(|e| super::encode_timeline_cursor(e.at, e.id))
    } else {
        None
    };
    let kind_key = kind.unwrap_or_default().to_string();
    let more = next.map(|c| {
        let mut pairs = vec![("before", c)];
        if !kind_key.is_empty() {
            pairs.push(("kind", kind_key.clone()));
        }
        format!(
            "/accounts/{account_id}/timeline?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    });
    let mut kinds = vec![Choice {
        value: String::new(),
        label: t.get("timeline.kind.all").into(),
    }];
    kinds.extend(app::account360::TIMELINE_KINDS.iter().map(|k| Choice {
        value: (*k).into(),
        label: t.key("timeline.kind.", k),
    }));
    Ok(TimelinePage {
        account_id,
        kind: kind_key,
        kinds,
        items: timeline_items(state, user, entries).await,
        more,
    })
}

/// Where the account page's stream starts: one kind, and before an entry.
pub struct StreamStart<'a> {
    pub kind: Option<&'a str>,
    pub before: Option<(DateTime<Utc>, Uuid)>,
}

pub async fn account_360(
    state: &AppState,
    user: &Signed,
    account: &store::accounts::AccountRow,
    stream: StreamStart<'_>,
) -> Result<Account360, AppError> {
    let t = user.ctx.tr;
    let id = account.id;
    let rollup = app::account360::rollup(&state.app, &user.actor, id).await?;
    let amounts = rollup
        .amounts
        .iter()
        .map(|(currency, open, won)| (currency.clone(), money(open), money(won)))
        .collect();
    let view = app::records::get(&state.app, &user.actor, ObjectKind::Account, id).await?;
    let shown = |key: &str| {
        spec_of(ObjectKind::Account)
            .field(key)
            .map(|f| show_value(t, f, view.record.values.get(key), &view.names).text)
            .unwrap_or_default()
    };
    let mut related_lists = Vec::new();
    for (kind, key, title, new_url) in [
        (
            ObjectKind::Contact,
            "account_id",
            "related.contacts",
            format!("/contacts/new?account_id={id}"),
        ),
        (
            ObjectKind::Opportunity,
            "account_id",
            "related.opportunities",
            format!("/opportunities/new?account_id={id}"),
        ),
        (
            ObjectKind::Activity,
            "account_id",
            "related.activities",
            format!("/activities/new?account_id={id}"),
        ),
        (
            ObjectKind::Account,
            "parent_id",
            "related.children",
            format!("/accounts/new?parent_id={id}"),
        ),
    ] {
        if let Some(list) = related(state, user, kind, key, id, title, Some(new_url)).await {
            related_lists.push(list);
        }
    }
    let log_links = ["call", "visit", "meeting", "task", "note"]
        .iter()
        .map(|k| {
            (
                format!("/activities/new?kind={k}&account_id={id}"),
                t.key("activity.log.", k),
            )
        })
        .collect();
    // Active custom fields the reader may see (standard ones are on the account's own card).
    let custom_facts = view
        .fields
        .all()
        .into_iter()
        .filter(|f| f.column.is_none())
        .map(|f| {
            (
                f.key.clone(),
                label(t, f),
                show_value(t, f, view.record.values.get(&f.key), &view.names),
            )
        })
        .collect();
    let total = rollup
        .total
        .as_ref()
        .filter(|_| rollup.amounts.len() > 1)
        .map(|total| RollupTotal {
            label: t.fmt("record.rollup.total", &[("currency", &total.currency)]),
            open: money(&total.open),
            won: money(&total.won),
            unconverted: (!total.unconverted.is_empty()).then(|| {
                t.fmt(
                    "record.rollup.unconverted",
                    &[("currencies", &total.unconverted.join(", "))],
                )
            }),
        });
    Ok(Account360 {
        custom_facts,
        children: rollup.children,
        amounts,
        total,
        last_contacted: shown("last_contacted_at"),
        last_deal: shown("last_deal_at"),
        related: related_lists,
        links: Some(links_panel(state, user, ObjectKind::Account, id).await?),
        log_links,
        timeline: timeline_page(state, user, id, stream.kind, stream.before).await?,
    })
}

#[derive(Template)]
#[template(path = "records/timeline.html")]
struct TimelineFragment {
    chrome: Chrome,
    timeline: TimelinePage,
}

#[derive(Template)]
#[template(path = "records/timeline_items.html")]
struct TimelineItemsFragment {
    chrome: Chrome,
    timeline: TimelinePage,
}

/// The stream filtered by kind (the whole panel) or its next page (more items).
async fn account_timeline(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let t = user.ctx.tr;
    let pairs: Pairs =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let result = async {
        let id = parse_id(&id)?;
        let before = match get("before") {
            Some(c) => Some(
                super::decode_timeline_cursor(&c)
                    .ok_or(AppError::field("before", "invalid_cursor"))?,
            ),
            None => None,
        };
        let kind = get("kind");
        timeline_page(&state, &user, id, kind.as_deref(), before).await
    }
    .await;
    match result {
        // Opened without htmx (a "more" link followed as a link): the whole account page,
        // its stream starting there.
        Ok(timeline) if !user.ctx.htmx && get("before").is_some() => see_other(
            false,
            &format!(
                "/accounts/{}?{}#timeline",
                timeline.account_id,
                raw.as_deref().unwrap_or_default()
            ),
        ),
        Ok(timeline) if get("before").is_some() => render(&TimelineItemsFragment {
            chrome: Chrome::new(&user.ctx, "accounts"),
            timeline,
        })
        .into_response(),
        Ok(timeline) if user.ctx.htmx => render(&TimelineFragment {
            chrome: Chrome::new(&user.ctx, "accounts"),
            timeline,
        })
        .into_response(),
        Ok(timeline) => see_other(
            false,
            &format!(
                "/accounts/{}?kind={}#timeline",
                timeline.account_id, timeline.kind
            ),
        ),
        Err(e) => page_error(t, e),
    }
}
