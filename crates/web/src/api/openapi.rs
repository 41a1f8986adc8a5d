//! The OpenAPI 3.1 document: the annotated handlers (the organisation, tokens, settings), the
//! record objects generated from their field definitions ([`objects`]), the paths
//! around them ([`actions`]) and the error responses of every operation ([`errors`]).

mod actions;
mod children;
mod closing;
mod errors;
mod objects;
mod picklists;
mod stages;

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Meridian API", description = "REST API of Meridian, a lead-to-cash CRM. Authenticate with `Authorization: Bearer <token>` (create tokens under My settings, with `POST /api/v1/me/tokens` or with `meridian admin token create`). Errors are `{\"error\": {\"code\", \"message\", \"fields\"}}` with stable codes; messages follow `Accept-Language` (en, zh-CN). Changes to existing records need `If-Match` with the record's ETag. List pages carry the names of the records and users their items refer to once per page, in `names`."),
    paths(
        super::me,
        super::org::list_users,
        super::org::create_user,
        super::org::read_user,
        super::org::patch_user,
        super::org::list_departments,
        super::org::create_department,
        super::org::read_department,
        super::org::patch_department,
        super::org::list_roles,
        super::org::read_role,
        super::tokens::list,
        super::tokens::create,
        super::tokens::revoke,
        super::jobs::show,
        super::jobs::list,
        super::jobs::retry,
        super::imports::create,
        super::imports::list,
        super::imports::show,
        super::imports::errors,
        super::imports::undo,
        super::exports::create,
        super::exports::list,
        super::exports::show,
        super::exports::file,
        super::events::list,
        super::money::show,
        super::money::replace,
        super::notifications::list,
        super::notifications::read,
        super::notifications::read_all,
        super::mail::preferences,
        super::mail::set_preferences,
        super::mail::settings,
        super::mail::deliveries,
        super::audit::list,
    ),
    components(schemas(
        super::imports::ImportUpload,
        super::exports::ExportBody,
        super::ErrorBody,
        super::activity_actions::PostponeIn,
        super::activity_actions::CheckInIn,
        super::activity_actions::FollowUpIn,
        super::relationships::LinkIn,
        super::money::ExchangeRatesBody,
        super::money::RateBody,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "The caller and its API tokens"),
        (name = "org", description = "Users, departments and roles (组织架构); administrators change them"),
        (name = "jobs", description = "Background jobs (后台任务)"),
        (name = "imports", description = "Imports of CSV and XLSX files (数据导入)"),
        (name = "exports", description = "Exports of list views to CSV and XLSX (数据导出)"),
        (name = "events", description = "The change feed (变更事件): every committed change of the records the caller may see"),
        (name = "settings", description = "Company settings: the company currency and exchange rates (汇率), record types (业务类型) and stage sets"),
        (name = "notifications", description = "The caller's notifications (消息中心) and where they arrive"),
        (name = "mail", description = "Notification e-mail (邮件通知): the mail server and the delivery log, for administrators"),
        (name = "audit", description = "The audit of administration (administrators only)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("mrd_…")
                    .build(),
            ),
        );
    }
}

/// Former schema names and the schemas they are now (accounts' schemas were written by hand
/// before accounts moved onto the record engine).
const SCHEMA_ALIASES: &[(&str, &str)] = &[("AccountOut", "Account")];

/// The document. With a bearer token, the schemas also describe the caller's company's
/// custom fields, exactly like standard ones.
pub async fn document(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    user: Option<super::ApiUser>,
) -> Json<serde_json::Value> {
    let mut objects = Vec::new();
    for kind in super::records::OBJECTS {
        let fields = match &user {
            Some(user) => app::records::object_fields(&state.app, &user.actor, kind)
                .await
                .ok(),
            None => None,
        };
        let defs: Vec<domain::fields::FieldDef> = match (&fields, domain::objects::spec(kind)) {
            (Some(f), _) => f.all().into_iter().cloned().collect(),
            (None, Some(spec)) => spec.fields.clone(),
            (None, None) => continue,
        };
        objects.push((kind, defs));
    }
    Json(with_records(&objects))
}

