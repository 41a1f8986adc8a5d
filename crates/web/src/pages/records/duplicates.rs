//! The duplicate warning of a record form: as the user fills in a name, a phone number or an
//! e-mail, the form asks `POST /{plural}/duplicates` (htmx, on change) and shows the records the
//! new one may duplicate (`app::duplicates::check`) — openable ones as links, the others only
//! as "owned by X" — before it is saved, so a rep sees a colleague's customer first.

use super::form::{form_input, Pairs};
use crate::error::page_error;
use crate::pages::conversion::{match_rows, MatchRow};
use crate::pages::Form;
use crate::session::Signed;
use crate::views::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use domain::permissions::ObjectKind;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "records/duplicates.html")]
struct Warning {
    title: String,
    matches: Vec<MatchRow>,
}

#[derive(Deserialize)]
pub(super) struct Except {
    except: Option<String>,
}

/// The warning's fragment for the form's values: empty when nothing matches.
pub(super) async fn warning(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    user: Signed,
    Query(query): Query<Except>,
    Form(pairs): Form<Pairs>,
) -> Response {
    let t = user.ctx.tr;
    let fields = match app::records::object_fields(&state.app, &user.actor, kind).await {
        Ok(f) => f,
        Err(e) => return page_error(t, e),
    };
    let except = query.except.as_deref().and_then(|id| id.parse().ok());
    let (mut input, _, _) = form_input(&fields, &pairs, true, t.zone);
    // The form also posts its child rows; only the record's own fields hold keys.
    input.retain(|(key, _)| fields.field(key).is_some());
    match app::duplicates::check(&state.app, &user.actor, kind, &input, except).await {
        Ok(matches) => render(&Warning {
            title: t.get("conversion.matches").to_string(),
            matches: match_rows(t, &fields, &matches),
        })
        .into_response(),
        Err(e) => page_error(t, e),
    }
}
