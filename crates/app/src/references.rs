//! Delete protection: a record that others still refer to is not deleted.
//!
//! What refers to a record is derived, never listed by hand: the standard lookup fields of
//! every object's spec that point at its object ([`domain::objects::lookups_to`]) and the
//! company's custom lookup fields that do ([`store::custom_fields::lookups_to`]).

use crate::{Actor, AppError, AppResult};
use domain::permissions::ObjectKind;
use store::Tx;
use uuid::Uuid;

/// Every lookup field, standard or custom, that points at records of `kind`: (the object
/// that has it, the field), standard ones in the specs' order first. What refers to a record
/// of `kind`: its delete protection and its related lists.
pub async fn lookups_to_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    kind: ObjectKind,
) -> AppResult<Vec<(ObjectKind, domain::fields::FieldDef)>> {
    let mut fields: Vec<(ObjectKind, domain::fields::FieldDef)> = domain::objects::lookups_to(kind)
        .into_iter()
        .map(|(spec, field)| (spec.kind, field.clone()))
        .collect();
    for (object, custom) in store::custom_fields::lookups_to(tx, tenant_id, kind).await? {
        fields.push((object, custom.def));
    }
    Ok(fields)
}

/// [`lookups_to_tx`] as `actor` may use them: active fields of objects they may read, not
/// hidden from their role.
pub async fn visible_lookups_to(
    app: &crate::App,
    actor: &Actor,
    kind: ObjectKind,
) -> AppResult<Vec<(ObjectKind, domain::fields::FieldDef)>> {
    let mut tx = app.db.begin_read().await?;
    let mut out = Vec::new();
    for (object, field) in lookups_to_tx(&mut tx, actor.tenant_id(), kind).await? {
        if actor.principal.read_scope(object).is_none() {
            continue;
        }
        let fields = crate::records::actor_fields_tx(&mut tx, actor, object).await?;
        if fields.all().iter().any(|f| f.key == field.key) {
            out.push((object, field));
        }
    }
    Ok(out)
}

/// Referring records are counted up to this many per object (the message says "100+").
pub const COUNT_CAP: i64 = 100;

/// The records of one object that still refer to a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrers {
    pub object: ObjectKind,
    /// How many (at most [`COUNT_CAP`]), whether or not the reader may see them: only the
    /// object and the count are told, never a name.
    pub count: i64,
}

/// Refuses (`still_referenced`) to delete record `id` of `kind` while any lookup, standard
/// or custom, of any record of the company points at it, telling which objects and how many.
pub async fn refuse_if_referenced(
    tx: &mut Tx,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
) -> AppResult<()> {
    let tenant = actor.tenant_id();
    let fields = lookups_to_tx(tx, tenant, kind).await?;
    let mut referrers: Vec<Referrers> = Vec::new();
    for (object, field) in &fields {
        let spec = crate::records::spec(*object)?;
        let n =
            store::records::count_lookup_references(tx, spec, field, tenant, id, COUNT_CAP).await?;
        if n == 0 {
            continue;
        }
        match referrers.iter_mut().find(|r| r.object == *object) {
            Some(r) => r.count = (r.count + n).min(COUNT_CAP),
            None => referrers.push(Referrers {
                object: *object,
                count: n,
            }),
        }
    }
    if referrers.is_empty() {
        Ok(())
    } else {
        Err(AppError::StillReferenced(referrers))
    }
}
