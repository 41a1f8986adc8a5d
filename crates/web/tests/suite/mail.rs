//! Notification e-mail against a local SMTP sink: the preference per kind decides between
//! the inbox and a mail (both, none, e-mail only), mails are in the recipient's language and
//! link to the record under the public URL, a server that is down or refusing is retried
//! with the queue's back-off until it takes the mail, or the job is dead after its last
//! attempt; only administrators see the server settings and the delivery log, the password
//! never leaves the server, and each user sets only their own preferences.

use crate::on_both_databases;
use crate::smtp_sink::{Answer, SmtpSink};
use crate::support::{Company, Env, PASSWORD};
use app::mail::{MailOptions, SettingsInput, SmtpServer};
use app::{Actor, App};
use axum::http::{Method, StatusCode};
use base64::prelude::{Engine as _, BASE64_STANDARD};
use chrono::{Duration, SecondsFormat};
use domain::permissions::ObjectKind;
use serde_json::json;
use uuid::Uuid;

const SMTP_PASSWORD: &str = "s3cret-Pw-4711";

/// A user with a language of their own (`None`: Chinese, the default).
async fn user(env: &Env, c: &Company, email: &str, role: &str, locale: Option<&str>) -> Actor {
    let role_id = env.role_id(c, role).await;
    let id = app::org::create_user(
        &env.app,
        &c.admin,
        app::org::UserInput {
            email: email.into(),
            name: email.split('@').next().unwrap_or(email).into(),
            password: Some(PASSWORD.into()),
            role_id: Some(role_id),
            department_id: None,
            manager_id: None,
            active: true,
            locale: locale.map(str::to_string),
        },
    )
    .await
    .expect("create user");
    env.actor(c.tenant_id, id).await
}

/// The company sends through the sink, as its administrator set it on the page.
async fn use_sink(env: &Env, c: &Company, sink: &SmtpSink) {
    app::mail::save_settings(
        &env.app,
        &c.admin,
        &SettingsInput {
            host: "127.0.0.1".into(),
            port: sink.port().to_string(),
            security: "none".into(),
            username: String::new(),
            password: String::new(),
            from_address: "crm@a.example".into(),
        },
    )
    .await
    .expect("save mail settings");
}

async fn prefer(env: &Env, actor: &Actor, kind: &str, channels: &str) {
    app::notifications::set_preferences(&env.app, actor, &[(kind.into(), channels.into())])
        .await
        .expect("set preference");
}

async fn task(env: &Env, actor: &Actor, name: &str, remind_in: Duration) -> Uuid {
    let at = (env.app.now() + remind_in).to_rfc3339_opts(SecondsFormat::Secs, true);
    let input: app::records::Input = [("kind", "task"), ("name", name), ("remind_at", &at)]
        .iter()
        .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
        .collect();
    app::records::create(&env.app, actor, ObjectKind::Activity, &input)
        .await
        .expect("create task")
}

async fn inbox(app: &App, actor: &Actor) -> Vec<String> {
    app::notifications::list(app, actor, false, None, 200)
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|n| n.kind)
        .collect()
}

async fn deliveries(env: &Env, admin: &Actor) -> Vec<store::mail::Delivery> {
    app::mail::deliveries(&env.app, admin, None, 200)
        .await
        .expect("deliveries")
        .items
}

/// Runs the due jobs with mails linking under a public URL.
async fn run_jobs_with_public_url(env: &Env) {
    let app = env.app.clone().with_mail(MailOptions {
        smtp_url: None,
        public_url: Some("https://crm.a.example".into()),
    });
    app::jobs::Worker::new(app, web::mail::job_registry().without_schedules())
        .run_until_idle()
        .await
        .expect("jobs run");
}

