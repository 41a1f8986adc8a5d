//! The new and edit forms of a record, what they post, and deleting a record.

use super::display::label;
use super::record_page::show_response;
use super::{parse_id, spec_of, Choice};
use crate::error::page_error;
use crate::i18n::Tr;
use crate::pages::{see_other, Form};
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::records::{Input, ObjectFields};
use app::AppError;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use domain::fields::{FieldDef, FieldType, FieldValue};
use domain::permissions::{Action, ObjectKind};
use std::collections::HashMap;
use uuid::Uuid;

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
    /// Choosing a value re-renders the form with what was typed so far (the record type:
    /// it decides the fields shown and required).
    pub refresh: bool,
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
pub(in crate::pages) async fn user_choices(state: &AppState, user: &Signed) -> Vec<Choice> {
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
pub(in crate::pages) async fn form_fields(
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
    // The record's type decides the fields shown, those required and the stages offered.
    let layout = crate::pages::picklists::FormLayout::load(state, user, fields.spec.kind).await;
    let type_key = fields
        .field("record_type")
        .map(&current_of)
        .and_then(|v| v.into_iter().next());
    let chosen = layout.chosen(type_key.as_deref());
    let stages = layout.stages(chosen);
    let mut out = Vec::new();
    for field in fields.all() {
        // Fields the system sets or the role may not change are shown on the record page.
        if !fields.writable(field) {
            continue;
        }
        let is_stage = Some(field.key.as_str()) == fields.spec.stage_field;
        let mut current = current_of(field);
        if !layout.shows(chosen, field, &current) {
            continue;
        }
        // A new record of a type with its own stages starts at its first one.
        if let (true, Some(set), Some(default)) = (is_stage, &stages, &field.default_value) {
            if current.first() == Some(default) && !set.contains(&default.as_str()) {
                current = set.first().map(|s| s.to_string()).into_iter().collect();
            }
        }
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
            FieldType::Tags | FieldType::CreditCode => "text",
        };
        let options = match field.field_type {
            FieldType::User => users.clone(),
            _ => field
                .options
                .iter()
                .filter(|o| o.active || current.contains(&o.key))
                .filter(|o| {
                    !is_stage
                        || current.contains(&o.key)
                        || stages.as_ref().is_none_or(|s| s.contains(&o.key.as_str()))
                })
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
        // Tags are typed as one comma-separated text.
        let value = if field.field_type == FieldType::Tags {
            current.join(", ")
        } else {
            current.first().cloned().unwrap_or_default()
        };
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
            required: field.required || layout.required(chosen, &field.key),
            error: errors.get(&field.key).map(str::to_string),
            lookup_url: format!("/{target_plural}/lookup?field={}", field.key),
            lookup_label,
            full: field.field_type == FieldType::LongText,
            when: when.map(|w| (w.on.to_string(), w.values.join(" "))),
            shown: shown || errors.get(&field.key).is_some(),
            refresh: field.key == "record_type",
        });
    }
    // The type comes first: it decides the rest of the form.
    if let Some(i) = out.iter().position(|f| f.key == "record_type") {
        let chooser = out.remove(i);
        out.insert(0, chooser);
    }
    out
}

#[derive(Template)]
#[template(path = "records/form.html")]
struct FormPage {
    chrome: Chrome,
    /// "New account", "编辑联系人".
    title: String,
    plural: &'static str,
    id: Option<Uuid>,
    version: i64,
    fields: Vec<FormField>,
    children: Vec<super::children::RowsEditor>,
    errors: FormErrors,
    conflict: bool,
    /// Whether the object has duplicate keys: the form then warns of matches as it is filled.
    checks_duplicates: bool,
    /// A new record of an object with assignment rules: whether "assign by the rules" is
    /// ticked (the owner chosen stays when no rule matches).
    assign: Option<bool>,
}

/// Form bodies as (name, value) pairs: repeated names carry multi-select values.
pub type Pairs = Vec<(String, String)>;

/// The submitted fields of a record form, without the form's own controls. A form posts
/// every field, so an empty one is what the user did not fill in: `creating`, it is not
/// given (defaults and the object's rules apply, as when the API leaves it out); editing,
/// it clears the field's value. `raw` keeps everything posted, to show the form again.
/// The field a form posts to be shown again as typed, without saving (set by the page's
/// script when the record type changes).
const REFRESH: &str = "_refresh";

