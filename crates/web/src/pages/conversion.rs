//! The conversion page of a lead (`/leads/{id}/convert`: the account, contact and
//! opportunity pre-filled from the lead, the duplicate matches to link to, and those the
//! reader may not open shown as "owned by X"), the disqualification page
//! (`/leads/{id}/disqualify`), and the record page's panel of what a lead became.

use crate::error::page_error;
use crate::pages::records::{label, Choice};
use crate::pages::{see_other, Form};
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::conversion::{Convert, Proposal, Target};
use app::duplicates::{Match, Seen};
use app::records::{Input, ObjectFields};
use app::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use domain::fields::{FieldType, FieldValue};
use domain::permissions::{Action, ObjectKind};
use std::collections::HashMap;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for spec in domain::objects::converting() {
        let base = format!("/{}/{{id}}", spec.plural);
        router = router.merge(
            Router::new()
                .route(&format!("{base}/convert"), get(page).post(convert))
                .route(
                    &format!("{base}/disqualify"),
                    get(disqualify_page).post(disqualify),
                )
                .layer(Extension(spec.kind)),
        );
    }
    router
}

fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

fn plural(kind: ObjectKind) -> &'static str {
    domain::objects::spec(kind).map_or("leads", |s| s.plural)
}

/// One control of a section: its name is `<part>.<field>`.
pub struct Control {
    pub name: String,
    pub label: String,
    /// text, select, date, tel, email
    pub control: &'static str,
    pub value: String,
    pub options: Vec<Choice>,
    pub required: bool,
    pub error: Option<String>,
}

/// A duplicate match as a row of the page.
pub struct MatchRow {
    /// The value of the "link to this" choice, for a match the reader may open.
    pub link: Option<String>,
    pub href: Option<String>,
    pub text: String,
    pub fields: String,
}

/// The account, contact or opportunity part of the page.
pub struct Section {
    pub part: &'static str,
    pub title: String,
    /// `create`, `none`, or the id of a linked record.
    pub choice: String,
    pub controls: Vec<Control>,
    pub matches: Vec<MatchRow>,
    /// Whether "no record" may be chosen (the opportunity) or linking (account, contact).
    pub optional: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "records/convert.html")]
struct ConvertPage {
    chrome: Chrome,
    plural: &'static str,
    id: Uuid,
    name: String,
    version: i64,
    sections: Vec<Section>,
    errors: FormErrors,
}

/// Fields of the opportunity offered beyond those proposed from the lead.
const OPPORTUNITY_EXTRA: &[&str] = &["amount", "expected_close"];

pub(in crate::pages) fn match_rows(
    t: crate::i18n::Tr,
    fields: &ObjectFields,
    matches: &[Match],
) -> Vec<MatchRow> {
    let spec = fields.spec;
    matches
        .iter()
        .map(|m| {
            let matched: Vec<String> = m
                .fields
                .iter()
                .filter_map(|k| fields.field(k))
                .map(|f| label(t, f))
                .collect();
            let fields = t.fmt("conversion.matched_by", &[("fields", &matched.join(", "))]);
            match &m.seen {
                Seen::Open { name, owner } => MatchRow {
                    link: Some(m.id.to_string()),
                    href: Some(format!("/{}/{}", spec.plural, m.id)),
                    text: format!(
                        "{name} · {}",
                        t.fmt("conversion.owner", &[("owner", owner)])
                    ),
                    fields,
                },
                Seen::Owned { owner, pool } => MatchRow {
                    link: None,
                    href: None,
                    text: match (owner, pool) {
                        (_, true) => t.get("conversion.in_pool").to_string(),
                        (Some(owner), _) => t.fmt("conversion.owned_by", &[("owner", owner)]),
                        (None, _) => t.get("conversion.owned_by_someone").to_string(),
                    },
                    fields,
                },
            }
        })
        .collect()
}

async fn controls(
    state: &AppState,
    user: &Signed,
    part: &str,
    fields: &ObjectFields,
    values: &Input,
    extra: &[&str],
    errors: &FormErrors,
) -> Vec<Control> {
    let t = user.ctx.tr;
    let users = crate::pages::records::user_choices(state, user).await;
    let mut keys: Vec<&str> = values.iter().map(|(k, _)| k.as_str()).collect();
    for key in extra {
        if !keys.contains(key) {
            keys.push(key);
        }
    }
    // The owner last, the rest in form order.
    keys.sort_by_key(|k| {
        (
            *k == "owner_id",
            fields.field(k).map_or(i32::MAX, |f| f.position),
        )
    });
    let mut out = Vec::new();
    for key in keys {
        let Some(field) = fields.field(key).filter(|f| fields.writable(f)) else {
            continue;
        };
        let value = values
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.first().cloned())
            .unwrap_or_default();
        let (control, options) = match field.field_type {
            FieldType::User => ("select", users.clone()),
            FieldType::Picklist => (
                "select",
                field
                    .options
                    .iter()
                    .filter(|o| o.active || o.key == value)
                    .map(|o| Choice {
                        value: o.key.clone(),
                        label: if t.is_zh() {
                            o.label_zh.clone()
                        } else {
                            o.label_en.clone()
                        },
                    })
                    .collect(),
            ),
            FieldType::Date => ("date", Vec::new()),
            FieldType::Phone => ("tel", Vec::new()),
            FieldType::Email => ("email", Vec::new()),
            _ => ("text", Vec::new()),
        };
        let name = format!("{part}.{key}");
        out.push(Control {
            error: errors.get(&name).map(str::to_string),
            name,
            label: label(t, field),
            control,
            value,
            options,
            required: field.required,
        });
    }
    out
}

