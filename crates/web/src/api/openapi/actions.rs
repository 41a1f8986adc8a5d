//! The paths around the records: activity actions, the account 360° endpoints, relationships,
//! global search, My day and the document itself.

use super::objects::{content, id_param, if_match};
use serde_json::{json, Map, Value};

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn body(schema: &str) -> Value {
    json!({ "required": true, "content": content(schema_ref(schema)) })
}

pub(super) fn add(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let security = json!([{ "bearer": [] }]);
    let activity =
        |d: &str| json!({ "description": d, "content": content(schema_ref("Activity")) });
    let action = |summary: &str, request: Option<&str>, status: &str| {
        let mut op = json!({ "tags": ["activities"], "security": security, "summary": summary,
            "parameters": [id_param("id"), if_match(false)],
            "responses": { status: activity("The activity") } });
        if let Some(schema) = request {
            op["requestBody"] = body(schema);
        }
        json!({ "post": op })
    };
    paths.insert(
        "/api/v1/activities/{id}/complete".into(),
        action("Mark an activity done", None, "200"),
    );
    paths.insert(
        "/api/v1/activities/{id}/postpone".into(),
        action(
            "Move a task's due time by some days",
            Some("PostponeIn"),
            "200",
        ),
    );
    paths.insert(
        "/api/v1/activities/{id}/check-in".into(),
        action(
            "Check in at a visit, with the position when known",
            Some("CheckInIn"),
            "200",
        ),
    );
    let mut follow_up = action(
        "Plan a follow-up task of an activity",
        Some("FollowUpIn"),
        "201",
    );
    follow_up["post"]["responses"]["201"] = activity("The new task");
    if let Some(params) = follow_up["post"]["parameters"].as_array_mut() {
        params.retain(|p| p["name"] != "If-Match");
    }
    paths.insert("/api/v1/activities/{id}/follow-up".into(), follow_up);

    schemas.insert("LinkList".into(), json!({ "type": "object", "properties": { "items": { "type": "array", "items": {
        "type": "object", "properties": {
            "id": { "type": "string", "format": "uuid" },
            "kind": { "type": "string" },
            "direction": { "type": "string", "enum": ["from", "to"], "description": "`from` when this record is the relationship's first side" },
            "other_id": { "type": "string", "format": "uuid" },
            "other_name": { "type": "string" },
            "note": { "type": ["string", "null"] } } } } } }));
    for (object, tag) in [("account", "accounts"), ("contact", "contacts")] {
        paths.insert(format!("/api/v1/{tag}/{{id}}/relationships"), json!({
            "get": { "tags": [tag], "security": security, "summary": format!("Relationships with other {tag}, from both sides"),
                "parameters": [id_param("id")],
                "responses": { "200": { "description": "Relationships", "content": content(schema_ref("LinkList")) } } },
            "post": { "tags": [tag], "security": security, "summary": format!("Relate the {object} to another {object}"),
                "parameters": [id_param("id")], "requestBody": body("LinkIn"),
                "responses": { "201": { "description": "Related" } } } }));
        paths.insert(format!("/api/v1/{tag}/{{id}}/relationships/{{link_id}}"), json!({
            "delete": { "tags": [tag], "security": security, "summary": format!("Delete a relationship, from either {object}"),
                "parameters": [id_param("id"), id_param("link_id")],
                "responses": { "204": { "description": "Deleted" } } } }));
    }

    schemas.insert("TimelinePage".into(), json!({ "type": "object", "properties": {
        "items": { "type": "array", "items": { "type": "object", "properties": {
            "id": { "type": "string", "format": "uuid" }, "at": { "type": "string", "format": "date-time" },
            "kind": { "type": "string", "enum": ["activity", "opportunity", "contact", "field"] },
            "object": { "type": "string" }, "record_id": { "type": "string", "format": "uuid" },
            "actor_id": { "type": ["string", "null"], "format": "uuid" }, "actor_name": { "type": ["string", "null"] },
            "summary": { "type": "object" } } } },
        "next_cursor": { "type": ["string", "null"], "description": "`before` of the next page; null on the last" } } }));
    paths.insert("/api/v1/accounts/{id}/timeline".into(), json!({ "get": { "tags": ["accounts"], "security": security,
        "summary": "The account's 360° stream, newest first: entries of records the caller may see",
        "parameters": [id_param("id"),
            { "name": "kind", "in": "query", "schema": { "type": "string", "enum": ["activity", "opportunity", "contact", "field"] } },
            { "name": "before", "in": "query", "schema": { "type": "string" }, "description": "`next_cursor` of the previous page" },
            { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1 }, "description": "Default 50" }],
        "responses": { "200": { "description": "Entries", "content": content(schema_ref("TimelinePage")) } } } }));
    schemas.insert("Rollup".into(), json!({ "type": "object", "properties": {
        "child_accounts": { "type": "integer", "description": "Accounts below this one in the tree" },
        "amounts": { "type": "array", "description": "Per currency; empty when the caller may not see amounts", "items": { "type": "object", "properties": {
            "currency": { "type": "string" }, "open_pipeline": { "type": "string", "format": "decimal" }, "won_amount": { "type": "string", "format": "decimal" } } } },
        "total": { "type": ["object", "null"], "description": "The amounts in the company currency by today's exchange rates; null when there are none or the caller may not see amounts", "properties": {
            "currency": { "type": "string" }, "open_pipeline": { "type": "string", "format": "decimal" }, "won_amount": { "type": "string", "format": "decimal" },
            "unconverted_currencies": { "type": "array", "items": { "type": "string" }, "description": "Currencies without a rate on that day, left out of the total" } } } } }));
    paths.insert("/api/v1/accounts/{id}/rollup".into(), json!({ "get": { "tags": ["accounts"], "security": security,
        "summary": "Sub-account count, open pipeline and won amount over the account's tree (opportunities the caller may see)",
        "parameters": [id_param("id")],
        "responses": { "200": { "description": "Roll-up", "content": content(schema_ref("Rollup")) } } } }));

    let objects = ["account", "contact", "lead", "opportunity"];
    schemas.insert("SearchResult".into(), json!({ "type": "object", "properties": { "groups": { "type": "array", "items": {
        "type": "object", "properties": {
            "object": { "type": "string", "enum": objects },
            "items": { "type": "array", "items": { "type": "object", "description": "Records of the object, as in its list" } },
            "names": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Names of the records and users the group's items refer to, by id" },
            "more": { "type": "boolean", "description": "More matches than shown" } } } } } }));
    paths.insert("/api/v1/search".into(), json!({ "get": { "tags": ["search"], "security": security,
        "summary": "Search accounts, contacts, leads and opportunities at once, within your data scope",
        "parameters": [
            { "name": "q", "in": "query", "required": true, "schema": { "type": "string", "maxLength": 100 }, "description": "Words or fragments of a name, phone or e-mail" },
            { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": app::search::MAX_PER_OBJECT }, "description": "Matches per object (default 5)" }
        ],
        "responses": { "200": { "description": "One group per object with matches", "content": content(schema_ref("SearchResult")) } } } }));
    let activities = json!({ "type": "array", "items": schema_ref("Activity") });
    schemas.insert("MyDay".into(), json!({ "type": "object", "properties": {
        "today": activities, "overdue": activities, "reminders": activities,
        "follow_ups": { "type": "array", "items": schema_ref("Lead"), "description": "Your leads whose next follow-up is due today or overdue, the earliest first" },
        "names": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Names of the records and users the activities refer to, by id" } } }));
    paths.insert("/api/v1/my-day".into(), json!({ "get": { "tags": ["activities"], "security": security,
        "summary": "Today's tasks and meetings, overdue tasks, due reminders and the leads due a follow-up",
        "responses": { "200": { "description": "My day", "content": content(schema_ref("MyDay")) } } } }));
    paths.insert("/api/v1/openapi.json".into(), json!({ "get": { "tags": ["auth"],
        "summary": "This document; with a bearer token, the schemas also describe the company's custom fields",
        "security": [{}, { "bearer": [] }],
        "responses": { "200": { "description": "The OpenAPI document", "content": content(json!({ "type": "object" })) } } } }));
}
