//! What every object of the record engine has, accounts as much as contacts: references
//! named beside them, quick filters named after fields, tags filtered by tag, transfer with
//! its permission, paged history, the tree rule of accounts.

use crate::on_both_databases;
use crate::support::{field_codes, Env};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

on_both_databases!(
    answers_name_their_references_and_authors,
    quick_filters_and_tags_on_every_list,
    transfer_and_paged_history_on_every_object,
    the_account_tree_is_a_declared_rule
);

async fn answers_name_their_references_and_authors(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let parent = api
        .post("/api/v1/accounts", json!({"name": "集团总部"}))
        .await
        .json();
    let child = api
        .post(
            "/api/v1/accounts",
            json!({"name": "华南分公司", "parent_id": parent["id"]}),
        )
        .await;
    assert_eq!(child.status, StatusCode::CREATED, "{}", child.body);
    let child = child.json();
    assert_eq!(child["parent_name"], "集团总部");
    assert_eq!(child["owner_name"], c.admin.user.name.as_str());
    assert_eq!(child["created_by"], c.admin.id().to_string());
    assert_eq!(child["tags"], json!([]), "no tags is an empty list");
    let contact = api
        .post(
            "/api/v1/contacts",
            json!({"name": "李娜", "account_id": child["id"]}),
        )
        .await
        .json();
    assert_eq!(contact["account_name"], "华南分公司");
    // In lists too, item by item.
    let list = api.get("/api/v1/contacts").await.json();
    assert_eq!(list["items"][0]["account_name"], "华南分公司");
    assert_eq!(list["items"][0]["owner_name"], c.admin.user.name.as_str());
}

