//! The paths of a deal's ending or pause: close with the review, suspend, reactivate,
//! terminate (see `api::closing`).

use super::objects::{content, id_param};
use serde_json::{json, Map, Value};

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

pub(super) fn add(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let security = json!([{ "bearer": [] }]);
    let text = json!({ "type": "string" });
    schemas.insert("CloseReview".into(), json!({ "type": "object", "description": "The close review, by field: a win needs `win_reason` and `close_lessons`; a loss `loss_reason`, `lost_to_id` (the competitor's account), `lost_price` and `close_lessons`. The reasons are the company's `win_reason` / `loss_reason` picklists (`PATCH /api/v1/opportunities/fields/{key}`)",
        "properties": {
            "win_reason": text, "loss_reason": text,
            "lost_to_id": { "type": "string", "format": "uuid" },
            "lost_price": { "type": "string", "description": "A decimal amount in the deal's currency" },
            "close_lessons": { "type": "string", "maxLength": 5000 } },
        "additionalProperties": false }));
    schemas.insert(
        "DealClose".into(),
        json!({ "type": "object", "required": ["outcome"], "properties": {
        "outcome": { "type": "string", "enum": ["won", "lost"] },
        "review": schema_ref("CloseReview") }, "additionalProperties": false }),
    );
    schemas.insert("DealSuspend".into(), json!({ "type": "object", "required": ["reason"], "properties": {
        "reason": { "type": "string", "maxLength": domain::closing::MAX_REASON },
        "resume_on": { "type": ["string", "null"], "format": "date", "description": "When to take it up again (today or later); the owner is reminded then" } },
        "additionalProperties": false }));
    schemas.insert("DealTerminate".into(), json!({ "type": "object", "required": ["reason"], "properties": {
        "reason": { "type": "string", "maxLength": domain::closing::MAX_REASON } }, "additionalProperties": false }));
    schemas.insert(
        "DealReactivate".into(),
        json!({ "type": "object", "additionalProperties": false }),
    );
    let id = id_param("id");
    let if_match = json!({ "name": "If-Match", "in": "header", "required": false, "schema": { "type": "string" } });
    let answer = json!({ "200": { "description": "The deal", "content": content(schema_ref("Opportunity")) } });
    let op = |summary: &str, body: &str| {
        json!({ "post": { "tags": ["opportunities"], "security": security, "summary": summary,
        "parameters": [id, if_match],
        "requestBody": { "required": true, "content": content(schema_ref(body)) },
        "responses": answer } })
    };
    paths.insert("/api/v1/opportunities/{id}/close".into(), op(
        "Close the deal as won or lost with its review; a missing review answers 422 `close_review` listing what is missing (a won or lost stage needs it on every path)", "DealClose"));
    paths.insert("/api/v1/opportunities/{id}/suspend".into(), op(
        "Put an open deal on hold (中止) with a reason and an optional resume date: it leaves the board's open columns and its stage clock stops; 409 when it is not open", "DealSuspend"));
    paths.insert("/api/v1/opportunities/{id}/reactivate".into(), op(
        "Take a suspended deal up again (administrators also reopen a terminated one); its stage clock runs on from where it stopped", "DealReactivate"));
    paths.insert("/api/v1/opportunities/{id}/terminate".into(), op(
        "End an open or suspended deal for good (终止) with a reason: only administrators change it afterwards", "DealTerminate"));
}
