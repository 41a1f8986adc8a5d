//! Administration of custom fields (自定义字段): list per object, add, edit, retire, index.

use super::{see_other, Form};
use crate::error::page_error;
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::AppError;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::fields::{FieldDef, FieldType, PicklistOption};
use domain::permissions::{Action, ObjectKind};
use std::str::FromStr;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/fields", get(list))
        .route("/admin/fields/{object}", get(list_object).post(create))
        .route("/admin/fields/{object}/new", get(new_form))
        .route("/admin/fields/{object}/access", post(save_access))
        .route("/admin/fields/{object}/{key}", get(edit_form).post(update))
        .route("/admin/fields/{object}/{key}/index", post(index))
        .route_layer(axum::middleware::from_fn(singular_redirect))
}

/// The object of a fields URL, named like its record URLs (`/admin/fields/contacts`).
fn object_of(raw: &str) -> Result<ObjectKind, AppError> {
    domain::objects::spec_by_plural(raw)
        .map(|s| s.kind)
        .ok_or(AppError::NotFound)
}

/// The URL segment of an object's fields pages: its plural, like its record URLs.
fn segment(kind: ObjectKind) -> &'static str {
    domain::objects::spec(kind).map_or("", |s| s.plural)
}

/// The old URLs named the object in the singular (`/admin/fields/contact/…`): they answer a
/// permanent redirect (308, so that a form posted there is posted again) to the plural.
async fn singular_redirect(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let uri = request.uri();
    let rest = uri
        .path()
        .strip_prefix("/admin/fields/")
        .unwrap_or_default();
    let (object, tail) = rest.split_once('/').unwrap_or((rest, ""));
    match ObjectKind::parse(object).and_then(domain::objects::spec) {
        Some(spec) if spec.plural != object => {
            let mut target = format!("/admin/fields/{}", spec.plural);
            if !tail.is_empty() {
                target = format!("{target}/{tail}");
            }
            if let Some(q) = uri.query() {
                target = format!("{target}?{q}");
            }
            axum::response::Redirect::permanent(&target).into_response()
        }
        _ => next.run(request).await,
    }
}

pub struct FieldRow {
    pub key: String,
    pub label: String,
    pub type_label: String,
    pub custom: bool,
    pub active: bool,
    pub indexed: bool,
    pub required: bool,
    /// A standard picklist whose choices the company edits (`/admin/picklists/…`).
    pub choices: bool,
}

