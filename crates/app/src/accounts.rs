//! Accounts (客户): create, read, edit, delete, transfer, list and history.

use crate::records;
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, NaiveDate, Utc};
use domain::accounts::{changes, AccountFields, AccountInput, AccountType, Grade};
use domain::permissions::FieldAccess;
use domain::permissions::{Action, ObjectKind};
use domain::FieldErrors;
use store::accounts::{self as repo, AccountFilter, AccountRow, CursorValue, ListQuery, SortField};
use store::audit::{self, AuditEvent};
use store::history::{self, FieldChange, NewChange};
use store::records::Values;
use store::{org, Tx};
use uuid::Uuid;

/// The account tree is at most this many levels deep (group → subsidiary → branch → site).
pub const MAX_TREE_DEPTH: usize = 4;
pub const OBJECT: &str = "account";

/// Checks the references of a validated account: a parent the actor may reference
/// ([`records::may_reference`]), without cycles and within the tree depth; an active owner.
async fn check_references(
    tx: &mut Tx,
    actor: &Actor,
    id: Uuid,
    fields: &AccountFields,
) -> AppResult<Uuid> {
    let mut errors = FieldErrors::new();
    if let Some(parent) = fields.parent_id {
        if parent == id
            || !records::may_reference(tx, actor, ObjectKind::Account, parent, &[]).await?
        {
            errors.add("parent_id", "invalid_reference");
        } else {
            let above = repo::ancestors(tx, actor.tenant_id(), parent, MAX_TREE_DEPTH + 1).await?;
            if above.contains(&id) {
                errors.add("parent_id", "cycle");
            } else if above.len() + 2 > MAX_TREE_DEPTH {
                errors.add_limit("parent_id", "too_deep", MAX_TREE_DEPTH as i64);
            }
        }
    }
    let owner_id = fields.owner_id.unwrap_or(actor.id());
    match org::get_user(tx, actor.tenant_id(), owner_id).await? {
        Some(u) if u.active => {}
        _ => errors.add("owner_id", "invalid_reference"),
    }
    errors.into_result()?;
    Ok(owner_id)
}

/// Turns reference ids in history values into names people recognise.
async fn describe(
    tx: &mut Tx,
    actor: &Actor,
    field: &str,
    value: Option<String>,
) -> AppResult<Option<String>> {
    let Some(v) = value else { return Ok(None) };
    let Ok(id) = Uuid::parse_str(&v) else {
        return Ok(Some(v));
    };
    Ok(Some(match field {
        "owner_id" => org::get_user(tx, actor.tenant_id(), id)
            .await?
            .map(|u| u.name)
            .unwrap_or(v),
        "parent_id" => repo::get_visible(tx, &actor.principal, id)
            .await?
            .map(|a| a.name)
            .unwrap_or(v),
        _ => v,
    }))
}

async fn write_history(
    tx: &mut Tx,
    actor: &Actor,
    id: Uuid,
    before: &AccountFields,
    after: &AccountFields,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut described = Vec::new();
    for (field, old, new) in changes(before, after) {
        let old = describe(tx, actor, field, old).await?;
        let new = describe(tx, actor, field, new).await?;
        described.push((field, old, new));
    }
    let rows: Vec<NewChange> = described
        .iter()
        .map(|(field, old, new)| NewChange {
            field,
            old_value: old.as_deref(),
            new_value: new.as_deref(),
        })
        .collect();
    let subject = crate::events::Subject {
        object: ObjectKind::Account,
        id,
        owner_id: after.owner_id,
        name: &after.name,
    };
    crate::events::changed(tx, actor, now, subject, &rows).await?;
    if !described.is_empty() {
        let changes: Vec<serde_json::Value> = described
            .iter()
            .map(|(field, old, new)| serde_json::json!({ "field": field, "old": old, "new": new }))
            .collect();
        store::timeline::add(
            tx,
            actor.tenant_id(),
            &store::timeline::NewEntry {
                account_id: id,
                at: now,
                kind: "field",
                object: ObjectKind::Account,
                record_id: id,
                actor_id: actor.id(),
                summary: serde_json::json!({ "event": "changed", "changes": changes }),
            },
        )
        .await?;
    }
    Ok(())
}

/// Writes a change if `version` is still current, with its field history.
async fn save_change(
    tx: &mut Tx,
    actor: &Actor,
    id: Uuid,
    version: i64,
    before: &AccountFields,
    after: &AccountFields,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let change = repo::Change {
        before,
        after,
        actor: actor.id(),
        at: now,
    };
    if !repo::update(tx, actor.tenant_id(), id, version, change).await? {
        return Err(AppError::Conflict);
    }
    write_history(tx, actor, id, before, after, now).await
}