async fn quick_filters_and_tags_on_every_list(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    for (name, tags) in [
        ("甲", json!(["VIP", "重点"])),
        ("乙", json!(["vip"])),
        ("丙", json!([])),
    ] {
        let r = api
            .post("/api/v1/accounts", json!({"name": name, "tags": tags}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let names = |v: &Value| -> Vec<String> {
        let mut n: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    // A tag is matched as it was typed, by the singular or the field's own key.
    assert_eq!(
        names(&api.get("/api/v1/accounts?tag=VIP").await.json()),
        ["甲"]
    );
    let r = api.get("/api/v1/accounts?tags=%E9%87%8D%E7%82%B9").await;
    assert_eq!(names(&r.json()), ["甲"]);
    let r = api.get("/api/v1/accounts?filter=tags:empty").await;
    assert_eq!(names(&r.json()), ["丙"]);
    let r = api.get("/api/v1/accounts?filter=tags:not_empty").await;
    assert_eq!(names(&r.json()), ["乙", "甲"]);
    // A tag changed away is no longer found by it.
    let yi = api.get("/api/v1/accounts?tag=vip").await.json()["items"][0].clone();
    let r = api
        .patch(
            &format!("/api/v1/accounts/{}", yi["id"].as_str().unwrap()),
            json!({"tags": ["普通"]}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(names(&api.get("/api/v1/accounts?tag=vip").await.json()).is_empty());
    assert_eq!(
        names(
            &api.get("/api/v1/accounts?tag=%E6%99%AE%E9%80%9A")
                .await
                .json()
        ),
        ["乙"]
    );
    // Tags in a body are a list; a text, a tag too long or too many are field errors.
    let r = api
        .post("/api/v1/accounts", json!({"name": "丁", "tags": "VIP"}))
        .await;
    assert_eq!(field_codes(&r), [("tags".into(), "wrong_type".into())]);
    let r = api
        .post(
            "/api/v1/accounts",
            json!({"name": "丁", "tags": ["x".repeat(31)]}),
        )
        .await;
    assert_eq!(field_codes(&r), [("tags".into(), "invalid_tag".into())]);
    let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    let r = api
        .post("/api/v1/accounts", json!({"name": "丁", "tags": many}))
        .await;
    assert_eq!(field_codes(&r), [("tags".into(), "too_many".into())]);
    // Every object takes quick filters named after its fields, dates by `_from`/`_to`.
    let account = api.get("/api/v1/accounts?tag=VIP").await.json()["items"][0]["id"].clone();
    api.post(
        "/api/v1/contacts",
        json!({"name": "王芳", "account_id": account}),
    )
    .await;
    api.post("/api/v1/contacts", json!({"name": "赵磊"})).await;
    let r = api
        .get(&format!(
            "/api/v1/contacts?account_id={}",
            account.as_str().unwrap()
        ))
        .await;
    assert_eq!(names(&r.json()), ["王芳"]);
    let r = api.get("/api/v1/contacts?created_from=2000-01-01").await;
    assert_eq!(names(&r.json()), ["王芳", "赵磊"]);
    let r = api.get("/api/v1/contacts?created_to=2000-01-01").await;
    assert!(names(&r.json()).is_empty());
    // A bad quick filter is an error named after the parameter.
    let r = api.get("/api/v1/contacts?customer_role=boss").await;
    assert_eq!(
        field_codes(&r),
        [("customer_role".into(), "invalid_choice".into())]
    );
    let r = api.get("/api/v1/contacts?created_from=yesterday").await;
    assert_eq!(field_codes(&r)[0].0, "created_from");
    let r = api.get("/api/v1/contacts?colour=red").await;
    assert_eq!(field_codes(&r), [("colour".into(), "unknown_field".into())]);
}

async fn transfer_and_paged_history_on_every_object(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let other = env
        .user(&c, "other@a.example", "sales_rep", None, None)
        .await;
    let admin_api = env.api(&env.token(&c.admin).await);
    let rep_api = env.api(&env.token(&rep).await);
    let r = rep_api
        .post(
            "/api/v1/leads",
            json!({"name": "陈晨", "company": "某某科技"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let lead = r.json()["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/leads/{lead}");
    // A rep may not hand a lead to someone else; the answer says why and nothing changes.
    let r = rep_api
        .call(
            Method::POST,
            &format!("{path}/transfer"),
            Some(json!({"owner_id": other.id()})),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Edits make history, paged newest first.
    for (i, company) in ["甲公司", "乙公司", "丙公司"].iter().enumerate() {
        let r = rep_api
            .patch(
                &path,
                json!({"company": company}),
                &format!("\"{}\"", i + 1),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let first = rep_api.get(&format!("{path}/history?limit=2")).await.json();
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    assert_eq!(first["items"][0]["new_value"], "丙公司");
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let second = rep_api
        .get(&format!("{path}/history?limit=2&cursor={cursor}"))
        .await
        .json();
    assert_eq!(second["items"][0]["new_value"], "甲公司");
    let r = rep_api.get(&format!("{path}/history?cursor=nope")).await;
    assert_eq!(
        field_codes(&r),
        [("cursor".into(), "invalid_cursor".into())]
    );
    // The administrator transfers it; the rep no longer sees it (the answer is 204).
    let r = admin_api
        .call(
            Method::POST,
            &format!("{path}/transfer"),
            Some(json!({"owner_id": other.id(), "colour": "red"})),
            &[("If-Match", "\"4\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = admin_api
        .call(
            Method::POST,
            &format!("{path}/transfer"),
            Some(json!({"owner_id": other.id()})),
            &[("If-Match", "\"3\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.body);
    let r = admin_api
        .call(
            Method::POST,
            &format!("{path}/transfer"),
            Some(json!({"owner_id": other.id()})),
            &[("If-Match", "\"4\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["owner_name"], "other");
    assert_eq!(rep_api.get(&path).await.status, StatusCode::NOT_FOUND);
    let history = admin_api.get(&format!("{path}/history")).await.json();
    assert_eq!(history["items"][0]["field"], "owner_id");
    assert_eq!(history["items"][0]["new_value"], "other");
}

async fn the_account_tree_is_a_declared_rule(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let mut chain: Vec<String> = Vec::new();
    for level in 0..4 {
        let mut body = json!({"name": format!("第{level}级")});
        if let Some(parent) = chain.last() {
            body["parent_id"] = json!(parent);
        }
        let r = api.post("/api/v1/accounts", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        chain.push(r.json()["id"].as_str().unwrap().to_string());
    }
    // A fifth level is too deep; the message names the limit.
    let r = api
        .post(
            "/api/v1/accounts",
            json!({"name": "第4级", "parent_id": chain[3]}),
        )
        .await;
    assert_eq!(field_codes(&r), [("parent_id".into(), "too_deep".into())]);
    let message = r.json()["error"]["fields"][0]["message"].clone();
    assert!(
        message.as_str().is_some_and(|m| m.contains('4')),
        "{message}"
    );
    // The top may not go under its own descendant.
    let r = api
        .patch(
            &format!("/api/v1/accounts/{}", chain[0]),
            json!({"parent_id": chain[2]}),
            "\"1\"",
        )
        .await;
    assert_eq!(field_codes(&r), [("parent_id".into(), "cycle".into())]);
    // A parent with children is not deleted.
    let r = api
        .call(
            Method::DELETE,
            &format!("/api/v1/accounts/{}", chain[2]),
            None,
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "account_has_children");
    let r = api
        .call(
            Method::DELETE,
            &format!("/api/v1/accounts/{}", chain[3]),
            None,
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
}
