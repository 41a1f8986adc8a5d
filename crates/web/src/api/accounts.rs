//! `/api/v1/accounts`: create, read, partial update, delete, transfer, list, history.

use super::{ApiError, ApiUser, JsonObject};
use crate::i18n::Tr;
use crate::AppState;
use app::accounts::ListParams;
use app::AppError;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::accounts::AccountInput;
use domain::permissions::ObjectKind;
use domain::FieldErrors;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use store::accounts::AccountRow;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub fn routes() -> super::table::ApiRoutes {
    super::table::ApiRoutes::default()
        .on(Method::GET, "/accounts", list)
        .on(Method::POST, "/accounts", create)
        .on(Method::GET, "/accounts/{id}", read)
        .on(Method::PATCH, "/accounts/{id}", patch)
        .on(Method::DELETE, "/accounts/{id}", remove)
        .on(Method::POST, "/accounts/{id}/transfer", transfer)
        .on(Method::GET, "/accounts/{id}/history", history)
}

/// An account as the API returns it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountOut {
    pub id: Uuid,
    pub name: String,
    /// customer, partner, competitor, supplier or other.
    pub account_type: String,
    pub industry: Option<String>,
    /// GB/T 2260 province code, e.g. "44" for Guangdong.
    pub province: Option<String>,
    pub city: Option<String>,
    /// A, B, C or D.
    pub grade: Option<String>,
    /// International format, e.g. "+86 138 1234 5678".
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    /// Unified social credit code (统一社会信用代码).
    pub credit_code: Option<String>,
    pub parent_id: Option<Uuid>,
    pub parent_name: Option<String>,
    pub tags: Vec<String>,
    pub description: Option<String>,
    /// When an activity with the account last happened (set by the system).
    pub last_contacted_at: Option<DateTime<Utc>>,
    /// The day of the account's last won deal (set by the system).
    #[schema(format = Date)]
    pub last_deal_at: Option<String>,
    pub owner_id: Uuid,
    pub owner_name: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    /// Increases with every change; the ETag is this number in quotes.
    pub version: i64,
    /// The company's custom fields, each under its own key like a standard field.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub custom: serde_json::Map<String, Value>,
}

impl From<AccountRow> for AccountOut {
    fn from(a: AccountRow) -> Self {
        AccountOut {
            id: a.id,
            name: a.name,
            account_type: a.account_type,
            industry: a.industry,
            province: a.province,
            city: a.city,
            grade: a.grade,
            phone: a.phone,
            website: a.website,
            address: a.address,
            credit_code: a.credit_code,
            parent_id: a.parent_id,
            parent_name: a.parent_name,
            tags: a.tags.0,
            description: a.description,
            last_contacted_at: a.last_contacted_at,
            last_deal_at: a.last_deal_at,
            owner_id: a.owner_id,
            owner_name: a.owner_name,
            created_at: a.created_at,
            created_by: a.created_by,
            updated_at: a.updated_at,
            updated_by: a.updated_by,
            version: a.version,
            custom: match a.custom.0 {
                Value::Object(map) => map,
                _ => serde_json::Map::new(),
            },
        }
    }
}

/// The writable fields of an account. On create, `name` is required; on PATCH, only the fields
/// present change and `null` clears a field. Unknown fields are refused.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct AccountWrite {
    pub name: Option<String>,
    pub account_type: Option<String>,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub grade: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub credit_code: Option<String>,
    pub parent_id: Option<Uuid>,
    pub tags: Option<Vec<String>>,
    pub description: Option<String>,
    pub owner_id: Option<Uuid>,
    /// Alternative to `If-Match` on PATCH: the version the change is based on.
    pub version: Option<i64>,
}

/// Fields that take a string (or null).
const TEXT_FIELDS: &[&str] = &[
    "name",
    "account_type",
    "industry",
    "province",
    "city",
    "grade",
    "phone",
    "website",
    "address",
    "credit_code",
    "parent_id",
    "description",
    "owner_id",
];

