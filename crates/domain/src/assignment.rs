//! Lead assignment rules (线索分配), the pure part: the methods and their settings, the
//! checks of a rule as written, whether a lead matches a rule's criteria (the filter
//! language of `views`, evaluated on the lead's values instead of in SQL), the region a lead
//! falls in, and the order a rotation tries its reps in.

use crate::fields::FieldValue;
use crate::views::{Condition, FilterSpec, Test};
use crate::FieldErrors;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use uuid::Uuid;

/// The most rules a company keeps, reps on a list, criteria and regions on a rule.
pub const MAX_RULES: usize = 200;
pub const MAX_REPS: usize = 200;
pub const MAX_CRITERIA: usize = crate::views::MAX_FILTERS;
pub const MAX_REGIONS: usize = 100;
pub const MAX_NAME: usize = 100;
/// The highest capacity a rule may give a rep (open leads, or new ones a day).
pub const MAX_CAPACITY: i64 = 100_000;

/// How a rule picks the lead's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// 指定名单: the first rep of the list, in its order, who is active and has capacity.
    List,
    /// 顺序分配: the reps of the list in turn, from where the rule's cursor stands.
    RoundRobin,
    /// 按地域: the lead's province names a rep, or a department whose members take turns.
    Region,
    /// 专项: one fixed rep.
    Criteria,
    /// Straight into a public pool.
    Pool,
}

impl Method {
    pub const ALL: [Method; 5] = [
        Method::List,
        Method::RoundRobin,
        Method::Region,
        Method::Criteria,
        Method::Pool,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Method::List => "list",
            Method::RoundRobin => "round_robin",
            Method::Region => "region",
            Method::Criteria => "criteria",
            Method::Pool => "pool",
        }
    }

    pub fn parse(key: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.key() == key)
    }
}

/// How a lead came to its owner, as the lead records it (`assignment_method`): a rule's
/// method, its fallback when nobody had capacity, or a manager's hand.
pub const RECORDED_METHODS: &[(&str, &str, &str)] = &[
    ("list", "指定名单", "Named list"),
    ("round_robin", "顺序分配", "Round-robin"),
    ("region", "按地域", "By region"),
    ("criteria", "专项分配", "By criteria"),
    ("pool", "进入公海", "Into a pool"),
    (
        "fallback",
        "无人可分配，进入公海",
        "Nobody available: into a pool",
    ),
    ("manual", "手工分配", "Assigned by hand"),
];
pub const FALLBACK: &str = "fallback";
pub const MANUAL: &str = "manual";

/// Who a region goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    User(Uuid),
    Department(Uuid),
}

impl Target {
    /// `user:<id>` or `department:<id>`.
    pub fn parse(s: &str) -> Option<Target> {
        let (kind, id) = s.split_once(':')?;
        let id = Uuid::try_parse(id.trim()).ok()?;
        match kind.trim() {
            "user" => Some(Target::User(id)),
            "department" => Some(Target::Department(id)),
            _ => None,
        }
    }

    pub fn key(&self) -> String {
        match self {
            Target::User(id) => format!("user:{id}"),
            Target::Department(id) => format!("department:{id}"),
        }
    }
}

/// One line of a region map: a province (its GB/T 2260 code, as leads store it) and who
/// takes its leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub province: String,
    pub target: String,
}

/// A rule's method-specific settings, stored as JSON beside the rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The reps of a list or a rotation, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reps: Vec<Uuid>,
    /// The fixed rep of a criteria rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rep: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<Region>,
    /// The pool a pool rule puts its leads in (none: the default lead pool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_id: Option<Uuid>,
}

/// Checks what can be checked without the database: the name, the settings the method needs
/// (the references are checked by the use case), the capacity bounds.
pub fn check(
    name: &str,
    method: Method,
    settings: &Settings,
    capacity: (Option<i64>, Option<i64>),
    criteria: &[FilterSpec],
) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let name = name.trim();
    if name.is_empty() {
        errors.add("name", "required");
    } else if name.chars().count() > MAX_NAME {
        errors.add_limit("name", "too_long", MAX_NAME as i64);
    }
    if criteria.len() > MAX_CRITERIA {
        errors.add_limit("criteria", "too_many_rows", MAX_CRITERIA as i64);
    }
    match method {
        Method::List | Method::RoundRobin => {
            if settings.reps.is_empty() {
                errors.add("reps", "required");
            } else if settings.reps.len() > MAX_REPS {
                errors.add_limit("reps", "too_many_rows", MAX_REPS as i64);
            } else if has_duplicates(&settings.reps) {
                errors.add("reps", "duplicate_rep");
            }
        }
        Method::Criteria => {
            if settings.rep.is_none() {
                errors.add("rep", "required");
            }
        }
        Method::Region => check_regions(&settings.regions, &mut errors),
        Method::Pool => {}
    }
    for (field, value) in [("max_open", capacity.0), ("max_per_day", capacity.1)] {
        if value.is_some_and(|v| !(1..=MAX_CAPACITY).contains(&v)) {
            errors.add_limit(field, "out_of_range", MAX_CAPACITY);
        }
    }
    errors
}

