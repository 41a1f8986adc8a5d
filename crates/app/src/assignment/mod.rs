//! Lead assignment rules (线索分配): the company's ordered rules, kept by administrators (or a
//! role that may administer leads). Which rule a new lead meets and whom it goes to is in
//! `choose` (run by the record engine's create for objects declaring `Rule::Assignment`);
//! a manager's re-run of the rules and bulk assignment by hand are in `bulk`. Rules are kept
//! through `crate::settings` (list, get, create, update, delete as for every setting).

pub mod bulk;
mod choose;

pub use choose::FLAG;
pub(crate) use choose::{on_create, place, split_flag};

use crate::settings::Setting;
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Utc};
use domain::assignment::{self as rules, Method, Region, Settings, Target, MAX_RULES};
use domain::permissions::{Action, ObjectKind};
use domain::views::FilterSpec;
use domain::FieldErrors;
use serde_json::json;
use store::assignment::{self as repo, Rule, RuleFields};
use store::Tx;
use uuid::Uuid;

/// A rule as submitted (a form or a JSON body); fields left out keep their value on an
/// update. References are text so that a malformed one is a field error like an unknown one;
/// an empty text clears an optional reference.
#[derive(Debug, Clone, Default)]
pub struct RuleInput {
    pub name: Option<String>,
    pub active: Option<bool>,
    pub record_type: Option<String>,
    pub department_id: Option<String>,
    pub criteria: Option<Vec<FilterSpec>>,
    pub method: Option<String>,
    pub reps: Option<Vec<String>>,
    pub rep: Option<String>,
    pub regions: Option<Vec<Region>>,
    pub pool_id: Option<String>,
    pub max_open: Option<Option<i64>>,
    pub max_per_day: Option<Option<i64>>,
    pub fallback_pool_id: Option<String>,
}

/// Only administrators of leads (the administrator role, or a role granted `administer` on
/// leads) see and change the rules.
fn require_admin(actor: &Actor) -> AppResult<()> {
    actor.require(ObjectKind::Lead, Action::Administer)
}

impl Setting for Rule {
    type Input = RuleInput;
    type Fields = RuleFields;
    const TABLE: &'static str = repo::TABLE;
    const ENTITY: &'static str = "assignment_rule";
    const MAX: i64 = MAX_RULES as i64;
    const TOO_MANY: &'static str = "too_many_assignment_rules";