/// Standard and custom field errors together, so a form shows all of them at once.
fn merge_errors<T, U>(a: Result<T, FieldErrors>, b: AppResult<U>) -> AppResult<(T, U)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut a), Err(AppError::Validation(b))) => {
            a.0.extend(b.0);
            Err(AppError::Validation(a))
        }
        (Err(a), _) => Err(AppError::Validation(a)),
        (_, Err(b)) => Err(b),
    }
}

pub async fn create(app: &App, actor: &Actor, input: &AccountInput) -> AppResult<AccountRow> {
    create_with_custom(app, actor, input, &Vec::new()).await
}

/// Creates an account with standard fields and custom field values (as text per key).
pub async fn create_with_custom(
    app: &App,
    actor: &Actor,
    input: &AccountInput,
    custom: &records::Input,
) -> AppResult<AccountRow> {
    create_once(app, actor, input, custom, None).await
}

/// [`create_with_custom`], storing `key` with the account in the same transaction when given
/// (see [`crate::idempotency`]).
pub async fn create_once(
    app: &App,
    actor: &Actor,
    input: &AccountInput,
    custom: &records::Input,
    key: Option<&crate::idempotency::Key>,
) -> AppResult<AccountRow> {
    actor.require(ObjectKind::Account, Action::Create)?;
    let mut tx = app.db.begin().await?;
    let checked = records::check_custom(
        &mut tx,
        actor,
        ObjectKind::Account,
        &Values::new(),
        custom,
        true,
    )
    .await;
    let (fields, (object_fields, custom_values)) = merge_errors(input.validate(), checked)?;
    refuse_limited(actor, &fields)?;
    if fields.owner_id.is_some_and(|o| o != actor.id()) {
        actor.require(ObjectKind::Account, Action::Transfer)?;
    }
    let id = Uuid::now_v7();
    let owner_id = check_references(&mut tx, actor, id, &fields).await?;
    repo::insert(
        &mut tx,
        actor.tenant_id(),
        id,
        &fields,
        owner_id,
        (actor.id(), app.now()),
    )
    .await?;
    if !custom_values.is_empty() {
        store::records::set_custom(
            &mut tx,
            object_fields.spec,
            &object_fields.custom_defs(),
            actor.tenant_id(),
            id,
            &custom_values,
        )
        .await?;
    }
    let subject = crate::events::Subject {
        object: ObjectKind::Account,
        id,
        owner_id: Some(owner_id),
        name: &fields.name,
    };
    crate::events::created(&mut tx, actor, app.now(), subject).await?;
    let row = repo::get_visible(&mut tx, &actor.principal, id)
        .await?
        .map(|r| without_hidden(actor, r));
    if let Some(key) = key {
        crate::idempotency::bind(&mut tx, app, actor, key, id).await?;
    }
    tx.commit().await?;
    // A rep who creates an account for someone else may no longer see it.
    row.ok_or(AppError::Rule("created_outside_scope"))
}

pub async fn get(app: &App, actor: &Actor, id: Uuid) -> AppResult<AccountRow> {
    let mut tx = app.db.begin_read().await?;
    repo::get_visible(&mut tx, &actor.principal, id)
        .await?
        .map(|r| without_hidden(actor, r))
        .ok_or(AppError::NotFound)
}

/// The account without the values the reader's role may not see: hidden standard fields are
/// emptied, hidden custom fields left out. Every account a use case answers passes here, and
/// the hidden keys come from [`records::ObjectFields::for_actor`], the one field-access rule.
pub fn without_hidden(actor: &Actor, mut row: AccountRow) -> AccountRow {
    let Ok(spec) = records::spec(ObjectKind::Account) else {
        return row;
    };
    let fields = records::ObjectFields::standard(spec).for_actor(actor);
    let hidden = |k: &str| fields.hidden.iter().any(|h| h == k);
    if let serde_json::Value::Object(map) = &mut row.custom.0 {
        map.retain(|k, _| !hidden(k));
    }
    for key in domain::accounts::LIMITABLE.iter().filter(|k| hidden(k)) {
        match *key {
            "industry" => row.industry = None,
            "province" => row.province = None,
            "city" => row.city = None,
            "grade" => row.grade = None,
            "phone" => row.phone = None,
            "website" => row.website = None,
            "address" => row.address = None,
            "credit_code" => row.credit_code = None,
            "parent_id" => {
                row.parent_id = None;
                row.parent_name = None;
            }
            "description" => row.description = None,
            "tags" => row.tags.0.clear(),
            _ => {}
        }
    }
    row
}

