//! Keeping the assignment rules (API and admin pages, both languages) and who may: only
//! administrators of leads; bad input is a translated 422 and changes nothing. A manager
//! re-runs the rules over selected leads or assigns them by hand, only over visible leads
//! they may transfer; a rep may not.

use crate::assignment::{api_lead, criteria, ids, notified, rule, stored};
use crate::on_both_databases;
use crate::support::{field_codes, Env};
use app::assignment::RuleInput;
use serde_json::json;
use uuid::Uuid;

on_both_databases!(
    assignment_rules_api_checks_input_and_permissions,
    assignment_bulk_rerun_and_assign_by_hand_as_manager,
    assignment_admin_pages_in_both_languages
);

async fn assignment_rules_api_checks_input_and_permissions(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let admin = env.api(&env.token(&c.admin).await);
    let dept = env.department(&c, "销售部", None).await;
    let manager = env
        .user(&c, "m@a.example", "sales_manager", Some(dept), None)
        .await;
    let rep = env
        .user(
            &c,
            "r@a.example",
            "sales_rep",
            Some(dept),
            Some(manager.id()),
        )
        .await;
    let base = "/api/v1/assignment-rules";
    let refused = |r: crate::support::Response| {
        assert_eq!(r.status, 422, "{}", r.body);
        field_codes(&r)
    };
    let unknown = Uuid::now_v7().to_string();
    let f = |field: &str, code: &str| (field.to_string(), code.to_string());
    let cases = [
        (
            json!({ "name": "x", "method": "list", "reps": [unknown] }),
            vec![f("reps", "invalid_reference")],
        ),
        (
            json!({ "name": "x", "method": "round_robin", "reps": [] }),
            vec![f("reps", "required")],
        ),
        (
            json!({ "name": "x", "method": "pool", "criteria": [{ "field": "nope", "op": "eq", "values": ["1"] }] }),
            vec![f("criteria.0.nope", "unknown_field")],
        ),
        (
            json!({ "name": "x", "method": "pool", "criteria": [{ "field": "source", "op": "eq", "values": ["dreaming"] }] }),
            vec![f("criteria.0.source", "invalid_choice")],
        ),
        (
            json!({ "name": "x", "method": "teleport" }),
            vec![f("method", "invalid_choice")],
        ),
        (
            json!({ "name": "", "method": "criteria", "rep": "not-an-id" }),
            vec![f("rep", "invalid_reference"), f("name", "required")],
        ),
        // Unknown and mistyped fields are refused before anything else.
        (
            json!({ "name": "x", "method": "pool", "max_open": 0, "colour": "red", "active": "yes" }),
            vec![f("active", "wrong_type"), f("colour", "unknown_field")],
        ),
        (
            json!({ "name": "x", "method": "pool", "max_open": 0 }),
            vec![f("max_open", "out_of_range")],
        ),
        (
            json!({ "name": "x", "method": "region", "regions": [{ "province": "99", "target": format!("user:{}", rep.id()) }] }),
            vec![f("regions.0.province", "invalid_choice")],
        ),
        (
            json!({ "name": "x", "method": "pool", "pool_id": Uuid::now_v7() }),
            vec![f("pool_id", "invalid_reference")],
        ),
    ];
    for (body, expected) in cases {
        let mut got = refused(admin.post(base, body.clone()).await);
        got.sort();
        let mut expected = expected;
        expected.sort();
        assert_eq!(got, expected, "{body}");
    }
    // The message is translated (Accept-Language picks the catalog).
    let zh = admin
        .call(
            axum::http::Method::POST,
            base,
            Some(json!({ "name": "x", "method": "list", "reps": [] })),
            &[("accept-language", "zh-CN")],
        )
        .await;
    let en = admin
        .call(
            axum::http::Method::POST,
            base,
            Some(json!({ "name": "x", "method": "list", "reps": [] })),
            &[("accept-language", "en")],
        )
        .await;
    assert_ne!(zh.json()["error"]["message"], en.json()["error"]["message"]);
    assert_eq!(
        admin.get(base).await.json()["items"],
        json!([]),
        "nothing was written"
    );

    // Created, read, reordered, changed with If-Match, deleted.
    let one = admin.post(base, json!({ "name": "一", "method": "round_robin", "reps": [rep.id(), manager.id()],
        "criteria": [{ "field": "province", "op": "in", "values": ["44", "31"] }], "max_per_day": 5 })).await;
    assert_eq!(one.status, 201, "{}", one.body);
    let one = one.json();
    assert_eq!(one["reps"], json!([rep.id(), manager.id()]));
    let two = admin
        .post(base, json!({ "name": "二", "method": "pool" }))
        .await
        .json();
    let list = admin.get(base).await.json();
    assert_eq!(list["items"][0]["name"], "一");
    let order = admin
        .call(
            axum::http::Method::PUT,
            &format!("{base}/order"),
            Some(json!({ "ids": [two["id"], one["id"]] })),
            &[],
        )
        .await;
    assert_eq!(order.status, 200, "{}", order.body);
    assert_eq!(order.json()["items"][0]["name"], "二");
    let partial = admin
        .call(
            axum::http::Method::PUT,
            &format!("{base}/order"),
            Some(json!({ "ids": [one["id"]] })),
            &[],
        )
        .await;
    assert_eq!(field_codes(&partial), vec![f("ids", "invalid_reference")]);
    let id = one["id"].as_str().unwrap_or_default().to_string();
    let rule_url = format!("{base}/{id}");
    let current = admin.get(&rule_url).await;
    let etag = current.headers["etag"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    let patched = admin
        .patch(&rule_url, json!({ "active": false }), &etag)
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.json()["active"], false);
    assert_eq!(
        patched.json()["max_per_day"],
        5,
        "what was left out is kept"
    );
    assert_eq!(
        admin
            .patch(&rule_url, json!({ "active": true }), &etag)
            .await
            .status,
        412
    );
    let bad = admin.patch(&rule_url, json!({ "reps": [] }), "*").await;
    assert_eq!(field_codes(&bad), vec![f("reps", "required")]);
    assert_eq!(
        admin.get(&rule_url).await.json()["reps"],
        json!([rep.id(), manager.id()])
    );
    assert_eq!(
        admin
            .get(&format!("{base}/{}", Uuid::now_v7()))
            .await
            .status,
        404
    );
    assert_eq!(admin.get(&format!("{base}/nonsense")).await.status, 404);

    // Managers and reps neither read nor change the rules.
    for who in [&manager, &rep] {
        let api = env.api(&env.token(who).await);
        assert_eq!(api.get(base).await.status, 403);
        assert_eq!(
            api.post(base, json!({ "name": "x", "method": "pool" }))
                .await
                .status,
            403
        );
        assert_eq!(api.get(&rule_url).await.status, 403);
    }
    let deleted = admin
        .call(
            axum::http::Method::DELETE,
            &rule_url,
            None,
            &[("if-match", "*")],
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(
        admin.get(base).await.json()["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

async fn assignment_bulk_rerun_and_assign_by_hand_as_manager(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let admin = &c.admin;
    let dept = env.department(&c, "电销部", None).await;
    let other = env.department(&c, "直销部", None).await;
    let manager = env
        .user(&c, "m@a.example", "sales_manager", Some(dept), None)
        .await;
    let a = env
        .user(
            &c,
            "a@a.example",
            "sales_rep",
            Some(dept),
            Some(manager.id()),
        )
        .await;
    let b = env
        .user(
            &c,
            "b@a.example",
            "sales_rep",
            Some(dept),
            Some(manager.id()),
        )
        .await;
    let outsider = env
        .user(&c, "o@a.example", "sales_rep", Some(other), None)
        .await;
    let a_token = env.token(&a).await;
    // Leads made before any rule: they stay with their creator.
    let mut leads = Vec::new();
    for n in 0..4 {
        leads.push(
            api_lead(
                &env,
                &a_token,
                json!({ "name": format!("旧{n}"), "source": "phone" }),
            )
            .await,
        );
    }
    let theirs = api_lead(
        &env,
        &env.token(&outsider).await,
        json!({ "name": "别部门", "source": "phone" }),
    )
    .await;
    rule(
        &env,
        admin,
        RuleInput {
            name: Some("电销轮流".into()),
            criteria: Some(vec![criteria("source", "eq", &["phone"])]),
            method: Some("round_robin".into()),
            reps: Some(ids(&[&b, &a])),
            ..Default::default()
        },
    )
    .await;
    let m = env.api(&env.token(&manager).await);
    let ids_json = |ids: &[Uuid]| json!(ids.iter().map(Uuid::to_string).collect::<Vec<_>>());
    // A lead the manager cannot see: 404, and nothing changed.
    let mut with_theirs = leads.clone();
    with_theirs.push(theirs);
    let r = m
        .post(
            "/api/v1/leads/assign",
            json!({ "ids": ids_json(&with_theirs), "rules": true }),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    for id in &leads {
        assert_eq!(stored(&env, c.tenant_id, *id).await.owner, a.id());
    }
    assert_eq!(stored(&env, c.tenant_id, theirs).await.owner, outsider.id());
    // Re-run: the rotation gives them out in turn, recorded, and the new owner told.
    let r = m
        .post(
            "/api/v1/leads/assign",
            json!({ "ids": ids_json(&leads), "rules": true }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({ "assigned": 4, "pooled": 0, "unchanged": 0 })
    );
    let mut to_b = 0;
    for id in &leads {
        let s = stored(&env, c.tenant_id, *id).await;
        assert_eq!(s.method.as_deref(), Some("round_robin"));
        assert_eq!(s.rule.as_deref(), Some("电销轮流"));
        if s.owner == b.id() {
            to_b += 1;
            assert!(notified(&env, &b, *id).await);
        }
    }
    assert_eq!(to_b, 2);
    // By hand, to one rep.
    let r = m
        .post(
            "/api/v1/leads/assign",
            json!({ "ids": ids_json(&leads[..2]), "owner_id": a.id() }),
        )
        .await;
    assert_eq!(r.json()["assigned"], 2, "{}", r.body);
    let s = stored(&env, c.tenant_id, leads[0]).await;
    assert_eq!(
        (s.owner, s.method.as_deref(), s.rule),
        (a.id(), Some("manual"), None)
    );
    // Bad input: a clear 422, nothing changed.
    let f = |field: &str, code: &str| (field.to_string(), code.to_string());
    let r = m
        .post("/api/v1/leads/assign", json!({ "ids": [], "rules": true }))
        .await;
    assert_eq!(field_codes(&r), vec![f("ids", "required")]);
    let r = m
        .post(
            "/api/v1/leads/assign",
            json!({ "ids": ids_json(&leads), "owner_id": Uuid::now_v7() }),
        )
        .await;
    assert_eq!(field_codes(&r), vec![f("owner_id", "invalid_reference")]);
    let r = m
        .post(
            "/api/v1/leads/assign",
            json!({ "ids": ["x"], "rules": true }),
        )
        .await;
    assert_eq!(field_codes(&r), vec![f("ids", "invalid_reference")]);
    let r = m
        .post("/api/v1/leads/assign", json!({ "ids": ids_json(&leads) }))
        .await;
    assert_eq!(field_codes(&r), vec![f("owner_id", "required")]);
    let too_many: Vec<Uuid> = (0..201).map(|_| Uuid::now_v7()).collect();
    let r = m
        .post(
            "/api/v1/leads/assign",
            json!({ "ids": ids_json(&too_many), "rules": true }),
        )
        .await;
    assert_eq!(field_codes(&r), vec![f("ids", "too_many_rows")]);
    assert_eq!(stored(&env, c.tenant_id, leads[0]).await.owner, a.id());
    // A rep may not transfer: 403.
    let r = env
        .api(&a_token)
        .post(
            "/api/v1/leads/assign",
            json!({ "ids": ids_json(&leads[..1]), "owner_id": b.id() }),
        )
        .await;
    assert_eq!(r.status, 403);
    // The leads list offers the bulk action to the manager, not to the rep; it works there.
    let mut browser = env.browser();
    browser.login("m@a.example").await;
    let list = browser.get("/leads").await;
    list.assert_contains("id=\"bulk-assign-form\"");
    let posted = browser
        .post(
            "/leads/assign",
            &[
                ("ids", &leads[2].to_string()),
                ("mode", "owner"),
                ("owner_id", &b.id().to_string()),
            ],
        )
        .await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    assert_eq!(stored(&env, c.tenant_id, leads[2]).await.owner, b.id());
    let mut rep_browser = env.browser();
    rep_browser.login("a@a.example").await;
    let list = rep_browser.get("/leads").await;
    assert!(!list.body.contains("bulk-assign-form"));
}

async fn assignment_admin_pages_in_both_languages(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let rep = env.user(&c, "r@a.example", "sales_rep", None, None).await;
    let mut browser = env.browser();
    browser.login("admin@a.example").await;
    let empty = browser.get("/admin/assignment-rules").await;
    assert_eq!(empty.status, 200);
    empty.assert_contains("线索分配规则");
    let form = browser.get("/admin/assignment-rules/new").await;
    form.assert_contains("顺序分配");
    form.assert_contains("name=\"ff\"");
    // A refused form comes back with what was posted and the errors.
    let refused = browser
        .post(
            "/admin/assignment-rules",
            &[
                ("name", "电销"),
                ("method", "round_robin"),
                ("active", "true"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    refused.assert_contains("电销");
    let rep_id = rep.id().to_string();
    for (name, method) in [("电销", "round_robin"), ("会务", "criteria")] {
        let saved = browser
            .post(
                "/admin/assignment-rules",
                &[
                    ("name", name),
                    ("method", method),
                    ("active", "false"),
                    ("active", "true"),
                    ("reps", &rep_id),
                    ("reps", ""),
                    ("rep", &rep_id),
                    ("ff", "source"),
                    ("fo", "eq"),
                    ("fv", "phone"),
                    ("ff", ""),
                    ("fo", ""),
                    ("fv", ""),
                    ("rp", ""),
                    ("rt", ""),
                    ("max_open", "10"),
                    ("max_per_day", ""),
                ],
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
    }
    let rules = app::settings::list::<store::assignment::Rule>(&env.app, &c.admin)
        .await
        .expect("rules");
    assert_eq!(rules.len(), 2);
    assert_eq!(
        rules[0].criteria.0,
        vec![criteria("source", "eq", &["phone"])]
    );
    assert_eq!(rules[0].max_open, Some(10));
    assert_eq!(rules[0].settings.0.reps, vec![rep.id()]);
    // Move the second up, deactivate it, edit the first.
    let second = rules[1].id;
    let moved = browser
        .post(
            &format!("/admin/assignment-rules/{second}/move"),
            &[("direction", "up")],
        )
        .await;
    assert_eq!(moved.status, 303);
    let rules = app::settings::list::<store::assignment::Rule>(&env.app, &c.admin)
        .await
        .expect("rules");
    assert_eq!(rules[0].id, second);
    browser
        .post(
            &format!("/admin/assignment-rules/{second}/active"),
            &[
                ("active", "false"),
                ("version", &rules[0].version.to_string()),
            ],
        )
        .await;
    let rule = app::settings::get::<store::assignment::Rule>(&env.app, &c.admin, second)
        .await
        .expect("rule");
    assert!(!rule.active);
    let edit = browser
        .get(&format!("/admin/assignment-rules/{second}"))
        .await;
    edit.assert_contains("会务");
    let list = browser.get("/admin/assignment-rules").await;
    list.assert_contains("停用");
    // The same pages in English.
    env.user(&c, "admin2@a.example", "administrator", None, None)
        .await;
    let mut en = env.browser();
    en.accept_language = "en".into();
    en.login("admin2@a.example").await;
    let page = en.get("/admin/assignment-rules").await;
    page.assert_contains("Assignment rules");
    en.get("/admin/assignment-rules/new")
        .await
        .assert_contains("Round-robin");
    // Nobody else opens them.
    let mut rep_browser = env.browser();
    rep_browser.login("r@a.example").await;
    assert_eq!(rep_browser.get("/admin/assignment-rules").await.status, 403);
    let deleted = browser
        .post(
            &format!("/admin/assignment-rules/{second}/delete"),
            &[("version", &rule.version.to_string())],
        )
        .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(
        app::settings::list::<store::assignment::Rule>(&env.app, &c.admin)
            .await
            .expect("rules")
            .len(),
        1
    );
}
