//! The public side of web forms (网站表单): `GET /f/{key}` shows the form as a hosted page,
//! `POST /f/{key}` takes a submission from the company website (a cross-site form post by
//! design: no session, no CSRF token) as `application/x-www-form-urlencoded`, or as JSON for
//! integrators — `app::web_forms::submit`. Answers are in the `lang` field's language, else
//! `Accept-Language`'s; a browser gets pages (the form again with the errors, the thank-you
//! text, a 303 to the redirect), JSON gets JSON.

use crate::error::{message_of, status_of, with_retry_after};
use crate::i18n::{Lang, Tr};
use crate::views::render;
use crate::AppState;
use app::web_forms::submit::{self, Submission};
use app::AppError;
use askama::Template;
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use domain::fields::{FieldDef, FieldType};
use domain::web_forms::{HONEYPOT, LANG_FIELD, MAX_BODY};
use domain::FieldErrors;
use serde_json::{json, Value};
use std::net::SocketAddr;

pub fn routes() -> Router<AppState> {
    Router::new().route("/f/{key}", get(show).post(receive))
}

/// One input of the hosted form.
pub struct Input {
    pub key: String,
    pub label: String,
    pub required: bool,
    /// `text`, `email`, `tel`, `url`, `date`, `number`, `textarea` or `select`.
    pub kind: &'static str,
    pub options: Vec<(String, String)>,
    pub value: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "web_forms/public.html")]
struct PublicPage {
    t: Tr,
    asset_version: &'static str,
    title: String,
    key: String,
    inputs: Vec<Input>,
    honeypot: &'static str,
    general: Option<String>,
    /// A message instead of the form (thanks, or why it was refused).
    message: Option<String>,
}

/// The HTML input a lead field is filled in with.
pub fn input_kind(def: &FieldDef) -> &'static str {
    match def.field_type {
        FieldType::Email => "email",
        FieldType::Phone => "tel",
        FieldType::Url => "url",
        FieldType::Date => "date",
        FieldType::Number | FieldType::Money | FieldType::Percent => "number",
        FieldType::LongText => "textarea",
        FieldType::Picklist | FieldType::MultiSelect | FieldType::Checkbox => "select",
        _ => "text",
    }
}

/// A choice field's options in the reader's language (a checkbox is yes/no).
pub fn options_of(t: Tr, def: &FieldDef) -> Vec<(String, String)> {
    if def.field_type == FieldType::Checkbox {
        return vec![
            ("true".into(), t.get("web_forms.yes").into()),
            ("false".into(), t.get("web_forms.no").into()),
        ];
    }
    def.options
        .iter()
        .filter(|o| o.active)
        .map(|o| {
            let label = if t.is_zh() { &o.label_zh } else { &o.label_en };
            (o.key.clone(), label.clone())
        })
        .collect()
}

/// A form field's label in the reader's language: the form's own, else the lead field's.
pub fn label_of(t: Tr, f: &domain::web_forms::FormField, def: Option<&FieldDef>) -> String {
    let own = if t.is_zh() { &f.label_zh } else { &f.label_en };
    if !own.is_empty() {
        return own.clone();
    }
    def.map(|d| if t.is_zh() { &d.label_zh } else { &d.label_en })
        .cloned()
        .unwrap_or_else(|| f.key.clone())
}

fn inputs(
    t: Tr,
    form: &submit::PublicForm,
    posted: &[(String, String)],
    errors: &FieldErrors,
) -> Vec<Input> {
    form.form
        .fields
        .0
        .iter()
        .map(|f| {
            let def = form.fields.iter().find(|d| d.key == f.key);
            Input {
                key: f.key.clone(),
                label: label_of(t, f, def),
                required: f.required,
                kind: def.map(input_kind).unwrap_or("text"),
                options: def.map(|d| options_of(t, d)).unwrap_or_default(),
                value: posted
                    .iter()
                    .rev()
                    .find(|(k, _)| *k == f.key)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
                error: errors
                    .0
                    .iter()
                    .find(|e| e.field == f.key)
                    .map(|e| t.field_error(e)),
            }
        })
        .collect()
}

fn page(t: Tr, title: String, key: &str) -> PublicPage {
    PublicPage {
        t,
        asset_version: crate::assets::VERSION,
        title,
        key: key.to_string(),
        inputs: Vec::new(),
        honeypot: HONEYPOT,
        general: None,
        message: None,
    }
}

