//! Public pools (公海) pages: a pool's records with a claim button per row and bulk
//! assignment for those who may (`/pools/{id}`), the record page's pool panel (claim, return
//! with a reason, the pool history), the pool's settings (`/pools/{id}/settings`) and the
//! administrators' list of pools and return reasons (`/admin/pools`). Everything calls
//! `app::pools`, like the API.

use super::records::{show_value, Choice, Shown};
use super::{see_other, Form};
use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::pools::claims;
use app::pools::{PoolInput, PoolView};
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use domain::permissions::{role_display_name, Action, ObjectKind};
use serde::Deserialize;
use store::pools::{Event, Pool};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route("/pools", get(index))
        .route("/pools/{id}", get(show))
        .route("/pools/{id}/assign", post(assign))
        .route("/pools/{id}/settings", get(settings).post(save_settings))
        .route("/admin/pools", get(admin).post(create))
        .route("/admin/pools/reasons", post(save_reasons));
    for spec in domain::pools::ALL {
        let Some(object) = domain::objects::spec(spec.object) else {
            continue;
        };
        let records = Router::new()
            .route(&format!("/{}/{{id}}/claim", object.plural), post(claim))
            .route(
                &format!("/{}/{{id}}/return", object.plural),
                post(give_back),
            )
            .layer(Extension(spec.object));
        router = router.merge(records);
    }
    router
}

fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

fn plural(object: ObjectKind) -> &'static str {
    domain::objects::spec(object)
        .map(|s| s.plural)
        .unwrap_or("leads")
}

/// A return reason's name in the reader's language.
fn reason_name(t: Tr, reasons: &[store::pools::Reason], key: &str) -> String {
    reasons
        .iter()
        .find(|r| r.key == key)
        .map(|r| {
            if t.is_zh() {
                r.name_zh.clone()
            } else {
                r.name_en.clone()
            }
        })
        .unwrap_or_else(|| key.to_string())
}

/// A recycling rule (`idle:30`, `stale:60`) as a sentence.
fn rule_text(t: Tr, object: ObjectKind, rule: &str) -> String {
    let (kind, days) = rule.split_once(':').unwrap_or((rule, ""));
    match kind {
        "idle" => t.fmt("pools.rule.idle", &[("days", days)]),
        _ => t.fmt(
            &format!("pools.rule.stale.{}", object.key()),
            &[("days", days)],
        ),
    }
}

/// One line of a record's pool history.
pub fn event_text(
    t: Tr,
    object: ObjectKind,
    reasons: &[store::pools::Reason],
    e: &Event,
) -> String {
    let time = t.time(e.at);
    let actor = e.actor_name.clone().unwrap_or_default();
    let reason = match e.kind.as_str() {
        "returned" => e
            .reason
            .as_deref()
            .map(|r| reason_name(t, reasons, r))
            .unwrap_or_default(),
        "recycled" => e
            .reason
            .as_deref()
            .map(|r| rule_text(t, object, r))
            .unwrap_or_default(),
        _ => String::new(),
    };
    t.fmt(
        &format!("pools.event.{}", e.kind),
        &[
            ("time", &time),
            ("user", &e.user_name),
            ("pool", &e.pool_name),
            ("actor", &actor),
            ("reason", &reason),
        ],
    )
}

/// The pool panel of a lead's or an account's record page.
pub struct PoolPanel {
    pub base: String,
    pub status: Option<String>,
    pub can_claim: bool,
    pub can_return: bool,
    pub reasons: Vec<Choice>,
    pub events: Vec<String>,
}

pub async fn pool_panel(
    state: &AppState,
    user: &Signed,
    object: ObjectKind,
    id: Uuid,
) -> Option<PoolPanel> {
    domain::pools::spec(object)?;
    let t = user.ctx.tr;
    let standing = claims::standing(&state.app, &user.actor, object, id)
        .await
        .ok()?;
    let reasons = app::pools::reasons(&state.app, &user.actor).await.ok()?;
    let status = match (&standing.pool, &standing.holding_pool, &standing.holding) {
        (Some(p), _, _) => Some(t.fmt("pools.in_pool", &[("pool", &p.name)])),
        (None, Some(p), Some(h)) if h.protected_until > state.app.now() => Some(t.fmt(
            "pools.held_from",
            &[("pool", &p.name), ("until", &t.time(h.protected_until))],
        )),
        _ => None,
    };
    Some(PoolPanel {
        base: format!("/{}/{id}", plural(object)),
        status,
        can_claim: standing.can_claim,
        can_return: standing.can_return,
        reasons: reasons
            .iter()
            .filter(|r| r.active)
            .map(|r| Choice {
                value: r.key.clone(),
                label: reason_name(t, &reasons, &r.key),
            })
            .collect(),
        events: standing
            .events
            .iter()
            .map(|e| event_text(t, object, &reasons, e))
            .collect(),
    })
}

