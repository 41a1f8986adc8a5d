//! Which rule a lead meets and whom it goes to, inside the transaction that creates (or
//! re-assigns) it.
//!
//! The first active rule in order whose scope (record type, the creator's department) and
//! criteria the lead meets decides; a region rule whose map has no line for the lead's
//! province does not apply, and the next rule is tried. A rule's rotation takes its cursor
//! row's lock (`store::assignment::lock_cursor`) before it counts anyone's capacity — and,
//! when any rule limits capacity, the company's capacity lock before any cursor, so two rules
//! naming one rep never both give away its last place — so
//! concurrent creates on any number of app servers take their turns one after another, each
//! seeing the leads the previous one committed; the cursor moves in the same transaction.
//! Inactive and unknown users are skipped, as are reps at their capacity (open leads held,
//! new leads since the start of the day in China time); when nobody is left, the lead goes
//! to the rule's fallback pool, else the default lead pool.

use crate::records::ObjectFields;
use crate::{Actor, AppResult};
use chrono::{DateTime, Utc};
use domain::assignment::{self as rules, Method, Target, FALLBACK};
use domain::fields::FieldValue;
use domain::permissions::ObjectKind;
use domain::rules::Rule as ObjectRule;
use domain::FieldErrors;
use store::assignment::{self as repo, Rule};
use store::records::Values;
use store::Tx;
use uuid::Uuid;

/// The key of a create's input that asks for the rules (`true`), forbids them (`false`) or
/// leaves it to the rule "assign when no owner is given" (absent).
pub const FLAG: &str = "assign";

/// What the rules decided for a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The rule's name, as the lead records it.
    pub rule: String,
    /// How: the rule's method, or `fallback` when nobody had capacity.
    pub method: &'static str,
    /// The new owner; none when the lead goes to a pool.
    pub owner: Option<Uuid>,
    pub pool: Option<Uuid>,
}

/// Takes the `assign` flag out of a create's input, for objects that declare the rule
/// (elsewhere it stays, and is an unknown field). Of several values the last counts (a form
/// posts a hidden `false` and a ticked `true`).
pub(crate) fn split_flag(
    spec: &domain::objects::ObjectSpec,
    input: &crate::records::Input,
    errors: &mut FieldErrors,
) -> (crate::records::Input, Option<bool>) {
    if !spec.rules.contains(&ObjectRule::Assignment) {
        return (input.clone(), None);
    }
    let mut flag = None;
    let mut rest = Vec::with_capacity(input.len());
    for (key, values) in input {
        if key != FLAG {
            rest.push((key.clone(), values.clone()));
            continue;
        }
        flag = match values
            .last()
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("") => flag,
            Some("true" | "1" | "on" | "yes") => Some(true),
            Some("false" | "0" | "off" | "no") => Some(false),
            Some(_) => {
                errors.add(FLAG, "wrong_type");
                flag
            }
        };
    }
    (rest, flag)
}

/// Runs the rules for a record being created, when its object declares them and the create
/// asks for them (`assign`), or names no owner; writes the decision into `values` (owner,
/// rule, method, time) and answers the pool the record is to go to once inserted.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn on_create(
    tx: &mut Tx,
    actor: &Actor,
    fields: &ObjectFields,
    flag: Option<bool>,
    owner_given: bool,
    only: Option<Uuid>,
    values: &mut Values,
    now: DateTime<Utc>,
) -> AppResult<Option<Uuid>> {
    if !fields.spec.rules.contains(&ObjectRule::Assignment) || !flag.unwrap_or(!owner_given) {
        return Ok(None);
    }
    let Some(decision) = decide(tx, actor, fields, values, only, now).await? else {
        return Ok(None);
    };
    record(values, &decision, now);
    Ok(decision.pool)
}

/// Writes what decided into the record's values.
pub(super) fn record(values: &mut Values, d: &Decision, now: DateTime<Utc>) {
    if let Some(owner) = d.owner {
        values.insert("owner_id".into(), FieldValue::Id(owner));
    }
    values.insert("assignment_rule".into(), FieldValue::Text(d.rule.clone()));
    values.insert(
        "assignment_method".into(),
        FieldValue::Text(d.method.to_string()),
    );
    values.insert("assigned_at".into(), FieldValue::DateTime(now));
}