/// The standard account fields the actor's role limits: (key, limit).
pub fn limited_fields(actor: &Actor) -> Vec<(&'static str, FieldAccess)> {
    domain::accounts::LIMITABLE
        .iter()
        .filter_map(|k| {
            actor
                .principal
                .permissions
                .field_access(ObjectKind::Account, k)
                .map(|a| (*k, a))
        })
        .collect()
}

/// A new account may not set limited fields (forms leave them out; the API says so).
fn refuse_limited(actor: &Actor, fields: &AccountFields) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    for (key, access) in limited_fields(actor) {
        if fields.has(key) {
            errors.add(
                key,
                if access == FieldAccess::Hidden {
                    "unknown_field"
                } else {
                    "read_only"
                },
            );
        }
    }
    errors.into_result()?;
    Ok(())
}

/// Saves a whole new set of field values if `version` is still the record's version.
pub async fn update(
    app: &App,
    actor: &Actor,
    id: Uuid,
    version: i64,
    input: &AccountInput,
) -> AppResult<AccountRow> {
    update_with_custom(app, actor, id, version, input, &Vec::new()).await
}

/// As [`update`], also changing the custom fields named in `custom` (others keep their values).
pub async fn update_with_custom(
    app: &App,
    actor: &Actor,
    id: Uuid,
    version: i64,
    input: &AccountInput,
    custom: &records::Input,
) -> AppResult<AccountRow> {
    let mut tx = app.db.begin().await?;
    let current = repo::get_visible(&mut tx, &actor.principal, id)
        .await?
        .ok_or(AppError::NotFound)?;
    actor.require(ObjectKind::Account, Action::Edit)?;
    crate::sharing::require(&mut tx, actor, ObjectKind::Account, id, Action::Edit).await?;
    let spec = records::spec(ObjectKind::Account)?;
    let defs = records::object_fields_tx(&mut tx, actor.tenant_id(), ObjectKind::Account)
        .await?
        .custom_defs();
    let custom_before =
        store::records::custom_values(&mut tx, spec, &defs, actor.tenant_id(), id).await?;
    let checked = records::check_custom(
        &mut tx,
        actor,
        ObjectKind::Account,
        &custom_before,
        custom,
        false,
    )
    .await;
    let (fields, (object_fields, custom_after)) = merge_errors(input.validate(), checked)?;
    let before = current.fields();
    // A save that names no owner keeps it: a shared record's editor does not take it over.
    let mut fields = fields;
    fields.owner_id = fields.owner_id.or(Some(current.owner_id));
    if fields.owner_id.is_some_and(|o| o != current.owner_id) {
        actor.require(ObjectKind::Account, Action::Transfer)?;
        crate::sharing::require(&mut tx, actor, ObjectKind::Account, id, Action::Transfer).await?;
    }
    if current.version != version {
        return Err(AppError::Conflict);
    }
    let owner_id = check_references(&mut tx, actor, id, &fields).await?;
    let mut after = fields;
    after.owner_id = Some(owner_id);
    // Fields the role may not see or change keep what is stored.
    for (key, _) in limited_fields(actor) {
        after.take_field(&before, key);
    }
    if before == after && custom_before == custom_after {
        return Ok(without_hidden(actor, current));
    }
    // Also for a change of custom fields only: the version moves on either way.
    save_change(&mut tx, actor, id, version, &before, &after, app.now()).await?;
    records::save_custom(
        &mut tx,
        actor,
        &object_fields,
        id,
        owner_id,
        &custom_before,
        &custom_after,
        app.now(),
    )
    .await?;
    let row = repo::get_visible(&mut tx, &actor.principal, id)
        .await?
        .map(|r| without_hidden(actor, r));
    tx.commit().await?;
    row.ok_or(AppError::Rule("updated_outside_scope"))
}

