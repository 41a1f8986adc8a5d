//! The parameters of every list in the API, parsed once: `filter=field:op:v1,v2`
//! (repeatable), `sort`, `cursor`, `limit`, `q`, `view`, and the quick filters an object
//! declares (accounts' `grade=A`, …). Any other parameter is an `unknown_field` error (422)
//! on every object.

use super::{ApiError, ApiUser};
use crate::AppState;
use app::records::ListRequest;
use app::AppError;
use domain::fields::FieldType;
use domain::permissions::ObjectKind;
use domain::views::FilterSpec;
use uuid::Uuid;

/// A parsed list query string.
pub struct ListQuery {
    pub request: ListRequest,
    pub view: Option<String>,
    /// The object's quick filters, as given.
    pub quick: Vec<(String, String)>,
}

/// An optional whole-number query parameter (`limit`, `days`): absent or empty is `None`;
/// anything but an integer is an `out_of_range` error on that parameter.
pub fn optional_integer(name: &'static str, raw: Option<&str>) -> Result<Option<i64>, AppError> {
    match raw {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::field(name, "out_of_range")),
    }
}

/// Parses a list's query string; `quick` names the object's quick-filter parameters.
pub fn parse(raw: Option<&str>, quick: &[&str]) -> Result<ListQuery, AppError> {
    let mut request = ListRequest::default();
    let mut view = None;
    let mut quick_given = Vec::new();
    let mut errors = domain::FieldErrors::new();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|_| AppError::field("query", "wrong_type"))?;
    for (key, value) in pairs {
        match key.as_str() {
            "filter" => {
                let mut parts = value.splitn(3, ':');
                let field = parts.next().unwrap_or_default().to_string();
                let op = parts.next().unwrap_or_default().to_string();
                let values = parts
                    .next()
                    .map(|v| v.split(',').map(str::to_string).collect())
                    .unwrap_or_default();
                request.filters.push(FilterSpec { field, op, values });
            }
            "sort" => request.sort = Some(value),
            "cursor" => request.cursor = Some(value),
            "q" => request.q = Some(value),
            "view" => view = Some(value),
            "limit" => match value.parse() {
                Ok(n) => request.limit = Some(n),
                Err(_) => errors.add_limit("limit", "out_of_range", app::records::MAX_PAGE),
            },
            other if quick.contains(&other) => quick_given.push((key, value)),
            other => errors.add(other, "unknown_field"),
        }
    }
    errors.into_result()?;
    Ok(ListQuery {
        request,
        view,
        quick: quick_given,
    })
}

/// The query string of a list with parameters of its own (a record's history, the account
/// stream): `known` names them, any other is an `unknown_field` error and a `limit` must be a
/// number from 1 to `max_limit`, as on every list.
pub fn params(
    raw: Option<&str>,
    known: &[&str],
    max_limit: i64,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|_| AppError::field("query", "wrong_type"))?;
    let mut errors = domain::FieldErrors::new();
    let mut out = std::collections::HashMap::new();
    for (key, value) in pairs {
        if !known.contains(&key.as_str()) {
            errors.add(&key, "unknown_field");
        } else if key == "limit"
            && !value
                .parse::<i64>()
                .is_ok_and(|n| (1..=max_limit).contains(&n))
        {
            errors.add_limit("limit", "out_of_range", max_limit);
        } else {
            out.insert(key, value);
        }
    }
    errors.into_result()?;
    Ok(out)
}

/// The quick-filter parameters of an object's list, derived from the fields the reader may
/// see: a field's key filters on it (`grade=A`, a tags field by one tag, also under its
/// singular: `tag=VIP`), and a date field's stem with `_from` or `_to` bounds it
/// (`created_from=2026-01-01` for `created_at`).
pub fn quick_params(fields: &app::records::ObjectFields) -> Vec<String> {
    let mut out = Vec::new();
    // An object with an archive lists its working records unless `archived=include|only`.
    if fields.spec.archive.is_some() {
        out.push(ARCHIVED.to_string());
    }
    for field in fields.all() {
        out.push(field.key.clone());
        match field.field_type {
            FieldType::Tags => {
                if let Some(singular) = field.key.strip_suffix('s') {
                    out.push(singular.to_string());
                }
            }
            FieldType::Date | FieldType::DateTime => {
                let stem = field.key.strip_suffix("_at").unwrap_or(&field.key);
                out.push(format!("{stem}_from"));
                out.push(format!("{stem}_to"));
            }
            _ => {}
        }
    }
    out
}

