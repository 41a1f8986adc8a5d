//! Public pools: claiming within the limits and protection, returning with a reason and the
//! no-reclaim period, two reps claiming at once, recycling by the scheduler on the clock
//! (after N idle days, after M days unconverted or without a deal, a reminder once before,
//! once with two workers), bulk assignment, and who may do what (rep, manager, admin).

use crate::on_both_databases;
use crate::support::{field_codes, Env};
use app::pools::claims;
use app::pools::PoolInput;
use app::{Actor, App, AppError};
use axum::http::StatusCode;
use chrono::Duration;
use domain::permissions::ObjectKind;
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

on_both_databases!(
    pools_claims_respect_limits_protection_and_no_reclaim,
    pools_two_reps_claiming_at_once_exactly_one_wins,
    pools_recycle_idle_and_stale_records_with_one_reminder,
    pools_recycle_once_with_two_workers,
    pools_settings_assignment_and_roles,
    pools_api_answers_refusals_clearly
);

async fn fresh(env: &Env, actor: &Actor) -> Actor {
    env.actor(actor.tenant_id(), actor.id()).await
}

async fn lead(env: &Env, actor: &Actor, name: &str, owner: Uuid) -> Uuid {
    let input = vec![
        ("name".to_string(), vec![name.to_string()]),
        ("owner_id".to_string(), vec![owner.to_string()]),
    ];
    app::records::create(&env.app, actor, ObjectKind::Lead, &input)
        .await
        .expect("create lead")
}

async fn default_pool(env: &Env, actor: &Actor, object: ObjectKind) -> store::pools::Pool {
    app::pools::list(&env.app, &fresh(env, actor).await, Some(object))
        .await
        .expect("pools")
        .into_iter()
        .find(|p| p.pool.is_default)
        .expect("a default pool")
        .pool
}

/// A lead of the admin's, returned to the default pool.
async fn pooled(env: &Env, admin: &Actor, name: &str) -> Uuid {
    let id = lead(env, admin, name, admin.id()).await;
    claims::give_back(&env.app, admin, ObjectKind::Lead, id, Some("no_need"))
        .await
        .expect("return to the pool");
    id
}

async fn configure(env: &Env, admin: &Actor, pool: Uuid, input: PoolInput) {
    let current = app::pools::get(&env.app, &fresh(env, admin).await, pool)
        .await
        .expect("pool");
    app::pools::update(&env.app, admin, pool, current.pool.version, &input)
        .await
        .expect("configure the pool");
}

async fn claim(env: &Env, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    claims::claim(&env.app, &fresh(env, actor).await, ObjectKind::Lead, id).await
}