    fn require(actor: &Actor) -> AppResult<()> {
        require_admin(actor)
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn activation(active: bool) -> RuleInput {
        RuleInput {
            active: Some(active),
            ..RuleInput::default()
        }
    }
    fn audit_detail(fields: &RuleFields) -> serde_json::Value {
        json!({ "name": fields.name, "method": fields.method, "active": fields.active })
    }
    async fn read_all(tx: &mut Tx, tenant: Uuid) -> AppResult<Vec<Rule>> {
        Ok(repo::list(tx, tenant, false).await?)
    }
    async fn read(tx: &mut Tx, tenant: Uuid, id: Uuid) -> AppResult<Option<Rule>> {
        Ok(repo::get(tx, tenant, id).await?)
    }
    async fn resolve(
        tx: &mut Tx,
        actor: &Actor,
        current: Option<&Rule>,
        input: &RuleInput,
        now: DateTime<Utc>,
    ) -> AppResult<RuleFields> {
        resolve(tx, actor, current, input, now).await
    }
    async fn insert(
        tx: &mut Tx,
        tenant: Uuid,
        id: Uuid,
        fields: &RuleFields,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        Ok(repo::insert(tx, tenant, id, fields, now).await?)
    }
    async fn write(
        tx: &mut Tx,
        tenant: Uuid,
        id: Uuid,
        version: i64,
        fields: &RuleFields,
        now: DateTime<Utc>,
    ) -> AppResult<bool> {
        Ok(repo::update(tx, tenant, id, version, fields, now).await?)
    }
}

/// Puts the rules in the order given, which must name every rule of the company once.
pub async fn reorder(app: &App, actor: &Actor, ids: &[Uuid]) -> AppResult<Vec<Rule>> {
    require_admin(actor)?;
    let mut tx = app.db.begin().await?;
    let tenant = actor.tenant_id();
    let current = repo::list(&mut tx, tenant, false).await?;
    let mut given = ids.to_vec();
    given.sort();
    let mut known: Vec<Uuid> = current.iter().map(|r| r.id).collect();
    known.sort();
    if given != known {
        return Err(AppError::field("ids", "invalid_reference"));
    }
    write_order(&mut tx, actor, ids, app.now()).await?;
    let rules = repo::list(&mut tx, tenant, false).await?;
    tx.commit().await?;
    Ok(rules)
}

/// Moves one rule a place up or down (the admin page's arrows).
pub async fn shift(app: &App, actor: &Actor, id: Uuid, up: bool) -> AppResult<()> {
    require_admin(actor)?;
    let mut tx = app.db.begin().await?;
    let mut ids: Vec<Uuid> = repo::list(&mut tx, actor.tenant_id(), false)
        .await?
        .iter()
        .map(|r| r.id)
        .collect();
    let at = ids
        .iter()
        .position(|r| *r == id)
        .ok_or(AppError::NotFound)?;
    let to = if up { at.checked_sub(1) } else { Some(at + 1) };
    if let Some(to) = to.filter(|t| *t < ids.len()) {
        ids.swap(at, to);
        write_order(&mut tx, actor, &ids, app.now()).await?;
    }
    tx.commit().await.map_err(AppError::from)
}

async fn write_order(
    tx: &mut Tx,
    actor: &Actor,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> AppResult<()> {
    repo::reorder(tx, actor.tenant_id(), ids, now).await?;
    let detail = json!({ "order": ids });
    crate::audit::by(tx, actor, now, "assignment_rule", "reordered", None, detail).await
}

fn parse_ref(raw: &str) -> Result<Option<Uuid>, ()> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    Uuid::try_parse(raw).map(Some).map_err(|_| ())
}

/// The rule to write: the input over the current rule (or the defaults), every reference
/// checked against the company, the criteria compiled against the lead's fields; all the
/// problems at once as field errors.
async fn resolve(
    tx: &mut Tx,
    actor: &Actor,
    current: Option<&Rule>,
    input: &RuleInput,
    now: DateTime<Utc>,
) -> AppResult<RuleFields> {
    let tenant = actor.tenant_id();
    let mut errors = FieldErrors::new();
    let name = input
        .name
        .clone()
        .or_else(|| current.map(|r| r.name.clone()))
        .unwrap_or_default()
        .trim()
        .to_string();
    let method_key = input
        .method
        .clone()
        .or_else(|| current.map(|r| r.method.clone()));
    let method = match method_key.as_deref().map(str::trim) {
        None | Some("") => {
            errors.add("method", "required");
            None
        }
        Some(key) => {
            let m = Method::parse(key);
            if m.is_none() {
                errors.add("method", "invalid_choice");
            }
            m
        }
    };
    let base = current.map(|r| r.settings.0.clone()).unwrap_or_default();
    let mut reps = base.reps.clone();
    if let Some(given) = &input.reps {
        reps.clear();
        for raw in given.iter().filter(|r| !r.trim().is_empty()) {
            match parse_ref(raw) {
                Ok(Some(id)) if user_exists(tx, tenant, id).await? => reps.push(id),
                _ => {
                    errors.add("reps", "invalid_reference");
                    break;
                }
            }
        }
    }
    let rep = match &input.rep {
        None => base.rep,
        Some(raw) => match parse_ref(raw) {
            Ok(None) => None,
            Ok(Some(id)) if user_exists(tx, tenant, id).await? => Some(id),
            _ => {
                errors.add("rep", "invalid_reference");
                None
            }
        },
    };
    let regions = input.regions.clone().unwrap_or(base.regions.clone());
    for (i, r) in regions.iter().enumerate() {
        let known = match Target::parse(&r.target) {
            Some(Target::User(id)) => user_exists(tx, tenant, id).await?,
            Some(Target::Department(id)) => {
                store::org::get_department(tx, tenant, id).await?.is_some()
            }
            None => true, // the pure check names it
        };
        if !known {
            errors.add(&format!("regions.{i}.target"), "invalid_reference");
        }
    }
    let pool_id = pool_ref(
        tx,
        tenant,
        "pool_id",
        input.pool_id.as_deref(),
        base.pool_id,
        &mut errors,
    )
    .await?;
    let fallback_pool_id = pool_ref(
        tx,
        tenant,
        "fallback_pool_id",
        input.fallback_pool_id.as_deref(),
        current.and_then(|r| r.fallback_pool_id),
        &mut errors,
    )
    .await?;
    let department_id = match &input.department_id {
        None => current.and_then(|r| r.department_id),
        Some(raw) => match parse_ref(raw) {
            Ok(None) => None,
            Ok(Some(id)) if store::org::get_department(tx, tenant, id).await?.is_some() => Some(id),
            _ => {
                errors.add("department_id", "invalid_reference");
                None
            }
        },
    };
    let fields = crate::records::object_fields_tx(tx, tenant, ObjectKind::Lead).await?;
    let record_type = match &input.record_type {
        None => current.and_then(|r| r.record_type.clone()),
        Some(raw) if raw.trim().is_empty() => None,
        Some(raw) => {
            let key = raw.trim().to_string();
            let known = fields
                .field("record_type")
                .is_some_and(|f| f.options.iter().any(|o| o.key == key));
            if !known {
                errors.add("record_type", "invalid_choice");
            }
            Some(key)
        }
    };
    let criteria = input
        .criteria
        .clone()
        .or_else(|| current.map(|r| r.criteria.0.clone()))
        .unwrap_or_default();
    let defs: Vec<_> = fields.all().into_iter().cloned().collect();
    for (i, c) in criteria.iter().enumerate() {
        if let Err(e) = domain::views::compile(c, &defs, actor.id(), now, actor.time_zone()) {
            errors.add(&format!("criteria.{i}.{}", e.field), e.code);
        }
    }
    let max_open = input.max_open.unwrap_or(current.and_then(|r| r.max_open));
    let max_per_day = input
        .max_per_day
        .unwrap_or(current.and_then(|r| r.max_per_day));
    let settings = settings_for(method, reps, rep, regions, pool_id);
    if let Some(m) = method {
        // A field already refused (an unknown rep) is not also "required".
        for e in rules::check(&name, m, &settings, (max_open, max_per_day), &criteria).0 {
            if !errors.0.iter().any(|x| x.field == e.field) {
                errors.0.push(e);
            }
        }
    }
    errors.into_result()?;
    let method = method.ok_or_else(|| AppError::field("method", "required"))?;
    Ok(RuleFields {
        name,
        active: input.active.or(current.map(|r| r.active)).unwrap_or(true),
        record_type,
        department_id,
        criteria,
        method: method.key(),
        settings,
        max_open,
        max_per_day,
        fallback_pool_id,
    })
}

/// Keeps only the settings the method uses, so that a rule's stored settings say what it
/// does.
fn settings_for(
    method: Option<Method>,
    reps: Vec<Uuid>,
    rep: Option<Uuid>,
    regions: Vec<Region>,
    pool_id: Option<Uuid>,
) -> Settings {
    match method {
        Some(Method::List | Method::RoundRobin) => Settings {
            reps,
            ..Settings::default()
        },
        Some(Method::Criteria) => Settings {
            rep,
            ..Settings::default()
        },
        Some(Method::Region) => Settings {
            regions,
            ..Settings::default()
        },
        Some(Method::Pool) => Settings {
            pool_id,
            ..Settings::default()
        },
        None => Settings {
            reps,
            rep,
            regions,
            pool_id,
        },
    }
}

async fn user_exists(tx: &mut Tx, tenant: Uuid, id: Uuid) -> AppResult<bool> {
    Ok(store::org::get_user(tx, tenant, id).await?.is_some())
}

/// A reference to one of the company's lead pools (empty: none).
async fn pool_ref(
    tx: &mut Tx,
    tenant: Uuid,
    field: &str,
    raw: Option<&str>,
    current: Option<Uuid>,
    errors: &mut FieldErrors,
) -> AppResult<Option<Uuid>> {
    let Some(raw) = raw else {
        return Ok(current);
    };
    match parse_ref(raw) {
        Ok(None) => Ok(None),
        Ok(Some(id)) => {
            let pool = store::pools::get(tx, tenant, id).await?;
            if pool.is_some_and(|p| p.kind() == Some(ObjectKind::Lead)) {
                Ok(Some(id))
            } else {
                errors.add(field, "invalid_reference");
                Ok(None)
            }
        }
        Err(()) => {
            errors.add(field, "invalid_reference");
            Ok(None)
        }
    }
}
