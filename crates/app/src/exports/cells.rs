//! A record's values as an export writes them: what the reader sees on the list (choice
//! labels in their language, owner and lookup names, money with its currency, times in their
//! zone), typed so that numbers and dates stay numbers and dates in a workbook, and text
//! that a spreadsheet would take for a formula neutralised.

use crate::records::ObjectFields;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use domain::fields::{FieldDef, FieldType, FieldValue};
use domain::time::Tz;
use rust_decimal::Decimal;
use std::collections::HashMap;
use store::records::Values;
use uuid::Uuid;

/// One cell of an exported row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    /// Text as the reader sees it; [`neutralise`]d when written.
    Text(String),
    Number(Decimal),
    /// An amount in major units, with its currency and places.
    Money {
        amount: Decimal,
        currency: String,
        places: u32,
    },
    /// A percentage as shown (`25` for 25 %).
    Percent(Decimal),
    Date(NaiveDate),
    /// A time in the reader's zone.
    DateTime(NaiveDateTime),
}

impl Cell {
    /// The cell as CSV text (and as a spreadsheet shows it).
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => neutralise(s),
            Cell::Number(d) => d.normalize().to_string(),
            Cell::Money {
                amount,
                currency,
                places,
            } => format!("{} {currency}", domain::money::format(*amount, *places)),
            Cell::Percent(d) => format!("{}%", d.normalize()),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::DateTime(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        }
    }
}

/// Text a spreadsheet would evaluate as a formula (it starts with `=`, `+`, `-`, `@`, a tab or
/// a carriage return) gets a leading `'`, so it is shown as written and never run.
pub fn neutralise(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// How a record's values become cells for one reader.
pub struct Shaper<'a> {
    pub fields: &'a ObjectFields,
    pub zh: bool,
    pub zone: Tz,
}

impl Shaper<'_> {
    /// The header of a column: the field's label in the reader's language.
    pub fn label(&self, field: &FieldDef) -> String {
        let (zh, en) = (&field.label_zh, &field.label_en);
        if self.zh && !zh.is_empty() || en.is_empty() {
            zh.clone()
        } else {
            en.clone()
        }
    }

    fn option(&self, field: &FieldDef, key: &str) -> String {
        field
            .options
            .iter()
            .find(|o| o.key == key)
            .map(|o| {
                if self.zh {
                    o.label_zh.clone()
                } else {
                    o.label_en.clone()
                }
            })
            .unwrap_or_else(|| key.to_string())
    }

    fn currency(&self, values: &Values) -> String {
        self.fields
            .spec
            .currency_field
            .and_then(|key| match values.get(key) {
                Some(FieldValue::Text(code)) if !code.is_empty() => Some(code.clone()),
                _ => None,
            })
            .unwrap_or_else(|| self.fields.currency.clone())
    }

    fn local(&self, at: &DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.zone).naive_local()
    }

    /// The cell of `field` in a record's `values` (`names`: owners' and lookups' names).
    pub fn cell(&self, field: &FieldDef, values: &Values, names: &HashMap<Uuid, String>) -> Cell {
        let Some(value) = values.get(&field.key) else {
            return Cell::Empty;
        };
        match (field.field_type, value) {
            (FieldType::Picklist, FieldValue::Text(k)) => Cell::Text(self.option(field, k)),
            (FieldType::MultiSelect, FieldValue::Choices(keys)) => Cell::Text(
                keys.iter()
                    .map(|k| self.option(field, k))
                    .collect::<Vec<_>>()
                    .join("、"),
            ),
            (FieldType::Money, FieldValue::Decimal(d)) => Cell::Money {
                amount: *d,
                currency: self.currency(values),
                places: store::records::money_exponent(self.fields.spec, field, values),
            },
            (FieldType::Percent, FieldValue::Decimal(d)) => Cell::Percent(*d),
            (_, FieldValue::Decimal(d)) => Cell::Number(*d),
            (_, FieldValue::Date(d)) => Cell::Date(*d),
            (_, FieldValue::DateTime(at)) => Cell::DateTime(self.local(at)),
            (_, FieldValue::Bool(b)) => Cell::Text(yes_no(*b, self.zh).to_string()),
            (_, FieldValue::Id(id)) => names
                .get(id)
                .map(|n| Cell::Text(n.clone()))
                .unwrap_or(Cell::Empty),
            (_, FieldValue::Text(s)) if s.is_empty() => Cell::Empty,
            (_, FieldValue::Text(s)) => Cell::Text(s.clone()),
            (_, FieldValue::Choices(c)) => Cell::Text(c.join(", ")),
        }
    }
}

/// A checkbox as a word of the reader's language.
fn yes_no(value: bool, zh: bool) -> &'static str {
    match (value, zh) {
        (true, true) => "是",
        (false, true) => "否",
        (true, false) => "Yes",
        (false, false) => "No",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_other_text_is_not() {
        for risky in ["=1+1", "+86 10", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(risky), format!("'{risky}"));
        }
        for safe in ["Acme", "", "a=b", "华为"] {
            assert_eq!(neutralise(safe), safe);
        }
        assert_eq!(Cell::Number(Decimal::new(-5, 0)).text(), "-5");
        assert_eq!(Cell::Text("-5".into()).text(), "'-5");
    }
}
