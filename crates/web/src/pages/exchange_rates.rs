//! The company currency and its exchange rates (`/admin/exchange-rates`, administrators):
//! choose the currency, add a dated rate, remove one. Every form saves the whole list through
//! the one use case the API's `PUT /exchange-rates` calls.

use super::{see_other, Form};
use crate::error::page_error;
use crate::i18n::Tr;
use crate::session::Signed;
use crate::views::{render, Chrome, FormErrors};
use crate::AppState;
use app::money::ExchangeRates;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::money::Rate;
use domain::permissions::{Action, ObjectKind};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::str::FromStr;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/exchange-rates", get(show))
        .route("/admin/exchange-rates/currency", post(set_currency))
        .route("/admin/exchange-rates/add", post(add))
        .route("/admin/exchange-rates/delete", post(remove))
}

pub struct CurrencyChoice {
    pub code: &'static str,
    pub label: String,
}

pub struct RateRow {
    pub currency: String,
    pub valid_from: String,
    pub rate: String,
}

#[derive(Template)]
#[template(path = "admin/exchange_rates.html")]
struct RatesPage {
    chrome: Chrome,
    currency: String,
    currencies: Vec<CurrencyChoice>,
    rates: Vec<RateRow>,
    errors: FormErrors,
    /// The add form's values, kept after an error.
    new_currency: String,
    new_valid_from: String,
    new_rate: String,
}

fn currencies(t: Tr) -> Vec<CurrencyChoice> {
    domain::money::CURRENCIES
        .iter()
        .map(|c| CurrencyChoice {
            code: c.code,
            label: format!(
                "{} {}",
                c.code,
                if t.is_zh() { c.name_zh } else { c.name_en }
            ),
        })
        .collect()
}

fn page(user: &Signed, rates: &ExchangeRates, errors: FormErrors, form: &AddForm) -> RatesPage {
    let t = user.ctx.tr;
    RatesPage {
        chrome: Chrome::new(&user.ctx, "admin"),
        currency: rates.currency.clone(),
        currencies: currencies(t),
        rates: rates
            .rates
            .iter()
            .map(|r| RateRow {
                currency: r.currency.clone(),
                valid_from: r.valid_from.format("%Y-%m-%d").to_string(),
                rate: r.rate.normalize().to_string(),
            })
            .collect(),
        errors,
        new_currency: form.currency.clone().unwrap_or_default(),
        new_valid_from: form.valid_from.clone().unwrap_or_default(),
        new_rate: form.rate.clone().unwrap_or_default(),
    }
}

#[derive(Deserialize, Default)]
struct Notice {
    notice: Option<String>,
}

async fn show(State(state): State<AppState>, user: Signed, Query(q): Query<Notice>) -> Response {
    let t = user.ctx.tr;
    if let Err(e) = user.actor.require(ObjectKind::Org, Action::Administer) {
        return page_error(t, e);
    }
    match app::money::exchange_rates(&state.app, &user.actor).await {
        Ok(rates) => {
            let mut view = page(&user, &rates, FormErrors::default(), &AddForm::default());
            view.chrome = view.chrome.with_notice(q.notice.as_deref());
            render(&view).into_response()
        }
        Err(e) => page_error(t, e),
    }
}

/// Saves `change` of the current list, then back to the page (or the page with the errors).
async fn save(
    state: &AppState,
    user: &Signed,
    form: &AddForm,
    change: impl FnOnce(&mut ExchangeRates) -> Result<(), app::AppError>,
) -> Response {
    let t = user.ctx.tr;
    let current = match app::money::exchange_rates(&state.app, &user.actor).await {
        Ok(r) => r,
        Err(e) => return page_error(t, e),
    };
    let mut new = current.clone();
    let outcome = match change(&mut new) {
        Ok(()) => app::money::set_exchange_rates(&state.app, &user.actor, &new)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => see_other(
            user.ctx.htmx,
            "/admin/exchange-rates?notice=exchange_rates_saved",
        ),
        Err(e @ app::AppError::Validation(_)) => {
            // The use case names a rate's fields by its place (`rates[3].rate`); the one a
            // form adds is the last.
            let e = single_rate_errors(e, new.rates.len().saturating_sub(1));
            let errors = FormErrors::from_app(t, &e);
            let mut view = page(user, &current, errors, form);
            view.chrome = Chrome::new(&user.ctx, "admin");
            (axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response()
        }
        Err(e) => page_error(t, e),
    }
}

#[derive(Deserialize, Default)]
struct CurrencyForm {
    currency: Option<String>,
}

async fn set_currency(
    State(state): State<AppState>,
    user: Signed,
    Form(form): Form<CurrencyForm>,
) -> Response {
    let code = form
        .currency
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase();
    save(&state, &user, &AddForm::default(), |rates| {
        rates.currency = code;
        Ok(())
    })
    .await
}

#[derive(Deserialize, Default, Clone)]
struct AddForm {
    currency: Option<String>,
    valid_from: Option<String>,
    rate: Option<String>,
}

/// A rate from the add form; the field errors of what cannot be read.
fn parse_rate(form: &AddForm) -> Result<Rate, app::AppError> {
    let mut errors = domain::FieldErrors::new();
    let text = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
    let currency = text(&form.currency).to_ascii_uppercase();
    let valid_from = chrono::NaiveDate::parse_from_str(&text(&form.valid_from), "%Y-%m-%d");
    let rate = Decimal::from_str(&text(&form.rate).replace([',', '，'], ""));
    if valid_from.is_err() {
        errors.add("valid_from", "invalid_date");
    }
    if rate.is_err() {
        errors.add("rate", "invalid_number");
    }
    match (valid_from, rate) {
        (Ok(valid_from), Ok(rate)) if errors.is_empty() => Ok(Rate {
            currency,
            valid_from,
            rate,
        }),
        _ => Err(app::AppError::Validation(errors)),
    }
}

/// Errors on the fields of the rate at `index` as the add form's own fields.
fn single_rate_errors(e: app::AppError, index: usize) -> app::AppError {
    match e {
        app::AppError::Validation(mut fields) => {
            let prefix = format!("rates[{index}].");
            for f in &mut fields.0 {
                if let Some(rest) = f.field.strip_prefix(&prefix) {
                    f.field = rest.to_string();
                }
            }
            app::AppError::Validation(fields)
        }
        other => other,
    }
}

async fn add(State(state): State<AppState>, user: Signed, Form(form): Form<AddForm>) -> Response {
    let rate = match parse_rate(&form) {
        Ok(r) => r,
        Err(e) => return save(&state, &user, &form, |_| Err(e)).await,
    };
    save(&state, &user, &form, |rates| {
        rates.rates.push(rate);
        Ok(())
    })
    .await
}

#[derive(Deserialize, Default)]
struct RemoveForm {
    currency: Option<String>,
    valid_from: Option<String>,
}

async fn remove(
    State(state): State<AppState>,
    user: Signed,
    Form(form): Form<RemoveForm>,
) -> Response {
    let currency = form.currency.unwrap_or_default();
    let valid_from = form.valid_from.unwrap_or_default();
    save(&state, &user, &AddForm::default(), |rates| {
        let before = rates.rates.len();
        rates.rates.retain(|r| {
            !(r.currency == currency && r.valid_from.format("%Y-%m-%d").to_string() == valid_from)
        });
        if rates.rates.len() == before {
            return Err(app::AppError::NotFound);
        }
        Ok(())
    })
    .await
}
