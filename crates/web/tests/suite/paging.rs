//! Keyset paging returns every visible record exactly once, whatever the sort: a property
//! test that creates records whose sort values collide (the same instant, instants within
//! one second or one microsecond, equal names, amounts and empty values) and walks every
//! sortable field of every object in both directions, on both databases.

use crate::on_both_databases;
use crate::support::Env;
use app::Actor;
use chrono::Duration;
use domain::fields::{FieldDef, FieldType};
use domain::permissions::ObjectKind;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::BTreeMap;
use uuid::Uuid;

on_both_databases!(
    twenty_records_in_one_second_page_without_loss,
    every_sort_walks_every_record_once
);

/// How far the clock moves before the next record: nothing (an equal instant), a nanosecond
/// (equal once PostgreSQL keeps microseconds), a microsecond, a millisecond, part of a
/// second, a whole second.
const STEPS_NS: [i64; 6] = [0, 1, 1_000, 1_000_000, 300_000_000, 1_000_000_000];

/// One record to create: the clock step before it, and for each writable field a pick among
/// two values of its type or none (0).
#[derive(Debug, Clone)]
struct Planned {
    step: usize,
    picks: Vec<u8>,
}

#[derive(Debug, Clone)]
struct Case {
    records: Vec<Planned>,
    page: i64,
}

fn case() -> impl Strategy<Value = Case> {
    let planned = (0..STEPS_NS.len(), prop::collection::vec(0u8..3, 40))
        .prop_map(|(step, picks)| Planned { step, picks });
    (prop::collection::vec(planned, 1..10), 1i64..4)
        .prop_map(|(records, page)| Case { records, page })
}

/// Two values of a field's type (`None` where the test does not write the field: an end
/// needs a start before it).
fn pool(field: &FieldDef, refs: &Refs) -> Option<[String; 2]> {
    if field.key == "ends_at" {
        return None;
    }
    let two = |a: &str, b: &str| Some([a.to_string(), b.to_string()]);
    match field.field_type {
        FieldType::Text | FieldType::LongText => two("同名", "Beta"),
        FieldType::Number => two("0.30000000000000004", "2.5"),
        FieldType::Money => two("100", "100.5"),
        FieldType::Percent => two("10", "50"),
        FieldType::Date => two("2026-11-20", "2026-11-21"),
        FieldType::DateTime => two("2026-11-20T10:00:00+08:00", "2026-11-20T10:00:00.25+08:00"),
        FieldType::Checkbox => two("true", "false"),
        FieldType::Phone => two("+86 138 0013 8000", "13900139000"),
        FieldType::Email => two("a@example.com", "b@example.com"),
        FieldType::Url => two("https://a.example", "https://b.example"),
        FieldType::Picklist => {
            let keys: Vec<&str> = field.options.iter().map(|o| o.key.as_str()).collect();
            (keys.len() >= 2).then(|| [keys[0].to_string(), keys[1].to_string()])
        }
        FieldType::User => two(&refs.users[0].to_string(), &refs.users[1].to_string()),
        FieldType::Lookup if field.lookup_object.as_deref() == Some("account") => {
            two(&refs.accounts[0].to_string(), &refs.accounts[1].to_string())
        }
        FieldType::CreditCode => two("91350100M000100Y43", "91440300708461136T"),
        FieldType::Lookup | FieldType::MultiSelect | FieldType::Tags => None,
    }
}

struct Refs {
    users: [Uuid; 2],
    accounts: [Uuid; 2],
}

/// The input of one planned record of `kind`.
fn input_for(
    fields: &app::records::ObjectFields,
    planned: &Planned,
    refs: &Refs,
) -> app::records::Input {
    let mut input = app::records::Input::new();
    let writable = fields.all().into_iter().filter(|f| fields.writable(f));
    for (i, field) in writable.enumerate() {
        let Some(values) = pool(field, refs) else {
            continue;
        };
        let pick = planned.picks.get(i).copied().unwrap_or(0);
        match (pick, field.required) {
            (0, false) => {}
            (0, true) => input.push((field.key.clone(), vec![values[0].clone()])),
            (n, _) => input.push((field.key.clone(), vec![values[(n - 1) as usize].clone()])),
        }
    }
    input
}

