//! Saving and deleting a list view.

use super::form::Pairs;
use super::lists::parse_list_query;
use super::{parse_id, spec_of};
use crate::error::page_error;
use crate::pages::{see_other, Form};
use crate::session::Signed;
use crate::views::{render, FormErrors};
use crate::AppState;
use app::AppError;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use domain::permissions::ObjectKind;
use domain::views::ViewDefinition;
use uuid::Uuid;

pub(super) async fn save_view(
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

pub(super) async fn delete_view(
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
