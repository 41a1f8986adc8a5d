//! Field metadata shared by standard and custom fields: types, options, validation of a
//! submitted value, the filter operators that fit each type, and relative date ranges.
//!
//! The list-view builder, forms and the API read a field's [`FieldDef`] instead of knowing
//! each object's columns, so a custom field behaves exactly like a standard one.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use uuid::Uuid;

use crate::permissions::ObjectKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    LongText,
    Number,
    Money,
    Percent,
    Date,
    DateTime,
    Checkbox,
    Picklist,
    MultiSelect,
    Lookup,
    User,
    Phone,
    Email,
    Url,
    /// Free labels a user types (an account's tags): several per record, de-duplicated.
    Tags,
    /// A unified social credit code (统一社会信用代码), checked by its check digit.
    CreditCode,
}

impl FieldType {
    pub const ALL: [FieldType; 17] = [
        FieldType::Text,
        FieldType::LongText,
        FieldType::Number,
        FieldType::Money,
        FieldType::Percent,
        FieldType::Date,
        FieldType::DateTime,
        FieldType::Checkbox,
        FieldType::Picklist,
        FieldType::MultiSelect,
        FieldType::Lookup,
        FieldType::User,
        FieldType::Phone,
        FieldType::Email,
        FieldType::Url,
        FieldType::Tags,
        FieldType::CreditCode,
    ];

    pub fn key(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::LongText => "long_text",
            FieldType::Number => "number",
            FieldType::Money => "money",
            FieldType::Percent => "percent",
            FieldType::Date => "date",
            FieldType::DateTime => "date_time",
            FieldType::Checkbox => "checkbox",
            FieldType::Picklist => "picklist",
            FieldType::MultiSelect => "multi_select",
            FieldType::Lookup => "lookup",
            FieldType::User => "user",
            FieldType::Phone => "phone",
            FieldType::Email => "email",
            FieldType::Url => "url",
            FieldType::Tags => "tags",
            FieldType::CreditCode => "credit_code",
        }
    }

    pub fn parse(key: &str) -> Option<FieldType> {
        FieldType::ALL.into_iter().find(|t| t.key() == key)
    }

    /// The filter operators that make sense for the type.
    pub fn operators(self) -> &'static [Operator] {
        use Operator::*;
        match self {
            FieldType::Text | FieldType::Phone | FieldType::Email | FieldType::Url => {
                &[Eq, Ne, Contains, StartsWith, In, Empty, NotEmpty]
            }
            FieldType::CreditCode => &[Eq, In, Empty, NotEmpty],
            FieldType::LongText => &[Contains, Empty, NotEmpty],
            FieldType::Number | FieldType::Money | FieldType::Percent => {
                &[Eq, Ne, Gt, Gte, Lt, Lte, Between, Empty, NotEmpty]
            }
            FieldType::Date | FieldType::DateTime => &[
                Eq,
                Gt,
                Gte,
                Lt,
                Lte,
                Between,
                Empty,
                NotEmpty,
                Today,
                ThisWeek,
                LastWeek,
                NextWeek,
                ThisMonth,
                LastMonth,
                NextMonth,
                ThisQuarter,
                ThisYear,
                LastNDays,
                NextNDays,
                OlderThanDays,
                BeforeToday,
            ],
            FieldType::Checkbox => &[Eq],
            FieldType::Picklist => &[Eq, Ne, In, Empty, NotEmpty],
            FieldType::MultiSelect | FieldType::Tags => &[Contains, Empty, NotEmpty],
            FieldType::Lookup | FieldType::User => &[Eq, Ne, In, Empty, NotEmpty],
        }
    }
}

/// A filter operator. Relative date operators take no value (or a number of days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Eq,
    Ne,
    Contains,
    StartsWith,
    In,
    Between,
    Gt,
    Gte,
    Lt,
    Lte,
    Empty,
    NotEmpty,
    Today,
    ThisWeek,
    LastWeek,
    NextWeek,
    ThisMonth,
    LastMonth,
    NextMonth,
    ThisQuarter,
    ThisYear,
    LastNDays,
    NextNDays,
    /// "Not touched for N days": older than N days ago, or never set.
    OlderThanDays,
    /// Set and before the start of today: what is overdue.
    BeforeToday,
}

