//! List views: which columns, which filters and which sort. A filter as submitted
//! ([`FilterSpec`], text from a form, a saved view or an API query) is checked against the
//! object's fields and compiled into a [`Condition`] the store turns into SQL. Relative dates
//! ("this week", "not contacted for 30 days") are resolved here, in China time.

use crate::fields::{FieldDef, FieldType, FieldValue, Operator};
use crate::time::{day_start, local_day, Tz};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const MAX_FILTERS: usize = 20;
pub const MAX_IN_VALUES: usize = 100;
pub const MAX_COLUMNS: usize = 20;

/// A filter as a user or a client wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterSpec {
    pub field: String,
    pub op: String,
    #[serde(default)]
    pub values: Vec<String>,
}

/// What a saved view stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewDefinition {
    #[serde(default)]
    pub columns: Vec<String>,
    #[serde(default)]
    pub filters: Vec<FilterSpec>,
    #[serde(default = "default_sort")]
    pub sort: String,
    #[serde(default = "yes")]
    pub descending: bool,
}

fn default_sort() -> String {
    "updated_at".into()
}

fn yes() -> bool {
    true
}

/// A checked filter, ready to become SQL.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: FieldDef,
    pub test: Test,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Empty,
    NotEmpty,
    Eq(FieldValue),
    Ne(FieldValue),
    In(Vec<FieldValue>),
    Gt(FieldValue),
    Gte(FieldValue),
    Lt(FieldValue),
    Lte(FieldValue),
    /// `a <= value <= b`, both inclusive, as people read "between 10 and 20".
    Between(FieldValue, FieldValue),
    /// `from <= value < to` (either bound open); `or_empty` also matches records without a
    /// value ("not contacted for 30 days" includes never contacted).
    Range {
        from: Option<FieldValue>,
        to: Option<FieldValue>,
        or_empty: bool,
    },
    /// Case-insensitive substring (text) or membership (multi-select).
    Contains(String),
    StartsWith(String),
}

/// Why a filter was refused: a message code and the offending part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub field: String,
    pub code: &'static str,
}

