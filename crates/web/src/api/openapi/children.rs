//! The child rows of the metadata-driven objects in the document: each kind's row schema
//! (read and write), the rows on the record's schemas, and `GET …/{id}/{child}`.

use super::objects::{content, field_schema, id_param};
use serde_json::{json, Map, Value};

/// `Opportunity` for `opportunity` (the object schemas' names).
fn capitalised(key: &str) -> String {
    key.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A row field's schema: numbers are answered as decimal strings, and a body may give a
/// number or a string (`writing`).
fn row_field_schema(f: &domain::fields::FieldDef, writing: bool) -> Value {
    let mut schema = field_schema(f);
    let (t, format) = crate::api::children::row_type(f.field_type);
    let numeric = format == Some("decimal");
    schema["type"] = match (writing && numeric, t) {
        (true, _) => json!(["string", "number", "null"]),
        (false, t) => json!([t, "null"]),
    };
    if let Some(format) = format {
        schema["format"] = json!(format);
    }
    schema
}

pub(super) fn add(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    for kind in crate::api::records::OBJECTS {
        let Some(spec) = domain::objects::spec(kind) else {
            continue;
        };
        let object = capitalised(kind.key());
        for child in &spec.children {
            // `OpportunityLine` for an opportunity's `lines`.
            let name = format!("{object}{}", capitalised(child.key.trim_end_matches('s')));
            let mut read = Map::new();
            let mut write = Map::new();
            read.insert("id".into(), json!({ "type": "string", "format": "uuid" }));
            for f in &child.fields {
                read.insert(f.key.clone(), row_field_schema(f, false));
                if !f.system {
                    write.insert(f.key.clone(), row_field_schema(f, true));
                }
            }
            let required: Vec<&str> = child
                .input_fields()
                .filter(|f| f.required)
                .map(|f| f.key.as_str())
                .collect();
            let label = format!("{} ({})", child.label_en, child.label_zh);
            schemas.insert(
                name.clone(),
                json!({ "type": "object", "description": label, "properties": read }),
            );
            schemas.insert(
                format!("{name}Write"),
                json!({ "type": "object", "required": required,
                "properties": write, "additionalProperties": false }),
            );
            let rows = |schema: &str, d: &str| {
                json!({ "type": "array", "maxItems": child.max_rows,
                "items": { "$ref": format!("#/components/schemas/{schema}") }, "description": d })
            };
            if let Some(props) = schemas
                .get_mut(&object)
                .and_then(|s| s.get_mut("properties"))
            {
                props[child.key] = rows(&name, "The record's rows, in order");
            }
            if let Some(props) = schemas
                .get_mut(&format!("{object}Write"))
                .and_then(|s| s.get_mut("properties"))
            {
                props[child.key] = rows(&format!("{name}Write"),
                    "All the record's rows: they replace the stored ones (`[]` removes them); computed fields are set by the server. A row's errors name it: `lines.2.quantity`");
            }
            paths.insert(format!("/api/v1/{}/{{id}}/{}", spec.plural, child.key), json!({ "get": {
                "tags": [spec.plural], "security": [{ "bearer": [] }], "parameters": [id_param("id")],
                "summary": format!("The record's {} (also in the record's answer)", child.label_en.to_lowercase()),
                "responses": { "200": { "description": "Rows", "content": content(json!({ "type": "object", "properties": {
                    "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{name}") } } } })) } } } }));
        }
    }
}
