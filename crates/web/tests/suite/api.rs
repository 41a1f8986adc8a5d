use crate::on_both_databases;
use crate::support::Env;
use axum::http::{header, Method, StatusCode};
use serde_json::json;

on_both_databases!(
    idempotent_creates,
    api_crud_with_etags,
    api_refuses_bad_input,
    api_tokens_are_checked,
    sign_ins_are_cached_for_seconds_only,
    openapi_document_describes_the_api
);

async fn api_crud_with_etags(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let r = api.post("/api/v1/accounts", json!({"name": "深圳华为技术有限公司", "grade": "a", "tags": ["VIP"], "province": "44", "credit_code": "91350100M000100Y43"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.headers[header::ETAG], "\"1\"");
    let body = r.json();
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(r.location(), format!("/api/v1/accounts/{id}"));
    assert_eq!(body["grade"], "A");
    assert_eq!(body["owner_id"], c.admin.id().to_string());

    let r = api.get(&format!("/api/v1/accounts/{id}")).await;
    assert_eq!(r.headers[header::ETAG], "\"1\"");
    assert_eq!(r.json()["name"], "深圳华为技术有限公司");

    // PATCH needs a precondition.
    let r = api
        .call(
            Method::PATCH,
            &format!("/api/v1/accounts/{id}"),
            Some(json!({"name": "X"})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(r.json()["error"]["code"], "precondition_required");
    let r = api
        .patch(
            &format!("/api/v1/accounts/{id}"),
            json!({"name": "华为技术", "grade": null}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers[header::ETAG], "\"2\"");
    assert_eq!(r.json()["grade"], serde_json::Value::Null);
    assert_eq!(r.json()["tags"], json!(["VIP"]), "absent fields are kept");
    // A stale If-Match is refused and changes nothing.
    let r = api
        .patch(
            &format!("/api/v1/accounts/{id}"),
            json!({"name": "Lost update"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(r.json()["error"]["code"], "conflict");
    // The version may also come in the body (409 when stale).
    let r = api
        .call(
            Method::PATCH,
            &format!("/api/v1/accounts/{id}"),
            Some(json!({"name": "Lost", "version": 1})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        api.get(&format!("/api/v1/accounts/{id}")).await.json()["name"],
        "华为技术"
    );

    let r = api.get(&format!("/api/v1/accounts/{id}/history")).await;
    let fields: Vec<_> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields.len(), 2);
    assert!(fields.contains(&"name".to_string()) && fields.contains(&"grade".to_string()));

    // Lists filter and paginate with cursors.
    for n in 0..4 {
        api.post(
            "/api/v1/accounts",
            json!({"name": format!("Batch {n}"), "account_type": "partner"}),
        )
        .await;
    }
    let page = api
        .get("/api/v1/accounts?account_type=partner&sort=name&limit=3")
        .await
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let cursor = page["next_cursor"].as_str().unwrap();
    let page2 = api
        .get(&format!(
            "/api/v1/accounts?account_type=partner&sort=name&limit=3&cursor={cursor}"
        ))
        .await
        .json();
    assert_eq!(page2["items"][0]["name"], "Batch 3");
    assert!(page2["next_cursor"].is_null());

    // Transfer and delete need If-Match too.
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let r = api
        .call(
            Method::POST,
            &format!("/api/v1/accounts/{id}/transfer"),
            Some(json!({"owner_id": rep.id()})),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["owner_id"], rep.id().to_string());
    let r = api
        .call(Method::DELETE, &format!("/api/v1/accounts/{id}"), None, &[])
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    let r = api
        .call(
            Method::DELETE,
            &format!("/api/v1/accounts/{id}"),
            None,
            &[("if-match", "\"3\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get(&format!("/api/v1/accounts/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn api_refuses_bad_input(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let r = api
        .post(
            "/api/v1/accounts",
            json!({"name": 42, "colour": "red", "tags": "VIP", "grade": "Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.json();
    assert_eq!(body["error"]["code"], "validation_failed");
    let mut fields: Vec<(String, String)> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().into(),
                f["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("colour".into(), "unknown_field".into()),
            ("name".into(), "wrong_type".into()),
            ("tags".into(), "wrong_type".into())
        ]
    );
    let r = api
        .post(
            "/api/v1/accounts",
            json!({"name": "", "credit_code": "123", "phone": "abc"}),
        )
        .await;
    let codes: Vec<String> = r.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes, ["required", "invalid_phone", "invalid_credit_code"]);
    assert!(r.json()["error"]["fields"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Required"));
    let r = api
        .raw(
            Method::POST,
            "/api/v1/accounts",
            "application/json",
            "{\"name\": ",
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["code"], "malformed_json");
    let r = api
        .raw(
            Method::POST,
            "/api/v1/accounts",
            "application/json",
            "[1, 2]",
        )
        .await;
    assert_eq!(r.json()["error"]["code"], "invalid_body");
    let r = api
        .raw(Method::POST, "/api/v1/accounts", "text/plain", "name=x")
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = json!({"name": "x", "description": "y".repeat(300 * 1024)});
    let r = api.post("/api/v1/accounts", huge).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let r = api.get("/api/v1/accounts?limit=1000&sort=colour").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = api.get("/api/v1/accounts/not-an-id").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api.get("/api/v1/no-such-thing").await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let r = api.call(Method::PUT, "/api/v1/accounts", None, &[]).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = api
        .patch(
            &format!("/api/v1/accounts/{}", uuid::Uuid::now_v7()),
            json!({"name": "x"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Messages follow Accept-Language.
    let r = api
        .call(
            Method::POST,
            "/api/v1/accounts",
            Some(json!({"name": ""})),
            &[("accept-language", "zh-CN")],
        )
        .await;
    assert_eq!(r.json()["error"]["fields"][0]["message"], "必填。");
    assert_eq!(env.account_count(c.tenant_id).await, 0);
}

async fn api_tokens_are_checked(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    for header in ["", "Bearer nope", "Bearer mrd_00000000000000000000000000000000_0000000000000000000000000000000000000000000000000000000000000000"] {
        let mut req = axum::http::Request::builder().uri("/api/v1/accounts");
        if !header.is_empty() {
            req = req.header(header::AUTHORIZATION, header);
        }
        let response = tower::ServiceExt::oneshot(env.router.clone(), req.body(axum::body::Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{header}");
    }
    // Session cookies do not authenticate the API.
    let mut b = env.browser();
    b.login("admin@a.example").await;
    let token = env.token(&c.admin).await;
    let api = env.api(&token);
    assert_eq!(
        api.get("/api/v1/me").await.json()["email"],
        "admin@a.example"
    );
    let tokens = app::auth::list_tokens(&env.app, &c.admin).await.unwrap();
    assert!(
        tokens[0].last_used_at.is_some(),
        "using a token records when"
    );
    app::auth::revoke_token(&env.app, &c.admin, tokens[0].id)
        .await
        .unwrap();
    assert_eq!(api.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
    // A deactivated user's tokens stop working.
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let rep_api = env.api(&env.token(&rep).await);
    assert_eq!(rep_api.get("/api/v1/me").await.status, StatusCode::OK);
    let u = app::org::get_user(&env.app, &c.admin, rep.id())
        .await
        .unwrap();
    app::org::update_user(
        &env.app,
        &c.admin,
        u.id,
        u.version,
        app::org::UserInput {
            email: u.email.clone(),
            name: u.name.clone(),
            password: None,
            role_id: Some(u.role_id),
            department_id: None,
            manager_id: None,
            active: false,
            locale: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        rep_api.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn openapi_document_describes_the_api(env: Env) {
    let mut b = env.browser();
    let r = b.get("/api/v1/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/accounts",
        "/api/v1/accounts/{id}",
        "/api/v1/accounts/{id}/history",
        "/api/v1/accounts/{id}/transfer",
        "/api/v1/me",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    assert!(doc["paths"]["/api/v1/accounts/{id}"]["patch"].is_object());
    for schema in ["AccountOut", "AccountWrite", "ErrorBody", "AccountPage"] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "missing schema {schema}"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // The write schema lists exactly the fields the API accepts.
    let write: Vec<&String> = doc["components"]["schemas"]["AccountWrite"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert!(write.iter().any(|k| *k == "credit_code") && write.iter().any(|k| *k == "tags"));
}

async fn idempotent_creates(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let body = json!({"name": "Once only", "grade": "A"});
    let first = api
        .call(
            Method::POST,
            "/api/v1/accounts",
            Some(body.clone()),
            &[("idempotency-key", "order-42")],
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = api
        .call(
            Method::POST,
            "/api/v1/accounts",
            Some(body.clone()),
            &[("idempotency-key", "order-42")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.headers[header::ETAG], "\"1\"");
    assert_eq!(env.account_count(c.tenant_id).await, 1);
    // The same key with another body is refused.
    let other = api
        .call(
            Method::POST,
            "/api/v1/accounts",
            Some(json!({"name": "Different"})),
            &[("idempotency-key", "order-42")],
        )
        .await;
    assert_eq!(
        (other.status, other.json()["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("idempotency_key_reused")
        )
    );
    // A failed request does not burn its key: fixed and retried, it creates.
    let bad = api
        .call(
            Method::POST,
            "/api/v1/accounts",
            Some(json!({"name": ""})),
            &[("idempotency-key", "order-43")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad_again = api
        .call(
            Method::POST,
            "/api/v1/accounts",
            Some(json!({"name": ""})),
            &[("idempotency-key", "order-43")],
        )
        .await;
    assert_eq!(bad_again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fixed = api
        .call(
            Method::POST,
            "/api/v1/accounts",
            Some(json!({"name": "Fixed"})),
            &[("idempotency-key", "order-43")],
        )
        .await;
    assert_eq!(fixed.status, StatusCode::CREATED);
    // Keys belong to their user: another user's identical key is a new request.
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let rep_api = env.api(&env.token(&rep).await);
    let theirs = rep_api
        .call(
            Method::POST,
            "/api/v1/accounts",
            Some(body),
            &[("idempotency-key", "order-42")],
        )
        .await;
    assert_ne!(theirs.json()["id"], first.json()["id"]);
    // Keys expire after a day.
    env.clock.advance(chrono::Duration::hours(25));
    assert_eq!(app::idempotency::purge(&env.app).await.unwrap(), 3);
    assert_eq!(env.account_count(c.tenant_id).await, 3);
}

/// Another app server sharing the database learns of a change only when its cached sign-in
/// expires (five seconds); here the change is written behind the app's back, as another
/// server would, so this process's change counter does not move.
async fn sign_ins_are_cached_for_seconds_only(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let token = env.token(&rep).await;
    // The first use marks the token as used (and reads it again next time); the second is
    // kept.
    for _ in 0..2 {
        let actor = app::auth::token_actor(&env.app, &token).await.unwrap();
        assert_eq!(actor.id(), rep.id());
    }
    let deactivate = "UPDATE users SET active = $1 WHERE tenant_id = $2 AND id = $3";
    match &env.app.db {
        store::Db::Sqlite(s) => {
            sqlx::query(deactivate)
                .bind(false)
                .bind(c.tenant_id)
                .bind(rep.id())
                .execute(&s.writer)
                .await
                .unwrap();
        }
        store::Db::Postgres(pool) => {
            sqlx::query(deactivate)
                .bind(false)
                .bind(c.tenant_id)
                .bind(rep.id())
                .execute(pool)
                .await
                .unwrap();
        }
    }
    env.clock.advance(chrono::Duration::seconds(4));
    assert!(
        app::auth::token_actor(&env.app, &token).await.is_ok(),
        "still the cached sign-in"
    );
    env.clock.advance(chrono::Duration::seconds(2));
    assert!(matches!(
        app::auth::token_actor(&env.app, &token).await,
        Err(app::AppError::Unauthenticated)
    ));
}
