//! Public pools: claiming within the limits and protection, returning with a reason and the
//! no-reclaim period, two reps claiming at once, recycling by the scheduler on the clock
//! (after N idle days, after M days unconverted or without a deal, a reminder once before,
//! once with two workers), bulk assignment, and who may do what (rep, manager, admin).

use crate::on_both_databases;
use crate::support::Env;
use app::pools::claims;
use app::pools::PoolInput;
use app::{Actor, App, AppError};
use chrono::Duration;
use domain::permissions::ObjectKind;
use std::sync::Arc;
use uuid::Uuid;

on_both_databases!(
    pools_claims_respect_limits_protection_and_no_reclaim,
    pools_two_reps_claiming_at_once_exactly_one_wins,
    pools_recycle_idle_and_stale_records_with_one_reminder,
    pools_recycle_once_with_two_workers
);

pub(crate) async fn fresh(env: &Env, actor: &Actor) -> Actor {
    env.actor(actor.tenant_id(), actor.id()).await
}

pub(crate) async fn lead(env: &Env, actor: &Actor, name: &str, owner: Uuid) -> Uuid {
    let input = vec![
        ("name".to_string(), vec![name.to_string()]),
        ("owner_id".to_string(), vec![owner.to_string()]),
    ];
    app::records::create(&env.app, actor, ObjectKind::Lead, &input)
        .await
        .expect("create lead")
}

pub(crate) async fn default_pool(
    env: &Env,
    actor: &Actor,
    object: ObjectKind,
) -> store::pools::Pool {
    app::pools::list(&env.app, &fresh(env, actor).await, Some(object))
        .await
        .expect("pools")
        .into_iter()
        .find(|p| p.pool.is_default)
        .expect("a default pool")
        .pool
}

/// A lead of the admin's, returned to the default pool.
pub(crate) async fn pooled(env: &Env, admin: &Actor, name: &str) -> Uuid {
    let id = lead(env, admin, name, admin.id()).await;
    claims::give_back(&env.app, admin, ObjectKind::Lead, id, Some("no_need"))
        .await
        .expect("return to the pool");
    id
}

pub(crate) async fn configure(env: &Env, admin: &Actor, pool: Uuid, input: PoolInput) {
    let current = app::pools::get(&env.app, &fresh(env, admin).await, pool)
        .await
        .expect("pool");
    app::pools::update(&env.app, admin, pool, current.pool.version, &input)
        .await
        .expect("configure the pool");
}

pub(crate) async fn claim(env: &Env, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    claims::claim(&env.app, &fresh(env, actor).await, ObjectKind::Lead, id).await
}

pub(crate) fn refused(r: Result<(), AppError>) -> &'static str {
    match r {
        Err(AppError::Rule(code)) | Err(AppError::Refused(code)) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

pub(crate) async fn pool_of(env: &Env, object: ObjectKind, tenant: Uuid, id: Uuid) -> Option<Uuid> {
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

/// An account of the rep's, by name only.
async fn account(env: &Env, owner: &Actor, name: &str) -> Uuid {
    let input = crate::account_fixture::AccountInput {
        name: Some(name.into()),
        ..Default::default()
    };
    crate::account_fixture::create(&env.app, owner, &input)
        .await
        .expect("account")
        .id
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
    let open = lead(&env, &rep, "未转化线索", rep.id()).await;
    let busy = account(&env, &rep, "有商机客户").await;
    // Converted into the account that has a deal (a converted lead is never recycled).
    app::conversion::convert(
        &env.app,
        &fresh(&env, &rep).await,
        ObjectKind::Lead,
        converted,
        app::conversion::Convert {
            account: app::conversion::Target::Link(busy),
            contact: app::conversion::Target::Create(Vec::new()),
            opportunity: None,
            version: None,
        },
    )
    .await
    .expect("convert");
    let quiet = account(&env, &rep, "沉睡客户").await;
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
