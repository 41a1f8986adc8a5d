//! Set-up, sign-in and sign-out, language, and the user's own settings (password, API tokens;
//! notification preferences are `preferences`).

use super::see_other;
use super::Form;
use crate::error::{message_of, page_error};
use crate::session::{safe_next, Ctx, Signed, LANG_COOKIE, SESSION_COOKIE};
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::auth::SetupInput;
use app::AppError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/setup", get(setup_page).post(setup_submit))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/language", post(language))
        .route("/settings", get(settings_page))
        .route("/settings/password", post(change_password))
        .route("/settings/time-zone", post(set_time_zone))
        .route("/settings/tokens", post(create_token))
        .route("/settings/tokens/{id}/revoke", post(revoke_token))
}

fn session_cookie(state: &AppState, value: &str, max_age_secs: i64) -> HeaderValue {
    let cookie = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if state.secure_cookies { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

// ---------------------------------------------------------------- set-up

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    chrome: Chrome,
    errors: FormErrors,
    company: String,
    name: String,
    email: String,
}

#[derive(Deserialize, Default)]
struct SetupForm {
    #[serde(default)]
    company: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn setup_page(State(state): State<AppState>, ctx: Ctx) -> Response {
    match app::auth::needs_setup(&state.app).await {
        Ok(true) => render(&SetupPage {
            chrome: Chrome::new(&ctx, "setup"),
            errors: FormErrors::default(),
            company: String::new(),
            name: String::new(),
            email: String::new(),
        })
        .into_response(),
        Ok(false) => Redirect::to("/login").into_response(),
        Err(e) => page_error(ctx.tr, e),
    }
}

async fn setup_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<SetupForm>,
) -> Response {
    let input = SetupInput {
        company: form.company.clone(),
        admin_name: form.name.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
        locale: ctx.tr.lang_code().to_string(),
    };
    match app::auth::create_company(&state.app, input, true).await {
        Ok(_) => match app::auth::login(&state.app, &form.email, &form.password).await {
            Ok(session) => {
                let mut response = see_other(ctx.htmx, "/accounts?notice=welcome");
                response.headers_mut().append(
                    header::SET_COOKIE,
                    session_cookie(
                        &state,
                        &session.cookie_value,
                        app::auth::SESSION_DAYS * 86400,
                    ),
                );
                response
            }
            Err(e) => page_error(ctx.tr, e),
        },
        Err(AppError::Rule("setup_done")) => Redirect::to("/login").into_response(),
        Err(e @ AppError::Validation(_)) => {
            let page = SetupPage {
                chrome: Chrome::new(&ctx, "setup"),
                errors: FormErrors::from_app(ctx.tr, &e),
                company: form.company,
                name: form.name,
                email: form.email,
            };
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(e) => page_error(ctx.tr, e),
    }
}

// ---------------------------------------------------------------- sign-in

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    errors: FormErrors,
    email: String,
    next: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NextQuery>,
) -> Response {
    if ctx.actor.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    if let Ok(true) = app::auth::needs_setup(&state.app).await {
        return Redirect::to("/setup").into_response();
    }
    render(&LoginPage {
        chrome: Chrome::new(&ctx, "login"),
        errors: FormErrors::default(),
        email: String::new(),
        next: safe_next(q.next.as_deref()),
    })
    .into_response()
}

async fn login_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    match app::auth::login(&state.app, &form.email, &form.password).await {
        Ok(session) => {
            let mut response = see_other(ctx.htmx, &next);
            response.headers_mut().append(
                header::SET_COOKIE,
                session_cookie(
                    &state,
                    &session.cookie_value,
                    app::auth::SESSION_DAYS * 86400,
                ),
            );
            response
        }
        Err(e @ (AppError::InvalidCredentials | AppError::TooManyAttempts { .. })) => {
            let status = crate::error::status_of(&e);
            let errors = FormErrors {
                messages: Vec::new(),
                general: Some(message_of(ctx.tr, &e)),
            };
            (
                status,
                render(&LoginPage {
                    chrome: Chrome::new(&ctx, "login"),
                    errors,
                    email: form.email,
                    next,
                }),
            )
                .into_response()
        }
        Err(e) => page_error(ctx.tr, e),
    }
}

async fn logout(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Some(cookie) = &ctx.session_cookie {
        if let Err(e) = app::auth::logout(&state.app, cookie).await {
            return page_error(ctx.tr, e);
        }
    }
    let mut response = see_other(ctx.htmx, "/login");
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie(&state, "", 0));
    response
}

#[derive(Deserialize)]
struct LanguageForm {
    lang: String,
}

