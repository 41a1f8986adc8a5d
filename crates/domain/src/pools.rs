//! Public pools (公海池): which objects have them, what makes a held record stale for each,
//! and the checks of a pool's settings. Pure; the store and the use cases build on it.

use crate::permissions::ObjectKind;
use crate::validation::FieldErrors;

/// What the second recycling rule of an object looks at (besides "not followed up").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// A lead not converted (`status` not `converted`) within M days of being taken.
    NotConverted,
    /// An account with no open opportunity and no deal within M days of being taken.
    NoOpenDeal,
}

/// How an object takes part in pools.
#[derive(Debug, Clone, Copy)]
pub struct PoolSpec {
    pub object: ObjectKind,
    pub stale: Stale,
    /// The fields a pool list shows, after the name.
    pub columns: &'static [&'static str],
    /// The default pool's names (zh, en), given when a company is created.
    pub default_name: (&'static str, &'static str),
}

const LEAD: PoolSpec = PoolSpec {
    object: ObjectKind::Lead,
    stale: Stale::NotConverted,
    columns: &["company", "mobile", "source", "status"],
    default_name: ("线索公海", "Lead pool"),
};

const ACCOUNT: PoolSpec = PoolSpec {
    object: ObjectKind::Account,
    stale: Stale::NoOpenDeal,
    columns: &["grade", "industry", "city", "phone"],
    default_name: ("客户公海", "Customer pool"),
};

/// Every object with pools.
pub const ALL: [PoolSpec; 2] = [LEAD, ACCOUNT];

/// The pool declaration of an object, if its records may sit in a pool.
pub fn spec(object: ObjectKind) -> Option<PoolSpec> {
    ALL.into_iter().find(|s| s.object == object)
}

/// The most days any setting may hold (ten years).
pub const MAX_DAYS: i64 = 3650;
/// The most records a limit may allow.
pub const MAX_LIMIT: i64 = 100_000;
/// The longest pool name and return reason.
pub const NAME_MAX: usize = 100;
/// The most return reasons a company keeps.
pub const MAX_REASONS: usize = 50;

/// A pool's limits and rules; `None` is "no limit" or "rule off".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub claims_per_day: Option<i64>,
    pub max_held: Option<i64>,
    pub protection_days: i64,
    pub idle_days: Option<i64>,
    pub stale_days: Option<i64>,
    pub remind_days: i64,
    pub no_reclaim_days: i64,
}

impl Settings {
    /// Field errors for values out of range: limits 1..=MAX_LIMIT, days 0..=MAX_DAYS, rules
    /// at least one day, and a reminder that comes before the earliest rule.
    pub fn check(&self, errors: &mut FieldErrors) {
        for (key, value) in [
            ("claims_per_day", self.claims_per_day),
            ("max_held", self.max_held),
        ] {
            if let Some(v) = value {
                if !(1..=MAX_LIMIT).contains(&v) {
                    errors.add_limit(key, "out_of_range", MAX_LIMIT);
                }
            }
        }
        for (key, value) in [
            ("protection_days", Some(self.protection_days)),
            ("remind_days", Some(self.remind_days)),
            ("no_reclaim_days", Some(self.no_reclaim_days)),
            ("idle_days", self.idle_days),
            ("stale_days", self.stale_days),
        ] {
            if let Some(v) = value {
                if !(0..=MAX_DAYS).contains(&v) {
                    errors.add_limit(key, "out_of_range", MAX_DAYS);
                }
            }
        }
        for (key, value) in [
            ("idle_days", self.idle_days),
            ("stale_days", self.stale_days),
        ] {
            if value == Some(0) {
                errors.add(key, "out_of_range");
            }
        }
        let earliest = [self.idle_days, self.stale_days]
            .into_iter()
            .flatten()
            .min();
        if self.remind_days > 0 && earliest.is_some_and(|d| self.remind_days >= d) {
            errors.add("remind_days", "reminder_after_rule");
        }
    }
}

/// A return reason's key: lower-case ASCII letters, digits and `_`, 1 to 40 characters.
pub fn valid_reason_key(key: &str) -> bool {
    (1..=40).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(s: &Settings) -> Vec<(String, String)> {
        let mut errors = FieldErrors::new();
        s.check(&mut errors);
        errors
            .0
            .iter()
            .map(|e| (e.field.clone(), e.code.to_string()))
            .collect()
    }

    #[test]
    fn leads_and_accounts_have_pools_with_their_own_stale_rule() {
        assert_eq!(
            spec(ObjectKind::Lead).map(|s| s.stale),
            Some(Stale::NotConverted)
        );
        assert_eq!(
            spec(ObjectKind::Account).map(|s| s.stale),
            Some(Stale::NoOpenDeal)
        );
        assert!(spec(ObjectKind::Contact).is_none());
    }

    #[test]
    fn settings_are_checked() {
        assert!(codes(&Settings::default()).is_empty());
        let bad = Settings {
            claims_per_day: Some(0),
            max_held: Some(MAX_LIMIT + 1),
            protection_days: -1,
            idle_days: Some(0),
            stale_days: Some(MAX_DAYS + 1),
            remind_days: 0,
            no_reclaim_days: 4000,
        };
        let found = codes(&bad);
        for key in [
            "claims_per_day",
            "max_held",
            "protection_days",
            "idle_days",
            "stale_days",
            "no_reclaim_days",
        ] {
            assert!(found.iter().any(|(f, _)| f == key), "{key}: {found:?}");
        }
        let late = Settings {
            idle_days: Some(30),
            stale_days: Some(10),
            remind_days: 10,
            ..Settings::default()
        };
        assert_eq!(
            codes(&late),
            vec![("remind_days".into(), "reminder_after_rule".into())]
        );
        let fine = Settings {
            idle_days: Some(30),
            remind_days: 3,
            ..Settings::default()
        };
        assert!(codes(&fine).is_empty());
    }

    #[test]
    fn reason_keys() {
        assert!(valid_reason_key("no_need"));
        assert!(!valid_reason_key(""));
        assert!(!valid_reason_key("No need"));
    }
}
