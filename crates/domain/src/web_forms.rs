//! Web forms (网站表单, web-to-lead): what a form may hold and the pure checks of a form as an
//! administrator writes it and of a submission's origin. Storing, the rate limit and creating
//! the lead are `app::web_forms`.

use crate::fields::{FieldDef, FieldType};
use crate::FieldErrors;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const MAX_NAME: usize = 100;
pub const MAX_FIELDS: usize = 30;
pub const MAX_LABEL: usize = 100;
pub const MAX_THANKS: usize = 2000;
pub const MAX_URL: usize = 500;
pub const MAX_ORIGINS: usize = 20;
/// Posts a client address may make to one form per window, at most.
pub const MAX_RATE_LIMIT: i64 = 1000;
pub const DEFAULT_RATE_LIMIT: i64 = 5;
/// The rate limit's window.
pub const WINDOW_SECONDS: i64 = 600;
/// Largest submission body accepted (a form's text fields together).
pub const MAX_BODY: usize = 16 * 1024;
/// The hidden field people leave empty and form-filling robots fill in.
pub const HONEYPOT: &str = "website_url";
/// The field of a submission naming the language of its answer (`zh-CN` or `en`).
pub const LANG_FIELD: &str = "lang";
/// The lead source a form stamps unless told otherwise (官网).
pub const DEFAULT_SOURCE: &str = "web";

/// One lead field a form collects, in the form's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    pub key: String,
    #[serde(default)]
    pub label_zh: String,
    #[serde(default)]
    pub label_en: String,
    #[serde(default)]
    pub required: bool,
}

/// Where a form's leads go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Through the company's assignment rules, as every new lead.
    Rules,
    /// Through this one rule's method (its criteria and scope are the form's choice).
    Rule(Uuid),
    /// Into this lead pool.
    Pool(Uuid),
}

impl Target {
    pub fn parse(raw: &str) -> Option<Target> {
        let raw = raw.trim();
        if raw == "rules" {
            return Some(Target::Rules);
        }
        let (kind, id) = raw.split_once(':')?;
        let id = Uuid::try_parse(id.trim()).ok()?;
        match kind {
            "rule" => Some(Target::Rule(id)),
            "pool" => Some(Target::Pool(id)),
            _ => None,
        }
    }

    pub fn key(&self) -> String {
        match self {
            Target::Rules => "rules".into(),
            Target::Rule(id) => format!("rule:{id}"),
            Target::Pool(id) => format!("pool:{id}"),
        }
    }
}

/// Whether a lead field may be put on a public form: what a visitor can fill in about
/// themselves — not the system's fields, the owner, the status or the source the form
/// stamps, nor references to the company's own records and users.
pub fn is_collectable(def: &FieldDef) -> bool {
    const KEPT_BY_THE_FORM: &[&str] = &[
        "owner_id",
        "status",
        "source",
        "record_type",
        "disqualify_reason",
        "disqualify_note",
    ];
    !def.system
        && !KEPT_BY_THE_FORM.contains(&def.key.as_str())
        && !matches!(def.field_type, FieldType::Lookup | FieldType::User)
}

/// An origin as browsers send it: `scheme://host[:port]`, lower case, no path.
pub fn normalize_origin(raw: &str) -> Option<String> {
    let raw = raw.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = raw.split_once("://")?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() {
        return None;
    }
    let valid = rest
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    valid.then(|| format!("{scheme}://{rest}"))
}

/// The origin of a `Referer` (the page the form was posted from).
pub fn origin_of_url(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    normalize_origin(&format!("{scheme}://{host}"))
}

/// Whether a submission may come from where it says it comes from: any origin when the
/// form lists none; else the `Origin` header, or without it the `Referer`'s origin, must be
/// one of them (a post that names neither is refused).
pub fn origin_allowed(allowed: &[String], origin: Option<&str>, referer: Option<&str>) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let seen = match origin.filter(|o| !o.trim().is_empty() && o.trim() != "null") {
        Some(o) => normalize_origin(o),
        None => referer.and_then(origin_of_url),
    };
    seen.is_some_and(|s| allowed.contains(&s))
}

/// The start of the rate-limit window holding `epoch_seconds`.
pub fn window_start(epoch_seconds: i64) -> i64 {
    epoch_seconds - epoch_seconds.rem_euclid(WINDOW_SECONDS)
}