/// Separates the body's custom-field keys (as field input) from the standard ones.
async fn split_custom(
    state: &AppState,
    user: &ApiUser,
    body: &Map<String, Value>,
) -> Result<(Map<String, Value>, app::records::Input), ApiError> {
    let fields = app::records::object_fields(&state.app, &user.actor, ObjectKind::Account)
        .await
        .map_err(|e| ApiError::new(user.tr, e))?;
    let (custom, standard): (Map<String, Value>, Map<String, Value>) = body
        .clone()
        .into_iter()
        .partition(|(k, _)| fields.custom.iter().any(|c| &c.def.key == k));
    let (input, _) =
        super::records::json_input(&fields, &custom).map_err(|e| ApiError::new(user.tr, e))?;
    // Fields the role may not see or change are refused, as the record engine does.
    let mut errors = FieldErrors::new();
    for (key, access) in app::accounts::limited_fields(&user.actor) {
        if standard.contains_key(key) {
            let code = if access == domain::permissions::FieldAccess::Hidden {
                "unknown_field"
            } else {
                "read_only"
            };
            errors.add(key, code);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::new(user.tr, AppError::Validation(errors)));
    }
    Ok((standard, input))
}

/// Applies a JSON object onto an input: present keys replace, `null` clears, unknown keys and
/// wrong types are field errors. Returns the `version` field when given.
pub fn apply_json(
    input: &mut AccountInput,
    body: &Map<String, Value>,
) -> Result<Option<i64>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut version = None;
    for (key, value) in body {
        if key == "tags" {
            match value {
                Value::Null => input.tags = Vec::new(),
                Value::Array(items) if items.iter().all(Value::is_string) => {
                    input.tags = items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect();
                }
                _ => errors.add("tags", "wrong_type"),
            }
            continue;
        }
        if key == "version" {
            match value.as_i64() {
                Some(v) => version = Some(v),
                None => errors.add("version", "wrong_type"),
            }
            continue;
        }
        if !TEXT_FIELDS.contains(&key.as_str()) {
            errors.add(key, "unknown_field");
            continue;
        }
        let text = match value {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            _ => {
                errors.add(key, "wrong_type");
                continue;
            }
        };
        let slot = match key.as_str() {
            "name" => &mut input.name,
            "account_type" => &mut input.account_type,
            "industry" => &mut input.industry,
            "province" => &mut input.province,
            "city" => &mut input.city,
            "grade" => &mut input.grade,
            "phone" => &mut input.phone,
            "website" => &mut input.website,
            "address" => &mut input.address,
            "credit_code" => &mut input.credit_code,
            "parent_id" => &mut input.parent_id,
            "description" => &mut input.description,
            _ => &mut input.owner_id,
        };
        *slot = text;
    }
    errors.into_result()?;
    Ok(version)
}

fn with_etag(status: StatusCode, row: AccountRow) -> Response {
    let tag = super::etag(row.version);
    let location = format!("/api/v1/accounts/{}", row.id);
    let mut response = (status, Json(AccountOut::from(row))).into_response();
    response.headers_mut().insert(header::ETAG, tag);
    if status == StatusCode::CREATED {
        if let Ok(v) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, v);
        }
    }
    response
}

fn parse_id(tr: Tr, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::new(tr, AppError::NotFound))
}

/// A page of results with the cursor of the next page (absent on the last page).
#[derive(Serialize, ToSchema)]
pub struct AccountPage {
    pub items: Vec<AccountOut>,
    pub next_cursor: Option<String>,
}

/// List filters. Text filters match exactly; `q` searches names (two-character Chinese
/// fragments, word prefixes); dates are `YYYY-MM-DD` or RFC 3339. Any other parameter is an
/// `unknown_field` error (422).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ListDoc {
    q: Option<String>,
    account_type: Option<String>,
    grade: Option<String>,
    industry: Option<String>,
    province: Option<String>,
    city: Option<String>,
    owner_id: Option<Uuid>,
    parent_id: Option<Uuid>,
    tag: Option<String>,
    credit_code: Option<String>,
    phone: Option<String>,
    created_from: Option<String>,
    created_to: Option<String>,
    updated_from: Option<String>,
    updated_to: Option<String>,
    /// `field:operator:value[,value…]`, repeatable: the filter language of every list, on
    /// any account field including custom ones (see `/api/v1/accounts/fields`).
    filter: Option<Vec<String>>,
    /// A built-in view's key or a saved view's id: its filters and sort apply first.
    view: Option<String>,
    /// name, created_at or updated_at; prefix with `-` for descending (default `-updated_at`).
    sort: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1–200, default 50.
    limit: Option<i64>,
}

/// List the accounts the token's user may see.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", security(("bearer" = [])), params(ListDoc),
    responses((status = 200, body = AccountPage)))]
