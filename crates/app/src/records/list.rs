//! Lists of any object: sort and filters from the request, the keyset cursor, one page.

use super::*;

pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

/// A list request: filters, sort (`field` or `-field`), cursor, page size, quick search.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ListRequest {
    pub filters: Vec<FilterSpec>,
    pub sort: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
    pub q: Option<String>,
    /// Records whose lookup field `.0` points at `.1` (related lists).
    #[serde(skip)]
    pub related: Option<(String, Uuid)>,
    /// Whether archived records (an object's [`domain::objects::Archive`]: won, lost or
    /// terminated deals) are left out (the default), included or the only ones.
    #[serde(default)]
    pub archived: Archived,
}

/// Which records of an object with an archive a list shows.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Archived {
    /// The working records only (unless a filter names the archive's field).
    #[default]
    Hidden,
    Included,
    Only,
}

impl Archived {
    pub fn parse(value: &str) -> Option<Archived> {
        match value {
            "hidden" | "false" => Some(Archived::Hidden),
            "include" | "included" | "true" => Some(Archived::Included),
            "only" => Some(Archived::Only),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Archived::Hidden => "hidden",
            Archived::Included => "include",
            Archived::Only => "only",
        }
    }
}

/// The condition keeping a list to its working (or archived) records: none for an object
/// without an archive, a related list (an account's deals show them all), a list asked to
/// include them, or one that filters on the archive's field or a field naming it (a stage).
fn archive_condition(
    fields: &ObjectFields,
    request: &ListRequest,
) -> Option<domain::views::Condition> {
    let archive = fields.spec.archive?;
    let named = |key: &str| key == archive.field || archive.named_by.contains(&key);
    if request.related.is_some() || request.filters.iter().any(|f| named(&f.field)) {
        return None;
    }
    let values = match request.archived {
        Archived::Included => return None,
        Archived::Hidden => archive.working,
        Archived::Only => archive.archived,
    };
    let field = fields.field(archive.field)?.clone();
    Some(domain::views::Condition {
        field,
        test: domain::views::Test::In(
            values
                .iter()
                .map(|v| FieldValue::Text((*v).to_string()))
                .collect(),
        ),
    })
}

pub struct RecordPage {
    pub fields: ObjectFields,
    pub records: Vec<Record>,
    pub names: HashMap<Uuid, String>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Cursor {
    v: Option<serde_json::Value>,
    id: Uuid,
}

/// Parses `field` / `-field` into a sortable field.
pub fn parse_sort<'a>(
    fields: &'a ObjectFields,
    sort: Option<&str>,
) -> Option<(&'a FieldDef, bool)> {
    let sort = sort
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("-updated_at");
    let (descending, key) = match sort.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sort),
    };
    let field = fields.all().into_iter().find(|f| f.key == key)?;
    field.indexed.then_some((field, descending))
}

/// Checks list filters against the fields the reader may see (`filter.<field>` errors) and
/// compiles them for the store: the one filter language of every list, accounts included.
pub fn compile_filters(
    app: &App,
    actor: &Actor,
    fields: &ObjectFields,
    filters: &[FilterSpec],
    errors: &mut FieldErrors,
) -> Vec<domain::views::Condition> {
    if filters.len() > domain::views::MAX_FILTERS {
        errors.add_limit("filters", "too_long", domain::views::MAX_FILTERS as i64);
    }
    let filterable = fields.filterable();
    let mut conditions = Vec::new();
    for filter in filters {
        match domain::views::compile(
            filter,
            &filterable,
            actor.id(),
            app.now(),
            actor.time_zone(),
        ) {
            Ok(c) => conditions.push(c),
            Err(e) => errors.add(&format!("filter.{}", e.field), e.code),
        }
    }
    conditions
}

/// A record's value of the sort field as the list compares it: money as its stored minor
/// units in the company currency's places (see [`ObjectFields::comparable`]).
fn sort_value(fields: &ObjectFields, sort_field: &FieldDef, values: &Values) -> Option<FieldValue> {
    let value = values.get(&sort_field.key)?;
    match value {
        FieldValue::Decimal(d) if sort_field.field_type == FieldType::Money => {
            let stored = domain::money::to_minor_rounded(
                *d,
                repo::money_exponent(fields.spec, sort_field, values),
            )?;
            let exponent = sort_field.money_exponent.unwrap_or(2);
            Some(FieldValue::Decimal(domain::money::from_minor(
                stored, exponent,
            )))
        }
        other => Some(other.clone()),
    }
}

pub async fn list(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    request: &ListRequest,
) -> AppResult<RecordPage> {
    list_up_to(app, actor, kind, request, MAX_PAGE).await
}