/// Hands the account to another owner (needs the transfer permission).
pub async fn transfer(
    app: &App,
    actor: &Actor,
    id: Uuid,
    version: i64,
    new_owner: Uuid,
) -> AppResult<Option<AccountRow>> {
    let mut tx = app.db.begin().await?;
    let current = repo::get_visible(&mut tx, &actor.principal, id)
        .await?
        .ok_or(AppError::NotFound)?;
    actor.require(ObjectKind::Account, Action::Transfer)?;
    crate::sharing::require(&mut tx, actor, ObjectKind::Account, id, Action::Transfer).await?;
    if current.version != version {
        return Err(AppError::Conflict);
    }
    let before = current.fields();
    let mut after = before.clone();
    after.owner_id = Some(new_owner);
    let owner_id = check_references(&mut tx, actor, id, &after).await?;
    if owner_id == current.owner_id {
        return Ok(Some(without_hidden(actor, current)));
    }
    save_change(&mut tx, actor, id, version, &before, &after, app.now()).await?;
    audit::record(
        &mut tx,
        AuditEvent {
            tenant_id: actor.tenant_id(),
            actor_id: Some(actor.id()),
            action: "transfer",
            object: OBJECT,
            record_id: Some(id),
            detail: serde_json::json!({ "from": current.owner_id, "to": owner_id }),
            at: app.now(),
        },
    )
    .await?;
    // After a transfer the record may have left the actor's scope.
    let row = repo::get_visible(&mut tx, &actor.principal, id)
        .await?
        .map(|r| without_hidden(actor, r));
    tx.commit().await?;
    Ok(row)
}

pub async fn delete(app: &App, actor: &Actor, id: Uuid, version: i64) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    let current = repo::get_visible(&mut tx, &actor.principal, id)
        .await?
        .ok_or(AppError::NotFound)?;
    actor.require(ObjectKind::Account, Action::Delete)?;
    crate::sharing::require(&mut tx, actor, ObjectKind::Account, id, Action::Delete).await?;
    if current.version != version {
        return Err(AppError::Conflict);
    }
    if repo::has_children(&mut tx, actor.tenant_id(), id).await? {
        return Err(AppError::Rule("account_has_children"));
    }
    crate::references::refuse_if_referenced(&mut tx, actor, ObjectKind::Account, id).await?;
    store::timeline::delete_links_of(&mut tx, actor.tenant_id(), ObjectKind::Account, id).await?;
    store::timeline::forget_account(&mut tx, actor.tenant_id(), id).await?;
    store::sharing::forget_record(&mut tx, actor.tenant_id(), ObjectKind::Account, id).await?;
    if !repo::delete(&mut tx, actor.tenant_id(), id, version).await? {
        return Err(AppError::Conflict);
    }
    let subject = crate::events::Subject {
        object: ObjectKind::Account,
        id,
        owner_id: Some(current.owner_id),
        name: &current.name,
    };
    crate::events::deleted(&mut tx, actor, app.now(), subject).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn history(
    app: &App,
    actor: &Actor,
    id: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> AppResult<Vec<FieldChange>> {
    let mut tx = app.db.begin_read().await?;
    repo::get_visible(&mut tx, &actor.principal, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut rows = history::for_record(
        &mut tx,
        actor.tenant_id(),
        OBJECT,
        id,
        before,
        limit.clamp(1, 200),
    )
    .await?;
    let hidden = |field: &str| {
        actor
            .principal
            .permissions
            .field_access(ObjectKind::Account, field)
            == Some(domain::permissions::FieldAccess::Hidden)
    };
    rows.retain(|h| !hidden(&h.field));
    Ok(rows)
}

// ---------------------------------------------------------------- list view

pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

/// List parameters as text, from a query string or the API; parsed and checked by [`list`].
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, PartialEq)]
#[serde(default)]
pub struct ListParams {
    pub q: Option<String>,
    pub account_type: Option<String>,
    pub grade: Option<String>,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub owner_id: Option<String>,
    pub parent_id: Option<String>,
    pub tag: Option<String>,
    pub credit_code: Option<String>,
    pub phone: Option<String>,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    pub updated_from: Option<String>,
    pub updated_to: Option<String>,
    pub sort: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
    /// Filters of the records' filter language, on any account field the reader may see.
    #[serde(skip)]
    pub filters: Vec<domain::views::FilterSpec>,
}

/// The quick filters of accounts' lists: the [`ListParams`] besides search, sort, cursor and
/// page size (the API accepts them next to the filter language).
pub const QUICK_FILTERS: &[&str] = &[
    "account_type",
    "grade",
    "industry",
    "province",
    "city",
    "owner_id",
    "parent_id",
    "tag",
    "credit_code",
    "phone",
    "created_from",
    "created_to",
    "updated_from",
    "updated_to",
];

