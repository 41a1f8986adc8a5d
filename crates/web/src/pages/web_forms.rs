//! Web forms (网站表单) in the administration (`/admin/web-forms`): the company's forms with
//! their counts, activate/deactivate and delete; a form per web form with its lead fields
//! (picked from the lead's fields, with labels in both languages), where its leads go, the
//! thank-you text or redirect and the abuse limits; and the HTML snippet to paste into the
//! company website — `app::web_forms`.

use crate::error::page_error;
use crate::i18n::{Lang, Tr};
use crate::pages::pools::parse_id;
use crate::pages::records::Choice;
use crate::pages::settings_admin::{
    self, mark, show, shows_form_again, version_of, AdminPages, Options, Pairs,
};
use crate::pages::web_form_public::{input_kind, label_of, options_of};
use crate::pages::{see_other, Form};
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::settings;
use app::web_forms::FormInput;
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use domain::fields::FieldDef;
use domain::permissions::ObjectKind;
use domain::web_forms::{FormField, DEFAULT_RATE_LIMIT, HONEYPOT, LANG_FIELD};
use serde::Deserialize;
use store::web_forms::WebForm;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    settings_admin::row_routes::<WebForm>()
        .route("/admin/web-forms", get(index).post(create))
        .route("/admin/web-forms/new", get(new_form))
        .route("/admin/web-forms/{id}", get(edit_form).post(update))
}

/// Empty field rows a form offers beyond its own.
const SPARE_ROWS: usize = 4;

struct FormRow {
    id: Uuid,
    name: String,
    target: String,
    submissions: i64,
    spam: i64,
    active: bool,
    version: i64,
}

#[derive(Template)]
#[template(path = "admin/web_forms.html")]
struct IndexPage {
    chrome: Chrome,
    forms: Vec<FormRow>,
}

#[derive(Deserialize)]
struct IndexQuery {
    notice: Option<String>,
}

async fn index(
    State(state): State<AppState>,
    user: Signed,
    Query(q): Query<IndexQuery>,
) -> Response {
    let t = user.ctx.tr;
    let forms = match settings::list::<WebForm>(&state.app, &user.actor).await {
        Ok(f) => f,
        Err(e) => return page_error(t, e),
    };
    let targets = match target_choices(&state, &user).await {
        Ok(c) => c,
        Err(e) => return page_error(t, e),
    };
    let rows = forms
        .iter()
        .map(|f| FormRow {
            id: f.id,
            name: f.name.clone(),
            target: targets
                .iter()
                .find(|c| c.value == f.target)
                .map(|c| c.label.clone())
                .unwrap_or_else(|| f.target.clone()),
            submissions: f.submissions,
            spam: f.spam,
            active: f.active,
            version: f.version,
        })
        .collect();
    let page = IndexPage {
        chrome: Chrome::new(&user.ctx, "admin").with_notice(q.notice.as_deref()),
        forms: rows,
    };
    render(&page).into_response()
}

/// The form's values as text, from a web form or as posted.
#[derive(Default)]
struct Draft {
    name: String,
    active: bool,
    fields: Vec<FormField>,
    target: String,
    owner_id: String,
    source: String,
    thanks_zh: String,
    thanks_en: String,
    redirect_url: String,
    allowed_origins: String,
    rate_limit: String,
}

impl Draft {
    fn of(f: &WebForm) -> Draft {
        Draft {
            name: f.name.clone(),
            active: f.active,
            fields: f.fields.0.clone(),
            target: f.target.clone(),
            owner_id: f.owner_id.to_string(),
            source: f.source.clone().unwrap_or_default(),
            thanks_zh: f.thanks_zh.clone(),
            thanks_en: f.thanks_en.clone(),
            redirect_url: f.redirect_url.clone().unwrap_or_default(),
            allowed_origins: f.allowed_origins.0.join("\n"),
            rate_limit: f.rate_limit.to_string(),
        }
    }

