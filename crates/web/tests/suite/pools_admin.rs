//! Public pools, continued: settings, bulk assignment, statistics and return reasons as a
//! rep, a manager and an administrator; and the API's answers to refused actions.

use crate::on_both_databases;
use crate::pools::{claim, fresh, lead, pool_of, pooled};
use crate::support::{field_codes, Env};
use app::pools::claims;
use app::pools::PoolInput;
use app::AppError;
use axum::http::StatusCode;
use domain::permissions::ObjectKind;
use serde_json::json;
use uuid::Uuid;

on_both_databases!(
    pools_settings_assignment_and_roles,
    pools_api_answers_refusals_clearly
);

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