/// What the page posts, part by part.
#[derive(Default)]
struct Posted {
    choices: HashMap<String, String>,
    parts: HashMap<String, Input>,
    version: Option<i64>,
}

fn posted(pairs: Vec<(String, String)>) -> Posted {
    let mut out = Posted::default();
    for (key, value) in pairs {
        if key == "version" {
            out.version = value.parse().ok();
        } else if let Some(part) = key.strip_suffix("_choice") {
            out.choices.insert(part.to_string(), value);
        } else if let Some((part, field)) = key.split_once('.') {
            out.parts
                .entry(part.to_string())
                .or_default()
                .push((field.to_string(), vec![value]));
        }
    }
    out
}

async fn render_page(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    p: Proposal,
    given: Option<&Posted>,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let t = user.ctx.tr;
    let mut sections = Vec::new();
    let parts = [
        (
            "account",
            ObjectKind::Account,
            &p.account,
            &p.account_matches[..],
        ),
        (
            "contact",
            ObjectKind::Contact,
            &p.contact,
            &p.contact_matches[..],
        ),
        (
            "opportunity",
            ObjectKind::Opportunity,
            &p.opportunity,
            &[][..],
        ),
    ];
    for (part, target, proposed, matches) in parts {
        let fields = app::records::object_fields(&state.app, &user.actor, target).await?;
        let values = given
            .and_then(|g| g.parts.get(part).cloned())
            .unwrap_or_else(|| proposed.clone());
        let extra = if part == "opportunity" {
            OPPORTUNITY_EXTRA
        } else {
            &[]
        };
        let choice = given
            .and_then(|g| g.choices.get(part).cloned())
            .unwrap_or_else(|| "create".into());
        sections.push(Section {
            part,
            title: t.get(&format!("conversion.section.{part}")).to_string(),
            choice,
            controls: controls(state, user, part, &fields, &values, extra, &errors).await,
            matches: match_rows(t, &fields, matches),
            optional: part == "opportunity",
            error: errors.get(&format!("{part}.link")).map(str::to_string),
        });
    }
    let status = if errors.general.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ConvertPage {
        chrome: Chrome::new(&user.ctx, plural(kind)),
        plural: plural(kind),
        id: p.lead.record.id,
        name: p.lead.record.name().to_string(),
        version: p.lead.record.version,
        sections,
        errors,
    };
    Ok((status, render(&page)).into_response())
}

async fn page(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    Path(id): Path<String>,
) -> Response {
    let t = user.ctx.tr;
    let result = async {
        let id = parse_id(&id)?;
        let p = app::conversion::proposal(&state.app, &user.actor, kind, id).await?;
        render_page(&state, &user, kind, p, None, FormErrors::default()).await
    }
    .await;
    result.unwrap_or_else(|e| page_error(t, e))
}

/// A part's choice as the use case takes it: a link to a record, or a new one from the
/// fields filled in (empty ones left to the lead's values).
fn target_of(form: &Posted, part: &str) -> Result<Target, AppError> {
    let fields: Input = form
        .parts
        .get(part)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, v)| v.iter().any(|s| !s.trim().is_empty()))
        .collect();
    match form.choices.get(part).map(String::as_str) {
        None | Some("create") => Ok(Target::Create(fields)),
        Some(id) => Uuid::parse_str(id)
            .map(Target::Link)
            .map_err(|_| AppError::field(&format!("{part}.link"), "invalid_reference")),
    }
}

async fn convert(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let t = user.ctx.tr;
    let Ok(id) = parse_id(&id) else {
        return page_error(t, AppError::NotFound);
    };
    let form = posted(pairs);
    let ask = || -> Result<Convert, AppError> {
        let opportunity = match form.choices.get("opportunity").map(String::as_str) {
            Some("none") => None,
            _ => match target_of(&form, "opportunity")? {
                Target::Create(input) => Some(input),
                Target::Link(_) => {
                    return Err(AppError::field("opportunity.link", "invalid_reference"))
                }
            },
        };
        Ok(Convert {
            account: target_of(&form, "account")?,
            contact: target_of(&form, "contact")?,
            opportunity,
            version: form.version,
        })
    };
    let result = match ask() {
        Ok(ask) => app::conversion::convert(&state.app, &user.actor, kind, id, ask).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(
            user.ctx.htmx,
            &format!("/{}/{id}?notice=lead_converted", plural(kind)),
        ),
        Err(e @ AppError::Validation(_)) => {
            let errors = FormErrors::from_app(t, &e);
            match app::conversion::proposal(&state.app, &user.actor, kind, id).await {
                Ok(p) => render_page(&state, &user, kind, p, Some(&form), errors)
                    .await
                    .unwrap_or_else(|e| page_error(t, e)),
                Err(e) => page_error(t, e),
            }
        }
        Err(e) => page_error(t, e),
    }
}