fn has_duplicates(ids: &[Uuid]) -> bool {
    let mut sorted = ids.to_vec();
    sorted.sort();
    sorted.windows(2).any(|w| w[0] == w[1])
}

fn check_regions(regions: &[Region], errors: &mut FieldErrors) {
    if regions.is_empty() {
        errors.add("regions", "required");
        return;
    }
    if regions.len() > MAX_REGIONS {
        errors.add_limit("regions", "too_many_rows", MAX_REGIONS as i64);
        return;
    }
    for (i, r) in regions.iter().enumerate() {
        if crate::regions::province(&r.province).is_none() {
            errors.add(&format!("regions.{i}.province"), "invalid_choice");
        } else if regions[..i].iter().any(|o| o.province == r.province) {
            errors.add(&format!("regions.{i}.province"), "duplicate_region");
        }
        if Target::parse(&r.target).is_none() {
            errors.add(&format!("regions.{i}.target"), "invalid_reference");
        }
    }
}

/// Who takes a lead of `province` under a region map.
pub fn region_target(regions: &[Region], province: Option<&str>) -> Option<Target> {
    let province = province?;
    regions
        .iter()
        .find(|r| r.province == province)
        .and_then(|r| Target::parse(&r.target))
}

/// The order a rotation of `len` reps tries them in when its cursor stands at `cursor`: the
/// rep at the cursor first, then the following ones, wrapping around.
pub fn rotation(len: usize, cursor: i64) -> impl Iterator<Item = usize> {
    let start = if len == 0 {
        0
    } else {
        cursor.rem_euclid(len as i64) as usize
    };
    (0..len).map(move |k| (start + k) % len)
}

/// Where the cursor stands after the rep at `index` took a lead: just past them.
pub fn advanced(len: usize, index: usize) -> i64 {
    if len == 0 {
        0
    } else {
        ((index + 1) % len) as i64
    }
}

/// Whether a lead's values meet every condition (no conditions: every lead).
pub fn matches<'a>(
    conditions: &[Condition],
    value: impl Fn(&str) -> Option<&'a FieldValue>,
) -> bool {
    conditions
        .iter()
        .all(|c| test(&c.test, value(&c.field.key)))
}

/// One condition on one value, with the meaning the list's SQL gives it.
pub fn test(t: &Test, v: Option<&FieldValue>) -> bool {
    let present = v.filter(|v| !is_empty(v));
    match t {
        Test::Empty => present.is_none(),
        Test::NotEmpty => present.is_some(),
        Test::Eq(x) => present.is_some_and(|v| same(v, x)),
        Test::Ne(x) => present.is_none_or(|v| !same(v, x)),
        Test::In(xs) => present.is_some_and(|v| xs.iter().any(|x| same(v, x))),
        Test::Gt(x) => order(present, x) == Some(Ordering::Greater),
        Test::Gte(x) => matches!(order(present, x), Some(Ordering::Greater | Ordering::Equal)),
        Test::Lt(x) => order(present, x) == Some(Ordering::Less),
        Test::Lte(x) => matches!(order(present, x), Some(Ordering::Less | Ordering::Equal)),
        Test::Between(a, b) => {
            matches!(order(present, a), Some(Ordering::Greater | Ordering::Equal))
                && matches!(order(present, b), Some(Ordering::Less | Ordering::Equal))
        }
        Test::Range { from, to, or_empty } => match present {
            None => *or_empty,
            Some(v) => {
                from.as_ref()
                    .is_none_or(|f| order(Some(v), f).is_some_and(|o| o != Ordering::Less))
                    && to
                        .as_ref()
                        .is_none_or(|t| order(Some(v), t) == Some(Ordering::Less))
            }
        },
        Test::Contains(s) => match present {
            Some(FieldValue::Choices(list)) => list.iter().any(|c| c == s),
            Some(FieldValue::Text(text)) => text.to_lowercase().contains(s.as_str()),
            _ => false,
        },
        Test::StartsWith(s) => match present {
            Some(FieldValue::Text(text)) => text.to_lowercase().starts_with(s.as_str()),
            _ => false,
        },
    }
}

fn is_empty(v: &FieldValue) -> bool {
    match v {
        FieldValue::Text(s) => s.is_empty(),
        FieldValue::Choices(c) => c.is_empty(),
        _ => false,
    }
}

fn same(a: &FieldValue, b: &FieldValue) -> bool {
    match (a, b) {
        (FieldValue::Decimal(x), FieldValue::Decimal(y)) => x == y,
        _ => a == b,
    }
}

fn order(a: Option<&FieldValue>, b: &FieldValue) -> Option<Ordering> {
    match (a?, b) {
        (FieldValue::Decimal(x), FieldValue::Decimal(y)) => Some(x.cmp(y)),
        (FieldValue::Date(x), FieldValue::Date(y)) => Some(x.cmp(y)),
        (FieldValue::DateTime(x), FieldValue::DateTime(y)) => Some(x.cmp(y)),
        (FieldValue::DateTime(x), FieldValue::Date(y)) => {
            Some(x.date_naive().cmp(y)).filter(|o| *o != Ordering::Equal)
        }
        (FieldValue::Text(x), FieldValue::Text(y)) => Some(x.as_str().cmp(y.as_str())),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
