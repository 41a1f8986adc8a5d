//! Converting a lead into an account, a contact and an optional opportunity, in one
//! transaction through the record engine's create (the same validation, rules, history,
//! events and search tokens as any create), and disqualifying it with a reason. What is
//! converted and how is declared on the object (`ObjectSpec::conversion`); the duplicate
//! check before it is the shared one ([`crate::duplicates`]).

use crate::duplicates::{self, Match};
use crate::records::{self, actor_fields_tx, Edit, Input, RecordView};
use crate::{Actor, App, AppError, AppResult};
use domain::conversion::{proposed, Conversion};
use domain::fields::FieldValue;
use domain::permissions::{Action, ObjectKind};
use domain::FieldErrors;
use serde_json::json;
use store::records::Values;
use store::Tx;
use uuid::Uuid;

/// The most activities of a lead moved with it in its conversion.
pub const MAX_MOVED: i64 = 1_000;

/// What converting a lead would create, and the existing records it may duplicate.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub lead: RecordView,
    pub account: Input,
    pub contact: Input,
    pub opportunity: Input,
    pub account_matches: Vec<Match>,
    pub contact_matches: Vec<Match>,
}

/// Where one record of the conversion comes from.
#[derive(Debug, Clone)]
pub enum Target {
    /// An existing record the converter can see.
    Link(Uuid),
    /// A new record from these values, over the values proposed from the lead.
    Create(Input),
}

/// A conversion as asked for.
#[derive(Debug, Clone)]
pub struct Convert {
    pub account: Target,
    pub contact: Target,
    /// `None`: no opportunity.
    pub opportunity: Option<Input>,
    /// The lead's version read, when given.
    pub version: Option<i64>,
}

/// What the lead became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Converted {
    pub account_id: Uuid,
    pub contact_id: Uuid,
    pub opportunity_id: Option<Uuid>,
}

fn conversion(kind: ObjectKind) -> AppResult<&'static Conversion> {
    records::spec(kind)?.conversion.ok_or(AppError::NotFound)
}

fn text<'a>(values: &'a Values, key: &str) -> Option<&'a str> {
    match values.get(key) {
        Some(FieldValue::Text(s)) => Some(s),
        _ => None,
    }
}

