//! The company's dated exchange rates (see `domain::money`).

use crate::{Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::money::Rate;
use rust_decimal::Decimal;
use std::str::FromStr;
use uuid::Uuid;

/// Every rate of the company, by currency and day.
pub async fn rates(tx: &mut Tx, tenant_id: Uuid) -> Result<Vec<Rate>> {
    let rows: Vec<(String, String, String)> = on_conn!(tx, c => {
        sqlx::query_as(
            "SELECT currency, valid_from, rate FROM exchange_rates WHERE tenant_id = $1
             ORDER BY currency, valid_from",
        )
        .bind(tenant_id)
        .fetch_all(c)
        .await?
    });
    Ok(rows
        .into_iter()
        .filter_map(|(currency, valid_from, rate)| {
            Some(Rate {
                currency,
                valid_from: NaiveDate::parse_from_str(&valid_from, "%Y-%m-%d").ok()?,
                rate: Decimal::from_str(&rate).ok()?,
            })
        })
        .collect())
}

/// Replaces the company's rates with `rates` (checked by the caller).
pub async fn replace_rates(
    tx: &mut Tx,
    tenant_id: Uuid,
    rates: &[Rate],
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM exchange_rates WHERE tenant_id = $1")
            .bind(tenant_id)
            .execute(&mut *c)
            .await?;
        for rate in rates {
            sqlx::query(
                "INSERT INTO exchange_rates (tenant_id, currency, valid_from, rate, updated_at, updated_by)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(tenant_id)
            .bind(&rate.currency)
            .bind(rate.valid_from.format("%Y-%m-%d").to_string())
            .bind(rate.rate.normalize().to_string())
            .bind(now)
            .bind(actor)
            .execute(&mut *c)
            .await?;
        }
    });
    Ok(())
}
