use super::*;

#[test]
fn bounds_are_read_from_json_numbers_and_text() {
    let def: FieldDef = serde_json::from_value(serde_json::json!({
        "key": "score", "field_type": "number", "min": 0, "max": 99.5
    }))
    .expect("numbers are bounds");
    assert_eq!(def.min, Some(Decimal::ZERO));
    assert_eq!(def.max, Some(Decimal::new(995, 1)));
    let stored: FieldDef = serde_json::from_str(&serde_json::to_string(&def).unwrap()).unwrap();
    assert_eq!(stored, def, "a stored definition reads back");
    let def: FieldDef = serde_json::from_value(serde_json::json!({
        "key": "score", "field_type": "number", "min": "-5", "max": null
    }))
    .expect("text bounds");
    assert_eq!((def.min, def.max), (Some(Decimal::from(-5)), None));
    assert!(serde_json::from_value::<FieldDef>(serde_json::json!({
        "key": "score", "field_type": "number", "min": "many"
    }))
    .is_err());
}

fn def(field_type: FieldType) -> FieldDef {
    FieldDef {
        key: "f".into(),
        label_zh: "字段".into(),
        label_en: "Field".into(),
        field_type,
        required: false,
        max_length: None,
        min: None,
        max: None,
        pattern: None,
        default_value: None,
        help_zh: None,
        help_en: None,
        options: vec![
            PicklistOption {
                key: "hot".into(),
                label_zh: "热".into(),
                label_en: "Hot".into(),
                active: true,
            },
            PicklistOption {
                key: "old".into(),
                label_zh: "旧".into(),
                label_en: "Old".into(),
                active: false,
            },
        ],
        lookup_object: None,
        column: None,
        system: false,
        indexed: false,
        searchable: false,
        money_exponent: None,
        computed: None,
        position: 0,
    }
}

fn one(v: &str) -> Vec<String> {
    vec![v.to_string()]
}

#[test]
fn values_are_checked_by_type() {
    assert_eq!(
        def(FieldType::Number).parse(&one("1,200.5")),
        Ok(Some(FieldValue::Decimal(Decimal::new(12005, 1))))
    );
    assert_eq!(
        def(FieldType::Number).parse(&one("abc")),
        Err("invalid_number")
    );
    assert_eq!(
        def(FieldType::Money).parse(&one("1.23456")),
        Err("invalid_number")
    );
    assert_eq!(
        def(FieldType::Date).parse(&one("2026-02-30")),
        Err("invalid_date")
    );
    assert!(
        matches!(def(FieldType::DateTime).parse(&one("2026-11-23T09:30")), Ok(Some(FieldValue::DateTime(t))) if t.to_rfc3339() == "2026-11-23T01:30:00+00:00")
    );
    assert_eq!(
        def(FieldType::Checkbox).parse(&[]),
        Ok(Some(FieldValue::Bool(false)))
    );
    assert_eq!(
        def(FieldType::Picklist).parse(&one("old")),
        Err("invalid_choice")
    );
    assert_eq!(
        def(FieldType::Picklist).parse(&one("hot")),
        Ok(Some(FieldValue::Text("hot".into())))
    );
    assert_eq!(
        def(FieldType::MultiSelect).parse(&[String::from("hot"), String::from("hot")]),
        Ok(Some(FieldValue::Choices(vec!["hot".into()])))
    );
    assert_eq!(
        def(FieldType::Lookup).parse(&one("x")),
        Err("invalid_reference")
    );
    assert_eq!(
        def(FieldType::Email).parse(&one("A@B.cn")),
        Ok(Some(FieldValue::Text("a@b.cn".into())))
    );
    assert_eq!(
        def(FieldType::Phone).parse(&one("12")),
        Err("invalid_phone")
    );
    assert_eq!(
        def(FieldType::Text).parse(&one(&"x".repeat(256))),
        Err("too_long")
    );
}

#[test]
fn required_min_max_and_pattern() {
    let mut d = def(FieldType::Number);
    d.required = true;
    d.min = Some(Decimal::ZERO);
    d.max = Some(Decimal::new(100, 0));
    assert_eq!(d.parse(&[]), Err("required"));
    assert_eq!(d.parse(&one("-1")), Err("below_min"));
    assert_eq!(d.parse(&one("101")), Err("above_max"));
    let mut t = def(FieldType::Text);
    t.pattern = Some("[A-Z]{2}-\\d{4}".into());
    assert_eq!(
        t.parse(&one("AB-1234")),
        Ok(Some(FieldValue::Text("AB-1234".into())))
    );
    assert_eq!(t.parse(&one("AB-1234x")), Err("pattern_mismatch"));
}

