//! `/api/v1/web-forms` (web forms, 网站表单, kept by administrators of leads) —
//! `app::web_forms`, served as every setting is (`super::settings`). The public endpoint the forms post to is `POST /f/{key}`
//! (`pages::web_form_public`), documented here with them.

use super::settings::{self, take, take_clearable, ApiSetting};
use super::table::ApiRoutes;
use app::web_forms::FormInput;
use domain::web_forms as rules;
use serde_json::{json, Map, Value};
use store::web_forms::WebForm;

pub fn routes() -> ApiRoutes {
    settings::routes::<WebForm>(ApiRoutes::default(), "/web-forms")
}

/// The routes outside `/api/v1` the document describes (the public form endpoint), for the
/// test that every documented route is served.
#[cfg(test)]
pub(super) const PUBLIC_ROUTES: &[(&str, &str)] = &[("post", "/f/{key}")];

pub fn form_json(f: &WebForm) -> Value {
    json!({
        "id": f.id, "public_key": f.public_key, "name": f.name, "active": f.active,
        "fields": f.fields.0, "target": f.target, "owner_id": f.owner_id, "source": f.source,
        "thanks_zh": f.thanks_zh, "thanks_en": f.thanks_en, "redirect_url": f.redirect_url,
        "allowed_origins": f.allowed_origins.0, "rate_limit": f.rate_limit,
        "submissions": f.submissions, "spam": f.spam,
        "version": f.version, "created_at": f.created_at, "updated_at": f.updated_at,
    })
}

impl ApiSetting for WebForm {
    fn to_json(&self) -> Value {
        form_json(self)
    }
    fn read_field(input: &mut FormInput, key: &str, value: Value) -> Option<bool> {
        Some(match key {
            "name" => take(&mut input.name, value),
            "active" => take(&mut input.active, value),
            "fields" => take(&mut input.fields, value),
            "target" => take(&mut input.target, value),
            "owner_id" => take(&mut input.owner_id, value),
            "thanks_zh" => take(&mut input.thanks_zh, value),
            "thanks_en" => take(&mut input.thanks_en, value),
            "allowed_origins" => take(&mut input.allowed_origins, value),
            "rate_limit" => take(&mut input.rate_limit, value),
            "source" => take_clearable(&mut input.source, value),
            "redirect_url" => take_clearable(&mut input.redirect_url, value),
            _ => return None,
        })
    }
}

pub(super) fn document(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let properties = json!({
        "name": { "type": "string", "maxLength": rules::MAX_NAME },
        "active": { "type": "boolean", "description": "An inactive form answers 404 to visitors" },
        "fields": { "type": "array", "minItems": 1, "maxItems": rules::MAX_FIELDS, "description": "The lead fields collected, in order (standard or custom; not system fields, the owner, status, source or lookups); every field a lead requires must be here as required",
            "items": { "type": "object", "required": ["key"], "properties": {
                "key": { "type": "string" }, "label_zh": { "type": "string", "maxLength": rules::MAX_LABEL },
                "label_en": { "type": "string", "maxLength": rules::MAX_LABEL }, "required": { "type": "boolean" } } } },
        "target": { "type": "string", "description": "`rules` (the company's assignment rules, the default), `rule:<id>` (that rule's method, whatever its criteria) or `pool:<id>` (a lead pool)" },
        "owner_id": { "type": "string", "format": "uuid", "description": "Holds the leads no rule assigns; the leads are created in their name (default: the administrator creating the form)" },
        "source": { "type": ["string", "null"], "description": "The lead source stamped on every lead (default `web`)" },
        "thanks_zh": { "type": "string", "maxLength": rules::MAX_THANKS },
        "thanks_en": { "type": "string", "maxLength": rules::MAX_THANKS },
        "redirect_url": { "type": ["string", "null"], "maxLength": rules::MAX_URL, "description": "Where a browser goes after a submission (303) instead of the thank-you text" },
        "allowed_origins": { "type": "array", "maxItems": rules::MAX_ORIGINS, "items": { "type": "string" }, "description": "Origins (`https://www.example.com`) submissions must come from (`Origin`, else `Referer`); empty: any" },
        "rate_limit": { "type": "integer", "minimum": 1, "maximum": rules::MAX_RATE_LIMIT, "description": "Submissions per client address per 10 minutes" },
    });
    let described = |d: &str| json!({ "type": "integer", "description": d });
    settings::document(
        paths,
        schemas,
        settings::Doc {
            base: "/web-forms",
            schema: "WebForm",
            tag: "web_forms",
            properties,
            read_only: vec![
                (
                    "public_key",
                    json!({ "type": "string", "description": "The form's public address is /f/<public_key>" }),
                ),
                ("submissions", described("Leads created")),
                ("spam", described("Submissions caught by the honeypot")),
            ],
            noun: "The form",
            summaries: [
                "The company's web forms (administrators of leads)",
                "Add a web form",
                "A web form",
                "Change a web form (fields left out keep their value; `active: false` deactivates it)",
                "Delete a web form (its snippet stops working)",
            ],
        },
    );
    let tags = json!(["web_forms"]);
    let submission = json!({ "type": "object", "description": "The form's field keys with their values, `lang` (`zh-CN` or `en`: the answer's language, else Accept-Language), and the honeypot `website_url`, to be left empty",
        "additionalProperties": { "type": ["string", "number", "boolean", "null"] } });
    paths.insert("/f/{key}".into(), json!({
        "post": { "tags": tags, "security": [], "summary": "Submit a web form: the public endpoint its snippet posts to (no authentication, no CSRF token)",
            "description": format!("Creates a lead as the form says, validated as the lead form is. Also takes `application/x-www-form-urlencoded` (a browser gets pages, a 303 to the form's redirect). Refused: unknown or inactive form 404; `Origin`/`Referer` not allowed 403; body over {} KiB 413; over the form's rate limit per client address 429 with `Retry-After`; invalid values 422 with field errors, nothing created. A filled honeypot is answered as accepted and creates nothing.", rules::MAX_BODY / 1024),
            "parameters": [{ "name": "key", "in": "path", "required": true, "schema": { "type": "string" } }],
            "requestBody": { "required": true, "content": { "application/json": { "schema": submission } } },
            "responses": { "201": { "description": "`{accepted: true, message, redirect_url}`: the thank-you text in the answer's language",
                "content": { "application/json": { "schema": { "type": "object" } } } } } } }));
}
