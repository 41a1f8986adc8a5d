//! The sales process: business types installed from templates, stage gates through the stage
//! endpoint and PATCH alike, the skip permission and its record, stage mapping on a type
//! change, time in stage and the due-soon/overdue warnings by the clock, and the board's
//! scope and sums — through the API.

use crate::on_both_databases;
use crate::support::{field_codes, Api, Env};
use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{json, Value};

on_both_databases!(
    a_gate_refuses_a_forward_move_until_it_is_met,
    the_gate_applies_to_patch_too,
    a_role_that_may_skip_does_and_the_skip_is_recorded,
    a_type_change_maps_the_stage,
    warnings_follow_the_clock_once_per_stage,
    the_board_keeps_to_the_scope_and_sums_its_columns,
    business_types_are_checked,
);

async fn install(api: &Api, template: &str) -> Value {
    let r = api
        .post("/api/v1/business-types", json!({ "template": template }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()
}

async fn deal(env: &Env, owner: &app::Actor, name: &str, body: Value) -> String {
    let account = env.account(owner, &format!("{name}客户")).await;
    let api = env.api(&env.token(owner).await);
    let mut b = json!({ "name": name, "account_id": account.id, "amount": "100000" });
    if let (Some(b), Some(extra)) = (b.as_object_mut(), body.as_object()) {
        for (k, v) in extra {
            b.insert(k.clone(), v.clone());
        }
    }
    let r = api.post("/api/v1/opportunities", b).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_str().unwrap_or_default().to_string()
}

async fn move_to(api: &Api, id: &str, stage: &str) -> crate::support::Response {
    api.post(
        &format!("/api/v1/opportunities/{id}/stage"),
        json!({ "stage": stage }),
    )
    .await
}

/// PATCHes the deal at its current version.
async fn patch_deal(api: &Api, id: &str, body: Value) -> crate::support::Response {
    let read = api.get(&format!("/api/v1/opportunities/{id}")).await;
    let etag = format!("\"{}\"", read.json()["version"]);
    api.patch(&format!("/api/v1/opportunities/{id}"), body, &etag)
        .await
}

async fn stage_of(api: &Api, id: &str) -> String {
    let r = api.get(&format!("/api/v1/opportunities/{id}")).await;
    r.json()["stage"].as_str().unwrap_or_default().to_string()
}

async fn a_gate_refuses_a_forward_move_until_it_is_met(env: Env) {
    let c = env.company("关卡公司", "admin@gate.example").await;
    let admin = env.api(&env.token(&c.admin).await);
    let product = install(&admin, "product_sale").await;
    assert_eq!(product["is_default"], true);
    assert_eq!(product["stages"][0]["duration_days"], 14);
    let rep = env
        .user(&c, "rep@gate.example", "sales_rep", None, None)
        .await;
    let api = env.api(&env.token(&rep).await);
    let id = deal(&env, &rep, "一期项目", json!({})).await;
    assert_eq!(stage_of(&api, &id).await, "initial");

    // Moving on needs the primary contact and the ticked item: both are listed, translated.
    let r = api
        .call(
            Method::POST,
            &format!("/api/v1/opportunities/{id}/stage"),
            Some(json!({ "stage": "needs" })),
            &[("accept-language", "zh-CN")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        field_codes(&r),
        [
            ("contact_id".into(), "required_for_stage".into()),
            (
                "checklist.contact_reached".into(),
                "checklist_unticked".into()
            ),
        ]
    );
    assert_eq!(r.json()["error"]["code"], "stage_gate");
    let message = r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("已联系到关键联系人"), "{message}");
    assert!(message.contains("主要联系人"), "{message}");
    assert_eq!(stage_of(&api, &id).await, "initial", "nothing changed");
    // The path shows what is missing before the move is tried.
    let path = api.get(&format!("/api/v1/opportunities/{id}/stage")).await;
    assert_eq!(path.json()["unmet"]["fields"], json!(["contact_id"]));
    assert_eq!(
        path.json()["unmet"]["checklist"],
        json!(["contact_reached"])
    );

    // Tick the item (who and when are kept) and fill the field: the move goes through.
    let r = api
        .post(
            &format!("/api/v1/opportunities/{id}/checklist"),
            json!({ "item": "contact_reached" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["items"][0]["checked_by"], json!(rep.id()));
    let r = move_to(&api, &id, "needs").await;
    assert_eq!(
        field_codes(&r),
        [("contact_id".into(), "required_for_stage".into())]
    );
    let read = api.get(&format!("/api/v1/opportunities/{id}")).await;
    let account = read.json()["account_id"].clone();
    let contact = api
        .post(
            "/api/v1/contacts",
            json!({ "name": "王经理", "account_id": account }),
        )
        .await;
    assert_eq!(contact.status, StatusCode::CREATED, "{}", contact.body);
    let r = patch_deal(&api, &id, json!({ "contact_id": contact.json()["id"] })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    env.clock.advance(Duration::days(2));
    let r = move_to(&api, &id, "needs").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let path = r.json();
    assert_eq!(path["stage"], "needs");
    assert_eq!(path["win_rate"], "30");
    assert_eq!(path["weighted_amount"], "30000.00");
    let history = path["history"].as_array().cloned().unwrap_or_default();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["stage"], "initial");
    assert_eq!(history[0]["seconds"], 2 * 86_400);
    assert_eq!(history[1]["from"], "initial");
    assert!(history[1]["skipped"].is_null());

    // Backward, and giving the deal up, need no gate (a loss needs its review).
    let r = move_to(&api, &id, "initial").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rival = env.account(&rep, "对手公司").await;
    let review = json!({ "loss_reason": "price", "lost_to_id": rival.id, "lost_price": "90000",
        "close_lessons": "价格没谈拢" });
    let r = patch_deal(&api, &id, review).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = move_to(&api, &id, "lost").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // An unknown stage, and an invisible deal.
    let r = move_to(&api, &id, "elsewhere").await;
    assert_eq!(field_codes(&r), [("stage".into(), "invalid_choice".into())]);
    let other = env
        .user(&c, "other@gate.example", "sales_rep", None, None)
        .await;
    let other_api = env.api(&env.token(&other).await);
    assert_eq!(
        move_to(&other_api, &id, "won").await.status,
        StatusCode::NOT_FOUND
    );
    let r = other_api
        .post(
            &format!("/api/v1/opportunities/{id}/checklist"),
            json!({ "item": "contact_reached", "checked": false }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn the_gate_applies_to_patch_too(env: Env) {
    let c = env.company("补丁公司", "admin@patch.example").await;
    let admin = env.api(&env.token(&c.admin).await);
    install(&admin, "product_sale").await;
    let rep = env
        .user(&c, "rep@patch.example", "sales_rep", None, None)
        .await;
    let api = env.api(&env.token(&rep).await);
    let id = deal(&env, &rep, "补丁商机", json!({})).await;
    let r = patch_deal(&api, &id, json!({ "stage": "proposal" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        field_codes(&r),
        [
            ("contact_id".into(), "required_for_stage".into()),
            (
                "checklist.contact_reached".into(),
                "checklist_unticked".into()
            ),
        ]
    );
    assert_eq!(stage_of(&api, &id).await, "initial");
}

async fn a_role_that_may_skip_does_and_the_skip_is_recorded(env: Env) {
    let c = env.company("跳过公司", "admin@skip.example").await;
    let admin = env.api(&env.token(&c.admin).await);
    install(&admin, "product_sale").await;
    let manager = env
        .user(&c, "manager@skip.example", "sales_manager", None, None)
        .await;
    let director = env
        .user(&c, "director@skip.example", "sales_director", None, None)
        .await;
    let id = deal(&env, &manager, "跳过商机", json!({})).await;
    let manager_api = env.api(&env.token(&manager).await);
    let r = move_to(&manager_api, &id, "needs").await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a manager may not skip"
    );
    let director_api = env.api(&env.token(&director).await);
    let r = move_to(&director_api, &id, "needs").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let history = r.json()["history"].as_array().cloned().unwrap_or_default();
    let last = history.last().cloned().unwrap_or_default();
    assert_eq!(last["skipped"]["fields"], json!(["contact_id"]));
    assert_eq!(last["skipped"]["items"][0]["key"], "contact_reached");
    assert_eq!(last["by"], json!(director.id()));
    let events = admin.get("/api/v1/events?object=opportunity").await;
    assert_eq!(events.status, StatusCode::OK, "{}", events.body);
    assert!(
        events.body.contains("stage_gate_skipped"),
        "{}",
        events.body
    );
}

async fn a_type_change_maps_the_stage(env: Env) {
    let c = env.company("映射公司", "admin@map.example").await;
    let admin = env.api(&env.token(&c.admin).await);
    install(&admin, "product_sale").await;
    install(&admin, "solution_sale").await;
    let id = deal(&env, &c.admin, "换类型", json!({})).await;
    // The administrator may skip gates; the deal goes to the proposal stage (50%).
    assert_eq!(
        move_to(&admin, &id, "proposal").await.status,
        StatusCode::OK
    );
    let r = patch_deal(&admin, &id, json!({ "record_type": "solution_sale" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["stage"], "propose", "mapped by win rate");
    assert_eq!(r.json()["win_rate"], json!(50.0));
    let path = admin
        .get(&format!("/api/v1/opportunities/{id}/stage"))
        .await;
    assert_eq!(path.json()["business_type_stage_set"], "solution_sale");
    // An administrator's declared mapping wins over the win rate.
    let mut solution = admin.get("/api/v1/business-types").await.json()["items"][1].clone();
    solution["stages"][4]["maps_from"] = json!(["proposal"]);
    let body = json!({ "key": "solution_sale", "name_zh": solution["name_zh"], "name_en": solution["name_en"],
        "stages": solution["stages"] });
    let r = admin.post("/api/v1/business-types", body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let second = deal(&env, &c.admin, "再换类型", json!({})).await;
    assert_eq!(
        move_to(&admin, &second, "proposal").await.status,
        StatusCode::OK
    );
    let r = patch_deal(&admin, &second, json!({ "record_type": "solution_sale" })).await;
    assert_eq!(r.json()["stage"], "validate", "{}", r.body);
}

async fn inbox(env: &Env, actor: &app::Actor) -> Vec<String> {
    app::notifications::list(&env.app, actor, false, None, 50)
        .await
        .expect("inbox")
        .items
        .into_iter()
        .map(|n| n.kind)
        .collect()
}

async fn warnings_follow_the_clock_once_per_stage(env: Env) {
    let c = env.company("超期公司", "admin@due.example").await;
    let admin = env.api(&env.token(&c.admin).await);
    install(&admin, "product_sale").await;
    let rep = env
        .user(&c, "rep@due.example", "sales_rep", None, None)
        .await;
    let id = deal(&env, &rep, "慢商机", json!({})).await;
    let api = env.api(&env.token(&rep).await);
    // Fourteen days expected: due soon from day 11.2, overdue at day 14.
    env.clock.advance(Duration::days(11));
    env.run_scheduled_jobs().await;
    assert!(inbox(&env, &rep).await.is_empty());
    let path = api.get(&format!("/api/v1/opportunities/{id}/stage")).await;
    assert!(path.json()["warning"].is_null());
    env.clock.advance(Duration::hours(6));
    env.run_scheduled_jobs().await;
    assert_eq!(inbox(&env, &rep).await, ["stage_due_soon"]);
    let path = api.get(&format!("/api/v1/opportunities/{id}/stage")).await;
    assert_eq!(path.json()["warning"], "due_soon");
    env.clock.advance(Duration::hours(1));
    env.run_scheduled_jobs().await;
    assert_eq!(inbox(&env, &rep).await.len(), 1, "once");
    env.clock.advance(Duration::days(3));
    env.run_scheduled_jobs().await;
    assert_eq!(inbox(&env, &rep).await, ["stage_overdue", "stage_due_soon"]);
    env.clock.advance(Duration::days(1));
    env.run_scheduled_jobs().await;
    assert_eq!(
        app::stages::send_warnings(&env.app, c.tenant_id)
            .await
            .expect("send"),
        0
    );
    assert_eq!(inbox(&env, &rep).await.len(), 2, "once per stage");
    let board = api.get("/api/v1/opportunities/board").await;
    assert_eq!(board.json()["columns"][0]["cards"][0]["warning"], "overdue");
}

fn column<'a>(board: &'a Value, stage: &str) -> &'a Value {
    board["columns"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["stage"] == stage))
        .unwrap_or(&Value::Null)
}

async fn the_board_keeps_to_the_scope_and_sums_its_columns(env: Env) {
    let c = env.company("看板公司", "admin@board.example").await;
    let admin = env.api(&env.token(&c.admin).await);
    install(&admin, "product_sale").await;
    let team = env.department(&c, "华东", None).await;
    let manager = env
        .user(
            &c,
            "manager@board.example",
            "sales_manager",
            Some(team),
            None,
        )
        .await;
    let rep = env
        .user(
            &c,
            "rep@board.example",
            "sales_rep",
            Some(team),
            Some(manager.id()),
        )
        .await;
    let outsider = env
        .user(&c, "out@board.example", "sales_rep", None, None)
        .await;
    for (owner, name, amount) in [
        (&rep, "甲", "100000"),
        (&rep, "乙", "50000.50"),
        (&manager, "丙", "20000"),
        (&outsider, "丁", "999999"),
    ] {
        deal(&env, owner, name, json!({ "amount": amount })).await;
    }
    let rep_api = env.api(&env.token(&rep).await);
    let b = rep_api.get("/api/v1/opportunities/board").await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.body);
    let initial = column(&b.json(), "initial").clone();
    assert_eq!(initial["count"], 2);
    assert_eq!(initial["amount"], "150000.50");
    assert_eq!(initial["weighted_amount"], "15000.05");
    assert_eq!(initial["cards"].as_array().map(Vec::len), Some(2));
    assert_eq!(b.json()["business_type"], "product_sale");
    let manager_api = env.api(&env.token(&manager).await);
    let b = manager_api.get("/api/v1/opportunities/board").await.json();
    assert_eq!(column(&b, "initial")["count"], 3);
    assert_eq!(column(&b, "initial")["amount"], "170000.50");
    let b = manager_api
        .get(&format!(
            "/api/v1/opportunities/board?owner={}",
            manager.id()
        ))
        .await
        .json();
    assert_eq!(column(&b, "initial")["count"], 1);
    let b = admin.get("/api/v1/opportunities/board").await.json();
    assert_eq!(column(&b, "initial")["count"], 4);
    assert_eq!(column(&b, "needs")["count"], 0);
    // A column's cards page by cursor.
    let b = admin
        .get("/api/v1/opportunities/board?stage=initial&limit=3")
        .await
        .json();
    let first = column(&b, "initial").clone();
    assert_eq!(first["cards"].as_array().map(Vec::len), Some(3));
    let cursor = first["next_cursor"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let b = admin
        .get(&format!(
            "/api/v1/opportunities/board?stage=initial&limit=3&cursor={cursor}"
        ))
        .await
        .json();
    assert_eq!(
        column(&b, "initial")["cards"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(column(&b, "initial")["next_cursor"].is_null());
    // Bad filters are named.
    let r = admin
        .get("/api/v1/opportunities/board?business_type=nope&close_from=x&colour=red")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_codes(&r),
        [
            ("close_from".into(), "invalid_date".into()),
            ("colour".into(), "unknown_field".into()),
        ]
    );
    let r = admin
        .get("/api/v1/opportunities/board?business_type=nope")
        .await;
    assert_eq!(
        field_codes(&r),
        [("business_type".into(), "invalid_choice".into())]
    );
}

async fn business_types_are_checked(env: Env) {
    let c = env.company("类型公司", "admin@types.example").await;
    let admin = env.api(&env.token(&c.admin).await);
    let rep = env
        .user(&c, "rep@types.example", "sales_rep", None, None)
        .await;
    let rep_api = env.api(&env.token(&rep).await);
    let r = rep_api
        .post(
            "/api/v1/business-types",
            json!({ "template": "product_sale" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = admin
        .post("/api/v1/business-types", json!({ "template": "nope" }))
        .await;
    assert_eq!(
        field_codes(&r),
        [("template".into(), "invalid_choice".into())]
    );
    let stages: Vec<Value> = (0..13)
        .map(|i| json!({ "key": format!("s{i}"), "name_zh": "阶段", "name_en": "Stage", "win_rate": 10 }))
        .collect();
    let r = admin
        .post(
            "/api/v1/business-types",
            json!({ "key": "channel", "name_zh": "渠道", "name_en": "Channel", "stages": stages }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_codes(&r).contains(&("stages".into(), "too_many".into())));
    let r = admin
        .post(
            "/api/v1/business-types",
            json!({ "key": "channel", "name_zh": "渠道", "name_en": "Channel", "stages": [
                { "key": "open", "name_zh": "开", "name_en": "Open", "win_rate": 10, "duration_days": 0,
                  "required_fields": ["nope"], "checklist": [{ "zh": "甲", "en": "First item" }] },
                { "key": "won", "name_zh": "赢", "name_en": "Won", "win_rate": 100, "closed": "won" }
            ] }),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        [
            (
                "stages[0].duration_days".into(),
                "duration_out_of_range".into()
            ),
            (
                "stages[0].required_fields[0]".into(),
                "unknown_field".into()
            ),
        ]
    );
    let r = admin
        .post(
            "/api/v1/business-types",
            json!({ "key": "channel", "name_zh": "渠道", "name_en": "Channel", "stages": [
                { "key": "open", "name_zh": "开", "name_en": "Open", "win_rate": 10, "duration_days": 5,
                  "checklist": [{ "zh": "甲", "en": "First item" }] },
                { "key": "won", "name_zh": "赢", "name_en": "Won", "win_rate": 100, "closed": "won" }
            ] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["stages"][0]["checklist"][0]["key"], "first_item");
    let list = rep_api.get("/api/v1/business-types").await;
    assert_eq!(list.json()["items"][0]["key"], "channel");
    // The record types API sees the same type.
    let types = rep_api
        .get("/api/v1/record-types?object=opportunities")
        .await;
    assert!(types.body.contains("\"channel\""), "{}", types.body);
}
