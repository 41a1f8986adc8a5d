//! One data row through the record engine: its cells coerced for their fields
//! (`domain::imports::coerce`), owners and lookups named by e-mail, name or credit code
//! found, its duplicate keys checked in the import's mode, then the engine's create or
//! update — inside a savepoint, so a refused row leaves nothing of itself in the batch.

use super::{Mapping, Mode};
use crate::duplicates::Seen;
use crate::records::{self, Input, ObjectFields};
use crate::{Actor, AppError, AppResult};
use chrono::{DateTime, Utc};
use domain::fields::{FieldDef, FieldType, FieldValue};
use domain::imports::Cell;
use domain::permissions::ObjectKind;
use domain::FieldErrors;
use std::collections::HashMap;
use store::duplicates::Probe;
use store::imports::Import;
use store::Tx;
use uuid::Uuid;

/// What a row did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Created(Uuid),
    Updated(Uuid),
    /// A duplicate in skip mode.
    Skipped,
    Failed(FieldErrors),
}

impl Outcome {
    pub fn key(&self) -> &'static str {
        match self {
            Outcome::Created(_) => "created",
            Outcome::Updated(_) => "updated",
            Outcome::Skipped => "skipped",
            Outcome::Failed(_) => "failed",
        }
    }
}

/// A row as the import would store it: the record's values by field key (with the names of
/// what they refer to) or the errors.
#[derive(Debug, Clone)]
pub struct PreviewRow {
    pub number: i64,
    pub outcome: &'static str,
    pub values: HashMap<String, FieldValue>,
    pub names: HashMap<Uuid, String>,
    pub errors: FieldErrors,
}

/// How the rows of one import are read: the mapped columns and their fields, the mode, and
/// what was already looked up.
pub(super) struct Plan {
    kind: ObjectKind,
    fields: ObjectFields,
    columns: Vec<(usize, FieldDef)>,
    mode: Mode,
    users: Option<Vec<(Uuid, String)>>,
    found: HashMap<(String, String), Result<Uuid, &'static str>>,
}