/// The document without custom fields, as JSON text (for the snapshot test and
/// `meridian openapi`).
pub fn json() -> String {
    let objects: Vec<_> = super::records::OBJECTS
        .into_iter()
        .filter_map(|k| domain::objects::spec(k).map(|s| (k, s.fields.clone())))
        .collect();
    serde_json::to_string_pretty(&with_records(&objects)).unwrap_or_default()
}

/// The annotated document plus the paths and schemas of the metadata-driven objects, and the
/// error responses of every operation.
fn with_records(
    objects: &[(
        domain::permissions::ObjectKind,
        Vec<domain::fields::FieldDef>,
    )],
) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let mut paths = Map::new();
    let mut schemas = Map::new();
    let mut tags = Vec::new();
    objects::shared_schemas(&mut schemas);
    for (kind, fields) in objects {
        objects::add_object(*kind, fields, &mut paths, &mut schemas, &mut tags);
    }
    children::add(&mut paths, &mut schemas);
    // Names earlier documents gave these schemas, for clients generated from them.
    for (old, new) in SCHEMA_ALIASES {
        if schemas.contains_key(*new) {
            schemas.insert(
                (*old).into(),
                json!({ "$ref": format!("#/components/schemas/{new}"), "deprecated": true }),
            );
        }
    }
    actions::add(&mut paths, &mut schemas);
    picklists::add(&mut paths, &mut schemas);
    stages::add(&mut paths, &mut schemas);
    closing::add(&mut paths, &mut schemas);
    super::sharing::document(&mut paths, &mut schemas);
    super::pools::document(&mut paths, &mut schemas);
    super::conversion::document(&mut paths, &mut schemas);
    super::duplicates::document(&mut paths);
    super::assignment::document(&mut paths, &mut schemas);
    super::showroom::document(&mut paths, &mut schemas);
    super::web_forms::document(&mut paths, &mut schemas);
    tags.push(
        json!({ "name": "pools", "description": "Public pools (公海池) of leads and accounts" }),
    );
    tags.push(json!({ "name": "search", "description": "Global search (全局搜索)" }));
    tags.push(json!({ "name": "assignment", "description": "Lead assignment rules (线索分配)" }));
    tags.push(json!({ "name": "showroom", "description": "Showroom register and traffic statistics (三表一卡)" }));
    tags.push(json!({ "name": "web_forms", "description": "Web forms (网站表单): web-to-lead forms for the company website" }));
    if let Some(Value::Object(p)) = doc.get_mut("paths") {
        p.extend(paths);
    }
    if let Some(Value::Object(s)) = doc.pointer_mut("/components/schemas") {
        s.extend(schemas);
    }
    if let Some(Value::Array(t)) = doc.get_mut("tags") {
        t.extend(tags);
    }
    errors::add(&mut doc);
    name_operations(&mut doc);
    doc
}

