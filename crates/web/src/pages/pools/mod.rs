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
use crate::views::{render, Chrome};
use crate::AppState;
use app::pools::claims;
use app::pools::PoolView;
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use domain::permissions::ObjectKind;
use serde::Deserialize;
use store::pools::Event;
use uuid::Uuid;

mod settings;

pub fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route("/pools", get(index))
        .route("/pools/{id}", get(show))
        .route("/pools/{id}/assign", post(assign))
        .route(
            "/pools/{id}/settings",
            get(settings::settings).post(settings::save_settings),
        )
        .route("/admin/pools", get(settings::admin).post(settings::create))
        .route("/admin/pools/reasons", post(settings::save_reasons));
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

pub(crate) fn parse_id(raw: &str) -> Result<Uuid, AppError> {
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
        "placed" => e.reason.clone().unwrap_or_default(),
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
pub(crate) struct PageQuery {
    cursor: Option<String>,
    pub(crate) notice: Option<String>,
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
