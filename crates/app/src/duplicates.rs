//! The duplicate check: the records of an object that hold the same keys (normalised company
//! name, credit code, phone, e-mail: `domain::duplicates`) as a record of any object, and what
//! the reader may learn of each. A match the reader may open is shown with its name and owner
//! (it can be linked to); one they may not open is shown only as "owned by <owner>" (or "in a
//! public pool"), no other field, so that an ownership conflict can be settled without the
//! record leaking. The conversion asks it for accounts and contacts; a duplicate rule of any
//! object can ask it the same way.

use crate::records::{object_fields_tx, Input};
use crate::{Actor, App, AppError, AppResult};
use domain::duplicates::{self as keys, Key, ProbeBy};
use domain::fields::FieldValue;
use domain::permissions::ObjectKind;
use store::duplicates::Probe;
use store::Tx;
use uuid::Uuid;

/// Candidates read per key lookup.
const PER_PROBE: i64 = 20;

/// The most matches a check answers.
pub const MAX_MATCHES: usize = 20;

/// A record that may duplicate the keys asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub object: ObjectKind,
    pub id: Uuid,
    /// The match's fields holding one of the keys (`name`, `mobile`…).
    pub fields: Vec<String>,
    pub seen: Seen,
}

/// What the reader learns of a match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// They may open it: its name and owner's name.
    Open { name: String, owner: String },
    /// They may not: only whose it is, or that it is in a public pool.
    Owned { owner: Option<String>, pool: bool },
}

impl Match {
    /// The id to offer a link to, only for a match the reader may open.
    pub fn openable(&self) -> Option<Uuid> {
        matches!(self.seen, Seen::Open { .. }).then_some(self.id)
    }
}

/// The records of `object` that the record described by `input` (field values as a form or
/// the API gives them) may duplicate, by the object's duplicate keys: what a create or an
/// edit would be warned of. `except`: the record being edited. A key naming no field the
/// reader may see is `unknown_field`; a reader who may not read the object is refused.
pub async fn check(
    app: &App,
    actor: &Actor,
    object: ObjectKind,
    input: &Input,
    except: Option<Uuid>,
) -> AppResult<Vec<Match>> {
    if actor.principal.read_scope(object).is_none() {
        return Err(AppError::Forbidden);
    }
    let mut tx = app.db.begin_read().await?;
    let fields = crate::records::actor_fields_tx(&mut tx, actor, object).await?;
    let mut errors = domain::FieldErrors::new();
    for (key, _) in input {
        if fields.field(key).is_none() {
            errors.add(key, "unknown_field");
        }
    }
    errors.into_result()?;
    let wanted = keys::keys(fields.spec, |k| {
        input
            .iter()
            .find(|(key, _)| key == k)
            .and_then(|(_, values)| values.first())
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    });
    let found = find(&mut tx, actor, object, &wanted, except).await?;
    tx.commit().await?;
    Ok(found)
}

/// The records of `object` holding any of `wanted` (keys of a record of any object), except
/// `except`, at most [`MAX_MATCHES`], the ones the reader may open first.
pub async fn find(
    tx: &mut Tx,
    actor: &Actor,
    object: ObjectKind,
    wanted: &[Key],
    except: Option<Uuid>,
) -> AppResult<Vec<Match>> {
    let tenant = actor.tenant_id();
    let fields = object_fields_tx(tx, tenant, object).await?;
    let spec = fields.spec;
    let mut ids: Vec<Uuid> = Vec::new();
    for key in wanted {
        for field in keys::fields_of(spec, key.kind) {
            let probe = match key.kind.probe(field) {
                ProbeBy::Tokens => Probe::Tokens(domain::search::query_tokens(&key.text)),
                ProbeBy::Value => match field.parse(std::slice::from_ref(&key.text)) {
                    Ok(Some(value)) => Probe::Value(field, value),
                    _ => continue,
                },
            };
            for id in store::duplicates::candidates(tx, spec, tenant, &probe, PER_PROBE).await? {
                if !ids.contains(&id) && Some(id) != except {
                    ids.push(id);
                }
            }
        }
    }
    let records = store::records::get_many(tx, spec, &fields.custom_defs(), tenant, &ids).await?;
    let mut found = Vec::new();
    for record in records {
        let theirs = keys::keys(spec, |k| match record.values.get(k) {
            Some(FieldValue::Text(s)) => Some(s.as_str()),
            _ => None,
        });
        let matched = keys::matching_fields(spec, wanted, &theirs);
        if !matched.is_empty() {
            found.push((record, matched));
        }
    }
    let owners: Vec<(Option<ObjectKind>, Uuid)> =
        found.iter().map(|(r, _)| (None, r.owner_id)).collect();
    let names = store::records::names(tx, tenant, &owners).await?;
    let mut out = Vec::new();
    for (record, fields) in found {
        let owner = names.get(&record.owner_id).cloned();
        let seen = if store::records::is_visible(tx, &actor.principal, object, record.id).await? {
            Seen::Open {
                name: record.name().to_string(),
                owner: owner.unwrap_or_default(),
            }
        } else {
            let pooled = match store::visibility::has_pools(object) {
                true => store::pools::placement(tx, object, tenant, record.id)
                    .await?
                    .is_some_and(|p| p.pool_id.is_some()),
                false => false,
            };
            // A pooled record has no owner: its last one is not named.
            Seen::Owned {
                owner: if pooled { None } else { owner },
                pool: pooled,
            }
        };
        out.push(Match {
            object,
            id: record.id,
            fields,
            seen,
        });
    }
    // Openable first, then by id (creation order): a stable answer.
    out.sort_by_key(|m| (m.openable().is_none(), m.id));
    out.truncate(MAX_MATCHES);
    Ok(out)
}