async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<AccountPage>, ApiError> {
    let tr = user.tr;
    let super::list_query::ListQuery {
        mut request,
        view,
        quick,
    } = super::list_query::parse(raw.as_deref(), app::accounts::QUICK_FILTERS)
        .map_err(|e| ApiError::new(tr, e))?;
    if let Some(view) = view {
        super::list_query::apply_view(&state, &user, ObjectKind::Account, &mut request, &view)
            .await?;
    }
    let quick: Map<String, Value> = quick
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let mut params: ListParams = serde_json::from_value(Value::Object(quick)).map_err(|e| {
        ApiError::code(tr, StatusCode::BAD_REQUEST, "invalid_body").with_detail(e.to_string())
    })?;
    params.q = request.q;
    params.sort = request.sort;
    params.cursor = request.cursor;
    params.limit = request.limit.map(|n| n.to_string());
    params.filters = request.filters;
    let page = app::accounts::list(&state.app, &user.actor, &params)
        .await
        .map_err(|e| ApiError::new(tr, e))?;
    Ok(Json(AccountPage {
        items: page.items.into_iter().map(AccountOut::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Create an account. The owner defaults to the token's user. With an `Idempotency-Key`
/// header, a retry of the same request within 24 hours returns the first answer.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", security(("bearer" = [])), request_body = AccountWrite,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body give the first answer")),
    responses((status = 201, body = AccountOut, headers(("ETag" = String), ("Location" = String)))))]
async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let (state, user, body) = (&state, &user, &body);
    super::idempotent(
        state,
        user,
        &headers,
        "/api/v1/accounts",
        body,
        |key| async move {
            let (standard, custom) = split_custom(state, user, body).await?;
            let mut input = AccountInput::default();
            apply_json(&mut input, &standard)
                .map_err(|e| ApiError::new(tr, AppError::Validation(e)))?;
            let row =
                app::accounts::create_once(&state.app, &user.actor, &input, &custom, key.as_ref())
                    .await
                    .map_err(|e| ApiError::new(tr, e))?;
            Ok(with_etag(StatusCode::CREATED, row))
        },
        |id| async move {
            let row = app::accounts::get(&state.app, &user.actor, id)
                .await
                .map_err(|e| ApiError::new(tr, e))?;
            Ok(with_etag(StatusCode::CREATED, row))
        },
    )
    .await
}

/// Read one account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = AccountOut, headers(("ETag" = String)))))]
async fn read(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(user.tr, &id)?;
    let row = app::accounts::get(&state.app, &user.actor, id)
        .await
        .map_err(|e| ApiError::new(user.tr, e))?;
    Ok(with_etag(StatusCode::OK, row))
}

/// Change some fields of an account. Requires `If-Match` with the current ETag (or `version`).
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", tag = "accounts", security(("bearer" = [])), params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The account's ETag, or `*` for whatever version is current (or `version` in the body)")), request_body = AccountWrite,
    responses((status = 200, body = AccountOut)))]
async fn patch(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let current = app::accounts::get(&state.app, &user.actor, id)
        .await
        .map_err(|e| ApiError::new(tr, e))?;
    let mut input = current.fields().to_input();
    let (standard, custom) = split_custom(&state, &user, &body).await?;
    let body_version = apply_json(&mut input, &standard)
        .map_err(|e| ApiError::new(tr, AppError::Validation(e)))?;
    let version = super::expected_version(tr, &headers, body_version, current.version)?;
    let row =
        app::accounts::update_with_custom(&state.app, &user.actor, id, version, &input, &custom)
            .await
            .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    Ok(with_etag(StatusCode::OK, row))
}

/// Delete an account. Requires `If-Match`.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}", tag = "accounts", security(("bearer" = [])), params(("id" = Uuid, Path), ("If-Match" = String, Header)),
    responses((status = 204, description = "Deleted")))]
async fn remove(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let current = app::accounts::get(&state.app, &user.actor, id)
        .await
        .map_err(|e| ApiError::new(tr, e))?;
    let version = super::expected_version(tr, &headers, None, current.version)?;
    app::accounts::delete(&state.app, &user.actor, id, version)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferIn {
    pub owner_id: Uuid,
    /// Alternative to `If-Match`.
    pub version: Option<i64>,
}

/// Hand an account to another owner. Requires `If-Match`. Answers 204 when the account has
/// left the caller's scope with the transfer.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/transfer", tag = "accounts", security(("bearer" = [])), params(("id" = Uuid, Path), ("If-Match" = String, Header)), request_body = TransferIn,
    responses((status = 200, body = AccountOut), (status = 204, description = "Transferred; the account has left the caller's scope")))]
