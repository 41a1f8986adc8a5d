//! The paths of per-company metadata: a picklist's choices, record types and stage sets.

use super::objects::{content, id_param};
use serde_json::{json, Map, Value};

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn body(schema: &str) -> Value {
    json!({ "required": true, "content": content(schema_ref(schema)) })
}

pub(super) fn add(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let security = json!([{ "bearer": [] }]);
    let text = json!({ "type": "string" });
    schemas.insert("PicklistOptions".into(), json!({ "type": "object", "required": ["options"],
        "description": "The choices in their order. A current key left out is kept inactive: a value in use is never deleted (records keep and show it, new records cannot pick it).",
        "properties": { "options": { "type": "array", "items": { "type": "object", "required": ["key", "label_zh", "label_en"], "properties": {
            "key": { "type": "string", "maxLength": 40, "pattern": "^[A-Za-z0-9_-]+$" },
            "label_zh": { "type": "string", "maxLength": 100 }, "label_en": { "type": "string", "maxLength": 100 },
            "active": { "type": "boolean", "description": "Offered for new choices (default true)" } } } } } }));
    schemas.insert("RecordType".into(), json!({ "type": "object", "properties": {
        "id": { "type": "string", "format": "uuid", "readOnly": true },
        "object": { "type": "string", "description": "The object's plural (`opportunities`); its key (`opportunity`) is accepted" },
        "key": { "type": "string", "maxLength": 40, "description": "Stored in the records' `record_type`; cannot change" },
        "name_zh": text, "name_en": text,
        "active": { "type": "boolean", "description": "Offered for new records (default true)" },
        "is_default": { "type": "boolean", "description": "The type of records with no `record_type`; one per object" },
        "stage_set": { "type": ["string", "null"], "description": "Opportunities: the key of the stage set its records use (null: `default`)" },
        "required_fields": { "type": "array", "items": text, "description": "Fields required beside the standard required ones" },
        "layout_fields": { "type": "array", "items": text, "description": "The fields its form shows (empty: all); the API is not limited by it" },
        "follow_up_days": { "type": "object", "propertyNames": { "enum": ["H", "A", "B", "C"] }, "additionalProperties": { "type": "integer", "minimum": 1, "maximum": domain::follow_up::MAX_DAYS },
            "description": "Leads: days from the last contact to the next follow-up by intent level; a level not named keeps its default (H 5, A 15, B 30, C 60)" } } }));
    schemas.insert("RecordTypeList".into(), json!({ "type": "object", "properties": { "items": { "type": "array", "items": schema_ref("RecordType") } } }));
    schemas.insert("StageSet".into(), json!({ "type": "object", "required": ["key", "name_zh", "name_en", "stages"], "properties": {
        "object": { "type": "string", "description": "Default `opportunities`", "writeOnly": true },
        "key": { "type": "string", "maxLength": 40 }, "name_zh": text, "name_en": text,
        "stages": { "type": "array", "maxItems": domain::picklists::MAX_STAGES, "items": { "type": "object", "required": ["key", "name_zh", "name_en", "win_rate"], "properties": {
            "key": { "type": "string", "maxLength": 40 }, "name_zh": text, "name_en": text,
            "win_rate": { "type": "integer", "minimum": 0, "maximum": 100 },
            "closed": { "type": ["string", "null"], "enum": ["won", "lost", null], "description": "A stage that ends the opportunity" } } } } } }));
    schemas.insert("StageSetList".into(), json!({ "type": "object", "properties": { "items": { "type": "array", "items": schema_ref("StageSet") } } }));
    let object_param = json!({ "name": "object", "in": "query", "required": true, "schema": { "type": "string" },
        "description": "The object's plural (`opportunities`) or key (`opportunity`)" });
    let mut objects = vec!["accounts"];
    objects.extend(
        domain::objects::GENERIC
            .iter()
            .filter_map(|k| domain::objects::spec(*k))
            .map(|s| s.plural),
    );
    for tag in objects {
        paths.insert(format!("/api/v1/{tag}/fields/{{key}}"), json!({ "patch": { "tags": [tag], "security": security,
            "summary": "Change a picklist's choices (administrators): add, relabel in both languages, deactivate",
            "parameters": [{ "name": "key", "in": "path", "required": true, "schema": { "type": "string" } }],
            "requestBody": body("PicklistOptions"),
            "responses": { "200": { "description": "The field as GET …/fields lists it", "content": content(schema_ref("FieldDefinition")) } } } }));
    }
    paths.insert("/api/v1/record-types".into(), json!({
        "get": { "tags": ["settings"], "security": security, "summary": "The record types (业务类型) of an object", "parameters": [object_param],
            "responses": { "200": { "description": "Record types", "content": content(schema_ref("RecordTypeList")) } } },
        "post": { "tags": ["settings"], "security": security, "summary": "Add a record type (administrators)", "requestBody": body("RecordType"),
            "responses": { "201": { "description": "Added", "content": content(schema_ref("RecordType")) } } } }));
    paths.insert("/api/v1/record-types/{id}".into(), json!({
        "get": { "tags": ["settings"], "security": security, "summary": "A record type", "parameters": [id_param("id")],
            "responses": { "200": { "description": "The record type", "content": content(schema_ref("RecordType")) } } },
        "patch": { "tags": ["settings"], "security": security, "summary": "Change a record type (administrators); its key and object stay", "parameters": [id_param("id")],
            "requestBody": body("RecordType"),
            "responses": { "200": { "description": "Changed", "content": content(schema_ref("RecordType")) } } } }));
    paths.insert("/api/v1/stage-sets".into(), json!({
        "get": { "tags": ["settings"], "security": security, "summary": "The stage sets of an object (opportunities), the default one first", "parameters": [object_param],
            "responses": { "200": { "description": "Stage sets", "content": content(schema_ref("StageSetList")) } } },
        "post": { "tags": ["settings"], "security": security, "summary": "Add a stage set, or replace the stages of the set with that key (administrators; its current stages stay)",
            "requestBody": body("StageSet"),
            "responses": { "200": { "description": "Saved", "content": content(schema_ref("StageSet")) } } } }));
}
