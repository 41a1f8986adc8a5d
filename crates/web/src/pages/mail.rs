//! The administrators' e-mail page (`/admin/mail`): the company's SMTP server (never
//! showing its password), a test mail sent at once, and the delivery log of notification
//! mails, newest first, a page at a time.

use super::{see_other, Form};
use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::mail::{Security, SettingsInput, SettingsView};
use app::AppError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/mail", get(page).post(save))
        .route("/admin/mail/test", post(test))
}

/// A delivery as the log shows it.
pub struct DeliveryRow {
    pub id: Uuid,
    pub recipient: String,
    pub kind: String,
    pub subject: String,
    pub state: String,
    pub state_label: String,
    pub attempts: i64,
    pub error: Option<String>,
    pub created: String,
    pub updated: String,
}

impl DeliveryRow {
    fn new(t: Tr, d: &store::mail::Delivery) -> Self {
        Self {
            id: d.id,
            recipient: d.recipient.clone(),
            kind: t.key("notifications.kind_label.", &d.kind),
            subject: d.subject.clone().unwrap_or_default(),
            state: d.state.clone(),
            state_label: t.key("mail.state.", &d.state),
            attempts: d.attempts,
            error: d.last_error.clone(),
            created: t.time(d.created_at),
            updated: t.time(d.updated_at),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/mail.html")]
struct MailPage {
    chrome: Chrome,
    errors: FormErrors,
    form: SettingsInput,
    view: SettingsView,
    securities: Vec<(&'static str, String)>,
    deliveries: Vec<DeliveryRow>,
    next: Option<Uuid>,
    /// Says that `--smtp-url` is used instead of the form's server.
    overridden: Option<String>,
    test_help: String,
    /// Where mails link to, or that they carry no links.
    links: String,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    notice: Option<String>,
    cursor: Option<String>,
}

async fn view(
    state: &AppState,
    user: &Signed,
    errors: FormErrors,
    form: Option<SettingsInput>,
    cursor: Option<Uuid>,
    notice: Option<&str>,
) -> Result<MailPage, AppError> {
    let t = user.ctx.tr;
    let view = app::mail::settings(&state.app, &user.actor).await?;
    let log = app::mail::deliveries(&state.app, &user.actor, cursor, app::mail::PAGE).await?;
    let form = form.unwrap_or_else(|| SettingsInput {
        host: view.host.clone(),
        port: view.port.map(|p| p.to_string()).unwrap_or_default(),
        security: view.security.clone(),
        username: view.username.clone(),
        password: String::new(),
        from_address: view.from_address.clone(),
    });
    Ok(MailPage {
        chrome: Chrome::new(&user.ctx, "admin").with_notice(notice),
        errors,
        form,
        securities: Security::ALL
            .iter()
            .map(|s| (s.key(), t.key("admin.mail.security.", s.key())))
            .collect(),
        deliveries: log.items.iter().map(|d| DeliveryRow::new(t, d)).collect(),
        next: log.next,
        overridden: view
            .overridden_by
            .as_deref()
            .map(|server| t.fmt("admin.mail.overridden", &[("server", server)])),
        test_help: t.fmt("admin.mail.test_help", &[("email", &user.actor.user.email)]),
        links: match view.public_url.as_deref() {
            Some(url) => t.fmt("admin.mail.public_url", &[("url", url)]),
            None => t.get("admin.mail.no_public_url").to_string(),
        },
        view,
    })
}

async fn page(State(state): State<AppState>, user: Signed, Query(q): Query<PageQuery>) -> Response {
    let t = user.ctx.tr;
    let cursor = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match Uuid::parse_str(c) {
            Ok(id) => Some(id),
            Err(_) => return page_error(t, AppError::field("cursor", "invalid_cursor")),
        },
    };
    match view(
        &state,
        &user,
        FormErrors::default(),
        None,
        cursor,
        q.notice.as_deref(),
    )
    .await
    {
        Ok(page) => render(&page).into_response(),
        Err(e) => page_error(t, e),
    }
}

#[derive(Deserialize, Default)]
struct SettingsForm {
    #[serde(default)]
    host: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    security: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    from_address: String,
}

async fn save(
    State(state): State<AppState>,
    user: Signed,
    Form(form): Form<SettingsForm>,
) -> Response {
    let t = user.ctx.tr;
    let input = SettingsInput {
        host: form.host,
        port: form.port,
        security: form.security,
        username: form.username,
        password: form.password,
        from_address: form.from_address,
    };
    match app::mail::save_settings(&state.app, &user.actor, &input).await {
        Ok(()) => see_other(user.ctx.htmx, "/admin/mail?notice=mail_saved"),
        Err(e @ AppError::Validation(_)) => {
            // The form again with what was typed, except the password.
            let form = SettingsInput {
                password: String::new(),
                ..input
            };
            let errors = FormErrors::from_app(t, &e);
            match view(&state, &user, errors, Some(form), None, None).await {
                Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response(),
                Err(e) => page_error(t, e),
            }
        }
        Err(e) => page_error(t, e),
    }
}

async fn test(State(state): State<AppState>, user: Signed) -> Response {
    let t = user.ctx.tr;
    let server = app::mail::server_for(&state.app, user.actor.tenant_id())
        .await
        .ok()
        .flatten()
        .map(|s| format!("{}:{}", s.host, s.port))
        .unwrap_or_default();
    let subject = t.get("mail.test_subject");
    let body = t.fmt("mail.test_body", &[("server", &server)]);
    match app::mail::send_test(&state.app, &user.actor, subject, &body).await {
        Ok(Ok(_)) => see_other(user.ctx.htmx, "/admin/mail?notice=mail_test_sent"),
        Ok(Err(answer)) => {
            let errors = FormErrors {
                messages: Vec::new(),
                general: Some(t.fmt("admin.mail.test_failed", &[("error", &answer)])),
            };
            match view(&state, &user, errors, None, None, None).await {
                Ok(page) => (StatusCode::BAD_GATEWAY, render(&page)).into_response(),
                Err(e) => page_error(t, e),
            }
        }
        Err(e @ AppError::Rule(_)) => {
            let errors = FormErrors::from_app(t, &e);
            match view(&state, &user, errors, None, None, None).await {
                Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response(),
                Err(e) => page_error(t, e),
            }
        }
        Err(e) => page_error(t, e),
    }
}