/// Gives every operation without one an `operationId` from its method and path
/// (`get /api/v1/contacts/{id}/history` → `get_contacts_id_history`), for generated clients.
fn name_operations(doc: &mut serde_json::Value) {
    let Some(serde_json::Value::Object(paths)) = doc.get_mut("paths") else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        let words: Vec<String> = path
            .trim_start_matches("/api/v1/")
            .split(['/', '-', '.'])
            .map(|w| w.trim_matches(['{', '}']).to_string())
            .filter(|w| !w.is_empty())
            .collect();
        for (method, op) in item.iter_mut() {
            if op.get("operationId").is_none() {
                op["operationId"] = serde_json::json!(format!("{method}_{}", words.join("_")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn document() -> Value {
        serde_json::from_str(&super::json()).unwrap()
    }

    /// Unintended changes to the document show here; `cargo insta review` accepts intended ones.
    #[test]
    fn document_snapshot() {
        insta::assert_snapshot!("openapi", super::json());
    }

    /// Every route the router serves is in the document with its method, and the document
    /// describes no route the router does not serve.
    #[test]
    fn every_route_is_documented() {
        let doc = document();
        let paths = doc["paths"].as_object().unwrap();
        let served: Vec<(String, String)> = super::super::served_routes()
            .into_iter()
            .map(|(m, p)| (m.as_str().to_lowercase(), format!("/api/v1{p}")))
            .chain(
                super::super::web_forms::PUBLIC_ROUTES
                    .iter()
                    .map(|(m, p)| (m.to_string(), p.to_string())),
            )
            .collect();
        for (method, path) in &served {
            assert!(
                paths.get(path).and_then(|p| p.get(method)).is_some(),
                "{method} {path} is served but not documented"
            );
        }
        for (path, item) in paths {
            for method in item.as_object().unwrap().keys() {
                assert!(
                    served.iter().any(|(m, p)| m == method && p == path),
                    "{method} {path} is documented but not served"
                );
            }
        }
    }

    /// Every operation has an `operationId`, each a different one.
    #[test]
    fn operation_ids_are_unique() {
        let doc = document();
        let mut ids = std::collections::BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap_or_default();
                assert!(!id.is_empty(), "{method} {path}");
                assert!(ids.insert(id.to_string()), "{method} {path}: {id} twice");
            }
        }
    }

    /// OpenAPI 3.1 schemas are JSON Schema: `nullable` does not exist there.
    #[test]
    fn no_nullable_keyword() {
        let text = super::json();
        assert!(text.starts_with('{') && document()["openapi"] == "3.1.0");
        assert!(!text.contains("\"nullable\""));
    }

    /// Every POST and PATCH that reads a body documents it; every operation documents the
    /// errors it can give with the shared error schema; `If-Match` is required where its
    /// absence answers 428.
    #[test]
    fn bodies_parameters_and_errors_are_documented() {
        let doc = document();
        let without_body = [
            "/api/v1/activities/{id}/complete",
            "/api/v1/jobs/{id}/retry",
            "/api/v1/imports/{id}/undo",
            "/api/v1/notifications/{id}/read",
            "/api/v1/notifications/read-all",
            "/api/v1/leads/{id}/claim",
            "/api/v1/accounts/{id}/claim",
        ];
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let at = format!("{method} {path}");
                if (method == "post" || method == "patch") && !without_body.contains(&path.as_str())
                {
                    let content = &op["requestBody"]["content"];
                    assert!(
                        content["application/json"]["schema"].is_object()
                            || content["multipart/form-data"]["schema"].is_object(),
                        "{at}: no body"
                    );
                    for status in ["400", "413", "415", "422"] {
                        assert!(op["responses"][status].is_object(), "{at}: no {status}");
                    }
                }
                if op["security"].as_array().is_some_and(|s| s.len() == 1) {
                    assert!(op["responses"]["401"].is_object(), "{at}: no 401");
                }
                if path.contains('{') {
                    assert!(op["responses"]["404"].is_object(), "{at}: no 404");
                }
                if method != "get" {
                    assert_eq!(
                        op["responses"]["507"]["$ref"], "#/components/responses/StorageFull",
                        "{at}"
                    );
                }
                for param in op["parameters"].as_array().into_iter().flatten() {
                    if param["name"] == "If-Match" && (method == "patch" || method == "delete") {
                        assert_eq!(param["required"], true, "{at}: If-Match optional");
                        assert!(op["responses"]["428"].is_object(), "{at}: no 428");
                    }
                }
                for (status, response) in op["responses"].as_object().unwrap() {
                    assert!(response["description"] != "", "{at}: {status} undescribed");
                    if status.starts_with('4') || status.starts_with('5') {
                        let target = response["$ref"].as_str().unwrap_or_default();
                        let shared = doc.pointer(&format!(
                            "/components/responses/{}",
                            target.trim_start_matches("#/components/responses/")
                        ));
                        let schema = shared.unwrap_or(response)["content"]["application/json"]
                            ["schema"]["$ref"]
                            .clone();
                        assert_eq!(schema, "#/components/schemas/ErrorBody", "{at}: {status}");
                    }
                }
            }
        }
    }
}
