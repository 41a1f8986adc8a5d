//! A record's field history: written on every save as readable text, read back within the
//! reader's field access.

use super::*;

/// Text for field history: names for references, keys for choices, ISO dates.
async fn history_text(
    tx: &mut Tx,
    tenant_id: Uuid,
    field: &FieldDef,
    value: Option<&FieldValue>,
) -> AppResult<Option<String>> {
    let Some(value) = value else { return Ok(None) };
    Ok(Some(match value {
        FieldValue::Id(id) => {
            let object = match field.field_type {
                FieldType::User => None,
                _ => field.lookup_object.as_deref().and_then(ObjectKind::parse),
            };
            let names = repo::names(tx, tenant_id, &[(object, *id)]).await?;
            names.get(id).cloned().unwrap_or_else(|| id.to_string())
        }
        other => plain_text(other),
    }))
}

/// A value as plain text (API-neutral; pages format it for the reader).
pub fn plain_text(value: &FieldValue) -> String {
    match value {
        FieldValue::Bool(b) => b.to_string(),
        FieldValue::Decimal(d) => d.normalize().to_string(),
        FieldValue::Date(d) => d.format("%Y-%m-%d").to_string(),
        FieldValue::DateTime(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        FieldValue::Id(id) => id.to_string(),
        FieldValue::Choices(c) => c.join(", "),
        FieldValue::Text(s) => s.clone(),
    }
}

/// Writes the field history and the events of a save (see [`crate::events::changed`]).
#[allow(clippy::too_many_arguments)]
pub(super) async fn write_history(
    tx: &mut Tx,
    actor: &Actor,
    fields: &ObjectFields,
    id: Uuid,
    owner_id: Option<Uuid>,
    before: &Values,
    after: &Values,
    now: DateTime<Utc>,
) -> AppResult<Vec<String>> {
    let mut changed = Vec::new();
    let mut rows = Vec::new();
    for field in fields
        .spec
        .fields
        .iter()
        .chain(fields.custom.iter().map(|c| &c.def))
    {
        if field.key == "updated_at" || field.key == "created_at" {
            continue;
        }
        let (old, new) = (before.get(&field.key), after.get(&field.key));
        if old == new {
            continue;
        }
        changed.push(field.key.clone());
        rows.push((
            field.key.clone(),
            history_text(tx, actor.tenant_id(), field, old).await?,
            history_text(tx, actor.tenant_id(), field, new).await?,
        ));
    }
    let changes: Vec<NewChange> = rows
        .iter()
        .map(|(field, old, new)| NewChange {
            field,
            old_value: old.as_deref(),
            new_value: new.as_deref(),
        })
        .collect();
    let subject = crate::events::Subject {
        object: fields.spec.kind,
        id,
        owner_id,
        name: record_name(after),
    };
    crate::events::changed(tx, actor, now, subject, &changes).await?;
    if fields.spec.own_changes_in_stream && !rows.is_empty() {
        let changes: Vec<serde_json::Value> = rows
            .iter()
            .map(|(field, old, new)| serde_json::json!({ "field": field, "old": old, "new": new }))
            .collect();
        let entry = store::timeline::NewEntry {
            account_id: id,
            at: now,
            kind: "field",
            object: fields.spec.kind,
            record_id: id,
            actor_id: actor.id(),
            summary: serde_json::json!({ "event": "changed", "changes": changes }),
        };
        store::timeline::add(tx, actor.tenant_id(), &entry).await?;
    }
    Ok(changed)
}

pub async fn history(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    id: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> AppResult<Vec<FieldChange>> {
    let mut tx = app.db.begin_read().await?;
    if !repo::is_visible(&mut tx, &actor.principal, kind, id).await? {
        return Err(AppError::NotFound);
    }
    let fields = actor_fields_tx(&mut tx, actor, kind).await?;
    let mut rows = history::for_record(
        &mut tx,
        actor.tenant_id(),
        kind.key(),
        id,
        before,
        limit.clamp(1, 200),
    )
    .await?;
    rows.retain(|h| !fields.hidden.contains(&h.field));
    Ok(rows)
}