/// The parameter showing (`include`) or listing only (`only`) an object's archived records
/// (won, lost and terminated deals).
pub const ARCHIVED: &str = "archived";

/// The filter a quick parameter stands for (see [`quick_params`]).
fn quick_filter(fields: &app::records::ObjectFields, key: &str, value: &str) -> Option<FilterSpec> {
    let filter = |field: &str, op: &str| FilterSpec {
        field: field.to_string(),
        op: op.to_string(),
        values: vec![value.to_string()],
    };
    for field in fields.all() {
        let stem = field.key.strip_suffix("_at").unwrap_or(&field.key);
        let tags = field.field_type == FieldType::Tags;
        if field.key == key {
            return Some(filter(key, if tags { "contains" } else { "eq" }));
        }
        if tags && field.key.strip_suffix('s') == Some(key) {
            return Some(filter(&field.key, "contains"));
        }
        if matches!(field.field_type, FieldType::Date | FieldType::DateTime) {
            if key == format!("{stem}_from") {
                return Some(filter(&field.key, "gte"));
            }
            if key == format!("{stem}_to") {
                return Some(filter(&field.key, "lte"));
            }
        }
    }
    None
}

/// Adds the quick filters given to `request`'s filters, each checked on its own so that its
/// errors name the parameter (`grade`), not the filter language's `filter.grade`.
pub fn apply_quick(
    app: &app::App,
    actor: &app::Actor,
    fields: &app::records::ObjectFields,
    given: &[(String, String)],
    request: &mut ListRequest,
) -> Result<(), AppError> {
    let mut errors = domain::FieldErrors::new();
    for (key, value) in given {
        if key == ARCHIVED && fields.spec.archive.is_some() {
            match app::records::Archived::parse(value.trim()) {
                Some(a) => request.archived = a,
                None => errors.add(key, "invalid_choice"),
            }
            continue;
        }
        let Some(spec) = quick_filter(fields, key, value) else {
            errors.add(key, "unknown_field");
            continue;
        };
        let mut own = domain::FieldErrors::new();
        app::records::compile_filters(app, actor, fields, std::slice::from_ref(&spec), &mut own);
        for e in own.0 {
            match e.limit {
                Some(limit) => errors.add_limit(key, e.code, limit),
                None => errors.add(key, e.code),
            }
        }
        request.filters.push(spec);
    }
    errors.into_result()?;
    Ok(())
}

/// Starts `request` from a saved (by id) or built-in (by key) view of `kind`: the view's
/// filters come first, its sort applies unless the request has one.
pub async fn apply_view(
    state: &AppState,
    user: &ApiUser,
    kind: ObjectKind,
    request: &mut ListRequest,
    view: &str,
) -> Result<(), ApiError> {
    let tr = user.tr;
    let definition = match Uuid::parse_str(view) {
        Ok(id) => {
            app::customize::get_view(&state.app, &user.actor, kind, id)
                .await
                .map_err(|e| ApiError::new(tr, e))?
                .definition
                .0
        }
        Err(_) => app::customize::builtin_views(kind)
            .into_iter()
            .find(|v| v.key == view)
            .map(|v| v.definition)
            .ok_or_else(|| ApiError::new(tr, AppError::field("view", "invalid_choice")))?,
    };
    let mut filters = definition.filters;
    filters.append(&mut request.filters);
    request.filters = filters;
    if request.sort.is_none() {
        request.sort = Some(if definition.descending {
            format!("-{}", definition.sort)
        } else {
            definition.sort
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_parameters_are_field_errors_and_quick_filters_pass() {
        let parsed = parse(
            Some("filter=grade:eq:A&grade=B&sort=-name&limit=5"),
            &["grade"],
        )
        .expect("parses");
        assert_eq!(parsed.request.filters.len(), 1);
        assert_eq!(parsed.quick, [("grade".to_string(), "B".to_string())]);
        assert_eq!(parsed.request.limit, Some(5));
        let Err(AppError::Validation(errors)) = parse(Some("grade=B&colour=red"), &[]) else {
            panic!("unknown parameters are refused");
        };
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["grade", "colour"]);
    }

    #[test]
    fn lists_with_their_own_parameters_refuse_others_and_bad_limits() {
        let given = params(Some("limit=5&kind=call"), &["limit", "kind"], 100).expect("known");
        assert_eq!(given.get("limit").map(String::as_str), Some("5"));
        for raw in ["limit=abc", "limit=0", "limit=101", "page=2"] {
            assert!(params(Some(raw), &["limit"], 100).is_err(), "{raw}");
        }
    }
}