#[test]
fn definitions_are_checked() {
    let mut d = def(FieldType::Picklist);
    d.key = "Budget Code".into();
    d.options.clear();
    d.pattern = Some("(".into());
    d.default_value = Some("nope".into());
    let fields: Vec<_> = d.check_definition().into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["key", "options", "pattern", "default_value"]);
    assert!(def(FieldType::Text).check_definition().is_empty());
}

#[test]
fn operators_fit_types() {
    assert!(FieldType::Date.operators().contains(&Operator::ThisWeek));
    assert!(!FieldType::Checkbox
        .operators()
        .contains(&Operator::Contains));
    assert!(!FieldType::Text.operators().contains(&Operator::Between));
    for t in FieldType::ALL {
        assert_eq!(FieldType::parse(t.key()), Some(t));
        for o in t.operators() {
            assert_eq!(Operator::parse(o.key()), Some(*o));
        }
    }
}

#[test]
fn relative_ranges_use_the_users_zone() {
    // Monday 2026-11-23 06:30 in Beijing is still Sunday in Berlin.
    let berlin = chrono_tz::Europe::Berlin;
    let sunday_night = Utc.with_ymd_and_hms(2026, 11, 22, 22, 30, 0).unwrap();
    let (a, b) = Operator::Today
        .relative_range(sunday_night, berlin, None)
        .unwrap();
    assert_eq!(
        a.with_timezone(&berlin).to_rfc3339(),
        "2026-11-22T00:00:00+01:00"
    );
    assert_eq!(
        b.with_timezone(&berlin).to_rfc3339(),
        "2026-11-23T00:00:00+01:00"
    );
    // Monday 2026-11-23 07:00 in Beijing is Sunday 23:00 UTC.
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 23, 0, 0).unwrap();
    let zone = crate::time::DEFAULT_ZONE;
    let show = |op: Operator, days| {
        let (a, b) = op.relative_range(now, zone, days).unwrap();
        (
            a.with_timezone(&zone).format("%F").to_string(),
            b.with_timezone(&zone).format("%F").to_string(),
        )
    };
    assert_eq!(
        show(Operator::ThisWeek, None),
        ("2026-11-23".into(), "2026-11-30".into())
    );
    assert_eq!(
        show(Operator::LastWeek, None),
        ("2026-11-16".into(), "2026-11-23".into())
    );
    assert_eq!(
        show(Operator::ThisMonth, None),
        ("2026-11-01".into(), "2026-12-01".into())
    );
    assert_eq!(
        show(Operator::NextMonth, None),
        ("2026-12-01".into(), "2027-01-01".into())
    );
    assert_eq!(
        show(Operator::ThisQuarter, None),
        ("2026-10-01".into(), "2027-01-01".into())
    );
    assert_eq!(
        show(Operator::LastNDays, Some(7)),
        ("2026-11-16".into(), "2026-11-24".into())
    );
    assert_eq!(show(Operator::OlderThanDays, Some(30)).1, "2026-10-24");
    assert!(Operator::Eq.relative_range(now, zone, None).is_none());
    assert!(Operator::LastNDays
        .relative_range(now, zone, None)
        .is_none());
}

#[test]
fn tags_are_split_trimmed_and_deduplicated() {
    let tags = def(FieldType::Tags);
    assert_eq!(
        tags.parse(&one("VIP，重点、 vip ,a")),
        Ok(Some(FieldValue::Choices(vec![
            "VIP".into(),
            "重点".into(),
            "a".into()
        ])))
    );
    assert_eq!(tags.parse(&[" ".into()]), Ok(None));
    assert_eq!(tags.parse(&one(&"x".repeat(31))), Err("invalid_tag"));
    let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    assert_eq!(tags.parse(&many), Err("too_many"));
    assert_eq!(tags.limit_of("too_many"), Some(20));
}

#[test]
fn credit_codes_are_checked_and_upper_cased() {
    let code = def(FieldType::CreditCode);
    assert_eq!(
        code.parse(&one("91350100m000100y43")),
        Ok(Some(FieldValue::Text("91350100M000100Y43".into())))
    );
    assert_eq!(
        code.parse(&one("91350100M000100Y44")),
        Err("invalid_credit_code")
    );
}

#[test]
fn a_choice_is_stored_as_its_own_key_whatever_the_case() {
    let mut grade = def(FieldType::Picklist);
    grade.options = vec![PicklistOption {
        key: "B".into(),
        label_zh: "B".into(),
        label_en: "B".into(),
        active: true,
    }];
    assert_eq!(
        grade.parse(&one("b")),
        Ok(Some(FieldValue::Text("B".into())))
    );
    assert_eq!(grade.parse(&one("c")), Err("invalid_choice"));
}
