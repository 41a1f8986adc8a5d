//! API list answers carry the names of the records and users their items refer to once per
//! page, not inside every item.

use crate::on_both_databases;
use crate::support::Env;
use axum::http::StatusCode;
use serde_json::{json, Value};

on_both_databases!(lists_carry_names_once_per_page);

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().expect("items")
}

async fn lists_carry_names_once_per_page(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let huawei = env
        .account(&c.admin, "深圳华为技术有限公司")
        .await
        .id
        .to_string();
    let byd = env
        .account(&c.admin, "比亚迪股份有限公司")
        .await
        .id
        .to_string();
    let admin = c.admin.id().to_string();
    for (name, account) in [("张伟", &huawei), ("李娜", &byd), ("王芳", &huawei)] {
        let r = api
            .post(
                "/api/v1/contacts",
                json!({"name": name, "account_id": account}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        // A single record keeps its own names.
        let names = ["深圳华为技术有限公司", "比亚迪股份有限公司"];
        assert!(names.contains(&r.json()["names"][account.as_str()].as_str().unwrap()));
    }
    let r = api
        .post("/api/v1/opportunities", json!({"name": "华为二期", "account_id": huawei, "stage": "negotiation", "amount": "100000"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    let page = api.get("/api/v1/contacts?limit=2").await.json();
    assert_eq!(items(&page).len(), 2);
    assert!(items(&page).iter().all(|i| i.get("names").is_none()));
    // The page's names cover what its items refer to, and only that.
    let names = page["names"].as_object().expect("names of the page");
    let mut referred = std::collections::BTreeSet::new();
    for item in items(&page) {
        for key in ["account_id", "owner_id"] {
            let id = item[key].as_str().unwrap();
            assert!(names.contains_key(id), "{key} {id} has no name");
            referred.insert(id.to_string());
        }
    }
    assert_eq!(names[&admin], "Acme admin");
    assert_eq!(names.len(), referred.len(), "{names:?}");
    // Through the JSON-body query too.
    let page = api
        .post("/api/v1/contacts/query", json!({"limit": 50}))
        .await
        .json();
    assert_eq!(items(&page).len(), 3);
    assert!(items(&page).iter().all(|i| i.get("names").is_none()));
    assert_eq!(page["names"][&byd], "比亚迪股份有限公司");
    assert_eq!(page["names"].as_object().unwrap().len(), 3);

    // Global search: names once per group.
    let r = api.get("/api/v1/search?q=华为").await.json();
    let groups = r["groups"].as_array().unwrap();
    let opportunities = groups
        .iter()
        .find(|g| g["object"] == "opportunity")
        .expect("the opportunity group");
    assert!(items(opportunities)
        .iter()
        .all(|i| i.get("names").is_none()));
    assert_eq!(opportunities["names"][&huawei], "深圳华为技术有限公司");

    // My day: names once for its three lists.
    let task = api
        .post("/api/v1/activities", json!({"kind": "task", "name": "回访", "account_id": huawei, "due_at": "2020-01-01T09:00:00Z"}))
        .await;
    assert_eq!(task.status, StatusCode::CREATED, "{}", task.body);
    let day = api.get("/api/v1/my-day").await.json();
    let overdue = day["overdue"].as_array().unwrap();
    assert_eq!(overdue.len(), 1);
    assert!(overdue[0].get("names").is_none());
    assert_eq!(day["names"][&huawei], "深圳华为技术有限公司");
}