fn wants_refresh(pairs: &Pairs) -> bool {
    pairs.iter().any(|(k, _)| k == REFRESH)
}

pub(in crate::pages) fn form_input(
    fields: &ObjectFields,
    pairs: &Pairs,
    creating: bool,
    zone: domain::time::Tz,
) -> (Input, HashMap<String, Vec<String>>, Option<i64>) {
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    let mut version = None;
    for (key, value) in pairs {
        match key.as_str() {
            "csrf_token" | "q" | REFRESH => continue,
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
    let children = super::children::editors(state, user, &fields, id, raw, &errors).await;
    let conflict = errors.general.as_deref() == Some(t.get("error.conflict"));
    let assign =
        (id.is_none() && spec.rules.contains(&domain::rules::Rule::Assignment)).then(|| {
            raw.get(app::assignment::FLAG)
                .and_then(|v| v.last())
                .is_none_or(|v| v == "true")
        });
    let page = FormPage {
        chrome: Chrome::new(&user.ctx, spec.plural),
        title: form_title(t, kind, id.is_some()),
        plural: spec.plural,
        id,
        version,
        fields: controls,
        children,
        errors,
        conflict,
        checks_duplicates: !spec.duplicate_keys.is_empty(),
        assign,
    };
    (status, render(&page)).into_response()
}

/// The form's heading: "New account" / "新建客户", "Edit account" / "编辑客户".
fn form_title(t: Tr, kind: ObjectKind, editing: bool) -> String {
    let object = t.key("object.", kind.key());
    // English names the object in lower case inside a phrase; Chinese has no case.
    let object = if t.is_zh() {
        object
    } else {
        object.to_lowercase()
    };
    let key = if editing {
        "form.edit_title"
    } else {
        "form.new_title"
    };
    t.fmt(key, &[("object", &object)])
}

pub(super) async fn new_form(
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
    app::records::get(&state.app, &user.actor, object, id)
        .await
        .map(|v| v.record.name().to_string())
}

pub(super) async fn create(
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
    if wants_refresh(&pairs) {
        let names = raw_names(&state, &user, &fields, &raw).await;
        let form = FormState {
            id: None,
            version: 0,
            values: &Default::default(),
            names: &names,
            raw: &raw,
            errors: FormErrors::default(),
            status: StatusCode::OK,
        };
        return render_form(&state, &user, kind, form).await;
    }
    match app::records::create(&state.app, &user.actor, kind, &input).await {
        // The company's assignment rules may give the record to someone whose records the
        // creator does not see, or put it in a pool.
        Ok(id) => match app::records::get(&state.app, &user.actor, kind, id).await {
            Err(AppError::NotFound) => see_other(
                user.ctx.htmx,
                &format!("/{}?notice=record_assigned_away", spec_of(kind).plural),
            ),
            _ => see_other(
                user.ctx.htmx,
                &format!("/{}/{id}?notice=record_created", spec_of(kind).plural),
            ),
        },
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
pub(in crate::pages) async fn raw_names(
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

pub(super) async fn edit_form(
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

pub(super) async fn update(
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
    if wants_refresh(&pairs) {
        // The record's other values fill the fields the new type shows.
        let view = match app::records::get(&state.app, &user.actor, kind, id).await {
            Ok(v) => v,
            Err(e) => return page_error(t, e),
        };
        let mut names = raw_names(&state, &user, &fields, &raw).await;
        names.extend(view.names.clone());
        let form = FormState {
            id: Some(id),
            version,
            values: &view.record.values,
            names: &names,
            raw: &raw,
            errors: FormErrors::default(),
            status: StatusCode::OK,
        };
        return render_form(&state, &user, kind, form).await;
    }
    match app::records::update(&state.app, &user.actor, kind, id, version, &input).await {
        Ok(()) => see_other(
            user.ctx.htmx,
            &format!("/{}/{id}?notice=record_saved", spec_of(kind).plural),
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
pub(super) struct VersionForm {
    version: Option<String>,
}

pub(super) async fn delete(
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
            &format!("/{}?notice=record_deleted", spec_of(kind).plural),
        ),
        Err(e @ (AppError::Rule(_) | AppError::Conflict | AppError::StillReferenced(_))) => {
            match parse_id(&id) {
                Ok(id) => {
                    show_response(&state, &user, kind, id, None, FormErrors::from_app(t, &e)).await
                }
                Err(e) => page_error(t, e),
            }
        }
        Err(e) => page_error(t, e),
    }
}
