//! Money: amounts in a currency, stored as integers of the currency's minor unit (fen for
//! CNY, cents for USD, whole yen for JPY), computed with `rust_decimal`, never floats.
//!
//! A money field's currency is the record's own currency field when its object has one
//! (`ObjectSpec::currency_field`, an opportunity's `currency`), else the company currency.
//! Lists sort and filter money on the stored minor units; a filter's amount is taken in the
//! company currency's units.

use rust_decimal::Decimal;

/// A currency the product knows: ISO 4217 code, digits after the decimal point, names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    pub code: &'static str,
    /// How many decimal places the minor unit has (CNY 2, JPY 0).
    pub exponent: u32,
    pub name_zh: &'static str,
    pub name_en: &'static str,
}

/// The currencies offered, the company's default first.
pub const CURRENCIES: &[Currency] = &[
    Currency {
        code: "CNY",
        exponent: 2,
        name_zh: "人民币",
        name_en: "Chinese yuan",
    },
    Currency {
        code: "USD",
        exponent: 2,
        name_zh: "美元",
        name_en: "US dollar",
    },
    Currency {
        code: "EUR",
        exponent: 2,
        name_zh: "欧元",
        name_en: "Euro",
    },
    Currency {
        code: "HKD",
        exponent: 2,
        name_zh: "港币",
        name_en: "Hong Kong dollar",
    },
    Currency {
        code: "JPY",
        exponent: 0,
        name_zh: "日元",
        name_en: "Japanese yen",
    },
    Currency {
        code: "GBP",
        exponent: 2,
        name_zh: "英镑",
        name_en: "Pound sterling",
    },
    Currency {
        code: "KRW",
        exponent: 0,
        name_zh: "韩元",
        name_en: "South Korean won",
    },
    Currency {
        code: "SGD",
        exponent: 2,
        name_zh: "新加坡元",
        name_en: "Singapore dollar",
    },
];

/// The currency a company starts with.
pub const DEFAULT_CURRENCY: &str = "CNY";

pub fn currency(code: &str) -> Option<&'static Currency> {
    CURRENCIES.iter().find(|c| c.code == code)
}

/// The exponent of `code`; two places for a code the product does not know (stored data
/// only ever holds known codes, the currency picklist sees to it).
pub fn exponent(code: &str) -> u32 {
    currency(code).map_or(2, |c| c.exponent)
}

/// Why an amount cannot be stored in a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyError {
    /// More decimal places than the currency has (`10.5` yen).
    TooPrecise,
    /// Beyond what 64-bit minor units hold.
    TooLarge,
}

impl MoneyError {
    /// The field-error code.
    pub fn code(self) -> &'static str {
        match self {
            MoneyError::TooPrecise => "too_precise",
            MoneyError::TooLarge => "above_max",
        }
    }
}

/// An amount in major units as minor units of a currency with `exponent` places, exactly.
pub fn to_minor(amount: Decimal, exponent: u32) -> Result<i64, MoneyError> {
    let normalized = amount.normalize();
    if normalized.scale() > exponent {
        return Err(MoneyError::TooPrecise);
    }
    let factor = Decimal::from(10i64.pow(exponent));
    let minor = normalized.checked_mul(factor).ok_or(MoneyError::TooLarge)?;
    i64::try_from(minor).map_err(|_| MoneyError::TooLarge)
}

/// As [`to_minor`], rounding half away from zero what the currency cannot hold (a filter's
/// bound, never a stored amount).
pub fn to_minor_rounded(amount: Decimal, exponent: u32) -> Option<i64> {
    let rounded = amount.round_dp_with_strategy(
        exponent,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    );
    to_minor(rounded, exponent).ok()
}

/// Minor units back as an amount in major units, with the currency's places.
pub fn from_minor(minor: i64, exponent: u32) -> Decimal {
    Decimal::new(minor, exponent)
}

/// An amount written for people: thousands separated, the currency's places.
pub fn format(amount: Decimal, exponent: u32) -> String {
    let rounded = amount.round_dp_with_strategy(
        exponent,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    );
    let text = format!("{:.*}", exponent as usize, rounded);
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// One dated rate: from `valid_from` on, one unit of `currency` is worth `rate` units of the
/// company currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub currency: String,
    pub valid_from: chrono::NaiveDate,
    pub rate: Decimal,
}

/// `amount` of `currency` in the company currency on `day`, by the latest rate on or before
/// that day; `None` when no rate applies (never guessed). The company currency converts to
/// itself.
pub fn convert(
    rates: &[Rate],
    amount: Decimal,
    currency: &str,
    company_currency: &str,
    day: chrono::NaiveDate,
) -> Option<Decimal> {
    if currency == company_currency {
        return Some(amount);
    }
    let rate = rates
        .iter()
        .filter(|r| r.currency == currency && r.valid_from <= day)
        .max_by_key(|r| r.valid_from)?;
    let exact = amount.checked_mul(rate.rate)?;
    Some(exact.round_dp_with_strategy(
        exponent(company_currency),
        rust_decimal::RoundingStrategy::MidpointNearestEven,
    ))
}

