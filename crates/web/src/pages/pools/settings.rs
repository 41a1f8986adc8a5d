//! A pool's settings (`/pools/{id}/settings`, its administrators) and the administrators'
//! list of pools, new pools and return reasons (`/admin/pools`).

use super::{parse_id, PageQuery};
use crate::error::page_error;
use crate::pages::records::Choice;
use crate::pages::{see_other, Form};
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::pools::PoolInput;
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use domain::permissions::{role_display_name, Action, ObjectKind};
use store::pools::Pool;

/// A pool's settings form (its administrators), also the admin page's "new pool" form.
#[derive(Template)]
#[template(path = "pools/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    pool: Option<Pool>,
    object: String,
    open_to_all: bool,
    /// (field, label, value, whether a text rather than a number)
    inputs: Vec<(&'static str, String, String, bool)>,
    members: Vec<(String, Vec<(Choice, bool)>)>,
    admins: Vec<(Choice, bool)>,
    can_edit_admins: bool,
    errors: FormErrors,
}

#[derive(Default)]
struct Values {
    name: String,
    open_to_all: bool,
    claims_per_day: String,
    max_held: String,
    protection_days: String,
    idle_days: String,
    stale_days: String,
    remind_days: String,
    no_reclaim_days: String,
}

fn values_of(p: &Pool) -> Values {
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    Values {
        name: p.name.clone(),
        open_to_all: p.open_to_all,
        claims_per_day: opt(p.claims_per_day),
        max_held: opt(p.max_held),
        protection_days: p.protection_days.to_string(),
        idle_days: opt(p.idle_days),
        stale_days: opt(p.stale_days),
        remind_days: p.remind_days.to_string(),
        no_reclaim_days: p.no_reclaim_days.to_string(),
    }
}

