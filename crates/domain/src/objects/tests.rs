use super::*;

#[test]
fn what_refers_to_a_record_is_derived_from_the_lookups() {
    let refs = |target| -> Vec<(&str, &str)> {
        lookups_to(target)
            .into_iter()
            .map(|(s, f)| (s.plural, f.key.as_str()))
            .collect()
    };
    assert_eq!(
        refs(ObjectKind::Account),
        [
            ("accounts", "parent_id"),
            ("contacts", "account_id"),
            ("leads", "converted_account_id"),
            ("opportunities", "account_id"),
            // The competitor who won a lost deal.
            ("opportunities", "lost_to_id"),
            ("activities", "account_id"),
        ]
    );
    assert_eq!(
        refs(ObjectKind::Contact),
        [
            ("contacts", "reports_to_id"),
            ("leads", "converted_contact_id"),
            ("opportunities", "contact_id"),
            ("activities", "contact_id"),
        ]
    );
    assert_eq!(refs(ObjectKind::Lead), [("activities", "lead_id")]);
    assert_eq!(
        refs(ObjectKind::Opportunity),
        [
            ("leads", "converted_opportunity_id"),
            ("activities", "opportunity_id")
        ]
    );
    assert!(refs(ObjectKind::Activity).is_empty());
}

#[test]
fn declared_duplicate_keys_and_conversion_name_real_fields() {
    for kind in ObjectKind::RECORDS {
        let spec = spec(kind).expect("spec");
        for key in spec.duplicate_keys {
            assert!(spec.field(key.field).is_some(), "{}", key.field);
        }
        let Some(c) = spec.conversion else { continue };
        for field in [c.status_field, c.reason_field, c.note_field] {
            assert!(spec.field(field).is_some(), "{field}");
        }
        let links = c.links;
        for field in [
            links.account,
            links.contact,
            links.opportunity,
            links.at,
            links.by,
        ] {
            assert!(spec.field(field).is_some_and(|f| f.system), "{field}");
        }
        let targets = [
            (ObjectKind::Account, c.account),
            (ObjectKind::Contact, c.contact),
            (ObjectKind::Opportunity, c.opportunity),
        ];
        for (target, maps) in targets {
            let target = super::spec(target).expect("target");
            for m in maps {
                assert!(spec.field(m.from).is_some(), "{}", m.from);
                assert!(target.field(m.to).is_some(), "{}", m.to);
            }
        }
    }
}

#[test]
fn every_record_object_has_a_spec_with_valid_fields() {
    for kind in ObjectKind::RECORDS {
        let spec = spec(kind).expect("spec");
        assert_eq!(spec_by_plural(spec.plural).map(|s| s.kind), Some(kind));
        // A record type's choices are the company's, set when the fields are loaded.
        for field in spec.fields.iter().filter(|f| f.key != "record_type") {
            assert!(
                field.check_definition().is_empty(),
                "{}.{}: {:?}",
                spec.plural,
                field.key,
                field.check_definition()
            );
        }
        for column in spec.default_columns {
            assert!(spec.field(column).is_some(), "{column}");
        }
        assert!(spec.field("owner_id").is_some() && spec.field("name").is_some());
        for when in spec.shown_when {
            let on = spec.field(when.on).expect("the condition's field");
            assert!(spec.field(when.field).is_some(), "{}", when.field);
            for value in when.values {
                assert!(on.options.iter().any(|o| o.key == *value), "{value}");
            }
        }
    }
    assert!(spec(ObjectKind::Org).is_none());
}

#[test]
fn the_account_tree_refuses_itself_cycles_and_a_fifth_level() {
    let tree = spec(ObjectKind::Account)
        .and_then(|s| s.tree)
        .expect("a tree");
    let [a, b, c, d, e] = [(); 5].map(|_| uuid::Uuid::now_v7());
    assert_eq!(tree.check(a, a, &[]), Some("invalid_reference"));
    // a under c, where c is under b under a: a cycle.
    assert_eq!(tree.check(a, c, &[b, a]), Some("cycle"));
    // e under d, which is already the fourth level (d → c → b → a).
    assert_eq!(tree.check(e, d, &[c, b, a]), Some("too_deep"));
    assert_eq!(tree.check(e, c, &[b, a]), None);
}