fn language(headers: &HeaderMap, posted: &[(String, String)]) -> Tr {
    let chosen = posted
        .iter()
        .rev()
        .find(|(k, _)| k == LANG_FIELD)
        .and_then(|(_, v)| Lang::parse(v.trim()));
    Tr::new(chosen.unwrap_or_else(|| crate::session::language_for(headers, None)))
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Response {
    let t = language(&headers, &[]);
    match submit::public_form(&state.app, &key).await {
        Ok(form) => {
            let mut p = page(t, form.form.name.clone(), &key);
            p.inputs = inputs(t, &form, &[], &FieldErrors::new());
            render(&p).into_response()
        }
        Err(e) => refused_page(t, &key, &e),
    }
}

/// A refusal as a page of its own (no form to show again: unknown, forbidden, too many).
fn refused_page(t: Tr, key: &str, e: &AppError) -> Response {
    crate::error::log_failure(e);
    let mut p = page(t, t.get("web_forms.public_title").into(), key);
    p.message = Some(public_message(t, e));
    with_retry_after(
        (status_of(e), render(&p)).into_response(),
        crate::error::retry_after_of(e),
    )
}

/// What a visitor is told: the form's own wording for what only forms refuse.
fn public_message(t: Tr, e: &AppError) -> String {
    match e {
        AppError::NotFound => t.get("web_forms.not_found").into(),
        AppError::Forbidden => t.get("web_forms.origin_refused").into(),
        AppError::TooManyAttempts { retry_after_secs } => {
            let minutes = ((retry_after_secs + 59) / 60).to_string();
            t.fmt("web_forms.too_many", &[("minutes", &minutes)])
        }
        other => message_of(t, other),
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// A JSON body's fields as text: strings, numbers and booleans; anything else is refused.
fn json_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(bytes) else {
        errors.add("body", "wrong_type");
        return Err(errors);
    };
    let mut pairs = Vec::with_capacity(body.len());
    for (k, v) in body {
        match v {
            Value::String(s) => pairs.push((k, s)),
            Value::Number(n) => pairs.push((k, n.to_string())),
            Value::Bool(b) => pairs.push((k, b.to_string())),
            Value::Null => {}
            _ => errors.add(&k, "wrong_type"),
        }
    }
    errors.into_result().map(|()| pairs)
}

/// The client's address: the connection's peer (the server puts it on each request). A
/// proxy in front makes every visitor one address; see README (web forms).
fn client_of(request_peer: Option<&ConnectInfo<SocketAddr>>) -> String {
    request_peer
        .map(|ConnectInfo(a)| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

async fn receive(
    State(state): State<AppState>,
    Path(key): Path<String>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body): (_, Body) = request.into_parts();
    let headers = parts.headers;
    let json = is_json(&headers);
    let early = language(&headers, &[]);
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        let limit = (MAX_BODY / 1024).to_string();
        let message = early.fmt("web_forms.too_large", &[("kib", &limit)]);
        return refusal(
            json,
            early,
            &key,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            message,
        );
    };
    let posted = if json {
        json_pairs(&bytes)
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes).map_err(|_| {
            let mut e = FieldErrors::new();
            e.add("body", "wrong_type");
            e
        })
    };
    let posted = match posted {
        Ok(p) => p,
        Err(errors) => return invalid(&state, json, early, &key, &[], errors).await,
    };
    let t = language(&headers, &posted);
    let header_text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let submission = Submission {
        client: client_of(parts.extensions.get::<ConnectInfo<SocketAddr>>()),
        origin: header_text(header::ORIGIN),
        referer: header_text(header::REFERER),
        values: posted.clone(),
    };
    match submit::submit(&state.app, &key, &submission).await {
        Ok(accepted) => thanks(json, t, &key, &accepted),
        Err(AppError::Validation(errors)) => invalid(&state, json, t, &key, &posted, errors).await,
        Err(e) if json => {
            let retry = crate::error::retry_after_of(&e);
            with_retry_after(crate::api::ApiError::new(t, e).into_response(), retry)
        }
        Err(e) => refused_page(t, &key, &e),
    }
}

/// A refusal before the form is read (a body too large).
fn refusal(
    json: bool,
    t: Tr,
    key: &str,
    status: StatusCode,
    code: &str,
    message: String,
) -> Response {
    if json {
        let body = json!({ "error": { "code": code, "message": message, "fields": [] } });
        return (status, Json(body)).into_response();
    }
    let mut p = page(t, t.get("web_forms.public_title").into(), key);
    p.message = Some(message);
    (status, render(&p)).into_response()
}

/// Invalid values: the form again with what was posted and each field's error (422).
async fn invalid(
    state: &AppState,
    json: bool,
    t: Tr,
    key: &str,
    posted: &[(String, String)],
    errors: FieldErrors,
) -> Response {
    if json {
        return crate::api::ApiError::invalid(t, errors).into_response();
    }
    let form = match submit::public_form(&state.app, key).await {
        Ok(f) => f,
        Err(e) => return refused_page(t, key, &e),
    };
    let mut p = page(t, form.form.name.clone(), key);
    p.inputs = inputs(t, &form, posted, &errors);
    let listed: Vec<String> = errors
        .0
        .iter()
        .filter(|e| !p.inputs.iter().any(|i| i.key == e.field))
        .map(|e| format!("{}: {}", e.field, t.field_error(e)))
        .collect();
    let general = t.get("web_forms.invalid").to_string();
    p.general = Some(if listed.is_empty() {
        general
    } else {
        format!("{general} {}", listed.join(" "))
    });
    (StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response()
}

fn thanks(json: bool, t: Tr, key: &str, accepted: &submit::Accepted) -> Response {
    let form = &accepted.form;
    let text = if t.is_zh() {
        &form.thanks_zh
    } else {
        &form.thanks_en
    };
    let text = if text.is_empty() {
        t.get("web_forms.thanks_default").to_string()
    } else {
        text.clone()
    };
    if json {
        // A robot caught by the honeypot is answered like anyone else.
        return (
            StatusCode::CREATED,
            Json(json!({ "accepted": true, "message": text, "redirect_url": form.redirect_url })),
        )
            .into_response();
    }
    if let Some(url) = &form.redirect_url {
        return Redirect::to(url).into_response();
    }
    let mut p = page(t, form.name.clone(), key);
    p.message = Some(text);
    render(&p).into_response()
}