impl Plan {
    pub(super) async fn new(
        tx: &mut Tx,
        actor: &Actor,
        import: &Import,
        headers: &[String],
    ) -> AppResult<Plan> {
        let kind = ObjectKind::parse(&import.object).ok_or(AppError::NotFound)?;
        let fields = records::actor_fields_tx(tx, actor, kind).await?;
        let mapping: Mapping = serde_json::from_str(&import.mapping).unwrap_or_default();
        let columns = headers
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                let key = mapping.get(h).filter(|k| !k.is_empty())?;
                Some((i, fields.field(key)?.clone()))
            })
            .collect();
        Ok(Plan {
            kind,
            fields,
            columns,
            mode: super::Mode::parse(&import.mode).unwrap_or(Mode::Skip),
            users: None,
            found: HashMap::new(),
        })
    }

    pub(super) fn kind(&self) -> ObjectKind {
        self.kind
    }

    /// The row as the engine's input, or the errors of its cells.
    async fn input(
        &mut self,
        tx: &mut Tx,
        actor: &Actor,
        cells: &[String],
    ) -> AppResult<Result<Input, FieldErrors>> {
        let mut input = Input::new();
        let mut errors = FieldErrors::new();
        let columns = self.columns.clone();
        for (i, field) in &columns {
            let raw = cells.get(*i).map(String::as_str).unwrap_or_default();
            match domain::imports::coerce(field, raw) {
                Err(code) => errors.add(&field.key, code),
                Ok(None) => {}
                Ok(Some(Cell::Values(values))) => input.push((field.key.clone(), values)),
                Ok(Some(Cell::Reference(text))) => {
                    match self.reference(tx, actor, field, &text).await? {
                        Ok(id) => input.push((field.key.clone(), vec![id.to_string()])),
                        Err(code) => errors.add(&field.key, code),
                    }
                }
            }
        }
        Ok(if errors.is_empty() {
            Ok(input)
        } else {
            Err(errors)
        })
    }

    /// The user or record a cell names, once per import and text.
    async fn reference(
        &mut self,
        tx: &mut Tx,
        actor: &Actor,
        field: &FieldDef,
        text: &str,
    ) -> AppResult<Result<Uuid, &'static str>> {
        let key = (field.key.clone(), text.to_string());
        if let Some(found) = self.found.get(&key) {
            return Ok(*found);
        }
        let found = if field.field_type == FieldType::User {
            self.user(tx, actor, text).await?
        } else {
            match field.lookup_object.as_deref().and_then(ObjectKind::parse) {
                Some(object) => find_record(tx, actor, object, text).await?,
                None => Err("unknown_reference"),
            }
        };
        self.found.insert(key, found);
        Ok(found)
    }

    /// An active user by e-mail address or name.
    async fn user(
        &mut self,
        tx: &mut Tx,
        actor: &Actor,
        text: &str,
    ) -> AppResult<Result<Uuid, &'static str>> {
        let tenant = actor.tenant_id();
        if text.contains('@') {
            let email = domain::validation::normalize_email(text);
            return Ok(
                match store::org::find_user_by_email(tx, tenant, &email).await? {
                    Some(user) if user.active => Ok(user.id),
                    _ => Err("unknown_reference"),
                },
            );
        }
        if self.users.is_none() {
            self.users = Some(store::org::user_choices(tx, tenant, 100_000).await?);
        }
        let wanted = text.trim().to_lowercase();
        let same: Vec<Uuid> = self
            .users
            .iter()
            .flatten()
            .filter(|(_, name)| name.trim().to_lowercase() == wanted)
            .map(|(id, _)| *id)
            .collect();
        Ok(one_of(&same))
    }

    /// Runs the row through the engine: the import's own path.
    pub(super) async fn apply(
        &mut self,
        tx: &mut Tx,
        actor: &Actor,
        cells: &[String],
        now: DateTime<Utc>,
    ) -> AppResult<Outcome> {
        let input = match self.input(tx, actor, cells).await? {
            Ok(input) => input,
            Err(errors) => return Ok(Outcome::Failed(errors)),
        };
        let mut target = None;
        if self.mode != Mode::Create {
            let spec = self.fields.spec;
            let keys = domain::duplicates::keys(spec, |k| {
                input
                    .iter()
                    .find(|(key, _)| key == k)
                    .and_then(|(_, v)| v.first())
                    .map(String::as_str)
            });
            if !keys.is_empty() {
                let matches = crate::duplicates::find(tx, actor, self.kind, &keys, None).await?;
                if let Some(first) = matches.first() {
                    if self.mode == Mode::Skip {
                        return Ok(Outcome::Skipped);
                    }
                    match (&first.seen, first.openable()) {
                        (Seen::Open { .. }, Some(id)) => target = Some(id),
                        _ => {
                            let mut errors = FieldErrors::new();
                            errors.add(&first_key_field(&keys), "duplicate_not_visible");
                            return Ok(Outcome::Failed(errors));
                        }
                    }
                }
            }
        }
        let savepoint = tx.savepoint().await?;
        let done = match target {
            None => records::create_in(tx, actor, self.kind, &input, now)
                .await
                .map(Outcome::Created),
            Some(id) => self
                .update(tx, actor, id, &input, now)
                .await
                .map(|()| Outcome::Updated(id)),
        };
        match done {
            Ok(outcome) => {
                tx.release(savepoint).await?;
                Ok(outcome)
            }
            Err(e) => {
                tx.rollback_to(savepoint).await?;
                Ok(Outcome::Failed(row_errors(e, &input)?))
            }
        }
    }

    async fn update(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: Uuid,
        input: &Input,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let custom = self.fields.custom_defs();
        let current = store::records::get(tx, self.fields.spec, &custom, actor.tenant_id(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        records::update_in(tx, actor, self.kind, id, current.version, input, now).await
    }

    /// The row applied and read back as stored (the caller rolls the transaction back).
    pub(super) async fn preview(
        &mut self,
        tx: &mut Tx,
        actor: &Actor,
        row: &super::Row,
        now: DateTime<Utc>,
    ) -> AppResult<PreviewRow> {
        let outcome = self.apply(tx, actor, &row.cells, now).await?;
        let mut preview = PreviewRow {
            number: row.number,
            outcome: outcome.key(),
            values: HashMap::new(),
            names: HashMap::new(),
            errors: FieldErrors::new(),
        };
        match outcome {
            Outcome::Created(id) | Outcome::Updated(id) => {
                let custom = self.fields.custom_defs();
                let tenant = actor.tenant_id();
                if let Some(mut record) =
                    store::records::get(tx, self.fields.spec, &custom, tenant, id).await?
                {
                    self.fields.strip(&mut record.values);
                    preview.names =
                        records::names_for(tx, actor, &self.fields, std::slice::from_ref(&record))
                            .await?;
                    preview.values = record.values.into_iter().collect();
                }
            }
            Outcome::Failed(errors) => preview.errors = errors,
            Outcome::Skipped => {}
        }
        Ok(preview)
    }
}

/// The field of the first duplicate key (where a duplicate's error is shown).
fn first_key_field(keys: &[domain::duplicates::Key]) -> String {
    keys.first().map(|k| k.field.clone()).unwrap_or_default()
}

fn one_of(ids: &[Uuid]) -> Result<Uuid, &'static str> {
    match ids {
        [id] => Ok(*id),
        [] => Err("unknown_reference"),
        _ => Err("ambiguous_reference"),
    }
}

