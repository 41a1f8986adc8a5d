//! Accounts in tests, typed: the record engine's use cases (`app::records` with
//! `ObjectKind::Account`) behind the shape the account tests were written in, so that they
//! keep asserting the same things. Product code has no such layer: it reads and writes
//! accounts by field key like every object.
#![allow(dead_code)]

use app::records::{Input, ListRequest, RecordView};
use app::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Utc};
use domain::fields::FieldValue;
use domain::permissions::ObjectKind;
use domain::views::FilterSpec;
use store::history::FieldChange;
use uuid::Uuid;

const KIND: ObjectKind = ObjectKind::Account;

/// An account's standard fields as a form would submit them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountInput {
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
    pub parent_id: Option<String>,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub owner_id: Option<String>,
}

impl AccountInput {
    fn pairs(&self) -> Vec<(&'static str, Vec<String>)> {
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        vec![
            ("name", one(&self.name)),
            ("account_type", one(&self.account_type)),
            ("industry", one(&self.industry)),
            ("province", one(&self.province)),
            ("city", one(&self.city)),
            ("grade", one(&self.grade)),
            ("phone", one(&self.phone)),
            ("website", one(&self.website)),
            ("address", one(&self.address)),
            ("credit_code", one(&self.credit_code)),
            ("parent_id", one(&self.parent_id)),
            ("tags", self.tags.clone()),
            ("description", one(&self.description)),
            ("owner_id", one(&self.owner_id)),
        ]
    }

    /// On create: the fields given. On a whole-record save: every field the actor may
    /// change (an empty one clears it), as the account form posts them.
    async fn input(&self, app: &App, actor: &Actor, creating: bool) -> AppResult<Input> {
        let fields = app::records::object_fields(app, actor, KIND).await?;
        Ok(self
            .pairs()
            .into_iter()
            .filter(|(_, values)| !creating || !values.is_empty())
            .filter(|(key, _)| creating || fields.field(key).is_some_and(|f| fields.writable(f)))
            // An empty owner, or an empty choice with a default, keeps the stored value.
            .filter(|(key, values)| {
                !values.is_empty()
                    || (*key != "owner_id"
                        && fields.field(key).is_none_or(|f| f.default_value.is_none()))
            })
            .map(|(key, values)| (key.to_string(), values))
            .collect())
    }
}

/// Tags as the account row held them (`tags.0`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tags(pub Vec<String>);

/// An account as a test reads it.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: Uuid,
    pub name: String,
    pub account_type: String,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub grade: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub credit_code: Option<String>,
    pub parent_id: Option<Uuid>,
    pub parent_name: Option<String>,
    pub tags: Tags,
    pub description: Option<String>,
    pub last_contacted_at: Option<DateTime<Utc>>,
    pub owner_id: Uuid,
    pub owner_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// Every value by key (custom fields included).
    pub values: store::records::Values,
}

impl Account {
    fn of(record: store::records::Record, names: &std::collections::HashMap<Uuid, String>) -> Self {
        let text = |k: &str| record.text(k).map(str::to_string);
        let tags = match record.values.get("tags") {
            Some(FieldValue::Choices(t)) => t.clone(),
            _ => Vec::new(),
        };
        let parent_id = record.id_of("parent_id");
        let last_contacted_at = match record.values.get("last_contacted_at") {
            Some(FieldValue::DateTime(t)) => Some(*t),
            _ => None,
        };
        Account {
            id: record.id,
            name: record.name().to_string(),
            account_type: text("account_type").unwrap_or_default(),
            industry: text("industry"),
            province: text("province"),
            city: text("city"),
            grade: text("grade"),
            phone: text("phone"),
            website: text("website"),
            address: text("address"),
            credit_code: text("credit_code"),
            parent_id,
            parent_name: parent_id.and_then(|p| names.get(&p).cloned()),
            tags: Tags(tags),
            description: text("description"),
            last_contacted_at,
            owner_id: record.owner_id,
            owner_name: names.get(&record.owner_id).cloned().unwrap_or_default(),
            created_at: record.created_at,
            updated_at: record.updated_at,
            version: record.version,
            values: record.values.clone(),
        }
    }

    fn from_view(view: RecordView) -> Self {
        Account::of(view.record, &view.names)
    }

    /// The account's values as input again, for a whole-record save.
    pub fn fields(&self) -> Fields {
        Fields(AccountInput {
            name: Some(self.name.clone()),
            account_type: Some(self.account_type.clone()),
            industry: self.industry.clone(),
            province: self.province.clone(),
            city: self.city.clone(),
            grade: self.grade.clone(),
            phone: self.phone.clone(),
            website: self.website.clone(),
            address: self.address.clone(),
            credit_code: self.credit_code.clone(),
            parent_id: self.parent_id.map(|p| p.to_string()),
            tags: self.tags.0.clone(),
            description: self.description.clone(),
            owner_id: Some(self.owner_id.to_string()),
        })
    }
}

