//! Lead assignment rules (线索分配) in the administration (`/admin/assignment-rules`: the
//! rules in order with up/down, activate/deactivate and delete; a form per rule with its
//! scope, criteria in the list filter language, method settings and capacity), and the leads
//! list's bulk action (`POST /leads/assign`: re-run the rules, or give the selected leads to
//! one rep) — `app::assignment`.

use crate::error::page_error;
use crate::pages::pools::parse_id;
use crate::pages::records::{build_filter_row, field_choices, Choice, FilterRow};
use crate::pages::settings_admin::{
    self, mark, show, shows_form_again, version_of, AdminPages, Options, Pairs,
};
use crate::pages::{see_other, Form};
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::assignment::bulk::{self, Mode};
use app::assignment::RuleInput;
use app::settings;
use app::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::assignment::{Method, Region};
use domain::permissions::ObjectKind;
use domain::views::FilterSpec;
use serde::Deserialize;
use store::assignment::Rule;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    settings_admin::row_routes::<Rule>()
        .route("/admin/assignment-rules", get(index).post(create))
        .route("/admin/assignment-rules/new", get(new_form))
        .route("/admin/assignment-rules/{id}", get(edit_form).post(update))
        .route("/admin/assignment-rules/{id}/move", post(shift))
        .route("/leads/assign", post(bulk_assign))
}

/// Empty criteria and region rows a form offers beyond the rule's own.
const SPARE_ROWS: usize = 3;

struct RuleRow {
    id: Uuid,
    name: String,
    method: String,
    scope: String,
    active: bool,
    version: i64,
    first: bool,
    last: bool,
}

#[derive(Template)]
#[template(path = "admin/assignment_rules.html")]
struct IndexPage {
    chrome: Chrome,
    rules: Vec<RuleRow>,
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn index(
    State(state): State<AppState>,
    user: Signed,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let t = user.ctx.tr;
    let rules = match settings::list::<Rule>(&state.app, &user.actor).await {
        Ok(r) => r,
        Err(e) => return page_error(t, e),
    };
    let n = rules.len();
    let rows = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut scope = Vec::new();
            if let Some(rt) = &r.record_type {
                scope.push(rt.clone());
            }
            if !r.criteria.0.is_empty() {
                scope.push(t.fmt(
                    "assignment.criteria_count",
                    &[("n", &r.criteria.0.len().to_string())],
                ));
            }
            RuleRow {
                id: r.id,
                name: r.name.clone(),
                method: t.key("assignment.method.", &r.method),
                scope: scope.join(" · "),
                active: r.active,
                version: r.version,
                first: i == 0,
                last: i + 1 == n,
            }
        })
        .collect();
    let page = IndexPage {
        chrome: Chrome::new(&user.ctx, "admin").with_notice(q.notice.as_deref()),
        rules: rows,
    };
    render(&page).into_response()
}

/// The form's values as text, from a rule or as posted.
#[derive(Default)]
struct Draft {
    name: String,
    active: bool,
    method: String,
    record_type: String,
    department_id: String,
    criteria: Vec<FilterSpec>,
    reps: Vec<String>,
    rep: String,
    regions: Vec<Region>,
    pool_id: String,
    max_open: String,
    max_per_day: String,
    fallback_pool_id: String,
}