fn values_from(form: &[(String, String)]) -> Values {
    let get = |k: &str| {
        form.iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    Values {
        name: get("name"),
        open_to_all: form.iter().any(|(k, _)| k == "open_to_all"),
        claims_per_day: get("claims_per_day"),
        max_held: get("max_held"),
        protection_days: get("protection_days"),
        idle_days: get("idle_days"),
        stale_days: get("stale_days"),
        remind_days: get("remind_days"),
        no_reclaim_days: get("no_reclaim_days"),
    }
}

async fn settings_page(
    state: &AppState,
    user: &Signed,
    pool: Option<Pool>,
    object: ObjectKind,
    values: Values,
    chosen: Option<(Vec<String>, Vec<String>)>,
    errors: FormErrors,
) -> Result<SettingsPage, AppError> {
    let t = user.ctx.tr;
    let g = app::sharing::grantees(&state.app, &user.actor).await?;
    let (members, admins) = match (&chosen, &pool) {
        (Some(c), _) => c.clone(),
        (None, Some(p)) => {
            let d = app::pools::get(&state.app, &user.actor, p.id).await?;
            let members = d
                .members
                .iter()
                .filter_map(|m| m.grantee())
                .map(|g| match g {
                    store::sharing::Grantee::User(id) => format!("user:{id}"),
                    store::sharing::Grantee::Department(id) => format!("department:{id}"),
                    store::sharing::Grantee::Role(id) => format!("role:{id}"),
                })
                .collect();
            (
                members,
                d.admins
                    .iter()
                    .map(|(id, _)| format!("user:{id}"))
                    .collect(),
            )
        }
        (None, None) => (Vec::new(), Vec::new()),
    };
    let pick = |value: String, label: String, list: &[String]| {
        let on = list.contains(&value);
        (Choice { value, label }, on)
    };
    let groups = vec![
        (
            t.get("sharing.grantee.user").to_string(),
            g.users
                .iter()
                .map(|(id, n)| pick(format!("user:{id}"), n.clone(), &members))
                .collect(),
        ),
        (
            t.get("sharing.grantee.department").to_string(),
            g.departments
                .iter()
                .map(|(id, n)| pick(format!("department:{id}"), n.clone(), &members))
                .collect(),
        ),
        (
            t.get("sharing.grantee.role").to_string(),
            g.roles
                .iter()
                .map(|(id, n, key)| {
                    pick(
                        format!("role:{id}"),
                        role_display_name(key.as_deref(), n, t.is_zh()).to_string(),
                        &members,
                    )
                })
                .collect(),
        ),
    ];
    let stale = t
        .get(&format!("pools.stale_days.{}", object.key()))
        .to_string();
    let l = |k: &str| t.get(&format!("pools.{k}")).to_string();
    let inputs = vec![
        ("name", l("name"), values.name.clone(), true),
        (
            "claims_per_day",
            l("claims_per_day"),
            values.claims_per_day.clone(),
            false,
        ),
        ("max_held", l("max_held"), values.max_held.clone(), false),
        (
            "protection_days",
            l("protection_days"),
            values.protection_days.clone(),
            false,
        ),
        ("idle_days", l("idle_days"), values.idle_days.clone(), false),
        ("stale_days", stale, values.stale_days.clone(), false),
        (
            "remind_days",
            l("remind_days"),
            values.remind_days.clone(),
            false,
        ),
        (
            "no_reclaim_days",
            l("no_reclaim_days"),
            values.no_reclaim_days.clone(),
            false,
        ),
    ];
    Ok(SettingsPage {
        chrome: Chrome::new(&user.ctx, "pools"),
        object: object.key().to_string(),
        open_to_all: values.open_to_all,
        inputs,
        members: groups,
        admins: g
            .users
            .iter()
            .map(|(id, n)| pick(format!("user:{id}"), n.clone(), &admins))
            .collect(),
        can_edit_admins: user
            .actor
            .principal
            .can(ObjectKind::Org, Action::Administer),
        pool,
        errors,
    })
}

pub(super) async fn settings(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
) -> Response {
    let t = user.ctx.tr;
    let result = async {
        let d = app::pools::get(&state.app, &user.actor, parse_id(&id)?).await?;
        if !d.access.administer {
            return Err(AppError::Forbidden);
        }
        let object = d.pool.kind().ok_or(AppError::NotFound)?;
        let values = values_of(&d.pool);
        settings_page(
            &state,
            &user,
            Some(d.pool),
            object,
            values,
            None,
            FormErrors::default(),
        )
        .await
    }
    .await;
    match result {
        Ok(page) => render(&page).into_response(),
        Err(e) => page_error(t, e),
    }
}

/// The form's values as a change of every setting (an empty limit or rule is "none").
fn input_from(form: &[(String, String)], v: &Values) -> Result<PoolInput, AppError> {
    let mut errors = domain::FieldErrors::new();
    let mut num = |key: &str, s: &str| -> Option<i64> {
        if s.is_empty() {
            return None;
        }
        match s.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.add(key, "out_of_range");
                None
            }
        }
    };
    let input = PoolInput {
        object: None,
        name: Some(v.name.clone()),
        open_to_all: Some(v.open_to_all),
        claims_per_day: Some(num("claims_per_day", &v.claims_per_day)),
        max_held: Some(num("max_held", &v.max_held)),
        protection_days: Some(num("protection_days", &v.protection_days).unwrap_or(0)),
        idle_days: Some(num("idle_days", &v.idle_days)),
        stale_days: Some(num("stale_days", &v.stale_days)),
        remind_days: Some(num("remind_days", &v.remind_days).unwrap_or(0)),
        no_reclaim_days: Some(num("no_reclaim_days", &v.no_reclaim_days).unwrap_or(0)),
        members: Some(
            form.iter()
                .filter(|(k, _)| k == "members")
                .map(|(_, v)| v.clone())
                .collect(),
        ),
        admins: None,
    };
    errors.into_result()?;
    Ok(input)
}

fn chosen(form: &[(String, String)]) -> (Vec<String>, Vec<String>) {
    let all = |key: &str| {
        form.iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    };
    (all("members"), all("admins"))
}

