//! The OpenAPI 3 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Meridian API", description = "REST API of Meridian, a lead-to-cash CRM. Authenticate with `Authorization: Bearer <token>` (create tokens under My settings or with `meridian admin token create`). Errors are `{\"error\": {\"code\", \"message\", \"fields\"}}` with stable codes; messages follow `Accept-Language` (en, zh-CN). Changes to existing records need `If-Match` with the record's ETag."),
    paths(
        super::me,
        super::accounts::list,
        super::accounts::create,
        super::accounts::read,
        super::accounts::patch,
        super::accounts::remove,
        super::accounts::transfer,
        super::accounts::history,
        super::jobs::show,
        super::jobs::list,
        super::jobs::retry,
    ),
    components(schemas(super::ErrorBody)),
    modifiers(&BearerAuth),
    tags((name = "accounts", description = "Accounts (客户)"), (name = "auth", description = "The caller"), (name = "jobs", description = "Background jobs (后台任务)"))
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

/// The document as JSON text (for snapshot tests and `meridian openapi`).
pub fn json() -> String {
    let objects: Vec<_> = super::records::OBJECTS
        .into_iter()
        .filter_map(|k| domain::objects::spec(k).map(|s| (k, s.fields.clone())))
        .collect();
    serde_json::to_string_pretty(&with_records(&objects)).unwrap_or_default()
}