/// Walks the list of `kind` sorted by `sort`, `page` records at a time; returns the ids in
/// the order the pages gave them.
pub(crate) async fn walk(
    env: &Env,
    actor: &Actor,
    kind: ObjectKind,
    sort: &str,
    page: i64,
) -> Vec<Uuid> {
    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..200 {
        let request = app::records::ListRequest {
            sort: Some(sort.to_string()),
            cursor: cursor.clone(),
            limit: Some(page),
            ..Default::default()
        };
        let result = app::records::list(&env.app, actor, kind, &request)
            .await
            .unwrap_or_else(|e| panic!("list {kind:?} by {sort}: {e:?}"));
        seen.extend(result.records.iter().map(|r| r.id));
        match result.next_cursor {
            Some(next) => cursor = Some(next),
            None => return seen,
        }
    }
    panic!(
        "{kind:?} by {sort}: the walk never ends ({} rows seen)",
        seen.len()
    );
}

/// The same over the accounts' own list (`/api/v1/accounts`, the quick-filter page).
async fn walk_accounts(env: &Env, actor: &Actor, sort: &str, page: i64) -> Vec<Uuid> {
    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..200 {
        let params = crate::account_fixture::ListParams {
            sort: Some(sort.to_string()),
            cursor: cursor.clone(),
            limit: Some(page.to_string()),
            ..Default::default()
        };
        let result = crate::account_fixture::list(&env.app, actor, &params)
            .await
            .unwrap_or_else(|e| panic!("list accounts by {sort}: {e:?}"));
        seen.extend(result.items.iter().map(|r| r.id));
        match result.next_cursor {
            Some(next) => cursor = Some(next),
            None => return seen,
        }
    }
    panic!("accounts by {sort}: the walk never ends");
}

pub(crate) fn exactly_once(
    what: &str,
    expected: &[Uuid],
    seen: &[Uuid],
) -> Result<(), TestCaseError> {
    let mut counts: BTreeMap<Uuid, i32> = BTreeMap::new();
    for id in seen {
        *counts.entry(*id).or_default() += 1;
    }
    let missing: Vec<_> = expected
        .iter()
        .filter(|id| !counts.contains_key(id))
        .collect();
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    prop_assert!(
        missing.is_empty() && repeated.is_empty() && seen.len() == expected.len(),
        "{what}: {} records, {} seen, missing {missing:?}, repeated {repeated:?}",
        expected.len(),
        seen.len()
    );
    Ok(())
}