impl Operator {
    pub fn key(self) -> &'static str {
        match self {
            Operator::Eq => "eq",
            Operator::Ne => "ne",
            Operator::Contains => "contains",
            Operator::StartsWith => "starts_with",
            Operator::In => "in",
            Operator::Between => "between",
            Operator::Gt => "gt",
            Operator::Gte => "gte",
            Operator::Lt => "lt",
            Operator::Lte => "lte",
            Operator::Empty => "empty",
            Operator::NotEmpty => "not_empty",
            Operator::Today => "today",
            Operator::ThisWeek => "this_week",
            Operator::LastWeek => "last_week",
            Operator::NextWeek => "next_week",
            Operator::ThisMonth => "this_month",
            Operator::LastMonth => "last_month",
            Operator::NextMonth => "next_month",
            Operator::ThisQuarter => "this_quarter",
            Operator::ThisYear => "this_year",
            Operator::LastNDays => "last_n_days",
            Operator::NextNDays => "next_n_days",
            Operator::OlderThanDays => "older_than_days",
            Operator::BeforeToday => "before_today",
        }
    }

    pub const ALL: [Operator; 25] = [
        Operator::Eq,
        Operator::Ne,
        Operator::Contains,
        Operator::StartsWith,
        Operator::In,
        Operator::Between,
        Operator::Gt,
        Operator::Gte,
        Operator::Lt,
        Operator::Lte,
        Operator::Empty,
        Operator::NotEmpty,
        Operator::Today,
        Operator::ThisWeek,
        Operator::LastWeek,
        Operator::NextWeek,
        Operator::ThisMonth,
        Operator::LastMonth,
        Operator::NextMonth,
        Operator::ThisQuarter,
        Operator::ThisYear,
        Operator::LastNDays,
        Operator::NextNDays,
        Operator::OlderThanDays,
        Operator::BeforeToday,
    ];

    pub fn parse(key: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|o| o.key() == key)
    }

    /// A date range relative to `now` in the user's time zone: `[start, end)`.
    /// `days` is the N of the "N days" operators. `None` for operators that are not relative.
    pub fn relative_range(
        self,
        now: DateTime<Utc>,
        zone: crate::time::Tz,
        days: Option<u32>,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let today = crate::time::local_day(now, zone);
        let midnight = |d: NaiveDate| Some(crate::time::day_start(d, zone));
        let week_start = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        let month_start = today.with_day(1)?;
        let add_months = |d: NaiveDate, n: i32| {
            let total = d.year() * 12 + d.month0() as i32 + n;
            NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
        };
        let (start, end) = match self {
            Operator::Today => (today, today + Duration::days(1)),
            Operator::ThisWeek => (week_start, week_start + Duration::days(7)),
            Operator::LastWeek => (week_start - Duration::days(7), week_start),
            Operator::NextWeek => (
                week_start + Duration::days(7),
                week_start + Duration::days(14),
            ),
            Operator::ThisMonth => (month_start, add_months(month_start, 1)?),
            Operator::LastMonth => (add_months(month_start, -1)?, month_start),
            Operator::NextMonth => (add_months(month_start, 1)?, add_months(month_start, 2)?),
            Operator::ThisQuarter => {
                let q = add_months(month_start, -((today.month0() % 3) as i32))?;
                (q, add_months(q, 3)?)
            }
            Operator::ThisYear => (
                NaiveDate::from_ymd_opt(today.year(), 1, 1)?,
                NaiveDate::from_ymd_opt(today.year() + 1, 1, 1)?,
            ),
            Operator::LastNDays => (
                today - Duration::days(i64::from(days?)),
                today + Duration::days(1),
            ),
            Operator::NextNDays => (today, today + Duration::days(i64::from(days?) + 1)),
            // Everything before the start of the day N days ago.
            Operator::OlderThanDays => (NaiveDate::MIN, today - Duration::days(i64::from(days?))),
            Operator::BeforeToday => (NaiveDate::MIN, today),
            _ => return None,
        };
        let start = if start == NaiveDate::MIN {
            DateTime::<Utc>::MIN_UTC
        } else {
            midnight(start)?
        };
        Some((start, midnight(end)?))
    }
}

