//! The showroom register (三表一卡): a walk-in or phone-in visitor (来店/来电登记) with their
//! times, consultant, intent level and how they heard of the company, and the buckets the
//! traffic statistics (客流量统计) count them in. Pure checks of a visit as written.

use crate::validation::{optional_text, required_text, FieldErrors};
use chrono::{DateTime, Utc};

/// How the visitor came: in person (来店) or by phone (来电).
pub const KINDS: &[(&str, &str, &str)] = &[
    ("walk_in", "来店", "Walk-in"),
    ("phone_in", "来电", "Phone-in"),
];

/// A visitor who gave only their surname is "王先生" / "王女士".
pub const SALUTATIONS: &[(&str, &str, &str)] = &[("mr", "先生", "Mr"), ("ms", "女士", "Ms")];

/// The intent levels of the tracking card: H within 5 days, A half a month, B a month, C two.
pub const INTENTS: [&str; 4] = ["H", "A", "B", "C"];

/// Why a visitor was lost (流失原因), as the lost-visitor analysis groups them.
pub const LOST_REASONS: &[(&str, &str, &str)] = &[
    ("price", "价格因素", "Price"),
    ("product", "产品不满意", "Product"),
    ("competitor", "选择竞品", "Chose a competitor"),
    ("service", "服务不满意", "Service"),
    ("just_looking", "随便看看", "Just looking"),
    ("timing", "购买时机未到", "Not ready to buy"),
    ("other", "其他", "Other"),
];

/// How long visitors stayed, the buckets of the statistics (in minutes: <15, 15–30,
/// 30–60, >60; "30 minutes or so" is when visitors buy most).
pub const STAY_BUCKETS: [&str; 4] = ["under_15", "15_30", "30_60", "over_60"];

pub const NAME_MAX: usize = 100;
pub const AREA_MAX: usize = 100;
pub const NOTES_MAX: usize = 1000;
pub const PARTY_MAX: i64 = 50;
/// How far back a visit may be registered (a day's sheet filled in the next morning).
pub const BACKDATE_DAYS: i64 = 7;
/// The longest period the statistics cover.
pub const MAX_STATS_DAYS: i64 = 366;

/// The bucket a stay of `seconds` falls in.
pub fn stay_bucket(seconds: i64) -> &'static str {
    match seconds {
        s if s < 15 * 60 => STAY_BUCKETS[0],
        s if s < 30 * 60 => STAY_BUCKETS[1],
        s if s <= 60 * 60 => STAY_BUCKETS[2],
        _ => STAY_BUCKETS[3],
    }
}

fn is_key(list: &[(&str, &str, &str)], key: &str) -> bool {
    list.iter().any(|(k, _, _)| *k == key)
}

/// The label of `key` in `list` in the reader's language (the key itself when unknown).
pub fn label<'a>(list: &'a [(&'a str, &'a str, &'a str)], key: &'a str, zh: bool) -> &'a str {
    list.iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, z, e)| if zh { *z } else { *e })
        .unwrap_or(key)
}

/// How a visitor is named: the name as given, or "王先生" / "Mr Wang" with a salutation.
pub fn display_name(name: &str, salutation: Option<&str>, zh: bool) -> String {
    match salutation {
        Some(s) if is_key(SALUTATIONS, s) => {
            let title = label(SALUTATIONS, s, zh);
            if zh {
                format!("{name}{title}")
            } else {
                format!("{title} {name}")
            }
        }
        _ => name.to_string(),
    }
}

/// A visit as submitted, before it is checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VisitDraft {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub salutation: Option<String>,
    pub phone: Option<String>,
    pub arrived_at: Option<DateTime<Utc>>,
    pub left_at: Option<DateTime<Utc>>,
    pub intent: Option<String>,
    pub heard_from: Option<String>,
    pub area: Option<String>,
    pub party_size: Option<i64>,
    pub notes: Option<String>,
    pub lost_reason: Option<String>,
}

/// A checked visit: texts trimmed, the phone in the leads' international format.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedVisit {
    pub kind: String,
    pub name: String,
    pub salutation: Option<String>,
    pub phone: Option<String>,
    pub arrived_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
    pub intent: Option<String>,
    pub heard_from: Option<String>,
    pub area: Option<String>,
    pub party_size: Option<i64>,
    pub notes: Option<String>,
    pub lost_reason: Option<String>,
}

