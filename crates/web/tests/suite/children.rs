//! Child rows and computed fields: an opportunity's product lines written with it in one
//! transaction (API and pages), its totals kept by the engine, the lines' history, and the
//! lines reached only through a visible opportunity.

use crate::forms::{form_fields, post_fields};
use crate::on_both_databases;
use crate::support::{field_codes, Company, Env, PASSWORD};
use app::Actor;
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

on_both_databases!(
    lines_are_written_with_their_opportunity,
    a_bad_line_writes_nothing,
    lines_follow_the_opportunity,
    the_record_page_shows_and_edits_lines,
);

fn line(product: &str, quantity: Value, price: Value, discount: Value) -> Value {
    json!({ "product": product, "quantity": quantity, "unit_price": price, "discount": discount })
}

fn field_pairs(r: &crate::support::Response) -> Vec<(String, String)> {
    let mut codes = field_codes(r);
    codes.sort();
    codes
}

fn etag(r: &crate::support::Response) -> String {
    r.headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// How many lines of an opportunity are stored, straight from the table.
async fn stored_lines(env: &Env, tenant: Uuid, id: &str) -> usize {
    let id = Uuid::parse_str(id).expect("id");
    let spec = domain::children::opportunity_lines();
    let mut tx = env.app.db.begin_read().await.expect("tx");
    store::children::list(&mut tx, &spec, tenant, id, 2)
        .await
        .expect("lines")
        .len()
}

async fn lines_are_written_with_their_opportunity(env: Env) {
    let c = env.company("明细", "admin@lines.example").await;
    let rep = env
        .user(&c, "rep@lines.example", "sales_rep", None, None)
        .await;
    let api = env.api(&env.token(&rep).await);
    let account = env.account(&rep, "明细客户").await;
    let r = api
        .post(
            "/api/v1/opportunities",
            json!({ "name": "两个产品", "account_id": account.id, "currency": "CNY", "amount": "100",
                "lines": [
                    line("服务器", json!(3), json!("33.33"), json!(12.5)),
                    line("License", json!("2"), json!(0.1), Value::Null),
                ] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let deal = r.json();
    // 3 × 33.33 × 0.875 = 87.49125 → 87.49; 2 × 0.10 = 0.20 exactly (not 0.2000000001).
    assert_eq!(deal["lines"][0]["amount"], json!("87.49"));
    assert_eq!(deal["lines"][1]["amount"], json!("0.20"));
    assert_eq!(deal["lines"][1]["discount"], Value::Null);
    assert_eq!(deal["lines"][0]["quantity"], json!("3"));
    assert_eq!(deal["products_total"], json!("87.69"));
    assert_eq!(deal["products_count"], json!(2.0));
    // The amount is the rep's own, untouched by the lines.
    assert_eq!(deal["amount"], json!("100.00"));
    let id = deal["id"].as_str().unwrap().to_string();
    let lines = api.get(&format!("/api/v1/opportunities/{id}/lines")).await;
    assert_eq!(lines.status, StatusCode::OK, "{}", lines.body);
    assert_eq!(lines.json()["items"].as_array().unwrap().len(), 2);
    assert_eq!(lines.json()["items"][0]["product"], json!("服务器"));

    // Yen have no places: each line and the total round to whole yen, half away from zero.
    let r = api
        .post(
            "/api/v1/opportunities",
            json!({ "name": "円", "account_id": account.id, "currency": "JPY",
                "lines": [
                    line("A", json!(3), json!(333), json!("12.5")),
                    line("B", json!(1), json!(1), json!(50)),
                ] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // 874.125 → 874; 0.5 → 1.
    assert_eq!(r.json()["lines"][0]["amount"], json!("874"));
    assert_eq!(r.json()["lines"][1]["amount"], json!("1"));
    assert_eq!(r.json()["products_total"], json!("875"));
    let r = api
        .post(
            "/api/v1/opportunities",
            json!({ "name": "円", "account_id": account.id, "currency": "JPY",
                "lines": [line("A", json!(1), json!("10.5"), Value::Null)] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        field_pairs(&r),
        vec![("lines.0.unit_price".into(), "too_precise".into())]
    );

    // PATCH replaces every line and recomputes the totals.
    let read = api.get(&format!("/api/v1/opportunities/{id}")).await;
    let r = api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({ "lines": [line("服务器", json!(4), json!("100"), json!(10))] }),
            &etag(&read),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["products_total"], json!("360.00"));
    assert_eq!(r.json()["products_count"], json!(1.0));
    assert_eq!(r.json()["lines"].as_array().unwrap().len(), 1);
    assert_eq!(stored_lines(&env, c.tenant_id, &id).await, 1);
    let history = api
        .get(&format!("/api/v1/opportunities/{id}/history"))
        .await;
    let items = history.json()["items"].as_array().unwrap().clone();
    let of = |field: &str| items.iter().find(|h| h["field"] == field).cloned();
    let lines_change = of("lines").expect("a history entry for the lines");
    assert!(
        lines_change["old_value"]
            .as_str()
            .unwrap()
            .contains("服务器 · 3"),
        "{lines_change}"
    );
    assert_eq!(
        lines_change["new_value"],
        json!("服务器 · 4 · 100.00 · 10 · 360.00")
    );
    let total_change = of("products_total").expect("the total's change");
    assert_eq!(total_change["old_value"], json!("87.69"));
    assert_eq!(total_change["new_value"], json!("360"));

    // A change of the lines alone (same total) still moves the version, with its history.
    let version = r.json()["version"].as_i64().unwrap();
    let r = api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({ "lines": [line("服务器 X", json!(4), json!("100"), json!(10))] }),
            &etag(&r),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["version"].as_i64().unwrap(), version + 1);
    assert_eq!(r.json()["lines"][0]["product"], json!("服务器 X"));
    // The old version is stale now: an edit based on it conflicts.
    let stale = api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({ "lines": [] }),
            &format!("\"{version}\""),
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.body
    );
    // A PATCH without lines keeps them; `[]` removes them all.
    let r = api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({ "name": "改名" }),
            &etag(&r),
        )
        .await;
    assert_eq!(r.json()["lines"].as_array().unwrap().len(), 1);
    assert_eq!(r.json()["products_total"], json!("360.00"));
    let r = api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({ "lines": [] }),
            &etag(&r),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["lines"], json!([]));
    assert_eq!(r.json()["products_total"], json!("0.00"));
    assert_eq!(r.json()["products_count"], json!(0.0));
    assert_eq!(stored_lines(&env, c.tenant_id, &id).await, 0);
    // The change feed reports the lines' change on the opportunity.
    let events = env
        .api(&env.token(&c.admin).await)
        .get("/api/v1/events?object=opportunity&limit=100")
        .await;
    let last = events.json()["items"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(last["kind"], json!("updated"), "{last}");
    assert!(
        last["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "lines"),
        "{last}"
    );

    // Deleting the opportunity deletes its lines.
    let r = api
        .post(
            "/api/v1/opportunities",
            json!({ "name": "删除", "account_id": account.id, "lines": [line("A", json!(1), json!(1), Value::Null)] }),
        )
        .await;
    let gone = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(stored_lines(&env, c.tenant_id, &gone).await, 1);
    let admin = env.api(&env.token(&c.admin).await);
    let r = admin
        .call(
            Method::DELETE,
            &format!("/api/v1/opportunities/{gone}"),
            None,
            &[("if-match", "*")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(stored_lines(&env, c.tenant_id, &gone).await, 0);
}

async fn a_bad_line_writes_nothing(env: Env) {
    let c = env.company("坏行", "admin@bad.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let account = env.account(&c.admin, "客户").await;
    let r = api
        .call(
            Method::POST,
            "/api/v1/opportunities",
            Some(json!({ "name": "不成", "account_id": account.id, "lines": [
                line("好的", json!(1), json!(10), Value::Null),
                line("", json!(0), json!(10), json!(101)),
            ] })),
            &[("accept-language", "en")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        field_pairs(&r),
        vec![
            ("lines.1.discount".into(), "above_max".into()),
            ("lines.1.product".into(), "required".into()),
            ("lines.1.quantity".into(), "not_positive".into()),
        ]
    );
    let message = r.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "lines.1.quantity")
        .map(|f| f["message"].clone())
        .unwrap();
    assert_eq!(message, json!("Must be greater than zero."));
    let list = api.get("/api/v1/opportunities").await;
    assert_eq!(list.json()["items"], json!([]), "nothing was created");

    // On an edit: the record and its lines stay as they were.
    let r = api
        .post(
            "/api/v1/opportunities",
            json!({ "name": "原样", "account_id": account.id, "lines": [line("A", json!(2), json!(5), Value::Null)] }),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r2 = api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({ "name": "改了", "lines": [line("A", json!(2), json!(5), Value::Null), line("B", json!("x"), json!(5), Value::Null)] }),
            &etag(&r),
        )
        .await;
    assert_eq!(r2.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r2.body);
    assert_eq!(
        field_pairs(&r2),
        vec![("lines.1.quantity".into(), "invalid_number".into())]
    );
    let read = api.get(&format!("/api/v1/opportunities/{id}")).await.json();
    assert_eq!(read["name"], json!("原样"));
    assert_eq!(read["version"], r.json()["version"]);
    assert_eq!(read["lines"].as_array().unwrap().len(), 1);
    assert_eq!(read["products_total"], json!("10.00"));

    // Computed values are the server's: neither the totals nor a line's amount may be given.
    let r3 = api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({ "products_total": "1", "lines": [{ "product": "A", "quantity": 1, "unit_price": 1, "amount": "99" }] }),
            &etag(&r),
        )
        .await;
    assert_eq!(
        field_pairs(&r3),
        vec![
            ("lines.0.amount".into(), "read_only".into()),
            ("products_total".into(), "read_only".into()),
        ]
    );
    // Rows of the wrong shape.
    let r4 = api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({ "lines": {"product": "A"} }),
            &etag(&r),
        )
        .await;
    assert_eq!(
        field_pairs(&r4),
        vec![("lines".into(), "wrong_type".into())]
    );
    let r4 = api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({ "lines": ["A"] }),
            &etag(&r),
        )
        .await;
    assert_eq!(
        field_pairs(&r4),
        vec![("lines.0".into(), "wrong_type".into())]
    );

    // At most 100 lines.
    let many: Vec<Value> = (0..101)
        .map(|i| line(&format!("P{i}"), json!(1), json!(1), Value::Null))
        .collect();
    let r5 = api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({ "lines": many }),
            &etag(&r),
        )
        .await;
    assert_eq!(r5.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r5.body);
    assert_eq!(
        field_pairs(&r5),
        vec![("lines".into(), "too_many_rows".into())]
    );
    assert_eq!(stored_lines(&env, c.tenant_id, &id).await, 1);
    let hundred: Vec<Value> = many.into_iter().take(100).collect();
    let r6 = api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({ "lines": hundred }),
            &etag(&r),
        )
        .await;
    assert_eq!(r6.status, StatusCode::OK, "{}", r6.body);
    assert_eq!(r6.json()["products_count"], json!(100.0));
    assert_eq!(r6.json()["products_total"], json!("100.00"));

    // Another currency restates the lines kept: whole yuan become whole yen…
    let r7 = api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({ "currency": "JPY" }),
            &etag(&r6),
        )
        .await;
    assert_eq!(r7.status, StatusCode::OK, "{}", r7.body);
    let read = api.get(&format!("/api/v1/opportunities/{id}")).await.json();
    assert_eq!(read["lines"][0]["unit_price"], json!("1"));
    assert_eq!(read["lines"][0]["amount"], json!("1"));
    assert_eq!(read["products_total"], json!("100"));
    // …and a fen that yen cannot hold is a line's error.
    let r8 = api
        .post(
            "/api/v1/opportunities",
            json!({ "name": "分", "account_id": account.id, "lines": [line("A", json!(1), json!("0.5"), Value::Null)] }),
        )
        .await;
    let cents = r8.json()["id"].as_str().unwrap().to_string();
    let r9 = api
        .patch(
            &format!("/api/v1/opportunities/{cents}"),
            json!({ "currency": "JPY" }),
            &etag(&r8),
        )
        .await;
    assert_eq!(r9.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r9.body);
    assert!(
        field_pairs(&r9).contains(&("lines.0.unit_price".into(), "too_precise".into())),
        "{}",
        r9.body
    );
}

/// A user of a role that may only read opportunities (and accounts), of every owner.
async fn viewer(env: &Env, c: &Company) -> Actor {
    let role = app::org::create_role(
        &env.app,
        &c.admin,
        app::org::RoleInput {
            name: "Viewer".into(),
            grants: vec![
                ("opportunity".into(), vec!["read".into()], "all".into()),
                ("account".into(), vec!["read".into()], "all".into()),
            ],
        },
    )
    .await
    .expect("role");
    let id = app::org::create_user(
        &env.app,
        &c.admin,
        app::org::UserInput {
            email: "viewer@vis.example".into(),
            name: "viewer".into(),
            password: Some(PASSWORD.into()),
            role_id: Some(role),
            department_id: None,
            manager_id: None,
            active: true,
            locale: None,
        },
    )
    .await
    .expect("user");
    env.actor(c.tenant_id, id).await
}

async fn lines_follow_the_opportunity(env: Env) {
    let c = env.company("可见", "admin@vis.example").await;
    let sales = env.department(&c, "销售部", None).await;
    let manager = env
        .user(&c, "boss@vis.example", "sales_manager", Some(sales), None)
        .await;
    let owner = env
        .user(
            &c,
            "owner@vis.example",
            "sales_rep",
            Some(sales),
            Some(manager.id()),
        )
        .await;
    let other = env
        .user(
            &c,
            "other@vis.example",
            "sales_rep",
            Some(sales),
            Some(manager.id()),
        )
        .await;
    let account = env.account(&owner, "客户").await;
    let owner_api = env.api(&env.token(&owner).await);
    let r = owner_api
        .post(
            "/api/v1/opportunities",
            json!({ "name": "我的", "account_id": account.id, "lines": [line("A", json!(1), json!(9), Value::Null)] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let version = etag(&r);

    // Another rep cannot see the opportunity, so neither its lines nor a way to change them.
    let other_api = env.api(&env.token(&other).await);
    for path in [
        format!("/api/v1/opportunities/{id}/lines"),
        format!("/api/v1/opportunities/{id}"),
    ] {
        assert_eq!(
            other_api.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let r = other_api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({ "lines": [] }),
            &version,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let mut b = env.browser();
    b.login("other@vis.example").await;
    assert_eq!(
        b.get(&format!("/opportunities/{id}")).await.status,
        StatusCode::NOT_FOUND
    );

    // Their manager sees and edits them.
    let boss_api = env.api(&env.token(&manager).await);
    let lines = boss_api
        .get(&format!("/api/v1/opportunities/{id}/lines"))
        .await;
    assert_eq!(lines.status, StatusCode::OK, "{}", lines.body);
    assert_eq!(lines.json()["items"][0]["product"], json!("A"));
    let r = boss_api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({ "lines": [line("B", json!(2), json!(9), Value::Null)] }),
            &version,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["products_total"], json!("18.00"));

    // Read-only access reads the lines and cannot change them.
    let viewer = viewer(&env, &c).await;
    let viewer_api = env.api(&env.token(&viewer).await);
    let lines = viewer_api
        .get(&format!("/api/v1/opportunities/{id}/lines"))
        .await;
    assert_eq!(lines.status, StatusCode::OK, "{}", lines.body);
    let r2 = viewer_api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({ "lines": [] }),
            &etag(&r),
        )
        .await;
    assert_eq!(r2.status, StatusCode::FORBIDDEN, "{}", r2.body);
    assert_eq!(stored_lines(&env, c.tenant_id, &id).await, 1);
    // The record page shows them without the editor's link.
    let mut vb = env.browser();
    vb.login("viewer@vis.example").await;
    let page = vb.get(&format!("/opportunities/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("id=\"children-lines\"");
    assert!(
        !page.body.contains("#rows-lines"),
        "no edit link for a reader"
    );
}

async fn the_record_page_shows_and_edits_lines(env: Env) {
    let c = env.company("页面", "admin@page.example").await;
    let rep = env
        .user(&c, "rep@page.example", "sales_rep", None, None)
        .await;
    let account = env.account(&rep, "页面客户").await;
    let api = env.api(&env.token(&rep).await);
    let mut b = env.browser();
    b.login("rep@page.example").await;

    // The new form has the editor with one empty row; the add button fetches the next.
    let form = b
        .get(&format!("/opportunities/new?account_id={}", account.id))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains("name=\"lines.0.product\"");
    form.assert_contains("产品明细");
    let more = b.get_htmx("/opportunities/rows/lines?index=1").await;
    assert_eq!(more.status, StatusCode::OK, "{}", more.body);
    more.assert_contains("name=\"lines.1.product\"");
    more.assert_contains("index=2");
    more.assert_contains("hx-swap-oob");

    let mut fields = form_fields(&form.body, "/opportunities");
    let set = |fields: &mut Vec<(String, String)>, k: &str, v: &str| match fields
        .iter_mut()
        .find(|(key, _)| key == k)
    {
        Some(f) => f.1 = v.to_string(),
        None => fields.push((k.to_string(), v.to_string())),
    };
    set(&mut fields, "name", "页面商机");
    set(&mut fields, "lines.0.product", "键盘");
    set(&mut fields, "lines.0.quantity", "2");
    set(&mut fields, "lines.0.unit_price", "150");
    set(&mut fields, "lines.0.discount", "10");
    // A row added with htmx, and one left empty (no row).
    set(&mut fields, "lines.1.product", "鼠标");
    set(&mut fields, "lines.1.quantity", "1");
    set(&mut fields, "lines.1.unit_price", "50");
    set(&mut fields, "lines.2.product", "");
    let r = post_fields(&mut b, "/opportunities", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = r.location();
    let id = path
        .trim_start_matches("/opportunities/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let page = b.get(&format!("/opportunities/{id}")).await;
    page.assert_contains("产品明细");
    page.assert_contains("键盘");
    page.assert_contains("270.00");
    page.assert_contains("320.00");
    page.assert_contains("#rows-lines");
    // English.
    b.accept_language = "en".into();
    let en = b.get(&format!("/opportunities/{id}")).await;
    en.assert_contains("Products");
    en.assert_contains("Unit price");

    // The edit form holds the lines; a bad quantity is shown on its row, nothing saved.
    let edit = b.get(&format!("/opportunities/{id}/edit")).await;
    edit.assert_contains("value=\"键盘\"");
    edit.assert_contains("name=\"lines.2.product\"");
    let mut fields = form_fields(&edit.body, &format!("/opportunities/{id}"));
    set(&mut fields, "lines.0.quantity", "0");
    let bad = post_fields(&mut b, &format!("/opportunities/{id}"), &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    bad.assert_contains("id=\"e-lines.0.quantity\"");
    bad.assert_contains("Must be greater than zero.");
    bad.assert_contains("value=\"鼠标\"");
    let read = api.get(&format!("/api/v1/opportunities/{id}")).await.json();
    assert_eq!(read["products_total"], json!("320.00"));

    // Remove the first line, change the second: the totals follow, with the history.
    let mut fields = form_fields(&edit.body, &format!("/opportunities/{id}"));
    fields.push(("lines.0._remove".into(), "1".into()));
    set(&mut fields, "lines.1.quantity", "3");
    let r = post_fields(&mut b, &format!("/opportunities/{id}"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let read = api.get(&format!("/api/v1/opportunities/{id}")).await.json();
    assert_eq!(read["products_total"], json!("150.00"));
    assert_eq!(read["lines"].as_array().unwrap().len(), 1);
    assert_eq!(read["lines"][0]["product"], json!("鼠标"));
    let page = b.get(&format!("/opportunities/{id}")).await;
    page.assert_contains("Products total");
    page.assert_contains("鼠标 · 3 · 50.00");
}
