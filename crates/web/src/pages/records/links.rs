//! The relationships panel of an account or contact: adding and removing a link.

use super::record_page::{show_response, LinksPanel};
use super::{parse_id, Choice};
use crate::error::page_error;
use crate::pages::{see_other, Form};
use crate::session::Signed;
use crate::views::FormErrors;
use crate::AppState;
use app::AppError;
use axum::extract::{Path, State};
use axum::response::Response;
use domain::permissions::ObjectKind;
use uuid::Uuid;

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
        let to = crate::pages::opt_id("to_id", &form.to_id)?
            .ok_or(AppError::field("to_id", "required"))?;
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

pub(super) async fn add_contact_link(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<LinkForm>,
) -> Response {
    add_link(&state, &user, ObjectKind::Contact, &id, form).await
}

pub(super) async fn add_account_link(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<LinkForm>,
) -> Response {
    add_link(&state, &user, ObjectKind::Account, &id, form).await
}

pub(super) async fn remove_account_link(
    State(state): State<AppState>,
    user: Signed,
    Path((id, link)): Path<(String, String)>,
) -> Response {
    remove_link(&state, &user, ObjectKind::Account, &id, &link).await
}

pub(super) async fn remove_contact_link(
    State(state): State<AppState>,
    user: Signed,
    Path((id, link)): Path<(String, String)>,
) -> Response {
    remove_link(&state, &user, ObjectKind::Contact, &id, &link).await
}
