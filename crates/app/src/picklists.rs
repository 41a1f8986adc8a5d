//! Per-company metadata: the choices of standard picklists, stage sets and record types
//! (业务类型). The company's versions are laid over the standard field definitions where an
//! object's fields are loaded ([`overlay`]), so forms, filters, validation, the API's field
//! list and the OpenAPI document follow them; the record rules read a record's stage set and
//! its type's required fields once per write ([`RecordMeta`]).

use crate::records::{object_fields_tx, ObjectFields};
use crate::{Actor, App, AppError, AppResult};
use domain::fields::{FieldDef, FieldValue, PicklistOption};
use domain::permissions::{Action, ObjectKind};
use domain::picklists::{self as rules, RecordType, StageSet};
use domain::FieldErrors;
use serde_json::json;
use store::records::Values;
use store::Tx;
use uuid::Uuid;

fn require_admin(actor: &Actor) -> AppResult<()> {
    actor.require(ObjectKind::Org, Action::Administer)
}

fn invalid(problems: Vec<(String, &'static str)>) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    for (field, code) in problems {
        errors.add(&field, code);
    }
    Ok(errors.into_result()?)
}

/// The object's stage sets, the standard one when the company has none (a company created
/// before its seed is still served as before).
async fn stage_sets(tx: &mut Tx, tenant_id: Uuid, kind: ObjectKind) -> AppResult<Vec<StageSet>> {
    let sets = store::picklists::stage_sets(tx, tenant_id, kind).await?;
    Ok(if sets.is_empty() {
        vec![StageSet::standard()]
    } else {
        sets
    })
}

/// Replaces the standard picklists of `fields` with the company's: its edited choices, its
/// record types as the `record_type` choices and its stages (of every set) as `stage`'s.
pub async fn overlay(tx: &mut Tx, tenant_id: Uuid, fields: &mut ObjectFields) -> AppResult<()> {
    let spec = fields.spec;
    let kind = spec.kind;
    let has_type = spec.field("record_type").is_some();
    let mut edited = store::picklists::options(tx, tenant_id, kind).await?;
    let types = if has_type {
        store::picklists::record_types(tx, tenant_id, kind).await?
    } else {
        Vec::new()
    };
    let sets = if spec.stage_field.is_some() {
        stage_sets(tx, tenant_id, kind).await?
    } else {
        Vec::new()
    };
    for field in &spec.fields {
        let mut def = field.clone();
        if field.key == "record_type" {
            def.options = RecordType::options(&types);
        } else if Some(field.key.as_str()) == spec.stage_field {
            def.options = rules::all_stage_options(&sets);
            def.default_value = sets.first().and_then(|s| s.first()).map(str::to_string);
        } else if let Some(i) = edited.iter().position(|(key, _)| key == &field.key) {
            def.options = edited.swap_remove(i).1;
        } else {
            continue;
        }
        fields.overrides.push(def);
    }
    Ok(())
}

/// What a record's type decides for a write: the type (none: the object has no default),
/// and for an object with stages, the stage set.
pub struct RecordMeta {
    pub record_type: Option<RecordType>,
    pub stage_set: Option<StageSet>,
}

impl RecordMeta {
    /// Loads the type named by the record's `record_type` (or the default one) and its set.
    pub async fn load(
        tx: &mut Tx,
        tenant_id: Uuid,
        kind: ObjectKind,
        values: &Values,
    ) -> AppResult<RecordMeta> {
        let Some(spec) = domain::objects::spec(kind) else {
            return Ok(RecordMeta {
                record_type: None,
                stage_set: None,
            });
        };
        let record_type = if spec.field("record_type").is_some() {
            let key = match values.get("record_type") {
                Some(FieldValue::Text(k)) => Some(k.as_str()),
                _ => None,
            };
            let types = store::picklists::record_types(tx, tenant_id, kind).await?;
            RecordType::of(&types, key).cloned()
        } else {
            None
        };
        let stage_set = if spec.stage_field.is_some() {
            let sets = stage_sets(tx, tenant_id, kind).await?;
            let wanted = record_type
                .as_ref()
                .and_then(|t| t.stage_set.as_deref())
                .unwrap_or(rules::DEFAULT_SET);
            sets.iter()
                .find(|s| s.key == wanted)
                .or(sets.first())
                .cloned()
        } else {
            None
        };
        Ok(RecordMeta {
            record_type,
            stage_set,
        })
    }