/// Switches the language: remembered on the user when signed in, and in a cookie.
async fn language(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> Response {
    let Some(lang) = crate::i18n::Lang::parse(&form.lang) else {
        return page_error(ctx.tr, AppError::field("lang", "invalid_choice"));
    };
    if let Some(actor) = &ctx.actor {
        if let Err(e) = app::auth::set_locale(&state.app, actor, lang.code()).await {
            return page_error(ctx.tr, e);
        }
    }
    // Back to the page the switch was pressed on, when it is one of ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
        .and_then(|r| r.find('/').map(|i| r[i..].to_string()));
    let mut response = Redirect::to(&safe_next(back.as_deref())).into_response();
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

// ---------------------------------------------------------------- settings

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    errors: FormErrors,
    email: String,
    role: String,
    department: String,
    tokens: Vec<store::auth::ApiToken>,
    new_token: Option<String>,
    time_zones: crate::views::TimeZoneChoice,
    notifications: Vec<super::preferences::PreferenceRow>,
    channels: Vec<(&'static str, String)>,
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn settings_view(
    state: &AppState,
    user: &Signed,
    errors: FormErrors,
    new_token: Option<String>,
    notice: Option<&str>,
) -> Result<SettingsPage, AppError> {
    let tokens = app::auth::list_tokens(&state.app, &user.actor).await?;
    let preferences = app::notifications::preferences(&state.app, &user.actor).await?;
    Ok(SettingsPage {
        chrome: Chrome::new(&user.ctx, "settings").with_notice(notice),
        errors,
        email: user.actor.user.email.clone(),
        role: user
            .ctx
            .tr
            .role_name(
                user.actor.user.role_key.as_deref(),
                &user.actor.user.role_name,
            )
            .to_string(),
        department: user.actor.user.department_name.clone().unwrap_or_default(),
        tokens,
        new_token,
        time_zones: crate::views::TimeZoneChoice::new(user.actor.user.time_zone.as_deref()),
        notifications: super::preferences::rows(user.ctx.tr, &preferences),
        channels: super::preferences::choices(user.ctx.tr),
    })
}

async fn settings_page(
    State(state): State<AppState>,
    user: Signed,
    Query(q): Query<NoticeQuery>,
) -> Response {
    match settings_view(
        &state,
        &user,
        FormErrors::default(),
        None,
        q.notice.as_deref(),
    )
    .await
    {
        Ok(page) => render(&page).into_response(),
        Err(e) => page_error(user.ctx.tr, e),
    }
}

/// The settings page again after a refused form, with the errors under their fields.
pub(super) async fn settings_refused(state: &AppState, user: &Signed, e: &AppError) -> Response {
    let errors = FormErrors::from_app(user.ctx.tr, e);
    match settings_view(state, user, errors, None, None).await {
        Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response(),
        Err(e) => page_error(user.ctx.tr, e),
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    user: Signed,
    Form(form): Form<PasswordForm>,
) -> Response {
    let result = app::auth::change_password(
        &state.app,
        &user.actor,
        &form.current_password,
        &form.new_password,
        &form.confirm_password,
        user.ctx.session_cookie.as_deref(),
    )
    .await;
    match result {
        Ok(()) => see_other(user.ctx.htmx, "/settings?notice=password_changed"),
        Err(e @ AppError::Validation(_)) => settings_refused(&state, &user, &e).await,
        Err(e) => page_error(user.ctx.tr, e),
    }
}

#[derive(Deserialize)]
struct TimeZoneForm {
    #[serde(default)]
    time_zone: String,
}

async fn set_time_zone(
    State(state): State<AppState>,
    user: Signed,
    Form(form): Form<TimeZoneForm>,
) -> Response {
    let id = user.actor.id();
    match app::time_zones::set_time_zone(&state.app, &user.actor, id, &form.time_zone).await {
        Ok(()) => see_other(user.ctx.htmx, "/settings?notice=time_zone_saved"),
        Err(e @ AppError::Validation(_)) => settings_refused(&state, &user, &e).await,
        Err(e) => page_error(user.ctx.tr, e),
    }
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
}

async fn create_token(
    State(state): State<AppState>,
    user: Signed,
    Form(form): Form<TokenForm>,
) -> Response {
    match app::auth::create_token(
        &state.app,
        user.actor.tenant_id(),
        user.actor.id(),
        &form.name,
    )
    .await
    {
        Ok((_, token)) => match settings_view(
            &state,
            &user,
            FormErrors::default(),
            Some(token),
            Some("token_created"),
        )
        .await
        {
            Ok(page) => render(&page).into_response(),
            Err(e) => page_error(user.ctx.tr, e),
        },
        Err(e @ AppError::Validation(_)) => settings_refused(&state, &user, &e).await,
        Err(e) => page_error(user.ctx.tr, e),
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    user: Signed,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return page_error(user.ctx.tr, AppError::NotFound);
    };
    match app::auth::revoke_token(&state.app, &user.actor, id).await {
        Ok(()) => see_other(user.ctx.htmx, "/settings?notice=token_revoked"),
        Err(e) => page_error(user.ctx.tr, e),
    }
}