async fn transfer(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let tr = user.tr;
    let id = parse_id(tr, &id)?;
    let input: TransferIn = serde_json::from_value(Value::Object(body)).map_err(|e| {
        ApiError::code(tr, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
            .with_detail(e.to_string())
    })?;
    let owner = input.owner_id;
    let current = app::accounts::get(&state.app, &user.actor, id)
        .await
        .map_err(|e| ApiError::new(tr, e))?;
    let version = super::expected_version(tr, &headers, input.version, current.version)?;
    match app::accounts::transfer(&state.app, &user.actor, id, version, owner)
        .await
        .map_err(|e| super::conflict_as_412(tr, e, &headers))?
    {
        Some(row) => Ok(with_etag(StatusCode::OK, row)),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct FieldChangeOut {
    pub id: Uuid,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub changed_by: Uuid,
    pub changed_by_name: Option<String>,
    pub changed_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryPage {
    pub items: Vec<FieldChangeOut>,
    pub next_cursor: Option<String>,
}

/// The history's parameters (documentation; parsed by `list_query::params`).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct HistoryQuery {
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1–200, default 50.
    limit: Option<i64>,
}

/// Field history of an account, newest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/history", tag = "accounts", security(("bearer" = [])), params(("id" = Uuid, Path), HistoryQuery),
    responses((status = 200, body = HistoryPage)))]
async fn history(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<HistoryPage>, ApiError> {
    let tr = user.tr;
    let q = super::list_query::params(raw.as_deref(), &["cursor", "limit"], 200)
        .map_err(|e| ApiError::new(tr, e))?;
    let id = parse_id(tr, &id)?;
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<i64>().ok())
        .unwrap_or(50);
    let before = match q.get("cursor").map(|c| Uuid::parse_str(c)) {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(_)) => {
            return Err(ApiError::new(
                tr,
                AppError::field("cursor", "invalid_cursor"),
            ))
        }
    };
    let mut items = app::accounts::history(&state.app, &user.actor, id, before, limit + 1)
        .await
        .map_err(|e| ApiError::new(tr, e))?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|h| h.id.to_string())
    } else {
        None
    };
    Ok(Json(HistoryPage {
        items: items
            .into_iter()
            .map(|h| FieldChangeOut {
                id: h.id,
                field: h.field,
                old_value: h.old_value,
                new_value: h.new_value,
                changed_by: h.changed_by,
                changed_by_name: h.changed_by_name,
                changed_at: h.changed_at,
            })
            .collect(),
        next_cursor,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_json_reports_unknown_fields_and_wrong_types() {
        let body: Map<String, Value> =
            serde_json::from_str(r#"{"name": 12, "colour": "red", "tags": "x", "grade": null}"#)
                .unwrap();
        let mut input = AccountInput {
            grade: Some("A".into()),
            ..Default::default()
        };
        let errors = apply_json(&mut input, &body).unwrap_err();
        let mut codes: Vec<_> = errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        codes.sort();
        assert_eq!(
            codes,
            [
                ("colour", "unknown_field"),
                ("name", "wrong_type"),
                ("tags", "wrong_type")
            ]
        );
    }

    #[test]
    fn apply_json_null_clears_and_absent_keeps() {
        let body: Map<String, Value> =
            serde_json::from_str(r#"{"grade": null, "tags": ["a"], "version": 3}"#).unwrap();
        let mut input = AccountInput {
            grade: Some("A".into()),
            city: Some("深圳".into()),
            ..Default::default()
        };
        assert_eq!(apply_json(&mut input, &body).unwrap(), Some(3));
        assert_eq!(input.grade, None);
        assert_eq!(input.city.as_deref(), Some("深圳"));
        assert_eq!(input.tags, ["a"]);
    }

    #[test]
    fn every_documented_write_field_is_accepted() {
        let doc = serde_json::to_value(AccountWrite::default()).unwrap();
        for key in doc.as_object().unwrap().keys() {
            assert!(
                TEXT_FIELDS.contains(&key.as_str()) || key == "tags" || key == "version",
                "{key}"
            );
        }
        assert_eq!(doc.as_object().unwrap().len(), TEXT_FIELDS.len() + 2);
    }
}