    fn posted(form: &Pairs) -> Draft {
        let one = |k: &str| {
            form.iter()
                .rev()
                .find(|(f, _)| f == k)
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default()
        };
        let all = |k: &str| -> Vec<String> {
            form.iter()
                .filter(|(f, _)| f == k)
                .map(|(_, v)| v.trim().to_string())
                .collect()
        };
        let (keys, zh, en, required) = (all("fk"), all("fz"), all("fe"), all("fr"));
        let fields = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| !k.is_empty())
            .map(|(i, k)| FormField {
                key: k.clone(),
                label_zh: zh.get(i).cloned().unwrap_or_default(),
                label_en: en.get(i).cloned().unwrap_or_default(),
                required: required.get(i).is_some_and(|r| r == "true"),
            })
            .collect();
        Draft {
            name: one("name"),
            active: one("active") == "true",
            fields,
            target: one("target"),
            owner_id: one("owner_id"),
            source: one("source"),
            thanks_zh: one("thanks_zh"),
            thanks_en: one("thanks_en"),
            redirect_url: one("redirect_url"),
            allowed_origins: one("allowed_origins"),
            rate_limit: one("rate_limit"),
        }
    }

    fn input(&self) -> Result<FormInput, AppError> {
        let rate_limit = if self.rate_limit.is_empty() {
            DEFAULT_RATE_LIMIT
        } else {
            self.rate_limit.parse::<i64>().map_err(|_| {
                let mut e = domain::FieldErrors::new();
                e.add_limit(
                    "rate_limit",
                    "out_of_range",
                    domain::web_forms::MAX_RATE_LIMIT,
                );
                AppError::Validation(e)
            })?
        };
        Ok(FormInput {
            name: Some(self.name.clone()),
            active: Some(self.active),
            fields: Some(self.fields.clone()),
            target: Some(self.target.clone()),
            owner_id: Some(self.owner_id.clone()),
            source: Some(self.source.clone()),
            thanks_zh: Some(self.thanks_zh.clone()),
            thanks_en: Some(self.thanks_en.clone()),
            redirect_url: Some(self.redirect_url.clone()),
            allowed_origins: Some(
                self.allowed_origins
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            rate_limit: Some(rate_limit),
        })
    }
}

/// One row of the field picker.
struct FieldRow {
    keys: Options,
    label_zh: String,
    label_en: String,
    required: bool,
    /// The row's field was refused (unknown, twice, not for a public form).
    invalid: bool,
}

#[derive(Template)]
#[template(path = "admin/web_form_form.html")]
struct FormPage {
    chrome: Chrome,
    id: Option<Uuid>,
    version: i64,
    name: String,
    active: bool,
    rows: Vec<FieldRow>,
    targets: Options,
    owners: Options,
    sources: Options,
    thanks_zh: String,
    thanks_en: String,
    redirect_url: String,
    allowed_origins: String,
    rate_limit: String,
    /// The public address and the snippet in the chosen language (saved forms only).
    public_url: String,
    snippet: String,
    snippet_zh: bool,
    errors: FormErrors,
}

/// Where a form's leads may go: the company's rules, one rule, or a lead pool.
async fn target_choices(state: &AppState, user: &Signed) -> Result<Vec<Choice>, AppError> {
    let t = user.ctx.tr;
    let mut choices = vec![Choice {
        value: "rules".into(),
        label: t.get("web_forms.target_rules").into(),
    }];
    for r in settings::list::<store::assignment::Rule>(&state.app, &user.actor).await? {
        choices.push(Choice {
            value: format!("rule:{}", r.id),
            label: t.fmt("web_forms.target_rule", &[("name", &r.name)]),
        });
    }
    for p in app::pools::list(&state.app, &user.actor, Some(ObjectKind::Lead)).await? {
        choices.push(Choice {
            value: format!("pool:{}", p.pool.id),
            label: t.fmt("web_forms.target_pool", &[("name", &p.pool.name)]),
        });
    }
    Ok(choices)
}