pub struct Page {
    pub items: Vec<AccountRow>,
    pub next_cursor: Option<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Cursor {
    v: String,
    id: Uuid,
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_date(
    errors: &mut FieldErrors,
    field: &str,
    value: &Option<String>,
    end_of_day: bool,
) -> Option<DateTime<Utc>> {
    let v = non_empty(value)?;
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) => {
            let d = if end_of_day {
                d.succ_opt().unwrap_or(d)
            } else {
                d
            };
            d.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
        }
        Err(_) => {
            errors.add(field, "invalid_date");
            None
        }
    }
}

/// Parses the sort key: `name`, `created_at` or `updated_at`, with `-` in front for descending.
pub fn parse_sort(value: Option<&str>) -> Option<(SortField, bool)> {
    let v = value.unwrap_or("-updated_at");
    let (descending, key) = match v.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, v),
    };
    let field = match key {
        "name" => SortField::Name,
        "created_at" => SortField::CreatedAt,
        "updated_at" => SortField::UpdatedAt,
        _ => return None,
    };
    Some((field, descending))
}

fn encode_cursor(row: &AccountRow, sort: SortField) -> String {
    let v = match sort {
        SortField::Name => row.name.clone(),
        SortField::CreatedAt => row.created_at.to_rfc3339(),
        SortField::UpdatedAt => row.updated_at.to_rfc3339(),
    };
    hex::encode(serde_json::to_vec(&Cursor { v, id: row.id }).unwrap_or_default())
}

/// Where a page that ended at `row` goes on from.
fn cursor_value(row: &AccountRow, sort: SortField) -> CursorValue {
    match sort {
        SortField::Name => CursorValue::Text(row.name.clone()),
        SortField::CreatedAt => CursorValue::Time(row.created_at),
        SortField::UpdatedAt => CursorValue::Time(row.updated_at),
    }
}

fn decode_cursor(value: &str, sort: SortField) -> Option<(CursorValue, Uuid)> {
    let bytes = hex::decode(value).ok()?;
    let c: Cursor = serde_json::from_slice(&bytes).ok()?;
    let v = match sort {
        SortField::Name => CursorValue::Text(c.v),
        SortField::CreatedAt | SortField::UpdatedAt => {
            CursorValue::Time(DateTime::parse_from_rfc3339(&c.v).ok()?.with_timezone(&Utc))
        }
    };
    Some((v, c.id))
}

/// Parses list parameters into a store query, reporting every bad parameter as a field error.
pub fn parse_list(params: &ListParams) -> AppResult<ListQuery> {
    let mut errors = FieldErrors::new();
    let mut filter = AccountFilter::default();
    if let Some(q) = non_empty(&params.q) {
        if q.chars().count() > 100 {
            errors.add_limit("q", "too_long", 100);
        }
        filter.search_tokens = domain::search::query_tokens(q);
        filter.search_tokens.truncate(8);
    }
    if let Some(t) = non_empty(&params.account_type) {
        match AccountType::parse(t) {
            Some(t) => filter.account_type = Some(t.key().into()),
            None => errors.add("account_type", "invalid_choice"),
        }
    }
    if let Some(g) = non_empty(&params.grade) {
        match Grade::parse(&g.to_ascii_uppercase()) {
            Some(g) => filter.grade = Some(g.key().into()),
            None => errors.add("grade", "invalid_choice"),
        }
    }
    if let Some(p) = non_empty(&params.province) {
        if domain::regions::province(p).is_none() {
            errors.add("province", "invalid_choice");
        }
        filter.province = Some(p.into());
    }
    filter.industry = non_empty(&params.industry).map(Into::into);
    filter.city = non_empty(&params.city).map(Into::into);
    filter.tag = non_empty(&params.tag).map(Into::into);
    if let Some(code) = non_empty(&params.credit_code) {
        filter.credit_code = Some(code.to_ascii_uppercase());
    }
    if let Some(phone) = non_empty(&params.phone) {
        match domain::accounts::normalize_phone(phone) {
            Some(p) => filter.phone = Some(p),
            None => errors.add("phone", "invalid_phone"),
        }
    }
    for (field, value, slot) in [
        ("owner_id", &params.owner_id, &mut filter.owner_id),
        ("parent_id", &params.parent_id, &mut filter.parent_id),
    ] {
        if let Some(v) = non_empty(value) {
            match Uuid::parse_str(v) {
                Ok(id) => *slot = Some(id),
                Err(_) => errors.add(field, "invalid_reference"),
            }
        }
    }
    filter.created_from = parse_date(&mut errors, "created_from", &params.created_from, false);
    filter.created_to = parse_date(&mut errors, "created_to", &params.created_to, true);
    filter.updated_from = parse_date(&mut errors, "updated_from", &params.updated_from, false);
    filter.updated_to = parse_date(&mut errors, "updated_to", &params.updated_to, true);
    let (sort, descending) = parse_sort(non_empty(&params.sort)).unwrap_or_else(|| {
        errors.add("sort", "invalid_choice");
        (SortField::UpdatedAt, true)
    });
    let limit = match non_empty(&params.limit) {
        None => DEFAULT_PAGE,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                errors.add_limit("limit", "out_of_range", MAX_PAGE);
                DEFAULT_PAGE
            }
        },
    };
    let after = match non_empty(&params.cursor) {
        None => None,
        Some(c) => {
            let decoded = decode_cursor(c, sort);
            if decoded.is_none() {
                errors.add("cursor", "invalid_cursor");
            }
            decoded
        }
    };
    errors.into_result()?;
    Ok(ListQuery {
        filter,
        conditions: Vec::new(),
        sort,
        descending,
        after,
        limit,
    })
}

