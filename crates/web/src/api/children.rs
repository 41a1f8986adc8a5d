//! Child rows in the API: a record's body may carry its rows (`"lines": [{…}, …]`, all of
//! them: they replace the stored ones), its answer carries them, and
//! `GET /api/v1/{object}/{id}/{child}` reads them alone. Rows are reached only through
//! their record, so an invisible record's rows are 404 like the record.

use super::records::{fail, json_type, parse_id};
use super::{ApiError, ApiUser};
use crate::AppState;
use app::children::ChildRows;
use app::records::Input;
use axum::extract::{MatchedPath, Path, State};
use axum::http::Method;
use axum::{Extension, Json};
use domain::children::ChildSpec;
use domain::fields::{FieldType, FieldValue};
use domain::permissions::ObjectKind;
use serde_json::{Map, Value};

pub fn routes() -> super::table::ApiRoutes {
    let mut routes = super::table::ApiRoutes::default();
    for kind in super::records::OBJECTS {
        let Some(spec) = domain::objects::spec(kind) else {
            continue;
        };
        for child in &spec.children {
            let path = format!("/{}/{{id}}/{}", spec.plural, child.key);
            routes = routes.on_object(Method::GET, &path, kind, read);
        }
    }
    routes
}

/// Adds the input of one kind of rows (`value`, the body's `lines`) as `lines.N.field`
/// keys, with the bare `lines` key saying that the rows are given (also when none are).
/// Values are texts as for the record's fields: a number or a string for numbers and money.
pub fn rows_input(
    child: &ChildSpec,
    value: &Value,
    input: &mut Input,
    errors: &mut domain::FieldErrors,
) {
    let Value::Array(rows) = value else {
        errors.add(child.key, "wrong_type");
        return;
    };
    input.push((child.key.to_string(), vec!["1".into()]));
    for (index, row) in rows.iter().enumerate() {
        let Value::Object(row) = row else {
            errors.add(&format!("{}.{index}", child.key), "wrong_type");
            continue;
        };
        for (name, v) in row {
            let key = format!("{}.{index}.{name}", child.key);
            let texts = match v {
                Value::Null => vec![String::new()],
                Value::String(s) => vec![s.clone()],
                Value::Number(n) => vec![n.to_string()],
                _ => {
                    errors.add(&key, "wrong_type");
                    continue;
                }
            };
            // The row's id as read is accepted back (a body that was an answer) and ignored.
            if name == "id" {
                continue;
            }
            input.push((key, texts));
        }
    }
}

/// One row as JSON: its id and every field (money as a decimal string with its places).
fn row_json(child: &ChildSpec, values: &store::records::Values, id: uuid::Uuid) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), Value::String(id.to_string()));
    for field in &child.fields {
        let v = match values.get(&field.key) {
            Some(FieldValue::Decimal(d)) if field.field_type == FieldType::Money => {
                Value::String(d.to_string())
            }
            Some(FieldValue::Decimal(d)) => Value::String(d.normalize().to_string()),
            Some(value) => store::records::json_value(value),
            None => Value::Null,
        };
        out.insert(field.key.clone(), v);
    }
    Value::Object(out)
}

fn rows_json(rows: &ChildRows) -> Value {
    Value::Array(
        rows.rows
            .iter()
            .map(|r| row_json(rows.spec, &r.values, r.id))
            .collect(),
    )
}

/// A record's answer with its rows of every kind.
pub fn with_rows(mut body: Value, children: &[ChildRows]) -> Value {
    if let Value::Object(map) = &mut body {
        for rows in children {
            map.insert(rows.spec.key.into(), rows_json(rows));
        }
    }
    body
}

/// The JSON type a row field's value is answered in (numbers as decimal strings, exact).
pub fn row_type(t: FieldType) -> (&'static str, Option<&'static str>) {
    match t {
        FieldType::Number | FieldType::Percent => ("string", Some("decimal")),
        other => json_type(other),
    }
}

async fn read(
    State(state): State<AppState>,
    Extension(kind): Extension<ObjectKind>,
    matched: MatchedPath,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(user.tr, &id)?;
    let child = matched.as_str().rsplit('/').next().unwrap_or_default();
    let view = app::records::get(&state.app, &user.actor, kind, id)
        .await
        .map_err(fail(user.tr))?;
    let rows = view
        .children
        .iter()
        .find(|r| r.spec.key == child)
        .ok_or_else(|| ApiError::new(user.tr, app::AppError::NotFound))?;
    Ok(Json(serde_json::json!({ "items": rows_json(rows) })))
}
