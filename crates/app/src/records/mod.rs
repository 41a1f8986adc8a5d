//! Use cases of contacts, leads, opportunities and activities: one implementation driven by
//! field metadata, with the rules particular to each object in [`rules`](crate::rules).
//!
//! Input is text per field (a form and a JSON body become the same thing), checked by each
//! field's [`FieldDef`]; references must point at records the actor can see.

use crate::{rules, Actor, App, AppError, AppResult};
use chrono::{DateTime, Utc};
use domain::fields::{FieldDef, FieldType, FieldValue};
use domain::objects::ObjectSpec;
use domain::permissions::{Action, FieldAccess, ObjectKind};
use domain::views::FilterSpec;
use domain::FieldErrors;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use store::custom_fields::CustomField;
use store::history::{self, FieldChange, NewChange};
use store::records::{self as repo, Record, Stamp, Values};
use store::Tx;
use uuid::Uuid;

mod changes;
mod fields;
mod list;
mod system;
use changes::write_history;
pub use changes::*;
pub use fields::*;
pub use list::*;
pub use system::system_change;
pub(crate) use system::{system_change_in, Edit};

/// Submitted values: field key → the texts given for it (several for a multi-select).
pub type Input = Vec<(String, Vec<String>)>;

/// A record with the names of the records and users it refers to.
#[derive(Debug, Clone)]
pub struct RecordView {
    pub record: Record,
    pub names: HashMap<Uuid, String>,
    /// The fields as the reader may see them (what the record was read with).
    pub fields: ObjectFields,
    /// The rows the record owns (its object's `children`).
    pub children: Vec<crate::children::ChildRows>,
}

impl RecordView {
    pub fn name_of(&self, id: &Uuid) -> Option<&str> {
        self.names.get(id).map(String::as_str)
    }
}

/// Applies submitted values to `values` (the current record, or an empty one on create),
/// collecting every problem as a field error.
fn apply_input(
    fields: &ObjectFields,
    values: &mut Values,
    input: &Input,
    creating: bool,
) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let mut merged: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (key, raw) in input {
        merged
            .entry(key.as_str())
            .or_default()
            .extend(raw.iter().cloned());
    }
    // In form order, so that a form's errors read top to bottom; unknown keys last.
    let position = |key: &str| {
        fields
            .field(key)
            .map_or((true, i32::MAX), |f| (f.column.is_none(), f.position))
    };
    let mut merged: Vec<(&str, Vec<String>)> = merged.into_iter().collect();
    merged.sort_by_key(|(key, _)| position(key));
    let given = |key: &str| merged.iter().any(|(k, _)| *k == key);
    for (key, raw) in &merged {
        let key = *key;
        let Some(field) = fields.field(key) else {
            errors.add(key, "unknown_field");
            continue;
        };
        let retired = fields.custom.iter().any(|c| c.def.key == *key && !c.active);
        if !fields.writable(field) || retired {
            errors.add(key, "read_only");
            continue;
        }
        match field.parse(raw) {
            Ok(Some(v)) => {
                values.insert(field.key.clone(), v);
            }
            Ok(None) => {
                values.remove(&field.key);
            }
            // A retired choice stays valid where it is already stored (a form sends it back).
            Err("invalid_choice")
                if raw.len() == 1
                    && values.get(&field.key) == Some(&FieldValue::Text(raw[0].trim().into())) => {}
            Err(code) => match field.limit_of(code) {
                Some(limit) => errors.add_limit(key, code, limit),
                None => errors.add(key, code),
            },
        }
    }
    if creating {
        for field in fields.all() {
            if !fields.writable(field) || given(&field.key) {
                continue;
            }
            let default = field
                .default_value
                .as_ref()
                .and_then(|d| field.parse(std::slice::from_ref(d)).ok().flatten());
            match default {
                Some(v) => {
                    values.insert(field.key.clone(), v);
                }
                None if field.field_type == FieldType::Checkbox => {
                    values.insert(field.key.clone(), FieldValue::Bool(false));
                }
                None if field.required && field.key != "owner_id" => {
                    errors.add(&field.key, "required")
                }
                None => {}
            }
        }
    }
    fields.check_money_places(values, &mut errors);
    errors
}