async fn a_reminder_by_both_channels_is_in_the_inbox_and_mailed_in_the_users_language(env: Env) {
    let sink = SmtpSink::start().await;
    let c = env.company("甲公司", "admin@a.example").await;
    use_sink(&env, &c, &sink).await;
    let english = user(&env, &c, "lee@a.example", "sales_rep", Some("en")).await;
    let chinese = user(&env, &c, "wang@a.example", "sales_rep", None).await;
    prefer(&env, &english, "task_reminder", "both").await;
    prefer(&env, &chinese, "task_reminder", "both").await;
    let id = task(&env, &english, "Call back Huawei", Duration::minutes(1)).await;
    task(&env, &chinese, "发报价", Duration::minutes(1)).await;
    run_jobs_with_public_url(&env).await;
    assert!(sink.received().is_empty(), "not due yet");
    env.clock.advance(Duration::minutes(1));
    run_jobs_with_public_url(&env).await;
    assert_eq!(inbox(&env.app, &english).await, vec!["task_reminder"]);
    assert_eq!(inbox(&env.app, &chinese).await, vec!["task_reminder"]);
    let mut mails = sink.received();
    mails.sort_by(|a, b| a.to.cmp(&b.to));
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[0].to, vec!["lee@a.example".to_string()]);
    assert_eq!(mails[0].from, "crm@a.example");
    assert_eq!(mails[0].subject(), "Reminder: Call back Huawei");
    let body = mails[0].body();
    assert!(
        body.contains(&format!("https://crm.a.example/activities/{id}")),
        "{body}"
    );
    assert!(body.contains("https://crm.a.example/settings"), "{body}");
    assert_eq!(mails[1].to, vec!["wang@a.example".to_string()]);
    assert_eq!(mails[1].subject(), "任务提醒：发报价");
    assert!(mails[1].body().contains("我的设置"));
    // The log has both, sent at the first attempt; running again sends nothing twice.
    let log = deliveries(&env, &c.admin).await;
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|d| d.state == "sent" && d.attempts == 1));
    assert!(log
        .iter()
        .any(|d| d.subject.as_deref() == Some("任务提醒：发报价")));
    env.clock.advance(Duration::minutes(5));
    run_jobs_with_public_url(&env).await;
    assert_eq!(sink.received().len(), 2);
}

async fn none_gives_nothing_and_email_gives_only_a_mail(env: Env) {
    let sink = SmtpSink::start().await;
    let c = env.company("甲公司", "admin@a.example").await;
    use_sink(&env, &c, &sink).await;
    let rep = user(&env, &c, "rep@a.example", "sales_rep", None).await;
    prefer(&env, &rep, "task_reminder", "none").await;
    prefer(&env, &rep, "assigned", "email").await;
    task(&env, &rep, "不提醒", Duration::minutes(1)).await;
    env.clock.advance(Duration::minutes(2));
    env.run_jobs().await;
    assert!(inbox(&env.app, &rep).await.is_empty());
    assert!(sink.received().is_empty());
    assert!(deliveries(&env, &c.admin).await.is_empty());
    // Assigned by the administrator: a mail, no inbox entry.
    let input = crate::account_fixture::AccountInput {
        name: Some("华为技术".into()),
        owner_id: Some(rep.id().to_string()),
        ..Default::default()
    };
    crate::account_fixture::create(&env.app, &c.admin, &input)
        .await
        .expect("create account");
    env.run_jobs().await;
    assert!(inbox(&env.app, &rep).await.is_empty());
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject(), "分配给你：华为技术");
    // Without a public URL the mail carries no link.
    assert!(!mails[0].body().contains("http"), "{}", mails[0].body());
    // Back to the default: the inbox only.
    prefer(&env, &rep, "assigned", "in_app").await;
    let input = crate::account_fixture::AccountInput {
        name: Some("中兴通讯".into()),
        owner_id: Some(rep.id().to_string()),
        ..Default::default()
    };
    crate::account_fixture::create(&env.app, &c.admin, &input)
        .await
        .expect("create account");
    env.run_jobs().await;
    assert_eq!(inbox(&env.app, &rep).await, vec!["assigned"]);
    assert_eq!(sink.received().len(), 1);
}

