//! The change feed: every committed change writes its event in the change's transaction (a
//! failed one none), the feed keeps to the caller's data scope and field access, pages
//! without loss under concurrent writers, refuses bad parameters, and old events are pruned.

use crate::account_fixture::AccountInput;
use crate::on_both_databases;
use crate::support::Env;
use app::events::{FeedCursor, Subject};
use app::{Actor, AppError};
use axum::http::{Method, StatusCode};
use chrono::{DateTime, Duration, Utc};
use domain::permissions::{FieldAccess, ObjectKind};
use serde_json::{json, Value};
use std::collections::HashSet;
use store::Db;
use uuid::Uuid;

fn input(pairs: &[(&str, &str)]) -> app::records::Input {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
        .collect()
}

/// Every event the actor may see, from the start, as (object, record, kind).
async fn feed(env: &Env, actor: &Actor) -> Vec<app::events::Event> {
    app::events::feed(&env.app, actor, None, FeedCursor::default(), 500)
        .await
        .expect("feed")
        .items
}

fn kinds(events: &[app::events::Event]) -> Vec<(ObjectKind, Uuid, String)> {
    events
        .iter()
        .map(|e| (e.object, e.record_id, e.kind.clone()))
        .collect()
}

fn changed_fields(event: &Value) -> Vec<String> {
    event["changes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

async fn every_change_writes_one_event_in_its_transaction(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let admin = &c.admin;
    // Accounts: create, update, transfer, delete.
    let account = env.account(admin, "华为").await;
    let edit = AccountInput {
        name: Some("华为技术".into()),
        ..Default::default()
    };
    crate::account_fixture::update(&env.app, admin, account.id, account.version, &edit)
        .await
        .expect("update");
    let moved = crate::account_fixture::transfer(&env.app, admin, account.id, 2, rep.id())
        .await
        .expect("transfer")
        .expect("still visible");
    // Opportunities: a stage change.
    let other = env.account(admin, "中兴").await;
    let deal = app::records::create(
        &env.app,
        admin,
        ObjectKind::Opportunity,
        &input(&[
            ("name", "大单"),
            ("account_id", &other.id.to_string()),
            ("stage", "initial"),
            ("amount", "1000"),
        ]),
    )
    .await
    .expect("create opportunity");
    app::records::update(
        &env.app,
        admin,
        ObjectKind::Opportunity,
        deal,
        1,
        &input(&[("stage", "proposal")]),
    )
    .await
    .expect("stage");
    // Contacts: create, update, delete.
    let contact = app::records::create(
        &env.app,
        admin,
        ObjectKind::Contact,
        &input(&[("name", "张三")]),
    )
    .await
    .expect("create contact");
    app::records::update(
        &env.app,
        admin,
        ObjectKind::Contact,
        contact,
        1,
        &input(&[("title", "总监")]),
    )
    .await
    .expect("update contact");
    app::records::delete(&env.app, admin, ObjectKind::Contact, contact, 2)
        .await
        .expect("delete contact");
    crate::account_fixture::delete(&env.app, admin, account.id, moved.version)
        .await
        .expect("delete account");
    // A later capability's named action.
    let mut tx = env.app.db.begin().await.expect("tx");
    let subject = Subject {
        object: ObjectKind::Opportunity,
        id: deal,
        owner_id: Some(admin.id()),
        name: "",
    };
    app::events::action(
        &mut tx,
        admin,
        env.app.now(),
        subject,
        "approved",
        &json!({"by": "director"}),
    )
    .await
    .expect("action");
    tx.commit().await.expect("commit");

    let events = feed(&env, admin).await;
    let account_id = account.id;
    assert_eq!(
        kinds(&events),
        vec![
            (ObjectKind::Account, account_id, "created".into()),
            (ObjectKind::Account, account_id, "updated".into()),
            (ObjectKind::Account, account_id, "owner_changed".into()),
            (ObjectKind::Account, other.id, "created".into()),
            (ObjectKind::Opportunity, deal, "created".into()),
            (ObjectKind::Opportunity, deal, "stage_changed".into()),
            (ObjectKind::Contact, contact, "created".into()),
            (ObjectKind::Contact, contact, "updated".into()),
            (ObjectKind::Contact, contact, "deleted".into()),
            (ObjectKind::Account, account_id, "deleted".into()),
            (ObjectKind::Opportunity, deal, "approved".into()),
        ]
    );
    assert!(events
        .iter()
        .all(|e| e.actor_id == Some(admin.id()) && e.at == env.app.now()));
    let update = &events[1].changes;
    assert_eq!(update[0]["field"], "name", "{update}");
    assert_eq!(
        (update[0]["old"].as_str(), update[0]["new"].as_str()),
        (Some("华为"), Some("华为技术"))
    );
    assert_eq!(
        events[2].owner_id,
        Some(rep.id()),
        "the owner after the transfer"
    );
    assert_eq!(
        events[9].owner_id,
        Some(rep.id()),
        "a deleted record keeps its last owner"
    );
    assert!(changed_fields(&json!({"changes": events[5].changes})).contains(&"stage".to_string()));
    assert_eq!(events[10].changes, json!({"by": "director"}));

    // Failed changes write nothing: a validation error, a stale version, a refused delete,
    // and a transaction rolled back after its event was written.
    let before = events.len();
    let r = app::records::create(
        &env.app,
        admin,
        ObjectKind::Contact,
        &input(&[("name", "")]),
    )
    .await;
    assert!(matches!(r, Err(AppError::Validation(_))), "{r:?}");
    let r = app::records::update(
        &env.app,
        admin,
        ObjectKind::Opportunity,
        deal,
        1,
        &input(&[("stage", "won")]),
    )
    .await;
    assert!(matches!(r, Err(AppError::Conflict)), "{r:?}");
    let r = crate::account_fixture::delete(&env.app, admin, other.id, other.version).await;
    assert!(
        r.is_err(),
        "an account with an opportunity is not deleted: {r:?}"
    );
    let mut tx = env.app.db.begin().await.expect("tx");
    app::events::created(&mut tx, admin, env.app.now(), subject)
        .await
        .expect("event");
    drop(tx);
    assert_eq!(feed(&env, admin).await.len(), before);
}

async fn the_feed_keeps_to_the_callers_scope_and_field_access(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let east = env.department(&c, "华东", None).await;
    let west = env.department(&c, "华西", None).await;
    let manager = env
        .user(&c, "boss@a.example", "sales_manager", Some(east), None)
        .await;
    let mine = env
        .user(
            &c,
            "rep@a.example",
            "sales_rep",
            Some(east),
            Some(manager.id()),
        )
        .await;
    let theirs = env
        .user(&c, "far@a.example", "sales_rep", Some(west), None)
        .await;
    let rep_role = env.role_id(&c, "sales_rep").await;
    app::customize::set_field_access(
        &env.app,
        &c.admin,
        ObjectKind::Contact,
        &[(rep_role, "mobile".into(), Some(FieldAccess::Hidden))],
    )
    .await
    .expect("hide the mobile from reps");
    let mine = env.actor(c.tenant_id, mine.id()).await;
    let theirs = env.actor(c.tenant_id, theirs.id()).await;
    let own = app::records::create(
        &env.app,
        &c.admin,
        ObjectKind::Contact,
        &input(&[("name", "甲"), ("owner_id", &mine.id().to_string())]),
    )
    .await
    .expect("create");
    app::records::update(
        &env.app,
        &c.admin,
        ObjectKind::Contact,
        own,
        1,
        &input(&[("mobile", "13800138000"), ("title", "经理")]),
    )
    .await
    .expect("update");
    let far = app::records::create(
        &env.app,
        &theirs,
        ObjectKind::Contact,
        &input(&[("name", "乙")]),
    )
    .await
    .expect("create");
    app::records::delete(&env.app, &c.admin, ObjectKind::Contact, far, 1)
        .await
        .expect("delete");

    let get = |actor: Actor| {
        let env = &env;
        async move {
            let api = env.api(&env.token(&actor).await);
            let r = api.get("/api/v1/events?object=contact").await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            r.json()["items"].as_array().cloned().unwrap_or_default()
        }
    };
    let records = |items: &[Value]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|i| {
                (
                    i["record_id"].as_str().unwrap_or_default().to_string(),
                    i["kind"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let own_events = vec![
        (own.to_string(), "created".to_string()),
        (own.to_string(), "updated".to_string()),
    ];
    let far_events = vec![
        (far.to_string(), "created".to_string()),
        (far.to_string(), "deleted".to_string()),
    ];
    // The rep sees their record's events without the hidden mobile.
    let seen = get(mine.clone()).await;
    assert_eq!(records(&seen), own_events);
    assert_eq!(changed_fields(&seen[1]), vec!["title"], "{}", seen[1]);
    assert!(!seen[1].to_string().contains("13800138000"));
    // The other rep sees their own record, its delete included (by the owner at the time).
    assert_eq!(records(&get(theirs.clone()).await), far_events);
    // The manager sees their department's records, with the mobile, and not the other one.
    let seen = get(manager.clone()).await;
    assert_eq!(records(&seen), own_events);
    assert_eq!(
        changed_fields(&seen[1]),
        vec!["title", "mobile"],
        "{}",
        seen[1]
    );
    // The administrator sees everything; other objects' events are filtered out.
    let all = get(c.admin.clone()).await;
    assert_eq!(records(&all), [own_events, far_events].concat());
    let api = env.api(&env.token(&c.admin).await);
    let r = api.get("/api/v1/events?object=account").await.json();
    assert_eq!(r["items"], json!([]), "{r}");
}

async fn bad_feed_parameters_are_refused(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    env.account(&c.admin, "华为").await;
    let api = env.api(&env.token(&c.admin).await);
    for (query, field, code) in [
        ("sort=at", "sort", "unknown_field"),
        ("after=yesterday", "after", "invalid_cursor"),
        ("after=-1", "after", "invalid_cursor"),
        ("object=org", "object", "invalid_choice"),
        ("object=widgets", "object", "invalid_choice"),
        ("limit=0", "limit", "out_of_range"),
        ("limit=501", "limit", "out_of_range"),
    ] {
        let r = api.get(&format!("/api/v1/events?{query}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.body
        );
        let fields = &r.json()["error"]["fields"];
        assert_eq!(
            (fields[0]["field"].as_str(), fields[0]["code"].as_str()),
            (Some(field), Some(code)),
            "{query}: {}",
            r.body
        );
    }
    let r = api
        .call(
            Method::GET,
            "/api/v1/events?object=org",
            None,
            &[("accept-language", "zh-CN")],
        )
        .await;
    assert!(
        !r.json()["error"]["fields"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{}",
        r.body
    );
    assert!(r.body.contains("不是"), "a translated message: {}", r.body);
    // A good page, then the next from its cursor.
    let page = api.get("/api/v1/events?limit=1").await.json();
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
    let next = page["next_cursor"].as_str().unwrap_or_default().to_string();
    let page = api
        .get(&format!("/api/v1/events?after={next}"))
        .await
        .json();
    assert_eq!(page["items"], json!([]));
    assert_eq!(page["next_cursor"], next.as_str());
}

/// A write transaction holding one event, `{"n": n}`, not committed yet.
async fn write_event(db: &Db, actor: &Actor, now: DateTime<Utc>, n: usize) -> store::Tx {
    let mut tx = db.begin().await.expect("tx");
    let subject = Subject {
        object: ObjectKind::Contact,
        id: Uuid::now_v7(),
        owner_id: Some(actor.id()),
        name: "",
    };
    app::events::action(&mut tx, actor, now, subject, "tested", &json!({ "n": n }))
        .await
        .expect("event");
    tx
}

/// Reads the feed from `cursor` to its current end; the events' `n`s and the new cursor.
async fn follow(env: &Env, actor: &Actor, mut cursor: FeedCursor) -> (Vec<i64>, FeedCursor) {
    let mut seen = Vec::new();
    loop {
        let page = app::events::feed(&env.app, actor, None, cursor, 7)
            .await
            .expect("feed");
        if page.items.is_empty() {
            return (seen, cursor);
        }
        seen.extend(page.items.iter().filter_map(|e| e.changes["n"].as_i64()));
        cursor = page.next;
    }
}

async fn the_cursor_loses_nothing_under_concurrent_writers(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let admin = c.admin.clone();
    let other = crate::support::second_pool(&env.app.db).await;
    let mut seen = Vec::new();
    let mut cursor = FeedCursor::default();
    // A transaction that wrote its event first commits last: with a number taken at insert,
    // a reader that had already passed the later transaction's event would skip it for ever.
    // (On SQLite the second transaction waits for the first: one writer at a time.)
    if matches!(env.app.db, Db::Postgres(_)) {
        let early = write_event(&other, &admin, env.app.now(), 0).await;
        let late = write_event(&env.app.db, &admin, env.app.now(), 1).await;
        late.commit().await.expect("commit");
        let (now, at) = follow(&env, &admin, cursor).await;
        assert_eq!(now, vec![1]);
        early.commit().await.expect("commit");
        let (now, at) = follow(&env, &admin, at).await;
        assert_eq!(now, vec![0], "the event committed late follows the cursor");
        seen.extend([1, 0]);
        cursor = at;
    } else {
        for n in [1, 0] {
            write_event(&env.app.db, &admin, env.app.now(), n)
                .await
                .commit()
                .await
                .expect("commit");
        }
    }
    // Writers on two pools while a reader follows the feed.
    let writers: Vec<_> = [env.app.db.clone(), other.clone()]
        .into_iter()
        .enumerate()
        .map(|(w, db)| {
            let admin = admin.clone();
            let app = env.app.clone();
            tokio::spawn(async move {
                for i in 0..40 {
                    let n = 100 + w * 100 + i;
                    let tx = write_event(&db, &admin, app.now(), n).await;
                    tokio::task::yield_now().await;
                    tx.commit().await.expect("commit");
                }
            })
        })
        .collect();
    let mut done = false;
    while !done {
        done = writers.iter().all(|w| w.is_finished());
        let (now, at) = follow(&env, &admin, cursor).await;
        seen.extend(now);
        cursor = at;
        tokio::task::yield_now().await;
    }
    for w in writers {
        w.await.expect("writer");
    }
    let (now, _) = follow(&env, &admin, cursor).await;
    seen.extend(now);
    let mut expected: Vec<i64> = (0..2).chain(100..140).chain(200..240).collect();
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no event twice: {seen:?}");
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);
}

async fn old_events_are_pruned_daily(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let old = env.account(&c.admin, "旧").await;
    env.clock.advance(Duration::days(60));
    let kept = env.account(&c.admin, "新").await;
    env.run_scheduled_jobs().await;
    assert_eq!(
        feed(&env, &c.admin).await.len(),
        2,
        "nothing older than 90 days yet"
    );
    env.clock.advance(Duration::days(31));
    env.run_scheduled_jobs().await;
    let left = feed(&env, &c.admin).await;
    assert_eq!(
        kinds(&left),
        vec![(ObjectKind::Account, kept.id, "created".into())],
        "the event of {} is gone",
        old.id
    );
}

/// An account's standard and custom fields are saved by two writers; the save is one event.
async fn one_save_of_standard_and_custom_fields_is_one_event(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let r = api
        .post(
            "/api/v1/accounts/fields",
            json!({"key": "employees", "label_zh": "员工人数", "field_type": "number"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let account = env.account(&c.admin, "华为").await;
    let r = api
        .patch(
            &format!("/api/v1/accounts/{}", account.id),
            json!({"name": "华为技术", "employees": "200"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let events = feed(&env, &c.admin).await;
    assert_eq!(
        kinds(&events),
        vec![
            (ObjectKind::Account, account.id, "created".into()),
            (ObjectKind::Account, account.id, "updated".into()),
        ]
    );
    let fields = changed_fields(&json!({ "changes": events[1].changes }));
    assert_eq!(fields, vec!["name", "employees"]);
}

on_both_databases!(
    every_change_writes_one_event_in_its_transaction,
    one_save_of_standard_and_custom_fields_is_one_event,
    the_feed_keeps_to_the_callers_scope_and_field_access,
    bad_feed_parameters_are_refused,
    the_cursor_loses_nothing_under_concurrent_writers,
    old_events_are_pruned_daily,
);
