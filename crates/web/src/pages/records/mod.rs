//! Pages of the record engine's objects (accounts, contacts, leads, opportunities, activities): list with
//! saved views and a filter builder, record page with related lists and history, form. Every
//! field — standard or custom — is rendered from its `FieldDef`.

use crate::AppState;
use app::AppError;
use axum::routing::{get, post};
use axum::{Extension, Router};
use domain::objects::ObjectSpec;
use domain::permissions::ObjectKind;
use uuid::Uuid;

pub use domain::objects::GENERIC as OBJECTS;

mod account360;
mod activity_actions;
mod children;
mod display;
mod duplicates;
mod form;
mod links;
mod lists;
mod lookup;
mod my_day;
mod record_page;
mod related;
mod saved_views;
mod sharing;

use account360::account_timeline;
pub use account360::{account_360, Account360, StreamStart};
use activity_actions::{check_in, complete, follow_up, postpone, reopen};
pub use display::{label, show_value};
pub(super) use form::user_choices;
use form::{create, delete, edit_form, new_form, update};
pub(in crate::pages) use form::{form_fields, form_input, raw_names, FormField, Pairs};
use links::{add_account_link, add_contact_link, remove_account_link, remove_contact_link};
pub(in crate::pages) use lists::{
    build_filter_row, export_spec, field_choices, parse_list_query, FilterRow,
};
use lists::{filter_row, list};
use lookup::lookup;
use my_day::my_day;
use record_page::show;
pub(crate) use record_page::{record_facts, show_response, Fact};
use saved_views::{delete_view, save_view};
pub use sharing::{sharing_panel, SharingPanel};

/// Objects whose record page is laid out by a page module of its own (accounts: the 360°
/// page, `pages::accounts`); their list, views, filters, form and lookups are these.
const OWN_RECORD_PAGES: [ObjectKind; 1] = [ObjectKind::Account];

/// The record page of `kind`: its own page module's, or the engine's.
fn record_page(kind: ObjectKind) -> axum::routing::MethodRouter<AppState> {
    if OWN_RECORD_PAGES.contains(&kind) {
        get(crate::pages::accounts::show)
    } else {
        get(show)
    }
}

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for kind in OBJECTS {
        let Some(spec) = domain::objects::spec(kind) else {
            continue;
        };
        let object = Router::new()
            .route("/filter-row", get(filter_row))
            .route("/views", post(save_view))
            .route("/views/{view}/delete", post(delete_view))
            .route("/", get(list).post(create))
            .route("/new", get(new_form))
            .route("/lookup", get(lookup))
            .route("/duplicates", post(duplicates::warning))
            .route("/{id}", record_page(kind).post(update))
            .route("/{id}/edit", get(edit_form))
            .route("/{id}/delete", post(delete))
            .route("/rows/{child}", get(children::add_row));
        let object = sharing::routes(object).layer(Extension(kind));
        router = router.nest(&format!("/{}", spec.plural), object);
    }
    router
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