/// Whether a redirect address is one a browser may be sent to after a submission.
pub fn is_redirect_url(url: &str) -> bool {
    let url = url.trim();
    (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= MAX_URL
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A form as written, checked: all the problems at once.
pub struct Draft<'a> {
    pub name: &'a str,
    pub fields: &'a [FormField],
    pub thanks_zh: &'a str,
    pub thanks_en: &'a str,
    pub redirect_url: Option<&'a str>,
    pub origins: &'a [String],
    pub rate_limit: i64,
}

/// Checks a form against the lead's fields (`defs`, custom ones included).
pub fn check(d: &Draft<'_>, defs: &[FieldDef]) -> FieldErrors {
    let mut errors = FieldErrors::new();
    if d.name.trim().is_empty() {
        errors.add("name", "required");
    } else if d.name.chars().count() > MAX_NAME {
        errors.add_limit("name", "too_long", MAX_NAME as i64);
    }
    if d.fields.is_empty() {
        errors.add("fields", "required");
    } else if d.fields.len() > MAX_FIELDS {
        errors.add_limit("fields", "too_many", MAX_FIELDS as i64);
    }
    let mut seen = Vec::new();
    for (i, f) in d.fields.iter().enumerate() {
        let known = defs.iter().find(|def| def.key == f.key);
        match known {
            None => errors.add(&format!("fields.{i}.key"), "unknown_field"),
            Some(def) if !is_collectable(def) => {
                errors.add(&format!("fields.{i}.key"), "not_collectable")
            }
            Some(_) if seen.contains(&f.key.as_str()) => {
                errors.add(&format!("fields.{i}.key"), "duplicate")
            }
            Some(_) => seen.push(f.key.as_str()),
        }
        for (lang, label) in [("label_zh", &f.label_zh), ("label_en", &f.label_en)] {
            if label.chars().count() > MAX_LABEL {
                errors.add_limit(&format!("fields.{i}.{lang}"), "too_long", MAX_LABEL as i64);
            }
        }
    }
    // The lead's own required fields must be on the form, or no submission could succeed.
    for def in defs
        .iter()
        .filter(|d| d.required && d.default_value.is_none())
    {
        if is_collectable(def) && !d.fields.iter().any(|f| f.key == def.key && f.required) {
            errors.add("fields", "lead_field_missing");
            break;
        }
    }
    for (key, text) in [("thanks_zh", d.thanks_zh), ("thanks_en", d.thanks_en)] {
        if text.chars().count() > MAX_THANKS {
            errors.add_limit(key, "too_long", MAX_THANKS as i64);
        }
    }
    if let Some(url) = d.redirect_url {
        if !is_redirect_url(url) {
            errors.add("redirect_url", "invalid_url");
        }
    }
    if d.origins.len() > MAX_ORIGINS {
        errors.add_limit("allowed_origins", "too_many", MAX_ORIGINS as i64);
    }
    if d.origins.iter().any(|o| normalize_origin(o).is_none()) {
        errors.add("allowed_origins", "invalid_origin");
    }
    if !(1..=MAX_RATE_LIMIT).contains(&d.rate_limit) {
        errors.add_limit("rate_limit", "out_of_range", MAX_RATE_LIMIT);
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_back_as_written() {
        let id = Uuid::now_v7();
        for t in [Target::Rules, Target::Rule(id), Target::Pool(id)] {
            assert_eq!(Target::parse(&t.key()), Some(t));
        }
        for bad in [
            "",
            "pool:",
            "pool:x",
            "team:00000000-0000-0000-0000-000000000000",
        ] {
            assert_eq!(Target::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn origins_compare_as_browsers_send_them() {
        let allowed = ["https://www.example.com".to_string()];
        assert!(origin_allowed(&[], None, None));
        assert!(origin_allowed(
            &allowed,
            Some("https://WWW.example.com"),
            None
        ));
        assert!(origin_allowed(
            &allowed,
            None,
            Some("https://www.example.com/contact?x=1")
        ));
        assert!(!origin_allowed(
            &allowed,
            Some("https://evil.example"),
            None
        ));
        assert!(!origin_allowed(&allowed, Some("null"), None));
        assert!(!origin_allowed(&allowed, None, None));
        assert!(!origin_allowed(
            &allowed,
            Some("http://www.example.com"),
            None
        ));
        assert_eq!(
            normalize_origin("https://a.example/"),
            Some("https://a.example".into())
        );
        assert_eq!(normalize_origin("ftp://a.example"), None);
        assert_eq!(normalize_origin("https://a.example/path"), None);
    }

    #[test]
    fn windows_are_fixed_slices_of_the_clock() {
        assert_eq!(window_start(0), 0);
        assert_eq!(window_start(599), 0);
        assert_eq!(window_start(600), 600);
        assert_eq!(window_start(1234), 1200);
    }

    #[test]
    fn redirects_are_web_addresses() {
        assert!(is_redirect_url("https://example.com/thanks"));
        assert!(!is_redirect_url("javascript:alert(1)"));
        assert!(!is_redirect_url("https://example.com/a b"));
    }
}
