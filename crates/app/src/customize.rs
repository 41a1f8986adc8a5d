//! Administration of custom fields (自定义字段) and saved list views.

use crate::jobs::{BoxFuture, JobContext, JobHandler, JobRequest};
use crate::records::{object_fields_tx, spec};
use crate::{Actor, App, AppError, AppResult};
use domain::fields::FieldDef;
use domain::permissions::{Action, ObjectKind};
use domain::views::{ViewDefinition, MAX_COLUMNS, MAX_FILTERS};
use domain::FieldErrors;
use serde_json::{json, Value};
use store::audit::{self, AuditEvent};
use store::views::{NewView, SavedView};
use uuid::Uuid;

pub const MAX_CUSTOM_FIELDS: usize = 100;

fn require_admin(actor: &Actor) -> AppResult<()> {
    actor.require(ObjectKind::Org, Action::Administer)
}

/// Adds a custom field to an object.
pub async fn add_field(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    mut def: FieldDef,
) -> AppResult<()> {
    require_admin(actor)?;
    let spec = spec(kind)?;
    def.column = None;
    def.system = false;
    def.indexed = false;
    let mut errors = FieldErrors::new();
    for (field, code) in def.check_definition() {
        errors.add(field, code);
    }
    if let Some(target) = def.lookup_object.as_deref() {
        if ObjectKind::parse(target)
            .and_then(domain::objects::spec)
            .is_none()
        {
            errors.add("lookup_object", "invalid_choice");
        }
    }
    let mut tx = app.db.begin().await?;
    let fields = object_fields_tx(&mut tx, actor.tenant_id(), kind).await?;
    if spec.field(&def.key).is_some() || fields.custom.iter().any(|c| c.def.key == def.key) {
        errors.add("key", "duplicate_name");
    }
    if fields.custom.len() >= MAX_CUSTOM_FIELDS {
        errors.add_limit("key", "too_many", MAX_CUSTOM_FIELDS as i64);
    }
    errors.into_result()?;
    if def.position == 0 {
        def.position = (spec.fields.len() + fields.custom.len()) as i32;
    }
    store::custom_fields::insert(&mut tx, actor.tenant_id(), kind, &def, app.now()).await?;
    if def.field_type == domain::fields::FieldType::Lookup {
        // Deleting the record a lookup points at checks it by value (`crate::references`):
        // the index keeps that check an index range at any company size.
        let request = JobRequest::new(
            actor.tenant_id(),
            BuildFieldIndex::KIND,
            json!({ "object": kind.key(), "key": def.key }),
        );
        crate::jobs::enqueue(&mut tx, app.now(), &request).await?;
    }
    audit::record(
        &mut tx,
        AuditEvent {
            tenant_id: actor.tenant_id(),
            actor_id: Some(actor.id()),
            action: "add_field",
            object: "field",
            record_id: None,
            detail: serde_json::json!({ "name": format!("{}.{}", kind.key(), def.key), "object": kind.key(), "key": def.key, "type": def.field_type.key() }),
            at: app.now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes a custom field's labels, options and rules (its key and type stay), or retires it
/// (`active = false`: hidden everywhere, values kept).
pub async fn update_field(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    mut def: FieldDef,
    active: bool,
) -> AppResult<()> {
    require_admin(actor)?;
    let mut tx = app.db.begin().await?;
    let fields = object_fields_tx(&mut tx, actor.tenant_id(), kind).await?;
    let current = fields
        .custom
        .iter()
        .find(|c| c.def.key == def.key)
        .ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    if current.def.field_type != def.field_type {
        errors.add("field_type", "read_only");
    }
    def.column = None;
    def.system = false;
    def.indexed = false;
    for (field, code) in def.check_definition() {
        errors.add(field, code);
    }
    // Options already used by records stay (retired, not deleted).
    for old in &current.def.options {
        if !def.options.iter().any(|o| o.key == old.key) {
            let mut retired = old.clone();
            retired.active = false;
            def.options.push(retired);
        }
    }
    errors.into_result()?;
    store::custom_fields::update(&mut tx, actor.tenant_id(), kind, &def, active, app.now()).await?;
    let detail = serde_json::json!({
        "name": format!("{}.{}", kind.key(), def.key),
        "object": kind.key(),
        "changes": crate::audit::changes(&[
            ("label_en", serde_json::json!(current.def.label_en), serde_json::json!(def.label_en)),
            ("label_zh", serde_json::json!(current.def.label_zh), serde_json::json!(def.label_zh)),
            ("active", serde_json::json!(current.active), serde_json::json!(active)),
            ("options", serde_json::json!(current.def.options.iter().filter(|o| o.active).map(|o| &o.key).collect::<Vec<_>>()), serde_json::json!(def.options.iter().filter(|o| o.active).map(|o| &o.key).collect::<Vec<_>>())),
        ]),
    });
    crate::audit::by(
        &mut tx,
        actor,
        app.now(),
        "field",
        "update_field",
        None,
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Asks for the index that keeps filtering and sorting on a custom field fast at scale: a
/// [`BuildFieldIndex`] job, enqueued for the administrator to follow. Returns the job's id.
pub async fn index_field(app: &App, actor: &Actor, kind: ObjectKind, key: &str) -> AppResult<Uuid> {
    require_admin(actor)?;
    let mut tx = app.db.begin().await?;
    let fields = crate::records::actor_fields_tx(&mut tx, actor, kind).await?;
    if !fields.custom.iter().any(|c| c.def.key == key) {
        return Err(AppError::NotFound);
    }
    let mut request = JobRequest::new(
        actor.tenant_id(),
        BuildFieldIndex::KIND,
        json!({ "object": kind.key(), "key": key }),
    );
    request.created_by = Some(actor.id());
    let job = crate::jobs::enqueue(&mut tx, app.now(), &request).await?;
    tx.commit().await?;
    Ok(job)
}

/// Builds a custom field's index and marks the field indexed. Idempotent: the index is
/// created `IF NOT EXISTS` (always asked of the database, so an index missing since, or from
/// an older version, is built) and marking sets the name.
pub struct BuildFieldIndex;

impl BuildFieldIndex {
    pub const KIND: &'static str = "custom_field_index";

    async fn build(ctx: &JobContext) -> AppResult<Value> {
        let payload = ctx.payload();
        let field_of = |name: &str| {
            payload[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| AppError::Internal(format!("job payload lacks {name:?}")))
        };
        let (object, key) = (field_of("object")?, field_of("key")?);
        let kind = ObjectKind::parse(&object)
            .ok_or_else(|| AppError::Internal(format!("unknown object {object:?}")))?;
        let app = &ctx.app;
        let fields = {
            let mut tx = app.db.begin_read().await?;
            object_fields_tx(&mut tx, ctx.tenant_id(), kind).await?
        };
        let field = fields
            .custom
            .iter()
            .find(|c| c.def.key == key)
            .ok_or_else(|| AppError::Internal(format!("no custom field {object}.{key}")))?;
        ctx.progress(0, Some(2), "building").await?;
        // Built outside any transaction: on PostgreSQL concurrently, so writes continue.
        let name = store::records::create_custom_index(&app.db, fields.spec, &field.def).await?;
        ctx.progress(1, Some(2), "marking").await?;
        let mut tx = app.db.begin().await?;
        store::custom_fields::set_index(&mut tx, ctx.tenant_id(), kind, &key, &name).await?;
        tx.commit().await?;
        ctx.progress(2, Some(2), "done").await?;
        Ok(json!({ "object": object, "key": key, "index": name }))
    }
}

impl JobHandler for BuildFieldIndex {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, AppResult<Value>> {
        Box::pin(Self::build(ctx))
    }
}

// ---------------------------------------------------------------- saved views

/// Who a view is shared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sharing {
    Private,
    Role(Uuid),
    Department(Uuid),
    Everyone,
}

pub struct ViewInput {
    pub name: String,
    pub sharing: Sharing,
    pub definition: ViewDefinition,
}

/// A built-in view every user has (not stored): key, labels, definition.
pub struct BuiltinView {
    pub key: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
    pub definition: ViewDefinition,
}

fn filter(field: &str, op: &str, values: &[&str]) -> domain::views::FilterSpec {
    domain::views::FilterSpec {
        field: field.into(),
        op: op.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

/// The views users ask for, shipped with every object.
pub fn builtin_views(kind: ObjectKind) -> Vec<BuiltinView> {
    let spec = domain::objects::spec(kind);
    let columns: Vec<String> = spec
        .map(|s| s.default_columns.iter().map(|c| c.to_string()).collect())
        .unwrap_or_default();
    let view = |key, zh, en, filters, sort: &str, descending| BuiltinView {
        key,
        label_zh: zh,
        label_en: en,
        definition: ViewDefinition {
            columns: columns.clone(),
            filters,
            sort: sort.into(),
            descending,
        },
    };
    let mut views = vec![
        view("all", "全部", "All", vec![], "updated_at", true),
        view(
            "mine",
            "我负责的",
            "Mine",
            vec![filter("owner_id", "eq", &["me"])],
            "updated_at",
            true,
        ),
    ];
    match kind {
        ObjectKind::Account => views.push(view(
            "not_contacted_30",
            "30天未联系",
            "Not contacted in 30 days",
            vec![filter("last_contacted_at", "older_than_days", &["30"])],
            "last_contacted_at",
            false,
        )),
        ObjectKind::Activity => {
            views.push(view(
                "my_tasks_today",
                "我今天的待办",
                "My open tasks today",
                vec![
                    filter("owner_id", "eq", &["me"]),
                    filter("kind", "eq", &["task"]),
                    filter("status", "eq", &["open"]),
                    filter("due_at", "today", &[]),
                ],
                "due_at",
                false,
            ));
            views.push(view(
                "my_open_tasks",
                "我的未完成任务",
                "My open tasks",
                vec![
                    filter("owner_id", "eq", &["me"]),
                    filter("kind", "eq", &["task"]),
                    filter("status", "eq", &["open"]),
                ],
                "due_at",
                false,
            ));
        }
        ObjectKind::Opportunity => views.push(view(
            "closing_this_month",
            "本月预计成交",
            "Closing this month",
            vec![
                filter("expected_close", "this_month", &[]),
                filter(
                    "stage",
                    "in",
                    &["initial", "needs", "proposal", "negotiation"],
                ),
            ],
            "expected_close",
            false,
        )),
        ObjectKind::Lead => {
            views.push(view(
                "new_this_week",
                "本周新线索",
                "New leads this week",
                vec![
                    filter("created_at", "this_week", &[]),
                    filter("status", "eq", &["new"]),
                ],
                "created_at",
                true,
            ));
            // A manager's view of the team's late follow-ups (the list keeps to their scope).
            views.push(view(
                "follow_up_overdue",
                "跟进超期",
                "Follow-up overdue",
                vec![filter("next_follow_up_at", "before_today", &[])],
                "next_follow_up_at",
                false,
            ));
        }
        _ => {}
    }
    views
}

fn check_view(
    fields: &crate::records::ObjectFields,
    input: &ViewInput,
    actor: &Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let name = input.name.trim();
    if name.is_empty() {
        errors.add("name", "required");
    } else if name.chars().count() > 80 {
        errors.add_limit("name", "too_long", 80);
    }
    let d = &input.definition;
    if d.columns.len() > MAX_COLUMNS {
        errors.add_limit("columns", "too_long", MAX_COLUMNS as i64);
    }
    for column in &d.columns {
        if fields.all().iter().all(|f| &f.key != column) {
            errors.add("columns", "unknown_field");
            break;
        }
    }
    if d.filters.len() > MAX_FILTERS {
        errors.add_limit("filters", "too_long", MAX_FILTERS as i64);
    }
    let filterable = fields.filterable();
    for f in &d.filters {
        if let Err(e) = domain::views::compile(f, &filterable, actor.id(), now, actor.time_zone()) {
            errors.add(&format!("filter.{}", e.field), e.code);
        }
    }
    let sort = if d.descending {
        format!("-{}", d.sort)
    } else {
        d.sort.clone()
    };
    if crate::records::parse_sort(fields, Some(&sort)).is_none() {
        errors.add("sort", "invalid_choice");
    }
    errors
}

fn sharing_columns(
    actor: &Actor,
    sharing: &Sharing,
) -> AppResult<(&'static str, Option<Uuid>, Option<Uuid>)> {
    // Sharing beyond oneself is for managers of the org.
    if *sharing != Sharing::Private {
        require_admin(actor).or_else(|_| actor.require(ObjectKind::Account, Action::Transfer))?;
    }
    Ok(match sharing {
        Sharing::Private => ("private", None, None),
        Sharing::Role(r) => ("role", Some(*r), None),
        Sharing::Department(d) => ("department", None, Some(*d)),
        Sharing::Everyone => ("everyone", None, None),
    })
}

pub async fn create_view(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    input: &ViewInput,
) -> AppResult<Uuid> {
    let mut tx = app.db.begin().await?;
    let fields = object_fields_tx(&mut tx, actor.tenant_id(), kind).await?;
    check_view(&fields, input, actor, app.now()).into_result()?;
    let (shared_with, role_id, department_id) = sharing_columns(actor, &input.sharing)?;
    check_sharing_target(&mut tx, actor, role_id, department_id).await?;
    let id = Uuid::now_v7();
    store::views::insert(
        &mut tx,
        actor.tenant_id(),
        &NewView {
            id,
            object: kind,
            name: input.name.trim(),
            owner_id: actor.id(),
            shared_with,
            role_id,
            department_id,
            definition: &input.definition,
        },
        app.now(),
    )
    .await?;
    audit_shared_view(
        &mut tx,
        app,
        actor,
        kind,
        id,
        "create",
        input.name.trim(),
        None,
        shared_with,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Views shared beyond their owner are company-wide settings of a kind: creating, changing
/// or deleting one is audited (a private view is not).
#[allow(clippy::too_many_arguments)]
async fn audit_shared_view(
    tx: &mut store::Tx,
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
    action: &str,
    name: &str,
    before: Option<&str>,
    after: &str,
) -> AppResult<()> {
    if before.is_none_or(|b| b == "private") && after == "private" {
        return Ok(());
    }
    let detail = json!({
        "name": name,
        "object": kind.key(),
        "changes": crate::audit::changes(&[("shared_with", json!(before), json!(after))]),
    });
    crate::audit::by(tx, actor, app.now(), "view", action, Some(id), detail).await
}

async fn check_sharing_target(
    tx: &mut store::Tx,
    actor: &Actor,
    role: Option<Uuid>,
    department: Option<Uuid>,
) -> AppResult<()> {
    if let Some(role) = role {
        if store::org::get_role(tx, actor.tenant_id(), role)
            .await?
            .is_none()
        {
            return Err(AppError::field("role_id", "invalid_reference"));
        }
    }
    if let Some(dept) = department {
        if store::org::get_department(tx, actor.tenant_id(), dept)
            .await?
            .is_none()
        {
            return Err(AppError::field("department_id", "invalid_reference"));
        }
    }
    Ok(())
}

/// The views the actor can use on `kind`: the built-in ones and saved ones.
pub async fn usable_views(app: &App, actor: &Actor, kind: ObjectKind) -> AppResult<Vec<SavedView>> {
    let mut tx = app.db.begin_read().await?;
    Ok(store::views::usable(&mut tx, &actor.principal, actor.user.role_id, kind).await?)
}

/// A saved view the actor may use (404 otherwise).
pub async fn get_view(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
) -> AppResult<SavedView> {
    let views = usable_views(app, actor, kind).await?;
    views
        .into_iter()
        .find(|v| v.id == id)
        .ok_or(AppError::NotFound)
}

/// Only the owner (or an administrator) changes or deletes a view.
async fn own_view(
    tx: &mut store::Tx,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
) -> AppResult<SavedView> {
    let view = store::views::get(tx, actor.tenant_id(), id)
        .await?
        .filter(|v| v.object == kind.key())
        .ok_or(AppError::NotFound)?;
    if view.owner_id != actor.id() {
        require_admin(actor).map_err(|_| AppError::NotFound)?;
    }
    Ok(view)
}

pub async fn update_view(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
    version: i64,
    input: &ViewInput,
) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    let before = own_view(&mut tx, actor, kind, id).await?;
    let fields = object_fields_tx(&mut tx, actor.tenant_id(), kind).await?;
    check_view(&fields, input, actor, app.now()).into_result()?;
    let (shared_with, role_id, department_id) = sharing_columns(actor, &input.sharing)?;
    check_sharing_target(&mut tx, actor, role_id, department_id).await?;
    let view = NewView {
        id,
        object: kind,
        name: input.name.trim(),
        owner_id: actor.id(),
        shared_with,
        role_id,
        department_id,
        definition: &input.definition,
    };
    if !store::views::update(&mut tx, actor.tenant_id(), &view, version, app.now()).await? {
        return Err(AppError::Conflict);
    }
    let was = before.shared_with.clone();
    audit_shared_view(
        &mut tx,
        app,
        actor,
        kind,
        id,
        "update",
        view.name,
        Some(&was),
        shared_with,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_view(app: &App, actor: &Actor, kind: ObjectKind, id: Uuid) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    let view = own_view(&mut tx, actor, kind, id).await?;
    store::views::delete(&mut tx, actor.tenant_id(), id).await?;
    let was = view.shared_with.clone();
    audit_shared_view(
        &mut tx,
        app,
        actor,
        kind,
        id,
        "delete",
        &view.name,
        Some(&was),
        "private",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- field access

/// Sets, per role, which fields of an object are read-only or hidden (`None`: editable).
/// Replaces the object's limits on every role named in `rules`.
pub async fn set_field_access(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    rules: &[(Uuid, String, Option<domain::permissions::FieldAccess>)],
) -> AppResult<()> {
    require_admin(actor)?;
    let mut tx = app.db.begin().await?;
    let fields = object_fields_tx(&mut tx, actor.tenant_id(), kind).await?;
    let mut errors = FieldErrors::new();
    for (_, key, _) in rules {
        // An account's type, like every record's name and owner, stays visible.
        let known = fields
            .field(key)
            .is_some_and(|f| !f.system && (kind != ObjectKind::Account || f.key != "account_type"));
        if !known || key == "name" || key == "owner_id" {
            errors.add(key, "invalid_choice");
        }
    }
    errors.into_result()?;
    let mut roles: Vec<Uuid> = rules.iter().map(|r| r.0).collect();
    roles.sort();
    roles.dedup();
    for role_id in roles {
        let mut role = store::org::get_role(&mut tx, actor.tenant_id(), role_id)
            .await?
            .ok_or(AppError::field("role_id", "invalid_reference"))?;
        let limits: std::collections::BTreeMap<String, domain::permissions::FieldAccess> = rules
            .iter()
            .filter(|r| r.0 == role_id)
            .filter_map(|(_, key, access)| access.map(|a| (key.clone(), a)))
            .collect();
        if limits.is_empty() {
            role.permissions.0.fields.remove(&kind);
        } else {
            role.permissions.0.fields.insert(kind, limits);
        }
        if !store::org::update_role(&mut tx, actor.tenant_id(), &role, app.now()).await? {
            return Err(AppError::Conflict);
        }
    }
    audit::record(
        &mut tx,
        AuditEvent {
            tenant_id: actor.tenant_id(),
            actor_id: Some(actor.id()),
            action: "field_access",
            object: "field",
            record_id: None,
            detail: serde_json::json!({ "name": kind.key(), "object": kind.key(), "changes": rules.iter().map(|(role, key, access)| serde_json::json!({ "field": key, "old": null, "new": access.map(|a| a.key()).unwrap_or("full"), "role_id": role })).collect::<Vec<_>>() }),
            at: app.now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