#[derive(Deserialize, Default)]
pub struct FromQuery {
    from: Option<String>,
}

async fn claim(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: Signed,
    Path(id): Path<String>,
    Query(q): Query<FromQuery>,
) -> Response {
    let t = user.ctx.tr;
    let result = async {
        let rid = parse_id(&id)?;
        claims::claim(&state.app, &user.actor, object, rid).await?;
        Ok::<_, AppError>(rid)
    }
    .await;
    match result {
        Ok(rid) => {
            let target = match q.from.as_deref().and_then(|f| Uuid::parse_str(f).ok()) {
                Some(pool) => format!("/pools/{pool}?notice=pool_claimed"),
                None => format!("/{}/{rid}?notice=pool_claimed", plural(object)),
            };
            see_other(user.ctx.htmx, &target)
        }
        Err(e) => page_error(t, e),
    }
}

#[derive(Deserialize)]
struct ReturnForm {
    reason: Option<String>,
}

async fn give_back(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<ReturnForm>,
) -> Response {
    let t = user.ctx.tr;
    let result = async {
        let rid = parse_id(&id)?;
        claims::give_back(&state.app, &user.actor, object, rid, form.reason.as_deref()).await?;
        Ok::<_, AppError>(rid)
    }
    .await;
    match result {
        Ok(rid) => {
            // Back to the record when the returner still sees it (a member of its pool).
            let target = match claims::standing(&state.app, &user.actor, object, rid).await {
                Ok(_) => format!("/{}/{rid}?notice=pool_returned", plural(object)),
                Err(_) => format!("/{}?notice=pool_returned", plural(object)),
            };
            see_other(user.ctx.htmx, &target)
        }
        Err(e) => page_error(t, e),
    }
}

/// A pool tab of the pools page.
pub struct Tab {
    pub href: String,
    pub label: String,
    pub current: bool,
}

pub struct Row {
    pub id: Uuid,
    pub href: String,
    pub name: String,
    pub cells: Vec<Shown>,
    pub last_owner: String,
    pub since: String,
}

pub struct StatRow {
    pub name: String,
    pub claimed: i64,
    pub assigned: i64,
    pub returned: i64,
    pub recycled: i64,
    pub reasons: String,
    pub days_held: String,
}

#[derive(Template)]
#[template(path = "pools/show.html")]
struct PoolPage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    pool_id: Uuid,
    pool_name: String,
    plural: &'static str,
    headers: Vec<String>,
    rows: Vec<Row>,
    next: Option<String>,
    can_assign: bool,
    can_administer: bool,
    users: Vec<Choice>,
    stats: Vec<StatRow>,
}

fn tabs(t: Tr, pools: &[PoolView], current: Option<Uuid>) -> Vec<Tab> {
    pools
        .iter()
        .map(|v| Tab {
            href: format!("/pools/{}", v.pool.id),
            label: format!("{} · {}", t.key("object.", &v.pool.object), v.pool.name),
            current: Some(v.pool.id) == current,
        })
        .collect()
}

#[derive(Deserialize, Default)]
struct ObjectQuery {
    object: Option<String>,
}

async fn index(
    State(state): State<AppState>,
    user: Signed,
    Query(q): Query<ObjectQuery>,
) -> Response {
    let t = user.ctx.tr;
    let object = q.object.as_deref().and_then(ObjectKind::parse);
    match app::pools::list(&state.app, &user.actor, object).await {
        Ok(pools) => match pools.first() {
            Some(first) => Redirect::to(&format!("/pools/{}", first.pool.id)).into_response(),
            None => page_error(t, AppError::NotFound),
        },
        Err(e) => page_error(t, e),
    }
}

#[derive(Deserialize, Default)]
struct PageQuery {
    cursor: Option<String>,
    notice: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let t = user.ctx.tr;
    match pool_page(&state, &user, &id, &q).await {
        Ok(page) => render(&page).into_response(),
        Err(e) => page_error(t, e),
    }
}