async fn a_mail_is_retried_while_the_server_is_down_or_refusing(env: Env) {
    let mut sink = SmtpSink::start().await;
    let c = env.company("甲公司", "admin@a.example").await;
    use_sink(&env, &c, &sink).await;
    let rep = user(&env, &c, "rep@a.example", "sales_rep", Some("en")).await;
    prefer(&env, &rep, "task_reminder", "email").await;
    sink.down().await;
    task(&env, &rep, "Send the quote", Duration::minutes(1)).await;
    env.clock.advance(Duration::minutes(1));
    env.run_jobs().await;
    let log = deliveries(&env, &c.admin).await;
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].state.as_str(), log[0].attempts), ("retrying", 1));
    assert!(log[0].last_error.is_some());
    // The server is back but answers "try later": the retry after one minute fails too.
    sink.up().await;
    sink.answer(Answer::Refuse("451 4.3.0 try again later".into()));
    env.clock.advance(Duration::seconds(59));
    assert_eq!(env.run_jobs().await, 0, "the back-off is not over");
    env.clock.advance(Duration::seconds(1));
    env.run_jobs().await;
    let log = deliveries(&env, &c.admin).await;
    assert_eq!((log[0].state.as_str(), log[0].attempts), ("retrying", 2));
    assert!(
        log[0].last_error.as_deref().unwrap_or("").contains("451"),
        "{:?}",
        log[0].last_error
    );
    assert!(sink.received().is_empty());
    // It takes the mail at the third attempt, two minutes later.
    sink.answer(Answer::Accept);
    env.clock.advance(Duration::minutes(2));
    env.run_jobs().await;
    let log = deliveries(&env, &c.admin).await;
    assert_eq!((log[0].state.as_str(), log[0].attempts), ("sent", 3));
    assert!(log[0].sent_at.is_some());
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject(), "Reminder: Send the quote");
    assert!(inbox(&env.app, &rep).await.is_empty());
}

async fn a_mail_refused_to_the_last_attempt_is_a_dead_job(env: Env) {
    let sink = SmtpSink::start().await;
    let c = env.company("甲公司", "admin@a.example").await;
    use_sink(&env, &c, &sink).await;
    let rep = user(&env, &c, "rep@a.example", "sales_rep", None).await;
    prefer(&env, &rep, "task_reminder", "both").await;
    sink.answer(Answer::Refuse("550 5.1.1 no such mailbox".into()));
    task(&env, &rep, "发报价", Duration::minutes(1)).await;
    for _ in 0..app::jobs::DEFAULT_MAX_ATTEMPTS {
        env.clock.advance(Duration::hours(1));
        env.run_jobs().await;
    }
    let dead = app::jobs::list(&env.app, &c.admin, &[app::jobs::DEAD])
        .await
        .expect("dead jobs");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].kind, app::mail::SendMail::KIND);
    assert!(dead[0].last_error.as_deref().unwrap_or("").contains("550"));
    let log = deliveries(&env, &c.admin).await;
    assert_eq!(
        (log[0].state.as_str(), log[0].attempts),
        ("failed", app::jobs::DEFAULT_MAX_ATTEMPTS)
    );
    assert_eq!(inbox(&env.app, &rep).await, vec!["task_reminder"]);
    // The administrator sees it on the jobs page and the log on the mail page.
    let mut browser = env.browser();
    browser.login("admin@a.example").await;
    let page = browser.get("/admin/jobs").await;
    page.assert_contains("发送邮件");
    let page = browser.get("/admin/mail").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("data-state=\"failed\"");
    page.assert_contains("no such mailbox");
    assert!(
        !page.body.contains("admin.mail."),
        "every text is translated"
    );
    // Retried by the administrator once the server takes it, it is sent.
    sink.answer(Answer::Accept);
    app::jobs::retry(&env.app, &c.admin, dead[0].id)
        .await
        .expect("retry");
    env.run_jobs().await;
    assert_eq!(sink.received().len(), 1);
    assert_eq!(deliveries(&env, &c.admin).await[0].state, "sent");
}