/// The address forms post to: `--public-url` when given, else the address this page was
/// asked for.
fn public_base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = state.app.mail.link("") {
        return url;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    let scheme = if state.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The self-contained HTML a company pastes into its website: the fields with their labels
/// in `t`'s language, the honeypot hidden by CSS, no script.
fn snippet(t: Tr, action: &str, form: &WebForm, defs: &[FieldDef]) -> String {
    let mut out = format!(
        "<form method=\"post\" action=\"{}\" accept-charset=\"utf-8\">\n  <input type=\"hidden\" name=\"{LANG_FIELD}\" value=\"{}\">\n",
        escape(action),
        t.lang_code()
    );
    for f in &form.fields.0 {
        let def = defs.iter().find(|d| d.key == f.key);
        let label = escape(&label_of(t, f, def));
        let key = escape(&f.key);
        let required = if f.required { " required" } else { "" };
        let star = if f.required { " *" } else { "" };
        let control = match def.map(input_kind).unwrap_or("text") {
            "textarea" => format!("<textarea name=\"{key}\" rows=\"4\"{required}></textarea>"),
            "select" => {
                let options: String = def
                    .map(|d| options_of(t, d))
                    .unwrap_or_default()
                    .iter()
                    .map(|(v, l)| format!("<option value=\"{}\">{}</option>", escape(v), escape(l)))
                    .collect();
                format!("<select name=\"{key}\"{required}><option value=\"\"></option>{options}</select>")
            }
            kind => format!("<input type=\"{kind}\" name=\"{key}\"{required}>"),
        };
        out.push_str(&format!(
            "  <p><label>{label}{star}<br>{control}</label></p>\n"
        ));
    }
    out.push_str(&format!(
        "  <div style=\"display:none\"><label>{} <input type=\"text\" name=\"{HONEYPOT}\" tabindex=\"-1\" autocomplete=\"off\"></label></div>\n  <p><button type=\"submit\">{}</button></p>\n</form>\n",
        escape(t.get("web_forms.honeypot_label")),
        escape(t.get("web_forms.submit"))
    ));
    out
}

struct Shown<'a> {
    id: Option<(Uuid, i64)>,
    saved: Option<&'a WebForm>,
    snippet_lang: Lang,
}

async fn form_page(
    state: &AppState,
    user: &Signed,
    headers: &HeaderMap,
    shown: Shown<'_>,
    d: &Draft,
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    let t = user.ctx.tr;
    let fields = app::records::object_fields(&state.app, &user.actor, ObjectKind::Lead).await?;
    let collectable: Vec<FieldDef> = fields
        .all()
        .into_iter()
        .filter(|f| domain::web_forms::is_collectable(f))
        .cloned()
        .collect();
    let none = Choice {
        value: String::new(),
        label: t.get("web_forms.no_field").into(),
    };
    let field_choices: Vec<Choice> = std::iter::once(none)
        .chain(collectable.iter().map(|f| Choice {
            value: f.key.clone(),
            label: if t.is_zh() {
                f.label_zh.clone()
            } else {
                f.label_en.clone()
            },
        }))
        .collect();
    let blank = FormField {
        key: String::new(),
        label_zh: String::new(),
        label_en: String::new(),
        required: false,
    };
    let rows = d
        .fields
        .iter()
        .chain(std::iter::repeat_n(&blank, SPARE_ROWS))
        .enumerate()
        .map(|(i, f)| FieldRow {
            keys: mark(&field_choices, &f.key),
            label_zh: f.label_zh.clone(),
            label_en: f.label_en.clone(),
            required: f.required,
            invalid: errors.has(&format!("fields.{i}.key")),
        })
        .collect();
    let g = app::sharing::grantees(&state.app, &user.actor).await?;
    let owners: Vec<Choice> = g
        .users
        .iter()
        .map(|(id, n)| Choice {
            value: id.to_string(),
            label: n.clone(),
        })
        .collect();
    let sources: Vec<Choice> = std::iter::once(Choice {
        value: String::new(),
        label: t.get("web_forms.no_source").into(),
    })
    .chain(
        fields
            .field("source")
            .map(|f| f.options.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|o| o.active)
            .map(|o| Choice {
                value: o.key.clone(),
                label: if t.is_zh() { o.label_zh } else { o.label_en },
            }),
    )
    .collect();
    let owner = if d.owner_id.is_empty() {
        user.actor.id().to_string()
    } else {
        d.owner_id.clone()
    };
    let target = if d.target.is_empty() {
        "rules"
    } else {
        d.target.as_str()
    };
    let (public_url, snippet_text) = match shown.saved {
        Some(saved) => {
            let url = format!("{}/f/{}", public_base(state, headers), saved.public_key);
            let defs: Vec<FieldDef> = fields.all().into_iter().cloned().collect();
            let text = snippet(Tr::new(shown.snippet_lang), &url, saved, &defs);
            (url, text)
        }
        None => (String::new(), String::new()),
    };
    Ok(FormPage {
        chrome: Chrome::new(&user.ctx, "admin"),
        id: shown.id.map(|(i, _)| i),
        version: shown.id.map(|(_, v)| v).unwrap_or(0),
        name: d.name.clone(),
        active: d.active,
        rows,
        targets: mark(&target_choices(state, user).await?, target),
        owners: mark(&owners, &owner),
        sources: mark(&sources, &d.source),
        thanks_zh: d.thanks_zh.clone(),
        thanks_en: d.thanks_en.clone(),
        redirect_url: d.redirect_url.clone(),
        allowed_origins: d.allowed_origins.clone(),
        rate_limit: d.rate_limit.clone(),
        public_url,
        snippet: snippet_text,
        snippet_zh: shown.snippet_lang == Lang::Zh,
        errors,
    })
}

