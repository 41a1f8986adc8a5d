//! Suggestions for a lookup field.

use super::display::show_value;
use super::form::Pairs;
use super::spec_of;
use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::render;
use crate::AppState;
use app::records::ListRequest;
use app::AppError;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use domain::permissions::ObjectKind;
use uuid::Uuid;

/// The suggestions of a lookup: (id, name, a second line) per record.
#[derive(Template)]
#[template(path = "records/lookup.html")]
pub(in crate::pages) struct LookupResults {
    pub t: Tr,
    pub items: Vec<(Uuid, String, String)>,
    pub field: String,
}

/// Suggestions for a lookup field pointing at this object.
pub(super) async fn lookup(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    let list = format!("/{}", spec_of(kind).plural);
    if let Some(page) = crate::pages::fragment_opened_as_page(&user.ctx, &list) {
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
        // A closed deal is still something to log a call about.
        archived: app::records::Archived::Included,
        ..Default::default()
    };
    let items = match app::records::list(&state.app, &user.actor, kind, &request).await {
        Ok(page) => {
            // The line under each name, as the object declares it (an account's city).
            let second = spec_of(kind).lookup_detail.unwrap_or_default();
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
