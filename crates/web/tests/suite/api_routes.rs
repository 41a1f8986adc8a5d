//! Every route of the API table is served with its method.

use crate::on_both_databases;
use crate::support::Env;
use axum::http::{Method, StatusCode};

on_both_databases!(every_route_in_the_table_answers_its_method);

/// With a bad token every route answers 401, never the router's 404 or 405: the table's
/// method and path are what the router serves.
async fn every_route_in_the_table_answers_its_method(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api("mrd_not_a_token");
    let routes = web::api::served_routes();
    assert!(routes.len() > 60, "{}", routes.len());
    let id = c.admin.id().to_string();
    for (method, path) in routes {
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
        // No route of the API answers PUT: the router knows the path, not the method.
        let r = api.call(Method::PUT, &path, None, &[]).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "PUT {path}");
    }
}