/// Checks a rate list as an administrator submits it: known currencies other than the
/// company's, positive rates, one rate per currency and day. Errors name `rates[i].field`.
pub fn check_rates(rates: &[Rate], company_currency: &str) -> crate::FieldErrors {
    let mut errors = crate::FieldErrors::new();
    for (i, rate) in rates.iter().enumerate() {
        if currency(&rate.currency).is_none() || rate.currency == company_currency {
            errors.add(&format!("rates[{i}].currency"), "invalid_choice");
        }
        if rate.rate <= Decimal::ZERO || rate.rate.scale() > 10 {
            errors.add(&format!("rates[{i}].rate"), "invalid_number");
        }
        let duplicate = rates[..i]
            .iter()
            .any(|r| r.currency == rate.currency && r.valid_from == rate.valid_from);
        if duplicate {
            errors.add(&format!("rates[{i}].valid_from"), "duplicate_rate");
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn minor_units_follow_the_currency_exponent() {
        assert_eq!(to_minor(d("10.50"), exponent("CNY")), Ok(1050));
        assert_eq!(to_minor(d("1234"), exponent("JPY")), Ok(1234));
        assert_eq!(
            to_minor(d("10.5"), exponent("JPY")),
            Err(MoneyError::TooPrecise)
        );
        assert_eq!(
            to_minor(d("0.001"), exponent("USD")),
            Err(MoneyError::TooPrecise)
        );
        // Trailing zeros are not precision.
        assert_eq!(to_minor(d("7.000"), exponent("JPY")), Ok(7));
        assert_eq!(to_minor(d("-3.25"), 2), Ok(-325));
        assert_eq!(
            to_minor(d("100000000000000000000"), 2),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(from_minor(1050, 2), d("10.50"));
        assert_eq!(from_minor(1234, 0), d("1234"));
    }

    #[test]
    fn round_trips_are_exact() {
        for text in ["0.01", "0.10", "19.99", "123456789012.34", "-0.05"] {
            let minor = to_minor(d(text), 2).expect("fits");
            assert_eq!(from_minor(minor, 2), d(text));
        }
    }

    #[test]
    fn filter_bounds_round_to_the_currency() {
        assert_eq!(to_minor_rounded(d("10.555"), 2), Some(1056));
        assert_eq!(to_minor_rounded(d("10.5"), 0), Some(11));
    }

    #[test]
    fn amounts_format_with_separators_and_places() {
        assert_eq!(format(d("1234567.5"), 2), "1,234,567.50");
        assert_eq!(format(d("1234567"), 0), "1,234,567");
        assert_eq!(format(d("-999.999"), 2), "-1,000.00");
        assert_eq!(format(d("12"), 2), "12.00");
    }

    fn day(s: &str) -> chrono::NaiveDate {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
    }

    #[test]
    fn conversion_takes_the_latest_rate_on_or_before_the_day() {
        let rates = vec![
            Rate {
                currency: "USD".into(),
                valid_from: day("2026-01-01"),
                rate: d("7.10"),
            },
            Rate {
                currency: "USD".into(),
                valid_from: day("2026-06-01"),
                rate: d("7.25"),
            },
            Rate {
                currency: "JPY".into(),
                valid_from: day("2026-01-01"),
                rate: d("0.0481"),
            },
        ];
        let usd = |on| convert(&rates, d("100"), "USD", "CNY", day(on));
        assert_eq!(usd("2025-12-31"), None, "no rate yet");
        assert_eq!(usd("2026-03-01"), Some(d("710.00")));
        assert_eq!(usd("2026-06-01"), Some(d("725.00")));
        assert_eq!(
            convert(&rates, d("12345"), "JPY", "CNY", day("2026-02-01")),
            Some(d("593.79"))
        );
        assert_eq!(
            convert(&rates, d("5.5"), "CNY", "CNY", day("2026-02-01")),
            Some(d("5.5"))
        );
        assert_eq!(
            convert(&rates, d("1"), "EUR", "CNY", day("2026-02-01")),
            None
        );
    }

    #[test]
    fn rate_lists_are_checked() {
        let rate = |c: &str, on: &str, r: &str| Rate {
            currency: c.into(),
            valid_from: day(on),
            rate: d(r),
        };
        assert!(check_rates(&[rate("USD", "2026-01-01", "7.1")], "CNY").is_empty());
        let errors = check_rates(
            &[
                rate("CNY", "2026-01-01", "1"),
                rate("XYZ", "2026-01-01", "1"),
                rate("USD", "2026-01-01", "0"),
                rate("EUR", "2026-01-01", "7.8"),
                rate("EUR", "2026-01-01", "7.9"),
            ],
            "CNY",
        );
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "rates[0].currency",
                "rates[1].currency",
                "rates[2].rate",
                "rates[4].valid_from"
            ]
        );
    }

    #[test]
    fn currencies_are_unique_and_the_default_is_known() {
        let mut codes: Vec<&str> = CURRENCIES.iter().map(|c| c.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), CURRENCIES.len());
        assert!(currency(DEFAULT_CURRENCY).is_some());
        assert_eq!(exponent("XYZ"), 2);
    }
}