/// Checks a visit against its rules at `now`; `sources` are the lead sources offered (the
/// company's list), which "heard from" must be one of. Every problem is a field error.
pub fn check(
    draft: &VisitDraft,
    now: DateTime<Utc>,
    sources: &[String],
) -> Result<CheckedVisit, FieldErrors> {
    let mut errors = FieldErrors::new();
    let kind = draft
        .kind
        .as_deref()
        .unwrap_or("walk_in")
        .trim()
        .to_string();
    if !is_key(KINDS, &kind) {
        errors.add("kind", "invalid_choice");
    }
    let name = required_text(&mut errors, "name", draft.name.as_deref(), NAME_MAX);
    let salutation = choice(&mut errors, "salutation", &draft.salutation, |s| {
        is_key(SALUTATIONS, s)
    });
    let phone = match optional_text(&mut errors, "phone", draft.phone.as_deref(), 40) {
        Some(raw) => match crate::contact_details::normalize_phone(&raw) {
            Some(p) => Some(p),
            None => {
                errors.add("phone", "invalid_phone");
                None
            }
        },
        None => None,
    };
    let arrived_at = draft.arrived_at.unwrap_or(now);
    if arrived_at > now + chrono::Duration::minutes(5) {
        errors.add("arrived_at", "in_future");
    } else if arrived_at < now - chrono::Duration::days(BACKDATE_DAYS) {
        errors.add_limit("arrived_at", "too_old", BACKDATE_DAYS);
    }
    if let Some(left) = draft.left_at {
        check_leave(&mut errors, arrived_at, left, now);
    }
    let intent = choice(&mut errors, "intent", &draft.intent, |s| {
        INTENTS.contains(&s)
    });
    let heard_from = choice(&mut errors, "heard_from", &draft.heard_from, |s| {
        sources.iter().any(|k| k == s)
    });
    let area = optional_text(&mut errors, "area", draft.area.as_deref(), AREA_MAX);
    if let Some(n) = draft.party_size {
        if !(1..=PARTY_MAX).contains(&n) {
            errors.add_limit("party_size", "out_of_range", PARTY_MAX);
        }
    }
    let notes = optional_text(&mut errors, "notes", draft.notes.as_deref(), NOTES_MAX);
    let lost_reason = choice(&mut errors, "lost_reason", &draft.lost_reason, |s| {
        is_key(LOST_REASONS, s)
    });
    errors.into_result()?;
    Ok(CheckedVisit {
        kind,
        name,
        salutation,
        phone,
        arrived_at,
        left_at: draft.left_at,
        intent,
        heard_from,
        area,
        party_size: draft.party_size,
        notes,
        lost_reason,
    })
}

/// A leave time must follow the arrival and not lie in the future.
pub fn check_leave(
    errors: &mut FieldErrors,
    arrived_at: DateTime<Utc>,
    left_at: DateTime<Utc>,
    now: DateTime<Utc>,
) {
    if left_at < arrived_at {
        errors.add("left_at", "before_arrival");
    } else if left_at > now + chrono::Duration::minutes(5) {
        errors.add("left_at", "in_future");
    }
}

/// A lost reason as given: empty clears it, anything else must be on the list.
pub fn check_lost_reason(errors: &mut FieldErrors, given: &Option<String>) -> Option<String> {
    choice(errors, "lost_reason", given, |s| is_key(LOST_REASONS, s))
}

fn choice(
    errors: &mut FieldErrors,
    field: &str,
    given: &Option<String>,
    valid: impl Fn(&str) -> bool,
) -> Option<String> {
    let value = given.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    if valid(value) {
        Some(value.to_string())
    } else {
        errors.add(field, "invalid_choice");
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 2, 0, 0)
            .single()
            .expect("time")
    }

    fn sources() -> Vec<String> {
        vec!["web".into(), "referral".into()]
    }

    #[test]
    fn stays_fall_in_their_buckets() {
        assert_eq!(stay_bucket(0), "under_15");
        assert_eq!(stay_bucket(14 * 60 + 59), "under_15");
        assert_eq!(stay_bucket(15 * 60), "15_30");
        assert_eq!(stay_bucket(30 * 60), "30_60");
        assert_eq!(stay_bucket(60 * 60), "30_60");
        assert_eq!(stay_bucket(60 * 60 + 1), "over_60");
    }

    #[test]
    fn a_visit_is_checked_and_its_phone_normalised() {
        let draft = VisitDraft {
            name: Some(" 王 ".into()),
            salutation: Some("mr".into()),
            phone: Some("139 1234 5678".into()),
            intent: Some("H".into()),
            heard_from: Some("referral".into()),
            ..VisitDraft::default()
        };
        let v = check(&draft, now(), &sources()).expect("valid");
        assert_eq!(v.kind, "walk_in");
        assert_eq!(v.name, "王");
        assert_eq!(v.phone.as_deref(), Some("+86 139 1234 5678"));
        assert_eq!(v.arrived_at, now());
        assert_eq!(
            display_name(&v.name, v.salutation.as_deref(), true),
            "王先生"
        );
        assert_eq!(
            display_name(&v.name, v.salutation.as_deref(), false),
            "Mr 王"
        );
    }

    #[test]
    fn bad_values_are_field_errors() {
        let draft = VisitDraft {
            kind: Some("drive_by".into()),
            name: Some("a\u{0}b".into()),
            phone: Some("12".into()),
            arrived_at: Some(now()),
            left_at: Some(now() - chrono::Duration::minutes(1)),
            intent: Some("Z".into()),
            heard_from: Some("tv".into()),
            party_size: Some(0),
            lost_reason: Some("weather".into()),
            ..VisitDraft::default()
        };
        let errors = check(&draft, now(), &sources()).expect_err("invalid");
        let codes: Vec<(&str, &str)> = errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        for expected in [
            ("kind", "invalid_choice"),
            ("name", "invalid_characters"),
            ("phone", "invalid_phone"),
            ("left_at", "before_arrival"),
            ("intent", "invalid_choice"),
            ("heard_from", "invalid_choice"),
            ("party_size", "out_of_range"),
            ("lost_reason", "invalid_choice"),
        ] {
            assert!(codes.contains(&expected), "{expected:?} in {codes:?}");
        }
        let future = VisitDraft {
            name: Some("李".into()),
            arrived_at: Some(now() + chrono::Duration::hours(1)),
            ..VisitDraft::default()
        };
        let errors = check(&future, now(), &sources()).expect_err("future");
        assert_eq!(errors.0[0].code, "in_future");
    }
}