/// Checks one filter against the object's fields and resolves its values.
/// Relative dates ("today", "this month") and days given for date-times are in `zone`, the
/// user's time zone.
pub fn compile(
    spec: &FilterSpec,
    fields: &[FieldDef],
    me: Uuid,
    now: DateTime<Utc>,
    zone: Tz,
) -> Result<Condition, FilterError> {
    let fail = |code| FilterError {
        field: spec.field.clone(),
        code,
    };
    let field = fields
        .iter()
        .find(|f| f.key == spec.field)
        .ok_or_else(|| fail("unknown_field"))?;
    let op = Operator::parse(&spec.op)
        .filter(|op| field.field_type.operators().contains(op))
        .ok_or_else(|| fail("invalid_operator"))?;
    let values: Vec<&str> = spec
        .values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    let loose = loosened(field);
    let value = |raw: &str| -> Result<FieldValue, FilterError> {
        if field.field_type == FieldType::User && raw == "me" {
            return Ok(FieldValue::Id(me));
        }
        // A date-time is filtered by day: "2026-11-24" means that whole day.
        if field.field_type == FieldType::DateTime {
            if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                return Ok(FieldValue::Date(day));
            }
        }
        match loose.parse(&[raw.to_string()]) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(fail("required")),
            Err(code) => Err(fail(code)),
        }
    };
    let one = || -> Result<FieldValue, FilterError> {
        match values.as_slice() {
            [v] => value(v),
            [] => Err(fail("required")),
            _ => Err(fail("wrong_type")),
        }
    };
    let days = || -> Result<u32, FilterError> {
        match values.as_slice() {
            [v] => v
                .parse::<u32>()
                .ok()
                .filter(|d| *d <= 3650)
                .ok_or_else(|| fail("invalid_number")),
            _ => Err(fail("required")),
        }
    };
    let is_date = matches!(field.field_type, FieldType::Date | FieldType::DateTime);
    let test = match op {
        Operator::Empty => Test::Empty,
        Operator::NotEmpty => Test::NotEmpty,
        Operator::Contains | Operator::StartsWith => {
            let [v] = values.as_slice() else {
                return Err(fail("required"));
            };
            if field.field_type == FieldType::MultiSelect {
                value(v)?;
                Test::Contains((*v).to_string())
            } else if field.field_type == FieldType::Tags {
                // One tag, as it is stored (trimmed).
                Test::Contains(v.trim().to_string())
            } else if op == Operator::Contains {
                Test::Contains(v.to_lowercase())
            } else {
                Test::StartsWith(v.to_lowercase())
            }
        }
        Operator::In => {
            if values.is_empty() {
                return Err(fail("required"));
            }
            if values.len() > MAX_IN_VALUES {
                return Err(fail("too_long"));
            }
            Test::In(values.iter().map(|v| value(v)).collect::<Result<_, _>>()?)
        }
        Operator::Between => {
            let [a, b] = values.as_slice() else {
                return Err(fail("required"));
            };
            let (a, b) = (value(a)?, value(b)?);
            if is_date {
                let (from, _) = day_bounds(field, &a, zone);
                let (_, to) = day_bounds(field, &b, zone);
                Test::Range {
                    from: Some(from),
                    to: Some(to),
                    or_empty: false,
                }
            } else {
                Test::Between(a, b)
            }
        }
        Operator::Eq | Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte if is_date => {
            // A date-time compared with a day means the whole day, in China time.
            let (start, end) = day_bounds(field, &one()?, zone);
            let (from, to) = match op {
                Operator::Eq => (Some(start), Some(end)),
                Operator::Gt => (Some(end), None),
                Operator::Gte => (Some(start), None),
                Operator::Lt => (None, Some(start)),
                _ => (None, Some(end)),
            };
            Test::Range {
                from,
                to,
                or_empty: false,
            }
        }
        Operator::Eq => Test::Eq(one()?),
        Operator::Ne => Test::Ne(one()?),
        Operator::Gt => Test::Gt(one()?),
        Operator::Gte => Test::Gte(one()?),
        Operator::Lt => Test::Lt(one()?),
        Operator::Lte => Test::Lte(one()?),
        relative => {
            let n = match relative {
                Operator::LastNDays | Operator::NextNDays | Operator::OlderThanDays => {
                    Some(days()?)
                }
                _ => None,
            };
            let (start, end) = relative
                .relative_range(now, zone, n)
                .ok_or_else(|| fail("invalid_operator"))?;
            let older = relative == Operator::OlderThanDays;
            let open_start = older || relative == Operator::BeforeToday;
            Test::Range {
                from: (!open_start).then(|| bound(field, start, zone)),
                to: Some(bound(field, end, zone)),
                or_empty: older,
            }
        }
    };
    Ok(Condition {
        field: field.clone(),
        test,
    })
}

/// The filter's view of a field: its type and choices, without the rules that only apply to
/// saving (required, length, bounds, pattern); retired picklist values still filter old data.
fn loosened(field: &FieldDef) -> FieldDef {
    let mut def = field.clone();
    def.required = false;
    def.min = None;
    def.max = None;
    def.pattern = None;
    def.max_length = Some(10_000);
    for option in &mut def.options {
        option.active = true;
    }
    def
}

/// A day given for a date or date-time field as `[start, end)` in the field's own type, the
/// day as it is in `zone`.
fn day_bounds(field: &FieldDef, value: &FieldValue, zone: Tz) -> (FieldValue, FieldValue) {
    let day = match value {
        FieldValue::Date(d) => *d,
        FieldValue::DateTime(t) => local_day(*t, zone),
        _ => NaiveDate::MIN,
    };
    let next = day + Duration::days(1);
    if field.field_type == FieldType::Date {
        return (FieldValue::Date(day), FieldValue::Date(next));
    }
    (
        FieldValue::DateTime(day_start(day, zone)),
        FieldValue::DateTime(day_start(next, zone)),
    )
}