fn refused(r: Result<(), AppError>) -> &'static str {
    match r {
        Err(AppError::Rule(code)) | Err(AppError::Refused(code)) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn pool_of(env: &Env, object: ObjectKind, tenant: Uuid, id: Uuid) -> Option<Uuid> {
    let mut tx = env.app.db.begin_read().await.expect("tx");
    store::pools::placement(&mut tx, object, tenant, id)
        .await
        .expect("placement")
        .expect("record")
        .pool_id
}

async fn pools_claims_respect_limits_protection_and_no_reclaim(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let admin = &c.admin;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let other = env
        .user(&c, "other@a.example", "sales_rep", None, None)
        .await;
    let pool = default_pool(&env, admin, ObjectKind::Lead).await;
    configure(
        &env,
        admin,
        pool.id,
        PoolInput {
            claims_per_day: Some(Some(2)),
            max_held: Some(Some(3)),
            protection_days: Some(7),
            no_reclaim_days: Some(5),
            ..Default::default()
        },
    )
    .await;
    let mut leads = Vec::new();
    for n in 0..5 {
        leads.push(pooled(&env, admin, &format!("公海线索{n}")).await);
    }
    // In the pool: no owner's scope holds it, the pool's members see it.
    let seen = app::records::get(
        &env.app,
        &fresh(&env, &rep).await,
        ObjectKind::Lead,
        leads[0],
    )
    .await;
    assert!(seen.is_ok(), "a member sees the pool's record");
    claim(&env, &rep, leads[0]).await.expect("first claim");
    claim(&env, &rep, leads[1]).await.expect("second claim");
    assert_eq!(
        refused(claim(&env, &rep, leads[2]).await),
        "pool_daily_limit"
    );
    assert_eq!(
        pool_of(&env, ObjectKind::Lead, c.tenant_id, leads[2]).await,
        Some(pool.id),
        "a refused claim changes nothing"
    );
    env.clock.advance(Duration::days(1));
    claim(&env, &rep, leads[2]).await.expect("a new day");
    assert_eq!(
        refused(claim(&env, &rep, leads[3]).await),
        "pool_held_limit"
    );
    // Held and protected: another member of the pool is told so, as is an admin who sees
    // everything; a rep outside the pool's company finds nothing (below).
    assert_eq!(
        refused(claim(&env, &other, leads[0]).await),
        "pool_protected"
    );
    assert_eq!(
        refused(claim(&env, admin, leads[0]).await),
        "pool_protected"
    );
    assert_eq!(
        refused(claim(&env, &rep, leads[0]).await),
        "already_claimed"
    );
    // Returning needs a reason from the list.
    let bad = claims::give_back(&env.app, &rep, ObjectKind::Lead, leads[0], Some("bored")).await;
    assert!(matches!(bad, Err(AppError::Validation(_))), "{bad:?}");
    let none = claims::give_back(&env.app, &rep, ObjectKind::Lead, leads[0], None).await;
    assert!(matches!(none, Err(AppError::Validation(_))));
    claims::give_back(
        &env.app,
        &rep,
        ObjectKind::Lead,
        leads[0],
        Some("unreachable"),
    )
    .await
    .expect("return");
    assert_eq!(
        pool_of(&env, ObjectKind::Lead, c.tenant_id, leads[0]).await,
        Some(pool.id)
    );
    // The rep who returned it waits K days; another rep may take it at once.
    assert_eq!(
        refused(claim(&env, &rep, leads[0]).await),
        "pool_no_reclaim"
    );
    claim(&env, &other, leads[0])
        .await
        .expect("another rep claims it");
    claims::give_back(&env.app, &other, ObjectKind::Lead, leads[0], Some("other"))
        .await
        .expect("return again");
    env.clock.advance(Duration::days(5));
    claim(&env, &rep, leads[0])
        .await
        .expect("after the no-reclaim period");
    // The record's pool history, newest first.
    let standing = claims::standing(
        &env.app,
        &fresh(&env, &rep).await,
        ObjectKind::Lead,
        leads[0],
    )
    .await
    .expect("standing");
    let kinds: Vec<&str> = standing.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["claimed", "returned", "claimed", "returned", "claimed", "returned"]
    );
    assert_eq!(standing.events[1].reason.as_deref(), Some("other"));
    assert!(standing.can_return && !standing.can_claim);
    // Not in a pool: the rep's own lead.
    let own = lead(&env, &rep, "自己的线索", rep.id()).await;
    assert_eq!(refused(claim(&env, &rep, own).await), "not_in_pool");
    // Another company's record is not found.
    let d = env.company("乙公司", "admin@b.example").await;
    let stranger = env.user(&d, "rep@b.example", "sales_rep", None, None).await;
    assert!(matches!(
        claim(&env, &stranger, leads[4]).await,
        Err(AppError::NotFound)
    ));
    let back = claims::give_back(&env.app, &stranger, ObjectKind::Lead, own, Some("other")).await;
    assert!(matches!(back, Err(AppError::NotFound)));
}