fn text<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl Draft {
    fn of(r: &Rule) -> Draft {
        let s = &r.settings.0;
        Draft {
            name: r.name.clone(),
            active: r.active,
            method: r.method.clone(),
            record_type: text(r.record_type.as_ref()),
            department_id: text(r.department_id),
            criteria: r.criteria.0.clone(),
            reps: s.reps.iter().map(Uuid::to_string).collect(),
            rep: text(s.rep),
            regions: s.regions.clone(),
            pool_id: text(s.pool_id),
            max_open: text(r.max_open),
            max_per_day: text(r.max_per_day),
            fallback_pool_id: text(r.fallback_pool_id),
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
        let (ff, fo, fv) = (all("ff"), all("fo"), all("fv"));
        let criteria = ff
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.is_empty())
            .map(|(i, f)| FilterSpec {
                field: f.clone(),
                op: fo.get(i).cloned().unwrap_or_default(),
                values: fv
                    .get(i)
                    .map(|v| {
                        v.split(',')
                            .map(|x| x.trim().to_string())
                            .filter(|x| !x.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        let (rp, rt) = (all("rp"), all("rt"));
        let regions = rp
            .iter()
            .zip(rt.iter())
            .filter(|(p, t)| !p.is_empty() || !t.is_empty())
            .map(|(p, t)| Region {
                province: p.clone(),
                target: t.clone(),
            })
            .collect();
        Draft {
            name: one("name"),
            active: one("active") == "true",
            method: one("method"),
            record_type: one("record_type"),
            department_id: one("department_id"),
            criteria,
            reps: all("reps").into_iter().filter(|r| !r.is_empty()).collect(),
            rep: one("rep"),
            regions,
            pool_id: one("pool_id"),
            max_open: one("max_open"),
            max_per_day: one("max_per_day"),
            fallback_pool_id: one("fallback_pool_id"),
        }
    }

    fn input(&self) -> Result<RuleInput, AppError> {
        let mut errors = domain::FieldErrors::new();
        let mut number = |key: &str, s: &str| -> Option<i64> {
            if s.is_empty() {
                return None;
            }
            s.parse::<i64>().ok().or_else(|| {
                errors.add_limit(key, "out_of_range", domain::assignment::MAX_CAPACITY);
                None
            })
        };
        let input = RuleInput {
            name: Some(self.name.clone()),
            active: Some(self.active),
            record_type: Some(self.record_type.clone()),
            department_id: Some(self.department_id.clone()),
            criteria: Some(self.criteria.clone()),
            method: Some(self.method.clone()),
            reps: Some(self.reps.clone()),
            rep: Some(self.rep.clone()),
            regions: Some(self.regions.clone()),
            pool_id: Some(self.pool_id.clone()),
            max_open: Some(number("max_open", &self.max_open)),
            max_per_day: Some(number("max_per_day", &self.max_per_day)),
            fallback_pool_id: Some(self.fallback_pool_id.clone()),
        };
        errors.into_result()?;
        Ok(input)
    }
}

#[derive(Template)]
#[template(path = "admin/assignment_rule_form.html")]
struct FormPage {
    chrome: Chrome,
    plural: &'static str,
    id: Option<Uuid>,
    version: i64,
    name: String,
    active: bool,
    max_open: String,
    max_per_day: String,
    methods: Options,
    record_types: Options,
    departments: Options,
    /// One select per rep of the list, in order, and spare ones.
    reps: Vec<Options>,
    rep: Options,
    pools: Options,
    fallback_pools: Options,
    /// (province choices, target choices) per region line.
    regions: Vec<(Options, Options)>,
    filters: Vec<FilterRow>,
    field_choices: Vec<Choice>,
    errors: FormErrors,
}

async fn form_page(
    state: &AppState,
    user: &Signed,
    id: Option<(Uuid, i64)>,
    d: &Draft,
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    let t = user.ctx.tr;
    let fields = app::records::object_fields(&state.app, &user.actor, ObjectKind::Lead).await?;
    let g = app::sharing::grantees(&state.app, &user.actor).await?;
    let none = Choice {
        value: String::new(),
        label: t.get("assignment.none").to_string(),
    };
    let users: Vec<Choice> = std::iter::once(none.clone())
        .chain(g.users.iter().map(|(id, n)| Choice {
            value: id.to_string(),
            label: n.clone(),
        }))
        .collect();
    let departments: Vec<Choice> = std::iter::once(none.clone())
        .chain(g.departments.iter().map(|(id, n)| Choice {
            value: id.to_string(),
            label: n.clone(),
        }))
        .collect();
    let pools = app::pools::list(&state.app, &user.actor, Some(ObjectKind::Lead)).await?;
    let default_pool = Choice {
        value: String::new(),
        label: t.get("assignment.default_pool").to_string(),
    };
    let pool_choices: Vec<Choice> = std::iter::once(default_pool)
        .chain(pools.iter().map(|p| Choice {
            value: p.pool.id.to_string(),
            label: p.pool.name.clone(),
        }))
        .collect();
    let record_types: Vec<Choice> = std::iter::once(Choice {
        value: String::new(),
        label: t.get("assignment.every_lead").to_string(),
    })
    .chain(
        fields
            .field("record_type")
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
    let methods: Vec<Choice> = Method::ALL
        .iter()
        .map(|m| Choice {
            value: m.key().into(),
            label: t.key("assignment.method.", m.key()),
        })
        .collect();
    let provinces: Vec<Choice> = std::iter::once(none.clone())
        .chain(domain::regions::PROVINCES.iter().map(|p| Choice {
            value: p.code.into(),
            label: if t.is_zh() { p.name_zh } else { p.name_en }.into(),
        }))
        .collect();
    let targets: Vec<Choice> = std::iter::once(none)
        .chain(g.users.iter().map(|(id, n)| Choice {
            value: format!("user:{id}"),
            label: n.clone(),
        }))
        .chain(g.departments.iter().map(|(id, n)| Choice {
            value: format!("department:{id}"),
            label: t.fmt("assignment.department_of", &[("name", n)]),
        }))
        .collect();
    let spare = |n: usize| std::iter::repeat_n(String::new(), n);
    let reps = d
        .reps
        .iter()
        .cloned()
        .chain(spare(SPARE_ROWS))
        .map(|r| mark(&users, &r))
        .collect();
    let mut regions: Vec<(Options, Options)> = d
        .regions
        .iter()
        .map(|r| (mark(&provinces, &r.province), mark(&targets, &r.target)))
        .collect();
    regions.extend((0..SPARE_ROWS).map(|_| (mark(&provinces, ""), mark(&targets, ""))));
    let blank = FilterSpec {
        field: String::new(),
        op: String::new(),
        values: Vec::new(),
    };
    let filters = d
        .criteria
        .iter()
        .chain(std::iter::repeat_n(&blank, SPARE_ROWS))
        .map(|c| build_filter_row(t, &fields, c))
        .collect();
    let method = if d.method.is_empty() {
        Method::RoundRobin.key()
    } else {
        d.method.as_str()
    };
    Ok(FormPage {
        chrome: Chrome::new(&user.ctx, "admin"),
        plural: "leads",
        id: id.map(|(i, _)| i),
        version: id.map(|(_, v)| v).unwrap_or(0),
        name: d.name.clone(),
        active: d.active,
        max_open: d.max_open.clone(),
        max_per_day: d.max_per_day.clone(),
        methods: mark(&methods, method),
        record_types: mark(&record_types, &d.record_type),
        departments: mark(&departments, &d.department_id),
        reps,
        rep: mark(&users, &d.rep),
        pools: mark(&pool_choices, &d.pool_id),
        fallback_pools: mark(&pool_choices, &d.fallback_pool_id),
        regions,
        filters,
        field_choices: field_choices(t, &fields),
        errors,
    })
}

async fn new_form(State(state): State<AppState>, user: Signed) -> Response {
    if let Err(e) = settings::list::<Rule>(&state.app, &user.actor).await {
        return page_error(user.ctx.tr, e);
    }
    let draft = Draft {
        active: true,
        ..Draft::default()
    };
    let page = form_page(&state, &user, None, &draft, FormErrors::default()).await;
    show(page, axum::http::StatusCode::OK, &user)
}

async fn edit_form(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let rule = settings::get::<Rule>(&state.app, &user.actor, parse_id(&id)?).await?;
        let draft = Draft::of(&rule);
        form_page(
            &state,
            &user,
            Some((rule.id, rule.version)),
            &draft,
            FormErrors::default(),
        )
        .await
    }
    .await;
    show(result, axum::http::StatusCode::OK, &user)
}

/// A refused save: the form again with what was posted and the errors.
async fn refused(
    state: &AppState,
    user: &Signed,
    id: Option<(Uuid, i64)>,
    draft: &Draft,
    e: AppError,
) -> Response {
    match e {
        e if shows_form_again(&e) => {
            let errors = FormErrors::from_app(user.ctx.tr, &e);
            let page = form_page(state, user, id, draft, errors).await;
            show(page, crate::error::status_of(&e), user)
        }
        other => page_error(user.ctx.tr, other),
    }
}

async fn create(State(state): State<AppState>, user: Signed, Form(form): Form<Pairs>) -> Response {
    let draft = Draft::posted(&form);
    let result = async {
        let input = draft.input()?;
        settings::create::<Rule>(&state.app, &user.actor, &input).await
    }
    .await;
    match result {
        Ok(_) => see_other(
            user.ctx.htmx,
            "/admin/assignment-rules?notice=assignment_rule_saved",
        ),
        Err(e) => refused(&state, &user, None, &draft, e).await,
    }
}

async fn update(
    State(state): State<AppState>,
    user: Signed,
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
        settings::update::<Rule>(&state.app, &user.actor, id, version, &input).await
    }
    .await;
    match result {
        Ok(_) => see_other(
            user.ctx.htmx,
            "/admin/assignment-rules?notice=assignment_rule_saved",
        ),
        Err(e) => refused(&state, &user, Some((id, version)), &draft, e).await,
    }
}

/// The leads list's bulk action: the ticked leads, re-run through the rules or given to the
/// chosen rep.
async fn bulk_assign(
    State(state): State<AppState>,
    user: Signed,
    Form(form): Form<Pairs>,
) -> Response {
    let t = user.ctx.tr;
    let mut ids = Vec::new();
    for (k, v) in &form {
        if k == "ids" {
            match Uuid::try_parse(v.trim()) {
                Ok(id) => ids.push(id),
                Err(_) => return page_error(t, AppError::field("ids", "invalid_reference")),
            }
        }
    }
    let mode = match form
        .iter()
        .find(|(k, _)| k == "mode")
        .map(|(_, v)| v.as_str())
    {
        Some("owner") => Mode::Owner(
            form.iter()
                .find(|(k, _)| k == "owner_id")
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
        ),
        _ => Mode::Rules,
    };
    match bulk::assign(&state.app, &user.actor, &ids, &mode).await {
        Ok(o) => {
            let notice = if o.assigned + o.pooled == 0 {
                "leads_unchanged"
            } else {
                "leads_assigned"
            };
            see_other(user.ctx.htmx, &format!("/leads?notice={notice}"))
        }
        Err(e) => page_error(t, e),
    }
}

/// Moves a rule one place up or down in the order.
async fn shift(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> Response {
    let up = form.iter().any(|(k, v)| k == "direction" && v == "up");
    let result =
        async { app::assignment::shift(&state.app, &user.actor, parse_id(&id)?, up).await }.await;
    settings_admin::back::<Rule>(&user, result, "assignment_rule_moved")
}

impl AdminPages for Rule {
    const LIST: &'static str = "/admin/assignment-rules";
    const SAVED: &'static str = "assignment_rule_saved";
    const DELETED: &'static str = "assignment_rule_deleted";
}
