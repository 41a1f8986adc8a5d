//! The in-app inbox: a task's reminder fires once at its time (again when postponed), two
//! workers on one database notify once; an owner change by someone else notifies the new
//! owner on every object; the list, marks and the capped count; a user sees only their own.

use crate::on_both_databases;
use crate::support::Env;
use app::jobs::{Registry, Worker};
use app::notifications::{self, FireReminders};
use app::{Actor, App};
use axum::http::StatusCode;
use chrono::{Duration, SecondsFormat};
use domain::permissions::ObjectKind;
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

fn input(pairs: &[(&str, &str)]) -> app::records::Input {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
        .collect()
}

async fn task(env: &Env, actor: &Actor, name: &str, remind_in: Duration) -> Uuid {
    let at = (env.app.now() + remind_in).to_rfc3339_opts(SecondsFormat::Secs, true);
    app::records::create(
        &env.app,
        actor,
        ObjectKind::Activity,
        &input(&[("kind", "task"), ("name", name), ("remind_at", &at)]),
    )
    .await
    .expect("create task")
}

async fn inbox(app: &App, actor: &Actor) -> Vec<(String, String)> {
    notifications::list(app, actor, false, None, 200)
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|n| {
            (
                n.kind,
                n.params.0["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn reminders_worker(app: &App) -> Worker {
    Worker::new(
        app.clone(),
        Registry::default()
            .register(FireReminders)
            .schedule(FireReminders::schedule()),
    )
}

async fn reminders_fire_once_at_their_minute_and_again_when_postponed(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let id = task(&env, &rep, "发报价", Duration::minutes(2)).await;
    let worker = reminders_worker(&env.app);
    worker.run_until_idle().await.expect("run");
    assert!(inbox(&env.app, &rep).await.is_empty(), "not yet due");
    env.clock.advance(Duration::seconds(119));
    worker.run_until_idle().await.expect("run");
    assert!(inbox(&env.app, &rep).await.is_empty(), "a second early");
    env.clock.advance(Duration::seconds(1));
    worker.run_until_idle().await.expect("run");
    let expected = vec![("task_reminder".to_string(), "发报价".to_string())];
    assert_eq!(inbox(&env.app, &rep).await, expected);
    // Later minutes, and a direct second run, do not notify again.
    env.clock.advance(Duration::minutes(3));
    worker.run_until_idle().await.expect("run");
    assert_eq!(
        notifications::fire_reminders(&env.app, c.tenant_id)
            .await
            .expect("fire"),
        0
    );
    assert_eq!(inbox(&env.app, &rep).await.len(), 1);
    assert_eq!(
        notifications::unread_count(&env.app, &rep)
            .await
            .expect("count"),
        1
    );
    // Postponed by a day, the reminder fires again at its new time.
    app::activities::postpone(&env.app, &rep, id, None, 1)
        .await
        .expect("postpone");
    env.clock.advance(Duration::hours(23));
    worker.run_until_idle().await.expect("run");
    assert_eq!(inbox(&env.app, &rep).await.len(), 1);
    env.clock.advance(Duration::hours(1));
    worker.run_until_idle().await.expect("run");
    assert_eq!(inbox(&env.app, &rep).await.len(), 2);
    // The owner's colleague got nothing; a done task's reminder does not fire.
    let other = env
        .user(&c, "other@a.example", "sales_rep", None, None)
        .await;
    assert!(inbox(&env.app, &other).await.is_empty());
    let done = task(&env, &other, "已完成", Duration::minutes(1)).await;
    app::activities::complete(&env.app, &other, done, None)
        .await
        .expect("complete");
    env.clock.advance(Duration::minutes(2));
    worker.run_until_idle().await.expect("run");
    assert!(inbox(&env.app, &other).await.is_empty());
}

async fn a_reminder_fires_at_its_second_by_its_own_job(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    // No schedule: only the job the task's save enqueued at its reminder time.
    let worker = Worker::new(env.app.clone(), Registry::default().register(FireReminders));
    let id = task(&env, &rep, "回电话", Duration::seconds(90)).await;
    env.clock.advance(Duration::seconds(89));
    assert!(
        worker.step().await.expect("step").is_none(),
        "nothing due yet"
    );
    env.clock.advance(Duration::seconds(1));
    assert_eq!(worker.run_until_idle().await.expect("run"), 1);
    assert_eq!(inbox(&env.app, &rep).await.len(), 1);
    // Postponing enqueues the run at the new time; a done task's does nothing.
    app::activities::postpone(&env.app, &rep, id, None, 1)
        .await
        .expect("postpone");
    env.clock.advance(Duration::days(1));
    assert_eq!(worker.run_until_idle().await.expect("run"), 1);
    assert_eq!(inbox(&env.app, &rep).await.len(), 2);
    let done = task(&env, &rep, "已办", Duration::seconds(30)).await;
    app::activities::complete(&env.app, &rep, done, None)
        .await
        .expect("complete");
    env.clock.advance(Duration::minutes(1));
    worker.run_until_idle().await.expect("run");
    assert_eq!(inbox(&env.app, &rep).await.len(), 2);
}

async fn two_workers_notify_each_reminder_once(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    for n in 0..30 {
        task(
            &env,
            &rep,
            &format!("任务{n}"),
            Duration::minutes(1 + n % 3),
        )
        .await;
    }
    let other_db = crate::support::second_pool(&env.app.db).await;
    let other_app = App::with_clock(other_db.clone(), env.clock.clone());
    for _minute in 0..4 {
        env.clock.advance(Duration::minutes(1));
        // Both workers run the job, and the fire directly too, at once.
        let apps = [env.app.clone(), other_app.clone()];
        let mut handles = Vec::new();
        for app in apps {
            let worker = Arc::new(reminders_worker(&app));
            handles.push(tokio::spawn(async move {
                worker.run_until_idle().await.expect("run");
                notifications::fire_reminders(&app, c.tenant_id)
                    .await
                    .expect("fire")
            }));
        }
        for h in handles {
            h.await.expect("worker");
        }
    }
    let mut names: Vec<String> = inbox(&env.app, &rep)
        .await
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    names.sort();
    let mut expected: Vec<String> = (0..30).map(|n| format!("任务{n}")).collect();
    expected.sort();
    assert_eq!(names, expected, "each reminder exactly once");
    other_db.close().await;
}

async fn an_owner_change_by_someone_else_notifies_the_new_owner(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let manager = env
        .user(&c, "mgr@a.example", "sales_manager", None, None)
        .await;
    let admin = &c.admin;
    // Created by the rep for themselves: nothing.
    let own = env.account(&rep, "自己的客户").await;
    assert!(inbox(&env.app, &rep).await.is_empty());
    // An account created for the rep, then one transferred to them.
    let given = crate::account_fixture::AccountInput {
        name: Some("分给你的客户".into()),
        owner_id: Some(rep.id().to_string()),
        ..Default::default()
    };
    crate::account_fixture::create(&env.app, admin, &given)
        .await
        .expect("create for the rep");
    let theirs = env.account(admin, "转给你的客户").await;
    crate::account_fixture::transfer(&env.app, admin, theirs.id, theirs.version, rep.id())
        .await
        .expect("transfer");
    // A contact created for the rep, and an opportunity reassigned to them by an edit.
    app::records::create(
        &env.app,
        admin,
        ObjectKind::Contact,
        &input(&[("name", "王经理"), ("owner_id", &rep.id().to_string())]),
    )
    .await
    .expect("contact");
    let opp = app::records::create(
        &env.app,
        admin,
        ObjectKind::Opportunity,
        &input(&[
            ("name", "年度框架"),
            ("account_id", &own.id.to_string()),
            ("amount", "1000"),
        ]),
    )
    .await
    .expect("opportunity");
    let current = app::records::get(&env.app, admin, ObjectKind::Opportunity, opp)
        .await
        .expect("get");
    app::records::update(
        &env.app,
        admin,
        ObjectKind::Opportunity,
        opp,
        current.record.version,
        &input(&[("owner_id", &rep.id().to_string())]),
    )
    .await
    .expect("reassign");
    let mut got = inbox(&env.app, &rep).await;
    got.sort();
    let mut expected: Vec<(String, String)> =
        ["分给你的客户", "转给你的客户", "王经理", "年度框架"]
            .iter()
            .map(|n| ("assigned".to_string(), n.to_string()))
            .collect();
    expected.sort();
    assert_eq!(got, expected);
    assert!(
        inbox(&env.app, admin).await.is_empty(),
        "the actor is not told"
    );
    assert!(inbox(&env.app, &manager).await.is_empty());
}

async fn the_api_serves_each_user_only_their_own_notifications(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let manager = env
        .user(&c, "mgr@a.example", "sales_manager", None, None)
        .await;
    for n in 0..3 {
        task(&env, &rep, &format!("任务{n}"), Duration::minutes(1)).await;
    }
    env.clock.advance(Duration::minutes(1));
    notifications::fire_reminders(&env.app, c.tenant_id)
        .await
        .expect("fire");
    let rep_api = env.api(&env.token(&rep).await);
    let manager_api = env.api(&env.token(&manager).await);
    let r = rep_api.get("/api/v1/notifications?limit=2").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = r.json();
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["items"][0]["kind"], "task_reminder");
    assert_eq!(page["items"][0]["object"], "activity");
    assert!(page["items"][0]["text"]
        .as_str()
        .is_some_and(|t| t.contains("任务")));
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let rest = rep_api
        .get(&format!("/api/v1/notifications?cursor={cursor}"))
        .await
        .json();
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(1));
    assert!(rest["next_cursor"].is_null());
    let first = page["items"][0]["id"].as_str().expect("id").to_string();
    // The manager sees none of them and cannot mark the rep's read.
    let r = manager_api.get("/api/v1/notifications").await;
    assert_eq!(r.json()["items"], json!([]));
    let r = manager_api
        .post(&format!("/api/v1/notifications/{first}/read"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = rep_api
        .post(&format!("/api/v1/notifications/{first}/read"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let unread = rep_api
        .get("/api/v1/notifications?unread=true")
        .await
        .json();
    assert_eq!(unread["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(unread["unread"], 2);
    let r = rep_api
        .post("/api/v1/notifications/read-all", json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let unread = rep_api
        .get("/api/v1/notifications?unread=true")
        .await
        .json();
    assert_eq!(unread["items"], json!([]));
    let r = rep_api.get("/api/v1/notifications?colour=red").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = rep_api.get("/api/v1/notifications?cursor=zz").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}

async fn the_bell_and_the_inbox_page_show_mark_and_hide_nothing(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let other = env
        .user(&c, "other@a.example", "sales_rep", None, None)
        .await;
    task(&env, &rep, "发报价", Duration::minutes(1)).await;
    env.clock.advance(Duration::minutes(1));
    notifications::fire_reminders(&env.app, c.tenant_id)
        .await
        .expect("fire");
    let given = crate::account_fixture::AccountInput {
        name: Some("深圳华为".into()),
        phone: Some("0755-12345678".into()),
        owner_id: Some(rep.id().to_string()),
        ..Default::default()
    };
    let account = crate::account_fixture::create(&env.app, &c.admin, &given)
        .await
        .expect("create for the rep");
    let mut browser = env.browser();
    browser.login("rep@a.example").await;
    let home = browser.get("/").await;
    home.assert_contains("aria-label=\"消息 2 条未读\"");
    let page = browser.get("/notifications").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_contains("任务提醒：发报价");
    page.assert_contains("分配给你：深圳华为");
    page.assert_contains(&format!("href=\"/accounts/{}\"", account.id));
    // The account moves out of the rep's scope: the text stays, the link finds nothing.
    crate::account_fixture::transfer(&env.app, &c.admin, account.id, account.version, other.id())
        .await
        .expect("transfer away");
    let page = browser.get("/notifications").await;
    page.assert_contains("分配给你：深圳华为");
    assert!(
        !page.body.contains("12345678"),
        "no field value but the name"
    );
    let r = browser.get(&format!("/accounts/{}", account.id)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Another user's notification cannot be marked; one's own can, then all.
    let theirs = notifications::list(&env.app, &other, false, None, 10)
        .await
        .expect("list")
        .items[0]
        .id;
    let r = browser
        .post(&format!("/notifications/{theirs}/read"), &[])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let mine = notifications::list(&env.app, &rep, false, None, 10)
        .await
        .expect("list")
        .items;
    let r = browser
        .post(&format!("/notifications/{}/read", mine[0].id), &[])
        .await;
    assert_eq!(r.location(), "/notifications");
    browser
        .get("/")
        .await
        .assert_contains("aria-label=\"消息 1 条未读\"");
    let r = browser.post("/notifications/read-all", &[]).await;
    assert_eq!(r.location(), "/notifications");
    let home = browser.get("/").await;
    home.assert_contains("aria-label=\"消息，无未读\"");
    assert!(!home.body.contains("id=\"bell-count\""));
    // A big inbox is counted no further than the cap, in English too.
    let mut tx = env.app.db.begin().await.expect("tx");
    for _ in 0..120 {
        let about = notifications::About {
            object: ObjectKind::Account,
            id: account.id,
            name: "深圳华为",
        };
        notifications::notify(
            &mut tx,
            c.tenant_id,
            rep.id(),
            notifications::Kind::Assigned,
            &about,
            env.app.now(),
        )
        .await
        .expect("notify");
    }
    tx.commit().await.expect("commit");
    assert_eq!(
        notifications::unread_count(&env.app, &rep)
            .await
            .expect("count"),
        100
    );
    browser.accept_language = "en".into();
    browser.post("/language", &[("lang", "en")]).await;
    let home = browser.get("/").await;
    home.assert_contains("aria-label=\"Notifications, 99+ unread\"");
    home.assert_contains(">99+<");
    let page = browser.get("/notifications").await;
    page.assert_contains("Assigned to you: 深圳华为");
    page.assert_contains("id=\"older\"");
}

on_both_databases!(
    a_reminder_fires_at_its_second_by_its_own_job,
    the_bell_and_the_inbox_page_show_mark_and_hide_nothing,
    reminders_fire_once_at_their_minute_and_again_when_postponed,
    two_workers_notify_each_reminder_once,
    an_owner_change_by_someone_else_notifies_the_new_owner,
    the_api_serves_each_user_only_their_own_notifications,
);