/// Mainland China has one time zone and no daylight saving: UTC+8.
pub fn china_time() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or(FixedOffset::east_opt(0).expect("zero offset"))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PicklistOption {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// The definition of one field of an object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    pub key: String,
    #[serde(default)]
    pub label_zh: String,
    #[serde(default)]
    pub label_en: String,
    pub field_type: FieldType,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub max_length: Option<u32>,
    #[serde(default, deserialize_with = "number_or_text")]
    pub min: Option<Decimal>,
    #[serde(default, deserialize_with = "number_or_text")]
    pub max: Option<Decimal>,
    /// A regular expression the whole text must match.
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub default_value: Option<String>,
    #[serde(default)]
    pub help_zh: Option<String>,
    #[serde(default)]
    pub help_en: Option<String>,
    #[serde(default)]
    pub options: Vec<PicklistOption>,
    /// For lookups: the key of the object looked up.
    #[serde(default)]
    pub lookup_object: Option<String>,
    /// The table column of a standard field; `None` for a custom field (kept in the
    /// record's `custom` JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Set by the system (timestamps, check-in), never by a form or an API body.
    #[serde(default)]
    pub system: bool,
    /// Backed by an index, so it may be sorted on and filtered at scale.
    #[serde(default)]
    pub indexed: bool,
    /// Found by the quick and global search (its tokens are in the object's search-token
    /// table): standard fields only.
    #[serde(skip)]
    pub searchable: bool,
    /// For a money field of an object without a currency field: the decimal places of the
    /// company currency its amounts are in (set when a company's fields are loaded; see
    /// [`crate::money`]). Amounts of an object with a currency field follow the record's.
    #[serde(skip)]
    pub money_exponent: Option<u32>,
    /// How the engine computes the value on every write (a sum or count of child rows, a
    /// formula over the record's fields); such a field is also `system`. Standard fields
    /// only (see [`crate::children`]).
    #[serde(skip)]
    pub computed: Option<crate::children::Computed>,
    /// Place on forms and record pages.
    #[serde(default)]
    pub position: i32,
}

/// A bound given as a JSON number (`0`, `99.5`) or as text (`"0"`, how definitions are
/// stored): an integrator sends numbers.
fn number_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    use serde::de::Error;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Bound {
        Text(String),
        Number(serde_json::Number),
    }
    let text = match Option::<Bound>::deserialize(d)? {
        None => return Ok(None),
        Some(Bound::Text(s)) => s.trim().to_string(),
        Some(Bound::Number(n)) => n.to_string(),
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map(Some)
        .map_err(|_| D::Error::custom(format!("expected a number, got {text:?}")))
}

/// A validated value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Bool(bool),
    Decimal(Decimal),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    Id(Uuid),
    Choices(Vec<String>),
    Text(String),
}

pub const TEXT_DEFAULT_MAX: u32 = 255;
pub const LONG_TEXT_DEFAULT_MAX: u32 = 10_000;

impl FieldDef {
    /// Whether this is a lookup field whose values are records of `object`.
    pub fn points_at(&self, object: ObjectKind) -> bool {
        self.field_type == FieldType::Lookup && self.lookup_object.as_deref() == Some(object.key())
    }

