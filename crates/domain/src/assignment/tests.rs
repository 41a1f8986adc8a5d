use super::*;
use crate::objects::spec;
use crate::permissions::ObjectKind;
use crate::views::compile;
use chrono::{TimeZone, Utc};
use std::collections::BTreeMap;

fn filter(field: &str, op: &str, values: &[&str]) -> FilterSpec {
    FilterSpec {
        field: field.into(),
        op: op.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn conditions(filters: &[FilterSpec]) -> Vec<Condition> {
    let fields = &spec(ObjectKind::Lead).unwrap().fields;
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap();
    filters
        .iter()
        .map(|f| compile(f, fields, Uuid::nil(), now, crate::time::DEFAULT_ZONE).unwrap())
        .collect()
}

fn lead(pairs: &[(&str, &str)]) -> BTreeMap<String, FieldValue> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), FieldValue::Text(v.to_string())))
        .collect()
}

#[test]
fn criteria_mean_what_the_list_filter_means() {
    let values = lead(&[
        ("source", "web"),
        ("province", "44"),
        ("company", "华为技术"),
    ]);
    let get = |k: &str| values.get(k);
    assert!(matches(&[], get));
    assert!(matches(
        &conditions(&[filter("source", "eq", &["web"])]),
        get
    ));
    assert!(!matches(
        &conditions(&[filter("source", "eq", &["referral"])]),
        get
    ));
    assert!(matches(
        &conditions(&[
            filter("province", "in", &["44", "31"]),
            filter("company", "contains", &["华为"])
        ]),
        get
    ));
    assert!(!matches(
        &conditions(&[
            filter("province", "in", &["44"]),
            filter("industry", "not_empty", &[])
        ]),
        get
    ));
    assert!(matches(
        &conditions(&[filter("industry", "empty", &[])]),
        get
    ));
    assert!(matches(
        &conditions(&[filter("source", "ne", &["referral"])]),
        get
    ));
    // A lead without the field is "not equal" to a value, as the list's SQL reads it.
    assert!(matches(&conditions(&[filter("intent", "ne", &["H"])]), get));
    assert!(!matches(
        &conditions(&[filter("intent", "eq", &["H"])]),
        get
    ));
}

#[test]
fn dates_compare_by_instant_and_by_day() {
    let mut values = lead(&[]);
    let t = Utc.with_ymd_and_hms(2026, 11, 24, 3, 0, 0).unwrap();
    values.insert("last_contacted_at".into(), FieldValue::DateTime(t));
    let get = |k: &str| values.get(k);
    assert!(matches(
        &conditions(&[filter("last_contacted_at", "eq", &["2026-11-24"])]),
        get
    ));
    assert!(!matches(
        &conditions(&[filter("last_contacted_at", "gt", &["2026-11-24"])]),
        get
    ));
    assert!(matches(
        &conditions(&[filter("last_contacted_at", "last_n_days", &["7"])]),
        get
    ));
}

#[test]
fn a_rotation_starts_at_its_cursor_and_wraps() {
    assert_eq!(rotation(3, 0).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!(rotation(3, 2).collect::<Vec<_>>(), vec![2, 0, 1]);
    // A cursor left over from a longer list still lands inside the list.
    assert_eq!(rotation(3, 7).collect::<Vec<_>>(), vec![1, 2, 0]);
    assert_eq!(rotation(0, 5).count(), 0);
    assert_eq!(advanced(3, 2), 0);
    assert_eq!(advanced(3, 0), 1);
}

#[test]
fn a_rotation_that_always_advances_past_its_pick_is_fair() {
    // Each pick takes the first rep of the rotation who is available; with everyone
    // available every rep gets the same share, give or take one.
    let reps = 4;
    let mut cursor = 0;
    let mut got = vec![0; reps];
    for _ in 0..101 {
        let pick = rotation(reps, cursor).next().unwrap();
        got[pick] += 1;
        cursor = advanced(reps, pick);
    }
    assert!(got.iter().all(|n| (25..=26).contains(n)), "{got:?}");
    // A rep skipped (no capacity) does not lose their turn to the next one for good.
    let mut cursor = 0;
    let mut got = vec![0; 3];
    for i in 0..30 {
        let pick = rotation(3, cursor).find(|r| !(i < 6 && *r == 1)).unwrap();
        got[pick] += 1;
        cursor = advanced(3, pick);
    }
    assert_eq!(got.iter().sum::<i32>(), 30);
    assert!(got[1] >= 7, "{got:?}");
}

#[test]
fn regions_name_a_rep_or_a_department() {
    let rep = Uuid::from_u128(1);
    let dept = Uuid::from_u128(2);
    let regions = vec![
        Region {
            province: "44".into(),
            target: format!("user:{rep}"),
        },
        Region {
            province: "31".into(),
            target: format!("department:{dept}"),
        },
    ];
    assert_eq!(region_target(&regions, Some("44")), Some(Target::User(rep)));
    assert_eq!(
        region_target(&regions, Some("31")),
        Some(Target::Department(dept))
    );
    assert_eq!(region_target(&regions, Some("11")), None);
    assert_eq!(region_target(&regions, None), None);
}

#[test]
fn a_rule_is_checked_for_what_its_method_needs() {
    let codes = |method, settings: &Settings, cap| {
        check("Rule", method, settings, cap, &[])
            .0
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect::<Vec<_>>()
    };
    let none = Settings::default();
    assert_eq!(
        codes(Method::List, &none, (None, None)),
        vec![("reps".to_string(), "required")]
    );
    assert_eq!(
        codes(Method::Criteria, &none, (None, None)),
        vec![("rep".to_string(), "required")]
    );
    assert_eq!(
        codes(Method::Region, &none, (None, None)),
        vec![("regions".to_string(), "required")]
    );
    assert!(codes(Method::Pool, &none, (None, None)).is_empty());
    let rep = Uuid::from_u128(3);
    let twice = Settings {
        reps: vec![rep, rep],
        ..Settings::default()
    };
    assert_eq!(
        codes(Method::RoundRobin, &twice, (Some(0), Some(5))),
        vec![
            ("reps".to_string(), "duplicate_rep"),
            ("max_open".to_string(), "out_of_range")
        ]
    );
    let bad_regions = Settings {
        regions: vec![
            Region {
                province: "99".into(),
                target: "user:x".into(),
            },
            Region {
                province: "44".into(),
                target: format!("user:{rep}"),
            },
            Region {
                province: "44".into(),
                target: format!("team:{rep}"),
            },
        ],
        ..Settings::default()
    };
    assert_eq!(
        codes(Method::Region, &bad_regions, (None, None)),
        vec![
            ("regions.0.province".to_string(), "invalid_choice"),
            ("regions.0.target".to_string(), "invalid_reference"),
            ("regions.2.province".to_string(), "duplicate_region"),
            ("regions.2.target".to_string(), "invalid_reference"),
        ]
    );
    assert_eq!(
        check(" ", Method::Pool, &none, (None, None), &[]).0[0].code,
        "required"
    );
}

#[test]
fn targets_read_back_as_written() {
    let id = Uuid::from_u128(9);
    for t in [Target::User(id), Target::Department(id)] {
        assert_eq!(Target::parse(&t.key()), Some(t));
    }
    assert_eq!(Target::parse("role:1"), None);
    for m in Method::ALL {
        assert_eq!(Method::parse(m.key()), Some(m));
        assert!(RECORDED_METHODS.iter().any(|(k, _, _)| *k == m.key()));
    }
}