async fn pools_two_reps_claiming_at_once_exactly_one_wins(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let admin = &c.admin;
    let a = env.user(&c, "a@a.example", "sales_rep", None, None).await;
    let b = env.user(&c, "b@a.example", "sales_rep", None, None).await;
    let mut leads = Vec::new();
    for n in 0..8 {
        leads.push(pooled(&env, admin, &format!("抢单{n}")).await);
    }
    let other_db = crate::support::second_pool(&env.app.db).await;
    let other_app = App::with_clock(other_db.clone(), env.clock.clone());
    let (a, b) = (fresh(&env, &a).await, fresh(&env, &b).await);
    for id in &leads {
        let mut handles = Vec::new();
        for (app, actor) in [(env.app.clone(), a.clone()), (other_app.clone(), b.clone())] {
            let id = *id;
            handles.push(tokio::spawn(async move {
                claims::claim(&app, &actor, ObjectKind::Lead, id).await
            }));
        }
        let mut wins = 0;
        let mut losses = 0;
        for h in handles {
            match h.await.expect("task") {
                Ok(()) => wins += 1,
                Err(AppError::Refused("already_claimed")) => losses += 1,
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        assert_eq!((wins, losses), (1, 1), "exactly one claim wins");
        let mut tx = env.app.db.begin_read().await.expect("tx");
        let claimed = store::pools::events(&mut tx, ObjectKind::Lead, c.tenant_id, *id, 10)
            .await
            .expect("events")
            .into_iter()
            .filter(|e| e.kind == "claimed")
            .count();
        assert_eq!(claimed, 1);
    }
    other_db.close().await;
}

async fn call(env: &Env, actor: &Actor, lead_id: Uuid) {
    let input = vec![
        ("kind".to_string(), vec!["call".to_string()]),
        ("name".to_string(), vec!["回访".to_string()]),
        ("lead_id".to_string(), vec![lead_id.to_string()]),
        ("status".to_string(), vec!["done".to_string()]),
        ("owner_id".to_string(), vec![actor.id().to_string()]),
    ];
    app::records::create(
        &env.app,
        &fresh(env, actor).await,
        ObjectKind::Activity,
        &input,
    )
    .await
    .expect("log a call");
}

async fn reminders(env: &Env, actor: &Actor) -> Vec<String> {
    let page = app::notifications::list(&env.app, actor, false, None, 50)
        .await
        .expect("inbox");
    page.items
        .into_iter()
        .filter(|n| n.kind == "pool_reminder")
        .map(|n| n.params.0["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn pools_recycle_idle_and_stale_records_with_one_reminder(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let admin = &c.admin;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let leads_pool = default_pool(&env, admin, ObjectKind::Lead).await;
    configure(
        &env,
        admin,
        leads_pool.id,
        PoolInput {
            idle_days: Some(Some(10)),
            remind_days: Some(3),
            ..Default::default()
        },
    )
    .await;
    let idle = lead(&env, &rep, "没跟进的线索", rep.id()).await;
    let followed = lead(&env, &rep, "跟进中的线索", rep.id()).await;
    env.clock.advance(Duration::days(6));
    call(&env, &rep, followed).await;
    env.run_scheduled_jobs().await;
    assert!(
        reminders(&env, &rep).await.is_empty(),
        "not yet within the reminder's days"
    );
    env.clock.advance(Duration::days(1) + Duration::hours(1));
    env.run_scheduled_jobs().await;
    assert_eq!(reminders(&env, &rep).await, ["没跟进的线索"]);
    env.clock.advance(Duration::hours(1));
    env.run_scheduled_jobs().await;
    assert_eq!(reminders(&env, &rep).await.len(), 1, "reminded once");
    assert_eq!(
        pool_of(&env, ObjectKind::Lead, c.tenant_id, idle).await,
        None,
        "not yet due"
    );
    env.clock.advance(Duration::days(3));
    env.run_scheduled_jobs().await;
    assert_eq!(
        pool_of(&env, ObjectKind::Lead, c.tenant_id, idle).await,
        Some(leads_pool.id)
    );
    assert_eq!(
        pool_of(&env, ObjectKind::Lead, c.tenant_id, followed).await,
        None,
        "followed up 4 days ago"
    );
    let standing = claims::standing(&env.app, &fresh(&env, &rep).await, ObjectKind::Lead, idle)
        .await
        .expect("the rep sees it in the pool");
    let recycled = standing
        .events
        .iter()
        .find(|e| e.kind == "recycled")
        .expect("recycled event");
    assert_eq!(recycled.reason.as_deref(), Some("idle:10"));
    assert_eq!(recycled.user_id, rep.id());
    // A recycled record is out of the rep's scope: not in their own list any more.
    let rep_now = fresh(&env, &rep).await;
    let mut tx = env.app.db.begin_read().await.expect("tx");
    let in_scope = store::sharing::is_in_scope(&mut tx, &rep_now.principal, ObjectKind::Lead, idle)
        .await
        .expect("scope");
    assert!(!in_scope, "no longer in the rep's own scope");
    drop(tx);
    // The rep who lost it waits before claiming it back (K days).
    configure(
        &env,
        admin,
        leads_pool.id,
        PoolInput {
            no_reclaim_days: Some(2),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(refused(claim(&env, &rep, idle).await), "pool_no_reclaim");

    // M days: a lead not converted, an account without an open opportunity or a deal.
    configure(
        &env,
        admin,
        leads_pool.id,
        PoolInput {
            idle_days: Some(None),
            stale_days: Some(Some(30)),
            remind_days: Some(0),
            ..Default::default()
        },
    )
    .await;
    let accounts_pool = default_pool(&env, admin, ObjectKind::Account).await;
    configure(
        &env,
        admin,
        accounts_pool.id,
        PoolInput {
            stale_days: Some(Some(30)),
            ..Default::default()
        },
    )
    .await;
    let converted = lead(&env, &rep, "已转化线索", rep.id()).await;
    let current = app::records::get(
        &env.app,
        &fresh(&env, &rep).await,
        ObjectKind::Lead,
        converted,
    )
    .await
    .expect("lead");
    app::records::update(
        &env.app,
        &fresh(&env, &rep).await,
        ObjectKind::Lead,
        converted,
        current.record.version,
        &vec![("status".to_string(), vec!["converted".to_string()])],
    )
    .await
    .expect("convert");
    let open = lead(&env, &rep, "未转化线索", rep.id()).await;
    let busy = crate::account_fixture::create(
        &env.app,
        &rep,
        &crate::account_fixture::AccountInput {
            name: Some("有商机客户".into()),
            ..Default::default()
        },
    )
    .await
    .expect("account")
    .id;
    let quiet = crate::account_fixture::create(
        &env.app,
        &rep,
        &crate::account_fixture::AccountInput {
            name: Some("沉睡客户".into()),
            ..Default::default()
        },
    )
    .await
    .expect("account")
    .id;
    let opp = vec![
        ("name".to_string(), vec!["扩容项目".to_string()]),
        ("account_id".to_string(), vec![busy.to_string()]),
        ("owner_id".to_string(), vec![rep.id().to_string()]),
        ("amount".to_string(), vec!["1000".to_string()]),
        ("expected_close".to_string(), vec!["2027-03-01".to_string()]),
    ];
    app::records::create(
        &env.app,
        &fresh(&env, &rep).await,
        ObjectKind::Opportunity,
        &opp,
    )
    .await
    .expect("opportunity");
    env.clock.advance(Duration::days(29));
    env.run_scheduled_jobs().await;
    assert_eq!(
        pool_of(&env, ObjectKind::Lead, c.tenant_id, open).await,
        None
    );
    assert_eq!(
        pool_of(&env, ObjectKind::Account, c.tenant_id, quiet).await,
        None
    );
    env.clock.advance(Duration::days(1) + Duration::hours(1));
    env.run_scheduled_jobs().await;
    assert_eq!(
        pool_of(&env, ObjectKind::Lead, c.tenant_id, open).await,
        Some(leads_pool.id)
    );
    assert_eq!(
        pool_of(&env, ObjectKind::Lead, c.tenant_id, converted).await,
        None
    );
    assert_eq!(
        pool_of(&env, ObjectKind::Account, c.tenant_id, quiet).await,
        Some(accounts_pool.id)
    );
    assert_eq!(
        pool_of(&env, ObjectKind::Account, c.tenant_id, busy).await,
        None
    );
}

async fn pools_recycle_once_with_two_workers(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let admin = &c.admin;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let pool = default_pool(&env, admin, ObjectKind::Lead).await;
    configure(
        &env,
        admin,
        pool.id,
        PoolInput {
            idle_days: Some(Some(5)),
            ..Default::default()
        },
    )
    .await;
    let mut leads = Vec::new();
    for n in 0..25 {
        leads.push(lead(&env, &rep, &format!("线索{n}"), rep.id()).await);
    }
    env.clock.advance(Duration::days(5) + Duration::hours(2));
    let other_db = crate::support::second_pool(&env.app.db).await;
    let other_app = App::with_clock(other_db.clone(), env.clock.clone());
    let mut handles = Vec::new();
    for app in [env.app.clone(), other_app.clone()] {
        let tenant = c.tenant_id;
        let worker = Arc::new(app::jobs::Worker::new(
            app.clone(),
            web::mail::job_registry(),
        ));
        handles.push(tokio::spawn(async move {
            worker.run_until_idle().await.expect("run");
            app::pools::recycle::run(&app, tenant)
                .await
                .expect("recycle directly too")
        }));
    }
    for h in handles {
        h.await.expect("worker");
    }
    let mut tx = env.app.db.begin_read().await.expect("tx");
    for id in &leads {
        let events = store::pools::events(&mut tx, ObjectKind::Lead, c.tenant_id, *id, 10)
            .await
            .expect("events");
        assert_eq!(
            events.iter().filter(|e| e.kind == "recycled").count(),
            1,
            "recycled exactly once"
        );
    }
    drop(tx);
    other_db.close().await;
}

async fn pools_settings_assignment_and_roles(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let admin = &c.admin;
    let east = env.department(&c, "华东", None).await;
    let manager = env
        .user(&c, "boss@a.example", "sales_manager", Some(east), None)
        .await;
    let rep = env
        .user(
            &c,
            "rep@a.example",
            "sales_rep",
            Some(east),
            Some(manager.id()),
        )
        .await;
    let outsider = env.user(&c, "out@a.example", "sales_rep", None, None).await;
    // Only administrators create pools; bad settings change nothing.
    let input = PoolInput {
        object: Some("lead".into()),
        name: Some("华东线索池".into()),
        members: Some(vec![format!("department:{east}")]),
        claims_per_day: Some(Some(5)),
        ..Default::default()
    };
    assert!(matches!(
        app::pools::create(&env.app, &rep, &input).await,
        Err(AppError::Forbidden)
    ));
    let bad = PoolInput {
        idle_days: Some(Some(0)),
        object: Some("contact".into()),
        ..input.clone()
    };
    match app::pools::create(&env.app, admin, &bad).await {
        Err(AppError::Validation(e)) => {
            assert!(
                e.for_field("idle_days").is_some() && e.for_field("object").is_some(),
                "{e:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    let east_pool = app::pools::create(&env.app, admin, &input)
        .await
        .expect("create");
    // Members see it, others get 404.
    assert!(
        app::pools::records(&env.app, &fresh(&env, &rep).await, east_pool, None, None)
            .await
            .is_ok()
    );
    assert!(matches!(
        app::pools::records(
            &env.app,
            &fresh(&env, &outsider).await,
            east_pool,
            None,
            None
        )
        .await,
        Err(AppError::NotFound)
    ));
    // A rep may not change it; a stale version is a conflict.
    let detail = app::pools::get(&env.app, &fresh(&env, &rep).await, east_pool)
        .await
        .expect("detail");
    assert!(!detail.access.administer && !detail.access.assign);
    let change = PoolInput {
        max_held: Some(Some(9)),
        ..Default::default()
    };
    assert!(matches!(
        app::pools::update(
            &env.app,
            &fresh(&env, &rep).await,
            east_pool,
            detail.pool.version,
            &change
        )
        .await,
        Err(AppError::Forbidden)
    ));
    app::pools::update(&env.app, admin, east_pool, detail.pool.version, &change)
        .await
        .expect("update");
    assert!(matches!(
        app::pools::update(&env.app, admin, east_pool, detail.pool.version, &change).await,
        Err(AppError::Conflict)
    ));
    // Records in the pool: an admin's leads returned there by the pool's rule... here by
    // assignment back and forth: put two of the admin's leads in the east pool.
    let mut ids = Vec::new();
    for n in 0..3 {
        let id = lead(&env, admin, &format!("华东线索{n}"), admin.id()).await;
        let mut tx = env.app.db.begin().await.expect("tx");
        assert!(store::pools::put(
            &mut tx,
            ObjectKind::Lead,
            c.tenant_id,
            id,
            east_pool,
            admin.id(),
            Some(admin.id()),
            env.app.now()
        )
        .await
        .expect("put"));
        tx.commit().await.expect("commit");
        ids.push(id);
    }
    let page = app::pools::records(&env.app, &fresh(&env, &rep).await, east_pool, None, Some(2))
        .await
        .expect("page")
        .1;
    assert_eq!(page.records.len(), 2);
    let cursor = page.next_cursor.clone().expect("another page");
    let rest = app::pools::records(
        &env.app,
        &fresh(&env, &rep).await,
        east_pool,
        Some(&cursor),
        Some(2),
    )
    .await
    .expect("page")
    .1;
    assert_eq!(rest.records.len(), 1);
    assert!(rest.next_cursor.is_none());
    assert!(matches!(
        app::pools::records(
            &env.app,
            &fresh(&env, &rep).await,
            east_pool,
            Some("zz"),
            None
        )
        .await,
        Err(AppError::Validation(_))
    ));
    // The outsider does not see the east pool's records.
    assert!(matches!(
        claim(&env, &outsider, ids[0]).await,
        Err(AppError::NotFound)
    ));
    // The rep may not assign; the manager (a member who may transfer) assigns in bulk and
    // the rep is notified.
    let owner = rep.id().to_string();
    assert!(matches!(
        claims::assign(
            &env.app,
            &fresh(&env, &rep).await,
            east_pool,
            &ids[..2],
            Some(&owner)
        )
        .await,
        Err(AppError::Forbidden)
    ));
    let moved = claims::assign(
        &env.app,
        &fresh(&env, &manager).await,
        east_pool,
        &ids[..2],
        Some(&owner),
    )
    .await
    .expect("assign");
    assert_eq!(moved, 2);
    let inbox = app::notifications::list(&env.app, &rep, false, None, 50)
        .await
        .expect("inbox");
    assert_eq!(
        inbox.items.iter().filter(|n| n.kind == "assigned").count(),
        2
    );
    // Assigning a record no longer in the pool moves nothing.
    let again = claims::assign(
        &env.app,
        &fresh(&env, &manager).await,
        east_pool,
        &[ids[0], ids[2]],
        Some(&owner),
    )
    .await;
    assert!(
        matches!(again, Err(AppError::Refused("not_in_pool"))),
        "{again:?}"
    );
    assert_eq!(
        pool_of(&env, ObjectKind::Lead, c.tenant_id, ids[2]).await,
        Some(east_pool)
    );
    // The rep returns one: it goes back to the pool it came from.
    claims::give_back(
        &env.app,
        &fresh(&env, &rep).await,
        ObjectKind::Lead,
        ids[0],
        Some("no_need"),
    )
    .await
    .expect("return");
    assert_eq!(
        pool_of(&env, ObjectKind::Lead, c.tenant_id, ids[0]).await,
        Some(east_pool)
    );
    // Statistics: assigned 2 to the rep, returned 1 with its reason.
    let stats = app::pools::stats::get(&env.app, &fresh(&env, &manager).await, east_pool, None)
        .await
        .expect("stats");
    let line = stats
        .reps
        .iter()
        .find(|r| r.user_id == rep.id())
        .expect("the rep's line");
    assert_eq!((line.assigned, line.returned), (2, 1));
    assert_eq!(line.by_reason.get("no_need"), Some(&1));
    // Return reasons: administrators only; both languages required.
    let reasons = app::pools::reasons(&env.app, admin).await.expect("reasons");
    assert!(matches!(
        app::pools::set_reasons(&env.app, &rep, &reasons).await,
        Err(AppError::Forbidden)
    ));
    let mut edited = reasons.clone();
    edited[0].name_en = String::new();
    assert!(matches!(
        app::pools::set_reasons(&env.app, admin, &edited).await,
        Err(AppError::Validation(_))
    ));
    app::pools::set_reasons(&env.app, admin, &reasons[1..])
        .await
        .expect("drop one");
    let after = app::pools::reasons(&env.app, admin).await.expect("reasons");
    assert!(
        after.iter().any(|r| r.key == reasons[0].key && !r.active),
        "kept inactive"
    );
}

async fn pools_api_answers_refusals_clearly(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let admin = &c.admin;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let other = env
        .user(&c, "other@a.example", "sales_rep", None, None)
        .await;
    let admin_api = env.api(&env.token(admin).await);
    let rep_api = env.api(&env.token(&rep).await);
    let other_api = env.api(&env.token(&other).await);
    let listed = admin_api.get("/api/v1/pools").await;
    assert_eq!(listed.status, StatusCode::OK);
    let pools = listed.json()["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(pools.len(), 2, "a lead pool and a customer pool");
    let lead_pool = pools
        .iter()
        .find(|p| p["object"] == "lead")
        .expect("lead pool");
    let pool_id = lead_pool["id"].as_str().expect("id").to_string();
    let version = lead_pool["version"].as_i64().expect("version");
    let patched = admin_api
        .patch(
            &format!("/api/v1/pools/{pool_id}"),
            json!({ "claims_per_day": 1, "protection_days": 3 }),
            &version.to_string(),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.json());
    let bad = admin_api
        .patch(
            &format!("/api/v1/pools/{pool_id}"),
            json!({ "max_held": -1, "bogus": 1 }),
            &(version + 1).to_string(),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let codes = field_codes(&bad);
    assert!(
        codes.contains(&("bogus".into(), "unknown_field".into())),
        "{codes:?}"
    );
    let first = pooled(&env, admin, "线索一").await;
    let second = pooled(&env, admin, "线索二").await;
    let listed = rep_api
        .get(&format!("/api/v1/pools/{pool_id}/records?limit=1"))
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json()["items"].as_array().map(Vec::len), Some(1));
    assert!(listed.json()["next_cursor"].is_string());
    let won = rep_api
        .post(&format!("/api/v1/leads/{first}/claim"), json!({}))
        .await;
    assert_eq!(won.status, StatusCode::OK, "{:?}", won.json());
    let limit = rep_api
        .post(&format!("/api/v1/leads/{second}/claim"), json!({}))
        .await;
    assert_eq!(limit.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(limit.json()["error"]["code"], "pool_daily_limit");
    assert!(limit.json()["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.contains("error.rule")));
    let gone = other_api
        .post(&format!("/api/v1/leads/{first}/claim"), json!({}))
        .await;
    assert_eq!(gone.status, StatusCode::CONFLICT, "held and protected");
    assert_eq!(gone.json()["error"]["code"], "pool_protected");
    let stranger = env.company("乙公司", "admin@b.example").await;
    let stranger_api = env.api(&env.token(&stranger.admin).await);
    let unknown = stranger_api
        .post(&format!("/api/v1/leads/{first}/claim"), json!({}))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let protected = admin_api
        .post(&format!("/api/v1/leads/{first}/claim"), json!({}))
        .await;
    assert_eq!(protected.status, StatusCode::CONFLICT);
    assert_eq!(protected.json()["error"]["code"], "pool_protected");
    let no_reason = rep_api
        .post(&format!("/api/v1/leads/{first}/return"), json!({}))
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_codes(&no_reason),
        vec![("reason".to_string(), "required".to_string())]
    );
    let back = rep_api
        .post(
            &format!("/api/v1/leads/{first}/return"),
            json!({ "reason": "no_need" }),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.json());
    assert_eq!(back.json()["pool_id"], pool_id.as_str());
    let twice = rep_api
        .post(
            &format!("/api/v1/leads/{first}/return"),
            json!({ "reason": "no_need" }),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let outside = other_api
        .get(&format!("/api/v1/pools/{}/records", Uuid::now_v7()))
        .await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);
    let created = rep_api
        .post("/api/v1/pools", json!({ "object": "lead", "name": "x" }))
        .await;
    assert_eq!(created.status, StatusCode::FORBIDDEN);
    let created = admin_api.post("/api/v1/pools", json!({ "object": "account", "name": "大客户公海", "members": [format!("user:{}", rep.id())] })).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json());
    let assign = admin_api
        .post(
            &format!("/api/v1/pools/{pool_id}/assign"),
            json!({ "ids": [second.to_string()], "owner_id": other.id().to_string() }),
        )
        .await;
    assert_eq!(assign.status, StatusCode::OK, "{:?}", assign.json());
    assert_eq!(assign.json()["assigned"], 1);
    let account = env.account(&rep, "自己的客户").await;
    let not_in = rep_api
        .post(&format!("/api/v1/accounts/{}/claim", account.id), json!({}))
        .await;
    assert_eq!(not_in.status, StatusCode::CONFLICT);
    assert_eq!(not_in.json()["error"]["code"], "not_in_pool");
    let returned = rep_api
        .post(
            &format!("/api/v1/accounts/{}/return", account.id),
            json!({ "reason": "has_supplier" }),
        )
        .await;
    assert_eq!(returned.status, StatusCode::OK, "{:?}", returned.json());
    let stats = admin_api
        .get(&format!("/api/v1/pools/{pool_id}/stats"))
        .await;
    assert_eq!(stats.status, StatusCode::OK);
}
