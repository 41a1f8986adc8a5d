//! Global search (全局模糊查询): the search box in the top bar and its results page.

use super::records::{show_value, Shown};
use crate::error::page_error;
use crate::session::Signed;
use crate::views::{render, Chrome};
use crate::AppState;
use app::AppError;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use domain::permissions::ObjectKind;

pub fn routes() -> Router<AppState> {
    Router::new().route("/search", get(search_page))
}

/// One found record: its name and page, what it belongs to, and who follows it.
struct Hit {
    name: String,
    href: String,
    context: Shown,
    owner: String,
}

struct GroupView {
    title: String,
    hits: Vec<Hit>,
    more_href: Option<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    error: Option<String>,
    /// `None` before a search; then one group per object searched.
    groups: Option<Vec<GroupView>>,
}

/// The field that tells records of the same name apart in the results.
fn context_field(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Account => "city",
        ObjectKind::Lead => "company",
        _ => "account_id",
    }
}

async fn search_page(
    State(state): State<AppState>,
    user: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    let t = user.ctx.tr;
    let q = serde_urlencoded::from_str::<Vec<(String, String)>>(raw.as_deref().unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let mut page = SearchPage {
        chrome: Chrome::new(&user.ctx, "search"),
        q: q.clone(),
        error: None,
        groups: None,
    };
    if q.trim().is_empty() {
        return render(&page).into_response();
    }
    let groups = match app::search::global(&state.app, &user.actor, &q, None).await {
        Ok(groups) => groups,
        Err(AppError::Validation(errors)) => {
            page.error = errors.0.first().map(|e| t.field_error(e));
            return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
        }
        Err(e) => return page_error(t, e),
    };
    let encoded_q = crate::session::urlencode(q.trim());
    let views = groups
        .iter()
        .map(|g| {
            let spec = &g.page.fields.spec;
            let context = g.page.fields.field(context_field(g.kind));
            let owner = g.page.fields.field("owner_id");
            GroupView {
                title: t
                    .get(&format!("search.object.{}", g.kind.key()))
                    .to_string(),
                hits: g
                    .page
                    .records
                    .iter()
                    .map(|r| Hit {
                        name: r.name().to_string(),
                        href: format!("/{}/{}", spec.plural, r.id),
                        // Nothing (not a dash) when the record has no value there.
                        context: context
                            .and_then(|f| r.values.get(&f.key).map(|v| (f, v)))
                            .map(|(f, v)| show_value(t, f, Some(v), &g.page.names))
                            .unwrap_or_default(),
                        owner: owner
                            .map(|f| show_value(t, f, r.values.get(&f.key), &g.page.names).text)
                            .unwrap_or_default(),
                    })
                    .collect(),
                more_href: g.more.then(|| format!("/{}?q={encoded_q}", spec.plural)),
            }
        })
        .collect();
    page.groups = Some(views);
    render(&page).into_response()
}
