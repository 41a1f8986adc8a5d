//! The paths of the sales process: business types with their stages and gates, a deal's
//! stage (path, move, checklist) and the board.

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
    let texts = json!({ "type": "object", "properties": { "zh": text, "en": text } });
    let keys = json!({ "type": "array", "items": text });
    schemas.insert("BusinessTypeStage".into(), json!({ "type": "object", "required": ["key", "name_zh", "name_en", "win_rate"], "properties": {
        "key": { "type": "string", "maxLength": 40 }, "name_zh": text, "name_en": text,
        "win_rate": { "type": "integer", "minimum": 0, "maximum": 100 },
        "closed": { "type": ["string", "null"], "enum": ["won", "lost", null] },
        "duration_days": { "type": ["integer", "null"], "minimum": 1, "maximum": domain::stages::MAX_DURATION_DAYS, "description": "Expected days in the stage: due soon in its last fifth (at least a day), overdue after" },
        "key_activities": { "type": "array", "items": texts, "maxItems": domain::stages::MAX_ITEMS },
        "milestone": texts, "buying_step": texts,
        "required_fields": { "type": "array", "items": text, "description": "Fields that must hold a value before the deal moves on" },
        "checklist": { "type": "array", "maxItems": domain::stages::MAX_ITEMS, "items": { "type": "object", "properties": {
            "key": { "type": "string", "description": "Default: from the English text" }, "zh": text, "en": text } } },
        "maps_from": { "type": "array", "items": text, "description": "Stages of other sets that map here when a deal changes business type" } } }));
    schemas.insert("BusinessType".into(), json!({ "type": "object", "properties": {
        "id": { "type": "string", "format": "uuid", "readOnly": true },
        "key": { "type": "string", "maxLength": 40 }, "name_zh": text, "name_en": text,
        "active": { "type": "boolean" }, "is_default": { "type": "boolean" },
        "stage_set": { "type": "string", "readOnly": true },
        "template": { "type": "string", "enum": ["product_sale", "solution_sale"], "writeOnly": true, "description": "Install a template instead (alone in the body)" },
        "stages": { "type": "array", "maxItems": domain::picklists::MAX_STAGES, "items": schema_ref("BusinessTypeStage") } } }));
    schemas.insert("BusinessTypeList".into(), json!({ "type": "object", "properties": { "items": { "type": "array", "items": schema_ref("BusinessType") } } }));
    schemas.insert(
        "StageMove".into(),
        json!({ "type": "object", "required": ["stage"], "properties": { "stage": text } }),
    );
    schemas.insert("StagePath".into(), json!({ "type": "object", "description": "The deal's stages with time spent, the current stage's gate, what it lacks, and its history",
        "properties": { "stage": text, "entered_at": { "type": ["string", "null"], "format": "date-time" },
            "due_at": { "type": ["string", "null"], "format": "date-time" },
            "warning": { "type": ["string", "null"], "enum": ["due_soon", "overdue", null], "description": "None while the deal is not open (its stage clock stops)" },
            "status": { "type": "string", "enum": ["open", "suspended", "won", "lost", "terminated"] },
            "status_reason": { "type": ["string", "null"] }, "resume_on": { "type": ["string", "null"], "format": "date" },
            "win_rate": { "type": ["string", "null"] }, "amount": { "type": ["string", "null"] },
            "weighted_amount": { "type": ["string", "null"] }, "currency": text,
            "stages": { "type": "array", "items": { "type": "object" } }, "current": schema_ref("BusinessTypeStage"),
            "checklist": { "type": "array", "items": { "type": "object" } },
            "unmet": { "type": "object", "properties": { "fields": keys, "checklist": keys } },
            "history": { "type": "array", "items": { "type": "object", "properties": { "stage": text, "from": text,
                "entered_at": { "type": "string", "format": "date-time" }, "left_at": { "type": ["string", "null"], "format": "date-time" },
                "seconds": { "type": ["integer", "null"] }, "skipped": { "type": ["object", "null"], "description": "The unmet items a role allowed to skip passed over" } } } } } }));
    schemas.insert("ChecklistTick".into(), json!({ "type": "object", "required": ["item"], "properties": {
        "stage": { "type": "string", "description": "Default: the deal's current stage" }, "item": text,
        "checked": { "type": "boolean", "description": "Default true" } } }));
    schemas.insert("Checklist".into(), json!({ "type": "object", "properties": { "items": { "type": "array", "items": { "type": "object", "properties": {
        "stage": text, "item": text, "checked_by": { "type": "string", "format": "uuid" }, "checked_by_name": text,
        "checked_at": { "type": "string", "format": "date-time" } } } } } }));
    schemas.insert("Board".into(), json!({ "type": "object", "properties": { "business_type": { "type": ["string", "null"] }, "stage_set": text, "currency": text,
        "columns": { "type": "array", "items": { "type": "object", "properties": { "stage": text, "name_zh": text, "name_en": text,
            "win_rate": { "type": "integer" }, "count": { "type": "integer" }, "amount": text, "weighted_amount": text,
            "unconverted": keys, "cards": { "type": "array", "items": { "type": "object" } },
            "next_cursor": { "type": ["string", "null"] } } } } } }));
    let id = id_param("id");
    paths.insert("/api/v1/business-types".into(), json!({
        "get": { "tags": ["settings"], "security": security, "summary": "The business types (业务类型) with their stages, gates and durations",
            "responses": { "200": { "description": "Business types", "content": content(schema_ref("BusinessTypeList")) } } },
        "post": { "tags": ["settings"], "security": security, "summary": "Add a business type or replace its stages (by key), or install a template (administrators)",
            "requestBody": body("BusinessType"),
            "responses": { "201": { "description": "Added", "content": content(schema_ref("BusinessType")) },
                "200": { "description": "Replaced", "content": content(schema_ref("BusinessType")) } } } }));
    paths.insert("/api/v1/opportunities/{id}/stage".into(), json!({
        "get": { "tags": ["opportunities"], "security": security, "summary": "The deal's stage path", "parameters": [id],
            "responses": { "200": { "description": "The stage path", "content": content(schema_ref("StagePath")) } } },
        "post": { "tags": ["opportunities"], "security": security, "summary": "Move the deal to a stage; a forward move needs the gate of the stage left (422 `stage_gate` listing the unmet items) unless the role may skip it, which is recorded",
            "parameters": [id, { "name": "If-Match", "in": "header", "required": false, "schema": { "type": "string" } }],
            "requestBody": body("StageMove"),
            "responses": { "200": { "description": "Moved: the stage path", "content": content(schema_ref("StagePath")) } } } }));
    paths.insert("/api/v1/opportunities/{id}/checklist".into(), json!({
        "get": { "tags": ["opportunities"], "security": security, "summary": "The current stage's checklist and every ticked item", "parameters": [id],
            "responses": { "200": { "description": "Checklist", "content": content(schema_ref("Checklist")) } } },
        "post": { "tags": ["opportunities"], "security": security, "summary": "Tick or untick a checklist item (who and when are kept)", "parameters": [id],
            "requestBody": body("ChecklistTick"),
            "responses": { "200": { "description": "Every ticked item of the deal", "content": content(schema_ref("Checklist")) } } } }));
    let q = |name: &str, description: &str| json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" }, "description": description });
    paths.insert("/api/v1/opportunities/board".into(), json!({
        "get": { "tags": ["opportunities"], "security": security, "summary": "The board: a business type's stages with count, amount and weighted amount, and a page of cards each, in the caller's scope",
            "parameters": [q("business_type", "A business type's key (default: the default type)"), q("owner", "A user id, or `me`"),
                q("close_from", "Expected close (closed stages: closed on) from, YYYY-MM-DD; closed stages default to the last 90 days"),
                q("close_to", "… to, YYYY-MM-DD"), q("stage", "Only this column (with `cursor`: its next page)"),
                q("cursor", "A column's `next_cursor`"), q("limit", "Cards per column, 1–100 (default 20)")],
            "responses": { "200": { "description": "The board", "content": content(schema_ref("Board")) } } } }));
}
