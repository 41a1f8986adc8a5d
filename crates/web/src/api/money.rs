//! The company currency and its dated exchange rates: `GET /exchange-rates` for every
//! signed-in user, `PUT /exchange-rates` (the whole list) for administrators.

use super::table::ApiRoutes;
use super::{ApiError, ApiUser, JsonObject};
use crate::AppState;
use app::money::ExchangeRates;
use axum::extract::State;
use axum::http::Method;
use axum::Json;
use domain::money::Rate;
use domain::FieldErrors;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .on(Method::GET, "/exchange-rates", show)
        .on(Method::PUT, "/exchange-rates", replace)
}

/// The company currency and its dated exchange rates.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ExchangeRatesBody {
    /// The company currency (ISO 4217), e.g. `CNY`.
    currency: String,
    rates: Vec<RateBody>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct RateBody {
    /// The currency converted, not the company's.
    currency: String,
    /// The first day the rate applies, `YYYY-MM-DD`.
    valid_from: String,
    /// Company-currency units per unit, as a decimal string (`"7.1234"`) or a number.
    rate: String,
}

fn rates_json(rates: &ExchangeRates) -> Value {
    json!({
        "currency": rates.currency,
        "rates": rates.rates.iter().map(|r| json!({
            "currency": r.currency,
            "valid_from": r.valid_from.format("%Y-%m-%d").to_string(),
            "rate": r.rate.normalize().to_string(),
        })).collect::<Vec<_>>(),
    })
}

/// The company currency and every rate into it, by currency and day.
#[utoipa::path(get, path = "/api/v1/exchange-rates", tag = "settings", operation_id = "get_exchange_rates", security(("bearer" = [])),
    responses((status = 200, body = ExchangeRatesBody)))]
pub(super) async fn show(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Value>, ApiError> {
    let rates = app::money::exchange_rates(&state.app, &user.actor)
        .await
        .map_err(|e| ApiError::new(user.tr, e))?;
    Ok(Json(rates_json(&rates)))
}

/// Replaces the company currency and the whole rate list (administrators). The latest rate
/// on or before a day converts amounts of that day; the company currency may change only to
/// one with as many decimal places.
#[utoipa::path(put, path = "/api/v1/exchange-rates", tag = "settings", operation_id = "put_exchange_rates", security(("bearer" = [])),
    request_body = ExchangeRatesBody,
    responses((status = 200, body = ExchangeRatesBody, description = "The saved currency and rates"), (status = 403, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub(super) async fn replace(
    State(state): State<AppState>,
    user: ApiUser,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let fail = |e| ApiError::new(user.tr, e);
    let new = parse(&body).map_err(|e| fail(app::AppError::Validation(e)))?;
    let saved = app::money::set_exchange_rates(&state.app, &user.actor, &new)
        .await
        .map_err(fail)?;
    Ok(Json(rates_json(&saved)))
}

/// Reads the body, naming every bad part (`rates[2].rate`).
fn parse(body: &serde_json::Map<String, Value>) -> Result<ExchangeRates, FieldErrors> {
    let mut errors = FieldErrors::new();
    for key in body
        .keys()
        .filter(|k| !["currency", "rates"].contains(&k.as_str()))
    {
        errors.add(key, "unknown_field");
    }
    let currency = match body.get("currency") {
        Some(Value::String(s)) => s.trim().to_ascii_uppercase(),
        Some(_) => {
            errors.add("currency", "wrong_type");
            String::new()
        }
        None => {
            errors.add("currency", "required");
            String::new()
        }
    };
    let mut rates = Vec::new();
    match body.get("rates") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let field = |name: &str| format!("rates[{i}].{name}");
                let Value::Object(item) = item else {
                    errors.add(&format!("rates[{i}]"), "wrong_type");
                    continue;
                };
                for key in item
                    .keys()
                    .filter(|k| !["currency", "valid_from", "rate"].contains(&k.as_str()))
                {
                    errors.add(&field(key), "unknown_field");
                }
                let code = item.get("currency").and_then(Value::as_str);
                let day = item
                    .get("valid_from")
                    .and_then(Value::as_str)
                    .and_then(|d| chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok());
                let rate = match item.get("rate") {
                    Some(Value::String(s)) => Decimal::from_str(s.trim()).ok(),
                    Some(Value::Number(n)) => Decimal::from_str(&n.to_string()).ok(),
                    _ => None,
                };
                if code.is_none() {
                    errors.add(&field("currency"), "required");
                }
                if day.is_none() {
                    errors.add(&field("valid_from"), "invalid_date");
                }
                if rate.is_none() {
                    errors.add(&field("rate"), "invalid_number");
                }
                if let (Some(code), Some(valid_from), Some(rate)) = (code, day, rate) {
                    rates.push(Rate {
                        currency: code.trim().to_ascii_uppercase(),
                        valid_from,
                        rate,
                    });
                }
            }
        }
        Some(_) => errors.add("rates", "wrong_type"),
    }
    if errors.is_empty() {
        Ok(ExchangeRates { currency, rates })
    } else {
        Err(errors)
    }
}
