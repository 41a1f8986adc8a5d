//! Business types (业务类型): an opportunity record type with its stage set, whose stages
//! carry durations, key activities, milestones, buying-process steps and gates. Read by
//! every signed-in user (forms, the board, the stage path); created, edited and installed
//! from a template by administrators, the set and the type in one transaction.

use crate::records::object_fields_tx;
use crate::{Actor, App, AppError, AppResult};
use domain::fields::FieldDef;
use domain::permissions::{Action, ObjectKind};
use domain::picklists::{RecordType, StageSet};
use domain::FieldErrors;
use serde_json::json;
use uuid::Uuid;

/// A business type: the record type and its stage set.
#[derive(Debug, Clone)]
pub struct BusinessType {
    pub record_type: RecordType,
    pub set: StageSet,
}

fn set_for<'a>(sets: &'a [StageSet], t: &RecordType) -> Option<&'a StageSet> {
    let key = t
        .stage_set
        .as_deref()
        .unwrap_or(domain::picklists::DEFAULT_SET);
    sets.iter().find(|s| s.key == key).or(sets.first())
}

async fn stage_sets(tx: &mut store::Tx, tenant: Uuid) -> AppResult<Vec<StageSet>> {
    let sets = store::picklists::stage_sets(tx, tenant, ObjectKind::Opportunity).await?;
    Ok(if sets.is_empty() {
        vec![StageSet::standard()]
    } else {
        sets
    })
}

/// The company's business types, in their order (retired ones included: deals keep them).
pub async fn list(app: &App, actor: &Actor) -> AppResult<Vec<BusinessType>> {
    let mut tx = app.db.begin_read().await?;
    list_tx(&mut tx, actor.tenant_id()).await
}

pub async fn list_tx(tx: &mut store::Tx, tenant: Uuid) -> AppResult<Vec<BusinessType>> {
    let types = store::picklists::record_types(tx, tenant, ObjectKind::Opportunity).await?;
    let sets = stage_sets(tx, tenant).await?;
    Ok(types
        .into_iter()
        .filter_map(|t| {
            set_for(&sets, &t).cloned().map(|set| BusinessType {
                record_type: t,
                set,
            })
        })
        .collect())
}

/// The business type with `key`.
pub async fn get(app: &App, actor: &Actor, key: &str) -> AppResult<BusinessType> {
    list(app, actor)
        .await?
        .into_iter()
        .find(|b| b.record_type.key == key)
        .ok_or(AppError::NotFound)
}

/// A business type as an administrator submits it: the type's names and flags, and the
/// stages (with their gates) of its own set, keyed like the type.
#[derive(Debug, Clone)]
pub struct Input {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: bool,
    pub is_default: bool,
    pub stages: Vec<domain::picklists::Stage>,
}

fn invalid(problems: Vec<(String, &'static str)>) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    for (field, code) in problems {
        errors.add(&field, code);
    }
    Ok(errors.into_result()?)
}

/// Creates a business type, or replaces the names and stages of the one with that key
/// (administrators). A stage deals may hold is never dropped (`still_used`); its gate's
/// required fields must be fields of opportunities.
pub async fn save(app: &App, actor: &Actor, input: Input) -> AppResult<BusinessType> {
    actor.require(ObjectKind::Org, Action::Administer)?;
    let mut tx = app.db.begin().await?;
    let tenant = actor.tenant_id();
    let kind = ObjectKind::Opportunity;
    let types = store::picklists::record_types(&mut tx, tenant, kind).await?;
    let current = types.iter().find(|t| t.key == input.key.trim()).cloned();
    let sets = stage_sets(&mut tx, tenant).await?;
    let set_key = current
        .as_ref()
        .and_then(|t| t.stage_set.clone())
        .unwrap_or_else(|| input.key.trim().to_string());
    let set = StageSet {
        key: set_key.clone(),
        name_zh: input.name_zh.trim().to_string(),
        name_en: input.name_en.trim().to_string(),
        stages: input.stages,
    };
    let mut problems = set.check();
    let fields = object_fields_tx(&mut tx, tenant, kind).await?;
    let known: Vec<&FieldDef> = fields.all();
    for (i, stage) in set.stages.iter().enumerate() {
        for (j, f) in stage.gate.required_fields.iter().enumerate() {
            if !known.iter().any(|d| &d.key == f) {
                problems.push((format!("stages[{i}].required_fields[{j}]"), "unknown_field"));
            }
        }
    }
    if let Some(old) = sets.iter().find(|s| s.key == set_key) {
        if old.key != domain::picklists::DEFAULT_SET || current.is_some() {
            for (i, stage) in old.stages.iter().enumerate() {
                if set.stage(&stage.key).is_none() {
                    problems.push((format!("stages[{i}]"), "still_used"));
                }
            }
        }
    }
    let t = RecordType {
        id: current.as_ref().map(|c| c.id).unwrap_or_else(Uuid::now_v7),
        object: kind.key().to_string(),
        key: input.key.trim().to_string(),
        name_zh: set.name_zh.clone(),
        name_en: set.name_en.clone(),
        active: input.active,
        is_default: input.is_default,
        stage_set: Some(set_key.clone()),
        required_fields: current
            .as_ref()
            .map(|c| c.required_fields.clone())
            .unwrap_or_default(),
        layout_fields: current
            .as_ref()
            .map(|c| c.layout_fields.clone())
            .unwrap_or_default(),
        follow_up_days: Default::default(),
    };
    let set_keys: Vec<String> = sets
        .iter()
        .map(|s| s.key.clone())
        .chain([set_key.clone()])
        .collect();
    let writable: Vec<&FieldDef> = known.into_iter().filter(|f| fields.writable(f)).collect();
    problems.extend(t.check(&writable, &set_keys));
    invalid(problems)?;
    let now = app.now();
    store::picklists::put_stage_set(&mut tx, tenant, kind, &set).await?;
    store::picklists::put_record_type(&mut tx, tenant, &t, now).await?;
    let detail = json!({
        "name": format!("{}.{}", kind.key(), t.key),
        "object": kind.key(),
        "changes": crate::audit::changes(&[(
            "business_type",
            json!(sets.iter().find(|s| s.key == set_key)),
            json!(set),
        )]),
    });
    let action = if current.is_some() {
        "update"
    } else {
        "create"
    };
    crate::audit::by(&mut tx, actor, now, "field", action, Some(t.id), detail).await?;
    tx.commit().await?;
    Ok(BusinessType {
        record_type: t,
        set,
    })
}

/// Installs a template (`product_sale`, `solution_sale`) as a business type of that key;
/// the first type a company has becomes its default.
pub async fn install(app: &App, actor: &Actor, template: &str) -> AppResult<BusinessType> {
    actor.require(ObjectKind::Org, Action::Administer)?;
    let Some(t) = domain::stages::templates()
        .into_iter()
        .find(|t| t.key == template)
    else {
        let mut errors = FieldErrors::new();
        errors.add("template", "invalid_choice");
        return Err(AppError::Validation(errors));
    };
    let first = list(app, actor).await?.is_empty();
    save(
        app,
        actor,
        Input {
            key: t.key.to_string(),
            name_zh: t.set.name_zh.clone(),
            name_en: t.set.name_en.clone(),
            active: true,
            is_default: first,
            stages: t.set.stages,
        },
    )
    .await
}
