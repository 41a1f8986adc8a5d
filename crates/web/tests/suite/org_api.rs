//! The organisation and the caller's tokens through the API, as an administrator and as a
//! rep; relationships deleted through the API.

use crate::on_both_databases;
use crate::support::{Env, Response};
use axum::http::{header, Method, StatusCode};
use serde_json::{json, Value};

on_both_databases!(
    administrator_manages_users_through_the_api,
    administrator_manages_departments_through_the_api,
    rep_reads_the_org_but_cannot_change_it,
    callers_manage_only_their_own_tokens,
    relationships_are_deleted_through_the_api
);

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

fn codes(r: &Response) -> Vec<(String, String)> {
    r.json()["error"]["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["field"].as_str().unwrap_or_default().to_string(),
                f["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn administrator_manages_users_through_the_api(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let sales = env.department(&c, "华南销售部", None).await;
    let manager = env
        .user(&c, "manager@a.example", "sales_manager", Some(sales), None)
        .await;
    let rep_role = env.role_id(&c, "sales_rep").await;

    let r = api
        .post(
            "/api/v1/users",
            json!({"email": "li@a.example", "name": "李娜", "password": "long enough pw",
            "role_id": rep_role, "department_id": sales, "manager_id": manager.id()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.headers[header::ETAG], "\"1\"");
    let created = r.json();
    let id = id_of(&created);
    assert_eq!(r.location(), format!("/api/v1/users/{id}"));
    assert_eq!(created["department_name"], "华南销售部");
    assert_eq!(created["manager_id"], manager.id().to_string());
    assert_eq!(created["role_name"], "销售代表");
    assert_eq!(created["active"], true);
    assert!(created.get("password_hash").is_none() && created.get("password").is_none());

    // The new user signs in with the password given.
    app::auth::login(&env.app, "li@a.example", "long enough pw")
        .await
        .expect("the new user signs in");

    // Bad input: field errors, nothing created.
    let r = api
        .post(
            "/api/v1/users",
            json!({"email": "li@a.example", "name": "", "password": "short",
            "role_id": rep_role, "manager_id": "00000000-0000-0000-0000-000000000000"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut got = codes(&r);
    got.sort();
    assert_eq!(
        got,
        [
            ("email".to_string(), "email_taken".to_string()),
            ("manager_id".to_string(), "invalid_reference".to_string()),
            ("name".to_string(), "required".to_string()),
            ("password".to_string(), "password_too_short".to_string()),
        ]
    );
    let r = api
        .post("/api/v1/users", json!({"email": "x@a.example", "name": "X", "password": "long enough pw", "role_id": rep_role, "colour": "red"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["code"], "invalid_body");
    let list = api.get("/api/v1/users").await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 3);

    // Deactivate: needs If-Match; the user's token stops working; reactivate.
    let li = env.actor(c.tenant_id, id.parse().unwrap()).await;
    let li_api = env.api(&env.token(&li).await);
    assert_eq!(li_api.get("/api/v1/me").await.status, StatusCode::OK);
    let r = api
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(json!({"active": false})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    let r = api
        .patch(
            &format!("/api/v1/users/{id}"),
            json!({"active": false}),
            "\"7\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    let r = api
        .patch(
            &format!("/api/v1/users/{id}"),
            json!({"active": false}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["active"], false);
    assert_eq!(r.json()["department_id"], sales.to_string());
    assert_eq!(r.headers[header::ETAG], "\"2\"");
    assert_eq!(
        li_api.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = api
        .patch(
            &format!("/api/v1/users/{id}"),
            json!({"active": true, "manager_id": null, "department_id": null}),
            "\"2\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let back = api.get(&format!("/api/v1/users/{id}")).await.json();
    assert_eq!(back["active"], true);
    assert_eq!(back["manager_id"], Value::Null);
    assert_eq!(back["department_id"], Value::Null);

    // The company keeps one active administrator.
    let admin = c.admin.id();
    let current = api.get(&format!("/api/v1/users/{admin}")).await;
    let etag = current.headers[header::ETAG].to_str().unwrap().to_string();
    let r = api
        .patch(
            &format!("/api/v1/users/{admin}"),
            json!({"active": false}),
            &etag,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["code"], "last_admin");

    // Roles: list and read.
    let roles = api.get("/api/v1/roles").await.json();
    let rep = roles["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "sales_rep")
        .expect("the rep role")
        .clone();
    assert_eq!(rep["id"], rep_role.to_string());
    let one = api.get(&format!("/api/v1/roles/{rep_role}")).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["permissions"], rep["permissions"]);
    assert!(one.json()["permissions"].is_object());
    let none = api
        .get("/api/v1/roles/00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
}

async fn administrator_manages_departments_through_the_api(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let r = api
        .post("/api/v1/departments", json!({"name": "销售部"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let sales = id_of(&r.json());
    assert_eq!(r.location(), format!("/api/v1/departments/{sales}"));
    let r = api
        .post(
            "/api/v1/departments",
            json!({"name": "华南区", "parent_id": sales}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let south = id_of(&r.json());
    assert_eq!(r.json()["parent_id"], sales);

    // Rename.
    let r = api
        .patch(
            &format!("/api/v1/departments/{south}"),
            json!({"name": "华南大区"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["name"], "华南大区");
    assert_eq!(r.headers[header::ETAG], "\"2\"");
    // A move under its own child is a cycle, and changes nothing.
    let r = api
        .patch(
            &format!("/api/v1/departments/{sales}"),
            json!({"parent_id": south}),
            "\"1\"",
        )
        .await;
    assert_eq!(codes(&r), [("parent_id".to_string(), "cycle".to_string())]);
    // Rename and move at once are refused as one change.
    let r = api
        .patch(
            &format!("/api/v1/departments/{south}"),
            json!({"name": "华南", "parent_id": null}),
            "\"2\"",
        )
        .await;
    assert_eq!(
        codes(&r),
        [("parent_id".to_string(), "rename_or_move".to_string())]
    );
    assert!(!r.json()["error"]["fields"][0]["message"]
        .as_str()
        .unwrap()
        .contains("rename_or_move"));
    // Move to the top level.
    let r = api
        .patch(
            &format!("/api/v1/departments/{south}"),
            json!({"parent_id": null}),
            "\"2\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["parent_id"], Value::Null);
    assert_eq!(r.json()["name"], "华南大区");
    let r = api
        .patch(
            &format!("/api/v1/departments/{south}"),
            json!({"name": "X"}),
            "\"2\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    let list = api.get("/api/v1/departments").await.json();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"销售部") && names.contains(&"华南大区"));
}

async fn rep_reads_the_org_but_cannot_change_it(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let sales = env.department(&c, "销售部", None).await;
    let rep = env
        .user(&c, "rep@a.example", "sales_rep", Some(sales), None)
        .await;
    let api = env.api(&env.token(&rep).await);
    let rep_role = env.role_id(&c, "sales_rep").await;

    // A rep finds the user id to assign an owner.
    let users = api.get("/api/v1/users").await;
    assert_eq!(users.status, StatusCode::OK);
    let admin = c.admin.id().to_string();
    assert!(users.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["id"] == admin.as_str()));
    assert_eq!(
        api.get(&format!("/api/v1/users/{admin}")).await.status,
        StatusCode::OK
    );
    assert_eq!(api.get("/api/v1/departments").await.status, StatusCode::OK);
    assert_eq!(api.get("/api/v1/roles").await.status, StatusCode::OK);

    let r = api
        .post("/api/v1/users", json!({"email": "x@a.example", "name": "X", "password": "long enough pw", "role_id": rep_role}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = api
        .patch(
            &format!("/api/v1/users/{admin}"),
            json!({"active": false}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = api
        .patch(
            &format!("/api/v1/users/{}", rep.id()),
            json!({"role_id": env.role_id(&c, "administrator").await}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = api
        .post("/api/v1/departments", json!({"name": "新部门"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .patch(
            &format!("/api/v1/departments/{sales}"),
            json!({"name": "改名"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Nothing changed.
    let users = app::org::list_users(&env.app, &c.admin).await.unwrap();
    assert_eq!(users.len(), 2);
    assert!(users.iter().all(|u| u.active && u.version == 1));
    let departments = app::org::list_departments(&env.app, &c.admin)
        .await
        .unwrap();
    assert_eq!(departments.len(), 1);
    assert_eq!(departments[0].name, "销售部");
}

async fn callers_manage_only_their_own_tokens(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let rep_api = env.api(&env.token(&rep).await);
    let admin_api = env.api(&env.token(&c.admin).await);

    let r = rep_api
        .post("/api/v1/me/tokens", json!({"name": "  ERP sync  "}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.json();
    let token_id = id_of(&created);
    assert_eq!(created["name"], "ERP sync");
    let secret = created["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("mrd_"));
    // The new token acts as the rep.
    let new_api = env.api(&secret);
    assert_eq!(
        new_api.get("/api/v1/me").await.json()["email"],
        "rep@a.example"
    );
    // The list shows it once, without the secret.
    let list = rep_api.get("/api/v1/me/tokens").await;
    assert!(!list.body.contains(&secret));
    let items = list.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert!(items
        .iter()
        .any(|t| t["id"] == token_id.as_str() && t["revoked_at"].is_null()));
    // The administrator sees only its own tokens and cannot revoke the rep's.
    let admin_list = admin_api.get("/api/v1/me/tokens").await.json();
    assert_eq!(admin_list["items"].as_array().unwrap().len(), 1);
    let r = admin_api
        .call(
            Method::DELETE,
            &format!("/api/v1/me/tokens/{token_id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(new_api.get("/api/v1/me").await.status, StatusCode::OK);
    // A nameless token is a field error.
    let r = rep_api
        .post("/api/v1/me/tokens", json!({"name": " "}))
        .await;
    assert_eq!(codes(&r), [("name".to_string(), "required".to_string())]);
    // The rep revokes its own.
    let r = rep_api
        .call(
            Method::DELETE,
            &format!("/api/v1/me/tokens/{token_id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        new_api.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let list = rep_api.get("/api/v1/me/tokens").await.json();
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == token_id.as_str() && !t["revoked_at"].is_null()));
}

async fn relationships_are_deleted_through_the_api(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let supplier = env.account(&c.admin, "深圳华为技术有限公司").await.id;
    let customer = env.account(&c.admin, "比亚迪").await.id;
    let r = api
        .post(
            &format!("/api/v1/accounts/{supplier}/relationships"),
            json!({"to_id": customer, "kind": "supplies"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let links = api
        .get(&format!("/api/v1/accounts/{customer}/relationships"))
        .await
        .json();
    let link = links["items"][0]["id"].as_str().unwrap().to_string();

    // A rep who cannot see the accounts does not find the relationship.
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let rep_api = env.api(&env.token(&rep).await);
    let r = rep_api
        .call(
            Method::DELETE,
            &format!("/api/v1/accounts/{supplier}/relationships/{link}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Through another account it is not found either.
    let other = env.account(&c.admin, "美的集团").await.id;
    let r = api
        .call(
            Method::DELETE,
            &format!("/api/v1/accounts/{other}/relationships/{link}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Deleted from the customer's side, gone from both.
    let r = api
        .call(
            Method::DELETE,
            &format!("/api/v1/accounts/{customer}/relationships/{link}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    for account in [supplier, customer] {
        let links = api
            .get(&format!("/api/v1/accounts/{account}/relationships"))
            .await
            .json();
        assert_eq!(links["items"], json!([]));
    }
    let r = api
        .call(
            Method::DELETE,
            &format!("/api/v1/accounts/{customer}/relationships/{link}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