/// An account's values (see [`Account::fields`]).
pub struct Fields(AccountInput);

impl Fields {
    pub fn to_input(&self) -> AccountInput {
        self.0.clone()
    }
}

pub async fn create(app: &App, actor: &Actor, input: &AccountInput) -> AppResult<Account> {
    create_with_custom(app, actor, input, &Input::new()).await
}

pub async fn create_with_custom(
    app: &App,
    actor: &Actor,
    input: &AccountInput,
    custom: &Input,
) -> AppResult<Account> {
    let mut all = input.input(app, actor, true).await?;
    all.extend(custom.iter().cloned());
    let id = app::records::create(app, actor, KIND, &all).await?;
    get(app, actor, id).await
}

pub async fn get(app: &App, actor: &Actor, id: Uuid) -> AppResult<Account> {
    app::records::get(app, actor, KIND, id)
        .await
        .map(Account::from_view)
}

pub async fn update(
    app: &App,
    actor: &Actor,
    id: Uuid,
    version: i64,
    input: &AccountInput,
) -> AppResult<Account> {
    let all = input.input(app, actor, false).await?;
    app::records::update(app, actor, KIND, id, version, &all).await?;
    get(app, actor, id).await
}

pub async fn delete(app: &App, actor: &Actor, id: Uuid, version: i64) -> AppResult<()> {
    app::records::delete(app, actor, KIND, id, version).await
}

pub async fn transfer(
    app: &App,
    actor: &Actor,
    id: Uuid,
    version: i64,
    owner: Uuid,
) -> AppResult<Option<Account>> {
    Ok(app::records::transfer(app, actor, KIND, id, version, owner)
        .await?
        .map(Account::from_view))
}

pub async fn history(
    app: &App,
    actor: &Actor,
    id: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> AppResult<Vec<FieldChange>> {
    app::records::history(app, actor, KIND, id, before, limit).await
}

/// The accounts list's parameters as the tests give them: quick filters by field.
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub q: Option<String>,
    pub account_type: Option<String>,
    pub grade: Option<String>,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub owner_id: Option<String>,
    pub parent_id: Option<String>,
    pub tag: Option<String>,
    pub credit_code: Option<String>,
    pub phone: Option<String>,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    pub updated_from: Option<String>,
    pub updated_to: Option<String>,
    pub sort: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
    pub filters: Vec<FilterSpec>,
}

pub struct Page {
    pub items: Vec<Account>,
    pub next_cursor: Option<String>,
}

pub async fn list(app: &App, actor: &Actor, params: &ListParams) -> AppResult<Page> {
    let mut filters = params.filters.clone();
    let quick = [
        ("account_type", "eq", &params.account_type),
        ("grade", "eq", &params.grade),
        ("industry", "eq", &params.industry),
        ("province", "eq", &params.province),
        ("city", "eq", &params.city),
        ("owner_id", "eq", &params.owner_id),
        ("parent_id", "eq", &params.parent_id),
        ("tags", "contains", &params.tag),
        ("credit_code", "eq", &params.credit_code),
        ("phone", "eq", &params.phone),
        ("created_at", "gte", &params.created_from),
        ("created_at", "lte", &params.created_to),
        ("updated_at", "gte", &params.updated_from),
        ("updated_at", "lte", &params.updated_to),
    ];
    let names = [
        "account_type",
        "grade",
        "industry",
        "province",
        "city",
        "owner_id",
        "parent_id",
        "tag",
        "credit_code",
        "phone",
        "created_from",
        "created_to",
        "updated_from",
        "updated_to",
    ];
    // Which quick parameter each filter came from, to name its errors as the API does.
    let mut param_of = Vec::new();
    for ((field, op, value), name) in quick.into_iter().zip(names) {
        if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            param_of.push((format!("filter.{field}"), name));
            filters.push(FilterSpec {
                field: field.into(),
                op: op.into(),
                values: vec![v.to_string()],
            });
        }
    }
    // An unreadable limit is out of range, as the API says it.
    let limit = params
        .limit
        .as_deref()
        .map(|l| l.parse::<i64>().unwrap_or(0));
    let request = ListRequest {
        filters,
        sort: params.sort.clone(),
        cursor: params.cursor.clone(),
        limit,
        q: params.q.clone(),
        related: None,
        archived: Default::default(),
    };
    let page = match app::records::list(app, actor, KIND, &request).await {
        Err(AppError::Validation(mut errors)) => {
            for e in &mut errors.0 {
                if let Some((_, name)) = param_of.iter().find(|(f, _)| *f == e.field) {
                    e.field = name.to_string();
                }
            }
            return Err(AppError::Validation(errors));
        }
        other => other?,
    };
    Ok(Page {
        items: page
            .records
            .into_iter()
            .map(|r| Account::of(r, &page.names))
            .collect(),
        next_cursor: page.next_cursor,
    })
}