pub async fn list(app: &App, actor: &Actor, params: &ListParams) -> AppResult<Page> {
    // A filter on a field the role may not see would reveal its values.
    let mut errors = FieldErrors::new();
    for (key, access) in limited_fields(actor) {
        let given = match key {
            "grade" => &params.grade,
            "industry" => &params.industry,
            "province" => &params.province,
            "city" => &params.city,
            "tags" => &params.tag,
            "credit_code" => &params.credit_code,
            "phone" => &params.phone,
            "parent_id" => &params.parent_id,
            _ => continue,
        };
        if access == FieldAccess::Hidden && non_empty(given).is_some() {
            errors.add(if key == "tags" { "tag" } else { key }, "unknown_field");
        }
    }
    let mut tx = app.db.begin_read().await?;
    let fields = records::actor_fields_tx(&mut tx, actor, ObjectKind::Account).await?;
    let conditions = records::compile_filters(app, actor, &fields, &params.filters, &mut errors);
    let ((), mut query) = merge_errors(errors.into_result(), parse_list(params))?;
    query.conditions = conditions;
    let q_given = non_empty(&params.q).is_some();
    if q_given && query.filter.search_tokens.is_empty() {
        // Nothing searchable (only punctuation): nothing matches.
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        });
    }
    // A reader whose role hides a searchable field (the phone) gets only the matches on the
    // fields they see: each page read is checked again, and read on until it is full.
    let tokens = query.filter.search_tokens.clone();
    let recheck = !tokens.is_empty() && crate::search::hides_searchable(&fields);
    let limit = query.limit;
    let mut items: Vec<AccountRow> = Vec::new();
    let mut resume = None;
    for round in 0..crate::search::MAX_RECHECK_ROUNDS {
        let mut page = repo::list(&mut tx, &actor.principal, &query).await?;
        let more = page.len() as i64 > limit;
        if recheck {
            page.truncate(limit as usize);
        }
        let last = page.last().map(|r| {
            (
                cursor_value(r, query.sort),
                r.id,
                encode_cursor(r, query.sort),
            )
        });
        for row in page {
            let row = without_hidden(actor, row);
            let text_of = |key: &str| match key {
                "name" => Some(row.name.as_str()),
                "phone" => row.phone.as_deref(),
                _ => None,
            };
            if !recheck || crate::search::matches_visible(fields.spec, text_of, &tokens) {
                items.push(row);
            }
        }
        if !recheck || items.len() as i64 > limit || !more {
            break;
        }
        let Some((value, id, encoded)) = last else {
            break;
        };
        query.after = Some((value, id));
        if round + 1 == crate::search::MAX_RECHECK_ROUNDS {
            resume = Some(encoded);
        }
    }
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|r| encode_cursor(r, query.sort))
    } else {
        resume
    };
    Ok(Page { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_filters_are_the_list_parameters_besides_paging_and_search() {
        let params = serde_json::to_value(ListParams::default()).expect("params");
        let mut keys: Vec<&str> = params
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .filter(|k| !["q", "sort", "cursor", "limit"].contains(k))
            .collect();
        keys.sort();
        let mut quick = QUICK_FILTERS.to_vec();
        quick.sort();
        assert_eq!(keys, quick);
    }
}
