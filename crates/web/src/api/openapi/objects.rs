//! The schemas and paths of the metadata-driven objects, generated from their field
//! definitions (standard and, with a caller, the company's custom fields).

use domain::fields::{FieldDef, FieldType, Operator};
use domain::permissions::ObjectKind;
use serde_json::{json, Map, Value};

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// A JSON body or answer of the given schema.
pub(super) fn content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

pub(super) fn id_param(name: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } })
}

pub(super) fn if_match(required: bool) -> Value {
    let description = if required {
        "The record's `ETag` (`\"N\"`, also `W/\"N\"`), or `*` for whatever version is current; without it the answer is 428, unless the body gives `version`"
    } else {
        "The record's `ETag` (or `*`): the change is refused with 412 when the record has changed since"
    };
    json!({ "name": "If-Match", "in": "header", "required": required, "schema": { "type": "string" }, "description": description })
}

fn etag_header() -> Value {
    json!({ "ETag": { "description": "The version, in quotes", "schema": { "type": "string" } } })
}

/// The JSON Schema of one field's value; `null` is allowed (no value, or clears it).
pub(super) fn field_schema(f: &FieldDef) -> Value {
    let (t, format) = super::super::records::json_type(f.field_type);
    let description = if f.label_en.is_empty() {
        &f.label_zh
    } else {
        &f.label_en
    };
    let mut schema = json!({ "type": [t, "null"], "description": description });
    if let Some(format) = format {
        schema["format"] = json!(format);
    }
    if t == "array" {
        schema["items"] = json!({ "type": "string" });
    }
    if !f.options.is_empty() {
        let keys: Vec<Value> = f
            .options
            .iter()
            .filter(|o| o.active)
            .map(|o| json!(o.key))
            .collect();
        if t == "array" {
            schema["items"]["enum"] = json!(keys);
        } else {
            let mut keys = keys;
            keys.push(Value::Null);
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
    schema
}

/// `Contact` for `contact`.
fn schema_name(kind: ObjectKind) -> String {
    let mut c = kind.key().chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

const NAMES_SINGLE: &str = "Names of the records and users this record refers to, by id. On single-record answers only: a list page carries one `names` map for all its items instead.";
const NAMES_PAGE: &str =
    "Names of the records and users the page's items refer to, by id, once for the whole page.";

fn names_schema(description: &str) -> Value {
    json!({ "type": "object", "additionalProperties": { "type": "string" }, "description": description })
}

/// The shared schemas: a page's names, field definitions, views, history, list queries.
pub(super) fn shared_schemas(schemas: &mut Map<String, Value>) {
    let types: Vec<&str> = FieldType::ALL.iter().map(|t| t.key()).collect();
    let operators: Vec<&str> = Operator::ALL.iter().map(|o| o.key()).collect();
    let text = |d: &str| json!({ "type": "string", "description": d });
    let maybe = |t: &str| json!({ "type": [t, "null"] });
    schemas.insert("FieldDefinition".into(), json!({
        "type": "object", "required": ["key", "field_type"],
        "description": "A field of an object: the standard ones, and the company's custom fields (added by administrators).",
        "properties": {
            "key": text("Lower-case letters, digits and `_`, starting with a letter (at most 40)"),
            "label_zh": text("Label in Chinese"),
            "label_en": text("Label in English"),
            "field_type": { "type": "string", "enum": types },
            "required": { "type": "boolean" },
            "max_length": maybe("integer"),
            "min": { "type": ["number", "string", "null"], "description": "For numbers: the smallest value" },
            "max": { "type": ["number", "string", "null"], "description": "For numbers: the largest value" },
            "pattern": { "type": ["string", "null"], "description": "A regular expression the whole text must match" },
            "default_value": maybe("string"),
            "help_zh": maybe("string"),
            "help_en": maybe("string"),
            "options": { "type": "array", "description": "Choices of a picklist or multi-select", "items": {
                "type": "object", "required": ["key", "label_zh", "label_en"], "properties": {
                    "key": { "type": "string" }, "label_zh": { "type": "string" }, "label_en": { "type": "string" }, "active": { "type": "boolean" } } } },
            "lookup_object": { "type": ["string", "null"], "description": "For lookups: the object looked up" },
            "system": { "type": "boolean", "description": "Set by the system, never by a body (read only)" },
            "indexed": { "type": "boolean", "description": "Backed by an index: may be sorted on and filtered at scale" },
            "position": { "type": "integer" },
        } }));
    schemas.insert("FieldList".into(), json!({ "type": "object", "properties": { "items": { "type": "array", "items": {
        "allOf": [schema_ref("FieldDefinition")],
        "properties": {
            "custom": { "type": "boolean", "description": "A custom field of the company" },
            "operators": { "type": "array", "items": { "type": "string", "enum": operators }, "description": "The filter operators the field's type takes" } } } } } }));
    schemas.insert("Filter".into(), json!({ "type": "object", "required": ["field", "op"], "properties": {
        "field": { "type": "string" }, "op": { "type": "string", "enum": operators },
        "values": { "type": "array", "items": { "type": "string" }, "description": "`me` stands for the caller in user fields" } } }));
    schemas.insert(
        "ViewDefinition".into(),
        json!({ "type": "object", "properties": {
        "columns": { "type": "array", "items": { "type": "string" } },
        "filters": { "type": "array", "items": schema_ref("Filter") },
        "sort": { "type": "string" }, "descending": { "type": "boolean" } } }),
    );
    schemas.insert("ViewList".into(), json!({ "type": "object", "properties": { "items": { "type": "array", "items": {
        "type": "object", "properties": {
            "id": { "type": "string", "description": "A built-in view's key, or a saved view's id" },
            "name": { "type": "string" }, "builtin": { "type": "boolean" },
            "shared_with": { "type": ["string", "null"] },
            "definition": schema_ref("ViewDefinition") } } } } }));
    schemas.insert(
        "ListQuery".into(),
        json!({ "type": "object", "additionalProperties": false, "properties": {
        "filters": { "type": "array", "items": schema_ref("Filter") },
        "sort": maybe("string"), "cursor": maybe("string"),
        "limit": { "type": ["integer", "null"], "minimum": 1, "maximum": app::records::MAX_PAGE },
        "q": maybe("string"), "view": maybe("string") } }),
    );
    schemas.insert("RecordHistory".into(), json!({ "type": "object", "properties": {
        "next_cursor": { "type": ["string", "null"], "description": "The cursor of the next page; null on the last" },
        "items": { "type": "array", "items": {
        "type": "object", "properties": {
            "id": { "type": "string", "format": "uuid" },
            "field": { "type": "string" }, "old_value": maybe("string"), "new_value": maybe("string"),
            "changed_by": { "type": "string", "format": "uuid" }, "changed_by_name": maybe("string"),
            "changed_at": { "type": "string", "format": "date-time" } } } } } }));
}

/// Adds the schemas and paths of one object.
pub(super) fn add_object(
    kind: ObjectKind,
    fields: &[FieldDef],
    paths: &mut Map<String, Value>,
    schemas: &mut Map<String, Value>,
    tags: &mut Vec<Value>,
) {
    let Some(spec) = domain::objects::spec(kind) else {
        return;
    };
    let name = schema_name(kind);
    let mut read = Map::new();
    let mut write = Map::new();
    read.insert("id".into(), json!({ "type": "string", "format": "uuid" }));
    let mut quick = Vec::new();
    for f in fields {
        let schema = field_schema(f);
        read.insert(f.key.clone(), schema.clone());
        if let Some(key) = crate::api::records::name_key(f) {
            read.insert(key, json!({ "type": ["string", "null"], "description": format!("The name of `{}` (read only)", f.key) }));
        }
        if !f.system {
            write.insert(f.key.clone(), schema);
        }
        let (op, value) = match f.field_type {
            FieldType::Tags => ("contains", "a tag"),
            _ => ("eq", "a value"),
        };
        quick.push(
            json!({ "name": f.key, "in": "query", "schema": { "type": "string" },
            "description": format!("Quick filter: `filter={}:{op}:…` with {value}", f.key) }),
        );
        if matches!(f.field_type, FieldType::Date | FieldType::DateTime) {
            let stem = f.key.strip_suffix("_at").unwrap_or(&f.key);
            for (suffix, op) in [("from", "gte"), ("to", "lte")] {
                quick.push(json!({ "name": format!("{stem}_{suffix}"), "in": "query", "schema": { "type": "string" },
                    "description": format!("Quick filter: `filter={}:{op}:…` (`YYYY-MM-DD` in the caller's time zone)", f.key) }));
            }
        }
    }
    if spec.rules.contains(&domain::rules::Rule::Assignment) {
        write.insert(app::assignment::FLAG.into(), json!({ "type": "boolean",
            "description": "On create: run the company's assignment rules (`true`), or not (`false`); left out, they run when no `owner_id` is given. A lead the rules give to someone the caller does not see answers `{id, visible: false}`" }));
    }
    if spec.archive.is_some() {
        quick.push(json!({ "name": crate::api::list_query::ARCHIVED, "in": "query",
            "schema": { "type": "string", "enum": ["hidden", "include", "only"] },
            "description": "Archived records (won, lost and terminated deals): left out (`hidden`, the default), included, or the only ones" }));
    }
    read.insert(
        "created_by".into(),
        json!({ "type": "string", "format": "uuid" }),
    );
    read.insert(
        "updated_by".into(),
        json!({ "type": "string", "format": "uuid" }),
    );
    read.insert("version".into(), json!({ "type": "integer" }));
    read.insert("names".into(), names_schema(NAMES_SINGLE));
    write.insert(
        "version".into(),
        json!({ "type": "integer", "description": "Alternative to `If-Match` on PATCH" }),
    );
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
    schemas.insert(
        format!("{name}Create"),
        json!({ "allOf": [schema_ref(&format!("{name}Write"))], "required": required }),
    );
    schemas.insert(format!("{name}Page"), json!({ "type": "object", "properties": {
        "items": { "type": "array", "items": schema_ref(&name) },
        "names": names_schema(NAMES_PAGE),
        "next_cursor": { "type": ["string", "null"], "description": "The cursor of the next page; null on the last" } } }));
    let tag = spec.plural;
    let label = spec.label_en.to_lowercase();
    tags.push(
        json!({ "name": tag, "description": format!("{} ({})", spec.label_en, spec.label_zh) }),
    );
    let security = json!([{ "bearer": [] }]);
    let one = |d: &str| json!({ "description": d, "headers": etag_header(), "content": content(schema_ref(&name)) });
    let created = json!({ "description": "Created", "headers": {
        "ETag": { "description": "The version, in quotes", "schema": { "type": "string" } },
        "Location": { "description": "The new record's path", "schema": { "type": "string" } } },
        "content": content(schema_ref(&name)) });
    let page =
        json!({ "description": "A page", "content": content(schema_ref(&format!("{name}Page"))) });
    let list_params = json!([
        { "name": "filter", "in": "query", "schema": { "type": "array", "items": { "type": "string" } }, "explode": true,
          "description": "`field:operator:value[,value]`, repeatable; the operators of each field are in GET …/fields; `me` for the caller in user fields" },
        { "name": "sort", "in": "query", "schema": { "type": "string" }, "description": "An indexed field, `-` in front for descending (default `-updated_at`)" },
        { "name": "cursor", "in": "query", "schema": { "type": "string" }, "description": "`next_cursor` of the previous page" },
        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": app::records::MAX_PAGE }, "description": "Default 50" },
        { "name": "q", "in": "query", "schema": { "type": "string" }, "description": "Quick search by name" },
        { "name": "view", "in": "query", "schema": { "type": "string" }, "description": "A saved view id or a built-in view key" }
    ]);
    let mut list_params = list_params;
    if let Some(params) = list_params.as_array_mut() {
        params.extend(quick);
    }
    let body = |schema: &str| json!({ "required": true, "content": content(schema_ref(schema)) });
    paths.insert(format!("/api/v1/{tag}"), json!({
        "get": { "tags": [tag], "summary": format!("List {label}"), "security": security, "parameters": list_params,
            "responses": { "200": page } },
        "post": { "tags": [tag], "summary": format!("Create a record of {label}"), "security": security,
            "parameters": [{ "name": "Idempotency-Key", "in": "header", "required": false, "schema": { "type": "string" },
                "description": "Makes retries safe: the same key and body within 24 hours give the first answer (with `Idempotent-Replayed: true`)" }],
            "requestBody": body(&format!("{name}Create")),
            "responses": { "201": created } }
    }));
    paths.insert(format!("/api/v1/{tag}/{{id}}"), json!({
        "get": { "tags": [tag], "summary": format!("Read a record of {label}"), "security": security, "parameters": [id_param("id")],
            "responses": { "200": one("The record") } },
        "patch": { "tags": [tag], "summary": "Change some fields; `null` clears one", "security": security, "parameters": [id_param("id"), if_match(true)],
            "requestBody": body(&format!("{name}Write")),
            "responses": { "200": one("The changed record") } },
        "delete": { "tags": [tag], "summary": "Delete a record that nothing refers to", "security": security, "parameters": [id_param("id"), if_match(true)],
            "responses": { "204": { "description": "Deleted" } } }
    }));
    paths.insert(
        format!("/api/v1/{tag}/query"),
        json!({ "post": { "tags": [tag], "security": security,
        "summary": "List with the filters in a JSON body (for values containing `,` or `:`)",
        "requestBody": body("ListQuery"), "responses": { "200": page } } }),
    );
    paths.insert(format!("/api/v1/{tag}/{{id}}/history"), json!({ "get": { "tags": [tag], "security": security,
        "parameters": [id_param("id"),
            { "name": "cursor", "in": "query", "schema": { "type": "string" }, "description": "`next_cursor` of the previous page" },
            { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200 }, "description": "Default 50" }],
        "summary": "Field history, newest first",
        "responses": { "200": { "description": "Changes", "content": content(schema_ref("RecordHistory")) } } } }));
    paths.insert(format!("/api/v1/{tag}/{{id}}/transfer"), json!({ "post": { "tags": [tag], "security": security,
        "parameters": [id_param("id"), if_match(true)], "summary": "Hand the record to another owner (needs the transfer permission)",
        "requestBody": { "required": true, "content": content(json!({ "type": "object", "required": ["owner_id"], "additionalProperties": false,
            "properties": { "owner_id": { "type": "string", "format": "uuid" }, "version": { "type": "integer", "description": "Alternative to `If-Match`" } } })) },
        "responses": { "200": one("The record"), "204": { "description": "Transferred; the record has left the caller's scope" } } } }));
    add_fields_and_views(paths, tag);
}

/// `…/fields` and `…/views` of an object (also of accounts).
pub(super) fn add_fields_and_views(paths: &mut Map<String, Value>, tag: &str) {
    let security = json!([{ "bearer": [] }]);
    paths.insert(format!("/api/v1/{tag}/fields"), json!({
        "get": { "tags": [tag], "security": security, "summary": "Standard and custom fields with types, options and operators",
            "responses": { "200": { "description": "Fields", "content": content(schema_ref("FieldList")) } } },
        "post": { "tags": [tag], "security": security, "summary": "Add a custom field (administrators)",
            "requestBody": { "required": true, "content": content(schema_ref("FieldDefinition")) },
            "responses": { "201": { "description": "Added" },
                "202": { "description": "Added; its index (`indexed: true`) is built by a background job: `{job: {id, url}}`, `Location` the job (GET /api/v1/jobs/{id})",
                    "headers": { "Location": { "schema": { "type": "string" } } } } } } }));
    paths.insert(format!("/api/v1/{tag}/views"), json!({ "get": { "tags": [tag], "security": security,
        "summary": "Built-in list views and the saved views the caller may use",
        "responses": { "200": { "description": "Views", "content": content(schema_ref("ViewList")) } } } }));
}