    /// The type's required fields without a value, as `required` field errors — except those
    /// the writer's role hides or keeps read-only, which the writer could not fill in.
    pub fn check_required(
        &self,
        actor: &Actor,
        kind: ObjectKind,
        values: &Values,
        errors: &mut FieldErrors,
    ) {
        let Some(t) = &self.record_type else { return };
        let limits = &actor.principal.permissions;
        for key in &t.required_fields {
            if limits.field_access(kind, key).is_some() {
                continue;
            }
            let empty = match values.get(key) {
                None => true,
                Some(FieldValue::Text(s)) => s.trim().is_empty(),
                Some(FieldValue::Choices(c)) => c.is_empty(),
                Some(_) => false,
            };
            if empty && errors.for_field(key).is_none() {
                errors.add(key, "required");
            }
        }
    }
}

/// Sets the choices of a picklist of `kind` (administrators): the submitted options in their
/// order; a current key left out is kept, inactive — a value in use is never deleted, and
/// records holding it keep and show it while new choices cannot pick it. Custom picklists
/// take the same body. Answers the field as it now is.
pub async fn set_options(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    key: &str,
    submitted: Vec<PicklistOption>,
) -> AppResult<FieldDef> {
    require_admin(actor)?;
    let mut tx = app.db.begin().await?;
    let fields = object_fields_tx(&mut tx, actor.tenant_id(), kind).await?;
    let Some(field) = fields.field(key).cloned() else {
        return Err(field_error("key", "unknown_field"));
    };
    if let Err(code) = rules::editable(&field) {
        return Err(field_error("key", code));
    }
    if let Some(custom) = fields.custom.iter().find(|c| c.def.key == key) {
        // A custom picklist keeps its own rules (its definition holds its options).
        let active = custom.active;
        let mut def = custom.def.clone();
        drop(tx);
        let merged = rules::merge_options(&def, &def.options, &submitted);
        invalid(merged.err().unwrap_or_default())?;
        def.options = submitted;
        crate::customize::update_field(app, actor, kind, def, active).await?;
        let fields = crate::records::object_fields(app, actor, kind).await?;
        return fields.field(key).cloned().ok_or(AppError::NotFound);
    }
    let merged = rules::merge_options(&field, &field.options, &submitted).map_err(|problems| {
        let mut errors = FieldErrors::new();
        for (field, code) in problems {
            errors.add(&field, code);
        }
        AppError::Validation(errors)
    })?;
    let now = app.now();
    store::picklists::set_options(&mut tx, actor.tenant_id(), kind, key, &merged, now).await?;
    let labels = |options: &[PicklistOption]| {
        options
            .iter()
            .filter(|o| o.active)
            .map(|o| format!("{} {}/{}", o.key, o.label_zh, o.label_en))
            .collect::<Vec<_>>()
    };
    let detail = json!({
        "name": format!("{}.{}", kind.key(), key),
        "object": kind.key(),
        "changes": crate::audit::changes(&[
            ("options", json!(labels(&field.options)), json!(labels(&merged))),
        ]),
    });
    crate::audit::by(&mut tx, actor, now, "field", "update_field", None, detail).await?;
    tx.commit().await?;
    let mut field = field;
    field.options = merged;
    Ok(field)
}

fn field_error(field: &str, code: &'static str) -> AppError {
    let mut errors = FieldErrors::new();
    errors.add(field, code);
    AppError::Validation(errors)
}

/// The objects that have record types.
pub fn typed(kind: ObjectKind) -> bool {
    domain::objects::spec(kind).is_some_and(|s| s.field("record_type").is_some())
}

/// The record types of an object (every signed-in user: forms offer them).
pub async fn record_types(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
) -> AppResult<Vec<RecordType>> {
    if !typed(kind) {
        return Err(field_error("object", "invalid_choice"));
    }
    let mut tx = app.db.begin_read().await?;
    Ok(store::picklists::record_types(&mut tx, actor.tenant_id(), kind).await?)
}

/// A record type as an administrator submits it (its id is kept on an update).
#[derive(Debug, Clone)]
pub struct RecordTypeInput {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: bool,
    pub is_default: bool,
    pub stage_set: Option<String>,
    pub required_fields: Vec<String>,
    pub layout_fields: Vec<String>,
    pub follow_up_days: domain::follow_up::Deadlines,
}

impl RecordTypeInput {
    pub fn of(t: &RecordType) -> RecordTypeInput {
        RecordTypeInput {
            key: t.key.clone(),
            name_zh: t.name_zh.clone(),
            name_en: t.name_en.clone(),
            active: t.active,
            is_default: t.is_default,
            stage_set: t.stage_set.clone(),
            required_fields: t.required_fields.clone(),
            layout_fields: t.layout_fields.clone(),
            follow_up_days: t.follow_up_days.clone(),
        }
    }
}

