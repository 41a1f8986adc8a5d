//! The record page: fields, related lists, activities and field history.

use super::display::{field_label, history_text, label, show_value};
use super::links::links_panel;
use super::{parse_id, spec_of, Choice, Shown};
use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::records::ObjectFields;
use app::AppError;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use domain::fields::{FieldType, FieldValue};
use domain::permissions::{Action, ObjectKind};
use rust_decimal::prelude::ToPrimitive;
use store::history::FieldChange;
use uuid::Uuid;

pub use super::related::{related_lists, RelatedList};

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
    facts: Vec<Fact>,
    long_texts: Vec<(String, String)>,
    related: Vec<RelatedList>,
    children: Vec<super::children::ChildTable>,
    history: Vec<(String, String, String, String, String)>,
    can_edit: bool,
    can_delete: bool,
    activity: Option<ActivityPanel>,
    links: Option<LinksPanel>,
    sharing: Option<super::SharingPanel>,
    pool: Option<crate::pages::pools::PoolPanel>,
    visits: Option<crate::pages::showroom::VisitsPanel>,
    log_links: Vec<(String, String)>,
    errors: FormErrors,
    path: Option<crate::pages::stages::PathPanel>,
    conversion: Option<crate::pages::conversion::ConversionPanel>,
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

pub(super) async fn show(
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

pub(crate) async fn show_response(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    id: Uuid,
    notice: Option<&str>,
    errors: FormErrors,
) -> Response {
    if super::OWN_RECORD_PAGES.contains(&kind) {
        return crate::pages::accounts::page_response(state, user, id, notice, errors).await;
    }
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

/// A field as a record page shows it: (key, label, value).
pub(crate) type Fact = (String, String, Shown);

/// The facts and long texts of a record's page, in form order, as the reader's role and the
/// record type's layout show them, leaving out the fields in `elsewhere` (shown by the page
/// itself, as its heading).
pub(crate) async fn record_facts(
    state: &AppState,
    user: &Signed,
    view: &app::records::RecordView,
    elsewhere: &[&str],
) -> (Vec<Fact>, Vec<(String, String)>) {
    let t = user.ctx.tr;
    let record = &view.record;
    let spec = view.fields.spec;
    let mut facts = Vec::new();
    let mut long_texts = Vec::new();
    // The record type's layout: a field it leaves out is shown only when it has a value.
    let layout = crate::pages::picklists::FormLayout::load(state, user, spec.kind).await;
    let chosen = layout.chosen(match record.values.get("record_type") {
        Some(FieldValue::Text(key)) => Some(key.as_str()),
        _ => None,
    });
    for field in view.fields.all() {
        if elsewhere.contains(&field.key.as_str()) {
            continue;
        }
        let held = record.values.contains_key(&field.key);
        if !held && !layout.shows(chosen, field, &[]) {
            continue;
        }
        if spec.kind == ObjectKind::Activity && field.key.starts_with("checkin_") {
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
        if !applies && !held {
            continue;
        }
        facts.push((
            field.key.clone(),
            label(t, field),
            show_value(t, field, record.values.get(&field.key), &view.names),
        ));
    }
    (facts, long_texts)
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
    let (facts, long_texts) = record_facts(state, user, &view, &["name"]).await;
    let history = app::records::history(&state.app, &user.actor, kind, id, None, 30).await?;
    let history = history_rows(t, fields, history);
    let (related_lists, log_links) = related_lists(state, user, kind, record).await?;
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
        chrome: Chrome::new(&user.ctx, spec.plural).with_notice_on(notice, kind.key()),
        kind: kind.key(),
        plural: spec.plural,
        object_label: t.key("object.", kind.key()),
        id,
        version: record.version,
        name: record.name().to_string(),
        facts,
        long_texts,
        related: related_lists,
        children: super::children::tables(t, &view),
        history,
        can_edit: app::sharing::may(&state.app, &user.actor, kind, id, Action::Edit).await?,
        can_delete: app::sharing::may(&state.app, &user.actor, kind, id, Action::Delete).await?,
        activity,
        links,
        sharing: super::sharing_panel(state, user, kind, id).await.ok(),
        pool: crate::pages::pools::pool_panel(state, user, kind, id).await,
        visits: if kind == ObjectKind::Lead {
            crate::pages::showroom::visits_panel(state, user, id).await
        } else {
            None
        },
        log_links,
        errors,
        conversion: crate::pages::conversion::panel(state, user, &view).await,
        // The stage path of an object whose records follow the stage gate.
        path: if spec.rules.contains(&domain::rules::Rule::StageGate) {
            crate::pages::stages::path_panel(state, user, id).await
        } else {
            None
        },
    })
}