/// The lead to convert or disqualify: visible (else 404), editable by the actor (else 403),
/// not converted yet (else 409).
async fn open_lead(
    tx: &mut Tx,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
) -> AppResult<(&'static Conversion, store::records::Record)> {
    let c = conversion(kind)?;
    let fields = actor_fields_tx(tx, actor, kind).await?;
    let spec = fields.spec;
    let lead = store::records::get_visible(tx, &actor.principal, spec, &fields.custom_defs(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    actor.require(kind, Action::Edit)?;
    crate::sharing::require(tx, actor, kind, id, Action::Edit).await?;
    if text(&lead.values, c.status_field) == Some(c.converted) {
        return Err(AppError::Refused("already_converted"));
    }
    Ok((c, lead))
}

/// The owner proposed for a record of `kind` made from the lead: the lead's owner when the
/// actor may give it to them (or is them), else the actor.
fn proposed_owner(actor: &Actor, kind: ObjectKind, lead: &store::records::Record) -> Uuid {
    if lead.owner_id == actor.id() || actor.principal.can(kind, Action::Transfer) {
        lead.owner_id
    } else {
        actor.id()
    }
}

fn proposal_input(
    actor: &Actor,
    kind: ObjectKind,
    maps: &[domain::conversion::Map],
    lead: &store::records::Record,
) -> Input {
    let mut input: Input = proposed(maps, |k| text(&lead.values, k))
        .into_iter()
        .map(|(k, v)| (k, vec![v]))
        .collect();
    let owner = proposed_owner(actor, kind, lead);
    input.push(("owner_id".into(), vec![owner.to_string()]));
    input
}

/// The values a conversion of lead `id` proposes and the accounts and contacts it may
/// duplicate (by the lead's company name, phone numbers and e-mail).
pub async fn proposal(app: &App, actor: &Actor, kind: ObjectKind, id: Uuid) -> AppResult<Proposal> {
    let view = records::get(app, actor, kind, id).await?;
    let mut tx = app.db.begin_read().await?;
    let (c, lead) = open_lead(&mut tx, actor, kind, id).await?;
    let spec = records::spec(kind)?;
    let wanted = domain::duplicates::keys(spec, |k| text(&lead.values, k));
    let account_matches =
        duplicates::find(&mut tx, actor, ObjectKind::Account, &wanted, None).await?;
    let contact_matches =
        duplicates::find(&mut tx, actor, ObjectKind::Contact, &wanted, None).await?;
    tx.commit().await?;
    Ok(Proposal {
        account: proposal_input(actor, ObjectKind::Account, c.account, &lead),
        contact: proposal_input(actor, ObjectKind::Contact, c.contact, &lead),
        opportunity: proposal_input(actor, ObjectKind::Opportunity, c.opportunity, &lead),
        lead: view,
        account_matches,
        contact_matches,
    })
}

/// `base` with the fields of `given` replacing its own (a given empty value clears one).
fn over(mut base: Input, given: Input) -> Input {
    base.retain(|(k, _)| !given.iter().any(|(g, _)| g == k));
    base.extend(given);
    base
}

/// Field errors of one part of the conversion, keyed `account.name`, `contact.mobile`…
fn within(part: &str, e: AppError) -> AppError {
    match e {
        AppError::Validation(errors) => AppError::Validation(FieldErrors(
            errors
                .0
                .into_iter()
                .map(|mut f| {
                    f.field = format!("{part}.{}", f.field);
                    f
                })
                .collect(),
        )),
        e => e,
    }
}

/// A linked record must be one the converter can see.
async fn linked(
    tx: &mut Tx,
    actor: &Actor,
    part: &str,
    kind: ObjectKind,
    id: Uuid,
) -> AppResult<Uuid> {
    if store::records::is_visible(tx, &actor.principal, kind, id).await? {
        Ok(id)
    } else {
        Err(AppError::field(
            &format!("{part}.link"),
            "invalid_reference",
        ))
    }
}

/// Converts lead `id`: links or creates its account and contact, creates the opportunity when
/// asked, moves its activities to them, and marks it converted with links to what it became;
/// all in one transaction, so a refusal anywhere leaves nothing created.
pub async fn convert(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
    ask: Convert,
) -> AppResult<Converted> {
    let mut tx = app.db.begin().await?;
    let converted = convert_in(&mut tx, app.now(), actor, kind, id, ask).await?;
    tx.commit().await?;
    Ok(converted)
}

async fn convert_in(
    tx: &mut Tx,
    now: chrono::DateTime<chrono::Utc>,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
    ask: Convert,
) -> AppResult<Converted> {
    let (c, lead) = open_lead(tx, actor, kind, id).await?;
    if ask.version.is_some_and(|v| v != lead.version) {
        return Err(AppError::Conflict);
    }
    let proposal = |target, maps| proposal_input(actor, target, maps, &lead);
    let account_id = match ask.account {
        Target::Link(account) => linked(tx, actor, "account", ObjectKind::Account, account).await?,
        Target::Create(given) => {
            let input = over(proposal(ObjectKind::Account, c.account), given);
            records::create_in(tx, actor, ObjectKind::Account, &input, now)
                .await
                .map_err(|e| within("account", e))?
        }
    };
    let contact_id = match ask.contact {
        Target::Link(contact) => linked(tx, actor, "contact", ObjectKind::Contact, contact).await?,
        Target::Create(given) => {
            let mut input = over(proposal(ObjectKind::Contact, c.contact), given);
            input.retain(|(k, _)| k != c.contact_account);
            input.push((c.contact_account.into(), vec![account_id.to_string()]));
            records::create_in(tx, actor, ObjectKind::Contact, &input, now)
                .await
                .map_err(|e| within("contact", e))?
        }
    };
    let opportunity_id = match ask.opportunity {
        None => None,
        Some(given) => {
            let mut input = over(proposal(ObjectKind::Opportunity, c.opportunity), given);
            input.retain(|(k, _)| k != c.opportunity_account && k != c.opportunity_contact);
            input.push((c.opportunity_account.into(), vec![account_id.to_string()]));
            input.push((c.opportunity_contact.into(), vec![contact_id.to_string()]));
            Some(
                records::create_in(tx, actor, ObjectKind::Opportunity, &input, now)
                    .await
                    .map_err(|e| within("opportunity", e))?,
            )
        }
    };
    let converted = Converted {
        account_id,
        contact_id,
        opportunity_id,
    };
    let links = c.links;
    let version = Some(lead.version);
    records::system_change_in(
        tx,
        actor,
        kind,
        id,
        version,
        now,
        Edit::Checked,
        |values, now| {
            values.insert(c.status_field.into(), FieldValue::Text(c.converted.into()));
            values.insert(links.account.into(), FieldValue::Id(account_id));
            values.insert(links.contact.into(), FieldValue::Id(contact_id));
            match opportunity_id {
                Some(o) => values.insert(links.opportunity.into(), FieldValue::Id(o)),
                None => values.remove(links.opportunity),
            };
            values.insert(links.at.into(), FieldValue::DateTime(now));
            values.insert(links.by.into(), FieldValue::Id(actor.id()));
            Ok(Vec::new())
        },
    )
    .await?;
    let moved = move_activities(tx, actor, c, id, converted, now).await?;
    let subject = crate::events::Subject {
        object: kind,
        id,
        owner_id: Some(lead.owner_id),
        name: lead.name(),
    };
    let detail = json!({
        "account_id": account_id, "contact_id": contact_id,
        "opportunity_id": opportunity_id, "activities_moved": moved,
    });
    crate::events::action(tx, actor, now, subject, "converted", &detail).await?;
    Ok(converted)
}

/// Links the lead's activities to what it became — the account, contact and opportunity
/// where each is empty — through the engine's update (history, events, the account's
/// stream), whoever owns them: converting the lead carries its activities along.
async fn move_activities(
    tx: &mut Tx,
    actor: &Actor,
    c: &Conversion,
    lead: Uuid,
    to: Converted,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<usize> {
    let spec = records::spec(ObjectKind::Activity)?;
    let field = spec.field(c.moved.lead).ok_or(AppError::NotFound)?;
    let tenant = actor.tenant_id();
    let ids = store::records::ids_referring(tx, spec, field, tenant, lead, MAX_MOVED).await?;
    let m = c.moved;
    for activity in &ids {
        records::system_change_in(
            tx,
            actor,
            ObjectKind::Activity,
            *activity,
            None,
            now,
            Edit::Authorised,
            |values, _| {
                let mut fill = |key: &str, id: Option<Uuid>| {
                    if let (false, Some(id)) = (values.contains_key(key), id) {
                        values.insert(key.into(), FieldValue::Id(id));
                    }
                };
                fill(m.account, Some(to.account_id));
                fill(m.contact, Some(to.contact_id));
                fill(m.opportunity, to.opportunity_id);
                Ok(Vec::new())
            },
        )
        .await?;
    }
    Ok(ids.len())
}

/// Disqualifies lead `id` with a reason from the company's list (`reason_field`'s choices)
/// and an optional note. A converted lead is not disqualified (409).
pub async fn disqualify(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
    reason: &str,
    note: Option<&str>,
    version: Option<i64>,
) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    let now = app.now();
    let (c, lead) = open_lead(&mut tx, actor, kind, id).await?;
    if version.is_some_and(|v| v != lead.version) {
        return Err(AppError::Conflict);
    }
    let fields = actor_fields_tx(&mut tx, actor, kind).await?;
    let mut errors = FieldErrors::new();
    let parse = |key: &str, raw: Option<&str>, errors: &mut FieldErrors, as_field: &str| {
        let field = fields.field(key)?;
        let raw: Vec<String> = raw.map(|r| vec![r.to_string()]).unwrap_or_default();
        match field.parse(&raw) {
            Ok(value) => value,
            Err(code) => {
                match field.limit_of(code) {
                    Some(limit) => errors.add_limit(as_field, code, limit),
                    None => errors.add(as_field, code),
                }
                None
            }
        }
    };
    let reason_value = parse(c.reason_field, Some(reason), &mut errors, "reason");
    if reason_value.is_none() && errors.is_empty() {
        errors.add("reason", "required");
    }
    let note_value = parse(c.note_field, note, &mut errors, "note");
    errors.into_result()?;
    let given = [c.reason_field, c.note_field];
    records::system_change_in(
        &mut tx,
        actor,
        kind,
        id,
        None,
        now,
        Edit::Checked,
        |values, _| {
            values.insert(
                c.status_field.into(),
                FieldValue::Text(c.disqualified.into()),
            );
            if let Some(v) = reason_value {
                values.insert(c.reason_field.into(), v);
            }
            match note_value {
                Some(v) => values.insert(c.note_field.into(), v),
                None => values.remove(c.note_field),
            };
            Ok(given.to_vec())
        },
    )
    .await?;
    let subject = crate::events::Subject {
        object: kind,
        id,
        owner_id: Some(lead.owner_id),
        name: lead.name(),
    };
    crate::events::action(
        &mut tx,
        actor,
        now,
        subject,
        "disqualified",
        &json!({ "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