async fn run_case(env: &Env, n: usize, case: &Case) -> Result<(), TestCaseError> {
    let c = env
        .company(&format!("分页{n}"), &format!("admin{n}@paging.example"))
        .await;
    let rep = env
        .user(
            &c,
            &format!("rep{n}@paging.example"),
            "sales_rep",
            None,
            None,
        )
        .await;
    let admin = &c.admin;
    // Custom fields sort too: indexed fields of each kind of stored value, on every object.
    for kind in ObjectKind::RECORDS {
        for (key, field_type) in [
            ("cf_when", FieldType::DateTime),
            ("cf_score", FieldType::Number),
            ("cf_label", FieldType::Text),
            ("cf_day", FieldType::Date),
            ("cf_amount", FieldType::Money),
            ("cf_flag", FieldType::Checkbox),
        ] {
            let def: FieldDef = serde_json::from_value(serde_json::json!({
                "key": key, "label_zh": key, "label_en": key,
                "field_type": field_type, "indexed": true
            }))
            .expect("definition");
            app::customize::add_field(&env.app, admin, kind, def)
                .await
                .expect("custom field");
            app::customize::index_field(&env.app, admin, kind, key)
                .await
                .expect("index");
        }
    }
    // The indexes are built by background jobs.
    assert!(env.run_jobs().await >= ObjectKind::RECORDS.len());
    let account_fields = app::records::object_fields(&env.app, admin, ObjectKind::Account)
        .await
        .expect("fields");
    let no_refs = Refs {
        users: [admin.id(), rep.id()],
        accounts: [Uuid::nil(), Uuid::nil()],
    };
    let mut accounts = Vec::new();
    for (i, planned) in case.records.iter().enumerate() {
        env.clock
            .advance(Duration::nanoseconds(STEPS_NS[planned.step]));
        let input = crate::account_fixture::AccountInput {
            name: Some(if planned.picks[0] == 0 {
                "同名客户".into()
            } else {
                format!("客户{i}")
            }),
            city: (planned.picks[1] > 0).then(|| "深圳".to_string()),
            ..Default::default()
        };
        let mut custom = input_for(&account_fields, planned, &no_refs);
        custom.retain(|(key, _)| key.starts_with("cf_"));
        accounts.push(
            crate::account_fixture::create_with_custom(&env.app, admin, &input, &custom)
                .await
                .expect("account")
                .id,
        );
    }
    let refs = Refs {
        users: [admin.id(), rep.id()],
        accounts: [accounts[0], *accounts.last().unwrap_or(&accounts[0])],
    };
    let mut created: BTreeMap<ObjectKind, Vec<Uuid>> = BTreeMap::new();
    created.insert(ObjectKind::Account, accounts);
    for kind in domain::objects::GENERIC {
        let fields = app::records::object_fields(&env.app, admin, kind)
            .await
            .expect("fields");
        for planned in &case.records {
            env.clock
                .advance(Duration::nanoseconds(STEPS_NS[planned.step]));
            let input = input_for(&fields, planned, &refs);
            let id = app::records::create(&env.app, admin, kind, &input)
                .await
                .unwrap_or_else(|e| panic!("create {kind:?} from {input:?}: {e:?}"));
            created.entry(kind).or_default().push(id);
        }
    }
    for (kind, ids) in &created {
        let fields = app::records::object_fields(&env.app, admin, *kind)
            .await
            .expect("fields");
        let sortable: Vec<String> = fields
            .all()
            .into_iter()
            .filter(|f| f.indexed)
            .map(|f| f.key.clone())
            .collect();
        assert!(
            sortable.iter().any(|k| k == "cf_when"),
            "{kind:?}: custom fields are walked too"
        );
        for key in sortable {
            for sort in [key.clone(), format!("-{key}")] {
                let seen = walk(env, admin, *kind, &sort, case.page).await;
                exactly_once(
                    &format!("{kind:?} by {sort}, pages of {}", case.page),
                    ids,
                    &seen,
                )?;
            }
        }
    }
    let accounts = &created[&ObjectKind::Account];
    for sort in [
        "name",
        "-name",
        "created_at",
        "-created_at",
        "updated_at",
        "-updated_at",
    ] {
        let seen = walk_accounts(env, admin, sort, case.page).await;
        exactly_once(
            &format!("accounts list by {sort}, pages of {}", case.page),
            accounts,
            &seen,
        )?;
    }
    Ok(())
}

async fn every_sort_walks_every_record_once(env: Env) {
    let mut runner = TestRunner::new(Config {
        cases: 6,
        max_shrink_iters: 32,
        failure_persistence: None,
        ..Config::default()
    });
    let handle = tokio::runtime::Handle::current();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let result = tokio::task::block_in_place(|| {
        runner.run(&case(), |case| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            handle.block_on(run_case(&env, n, &case))
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The issue's own report: twenty contacts created in a loop, paged by seven.
async fn twenty_records_in_one_second_page_without_loss(env: Env) {
    let c = env.company("二十", "admin@twenty.example").await;
    let mut ids = Vec::new();
    for i in 0..20 {
        env.clock.advance(Duration::milliseconds(10));
        let input = vec![("name".to_string(), vec![format!("联系人{i}")])];
        ids.push(
            app::records::create(&env.app, &c.admin, ObjectKind::Contact, &input)
                .await
                .expect("create"),
        );
    }
    let api = env.api(&env.token(&c.admin).await);
    let mut seen = Vec::new();
    let mut path = "/api/v1/contacts?limit=7".to_string();
    loop {
        let page = api.get(&path).await.json();
        for item in page["items"].as_array().expect("items") {
            seen.push(Uuid::parse_str(item["id"].as_str().expect("id")).expect("uuid"));
        }
        match page["next_cursor"].as_str() {
            Some(next) => path = format!("/api/v1/contacts?limit=7&cursor={next}"),
            None => break,
        }
    }
    exactly_once("contacts by -updated_at, pages of 7", &ids, &seen).expect("every contact once");
}