/// The annotated document plus the paths and schemas of the metadata-driven objects.
fn with_records(
    objects: &[(
        domain::permissions::ObjectKind,
        Vec<domain::fields::FieldDef>,
    )],
) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let error = json!({ "$ref": "#/components/schemas/ErrorBody" });
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": error } } });
    let security = json!([{ "bearer": [] }]);
    let mut paths = Map::new();
    let mut schemas = Map::new();
    let mut tags = Vec::new();
    for (kind, fields) in objects {
        let Some(spec) = domain::objects::spec(*kind) else {
            continue;
        };
        let name = {
            let mut c = kind.key().chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        };
        let mut read = Map::new();
        let mut write = Map::new();
        read.insert("id".into(), json!({ "type": "string", "format": "uuid" }));
        for f in fields {
            let (t, format) = super::records::json_type(f.field_type);
            let mut schema = json!({ "type": t, "description": if f.label_en.is_empty() { &f.label_zh } else { &f.label_en } });
            if let Some(format) = format {
                schema["format"] = json!(format);
            }
            if t == "array" {
                schema["items"] = json!({ "type": "string" });
            }
            if !f.options.is_empty() {
                let keys: Vec<&str> = f
                    .options
                    .iter()
                    .filter(|o| o.active)
                    .map(|o| o.key.as_str())
                    .collect();
                if t == "array" {
                    schema["items"]["enum"] = json!(keys);
                } else {
                    schema["enum"] = json!(keys);
                }
            }
            if let Some(max) = f.max_length {
                schema["maxLength"] = json!(max);
            }
            if let Some(min) = f.min {
                schema["minimum"] = json!(min.to_string().parse::<f64>().unwrap_or_default());
            }
            if let Some(max) = f.max {
                schema["maximum"] = json!(max.to_string().parse::<f64>().unwrap_or_default());
            }
            if let Some(p) = &f.pattern {
                schema["pattern"] = json!(format!("^(?:{p})$"));
            }
            if f.column.is_none() {
                schema["x-custom-field"] = json!(true);
            }
            let mut nullable = schema.clone();
            nullable["nullable"] = json!(true);
            read.insert(f.key.clone(), nullable.clone());
            if !f.system {
                write.insert(f.key.clone(), nullable);
            }
        }
        read.insert("version".into(), json!({ "type": "integer" }));
        read.insert("names".into(), json!({ "type": "object", "additionalProperties": { "type": "string" }, "description": "Names of the records and users this record refers to, by id" }));
        let required: Vec<&str> = fields
            .iter()
            .filter(|f| f.required && !f.system && f.key != "owner_id" && f.default_value.is_none())
            .map(|f| f.key.as_str())
            .collect();
        schemas.insert(
            name.clone(),
            json!({ "type": "object", "properties": read }),
        );
        schemas.insert(
            format!("{name}Write"),
            json!({ "type": "object", "properties": write, "additionalProperties": false }),
        );
        schemas.insert(format!("{name}Create"), json!({ "allOf": [{ "$ref": format!("#/components/schemas/{name}Write") }], "required": required }));
        schemas.insert(format!("{name}Page"), json!({ "type": "object", "properties": {
            "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{name}") } },
            "next_cursor": { "type": "string", "nullable": true } } }));
        let tag = spec.plural;
        tags.push(
            json!({ "name": tag, "description": format!("{} ({})", spec.label_en, spec.label_zh) }),
        );
        let one = json!({ "description": "The record", "headers": { "ETag": { "schema": { "type": "string" } } },
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{name}") } } } });
        let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } });
        let if_match = json!({ "name": "If-Match", "in": "header", "required": false, "schema": { "type": "string" } });
        let list_params = json!([
            { "name": "filter", "in": "query", "schema": { "type": "array", "items": { "type": "string" } }, "explode": true,
              "description": "`field:operator:value[,value]`, repeatable; operators per type as in GET …/fields (eq, ne, contains, starts_with, in, between, gt, gte, lt, lte, empty, not_empty, today, this_week, last_week, next_week, this_month, last_month, next_month, this_quarter, this_year, last_n_days, next_n_days, older_than_days); `me` for the caller in user fields" },
            { "name": "sort", "in": "query", "schema": { "type": "string" }, "description": "An indexed field, `-` in front for descending (default `-updated_at`)" },
            { "name": "cursor", "in": "query", "schema": { "type": "string" } },
            { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200 } },
            { "name": "q", "in": "query", "schema": { "type": "string" }, "description": "Quick search by name" },
            { "name": "view", "in": "query", "schema": { "type": "string" }, "description": "A saved view id or a built-in view key" }
        ]);
        paths.insert(format!("/api/v1/{tag}"), json!({
            "get": { "tags": [tag], "summary": format!("List {}", spec.label_en.to_lowercase()), "security": security, "parameters": list_params,
                "responses": { "200": { "description": "A page", "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{name}Page") } } } }, "422": err("Bad filter, sort or cursor") } },
            "post": { "tags": [tag], "summary": format!("Create a record of {}", spec.label_en.to_lowercase()), "security": security,
                "parameters": [{ "name": "Idempotency-Key", "in": "header", "required": false, "schema": { "type": "string" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{name}Create") } } } },
                "responses": { "201": one, "422": err("Invalid fields") } }
        }));
        paths.insert(format!("/api/v1/{tag}/{{id}}"), json!({
            "get": { "tags": [tag], "security": security, "parameters": [id_param], "responses": { "200": one, "404": err("Not found or not visible") } },
            "patch": { "tags": [tag], "security": security, "parameters": [id_param, if_match],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{name}Write") } } } },
                "responses": { "200": one, "412": err("Stale version"), "428": err("If-Match missing"), "422": err("Invalid fields"), "404": err("Not found") } },
            "delete": { "tags": [tag], "security": security, "parameters": [id_param, if_match], "responses": { "204": { "description": "Deleted" }, "412": err("Stale version"), "422": err("Still referenced") } }
        }));
        paths.insert(format!("/api/v1/{tag}/query"), json!({ "post": { "tags": [tag], "security": security, "summary": "List with filters in a JSON body ({filters:[{field,op,values}], sort, cursor, limit, q, view})",
            "responses": { "200": { "description": "A page", "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{name}Page") } } } } } } }));
        paths.insert(format!("/api/v1/{tag}/fields"), json!({ "get": { "tags": [tag], "security": security, "summary": "Standard and custom fields with types, options and operators", "responses": { "200": { "description": "Fields" } } },
            "post": { "tags": [tag], "security": security, "summary": "Add a custom field (administrators)", "responses": { "201": { "description": "Added" }, "202": { "description": "Added; its index (`indexed: true`) is built by a job: `{job: {id, url}}`, `Location` the job (GET /api/v1/jobs/{id})" }, "422": err("Invalid definition") } } }));
        paths.insert(format!("/api/v1/{tag}/views"), json!({ "get": { "tags": [tag], "security": security, "summary": "Built-in and saved list views", "responses": { "200": { "description": "Views" } } } }));
        paths.insert(format!("/api/v1/{tag}/{{id}}/history"), json!({ "get": { "tags": [tag], "security": security, "parameters": [id_param], "summary": "Field history", "responses": { "200": { "description": "Changes, newest first" } } } }));
    }
    for (path, summary) in [
        ("/api/v1/activities/{id}/complete", "Mark an activity done"),
        (
            "/api/v1/activities/{id}/postpone",
            "Move a task's due time by {days}",
        ),
        (
            "/api/v1/activities/{id}/check-in",
            "Check in at a visit with {latitude, longitude, accuracy}",
        ),
        (
            "/api/v1/activities/{id}/follow-up",
            "Plan a follow-up task {name, due_at}",
        ),
        (
            "/api/v1/accounts/{id}/relationships",
            "Relationships with other accounts (GET, POST {to_id, kind, note})",
        ),
        (
            "/api/v1/contacts/{id}/relationships",
            "Relationships with other contacts (GET, POST {to_id, kind, note})",
        ),
    ] {
        paths.insert(path.into(), json!({ "post": { "tags": ["activities"], "security": security, "summary": summary,
            "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
            "responses": { "200": { "description": "Done" }, "404": err("Not found"), "422": err("Refused") } } }));
    }
    for (path, summary) in [
        ("/api/v1/accounts/{id}/timeline", "The account's 360° stream, newest first (?kind=activity|opportunity|contact|field, ?before=<cursor>)"),
        ("/api/v1/accounts/{id}/rollup", "Sub-account count, open pipeline and won amount over the account's tree"),
    ] {
        paths.insert(path.into(), json!({ "get": { "tags": ["accounts"], "security": security, "summary": summary,
            "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
            "responses": { "200": { "description": "OK" }, "404": err("Not found") } } }));
    }
    paths.insert("/api/v1/search".into(), json!({ "get": { "tags": ["search"], "security": security,
        "summary": "Search accounts, contacts, leads and opportunities at once, within your data scope",
        "parameters": [
            { "name": "q", "in": "query", "required": true, "schema": { "type": "string", "maxLength": 100 }, "description": "Words or fragments of a name, phone or e-mail" },
            { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 20 }, "description": "Matches per object (default 5)" }
        ],
        "responses": { "200": { "description": "Groups of {object, items, more}, one per object with matches" }, "422": err("Missing or too long query, or bad limit") } } }));
    tags.push(json!({ "name": "search", "description": "Global search (全局搜索)" }));
    paths.insert("/api/v1/my-day".into(), json!({ "get": { "tags": ["activities"], "security": security, "summary": "Today's tasks and meetings, overdue tasks and due reminders", "responses": { "200": { "description": "OK" } } } }));
    if let Some(Value::Object(p)) = doc.get_mut("paths") {
        p.extend(paths);
    }
    if let Some(Value::Object(s)) = doc.pointer_mut("/components/schemas") {
        s.extend(schemas);
    }
    if let Some(Value::Array(t)) = doc.get_mut("tags") {
        t.extend(tags);
    }
    doc
}