#[derive(Template)]
#[template(path = "admin/fields.html")]
struct ListPage {
    chrome: Chrome,
    object: &'static str,
    objects: Vec<(&'static str, String)>,
    rows: Vec<FieldRow>,
    /// Roles as (id, name), the columns of the access table.
    roles: Vec<(String, String)>,
    /// Per field: key, label, and per role the current limit key ("" = editable).
    access: Vec<AccessRow>,
}

/// A field's row in the access table: key, label, (role id, limit key) per role.
type AccessRow = (String, String, Vec<(String, &'static str)>);

async fn list(user: Signed) -> Response {
    let _ = user;
    see_other(false, "/admin/fields/contacts")
}

async fn list_object(
    State(state): State<AppState>,
    user: Signed,
    Path(object): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let t = user.ctx.tr;
    let notice: Option<String> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(raw.as_deref().unwrap_or_default())
            .unwrap_or_default()
            .into_iter()
            .find(|(k, _)| k == "notice")
            .map(|(_, v)| v);
    let result = async {
        user.actor.require(ObjectKind::Org, Action::Administer)?;
        let kind = object_of(&object)?;
        let fields = app::records::object_fields(&state.app, &user.actor, kind).await?;
        let mut rows: Vec<FieldRow> = fields
            .spec
            .fields
            .iter()
            .map(|f| FieldRow {
                key: f.key.clone(),
                label: super::records::label(t, f),
                type_label: t.key("field_type.", f.field_type.key()),
                custom: false,
                active: true,
                indexed: f.indexed,
                required: f.required,
                choices: domain::picklists::editable(f).is_ok(),
            })
            .collect();
        rows.extend(fields.custom.iter().map(|c| FieldRow {
            key: c.def.key.clone(),
            label: super::records::label(t, &c.def),
            type_label: t.key("field_type.", c.def.field_type.key()),
            custom: true,
            active: c.active,
            indexed: c.index_name.is_some(),
            required: c.def.required,
            choices: false,
        }));
        let roles = app::org::list_roles(&state.app, &user.actor).await?;
        let access = fields
            .all()
            .into_iter()
            .filter(|f| !f.system && f.key != "name" && f.key != "owner_id")
            .filter(|f| kind != ObjectKind::Account || f.key != "account_type")
            .map(|f| {
                let cells = roles
                    .iter()
                    .map(|r| {
                        let current = r
                            .permissions
                            .0
                            .field_access(kind, &f.key)
                            .map(|a| a.key())
                            .unwrap_or("");
                        (r.id.to_string(), current)
                    })
                    .collect();
                (f.key.clone(), super::records::label(t, f), cells)
            })
            .collect();
        Ok::<_, AppError>(ListPage {
            roles: roles
                .iter()
                .map(|r| (r.id.to_string(), r.name.clone()))
                .collect(),
            access,
            chrome: Chrome::new(&user.ctx, "admin").with_notice(notice.as_deref()),
            object: segment(kind),
            objects: ObjectKind::RECORDS
                .iter()
                .map(|k| (segment(*k), t.key("object.", k.key())))
                .collect(),
            rows,
        })
    }
    .await;
    match result {
        Ok(page) => render(&page).into_response(),
        Err(e) => page_error(t, e),
    }
}

#[derive(Template)]
#[template(path = "admin/field_form.html")]
struct FormPage {
    chrome: Chrome,
    object: &'static str,
    object_label: String,
    editing: bool,
    f: FieldForm,
    types: Vec<(String, String)>,
    lookup_objects: Vec<(String, String)>,
    errors: FormErrors,
}

/// The field definition form as posted.
#[derive(serde::Deserialize, Default, Clone)]
pub struct FieldForm {
    pub key: Option<String>,
    pub label_zh: Option<String>,
    pub label_en: Option<String>,
    pub field_type: Option<String>,
    pub required: Option<String>,
    pub default_value: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
    pub max_length: Option<String>,
    pub pattern: Option<String>,
    pub help_zh: Option<String>,
    pub help_en: Option<String>,
    pub options: Option<String>,
    pub lookup_object: Option<String>,
    pub position: Option<String>,
    pub indexed: Option<String>,
    pub active: Option<String>,
}

fn text(v: &Option<String>) -> Option<String> {
    super::opt(v)
}

impl FieldForm {
    fn from_def(def: &FieldDef, active: bool, indexed: bool) -> Self {
        FieldForm {
            key: Some(def.key.clone()),
            label_zh: Some(def.label_zh.clone()),
            label_en: Some(def.label_en.clone()),
            field_type: Some(def.field_type.key().into()),
            required: def.required.then(|| "on".into()),
            default_value: def.default_value.clone(),
            min: def.min.map(|d| d.to_string()),
            max: def.max.map(|d| d.to_string()),
            max_length: def.max_length.map(|d| d.to_string()),
            pattern: def.pattern.clone(),
            help_zh: def.help_zh.clone(),
            help_en: def.help_en.clone(),
            options: Some(
                def.options
                    .iter()
                    .filter(|o| o.active)
                    .map(|o| format!("{}|{}|{}", o.key, o.label_zh, o.label_en))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            lookup_object: def.lookup_object.clone(),
            position: Some(def.position.to_string()),
            indexed: indexed.then(|| "on".into()),
            active: active.then(|| "on".into()),
        }
    }

    /// The definition, or the form fields that could not be read.
    fn definition(&self) -> Result<FieldDef, AppError> {
        let mut errors = domain::FieldErrors::new();
        let field_type = match self.field_type.as_deref().and_then(FieldType::parse) {
            Some(t) => t,
            None => {
                errors.add("field_type", "invalid_choice");
                FieldType::Text
            }
        };
        let mut number = |name: &str, v: &Option<String>| match text(v) {
            None => None,
            Some(s) => match rust_decimal::Decimal::from_str(&s) {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.add(name, "invalid_number");
                    None
                }
            },
        };
        let min = number("min", &self.min);
        let max = number("max", &self.max);
        let max_length = match text(&self.max_length) {
            None => None,
            Some(s) => match s.parse::<u32>() {
                Ok(n) if (1..=10_000).contains(&n) => Some(n),
                _ => {
                    errors.add_limit("max_length", "out_of_range", 10_000);
                    None
                }
            },
        };
        let position = text(&self.position)
            .and_then(|p| p.parse::<i32>().ok())
            .unwrap_or(0);
        let options = self
            .options
            .as_deref()
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| {
                let mut parts = line.split('|').map(str::trim);
                let key = parts.next().unwrap_or_default().to_string();
                let zh = parts
                    .next()
                    .filter(|s| !s.is_empty())
                    .unwrap_or(&key)
                    .to_string();
                let en = parts
                    .next()
                    .filter(|s| !s.is_empty())
                    .unwrap_or(&zh)
                    .to_string();
                PicklistOption {
                    key,
                    label_zh: zh,
                    label_en: en,
                    active: true,
                }
            })
            .collect::<Vec<_>>();
        if options.len() > 200 {
            errors.add_limit("options", "too_many", 200);
        }
        errors.into_result()?;
        let keep_options = matches!(field_type, FieldType::Picklist | FieldType::MultiSelect);
        Ok(FieldDef {
            key: text(&self.key).unwrap_or_default(),
            label_zh: text(&self.label_zh).unwrap_or_default(),
            label_en: text(&self.label_en).unwrap_or_default(),
            field_type,
            required: self.required.is_some(),
            max_length,
            min,
            max,
            pattern: text(&self.pattern),
            default_value: text(&self.default_value),
            help_zh: text(&self.help_zh),
            help_en: text(&self.help_en),
            options: if keep_options { options } else { Vec::new() },
            lookup_object: if field_type == FieldType::Lookup {
                text(&self.lookup_object)
            } else {
                None
            },
            column: None,
            system: false,
            indexed: self.indexed.is_some(),
            searchable: false,
            money_exponent: None,
            computed: None,
            position,
        })
    }
}

fn form_page(
    user: &Signed,
    kind: ObjectKind,
    editing: bool,
    f: FieldForm,
    errors: FormErrors,
) -> FormPage {
    let t = user.ctx.tr;
    FormPage {
        chrome: Chrome::new(&user.ctx, "admin"),
        object: segment(kind),
        object_label: t.key("object.", kind.key()),
        editing,
        f,
        types: FieldType::ALL
            .iter()
            .map(|ft| (ft.key().to_string(), t.key("field_type.", ft.key())))
            .collect(),
        lookup_objects: ObjectKind::RECORDS
            .iter()
            .map(|k| (k.key().to_string(), t.key("object.", k.key())))
            .collect(),
        errors,
    }
}

async fn new_form(user: Signed, Path(object): Path<String>) -> Response {
    let t = user.ctx.tr;
    let result = user
        .actor
        .require(ObjectKind::Org, Action::Administer)
        .and_then(|_| object_of(&object));
    match result {
        Ok(kind) => {
            let f = FieldForm {
                field_type: Some("text".into()),
                active: Some("on".into()),
                ..Default::default()
            };
            render(&form_page(&user, kind, false, f, FormErrors::default())).into_response()
        }
        Err(e) => page_error(t, e),
    }
}

async fn create(
    State(state): State<AppState>,
    user: Signed,
    Path(object): Path<String>,
    Form(form): Form<FieldForm>,
) -> Response {
    let t = user.ctx.tr;
    let kind = match object_of(&object) {
        Ok(k) => k,
        Err(e) => return page_error(t, e),
    };
    let result = async {
        let def = form.definition()?;
        let indexed = def.indexed;
        let key = def.key.clone();
        app::customize::add_field(&state.app, &user.actor, kind, def).await?;
        index_if(&state, &user, kind, &key, indexed).await
    }
    .await;
    match result {
        Ok(job) => see_other(user.ctx.htmx, &after_save(kind, job, "field_added")),
        Err(e @ AppError::Validation(_)) => (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            render(&form_page(
                &user,
                kind,
                false,
                form,
                FormErrors::from_app(t, &e),
            )),
        )
            .into_response(),
        Err(e) => page_error(t, e),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    user: Signed,
    Path((object, key)): Path<(String, String)>,
) -> Response {
    let t = user.ctx.tr;
    let result = async {
        user.actor.require(ObjectKind::Org, Action::Administer)?;
        let kind = object_of(&object)?;
        let fields = app::records::object_fields(&state.app, &user.actor, kind).await?;
        let field = fields
            .custom
            .iter()
            .find(|c| c.def.key == key)
            .ok_or(AppError::NotFound)?;
        Ok::<_, AppError>(form_page(
            &user,
            kind,
            true,
            FieldForm::from_def(&field.def, field.active, field.index_name.is_some()),
            FormErrors::default(),
        ))
    }
    .await;
    match result {
        Ok(page) => render(&page).into_response(),
        Err(e) => page_error(t, e),
    }
}

async fn update(
    State(state): State<AppState>,
    user: Signed,
    Path((object, key)): Path<(String, String)>,
    Form(mut form): Form<FieldForm>,
) -> Response {
    let t = user.ctx.tr;
    let kind = match object_of(&object) {
        Ok(k) => k,
        Err(e) => return page_error(t, e),
    };
    form.key = Some(key.clone());
    let result = async {
        let def = form.definition()?;
        let indexed = def.indexed;
        app::customize::update_field(&state.app, &user.actor, kind, def, form.active.is_some())
            .await?;
        index_if(&state, &user, kind, &key, indexed).await
    }
    .await;
    match result {
        Ok(job) => see_other(user.ctx.htmx, &after_save(kind, job, "field_saved")),
        Err(e @ AppError::Validation(_)) => (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            render(&form_page(
                &user,
                kind,
                true,
                form,
                FormErrors::from_app(t, &e),
            )),
        )
            .into_response(),
        Err(e) => page_error(t, e),
    }
}

/// Enqueues the index build of a field saved as indexed; its job's id.
async fn index_if(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    key: &str,
    indexed: bool,
) -> Result<Option<uuid::Uuid>, AppError> {
    if !indexed {
        return Ok(None);
    }
    app::customize::index_field(&state.app, &user.actor, kind, key)
        .await
        .map(Some)
}

/// Where a saved field sends the administrator: the progress of its index build, if one was
/// asked for, else the field list with `notice`.
fn after_save(kind: ObjectKind, job: Option<uuid::Uuid>, notice: &str) -> String {
    match job {
        Some(job) => format!("/jobs/{job}"),
        None => format!("/admin/fields/{}?notice={notice}", segment(kind)),
    }
}

async fn index(
    State(state): State<AppState>,
    user: Signed,
    Path((object, key)): Path<(String, String)>,
) -> Response {
    let t = user.ctx.tr;
    let result = async {
        let kind = object_of(&object)?;
        app::customize::index_field(&state.app, &user.actor, kind, &key).await
    }
    .await;
    match result {
        Ok(job) => see_other(user.ctx.htmx, &format!("/jobs/{job}")),
        Err(e) => page_error(t, e),
    }
}

/// Saves the field-access table: `access.<role id>.<field key>` = "", read_only or hidden.
async fn save_access(
    State(state): State<AppState>,
    user: Signed,
    Path(object): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let t = user.ctx.tr;
    let result = async {
        let kind = object_of(&object)?;
        let mut rules = Vec::new();
        for (name, value) in &pairs {
            let Some(rest) = name.strip_prefix("access.") else {
                continue;
            };
            let Some((role, key)) = rest.split_once('.') else {
                continue;
            };
            let role = uuid::Uuid::parse_str(role)
                .map_err(|_| AppError::field("role_id", "invalid_reference"))?;
            let access = match value.as_str() {
                "" => None,
                other => Some(
                    domain::permissions::FieldAccess::parse(other)
                        .ok_or(AppError::field(key, "invalid_choice"))?,
                ),
            };
            rules.push((role, key.to_string(), access));
        }
        app::customize::set_field_access(&state.app, &user.actor, kind, &rules).await?;
        Ok::<_, AppError>(kind)
    }
    .await;
    match result {
        Ok(kind) => see_other(
            user.ctx.htmx,
            &format!("/admin/fields/{}?notice=access_saved#access", segment(kind)),
        ),
        Err(e) => page_error(t, e),
    }
}
