//! The error responses of every operation, from what the operation has: every error answer is
//! the shared `ErrorBody`, and each status is one shared response under
//! `components/responses`, listing the codes a client may see with it.

use serde_json::{json, Map, Value};

/// (status, component name, description with the codes).
const RESPONSES: &[(&str, &str, &str)] = &[
    ("400", "BadRequest", "The body is not JSON (`malformed_json`, with `detail`)."),
    ("401", "Unauthenticated", "No bearer token, or a token that is unknown, revoked or of a deactivated user (`unauthenticated`)."),
    ("403", "Forbidden", "The caller's role does not allow this action (`forbidden`)."),
    ("404", "NotFound", "No such record, or one outside the caller's data scope (`not_found`)."),
    ("409", "Conflict", "The record changed since the `version` given in the body (`conflict`), the first request with this `Idempotency-Key` is still running (`idempotency_in_progress`), or other records still refer to the one to delete (`still_referenced`, its message naming which objects and how many)."),
    ("412", "PreconditionFailed", "`If-Match` names another version than the current one (`conflict`)."),
    ("413", "PayloadTooLarge", "The body is larger than the server accepts (`payload_too_large`)."),
    ("415", "UnsupportedMediaType", "The body is not sent as `application/json` (`unsupported_media_type`)."),
    ("422", "Unprocessable", "Field errors (`validation_failed`, with `fields`: each with `field`, `code` and `message` — e.g. `unknown_field` for a body key or query parameter the operation does not take, `wrong_type` for a value of another JSON type than the field's, `control_character` for a NUL or other control character in any text), a body of the wrong shape (`invalid_body`), a rule refusing the change (e.g. `last_admin`), or an `Idempotency-Key` reused with another body (`idempotency_key_reused`)."),
    ("428", "PreconditionRequired", "`If-Match` (or `version` in the body) is missing (`precondition_required`)."),
    ("500", "Internal", "An unexpected error (`internal`); the server logs it."),
    ("507", "StorageFull", "The server's storage is full (`storage_full`): the change was not made; reads keep working. Retry after the number of seconds in `Retry-After`."),
];

/// Adds `components/responses` and, to every operation, the error responses it can give
/// that it does not describe itself; gives undescribed answers their status's reason.
pub fn add(doc: &mut Value) {
    let mut components = Map::new();
    for (status, name, description) in RESPONSES {
        let mut response = json!({ "description": description,
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } } });
        if *status == "507" {
            response["headers"] = json!({ "Retry-After": { "description": "Seconds to wait", "schema": { "type": "integer" } } });
        }
        components.insert((*name).to_string(), response);
    }
    if let Some(Value::Object(c)) = doc.get_mut("components") {
        c.insert("responses".into(), Value::Object(components));
    }
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Value::Object(item) = item else { continue };
        for (method, op) in item.iter_mut() {
            // Answers annotated without a description get the status's reason phrase.
            if let Some(Value::Object(responses)) = op.get_mut("responses") {
                for (status, response) in responses.iter_mut() {
                    if response.get("description").and_then(Value::as_str) == Some("") {
                        let reason = status
                            .parse::<u16>()
                            .ok()
                            .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
                            .and_then(|s| s.canonical_reason())
                            .unwrap_or("Answer");
                        response["description"] = json!(reason);
                    }
                }
            }
            if method == "get" && op["responses"]["200"]["headers"].get("ETag").is_some() {
                add_conditional_read(op);
            }
            for status in statuses(path, method, op) {
                let Some((_, name, _)) = RESPONSES.iter().find(|(s, _, _)| *s == status) else {
                    continue;
                };
                let responses = &mut op["responses"];
                if responses.get(status).is_none() {
                    responses[status] = json!({ "$ref": format!("#/components/responses/{name}") });
                }
            }
        }
    }
}

/// A read that tags its answer also answers `304` to a matching `If-None-Match`
/// (`web::api::conditional`).
fn add_conditional_read(op: &mut Value) {
    let param = json!({ "name": "If-None-Match", "in": "header", "required": false,
        "schema": { "type": "string" },
        "description": "ETags the caller holds (or `*`): when one is current, the answer is 304 without a body." });
    match op.get_mut("parameters") {
        Some(Value::Array(params)) => params.push(param),
        _ => op["parameters"] = json!([param]),
    }
    op["responses"]["304"] = json!({ "description": "Not modified: the caller's copy is current.",
        "headers": { "ETag": { "schema": { "type": "string" } } } });
}

fn has_param(op: &Value, name: &str) -> Option<bool> {
    op["parameters"].as_array()?.iter().find_map(|p| {
        (p["name"].as_str()? == name).then(|| p["required"].as_bool().unwrap_or(false))
    })
}

/// The error statuses an operation can answer, from its method, path and parameters.
fn statuses(path: &str, method: &str, op: &Value) -> Vec<&'static str> {
    let mut out = Vec::new();
    let security = op["security"].as_array();
    if security.is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some())) {
        out.push("401");
        // Open to callers without a token (`{}` among the requirements): no permission applies.
        if !security.is_some_and(|s| {
            s.iter()
                .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
        }) {
            out.push("403");
        }
    }
    if path.contains('{') {
        out.push("404");
    }
    let has_query = op["parameters"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
    let has_body = op.get("requestBody").is_some();
    if has_body {
        out.extend(["400", "413", "415"]);
    }
    if has_body || has_query || method != "get" {
        out.push("422");
    }
    if let Some(required) = has_param(op, "If-Match") {
        out.push("412");
        if required {
            out.push("428");
        }
        // A required `If-Match` may be given as `version` in the body instead: stale, 409.
        if required && has_body {
            out.push("409");
        }
    }
    // A record's delete is refused while other records still refer to it (`still_referenced`).
    let record_delete = method == "delete"
        && path
            .strip_prefix("/api/v1/")
            .and_then(|rest| rest.strip_suffix("/{id}"))
            .and_then(domain::objects::spec_by_plural)
            .is_some();
    if has_param(op, "Idempotency-Key").is_some() || record_delete {
        out.push("409");
    }
    if method != "get" {
        out.push("507");
    }
    out.push("500");
    out
}
