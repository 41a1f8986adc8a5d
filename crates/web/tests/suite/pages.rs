use crate::on_both_databases;
use crate::support::{Env, PASSWORD};
use axum::http::StatusCode;

on_both_databases!(
    setup_once_then_sign_in,
    csrf_token_is_required,
    failed_logins_are_throttled,
    sign_out_and_password_change_end_sessions,
    account_pages_main_path,
    bad_forms_change_nothing,
    health_metrics_and_assets
);

async fn setup_once_then_sign_in(env: Env) {
    let mut b = env.browser();
    let r = b.get("/").await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, "/setup".into())
    );
    let r = b.get("/setup").await;
    r.assert_contains("初始化");
    // Invalid set-up shows field errors and creates nothing.
    let r = b
        .post(
            "/setup",
            &[
                ("company", ""),
                ("name", "王总"),
                ("email", "bad"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_contains("必填");
    r.assert_contains("不是有效的邮箱地址");
    r.assert_contains("至少 8 个字符");
    assert!(app::auth::needs_setup(&env.app).await.unwrap());
    let r = b
        .post(
            "/setup",
            &[
                ("company", "华南机械"),
                ("name", "王总"),
                ("email", "Boss@Example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, "/accounts?notice=welcome".into())
    );
    let r = b.get("/accounts?notice=welcome").await;
    r.assert_contains("欢迎使用 Meridian");
    r.assert_contains("王总");
    // Set-up is closed now, for everyone.
    let mut other = env.browser();
    assert_eq!(other.get("/setup").await.location(), "/login");
    let r = other
        .post(
            "/setup",
            &[
                ("company", "Another"),
                ("name", "X"),
                ("email", "x@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.location(), "/login");
    let mut tx = env.app.db.begin_read().await.unwrap();
    assert!(store::tenants::find_by_name(&mut tx, "Another")
        .await
        .unwrap()
        .is_none());
    drop(tx);
    // Sign in with the address in another case; then back to the page asked for.
    other.get("/login").await;
    let r = other
        .post(
            "/login",
            &[
                ("email", "boss@example.com"),
                ("password", PASSWORD),
                ("next", "/settings"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/settings");
    // An off-site `next` is ignored.
    let mut third = env.browser();
    third.get("/login").await;
    let r = third
        .post(
            "/login",
            &[
                ("email", "boss@example.com"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/");
}

async fn csrf_token_is_required(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let mut b = env.browser();
    b.login("admin@a.example").await;
    let r = b.post_raw("/accounts", "name=NoToken").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    r.assert_contains("表单已过期");
    let r = b
        .post_raw(
            "/accounts",
            &format!("csrf_token={}&name=WrongToken", "0".repeat(64)),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(env.account_count(c.tenant_id).await, 0);
    let mut fresh = env.browser();
    let r = fresh
        .post_raw("/login", "email=admin%40a.example&password=correct+horse")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // With the token it works.
    let r = b.post("/accounts", &[("name", "WithToken")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(env.account_count(c.tenant_id).await, 1);
}

async fn failed_logins_are_throttled(env: Env) {
    env.company("Acme", "admin@a.example").await;
    let mut b = env.browser();
    b.get("/login").await;
    for _ in 0..5 {
        let r = b
            .post(
                "/login",
                &[("email", "admin@a.example"), ("password", "wrong password")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        r.assert_contains("邮箱或密码错误");
    }
    // Even the right password is refused while throttled.
    let r = b
        .post(
            "/login",
            &[("email", "admin@a.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    r.assert_contains("分钟后再试");
    // An unknown address is treated the same as a wrong password.
    let r = b
        .post(
            "/login",
            &[("email", "nobody@a.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    env.clock.advance(chrono::Duration::minutes(16));
    let r = b
        .post(
            "/login",
            &[("email", "admin@a.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

async fn sign_out_and_password_change_end_sessions(env: Env) {
    env.company("Acme", "admin@a.example").await;
    let mut first = env.browser();
    first.login("admin@a.example").await;
    let mut second = env.browser();
    second.login("admin@a.example").await;
    assert_eq!(second.get("/accounts").await.status, StatusCode::OK);

    let r = first
        .post(
            "/settings/password",
            &[
                ("current_password", "wrong one!"),
                ("new_password", "new password 1"),
                ("confirm_password", "new password 1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_contains("当前密码错误");
    let r = first
        .post(
            "/settings/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "new password 1"),
                ("confirm_password", "different 1"),
            ],
        )
        .await;
    r.assert_contains("两次输入的密码不一致");
    let r = first
        .post(
            "/settings/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "new password 1"),
                ("confirm_password", "new password 1"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/settings?notice=password_changed");
    // The other session is over; this one goes on.
    assert!(second
        .get("/accounts")
        .await
        .location()
        .starts_with("/login"));
    assert_eq!(first.get("/accounts").await.status, StatusCode::OK);
    // The old password no longer works; the new one does.
    let mut third = env.browser();
    third.get("/login").await;
    assert_eq!(
        third
            .post(
                "/login",
                &[("email", "admin@a.example"), ("password", PASSWORD)]
            )
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        third
            .post(
                "/login",
                &[("email", "admin@a.example"), ("password", "new password 1")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // Signing out ends the session on the server.
    let r = first.post("/logout", &[]).await;
    assert_eq!(r.location(), "/login");
    assert!(first
        .get("/accounts")
        .await
        .location()
        .starts_with("/login"));
}

async fn account_pages_main_path(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let mut b = env.browser();
    b.login("admin@a.example").await;
    b.get("/accounts/new").await.assert_contains("新建客户");
    let r = b
        .post(
            "/accounts",
            &[
                ("name", "深圳华为技术有限公司"),
                ("grade", "A"),
                ("province", "44"),
                ("phone", "13812345678"),
                ("tags", "VIP，重点"),
                ("account_type", "customer"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let url = r.location();
    let id = url
        .trim_start_matches("/accounts/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let page = b.get(&url).await;
    page.assert_contains("客户已创建");
    page.assert_contains("深圳华为技术有限公司");
    page.assert_contains("广东");
    page.assert_contains("+86 138 1234 5678");
    let edit = b.get(&format!("/accounts/{id}/edit")).await;
    edit.assert_contains("name=\"version\" value=\"1\"");
    let r = b
        .post(
            &format!("/accounts/{id}"),
            &[
                ("name", "华为技术"),
                ("grade", "B"),
                ("province", "44"),
                ("version", "1"),
                ("owner_id", &c.admin.id().to_string()),
            ],
        )
        .await;
    assert_eq!(r.location(), format!("/accounts/{id}?notice=record_saved"));
    let page = b.get(&format!("/accounts/{id}")).await;
    page.assert_contains("字段变更历史");
    page.assert_contains("<del>深圳华为技术有限公司</del>");
    page.assert_contains("<ins>华为技术</ins>");
    page.assert_contains("<del>A 重点</del> → <ins>B 重要</ins>");
    // A stale form keeps the user's input, says why, and saves nothing.
    let r = b
        .post(
            &format!("/accounts/{id}"),
            &[("name", "Stale edit"), ("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    r.assert_contains("已被他人修改");
    r.assert_contains("Stale edit");
    assert_eq!(
        crate::account_fixture::get(&env.app, &c.admin, id.parse().unwrap())
            .await
            .unwrap()
            .name,
        "华为技术"
    );
    // The list finds it by a two-character fragment; htmx "load more" gets just rows.
    let list = b.get("/accounts?q=%E5%8D%8E%E4%B8%BA").await;
    list.assert_contains("华为技术");
    // English.
    let mut en = env.browser();
    en.accept_language = "en-US,en;q=0.9".into();
    en.login("admin@a.example").await;
    let page = en.get(&format!("/accounts/{id}")).await;
    page.assert_contains("Field history");
    page.assert_contains("Guangdong");
    // Switching language sticks to the user.
    let r = en.post("/language", &[("lang", "en")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    b.post("/language", &[("lang", "en")]).await;
    b.get("/accounts").await.assert_contains("New account");
    // Delete through the page.
    let r = b
        .post(&format!("/accounts/{id}/delete"), &[("version", "2")])
        .await;
    assert_eq!(r.location(), "/accounts?notice=record_deleted");
    assert_eq!(
        b.get(&format!("/accounts/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn bad_forms_change_nothing(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let mut b = env.browser();
    b.login("admin@a.example").await;
    let r = b
        .post(
            "/accounts",
            &[
                ("name", ""),
                ("credit_code", "91350100M000100Y44"),
                ("website", "no site"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_contains("必填");
    r.assert_contains("统一社会信用代码无效");
    r.assert_contains("不是有效的网址");
    let long = "长".repeat(201);
    let r = b.post("/accounts", &[("name", &long)]).await;
    r.assert_contains("最多 200 个字符");
    // Unknown and malformed ids are 404s.
    assert_eq!(
        b.get("/accounts/not-an-id").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.get(&format!("/accounts/{}", uuid::Uuid::now_v7()))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A filter that makes no sense is explained, not ignored.
    let r = b.get("/accounts?sort=colour&grade=Z").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_contains("不是允许的选项");
    // An oversized body is refused.
    let huge = format!("csrf_token={}&name={}", b.csrf(), "x".repeat(300 * 1024));
    let r = b.post_raw("/accounts", &huge).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // A missing version on an edit is refused.
    let a = env.account(&c.admin, "Kept").await;
    let r = b
        .post(&format!("/accounts/{}", a.id), &[("name", "Changed")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        crate::account_fixture::get(&env.app, &c.admin, a.id)
            .await
            .unwrap()
            .name,
        "Kept"
    );
    assert_eq!(env.account_count(c.tenant_id).await, 1);
}

async fn health_metrics_and_assets(env: Env) {
    let mut b = env.browser();
    let r = b.get("/healthz").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "ok\nreads: ok\nwrites: ok\n")
    );
    let r = b.get("/readyz").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ready\n"));
    b.get("/login").await;
    let r = b.get("/metrics").await;
    r.assert_contains("meridian_http_requests_total");
    r.assert_contains("route=\"/login\"");
    let r = b.get("/assets/0.1.0/htmx.min.js").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.len() > 10_000);
    assert_eq!(
        b.get("/assets/0.1.0/nothing.js").await.status,
        StatusCode::NOT_FOUND
    );
}