/// Puts a record just inserted into the pool its rule chose.
/// Puts a lead a rule sent to a pool there, and writes the pool's history line for it (who
/// created it, by which rule), so the pool shows how the lead arrived.
pub(crate) async fn place(
    tx: &mut Tx,
    actor: &Actor,
    id: Uuid,
    pool: Option<Uuid>,
    values: &Values,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(pool) = pool else {
        return Ok(());
    };
    let tenant = actor.tenant_id();
    repo::place_in_pool(tx, tenant, id, pool).await?;
    store::pools::insert_event(
        tx,
        &store::pools::NewEvent {
            tenant_id: tenant,
            object: ObjectKind::Lead,
            record_id: id,
            pool_id: pool,
            kind: store::pools::PLACED,
            user_id: actor.id(),
            actor_id: Some(actor.id()),
            reason: text(values, "assignment_rule"),
            held_since: None,
            at: now,
        },
    )
    .await?;
    Ok(())
}

fn text<'a>(values: &'a Values, key: &str) -> Option<&'a str> {
    match values.get(key) {
        Some(FieldValue::Text(s)) => Some(s.as_str()),
        _ => None,
    }
}

/// The first rule the lead meets and its choice, or none (the owner stays as given). With
/// `only` (a web form naming its rule), that rule's method decides if it is active, whatever
/// its scope and criteria: the form chose it for its leads.
pub(super) async fn decide(
    tx: &mut Tx,
    actor: &Actor,
    fields: &ObjectFields,
    values: &Values,
    only: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<Option<Decision>> {
    let tenant = actor.tenant_id();
    let active = match only {
        None => repo::list(tx, tenant, true).await?,
        Some(id) => repo::get(tx, tenant, id)
            .await?
            .filter(|r| r.active)
            .into_iter()
            .collect(),
    };
    if active.is_empty() {
        return Ok(None);
    }
    if active
        .iter()
        .any(|r| r.max_open.is_some() || r.max_per_day.is_some())
    {
        repo::lock_capacity(tx, tenant).await?;
    }
    let defs: Vec<_> = fields.all().into_iter().cloned().collect();
    let zone = domain::time::DEFAULT_ZONE;
    for rule in &active {
        let scoped = only.is_none();
        if scoped
            && rule.record_type.is_some()
            && rule.record_type.as_deref() != text(values, "record_type")
        {
            continue;
        }
        if let Some(d) = rule.department_id.filter(|_| scoped) {
            if !in_department(tx, actor, d).await? {
                continue;
            }
        }
        let criteria = if scoped { &rule.criteria.0[..] } else { &[] };
        let mut conditions = Vec::with_capacity(criteria.len());
        let mut valid = true;
        for c in criteria {
            match domain::views::compile(c, &defs, actor.id(), now, zone) {
                Ok(c) => conditions.push(c),
                Err(e) => {
                    // A field the criteria named was removed since: the rule no longer applies.
                    tracing::warn!(rule = %rule.id, field = %e.field, code = e.code, "assignment rule criteria no longer compile");
                    valid = false;
                }
            }
        }
        if !valid || !rules::matches(&conditions, |k| values.get(k)) {
            continue;
        }
        let Some(method) = Method::parse(&rule.method) else {
            continue;
        };
        let chosen = match method {
            Method::Pool => {
                let pool = pool_of(tx, tenant, rule.settings.0.pool_id).await?;
                return Ok(Some(decision(rule, method.key(), None, Some(pool))));
            }
            Method::Criteria => {
                let reps: Vec<Uuid> = rule.settings.0.rep.into_iter().collect();
                first_available(tx, fields, tenant, rule, &reps, now).await?
            }
            Method::List => {
                first_available(tx, fields, tenant, rule, &rule.settings.0.reps, now).await?
            }
            Method::RoundRobin => {
                rotate(tx, fields, tenant, rule, "", &rule.settings.0.reps, now).await?
            }
            Method::Region => {
                let province = text(values, "province");
                match rules::region_target(&rule.settings.0.regions, province) {
                    None => continue,
                    Some(Target::User(rep)) => {
                        first_available(tx, fields, tenant, rule, &[rep], now).await?
                    }
                    Some(Target::Department(d)) => {
                        let members = repo::department_members(tx, tenant, d).await?;
                        let rotation = Target::Department(d).key();
                        rotate(tx, fields, tenant, rule, &rotation, &members, now).await?
                    }
                }
            }
        };
        return Ok(Some(match chosen {
            Some(rep) => decision(rule, method.key(), Some(rep), None),
            None => {
                let pool = pool_of(tx, tenant, rule.fallback_pool_id).await?;
                decision(rule, FALLBACK, None, Some(pool))
            }
        }));
    }
    Ok(None)
}

fn decision(
    rule: &Rule,
    method: &'static str,
    owner: Option<Uuid>,
    pool: Option<Uuid>,
) -> Decision {
    Decision {
        rule: rule.name.clone(),
        method,
        owner,
        pool,
    }
}

/// The pool named (if it still is one of the company's lead pools), else the default one.
async fn pool_of(tx: &mut Tx, tenant: Uuid, named: Option<Uuid>) -> AppResult<Uuid> {
    let pool = crate::pools::claims::target_pool(tx, tenant, ObjectKind::Lead, named).await?;
    if pool.kind() == Some(ObjectKind::Lead) {
        return Ok(pool.id);
    }
    Ok(
        crate::pools::claims::target_pool(tx, tenant, ObjectKind::Lead, None)
            .await?
            .id,
    )
}

/// Whether the creator belongs to the department or one under it.
async fn in_department(tx: &mut Tx, actor: &Actor, department: Uuid) -> AppResult<bool> {
    let Some(mine) = actor.user.department_path.as_deref() else {
        return Ok(false);
    };
    let Some(d) = store::org::get_department(tx, actor.tenant_id(), department).await? else {
        return Ok(false);
    };
    Ok(mine.starts_with(d.path.as_str()))
}

/// The first rep of the list, in order, who may take a lead (the rule's cursor row locked
/// first, so capacity is judged one create after another).
async fn first_available(
    tx: &mut Tx,
    fields: &ObjectFields,
    tenant: Uuid,
    rule: &Rule,
    reps: &[Uuid],
    now: DateTime<Utc>,
) -> AppResult<Option<Uuid>> {
    repo::lock_cursor(tx, tenant, rule.id, "").await?;
    for rep in reps {
        if available(tx, fields, tenant, rule, *rep, now).await? {
            return Ok(Some(*rep));
        }
    }
    Ok(None)
}

/// The next rep of the rotation who may take a lead, moving its cursor past them.
async fn rotate(
    tx: &mut Tx,
    fields: &ObjectFields,
    tenant: Uuid,
    rule: &Rule,
    rotation: &str,
    reps: &[Uuid],
    now: DateTime<Utc>,
) -> AppResult<Option<Uuid>> {
    let cursor = repo::lock_cursor(tx, tenant, rule.id, rotation).await?;
    for i in rules::rotation(reps.len(), cursor) {
        if available(tx, fields, tenant, rule, reps[i], now).await? {
            let next = rules::advanced(reps.len(), i);
            repo::set_cursor(tx, tenant, rule.id, rotation, next).await?;
            return Ok(Some(reps[i]));
        }
    }
    Ok(None)
}

/// Whether the rep is an active user of the company under the rule's capacity.
async fn available(
    tx: &mut Tx,
    fields: &ObjectFields,
    tenant: Uuid,
    rule: &Rule,
    rep: Uuid,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    if !store::org::get_user(tx, tenant, rep)
        .await?
        .is_some_and(|u| u.active)
    {
        return Ok(false);
    }
    if let Some(max) = rule.max_open {
        let closed: Vec<&str> = fields
            .spec
            .conversion
            .map(|c| vec![c.converted, c.disqualified])
            .unwrap_or_default();
        if repo::open_leads(tx, tenant, rep, &closed, max).await? >= max {
            return Ok(false);
        }
    }
    if let Some(max) = rule.max_per_day {
        let zone = domain::time::DEFAULT_ZONE;
        let today = domain::time::day_start(domain::time::local_day(now, zone), zone);
        if repo::assigned_since(tx, tenant, rep, today, max).await? >= max {
            return Ok(false);
        }
    }
    Ok(true)
}