/// A record of `object` the actor can see, named by its credit code or its name.
async fn find_record(
    tx: &mut Tx,
    actor: &Actor,
    object: ObjectKind,
    text: &str,
) -> AppResult<Result<Uuid, &'static str>> {
    let tenant = actor.tenant_id();
    let fields = records::object_fields_tx(tx, tenant, object).await?;
    let spec = fields.spec;
    let code_field = domain::duplicates::fields_of(spec, domain::duplicates::KeyKind::CreditCode)
        .next()
        .filter(|f| f.indexed && f.column.is_some());
    let probe = match (code_field, domain::credit_code::parse(text)) {
        (Some(field), Some(code)) => Probe::Value(field, FieldValue::Text(code)),
        _ => Probe::Tokens(domain::search::query_tokens(text)),
    };
    let by_code = matches!(probe, Probe::Value(..));
    let ids = store::duplicates::candidates(tx, spec, tenant, &probe, 50).await?;
    let candidates =
        store::records::get_many(tx, spec, &fields.custom_defs(), tenant, &ids).await?;
    let wanted = text.trim().to_lowercase();
    let mut same = Vec::new();
    for record in candidates {
        if !by_code && record.name().trim().to_lowercase() != wanted {
            continue;
        }
        if store::records::is_visible(tx, &actor.principal, object, record.id).await? {
            same.push(record.id);
        }
    }
    Ok(one_of(&same))
}

/// The field errors of a row the engine refused; errors that are not the row's (the
/// database) end the batch.
fn row_errors(error: AppError, input: &Input) -> AppResult<FieldErrors> {
    let mut errors = FieldErrors::new();
    match error {
        AppError::Validation(e) => return Ok(e),
        AppError::Forbidden if input.iter().any(|(k, _)| k == "owner_id") => {
            errors.add("owner_id", "owner_not_allowed")
        }
        AppError::Forbidden => errors.add("", "forbidden"),
        AppError::Rule(code) | AppError::Refused(code) => errors.add("", code),
        AppError::Conflict => errors.add("", "conflict"),
        AppError::NotFound => errors.add("", "not_found"),
        AppError::StillReferenced(_) => errors.add("", "still_referenced"),
        other => return Err(other),
    }
    Ok(errors)
}
