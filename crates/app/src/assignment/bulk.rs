//! A manager's bulk actions on selected leads: re-run the assignment rules over them, or
//! give them all to one rep. One transaction: every lead must be visible (else 404, nothing
//! changes) and transferable by the actor; each change goes through the record engine's
//! system change (history, `owner_changed` event, the new owner's notification).

use super::choose::{self, Decision};
use crate::records::{self, Edit};
use crate::{Actor, App, AppError, AppResult};
use domain::assignment::MANUAL;
use domain::fields::FieldValue;
use domain::permissions::{Action, ObjectKind};
use domain::FieldErrors;
use uuid::Uuid;

/// The most leads one bulk action takes.
pub const MAX_LEADS: usize = crate::pools::claims::MAX_ASSIGN;

/// What to do with the leads.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Apply the rules as if each lead were new (a lead no rule matches keeps its owner).
    Rules,
    /// Give them to this user (text, checked like any reference).
    Owner(String),
}

/// What came of a bulk action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Leads given an owner (by a rule or by hand).
    pub assigned: usize,
    /// Leads a rule put into a pool.
    pub pooled: usize,
    /// Leads no rule matched, or already in a pool (left as they were).
    pub unchanged: usize,
}

const RECORDED: [&str; 4] = [
    "owner_id",
    "assignment_rule",
    "assignment_method",
    "assigned_at",
];

pub async fn assign(app: &App, actor: &Actor, ids: &[Uuid], mode: &Mode) -> AppResult<Outcome> {
    let kind = ObjectKind::Lead;
    actor.require(kind, Action::Transfer)?;
    let mut errors = FieldErrors::new();
    if ids.is_empty() {
        errors.add("ids", "required");
    } else if ids.len() > MAX_LEADS {
        errors.add_limit("ids", "too_many_rows", MAX_LEADS as i64);
    }
    let mut tx = app.db.begin().await?;
    let tenant = actor.tenant_id();
    let owner = match mode {
        Mode::Rules => None,
        Mode::Owner(raw) => {
            let user = match Uuid::try_parse(raw.trim()) {
                Ok(id) => store::org::get_user(&mut tx, tenant, id)
                    .await?
                    .filter(|u| u.active),
                Err(_) => None,
            };
            if user.is_none() {
                errors.add("owner_id", "invalid_reference");
            }
            user.map(|u| u.id)
        }
    };
    errors.into_result()?;
    let fields = records::actor_fields_tx(&mut tx, actor, kind).await?;
    let custom = fields.custom_defs();
    let now = app.now();
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    let mut outcome = Outcome::default();
    for id in unique {
        let record =
            store::records::get_visible(&mut tx, &actor.principal, fields.spec, &custom, id)
                .await?
                .ok_or(AppError::NotFound)?;
        crate::sharing::require(&mut tx, actor, kind, id, Action::Transfer).await?;
        let placement = store::pools::placement(&mut tx, kind, tenant, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if placement.pool_id.is_some() {
            outcome.unchanged += 1;
            continue;
        }
        let decision = match owner {
            Some(owner) => Some(Decision {
                rule: String::new(),
                method: MANUAL,
                owner: Some(owner),
                pool: None,
            }),
            None => choose::decide(&mut tx, actor, &fields, &record.values, None, now).await?,
        };
        let Some(decision) = decision else {
            outcome.unchanged += 1;
            continue;
        };
        let recorded = decision.clone();
        records::system_change_in(
            &mut tx,
            actor,
            kind,
            id,
            None,
            now,
            Edit::Checked,
            move |values, now| {
                choose::record(values, &recorded, now);
                if recorded.rule.is_empty() {
                    values.remove("assignment_rule");
                }
                Ok(RECORDED.to_vec())
            },
        )
        .await?;
        match decision.pool {
            Some(pool) => {
                let owner = match record.values.get("owner_id") {
                    Some(FieldValue::Id(o)) => *o,
                    _ => placement.owner_id,
                };
                if !store::pools::put(
                    &mut tx,
                    kind,
                    tenant,
                    id,
                    pool,
                    owner,
                    Some(actor.id()),
                    now,
                )
                .await?
                {
                    return Err(AppError::Conflict);
                }
                outcome.pooled += 1;
            }
            None => outcome.assigned += 1,
        }
    }
    tx.commit().await?;
    Ok(outcome)
}