    /// Validates one submitted value (text from a form or an API body; several values for a
    /// multi-select). An empty submission is `None`, or the `required` error.
    pub fn parse(&self, raw: &[String]) -> Result<Option<FieldValue>, &'static str> {
        let values: Vec<&str> = raw
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            return match (self.required, self.field_type) {
                // An unticked checkbox is a value: false.
                (_, FieldType::Checkbox) => Ok(Some(FieldValue::Bool(false))),
                (true, _) => Err("required"),
                (false, _) => Ok(None),
            };
        }
        if self.field_type == FieldType::MultiSelect {
            let mut chosen: Vec<String> = Vec::new();
            for v in values {
                let key = self.active_option(v)?;
                if !chosen.iter().any(|c| c == key) {
                    chosen.push(key.to_string());
                }
            }
            return Ok(Some(FieldValue::Choices(chosen)));
        }
        if self.field_type == FieldType::Tags {
            let typed: Vec<String> = values.iter().flat_map(|v| split_tags(v)).collect();
            let tags = normalize_tags(&typed)?;
            return Ok((!tags.is_empty()).then_some(FieldValue::Choices(tags)));
        }
        if values.len() > 1 {
            return Err("wrong_type");
        }
        let v = values[0];
        let value = match self.field_type {
            FieldType::Text | FieldType::LongText => {
                let default_max = if self.field_type == FieldType::Text {
                    TEXT_DEFAULT_MAX
                } else {
                    LONG_TEXT_DEFAULT_MAX
                };
                if v.chars().count() > self.max_length.unwrap_or(default_max) as usize {
                    return Err("too_long");
                }
                if let Some(pattern) = &self.pattern {
                    let re = regex::Regex::new(&format!("^(?:{pattern})$"))
                        .map_err(|_| "invalid_pattern")?;
                    if !re.is_match(v) {
                        return Err("pattern_mismatch");
                    }
                }
                FieldValue::Text(v.to_string())
            }
            FieldType::Number | FieldType::Money | FieldType::Percent => {
                let number =
                    Decimal::from_str(&v.replace([',', '，'], "")).map_err(|_| "invalid_number")?;
                if self.min.is_some_and(|min| number < min) {
                    return Err("below_min");
                }
                if self.max.is_some_and(|max| number > max) {
                    return Err("above_max");
                }
                // The currency decides the places (`records` checks them); none has more.
                if self.field_type == FieldType::Money && number.normalize().scale() > 4 {
                    return Err("invalid_number");
                }
                FieldValue::Decimal(number)
            }
            FieldType::Date => FieldValue::Date(
                NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| "invalid_date")?,
            ),
            FieldType::DateTime => {
                let parsed = DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .or_else(|_| {
                        // A browser's datetime-local value, in China time.
                        chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
                            .ok()
                            .and_then(|t| china_time().from_local_datetime(&t).single())
                            .map(|t| t.with_timezone(&Utc))
                            .ok_or("invalid_date")
                    })?;
                FieldValue::DateTime(parsed)
            }
            FieldType::Checkbox => match v {
                "true" | "on" | "1" | "yes" => FieldValue::Bool(true),
                "false" | "off" | "0" | "no" => FieldValue::Bool(false),
                _ => return Err("wrong_type"),
            },
            // Multi-select values returned above; a single choice is checked the same way.
            FieldType::Picklist | FieldType::MultiSelect | FieldType::Tags => {
                FieldValue::Text(self.active_option(v)?.to_string())
            }
            FieldType::CreditCode => {
                FieldValue::Text(crate::credit_code::parse(v).ok_or("invalid_credit_code")?)
            }
            FieldType::Lookup | FieldType::User => {
                FieldValue::Id(Uuid::parse_str(v).map_err(|_| "invalid_reference")?)
            }
            FieldType::Phone => {
                FieldValue::Text(crate::contact_details::normalize_phone(v).ok_or("invalid_phone")?)
            }
            FieldType::Email => {
                let email = crate::validation::normalize_email(v);
                if !crate::validation::is_plausible_email(&email) {
                    return Err("invalid_email");
                }
                FieldValue::Text(email)
            }
            FieldType::Url => {
                FieldValue::Text(crate::contact_details::normalize_website(v).ok_or("invalid_url")?)
            }
        };
        Ok(Some(value))
    }

    /// The number the message of error `code` names: the longest text, the most tags.
    pub fn limit_of(&self, code: &str) -> Option<i64> {
        match code {
            "too_long" => {
                let default_max = if self.field_type == FieldType::LongText {
                    LONG_TEXT_DEFAULT_MAX
                } else {
                    TEXT_DEFAULT_MAX
                };
                Some(i64::from(self.max_length.unwrap_or(default_max)))
            }
            "invalid_tag" => Some(TAG_MAX as i64),
            "too_many" => Some(TAGS_MAX as i64),
            _ => None,
        }
    }

    /// The key of the active option `key` names: exactly, or else ignoring ASCII case
    /// (`b` for grade `B`), so that the stored value is always the option's own key.
    fn active_option(&self, key: &str) -> Result<&str, &'static str> {
        let active = || self.options.iter().filter(|o| o.active);
        active()
            .find(|o| o.key == key)
            .or_else(|| active().find(|o| o.key.eq_ignore_ascii_case(key)))
            .map(|o| o.key.as_str())
            .ok_or("invalid_choice")
    }

    /// Checks a definition an administrator submits: a usable key, sensible limits, options
    /// for choice types, a target for lookups, a pattern that compiles.
    pub fn check_definition(&self) -> Vec<(&'static str, &'static str)> {
        let mut problems = Vec::new();
        let key_ok = self.key.len() <= 40
            && self.key.starts_with(|c: char| c.is_ascii_lowercase())
            && self
                .key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            problems.push(("key", "invalid_key"));
        }
        if self.label_zh.trim().is_empty() && self.label_en.trim().is_empty() {
            problems.push(("label", "required"));
        }
        let choice = matches!(
            self.field_type,
            FieldType::Picklist | FieldType::MultiSelect
        );
        if choice && self.options.iter().all(|o| !o.active) {
            problems.push(("options", "required"));
        }
        let mut keys: Vec<&str> = self.options.iter().map(|o| o.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        if keys.len() != self.options.len() || self.options.iter().any(|o| o.key.trim().is_empty())
        {
            problems.push(("options", "duplicate_name"));
        }
        if self.field_type == FieldType::Lookup && self.lookup_object.is_none() {
            problems.push(("lookup_object", "required"));
        }
        if let (Some(min), Some(max)) = (self.min, self.max) {
            if min > max {
                problems.push(("min", "above_max"));
            }
        }
        if let Some(pattern) = &self.pattern {
            if regex::Regex::new(pattern).is_err() {
                problems.push(("pattern", "invalid_pattern"));
            }
        }
        if let Some(default) = &self.default_value {
            let mut relaxed = self.clone();
            relaxed.required = false;
            if relaxed.parse(std::slice::from_ref(default)).is_err() {
                problems.push(("default_value", "invalid_choice"));
            }
        }
        problems
    }
}

/// Longest tag, in characters.
pub const TAG_MAX: usize = 30;
/// Most tags on one record.
pub const TAGS_MAX: usize = 20;

/// Splits a typed tag list: ASCII and full-width commas and the enumeration comma separate.
pub fn split_tags(value: &str) -> Vec<String> {
    value
        .split([',', '，', '、'])
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Tags trimmed, de-duplicated ignoring case and kept in the order given; a tag longer than
/// [`TAG_MAX`] is `invalid_tag`, more than [`TAGS_MAX`] tags `too_many`.
pub fn normalize_tags(raw: &[String]) -> Result<Vec<String>, &'static str> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if tag.chars().count() > TAG_MAX {
            return Err("invalid_tag");
        }
        if !tags.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
            tags.push(tag.to_string());
        }
    }
    if tags.len() > TAGS_MAX {
        return Err("too_many");
    }
    Ok(tags)
}

#[cfg(test)]
mod tests;