pub(super) async fn save_settings(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let t = user.ctx.tr;
    let Ok(pool_id) = parse_id(&id) else {
        return page_error(t, AppError::NotFound);
    };
    let values = values_from(&form);
    let version = form
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .unwrap_or(0);
    let result = async {
        let mut input = input_from(&form, &values)?;
        if user
            .actor
            .principal
            .can(ObjectKind::Org, Action::Administer)
        {
            input.admins = Some(chosen(&form).1);
        }
        app::pools::update(&state.app, &user.actor, pool_id, version, &input).await
    }
    .await;
    match result {
        Ok(()) => see_other(
            user.ctx.htmx,
            &format!("/pools/{pool_id}?notice=pool_saved"),
        ),
        Err(e @ (AppError::Validation(_) | AppError::Conflict)) => {
            let page = async {
                let d = app::pools::get(&state.app, &user.actor, pool_id).await?;
                let object = d.pool.kind().ok_or(AppError::NotFound)?;
                settings_page(
                    &state,
                    &user,
                    Some(d.pool),
                    object,
                    values,
                    Some(chosen(&form)),
                    FormErrors::from_app(t, &e),
                )
                .await
            }
            .await;
            match page {
                Ok(p) => (axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response(),
                Err(e) => page_error(t, e),
            }
        }
        Err(e) => page_error(t, e),
    }
}

/// The administrators' page: every pool, a new pool, the return reasons.
#[derive(Template)]
#[template(path = "pools/admin.html")]
struct AdminPage {
    chrome: Chrome,
    pools: Vec<(String, String, String, String)>,
    reasons: Vec<store::pools::Reason>,
    errors: FormErrors,
    new_name: String,
}

async fn admin_page(
    state: &AppState,
    user: &Signed,
    errors: FormErrors,
    new_name: String,
    notice: Option<&str>,
) -> Result<AdminPage, AppError> {
    user.actor.require(ObjectKind::Org, Action::Administer)?;
    let t = user.ctx.tr;
    let pools = app::pools::list(&state.app, &user.actor, None).await?;
    Ok(AdminPage {
        chrome: Chrome::new(&user.ctx, "admin").with_notice(notice),
        pools: pools
            .iter()
            .map(|v| {
                let default = if v.pool.is_default {
                    t.get("pools.default").to_string()
                } else {
                    String::new()
                };
                (
                    v.pool.name.clone(),
                    t.key("object.", &v.pool.object),
                    default,
                    format!("/pools/{}/settings", v.pool.id),
                )
            })
            .collect(),
        reasons: app::pools::reasons(&state.app, &user.actor).await?,
        errors,
        new_name,
    })
}

pub(super) async fn admin(
    State(state): State<AppState>,
    user: Signed,
    Query(q): Query<PageQuery>,
) -> Response {
    let t = user.ctx.tr;
    match admin_page(
        &state,
        &user,
        FormErrors::default(),
        String::new(),
        q.notice.as_deref(),
    )
    .await
    {
        Ok(p) => render(&p).into_response(),
        Err(e) => page_error(t, e),
    }
}

pub(super) async fn create(
    State(state): State<AppState>,
    user: Signed,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let t = user.ctx.tr;
    let get = |k: &str| form.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone());
    let input = PoolInput {
        object: get("object"),
        name: get("name"),
        open_to_all: Some(form.iter().any(|(k, _)| k == "open_to_all")),
        ..Default::default()
    };
    match app::pools::create(&state.app, &user.actor, &input).await {
        Ok(id) => see_other(user.ctx.htmx, &format!("/pools/{id}/settings")),
        Err(e @ AppError::Validation(_)) => {
            match admin_page(
                &state,
                &user,
                FormErrors::from_app(t, &e),
                get("name").unwrap_or_default(),
                None,
            )
            .await
            {
                Ok(p) => (axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response(),
                Err(e) => page_error(t, e),
            }
        }
        Err(e) => page_error(t, e),
    }
}

pub(super) async fn save_reasons(
    State(state): State<AppState>,
    user: Signed,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let t = user.ctx.tr;
    // Rows as `key.N`, `zh.N`, `en.N`, `active.N`; a row with an empty key is no row.
    let value = |k: String| {
        form.iter()
            .find(|(f, _)| *f == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut reasons = Vec::new();
    for n in 0..=domain::pools::MAX_REASONS {
        let key = value(format!("key.{n}"));
        if key.trim().is_empty() {
            continue;
        }
        reasons.push(store::pools::Reason {
            key,
            name_zh: value(format!("zh.{n}")),
            name_en: value(format!("en.{n}")),
            active: form.iter().any(|(k, _)| *k == format!("active.{n}")),
        });
    }
    match app::pools::set_reasons(&state.app, &user.actor, &reasons).await {
        Ok(()) => see_other(user.ctx.htmx, "/admin/pools?notice=pool_reasons_saved"),
        Err(e @ AppError::Validation(_)) => match admin_page(
            &state,
            &user,
            FormErrors::from_app(t, &e),
            String::new(),
            None,
        )
        .await
        {
            Ok(p) => (axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response(),
            Err(e) => page_error(t, e),
        },
        Err(e) => page_error(t, e),
    }
}