/// The references among `values`: (object looked up, id) of every lookup field with a value.
fn lookups(fields: &ObjectFields, values: &Values) -> Vec<(ObjectKind, Uuid)> {
    fields
        .all()
        .into_iter()
        .filter(|f| f.field_type == FieldType::Lookup)
        .filter_map(|f| {
            let object = f.lookup_object.as_deref().and_then(ObjectKind::parse)?;
            match values.get(&f.key) {
                Some(FieldValue::Id(id)) => Some((object, *id)),
                _ => None,
            }
        })
        .collect()
}

/// Whether the actor may make a record refer to record `id` of `object`: a record they can
/// see, or one reached through a record they can see — the value of a lookup field of one of
/// the other records in `through` (the references the same record makes), e.g. the account
/// of an opportunity assigned to them whose account belongs to someone else. The one rule
/// of every lookup check (records, accounts' parents, relationships).
pub async fn may_reference(
    tx: &mut Tx,
    actor: &Actor,
    object: ObjectKind,
    id: Uuid,
    through: &[(ObjectKind, Uuid)],
) -> AppResult<bool> {
    if repo::is_visible(tx, &actor.principal, object, id).await? {
        return Ok(true);
    }
    for &(via_kind, via) in through {
        if (via_kind, via) == (object, id)
            || !repo::is_visible(tx, &actor.principal, via_kind, via).await?
        {
            continue;
        }
        let fields = object_fields_tx(tx, actor.tenant_id(), via_kind).await?;
        let record = repo::get(
            tx,
            fields.spec,
            &fields.custom_defs(),
            actor.tenant_id(),
            via,
        )
        .await?;
        let Some(record) = record else { continue };
        if lookups(&fields, &record.values).contains(&(object, id)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Checks that references point at records the actor may reference ([`may_reference`]) and
/// owners at active users.
async fn check_references(
    tx: &mut Tx,
    actor: &Actor,
    fields: &ObjectFields,
    values: &Values,
    before: Option<&Values>,
) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    let through = lookups(fields, values);
    for field in fields.all() {
        let Some(FieldValue::Id(id)) = values.get(&field.key) else {
            continue;
        };
        if before.and_then(|b| b.get(&field.key)) == values.get(&field.key) {
            continue;
        }
        let ok = match field.field_type {
            FieldType::User => matches!(
                store::org::get_user(tx, actor.tenant_id(), *id).await?,
                Some(u) if u.active
            ),
            FieldType::Lookup => match field.lookup_object.as_deref().and_then(ObjectKind::parse) {
                Some(object) => may_reference(tx, actor, object, *id, &through).await?,
                None => false,
            },
            _ => true,
        };
        if !ok {
            errors.add(&field.key, "invalid_reference");
        }
    }
    errors.into_result()?;
    Ok(())
}

/// Checks the tree an object declares (an account's parent): no cycle, not too deep.
async fn check_tree(
    tx: &mut Tx,
    actor: &Actor,
    fields: &ObjectFields,
    id: Uuid,
    values: &Values,
    before: Option<&Values>,
) -> AppResult<()> {
    let Some(tree) = fields.spec.tree else {
        return Ok(());
    };
    let Some(FieldValue::Id(parent)) = values.get(tree.field) else {
        return Ok(());
    };
    if before.and_then(|b| b.get(tree.field)) == values.get(tree.field) {
        return Ok(());
    }
    let Some(column) = fields
        .spec
        .field(tree.field)
        .and_then(|f| f.column.as_deref())
    else {
        return Ok(());
    };
    let mut above = vec![*parent];
    above.extend(
        store::tree::ancestors(
            tx,
            fields.spec,
            column,
            actor.tenant_id(),
            *parent,
            tree.max_depth + 1,
        )
        .await?,
    );
    match tree.check(id, *parent, &above[1..]) {
        Some("too_deep") => Err(AppError::Validation({
            let mut errors = FieldErrors::new();
            errors.add_limit(tree.field, "too_deep", tree.max_depth as i64);
            errors
        })),
        Some(code) => Err(AppError::field(tree.field, code)),
        None => Ok(()),
    }
}

/// The owner among a record's values.
fn owner_of(values: &Values) -> Option<Uuid> {
    match values.get("owner_id") {
        Some(FieldValue::Id(id)) => Some(*id),
        _ => None,
    }
}

async fn index_search(
    tx: &mut Tx,
    tenant_id: Uuid,
    kind: ObjectKind,
    record: &Values,
    id: Uuid,
) -> AppResult<()> {
    let spec = spec(kind)?;
    let texts = domain::search::search_texts(spec, |key| match record.get(key) {
        Some(FieldValue::Text(s)) => Some(s.as_str()),
        _ => None,
    });
    store::search::index_record(tx, tenant_id, kind, id, &texts).await?;
    Ok(())
}

pub async fn create(app: &App, actor: &Actor, kind: ObjectKind, input: &Input) -> AppResult<Uuid> {
    create_once(app, actor, kind, input, None).await
}

/// [`create`], storing `key` with the record in the same transaction when given (see
/// [`crate::idempotency`]).
pub async fn create_once(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    input: &Input,
    key: Option<&crate::idempotency::Key>,
) -> AppResult<Uuid> {
    let mut tx = app.db.begin().await?;
    let id = create_in(&mut tx, actor, kind, input, app.now()).await?;
    if let Some(key) = key {
        crate::idempotency::bind(&mut tx, app, actor, key, id).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// [`create`] inside the caller's transaction (a conversion creates several records in one),
/// with every check, rule, history, event and search token of a create.
pub(crate) async fn create_in(
    tx: &mut Tx,
    actor: &Actor,
    kind: ObjectKind,
    input: &Input,
    now: DateTime<Utc>,
) -> AppResult<Uuid> {
    create_routed(tx, actor, kind, input, None, now).await
}

/// [`create_in`] whose assignment, when it runs, is decided by the one rule `only` (a web
/// form naming its rule) instead of the company's rules in order.
pub(crate) async fn create_routed(
    tx: &mut Tx,
    actor: &Actor,
    kind: ObjectKind,
    input: &Input,
    only: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<Uuid> {
    actor.require(kind, Action::Create)?;
    let (input, rows) = crate::children::split(kind, input);
    let input = &input;
    let fields = actor_fields_tx(tx, actor, kind).await?;
    let mut flag_errors = FieldErrors::new();
    let (input, assign) = crate::assignment::split_flag(fields.spec, input, &mut flag_errors);
    let input = &input;
    let mut values = Values::new();
    let mut errors = apply_input(&fields, &mut values, input, true);
    errors.0.extend(flag_errors.0);
    let owner_given = values.contains_key("owner_id");
    let chosen_owner = values
        .entry("owner_id".into())
        .or_insert(FieldValue::Id(actor.id()))
        .clone();
    let given: Vec<&str> = input.iter().map(|(k, _)| k.as_str()).collect();
    rules::before_save(
        tx,
        actor,
        kind,
        None,
        None,
        &given,
        &mut values,
        &mut errors,
        now,
    )
    .await?;
    let tenant = actor.tenant_id();
    let rows = crate::children::prepare(tx, tenant, &fields, None, &rows, &mut values, &mut errors)
        .await?;
    errors.into_result()?;
    // Giving a record away needs the transfer grant; the company's assignment rules may.
    if chosen_owner != FieldValue::Id(actor.id()) {
        actor.require(kind, Action::Transfer)?;
    }
    let pool = crate::assignment::on_create(
        tx,
        actor,
        &fields,
        assign,
        owner_given,
        only,
        &mut values,
        now,
    )
    .await?;
    check_references(tx, actor, &fields, &values, None).await?;
    let id = Uuid::now_v7();
    check_tree(tx, actor, &fields, id, &values, None).await?;
    let stamp = Stamp {
        actor: actor.id(),
        at: now,
    };
    repo::insert(
        tx,
        fields.spec,
        &fields.custom_defs(),
        actor.tenant_id(),
        id,
        &values,
        &stamp,
    )
    .await?;
    crate::assignment::place(tx, actor, id, pool, &values, now).await?;
    crate::children::write(tx, actor, &fields, id, &rows, &values, now).await?;
    index_search(tx, actor.tenant_id(), kind, &values, id).await?;
    let subject = crate::events::Subject {
        object: kind,
        id,
        owner_id: owner_of(&values),
        name: record_name(&values),
    };
    crate::events::created(tx, actor, now, subject).await?;
    rules::after_save(tx, actor, kind, id, None, &values, &[], now).await?;
    Ok(id)
}

pub async fn get(app: &App, actor: &Actor, kind: ObjectKind, id: Uuid) -> AppResult<RecordView> {
    let mut tx = app.db.begin_read().await?;
    let fields = actor_fields_tx(&mut tx, actor, kind).await?;
    read_view(&mut tx, actor, fields, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The record as the actor may see it, with the names it refers to.
async fn read_view(
    tx: &mut Tx,
    actor: &Actor,
    fields: ObjectFields,
    id: Uuid,
) -> AppResult<Option<RecordView>> {
    let custom = fields.custom_defs();
    let Some(mut record) =
        repo::get_visible(tx, &actor.principal, fields.spec, &custom, id).await?
    else {
        return Ok(None);
    };
    let children = crate::children::load(tx, actor.tenant_id(), &fields, &record).await?;
    fields.strip(&mut record.values);
    let names = names_for(tx, actor, &fields, std::slice::from_ref(&record)).await?;
    Ok(Some(RecordView {
        record,
        names,
        fields,
        children,
    }))
}

/// Names of everything the records refer to.
///
/// **What a reader learns of records they cannot open**, the one rule for every answer: the
/// name of a record a visible record points to is shown (a lookup's value is a name, as
/// Salesforce shows it), even when the reader may not open that record; nothing else of it —
/// opening it answers 404, and no other of its fields comes with the visible record. Counts
/// and roll-ups never include records the reader cannot see
/// (`store::records::account_rollup`). The `x_name` beside each reference in the API's
/// answers follows this rule too.
pub async fn names_for(
    tx: &mut Tx,
    actor: &Actor,
    fields: &ObjectFields,
    records: &[Record],
) -> AppResult<HashMap<Uuid, String>> {
    let mut wanted = Vec::new();
    for field in fields.all() {
        let object = match field.field_type {
            FieldType::User => None,
            FieldType::Lookup => field.lookup_object.as_deref().and_then(ObjectKind::parse),
            _ => continue,
        };
        if field.field_type == FieldType::Lookup && object.is_none() {
            continue;
        }
        for r in records {
            if let Some(FieldValue::Id(id)) = r.values.get(&field.key) {
                wanted.push((object, *id));
            }
        }
    }
    Ok(repo::names(tx, actor.tenant_id(), &wanted).await?)
}

/// Changes the fields given in `input` (the others keep their values) if `version` is still
/// the record's version.
pub async fn update(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
    version: i64,
    input: &Input,
) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    update_in(&mut tx, actor, kind, id, version, input, app.now()).await?;
    tx.commit().await.map_err(AppError::from)
}

/// [`update`] inside the caller's transaction (an import updates a batch in one).
pub(crate) async fn update_in(
    tx: &mut Tx,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
    version: i64,
    input: &Input,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let (input, rows) = crate::children::split(kind, input);
    let input = &input;
    let fields = actor_fields_tx(tx, actor, kind).await?;
    let current = visible_record(tx, actor, &fields, id).await?;
    actor.require(kind, Action::Edit)?;
    if current.version != version {
        return Err(AppError::Conflict);
    }
    let mut values = current.values.clone();
    let errors = apply_input(&fields, &mut values, input, false);
    let given: Vec<&str> = input.iter().map(|(k, _)| k.as_str()).collect();
    let change = Change {
        values,
        given: &given,
        errors,
        rows: &rows,
        authorised: false,
    };
    write_change(tx, actor, &fields, &current, change, now).await
}

/// A change to write over a record: its new values, the fields the user gave, the errors
/// found so far and the child rows given (none: kept as they are).
struct Change<'a> {
    values: Values,
    given: &'a [&'a str],
    errors: FieldErrors,
    rows: &'a crate::children::ChildInput,
    /// Whether the caller already decided the actor may make this change (moving a converted
    /// lead's activities), so the record's own edit grant is not asked for.
    authorised: bool,
}

/// Runs the object's rules and child-row hooks over `change` and writes it, or answers the
/// errors found: the one tail of every update, by a user's form or by the system.
async fn write_change(
    tx: &mut Tx,
    actor: &Actor,
    fields: &ObjectFields,
    current: &Record,
    change: Change<'_>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Change {
        mut values,
        given,
        mut errors,
        rows,
        authorised,
    } = change;
    let kind = fields.spec.kind;
    rules::before_save(
        tx,
        actor,
        kind,
        Some(current.id),
        Some(&current.values),
        given,
        &mut values,
        &mut errors,
        now,
    )
    .await?;
    let tenant = actor.tenant_id();
    let rows = crate::children::prepare(
        tx,
        tenant,
        fields,
        Some(current),
        rows,
        &mut values,
        &mut errors,
    )
    .await?;
    errors.into_result()?;
    save(tx, actor, fields, current, values.clone(), now, authorised).await?;
    crate::children::write(tx, actor, fields, current.id, &rows, &values, now).await
}

/// The record to change, if the actor may see it (an unknown or invisible id is 404, before
/// any permission is checked).
async fn visible_record(
    tx: &mut Tx,
    actor: &Actor,
    fields: &ObjectFields,
    id: Uuid,
) -> AppResult<Record> {
    let custom = fields.custom_defs();
    repo::get_visible(tx, &actor.principal, fields.spec, &custom, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Writes `values` over `current` with history and hooks, after the grant checks of the
/// record (an owner change needs the transfer grant; an edit the edit grant unless the
/// caller `authorised` it).
async fn save(
    tx: &mut Tx,
    actor: &Actor,
    fields: &ObjectFields,
    current: &Record,
    mut values: Values,
    now: DateTime<Utc>,
    authorised: bool,
) -> AppResult<()> {
    let kind = fields.spec.kind;
    if values.get("owner_id") != current.values.get("owner_id") {
        actor.require(kind, Action::Transfer)?;
        crate::sharing::require(tx, actor, kind, current.id, Action::Transfer).await?;
    }
    if !authorised {
        crate::sharing::require(tx, actor, kind, current.id, Action::Edit).await?;
    }
    values.insert(
        "updated_at".into(),
        current
            .values
            .get("updated_at")
            .cloned()
            .unwrap_or(FieldValue::DateTime(now)),
    );
    if values == current.values {
        return Ok(());
    }
    check_references(tx, actor, fields, &values, Some(&current.values)).await?;
    check_tree(
        tx,
        actor,
        fields,
        current.id,
        &values,
        Some(&current.values),
    )
    .await?;
    let stamp = Stamp {
        actor: actor.id(),
        at: now,
    };
    if !repo::update(
        tx,
        fields.spec,
        &fields.custom_defs(),
        actor.tenant_id(),
        current,
        &values,
        &stamp,
    )
    .await?
    {
        return Err(AppError::Conflict);
    }
    let changed = write_history(
        tx,
        actor,
        fields,
        current.id,
        owner_of(&values),
        &current.values,
        &values,
        now,
    )
    .await?;
    index_search(tx, actor.tenant_id(), kind, &values, current.id).await?;
    rules::after_save(
        tx,
        actor,
        kind,
        current.id,
        Some(&current.values),
        &values,
        &changed,
        now,
    )
    .await
}

/// The record's name among its values (empty when it has none).
fn record_name(values: &Values) -> &str {
    match values.get("name") {
        Some(FieldValue::Text(name)) => name.as_str(),
        _ => "",
    }
}

/// Hands a record to another owner (needs the transfer permission), with an audit row.
/// Answers the record as the actor now sees it, or `None` when it left their scope.
pub async fn transfer(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
    version: i64,
    new_owner: Uuid,
) -> AppResult<Option<RecordView>> {
    let mut tx = app.db.begin().await?;
    let fields = actor_fields_tx(&mut tx, actor, kind).await?;
    let current = visible_record(&mut tx, actor, &fields, id).await?;
    actor.require(kind, Action::Transfer)?;
    if current.version != version {
        return Err(AppError::Conflict);
    }
    let now = app.now();
    if current.owner_id != new_owner {
        let mut values = current.values.clone();
        values.insert("owner_id".into(), FieldValue::Id(new_owner));
        save(&mut tx, actor, &fields, &current, values, now, false).await?;
        store::audit::record(
            &mut tx,
            store::audit::AuditEvent {
                tenant_id: actor.tenant_id(),
                actor_id: Some(actor.id()),
                action: "transfer",
                object: kind.key(),
                record_id: Some(id),
                detail: serde_json::json!({ "from": current.owner_id, "to": new_owner }),
                at: now,
            },
        )
        .await?;
    }
    let view = read_view(&mut tx, actor, fields, id).await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn delete(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
    version: i64,
) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    delete_in(&mut tx, actor, kind, id, version, app.now()).await?;
    tx.commit().await.map_err(AppError::from)
}

/// [`delete`] inside the caller's transaction (an import's undo deletes what it created in
/// one).
pub(crate) async fn delete_in(
    tx: &mut Tx,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
    version: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let fields = actor_fields_tx(tx, actor, kind).await?;
    let current = visible_record(tx, actor, &fields, id).await?;
    actor.require(kind, Action::Delete)?;
    crate::sharing::require(tx, actor, kind, id, Action::Delete).await?;
    if current.version != version {
        return Err(AppError::Conflict);
    }
    if let Some(tree) = fields.spec.tree {
        let field = fields.spec.field(tree.field).ok_or(AppError::NotFound)?;
        let tenant = actor.tenant_id();
        if repo::count_lookup_references(tx, fields.spec, field, tenant, id, 1).await? > 0 {
            return Err(AppError::Rule(tree.has_children));
        }
    }
    crate::references::refuse_if_referenced(tx, actor, kind, id).await?;
    store::sharing::forget_record(tx, actor.tenant_id(), kind, id).await?;
    store::timeline::delete_links_of(tx, actor.tenant_id(), kind, id).await?;
    store::timeline::forget_record(tx, actor.tenant_id(), kind, id).await?;
    if fields.spec.own_changes_in_stream {
        // The record is a stream's owner: its stream goes with it.
        store::timeline::forget_account(tx, actor.tenant_id(), id).await?;
    }
    store::search::forget_record(tx, actor.tenant_id(), kind, id).await?;
    store::tags::forget(tx, kind, actor.tenant_id(), id).await?;
    if !repo::delete(tx, fields.spec, actor.tenant_id(), id).await? {
        return Err(AppError::Conflict);
    }
    let subject = crate::events::Subject {
        object: kind,
        id,
        owner_id: owner_of(&current.values),
        name: current.name(),
    };
    crate::events::deleted(tx, actor, now, subject).await
}