async fn new_form(State(state): State<AppState>, user: Signed, headers: HeaderMap) -> Response {
    if let Err(e) = settings::list::<WebForm>(&state.app, &user.actor).await {
        return page_error(user.ctx.tr, e);
    }
    let draft = Draft {
        active: true,
        source: domain::web_forms::DEFAULT_SOURCE.into(),
        rate_limit: DEFAULT_RATE_LIMIT.to_string(),
        fields: ["name", "company", "mobile", "email"]
            .iter()
            .map(|k| FormField {
                key: (*k).into(),
                label_zh: String::new(),
                label_en: String::new(),
                required: *k == "name",
            })
            .collect(),
        ..Draft::default()
    };
    let shown = Shown {
        id: None,
        saved: None,
        snippet_lang: user.ctx.tr.lang,
    };
    let page = form_page(
        &state,
        &user,
        &headers,
        shown,
        &draft,
        FormErrors::default(),
    )
    .await;
    show(page, StatusCode::OK, &user)
}

#[derive(Deserialize)]
struct EditQuery {
    snippet_lang: Option<String>,
    notice: Option<String>,
}

async fn edit_form(
    State(state): State<AppState>,
    user: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<EditQuery>,
) -> Response {
    let result = async {
        let form = settings::get::<WebForm>(&state.app, &user.actor, parse_id(&id)?).await?;
        let shown = Shown {
            id: Some((form.id, form.version)),
            saved: Some(&form),
            snippet_lang: q
                .snippet_lang
                .as_deref()
                .and_then(Lang::parse)
                .unwrap_or(user.ctx.tr.lang),
        };
        let mut page = form_page(
            &state,
            &user,
            &headers,
            shown,
            &Draft::of(&form),
            FormErrors::default(),
        )
        .await?;
        page.chrome = page.chrome.with_notice(q.notice.as_deref());
        Ok(page)
    }
    .await;
    show(result, StatusCode::OK, &user)
}

/// A refused save: the form again with what was posted and the errors.
async fn refused(
    state: &AppState,
    user: &Signed,
    headers: &HeaderMap,
    id: Option<(Uuid, i64)>,
    draft: &Draft,
    e: AppError,
) -> Response {
    match e {
        e if shows_form_again(&e) => {
            let errors = FormErrors::from_app(user.ctx.tr, &e);
            let shown = Shown {
                id,
                saved: None,
                snippet_lang: user.ctx.tr.lang,
            };
            let page = form_page(state, user, headers, shown, draft, errors).await;
            show(page, crate::error::status_of(&e), user)
        }
        other => page_error(user.ctx.tr, other),
    }
}

async fn create(
    State(state): State<AppState>,
    user: Signed,
    headers: HeaderMap,
    Form(form): Form<Pairs>,
) -> Response {
    let draft = Draft::posted(&form);
    let result = async {
        let input = draft.input()?;
        settings::create::<WebForm>(&state.app, &user.actor, &input).await
    }
    .await;
    match result {
        // The snippet is on the saved form's page.
        Ok(id) => see_other(
            user.ctx.htmx,
            &format!("/admin/web-forms/{id}?notice=web_form_saved"),
        ),
        Err(e) => refused(&state, &user, &headers, None, &draft, e).await,
    }
}

async fn update(
    State(state): State<AppState>,
    user: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> Response {
    let Ok(id) = parse_id(&id) else {
        return page_error(user.ctx.tr, AppError::NotFound);
    };
    let draft = Draft::posted(&form);
    let version = version_of(&form);
    let result = async {
        let input = draft.input()?;
        settings::update::<WebForm>(&state.app, &user.actor, id, version, &input).await
    }
    .await;
    match result {
        Ok(_) => see_other(user.ctx.htmx, "/admin/web-forms?notice=web_form_saved"),
        Err(e) => refused(&state, &user, &headers, Some((id, version)), &draft, e).await,
    }
}

impl AdminPages for WebForm {
    const LIST: &'static str = "/admin/web-forms";
    const SAVED: &'static str = "web_form_saved";
    const DELETED: &'static str = "web_form_deleted";
}