async fn only_administrators_see_the_mail_server_and_the_delivery_log(env: Env) {
    let sink = SmtpSink::start().await;
    let c = env.company("甲公司", "admin@a.example").await;
    use_sink(&env, &c, &sink).await;
    let rep = user(&env, &c, "rep@a.example", "sales_rep", None).await;
    let manager = user(&env, &c, "boss@a.example", "sales_manager", None).await;
    for (actor, email) in [(&rep, "rep@a.example"), (&manager, "boss@a.example")] {
        let api = env.api(&env.token(actor).await);
        assert_eq!(
            api.get("/api/v1/mail/deliveries").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            api.get("/api/v1/mail/settings").await.status,
            StatusCode::FORBIDDEN
        );
        let mut browser = env.browser();
        browser.login(email).await;
        assert_eq!(
            browser.get("/admin/mail").await.status,
            StatusCode::FORBIDDEN
        );
        let r = browser
            .post(
                "/admin/mail",
                &[
                    ("host", "evil.example"),
                    ("port", "25"),
                    ("security", "none"),
                    ("from_address", "x@evil.example"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = browser.post("/admin/mail/test", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    assert!(sink.received().is_empty());
    let settings = app::mail::settings(&env.app, &c.admin)
        .await
        .expect("settings");
    assert_eq!(settings.host, "127.0.0.1");
    // The administrator reads the log a page at a time, newest first.
    let admin_api = env.api(&env.token(&c.admin).await);
    for name in ["一", "二", "三"] {
        prefer(&env, &rep, "assigned", "email").await;
        let input = crate::account_fixture::AccountInput {
            name: Some(format!("客户{name}")),
            owner_id: Some(rep.id().to_string()),
            ..Default::default()
        };
        crate::account_fixture::create(&env.app, &c.admin, &input)
            .await
            .expect("create account");
    }
    env.run_jobs().await;
    let first = admin_api.get("/api/v1/mail/deliveries?limit=2").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let first = first.json();
    assert_eq!(first["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["items"][0]["subject"], "分配给你：客户三");
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let second = admin_api
        .get(&format!("/api/v1/mail/deliveries?limit=2&cursor={cursor}"))
        .await
        .json();
    assert_eq!(second["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(second["items"][0]["subject"], "分配给你：客户一");
    assert!(second["next_cursor"].is_null());
    let r = admin_api.get("/api/v1/mail/deliveries?cursor=nope").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn each_user_sets_only_their_own_preferences_and_bad_input_changes_nothing(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let rep = user(&env, &c, "rep@a.example", "sales_rep", None).await;
    let other = user(&env, &c, "other@a.example", "sales_rep", None).await;
    let api = env.api(&env.token(&rep).await);
    let path = "/api/v1/me/notification-preferences";
    let r = api.get(path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"task_reminder": "in_app", "assigned": "in_app", "shared": "in_app",
            "stage_due_soon": "in_app", "stage_overdue": "in_app", "deal_resume_due": "in_app",
            "pool_reminder": "in_app"})
    );
    let r = api
        .call(
            Method::PUT,
            path,
            Some(json!({"task_reminder": "both", "assigned": "none"})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"task_reminder": "both", "assigned": "none", "shared": "in_app", "stage_due_soon": "in_app", "stage_overdue": "in_app", "deal_resume_due": "in_app", "pool_reminder": "in_app"})
    );
    let others = env.api(&env.token(&other).await).get(path).await.json();
    assert_eq!(
        others,
        json!({"task_reminder": "in_app", "assigned": "in_app", "shared": "in_app", "stage_due_soon": "in_app", "stage_overdue": "in_app", "deal_resume_due": "in_app", "pool_reminder": "in_app"})
    );
    // Unknown kinds and choices, and wrong types, are field errors and change nothing.
    for (body, field, code) in [
        (
            json!({"task_reminder": "email", "mentions": "both"}),
            "mentions",
            "unknown_field",
        ),
        (
            json!({"assigned": "sometimes"}),
            "assigned",
            "invalid_choice",
        ),
        (json!({"assigned": 3}), "assigned", "wrong_type"),
    ] {
        let r = api
            .call(
                Method::PUT,
                path,
                Some(body),
                &[("accept-language", "zh-CN")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let error = &r.json()["error"]["fields"][0];
        assert_eq!(
            (error["field"].as_str(), error["code"].as_str()),
            (Some(field), Some(code))
        );
        let message = error["message"].as_str().unwrap_or("");
        assert!(
            !message.is_empty() && !message.starts_with("error."),
            "{message}"
        );
        assert!(!message.is_ascii(), "translated: {message}");
    }
    assert_eq!(
        api.get(path).await.json(),
        json!({"task_reminder": "both", "assigned": "none", "shared": "in_app", "stage_due_soon": "in_app", "stage_overdue": "in_app", "deal_resume_due": "in_app", "pool_reminder": "in_app"})
    );
    // The settings page shows the choices and saves them; a bad value is refused whole.
    let mut browser = env.browser();
    browser.login("rep@a.example").await;
    let page = browser.get("/settings").await;
    assert!(
        !page.body.contains("settings.channel."),
        "every text is translated"
    );
    page.assert_contains("id=\"pref-task_reminder-both\" aria-label=\"提醒: 站内和邮件\" checked");
    let r = browser
        .post(
            "/settings/notifications",
            &[("task_reminder", "email"), ("assigned", "both")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        api.get(path).await.json(),
        json!({"task_reminder": "email", "assigned": "both", "shared": "in_app", "stage_due_soon": "in_app", "stage_overdue": "in_app", "deal_resume_due": "in_app", "pool_reminder": "in_app"})
    );
    let r = browser
        .post(
            "/settings/notifications",
            &[("task_reminder", "none"), ("assigned", "loud")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_contains("不是允许的选项");
    assert_eq!(
        api.get(path).await.json(),
        json!({"task_reminder": "email", "assigned": "both", "shared": "in_app", "stage_due_soon": "in_app", "stage_overdue": "in_app", "deal_resume_due": "in_app", "pool_reminder": "in_app"})
    );
}

async fn the_smtp_password_never_leaves_the_server(env: Env) {
    let mut sink = SmtpSink::start().await;
    let c = env.company("甲公司", "admin@a.example").await;
    let mut browser = env.browser();
    browser.login("admin@a.example").await;
    let port = sink.port().to_string();
    let form = [
        ("host", "127.0.0.1"),
        ("port", port.as_str()),
        ("security", "none"),
        ("username", "crm"),
        ("password", SMTP_PASSWORD),
        ("from_address", "crm@a.example"),
    ];
    let r = browser.post("/admin/mail", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = browser.get("/admin/mail?notice=mail_saved").await;
    page.assert_contains("已设置密码");
    assert!(!page.body.contains(SMTP_PASSWORD));
    let api = env.api(&env.token(&c.admin).await);
    let settings = api.get("/api/v1/mail/settings").await;
    assert_eq!(settings.status, StatusCode::OK);
    assert!(!settings.body.contains(SMTP_PASSWORD));
    assert_eq!(settings.json()["password_set"], true);
    assert_eq!(settings.json()["username"], "crm");
    // A refused form shows the errors, not the password, and changes nothing.
    let r = browser
        .post(
            "/admin/mail",
            &[
                ("host", "bad host"),
                ("port", "70000"),
                ("security", "ssl3"),
                ("username", "crm"),
                ("password", "another-secret-9"),
                ("from_address", "not an address"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_contains("不是有效的主机名");
    assert!(!r.body.contains("another-secret-9"));
    // Saved again with an empty password field, the stored password stays.
    let mut keep = form;
    keep[4] = ("password", "");
    assert_eq!(
        browser.post("/admin/mail", &keep).await.status,
        StatusCode::SEE_OTHER
    );
    let mut tx = env.app.db.begin_read().await.expect("tx");
    let stored = store::mail::settings(&mut tx, c.tenant_id)
        .await
        .expect("settings")
        .expect("stored");
    drop(tx);
    assert_eq!(stored.password.as_deref(), Some(SMTP_PASSWORD));
    // The test mail goes out at once, signed in with the stored user name and password.
    let r = browser.post("/admin/mail/test", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let auth = sink.auth();
    assert_eq!(auth.len(), 1);
    let plain = format!("\0crm\0{SMTP_PASSWORD}");
    assert_eq!(auth[0], BASE64_STANDARD.encode(plain));
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject(), "Meridian 测试邮件");
    assert_eq!(mails[0].to, vec!["admin@a.example".to_string()]);
    sink.down().await;
    let r = browser.post("/admin/mail/test", &[]).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    r.assert_contains("测试邮件未发出");
    assert!(!r.body.contains(SMTP_PASSWORD));
    // A server given at start-up is used instead, and the page says so.
    let overriding = env.app.clone().with_mail(MailOptions {
        smtp_url: Some(SmtpServer::from_url("smtp://relay.a.example:25?tls=none").expect("url")),
        public_url: None,
    });
    let router = web::router(web::AppState::new(overriding, false));
    let r = browser.on_router(router).get("/admin/mail").await;
    r.assert_contains("relay.a.example:25");
    r.assert_contains("id=\"smtp-overridden\"");
}

on_both_databases!(
    a_reminder_by_both_channels_is_in_the_inbox_and_mailed_in_the_users_language,
    none_gives_nothing_and_email_gives_only_a_mail,
    a_mail_is_retried_while_the_server_is_down_or_refusing,
    a_mail_refused_to_the_last_attempt_is_a_dead_job,
    only_administrators_see_the_mail_server_and_the_delivery_log,
    each_user_sets_only_their_own_preferences_and_bad_input_changes_nothing,
    the_smtp_password_never_leaves_the_server,
);