/// An instant as a bound for the field's type (a date field compares by the day in `zone`).
fn bound(field: &FieldDef, t: DateTime<Utc>, zone: Tz) -> FieldValue {
    if field.field_type == FieldType::Date {
        FieldValue::Date(local_day(t, zone))
    } else {
        FieldValue::DateTime(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::spec;
    use crate::permissions::ObjectKind;
    use chrono::TimeZone;

    fn filter(field: &str, op: &str, values: &[&str]) -> FilterSpec {
        FilterSpec {
            field: field.into(),
            op: op.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn now() -> DateTime<Utc> {
        // Wednesday 2026-11-25 10:00 in Beijing.
        Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap()
    }

    #[test]
    fn bad_filters_are_refused_with_a_reason() {
        let fields = &spec(ObjectKind::Opportunity).unwrap().fields;
        let me = Uuid::nil();
        let code = |f: FilterSpec| {
            compile(&f, fields, me, now(), crate::time::DEFAULT_ZONE)
                .unwrap_err()
                .code
        };
        assert_eq!(code(filter("nope", "eq", &["x"])), "unknown_field");
        assert_eq!(
            code(filter("amount", "contains", &["x"])),
            "invalid_operator"
        );
        assert_eq!(code(filter("amount", "gt", &["lots"])), "invalid_number");
        assert_eq!(code(filter("stage", "eq", &["dreaming"])), "invalid_choice");
        assert_eq!(code(filter("stage", "eq", &[])), "required");
        assert_eq!(
            code(filter("expected_close", "older_than_days", &["x"])),
            "invalid_number"
        );
    }

    #[test]
    fn relative_dates_resolve_in_china_time() {
        let fields = &spec(ObjectKind::Account).unwrap().fields;
        let c = compile(
            &filter("last_contacted_at", "older_than_days", &["30"]),
            fields,
            Uuid::nil(),
            now(),
            crate::time::DEFAULT_ZONE,
        )
        .unwrap();
        let cutoff = Utc.with_ymd_and_hms(2026, 10, 25, 16, 0, 0).unwrap();
        assert_eq!(
            c.test,
            Test::Range {
                from: None,
                to: Some(FieldValue::DateTime(cutoff)),
                or_empty: true
            }
        );
        let fields = &spec(ObjectKind::Opportunity).unwrap().fields;
        let c = compile(
            &filter("expected_close", "this_month", &[]),
            fields,
            Uuid::nil(),
            now(),
            crate::time::DEFAULT_ZONE,
        )
        .unwrap();
        let d = |m, day| FieldValue::Date(NaiveDate::from_ymd_opt(2026, m, day).unwrap());
        assert_eq!(
            c.test,
            Test::Range {
                from: Some(d(11, 1)),
                to: Some(d(12, 1)),
                or_empty: false
            }
        );
    }

    #[test]
    fn a_day_on_a_date_time_means_the_whole_day() {
        let fields = &spec(ObjectKind::Activity).unwrap().fields;
        let c = compile(
            &filter("due_at", "lt", &["2026-11-25"]),
            fields,
            Uuid::nil(),
            now(),
            crate::time::DEFAULT_ZONE,
        )
        .unwrap();
        let midnight = Utc.with_ymd_and_hms(2026, 11, 24, 16, 0, 0).unwrap();
        assert_eq!(
            c.test,
            Test::Range {
                from: None,
                to: Some(FieldValue::DateTime(midnight)),
                or_empty: false
            }
        );
    }

    #[test]
    fn me_means_the_current_user() {
        let fields = &spec(ObjectKind::Lead).unwrap().fields;
        let me = Uuid::from_u128(7);
        let c = compile(
            &filter("owner_id", "eq", &["me"]),
            fields,
            me,
            now(),
            crate::time::DEFAULT_ZONE,
        )
        .unwrap();
        assert_eq!(c.test, Test::Eq(FieldValue::Id(me)));
    }
}