#[derive(Template)]
#[template(path = "records/disqualify.html")]
struct DisqualifyPage {
    chrome: Chrome,
    plural: &'static str,
    id: Uuid,
    name: String,
    version: i64,
    reasons: Vec<Choice>,
    reason: String,
    note: String,
    errors: FormErrors,
}

async fn render_disqualify(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    id: Uuid,
    given: Option<&DisqualifyForm>,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let t = user.ctx.tr;
    let view = app::records::get(&state.app, &user.actor, kind, id).await?;
    let conversion = app::records::spec(kind)?
        .conversion
        .ok_or(AppError::NotFound)?;
    let current = |key: &str| match view.record.values.get(key) {
        Some(FieldValue::Text(s)) => s.clone(),
        _ => String::new(),
    };
    let reason = given.map_or_else(|| current(conversion.reason_field), |g| g.reason.clone());
    let reasons = view
        .fields
        .field(conversion.reason_field)
        .map(|f| {
            f.options
                .iter()
                .filter(|o| o.active || o.key == reason)
                .map(|o| Choice {
                    value: o.key.clone(),
                    label: if t.is_zh() {
                        o.label_zh.clone()
                    } else {
                        o.label_en.clone()
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let status = if errors.general.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = DisqualifyPage {
        chrome: Chrome::new(&user.ctx, plural(kind)),
        plural: plural(kind),
        id,
        name: view.record.name().to_string(),
        version: view.record.version,
        reasons,
        note: given.map_or_else(|| current(conversion.note_field), |g| g.note.clone()),
        reason,
        errors,
    };
    Ok((status, render(&page)).into_response())
}

async fn disqualify_page(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    Path(id): Path<String>,
) -> Response {
    let t = user.ctx.tr;
    let result = async {
        let id = parse_id(&id)?;
        render_disqualify(&state, &user, kind, id, None, FormErrors::default()).await
    }
    .await;
    result.unwrap_or_else(|e| page_error(t, e))
}

#[derive(serde::Deserialize)]
struct DisqualifyForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    version: Option<i64>,
}

async fn disqualify(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<DisqualifyForm>,
) -> Response {
    let t = user.ctx.tr;
    let Ok(id) = parse_id(&id) else {
        return page_error(t, AppError::NotFound);
    };
    let note = Some(form.note.as_str()).filter(|n| !n.trim().is_empty());
    let result = app::conversion::disqualify(
        &state.app,
        &user.actor,
        kind,
        id,
        &form.reason,
        note,
        form.version,
    )
    .await;
    match result {
        Ok(()) => see_other(
            user.ctx.htmx,
            &format!("/{}/{id}?notice=lead_disqualified", plural(kind)),
        ),
        Err(e @ AppError::Validation(_)) => {
            let errors = FormErrors::from_app(t, &e);
            render_disqualify(&state, &user, kind, id, Some(&form), errors)
                .await
                .unwrap_or_else(|e| page_error(t, e))
        }
        Err(e) => page_error(t, e),
    }
}

/// What the record page shows of a lead's conversion: the actions while it may still be
/// converted, else links to what it became.
pub struct ConversionPanel {
    pub can_convert: bool,
    pub became: Vec<(String, String, String)>,
}

pub async fn panel(
    state: &AppState,
    user: &Signed,
    view: &app::records::RecordView,
) -> Option<ConversionPanel> {
    let t = user.ctx.tr;
    let kind = view.fields.spec.kind;
    let c = view.fields.spec.conversion?;
    let record = &view.record;
    let converted = record.text(c.status_field) == Some(c.converted);
    let may_edit = app::sharing::may(&state.app, &user.actor, kind, record.id, Action::Edit)
        .await
        .unwrap_or(false);
    let links = [
        (c.links.account, ObjectKind::Account),
        (c.links.contact, ObjectKind::Contact),
        (c.links.opportunity, ObjectKind::Opportunity),
    ];
    let became = links
        .into_iter()
        .filter_map(|(key, target)| {
            let id = record.id_of(key)?;
            let name = view.name_of(&id).unwrap_or_default().to_string();
            Some((
                t.key("object.", target.key()),
                format!("/{}/{id}", plural(target)),
                name,
            ))
        })
        .collect();
    Some(ConversionPanel {
        can_convert: !converted && may_edit,
        became,
    })
}