/// Creates (no `id`) or changes a record type of `kind` (administrators).
pub async fn save_record_type(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    id: Option<Uuid>,
    input: RecordTypeInput,
) -> AppResult<RecordType> {
    require_admin(actor)?;
    if !typed(kind) {
        return Err(field_error("object", "invalid_choice"));
    }
    let mut tx = app.db.begin().await?;
    let tenant = actor.tenant_id();
    let existing = store::picklists::record_types(&mut tx, tenant, kind).await?;
    let current = match id {
        Some(id) => Some(
            existing
                .iter()
                .find(|t| t.id == id)
                .cloned()
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let t = RecordType {
        id: id.unwrap_or_else(Uuid::now_v7),
        object: kind.key().to_string(),
        key: input.key.trim().to_string(),
        name_zh: input.name_zh.trim().to_string(),
        name_en: input.name_en.trim().to_string(),
        active: input.active,
        is_default: input.is_default,
        stage_set: input.stage_set.filter(|s| !s.trim().is_empty()),
        required_fields: input.required_fields,
        layout_fields: input.layout_fields,
        follow_up_days: input.follow_up_days,
    };
    let fields = object_fields_tx(&mut tx, tenant, kind).await?;
    let writable: Vec<&FieldDef> = fields
        .all()
        .into_iter()
        .filter(|f| fields.writable(f))
        .collect();
    let sets: Vec<String> = stage_sets(&mut tx, tenant, kind)
        .await?
        .into_iter()
        .map(|s| s.key)
        .collect();
    let mut problems = t.check(&writable, &sets);
    match &current {
        Some(c) if c.key != t.key => problems.push(("key".into(), "read_only")),
        None if existing.iter().any(|e| e.key == t.key) => {
            problems.push(("key".into(), "duplicate_name"))
        }
        _ => {}
    }
    invalid(problems)?;
    let now = app.now();
    store::picklists::put_record_type(&mut tx, tenant, &t, now).await?;
    let as_json = |t: Option<&RecordType>| t.map(|t| json!(t)).unwrap_or(json!(null));
    let detail = json!({
        "name": format!("{}.{}", kind.key(), t.key),
        "object": kind.key(),
        "changes": crate::audit::changes(&[("record_type", as_json(current.as_ref()), as_json(Some(&t)))]),
    });
    let action = if current.is_some() {
        "update"
    } else {
        "create"
    };
    crate::audit::by(&mut tx, actor, now, "field", action, Some(t.id), detail).await?;
    tx.commit().await?;
    Ok(t)
}

/// A record type by id, with its object.
pub async fn record_type(app: &App, actor: &Actor, id: Uuid) -> AppResult<RecordType> {
    let mut tx = app.db.begin_read().await?;
    store::picklists::record_type(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The stage sets of an object with stages (every signed-in user).
pub async fn list_stage_sets(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
) -> AppResult<Vec<StageSet>> {
    if domain::objects::spec(kind)
        .and_then(|s| s.stage_field)
        .is_none()
    {
        return Err(field_error("object", "invalid_choice"));
    }
    let mut tx = app.db.begin_read().await?;
    stage_sets(&mut tx, actor.tenant_id(), kind).await
}

/// Creates a stage set, or replaces the stages of one (administrators). Stages of the
/// default set cannot be removed while records hold them: changing a set keeps existing
/// records' stages among its keys.
pub async fn put_stage_set(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    set: StageSet,
) -> AppResult<StageSet> {
    require_admin(actor)?;
    if domain::objects::spec(kind)
        .and_then(|s| s.stage_field)
        .is_none()
    {
        return Err(field_error("object", "invalid_choice"));
    }
    invalid(set.check())?;
    let mut tx = app.db.begin().await?;
    let tenant = actor.tenant_id();
    let current = store::picklists::stage_sets(&mut tx, tenant, kind).await?;
    if let Some(old) = current.iter().find(|s| s.key == set.key) {
        // Keys stay: records may hold any of them (mapping old stages is for later).
        for (i, stage) in old.stages.iter().enumerate() {
            if set.stage(&stage.key).is_none() {
                invalid(vec![(format!("stages[{i}]"), "still_used")])?;
            }
        }
    }
    // A stage given without a gate keeps the one it has (gates are edited as business types).
    let mut set = set;
    if let Some(old) = current.iter().find(|s| s.key == set.key) {
        for stage in set.stages.iter_mut().filter(|s| s.gate.is_empty()) {
            if let Some(kept) = old.stage(&stage.key) {
                stage.gate = kept.gate.clone();
            }
        }
    }
    store::picklists::put_stage_set(&mut tx, tenant, kind, &set).await?;
    let now = app.now();
    let detail = json!({
        "name": format!("{}.{}", kind.key(), set.key),
        "object": kind.key(),
        "changes": crate::audit::changes(&[("stages", json!(current.iter().find(|s| s.key == set.key)), json!(set))]),
    });
    crate::audit::by(&mut tx, actor, now, "field", "update", None, detail).await?;
    tx.commit().await?;
    Ok(set)
}
