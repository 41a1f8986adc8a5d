//! The company currency and its exchange rates, kept by administrators; conversion of
//! amounts in several currencies into the company currency (see `domain::money`).

use crate::{Actor, App, AppError, AppResult};
use domain::money::Rate;
use domain::permissions::{Action, ObjectKind};

/// The company currency and every dated rate into it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeRates {
    pub currency: String,
    pub rates: Vec<Rate>,
}

impl ExchangeRates {
    /// `amount` of `currency` in the company currency on `day` (`None` without a rate).
    pub fn convert(
        &self,
        amount: rust_decimal::Decimal,
        currency: &str,
        day: chrono::NaiveDate,
    ) -> Option<rust_decimal::Decimal> {
        domain::money::convert(&self.rates, amount, currency, &self.currency, day)
    }
}

/// Every signed-in user reads the rates: amounts are converted with them on their pages.
pub async fn exchange_rates(app: &App, actor: &Actor) -> AppResult<ExchangeRates> {
    let mut tx = app.db.begin_read().await?;
    exchange_rates_tx(&mut tx, actor).await
}

pub async fn exchange_rates_tx(tx: &mut store::Tx, actor: &Actor) -> AppResult<ExchangeRates> {
    Ok(ExchangeRates {
        currency: store::tenants::currency(tx, actor.tenant_id()).await?,
        rates: store::money::rates(tx, actor.tenant_id()).await?,
    })
}

/// Replaces the company currency and its rates (administrators). The company currency may
/// change only to one with as many decimal places: amounts without a currency of their own
/// are stored in its minor units.
pub async fn set_exchange_rates(
    app: &App,
    actor: &Actor,
    new: &ExchangeRates,
) -> AppResult<ExchangeRates> {
    actor.require(ObjectKind::Org, Action::Administer)?;
    let mut tx = app.db.begin().await?;
    let before = exchange_rates_tx(&mut tx, actor).await?;
    let mut errors = domain::money::check_rates(&new.rates, &new.currency);
    match domain::money::currency(&new.currency) {
        None => errors.add("currency", "invalid_choice"),
        Some(c) if c.exponent != domain::money::exponent(&before.currency) => {
            errors.add("currency", "currency_places_differ")
        }
        Some(_) => {}
    }
    errors.into_result()?;
    if &before == new {
        return Ok(before);
    }
    let now = app.now();
    if new.currency != before.currency {
        store::tenants::set_currency(&mut tx, actor.tenant_id(), &new.currency).await?;
    }
    store::money::replace_rates(&mut tx, actor.tenant_id(), &new.rates, actor.id(), now).await?;
    // Rates as people read them: `USD 7.1 (2026-01-01)`.
    let listed = |r: &ExchangeRates| {
        let rates: Vec<String> = r
            .rates
            .iter()
            .map(|x| {
                format!(
                    "{} {} ({})",
                    x.currency,
                    x.rate.normalize(),
                    x.valid_from.format("%Y-%m-%d")
                )
            })
            .collect();
        serde_json::Value::String(rates.join("; "))
    };
    let changes = crate::audit::changes(&[
        (
            "currency",
            before.currency.clone().into(),
            new.currency.clone().into(),
        ),
        ("rates", listed(&before), listed(new)),
    ]);
    crate::audit::by(
        &mut tx,
        actor,
        now,
        "setting",
        "changed",
        None,
        serde_json::json!({ "name": "exchange_rates", "changes": changes }),
    )
    .await?;
    let saved = exchange_rates_tx(&mut tx, actor).await?;
    tx.commit().await.map_err(AppError::from)?;
    Ok(saved)
}
