//! My day, the home page: what the signed-in user has to do today.

use super::display::show_value;
use super::Shown;
use crate::error::page_error;
use crate::pages::see_other;
use crate::session::Signed;
use crate::views::{render, Chrome};
use crate::AppState;
use app::AppError;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::fields::FieldValue;
use domain::permissions::ObjectKind;
use uuid::Uuid;

/// One line of My day: link, subject, kind label, when, what it is about.
pub struct DayItem {
    pub href: String,
    pub name: String,
    pub kind: String,
    pub when: String,
    pub about: Shown,
    pub open: bool,
    pub id: Uuid,
    pub version: i64,
}

/// A lead due a follow-up: link, name, intent level, company, when it is due.
pub struct FollowUpItem {
    pub href: String,
    pub name: String,
    pub intent: String,
    pub company: String,
    pub when: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    today: Vec<DayItem>,
    overdue: Vec<DayItem>,
    reminders: Vec<DayItem>,
    follow_ups: Vec<FollowUpItem>,
    date: String,
}

pub(super) async fn my_day(
    State(state): State<AppState>,
    user: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    let t = user.ctx.tr;
    let notice: Option<String> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(raw.as_deref().unwrap_or_default())
            .unwrap_or_default()
            .into_iter()
            .find(|(k, _)| k == "notice")
            .map(|(_, v)| v);
    let (day, fields, lead_fields) = match async {
        let day = app::activities::my_day(&state.app, &user.actor).await?;
        let fields =
            app::records::object_fields(&state.app, &user.actor, ObjectKind::Activity).await?;
        let lead_fields =
            app::records::object_fields(&state.app, &user.actor, ObjectKind::Lead).await?;
        Ok::<_, AppError>((day, fields, lead_fields))
    }
    .await
    {
        Ok(v) => v,
        Err(AppError::Forbidden) => return see_other(false, "/accounts"),
        Err(e) => return page_error(t, e),
    };
    let kind_field = fields.field("kind");
    let account_field = fields.field("account_id");
    let at = |r: &store::records::Record, key: &str| match r
        .values
        .get(key)
        .or_else(|| r.values.get("starts_at"))
    {
        Some(FieldValue::DateTime(at)) => Some(*at),
        _ => None,
    };
    let item = |r: &store::records::Record, at: Option<DateTime<Utc>>| {
        let when = at.map(|at| t.time(at)).unwrap_or_default();
        DayItem {
            href: format!("/activities/{}", r.id),
            name: r.name().to_string(),
            kind: kind_field
                .map(|f| show_value(t, f, r.values.get("kind"), &day.names).text)
                .unwrap_or_default(),
            when,
            about: account_field
                .map(|f| show_value(t, f, r.values.get("account_id"), &day.names))
                .unwrap_or_default(),
            open: r.text("status") == Some("open"),
            id: r.id,
            version: r.version,
        }
    };
    let now = state.app.now();
    let intent_field = lead_fields.field("intent");
    let follow_ups = day
        .follow_ups
        .iter()
        .map(|r| {
            let due = at(r, "next_follow_up_at");
            FollowUpItem {
                href: format!("/leads/{}", r.id),
                name: r.name().to_string(),
                intent: intent_field
                    .map(|f| show_value(t, f, r.values.get("intent"), &day.names).text)
                    .unwrap_or_default(),
                company: r.text("company").unwrap_or_default().to_string(),
                when: due.map(|at| t.time(at)).unwrap_or_default(),
                overdue: due.is_some_and(|at| at < now),
            }
        })
        .collect();
    let page = HomePage {
        chrome: Chrome::new(&user.ctx, "home").with_notice(notice.as_deref()),
        today: day
            .today
            .iter()
            .map(|r| item(r, app::activities::when(r)))
            .collect(),
        overdue: day
            .overdue
            .iter()
            .map(|r| item(r, at(r, "due_at")))
            .collect(),
        reminders: day
            .reminders
            .iter()
            .map(|r| item(r, at(r, "remind_at")))
            .collect(),
        follow_ups,
        date: domain::time::local_day(day.day_start, t.zone)
            .format("%Y-%m-%d")
            .to_string(),
    };
    render(&page).into_response()
}
