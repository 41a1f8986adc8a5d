//! The opportunity board (看板): one business type's stages as columns, each with its deal
//! count, amount and weighted amount (in the company currency) and a page of cards, within
//! the reader's data scope (`store::visibility`, through `store::stages`). The sums are one
//! grouped aggregate per column on the index `(tenant_id, record_type, stage, currency,
//! amount_minor, win_rate)`; the cards are a keyset page on `(tenant_id, record_type, stage,
//! id)`. Won and lost columns show deals closed in the close period, the last 90 days when
//! none is given: closed deals leave the working view but stay in reports.

use crate::business_types::BusinessType;
use crate::{Actor, App, AppError, AppResult};
use chrono::{Duration, NaiveDate};
use domain::permissions::{Action, ObjectKind};
use domain::picklists::{RecordType, Stage, StageSet};
use domain::stages::Warning;
use domain::FieldErrors;
use rust_decimal::Decimal;
use std::collections::HashMap;
use store::stages::{BoardFilter, Card};
use uuid::Uuid;

/// Cards per column and page.
pub const PAGE: i64 = 20;
/// How far back closed columns look without a close period.
pub const CLOSED_DAYS: i64 = 90;

/// What the board is asked for.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub business_type: Option<String>,
    pub owner_id: Option<Uuid>,
    pub close_from: Option<NaiveDate>,
    pub close_to: Option<NaiveDate>,
    /// Only this column (its next page).
    pub stage: Option<String>,
    pub after: Option<Uuid>,
    pub limit: Option<i64>,
}

/// A card with what the board shows of it.
#[derive(Debug, Clone)]
pub struct BoardCard {
    pub card: Card,
    pub account_name: String,
    pub owner_name: String,
    pub amount: Option<Decimal>,
    pub warning: Option<Warning>,
}

