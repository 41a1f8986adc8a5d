//! The 360° view of an account: its stream, relationships and roll-ups.

use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Utc};
use domain::permissions::{Action, ObjectKind};
use store::records::Rollup;
use store::timeline::{Entry, Link, NewLink};
use uuid::Uuid;

pub const TIMELINE_KINDS: [&str; 4] = ["activity", "opportunity", "contact", "field"];

/// Relationship kinds per object: key, label from the `from` side, label from the `to` side.
pub fn link_kinds(
    object: ObjectKind,
) -> &'static [(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
)] {
    match object {
        // (key, from-side zh, from-side en, to-side zh, to-side en)
        ObjectKind::Account => &[
            (
                "supplies",
                "下游客户",
                "Downstream customer",
                "上游供应商",
                "Upstream supplier",
            ),
            ("partner", "合作伙伴", "Partner", "合作伙伴", "Partner"),
            ("brand", "子品牌", "Sub-brand", "母品牌", "Parent brand"),
        ],
        ObjectKind::Contact => &[
            ("ally", "盟友", "Ally", "盟友", "Ally"),
            ("opponent", "对立", "Opponent", "对立", "Opponent"),
            (
                "influences",
                "影响",
                "Influences",
                "受其影响",
                "Influenced by",
            ),
            (
                "former_colleague",
                "前同事",
                "Former colleague",
                "前同事",
                "Former colleague",
            ),
        ],
        _ => &[],
    }
}

async fn require_visible(
    tx: &mut store::Tx,
    actor: &Actor,
    object: ObjectKind,
    id: Uuid,
) -> AppResult<()> {
    if store::records::is_visible(tx, &actor.principal, object, id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn timeline(
    app: &App,
    actor: &Actor,
    account_id: Uuid,
    kind: Option<&str>,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> AppResult<(Vec<Entry>, bool)> {
    if let Some(k) = kind {
        if !TIMELINE_KINDS.contains(&k) {
            return Err(AppError::field("kind", "invalid_choice"));
        }
    }
    let mut tx = app.db.begin_read().await?;
    require_visible(&mut tx, actor, ObjectKind::Account, account_id).await?;
    let limit = limit.clamp(1, 100);
    let mut entries =
        store::timeline::page(&mut tx, &actor.principal, account_id, kind, before, limit).await?;
    let more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
    for entry in &mut entries {
        hide_fields(actor, entry);
    }
    Ok((entries, more))
}

/// Takes out of an entry the values of fields the reader's role may not see.
fn hide_fields(actor: &Actor, entry: &mut store::timeline::Entry) {
    let Some(object) = ObjectKind::parse(&entry.object) else {
        return;
    };
    let Some(limits) = actor.principal.permissions.fields.get(&object) else {
        return;
    };
    let hidden: Vec<&String> = limits
        .iter()
        .filter(|(_, a)| **a == domain::permissions::FieldAccess::Hidden)
        .map(|(k, _)| k)
        .collect();
    let serde_json::Value::Object(summary) = &mut entry.summary.0 else {
        return;
    };
    for key in &hidden {
        if key.as_str() != "name" {
            summary.remove(key.as_str());
        }
    }
    if let Some(serde_json::Value::Array(changes)) = summary.get_mut("changes") {
        changes.retain(|c| {
            !hidden
                .iter()
                .any(|h| c.get("field").and_then(|f| f.as_str()) == Some(h.as_str()))
        });
    }
}

pub async fn rollup(app: &App, actor: &Actor, account_id: Uuid) -> AppResult<Rollup> {
    let mut tx = app.db.begin_read().await?;
    require_visible(&mut tx, actor, ObjectKind::Account, account_id).await?;
    let mut rollup = store::records::account_rollup(&mut tx, &actor.principal, account_id).await?;
    let amount_hidden = actor
        .principal
        .permissions
        .field_access(ObjectKind::Opportunity, "amount")
        == Some(domain::permissions::FieldAccess::Hidden);
    if amount_hidden {
        rollup.amounts.clear();
    } else if !rollup.amounts.is_empty() {
        let rates = crate::money::exchange_rates_tx(&mut tx, actor).await?;
        let today = domain::time::local_day(app.now(), actor.time_zone());
        let mut total = store::records::ConvertedTotal {
            currency: rates.currency.clone(),
            ..Default::default()
        };
        for (currency, open, won) in &rollup.amounts {
            match (
                rates.convert(*open, currency, today),
                rates.convert(*won, currency, today),
            ) {
                (Some(open), Some(won)) => {
                    total.open += open;
                    total.won += won;
                }
                _ => total.unconverted.push(currency.clone()),
            }
        }
        let exponent = domain::money::exponent(&total.currency);
        total.open = total.open.round_dp(exponent);
        total.won = total.won.round_dp(exponent);
        total.open.rescale(exponent);
        total.won.rescale(exponent);
        rollup.total = Some(total);
    }
    Ok(rollup)
}

pub async fn links(app: &App, actor: &Actor, object: ObjectKind, id: Uuid) -> AppResult<Vec<Link>> {
    let mut tx = app.db.begin_read().await?;
    require_visible(&mut tx, actor, object, id).await?;
    Ok(store::timeline::links(&mut tx, &actor.principal, object, id).await?)
}

pub async fn add_link(
    app: &App,
    actor: &Actor,
    object: ObjectKind,
    from: Uuid,
    to: Uuid,
    kind: &str,
    note: Option<&str>,
) -> AppResult<Uuid> {
    let mut errors = domain::FieldErrors::new();
    if !link_kinds(object).iter().any(|k| k.0 == kind) {
        errors.add("kind", "invalid_choice");
    }
    if from == to {
        errors.add("to_id", "invalid_reference");
    }
    if note.is_some_and(|n| n.chars().count() > 200) {
        errors.add_limit("note", "too_long", 200);
    }
    let mut tx = app.db.begin().await?;
    require_visible(&mut tx, actor, object, from).await?;
    actor.require(object, Action::Edit)?;
    crate::sharing::require(&mut tx, actor, object, from, Action::Edit).await?;
    if !crate::records::may_reference(&mut tx, actor, object, to, &[(object, from)]).await? {
        errors.add("to_id", "invalid_reference");
    }
    errors.into_result()?;
    let link = NewLink {
        object,
        from_id: from,
        to_id: to,
        kind,
        note: note.map(str::trim).filter(|n| !n.is_empty()),
    };
    let id =
        match store::timeline::add_link(&mut tx, actor.tenant_id(), &link, actor.id(), app.now())
            .await
        {
            Ok(id) => id,
            Err(e) if e.is_unique_violation() => {
                return Err(AppError::field("to_id", "duplicate_name"))
            }
            Err(e) => return Err(e.into()),
        };
    tx.commit().await?;
    Ok(id)
}

pub async fn remove_link(
    app: &App,
    actor: &Actor,
    object: ObjectKind,
    record: Uuid,
    link: Uuid,
) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    require_visible(&mut tx, actor, object, record).await?;
    actor.require(object, Action::Edit)?;
    crate::sharing::require(&mut tx, actor, object, record, Action::Edit).await?;
    store::timeline::get_link(&mut tx, actor.tenant_id(), object, record, link)
        .await?
        .ok_or(AppError::NotFound)?;
    store::timeline::delete_link(&mut tx, actor.tenant_id(), link).await?;
    tx.commit().await?;
    Ok(())
}