/// [`list`] with pages of up to `max_page` records: an export walks the same query in
/// larger pages than a screen shows.
pub(crate) async fn list_up_to(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    request: &ListRequest,
    max_page: i64,
) -> AppResult<RecordPage> {
    if actor.principal.read_scope(kind).is_none() {
        return Err(AppError::Forbidden);
    }
    let mut tx = app.db.begin_read().await?;
    let fields = actor_fields_tx(&mut tx, actor, kind).await?;
    let mut errors = FieldErrors::new();
    let mut conditions = compile_filters(app, actor, &fields, &request.filters, &mut errors);
    conditions.extend(archive_condition(&fields, request));
    let sort = parse_sort(&fields, request.sort.as_deref());
    if sort.is_none() {
        errors.add("sort", "invalid_choice");
    }
    let limit = request.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=max_page).contains(&limit) {
        errors.add_limit("limit", "out_of_range", max_page);
    }
    let mut after = None;
    let cursor = request.cursor.as_deref().filter(|c| !c.is_empty());
    let decoded = cursor.map(|cursor| {
        hex::decode(cursor)
            .ok()
            .and_then(|b| serde_json::from_slice::<Cursor>(&b).ok())
    });
    if let (Some(None), None) = (&decoded, sort) {
        errors.add("cursor", "invalid_cursor");
    }
    if let (Some(decoded), Some((sort_field, _))) = (decoded, sort) {
        match decoded {
            Some(c) => {
                let value = match &c.v {
                    None | Some(serde_json::Value::Null) => None,
                    Some(v) => match repo::from_json(sort_field, v) {
                        Some(v) => Some(v),
                        None => {
                            errors.add("cursor", "invalid_cursor");
                            None
                        }
                    },
                };
                after = Some(repo::After { value, id: c.id });
            }
            None => errors.add("cursor", "invalid_cursor"),
        }
    }
    let mut tokens = Vec::new();
    if let Some(q) = request
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
    {
        if q.chars().count() > 100 {
            errors.add_limit("q", "too_long", 100);
        }
        tokens = domain::search::query_tokens(q);
        tokens.truncate(8);
        if tokens.is_empty() {
            errors.into_result()?;
            return Ok(RecordPage {
                fields,
                records: Vec::new(),
                names: HashMap::new(),
                next_cursor: None,
            });
        }
    }
    // A standard lookup is a column the query walks by its index; a custom one (the company's
    // lookups) is a condition on its expression index.
    let related = match &request.related {
        Some((key, id)) => match fields.field(key) {
            Some(f) if f.field_type == FieldType::Lookup => match &f.column {
                Some(column) => Some((column.clone(), *id)),
                None => {
                    let by_lookup = FilterSpec {
                        field: key.clone(),
                        op: "eq".into(),
                        values: vec![id.to_string()],
                    };
                    let more = compile_filters(app, actor, &fields, &[by_lookup], &mut errors);
                    conditions.extend(more);
                    None
                }
            },
            _ => {
                errors.add("related", "unknown_field");
                None
            }
        },
        None => None,
    };
    errors.into_result()?;
    let Some((sort_field, descending)) = sort else {
        return Err(AppError::field("sort", "invalid_choice"));
    };
    let sort_field = fields.comparable(sort_field);
    let custom = fields.custom_defs();
    // A reader whose role hides a searchable field gets only the matches on fields they see:
    // each page read is checked again, and read on until it is full (or a few rounds).
    let recheck = !tokens.is_empty() && crate::search::hides_searchable(&fields);
    let mut records = Vec::new();
    let mut resume = None;
    for round in 0..crate::search::MAX_RECHECK_ROUNDS {
        let query = repo::ListQuery {
            conditions: &conditions,
            related: related.as_ref().map(|(c, id)| (c.as_str(), *id)),
            search_tokens: &tokens,
            sort: &sort_field,
            descending,
            after: after.clone(),
            limit,
        };
        let mut page = repo::list(&mut tx, &actor.principal, fields.spec, &custom, &query).await?;
        let more = page.len() as i64 > limit;
        if recheck {
            page.truncate(limit as usize);
        }
        after = page.last().map(|r| repo::After {
            value: sort_value(&fields, &sort_field, &r.values),
            id: r.id,
        });
        for mut r in page {
            fields.strip(&mut r.values);
            let text_of = |key: &str| match r.values.get(key) {
                Some(FieldValue::Text(s)) => Some(s.as_str()),
                _ => None,
            };
            if !recheck || crate::search::matches_visible(fields.spec, text_of, &tokens) {
                records.push(r);
            }
        }
        if !recheck || records.len() as i64 > limit || !more {
            break;
        }
        if round + 1 == crate::search::MAX_RECHECK_ROUNDS {
            resume = after.clone();
        }
    }
    let encode = |value: Option<&FieldValue>, id: Uuid| {
        let cursor = Cursor {
            v: value.map(|v| match v {
                // Money as exact text (a JSON number would round large amounts).
                FieldValue::Decimal(d) if sort_field.field_type == FieldType::Money => {
                    serde_json::Value::String(d.to_string())
                }
                other => repo::json_value(other),
            }),
            id,
        };
        hex::encode(serde_json::to_vec(&cursor).unwrap_or_default())
    };
    let next_cursor = if records.len() as i64 > limit {
        records.truncate(limit as usize);
        records
            .last()
            .map(|r| encode(sort_value(&fields, &sort_field, &r.values).as_ref(), r.id))
    } else {
        resume.map(|a| encode(a.value.as_ref(), a.id))
    };
    let names = names_for(&mut tx, actor, &fields, &records).await?;
    Ok(RecordPage {
        fields,
        records,
        names,
        next_cursor,
    })
}