/// One stage's column.
#[derive(Debug, Clone)]
pub struct Column {
    pub stage: Stage,
    pub count: i64,
    /// In the company currency.
    pub amount: Decimal,
    pub weighted: Decimal,
    /// Currencies of the column without a rate into the company currency (left out of the
    /// sums, named, never guessed).
    pub unconverted: Vec<String>,
    pub cards: Vec<BoardCard>,
    pub next: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct Board {
    pub types: Vec<BusinessType>,
    /// The type shown (none: the company has no business types; its default set is shown).
    pub record_type: Option<RecordType>,
    pub set: StageSet,
    pub currency: String,
    pub columns: Vec<Column>,
}

fn field_error(field: &str, code: &'static str) -> AppError {
    let mut errors = FieldErrors::new();
    errors.add(field, code);
    AppError::Validation(errors)
}

pub async fn board(app: &App, actor: &Actor, query: &Query) -> AppResult<Board> {
    actor.require(ObjectKind::Opportunity, Action::Read)?;
    let mut tx = app.db.begin_read().await?;
    let tenant = actor.tenant_id();
    let types = crate::business_types::list_tx(&mut tx, tenant).await?;
    let chosen = match &query.business_type {
        Some(key) => Some(
            types
                .iter()
                .find(|b| &b.record_type.key == key)
                .cloned()
                .ok_or_else(|| field_error("business_type", "invalid_choice"))?,
        ),
        None => types
            .iter()
            .find(|b| b.record_type.is_default && b.record_type.active)
            .or(types.iter().find(|b| b.record_type.active))
            .cloned(),
    };
    let set = match &chosen {
        Some(b) => b.set.clone(),
        None => store::picklists::stage_sets(&mut tx, tenant, ObjectKind::Opportunity)
            .await?
            .into_iter()
            .next()
            .unwrap_or_else(StageSet::standard),
    };
    if let Some(stage) = &query.stage {
        if set.stage(stage).is_none() {
            return Err(field_error("stage", "invalid_choice"));
        }
    }
    let now = app.now();
    let today = domain::time::local_day(now, actor.time_zone());
    let day = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    let filter = BoardFilter {
        record_type: chosen
            .as_ref()
            .map(|b| b.record_type.key.clone())
            .unwrap_or_default(),
        is_default: chosen.as_ref().is_none_or(|b| b.record_type.is_default),
        owner_id: query.owner_id,
        close_from: day(query.close_from),
        close_to: day(query.close_to),
    };
    let closed_filter = if query.close_from.is_none() && query.close_to.is_none() {
        BoardFilter {
            close_from: day(Some(today - Duration::days(CLOSED_DAYS))),
            ..filter.clone()
        }
    } else {
        filter.clone()
    };
    let rates = crate::money::exchange_rates_tx(&mut tx, actor).await?;
    let limit = query.limit.unwrap_or(PAGE).clamp(1, 100);
    let mut columns = Vec::new();
    for stage in &set.stages {
        if query.stage.as_ref().is_some_and(|s| s != &stage.key) {
            continue;
        }
        let closed = stage.closed.is_some();
        let f = if closed { &closed_filter } else { &filter };
        let p = &actor.principal;
        let sums = store::stages::column_sums(&mut tx, p, f, &stage.key, closed).await?;
        let (mut amount, mut weighted, mut count) = (Decimal::ZERO, Decimal::ZERO, 0);
        let mut unconverted = Vec::new();
        for s in sums {
            count += s.count;
            let exponent = domain::money::exponent(&s.currency);
            let a = domain::money::from_minor(s.amount_minor, exponent);
            let w = domain::money::from_minor(s.weighted_minor, exponent);
            match (
                rates.convert(a, &s.currency, today),
                rates.convert(w, &s.currency, today),
            ) {
                (Some(a), Some(w)) => {
                    amount += a;
                    weighted += w;
                }
                _ => unconverted.push(s.currency),
            }
        }
        let mut cards = store::stages::cards(
            &mut tx,
            p,
            f,
            &stage.key,
            closed,
            query.after.filter(|_| query.stage.is_some()),
            limit,
        )
        .await?;
        let next = if cards.len() as i64 > limit {
            cards.truncate(limit as usize);
            cards.last().map(|c| c.id)
        } else {
            None
        };
        let exp = domain::money::exponent(&rates.currency);
        columns.push(Column {
            stage: stage.clone(),
            count,
            amount: amount.round_dp(exp),
            weighted: weighted.round_dp(exp),
            unconverted,
            cards: cards
                .into_iter()
                .map(|card| BoardCard {
                    card,
                    account_name: String::new(),
                    owner_name: String::new(),
                    amount: None,
                    warning: None,
                })
                .collect(),
            next,
        });
    }
    // Names and warnings of every card at once.
    let mut wanted = Vec::new();
    let mut ids = Vec::new();
    for c in columns.iter().flat_map(|c| &c.cards) {
        wanted.push((Some(ObjectKind::Account), c.card.account_id));
        wanted.push((None, c.card.owner_id));
        ids.push(c.card.id);
    }
    let names = store::records::names(&mut tx, tenant, &wanted).await?;
    let entered: HashMap<Uuid, chrono::DateTime<chrono::Utc>> =
        store::stages::current(&mut tx, tenant, &ids)
            .await?
            .into_iter()
            .map(|(id, at, _)| (id, at))
            .collect();
    for column in &mut columns {
        let days = column.stage.gate.duration_days;
        let open = column.stage.closed.is_none();
        for c in &mut column.cards {
            c.account_name = names.get(&c.card.account_id).cloned().unwrap_or_default();
            c.owner_name = names.get(&c.card.owner_id).cloned().unwrap_or_default();
            let exponent = domain::money::exponent(&c.card.currency);
            c.amount = c
                .card
                .amount_minor
                .map(|m| domain::money::from_minor(m, exponent));
            c.warning = entered
                .get(&c.card.id)
                .filter(|_| open)
                .and_then(|at| domain::stages::warning(*at, days, now));
        }
    }
    Ok(Board {
        types,
        record_type: chosen.map(|b| b.record_type),
        set,
        currency: rates.currency,
        columns,
    })
}