async fn pool_page(
    state: &AppState,
    user: &Signed,
    id: &str,
    q: &PageQuery,
) -> Result<PoolPage, AppError> {
    let t = user.ctx.tr;
    let pool_id = parse_id(id)?;
    let (view, page) = app::pools::records(
        &state.app,
        &user.actor,
        pool_id,
        q.cursor.as_deref(),
        Some(50),
    )
    .await?;
    let object = view.pool.kind().ok_or(AppError::NotFound)?;
    let spec = domain::pools::spec(object).ok_or(AppError::NotFound)?;
    let columns: Vec<_> = spec
        .columns
        .iter()
        .filter_map(|k| page.fields.field(k))
        .collect();
    let owner = page.fields.field("owner_id");
    let mut headers = vec![t.get("field.name").to_string()];
    headers.extend(columns.iter().map(|f| super::records::label(t, f)));
    let names = &page.names;
    let mut rows = Vec::new();
    for r in &page.records {
        let last_owner = match (owner, r.values.get("owner_id")) {
            (Some(f), v) => show_value(t, f, v, names).text,
            _ => String::new(),
        };
        rows.push(Row {
            id: r.id,
            href: format!("/{}/{}", plural(object), r.id),
            name: r.name().to_string(),
            cells: columns
                .iter()
                .map(|f| show_value(t, f, r.values.get(&f.key), names))
                .collect(),
            last_owner,
            since: t.time(r.updated_at),
        });
    }
    let pools = app::pools::list(&state.app, &user.actor, None).await?;
    let users = if view.access.assign {
        app::sharing::grantees(&state.app, &user.actor)
            .await?
            .users
            .into_iter()
            .map(|(id, name)| Choice {
                value: id.to_string(),
                label: name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let stats = app::pools::stats::get(&state.app, &user.actor, pool_id, None).await?;
    let reasons = app::pools::reasons(&state.app, &user.actor).await?;
    let stat_row = |name: String, s: &app::pools::stats::RepStats| StatRow {
        name,
        claimed: s.claimed,
        assigned: s.assigned,
        returned: s.returned,
        recycled: s.recycled,
        reasons: s
            .by_reason
            .iter()
            .map(|(k, n)| {
                let label = match k.as_str() {
                    "idle" | "stale" => rule_text(t, object, &format!("{k}:N")),
                    _ => reason_name(t, &reasons, k),
                };
                format!("{label} {n}")
            })
            .collect::<Vec<_>>()
            .join("、"),
        days_held: s
            .average_days_held
            .map(|d| format!("{d:.1}"))
            .unwrap_or_else(|| "—".into()),
    };
    let mut stat_rows: Vec<StatRow> = stats
        .reps
        .iter()
        .map(|r| stat_row(r.name.clone(), r))
        .collect();
    if !stat_rows.is_empty() {
        stat_rows.push(stat_row(
            t.get("pools.stats.total").to_string(),
            &stats.total,
        ));
    }
    Ok(PoolPage {
        chrome: Chrome::new(&user.ctx, "pools").with_notice(q.notice.as_deref()),
        tabs: tabs(t, &pools, Some(pool_id)),
        pool_id,
        pool_name: view.pool.name.clone(),
        plural: plural(object),
        headers,
        rows,
        next: page.next_cursor,
        can_assign: view.access.assign,
        can_administer: view.access.administer,
        users,
        stats: stat_rows,
    })
}

async fn assign(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let t = user.ctx.tr;
    let result = async {
        let pool = parse_id(&id)?;
        let ids: Vec<Uuid> = form
            .iter()
            .filter(|(k, _)| k == "ids")
            .map(|(_, v)| parse_id(v))
            .collect::<Result<_, _>>()?;
        let owner = form
            .iter()
            .find(|(k, _)| k == "owner_id")
            .map(|(_, v)| v.as_str());
        let n = claims::assign(&state.app, &user.actor, pool, &ids, owner).await?;
        Ok::<_, AppError>((pool, n))
    }
    .await;
    match result {
        Ok((pool, _)) => see_other(
            user.ctx.htmx,
            &format!("/pools/{pool}?notice=pool_assigned"),
        ),
        Err(e) => page_error(t, e),
    }
}

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

async fn settings(State(state): State<AppState>, user: Signed, Path(id): Path<String>) -> Response {
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

async fn save_settings(
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

async fn admin(
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

async fn create(
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

async fn save_reasons(
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
