//! How field values read on a page: labels in the reader's language, choices, money,
//! history values.

use super::Shown;
use crate::i18n::Tr;
use app::records::ObjectFields;
use chrono::{DateTime, Utc};
use domain::fields::{FieldDef, FieldType, FieldValue};
use domain::permissions::ObjectKind;
use std::collections::HashMap;
use uuid::Uuid;

pub fn label(t: Tr, field: &FieldDef) -> String {
    let (zh, en) = (&field.label_zh, &field.label_en);
    if t.is_zh() && !zh.is_empty() || en.is_empty() {
        zh.clone()
    } else {
        en.clone()
    }
}

pub(super) fn option_label(t: Tr, field: &FieldDef, key: &str) -> String {
    field
        .options
        .iter()
        .find(|o| o.key == key)
        .map(|o| {
            if t.is_zh() {
                o.label_zh.clone()
            } else {
                o.label_en.clone()
            }
        })
        .unwrap_or_else(|| key.to_string())
}

/// Groups digits by thousands: 1234567.5 → 1,234,567.50.
/// An amount as stored: with its currency's places, which the store gave it.
pub fn money(d: &rust_decimal::Decimal) -> String {
    domain::money::format(*d, d.scale())
}

pub fn show_value(
    t: Tr,
    field: &FieldDef,
    value: Option<&FieldValue>,
    names: &HashMap<Uuid, String>,
) -> Shown {
    let Some(value) = value else {
        return Shown {
            text: "—".into(),
            href: None,
        };
    };
    let text = |s: String| Shown {
        text: s,
        href: None,
    };
    match (field.field_type, value) {
        (FieldType::Picklist, FieldValue::Text(k)) => text(option_label(t, field, k)),
        (FieldType::MultiSelect, FieldValue::Choices(keys)) => text(
            keys.iter()
                .map(|k| option_label(t, field, k))
                .collect::<Vec<_>>()
                .join("、"),
        ),
        (FieldType::Money, FieldValue::Decimal(d)) => text(money(d)),
        (FieldType::Percent, FieldValue::Decimal(d)) => text(format!("{}%", d.normalize())),
        (_, FieldValue::Decimal(d)) => text(d.normalize().to_string()),
        (_, FieldValue::Date(d)) => text(d.format("%Y-%m-%d").to_string()),
        (_, FieldValue::DateTime(dt)) => text(t.time(dt)),
        (_, FieldValue::Bool(b)) => text(if *b { "✓".into() } else { "—".into() }),
        (FieldType::Lookup, FieldValue::Id(id)) => {
            let plural = field
                .lookup_object
                .as_deref()
                .and_then(ObjectKind::parse)
                .and_then(domain::objects::spec)
                .map(|s| s.plural)
                .unwrap_or("accounts");
            Shown {
                text: names
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| t.get("record.unavailable").into()),
                href: Some(format!("/{plural}/{id}")),
            }
        }
        (_, FieldValue::Id(id)) => text(names.get(id).cloned().unwrap_or_else(|| "—".into())),
        (FieldType::Email, FieldValue::Text(s)) => Shown {
            text: s.clone(),
            href: Some(format!("mailto:{s}")),
        },
        (FieldType::Phone, FieldValue::Text(s)) => Shown {
            text: s.clone(),
            href: Some(format!("tel:{s}")),
        },
        (FieldType::Url, FieldValue::Text(s)) => Shown {
            text: s.clone(),
            href: Some(s.clone()),
        },
        (_, FieldValue::Text(s)) => text(s.clone()),
        (_, FieldValue::Choices(c)) => text(c.join(", ")),
    }
}

/// A history value as stored (names already resolved), with choice keys shown as labels.
pub fn history_text(t: Tr, fields: &ObjectFields, key: &str, value: &Option<String>) -> String {
    let Some(v) = value else { return "—".into() };
    match fields.field(key) {
        Some(f) if f.field_type == FieldType::Picklist => option_label(t, f, v),
        Some(f) if f.field_type == FieldType::DateTime => DateTime::parse_from_rfc3339(v)
            .map(|d| t.time(d.with_timezone(&Utc)))
            .unwrap_or_else(|_| v.clone()),
        Some(f) if f.field_type == FieldType::Money => v
            .parse::<rust_decimal::Decimal>()
            .map(|d| money(&d))
            .unwrap_or_else(|_| v.clone()),
        _ => v.clone(),
    }
}

pub(super) fn field_label(t: Tr, fields: &ObjectFields, key: &str) -> String {
    fields
        .field(key)
        .map(|f| label(t, f))
        .or_else(|| {
            fields
                .spec
                .child(key)
                .map(|c| c.label(t.is_zh()).to_string())
        })
        .unwrap_or_else(|| key.to_string())
}
