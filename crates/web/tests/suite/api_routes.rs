//! Every route of the API table is served with its method; the document a caller gets.

use crate::on_both_databases;
use crate::support::Env;
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

on_both_databases!(
    every_route_in_the_table_answers_its_method,
    the_document_describes_custom_fields_of_every_type
);

/// With a bad token every route answers 401, never the router's 404 or 405: the table's
/// method and path are what the router serves.
async fn every_route_in_the_table_answers_its_method(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api("mrd_not_a_token");
    let routes = web::api::served_routes();
    assert!(routes.len() > 60, "{}", routes.len());
    let id = c.admin.id().to_string();
    for (method, template) in &routes {
        let (method, path) = (method.clone(), template.clone());
        let path = format!("/api/v1{path}")
            .replace("{id}", &id)
            .replace("{link_id}", &id);
        // A bad token is refused everywhere, the document included.
        let r = api.call(method.clone(), &path, None, &[]).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            r.body
        );
        assert_eq!(
            r.json()["error"]["code"],
            "unauthenticated",
            "{method} {path}"
        );
        // A method the table does not serve on the path: the router knows the path, not
        // the method.
        let unserved = [Method::PUT, Method::PATCH, Method::DELETE]
            .into_iter()
            .find(|m| !routes.iter().any(|(rm, rp)| rm == m && rp == template))
            .expect("a method the path does not serve");
        let r = api.call(unserved.clone(), &path, None, &[]).await;
        assert_eq!(
            r.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{unserved} {path}"
        );
    }
}

/// The document a caller gets describes the company's custom fields like standard ones, in
/// OpenAPI 3.1 terms: a field of each type the document lists is accepted, and each is
/// described with a type that admits `null`, never with `nullable`.
async fn the_document_describes_custom_fields_of_every_type(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let doc = api.get("/api/v1/openapi.json").await.json();
    let types: Vec<String> = doc["components"]["schemas"]["FieldDefinition"]["properties"]
        ["field_type"]["enum"]
        .as_array()
        .expect("the field types")
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    assert_eq!(types.len(), domain::fields::FieldType::ALL.len());
    for t in &types {
        let mut def = json!({"key": format!("x_{t}"), "label_en": t, "field_type": t});
        if t == "picklist" || t == "multi_select" {
            def["options"] = json!([{"key": "a", "label_zh": "甲", "label_en": "A"}, {"key": "b", "label_zh": "乙", "label_en": "B"}]);
        }
        if t == "lookup" {
            def["lookup_object"] = json!("account");
        }
        let r = api.post("/api/v1/contacts/fields", def).await;
        assert_eq!(r.status, StatusCode::CREATED, "{t}: {}", r.body);
    }
    let r = api.get("/api/v1/openapi.json").await;
    assert!(!r.body.contains("\"nullable\""));
    // scripts/test validates this document as OpenAPI 3.1 too.
    if let Ok(dir) = std::env::var("MERIDIAN_OPENAPI_DIR") {
        let path = std::path::Path::new(&dir).join(format!(
            "custom-fields-{}-{}.json",
            std::process::id(),
            c.tenant_id
        ));
        std::fs::write(&path, &r.body).expect("writing the document");
    }
    let doc = r.json();
    for schema in ["Contact", "ContactWrite"] {
        let properties = &doc["components"]["schemas"][schema]["properties"];
        for t in &types {
            let field = &properties[format!("x_{t}")];
            assert_eq!(field["x-custom-field"], true, "{schema}.x_{t}");
            let admits_null = field["type"]
                .as_array()
                .is_some_and(|ts| ts.contains(&json!("null")) && ts.len() == 2);
            assert!(admits_null, "{schema}.x_{t}: {field}");
            if let Some(choices) = field["enum"].as_array() {
                assert!(choices.contains(&Value::Null), "{schema}.x_{t}");
            }
        }
    }
    assert_eq!(
        doc["components"]["schemas"]["Contact"]["properties"]["x_multi_select"]["items"]["enum"],
        json!(["a", "b"])
    );
}
