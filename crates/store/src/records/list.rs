//! A list query of any object: visibility arms, conditions, keyset order and cursor.

use super::*;

/// Where the previous page ended.
#[derive(Debug, Clone, PartialEq)]
pub struct After {
    /// The last row's sort value (`None` when it had none).
    pub value: Option<FieldValue>,
    pub id: Uuid,
}

pub struct ListQuery<'a> {
    pub conditions: &'a [Condition],
    /// Extra equality on a lookup column (related lists: `account_id = …`).
    pub related: Option<(&'a str, Uuid)>,
    /// Quick-search terms a record must all match (`record_search`).
    pub search_tokens: &'a [domain::search::Term],
    pub sort: &'a FieldDef,
    pub descending: bool,
    pub after: Option<After>,
    pub limit: i64,
}

/// One page of the records of `spec` the principal may see: visibility, conditions, then
/// `ORDER BY <sort> NULLS LAST, id` with a keyset cursor. Never OFFSET, never COUNT. Returns
/// up to `limit + 1` records so the caller can tell whether another page follows.
pub async fn list(
    tx: &mut Tx,
    principal: &Principal,
    spec: &ObjectSpec,
    custom: &[FieldDef],
    query: &ListQuery<'_>,
) -> Result<Vec<Record>> {
    let q = list_statement(tx, principal, spec, query).await?;
    fetch_records(tx, spec, custom, &q).await
}

/// The statement [`list`] runs, for [`explain`] to show how the database plans it.
pub async fn list_statement(
    tx: &mut Tx,
    principal: &Principal,
    spec: &ObjectSpec,
    query: &ListQuery<'_>,
) -> Result<SqlBuilder> {
    let backend = tx.backend();
    let index = TokenIndex::of(spec.kind);
    let search = SearchPlan::new(
        tx,
        principal,
        spec.kind,
        index,
        query.search_tokens,
        query.limit,
    )
    .await?;
    let mut q = SqlBuilder::new("");
    let shape = crate::visibility::ListShape {
        backend,
        related: query.related.is_some(),
        searched: search.has_driver(),
        owner_ordered: query.conditions.is_empty()
            && query.related.is_none()
            && query.search_tokens.is_empty()
            && query.sort.column.is_some()
            && OWNER_ORDERED.contains(&query.sort.key.as_str()),
    };
    let arms = crate::visibility::visible_records_apart(&mut q, principal, spec.kind, "t", shape);
    if let [arm] = arms.as_slice() {
        push_list_arm(&mut q, backend, spec, query, &search, arm);
        return Ok(q);
    }
    // Readers with grants: each arm ordered and limited on its own index, then merged.
    q.push("SELECT t.* FROM (");
    for (i, arm) in arms.iter().enumerate() {
        if i > 0 {
            q.push(" UNION ALL ");
        }
        q.push("SELECT * FROM (");
        push_list_arm(&mut q, backend, spec, query, &search, arm);
        q.push(&format!(") arm{i}"));
    }
    q.push(") t");
    push_order(&mut q, backend, query);
    Ok(q)
}

/// The sorts every record table has an index `(tenant_id, owner_id, <sort>, id)` for.
pub const OWNER_ORDERED: [&str; 3] = ["updated_at", "created_at", "name"];

/// One ordered, limited `SELECT` of the list over the records `visible` (a predicate on `t`).
fn push_list_arm(
    q: &mut SqlBuilder,
    backend: Backend,
    spec: &ObjectSpec,
    query: &ListQuery<'_>,
    search: &SearchPlan,
    arm: &crate::visibility::Arm,
) {
    use crate::visibility::Driver;
    let from = match &arm.driver {
        Driver::GrantedIds(ids) => format!("FROM ({ids}) g CROSS JOIN {} t", spec.plural),
        Driver::Owners(owners) => {
            q.push(&format!(
                "SELECT t.* FROM ({owners}) o CROSS JOIN LATERAL ("
            ));
            format!("FROM {} t", spec.plural)
        }
        Driver::Walked => search.from_clause(q, spec.plural, "t"),
    };
    q.push(&select_sql(spec, &from));
    q.push(" WHERE ");
    q.push(&arm.predicate);
    if let Some((column, id)) = query.related {
        let p = q.param(Param::Uuid(id));
        q.push(&format!(" AND t.{column} = {p}"));
    }
    search.push_predicates(q, "t");
    for condition in query.conditions {
        q.push(" AND ");
        condition_sql(q, backend, spec.kind, condition);
    }
    let expr = expression(backend, query.sort);
    let cmp = if query.descending { "<" } else { ">" };
    let nullable = !never_null(query.sort);
    if let Some(after) = &query.after {
        let id = q.param(Param::Uuid(after.id));
        let keyset = match (&after.value, query.descending) {
            (Some(v), descending) => {
                let v = bind_value(q, backend, query.sort, v);
                let tail = if nullable && descending {
                    format!(" OR {expr} IS NULL")
                } else {
                    String::new()
                };
                format!("({expr} {cmp} {v} OR ({expr} = {v} AND t.id {cmp} {id}){tail})")
            }
            (None, true) => format!("({expr} IS NULL AND t.id < {id})"),
            (None, false) => format!("(({expr} IS NULL AND t.id > {id}) OR {expr} IS NOT NULL)"),
        };
        q.push(&format!(" AND {keyset}"));
    }
    push_order(q, backend, query);
    if let Driver::Owners(_) = arm.driver {
        q.push(") t");
        push_order(q, backend, query);
    }
}

/// ` ORDER BY <sort>, t.id LIMIT <limit + 1>`: records without a value sort as the smallest
/// values (SQLite's own order); a column that is never NULL gets no NULLS clause, so that
/// PostgreSQL walks its index.
fn push_order(q: &mut SqlBuilder, backend: Backend, query: &ListQuery<'_>) {
    let expr = expression(backend, query.sort);
    let dir = if query.descending { "DESC" } else { "ASC" };
    let nulls = match (!never_null(query.sort), backend, query.descending) {
        (true, Backend::Postgres, true) => " NULLS LAST",
        (true, Backend::Postgres, false) => " NULLS FIRST",
        _ => "",
    };
    let limit = q.param(Param::I64(query.limit + 1));
    q.push(&format!(
        " ORDER BY {expr} {dir}{nulls}, t.id {dir} LIMIT {limit}"
    ));
}

/// How the database plans a statement: SQLite's `EXPLAIN QUERY PLAN` details, or
/// PostgreSQL's `EXPLAIN` lines. For tests that guard index use.
pub async fn explain(tx: &mut Tx, q: &SqlBuilder) -> Result<Vec<String>> {
    let (prefix, column) = match tx.backend() {
        Backend::Sqlite => ("EXPLAIN QUERY PLAN ", "detail"),
        Backend::Postgres => ("EXPLAIN ", "QUERY PLAN"),
    };
    let sql = format!("{prefix}{}", q.sql);
    let mut lines = Vec::new();
    on_conn!(tx, c => {
        for row in bind_params!(sqlx::query(&sql), &q.params).fetch_all(c).await? {
            lines.push(row.try_get::<String, _>(column)?);
        }
    });
    Ok(lines)
}

/// Whether the field's column is declared NOT NULL.
pub fn never_null(field: &FieldDef) -> bool {
    field.column.is_some()
        && (field.required || matches!(field.key.as_str(), "created_at" | "updated_at"))
}

/// Appends the SQL of one checked filter.
pub fn condition_sql(
    q: &mut SqlBuilder,
    backend: Backend,
    object: ObjectKind,
    condition: &Condition,
) {
    let field = &condition.field;
    let expr = expression(backend, field);
    let sql = match &condition.test {
        Test::Empty if field.field_type == FieldType::Tags => tags_empty(backend, field, true),
        Test::NotEmpty if field.field_type == FieldType::Tags => tags_empty(backend, field, false),
        Test::Empty => format!("{expr} IS NULL"),
        Test::NotEmpty => format!("{expr} IS NOT NULL"),
        Test::Eq(FieldValue::Bool(false)) => {
            let v = bind_value(q, backend, field, &FieldValue::Bool(false));
            format!("({expr} = {v} OR {expr} IS NULL)")
        }
        Test::Eq(v) => format!("{expr} = {}", bind_value(q, backend, field, v)),
        Test::Ne(v) => {
            let v = bind_value(q, backend, field, v);
            format!("({expr} <> {v} OR {expr} IS NULL)")
        }
        Test::Gt(v) => format!("{expr} > {}", bind_value(q, backend, field, v)),
        Test::Gte(v) => format!("{expr} >= {}", bind_value(q, backend, field, v)),
        Test::Lt(v) => format!("{expr} < {}", bind_value(q, backend, field, v)),
        Test::Lte(v) => format!("{expr} <= {}", bind_value(q, backend, field, v)),
        Test::Between(a, b) => {
            let a = bind_value(q, backend, field, a);
            let b = bind_value(q, backend, field, b);
            format!("({expr} >= {a} AND {expr} <= {b})")
        }
        Test::In(values) => {
            let list: Vec<String> = values
                .iter()
                .map(|v| bind_value(q, backend, field, v))
                .collect();
            format!("{expr} IN ({})", list.join(", "))
        }
        Test::Range { from, to, or_empty } => {
            let mut parts = Vec::new();
            if let Some(from) = from {
                parts.push(format!("{expr} >= {}", bind_value(q, backend, field, from)));
            }
            if let Some(to) = to {
                parts.push(format!("{expr} < {}", bind_value(q, backend, field, to)));
            }
            let range = if parts.is_empty() {
                "1 = 1".to_string()
            } else {
                parts.join(" AND ")
            };
            if *or_empty {
                format!("(({range}) OR {expr} IS NULL)")
            } else {
                format!("({range})")
            }
        }
        // A tag is looked up in `record_tags` by its index, not in each record's JSON.
        Test::Contains(tag) if field.field_type == FieldType::Tags => {
            let object = q.param(Param::Text(object.key().to_string()));
            let key = q.param(Param::Text(field.key.clone()));
            let tag = q.param(Param::Text(tag.clone()));
            format!(
                "t.id IN (SELECT rt.record_id FROM record_tags rt WHERE rt.tenant_id = t.tenant_id AND rt.object = {object} AND rt.field = {key} AND rt.tag = {tag})"
            )
        }
        Test::Contains(needle) if field.field_type == FieldType::MultiSelect => {
            let p = q.param(Param::Text(needle.clone()));
            let key = &field.key;
            match (backend, &field.column) {
                (Backend::Sqlite, None) => format!(
                    "EXISTS (SELECT 1 FROM json_each(t.custom, '$.{key}') je WHERE je.value = {p})"
                ),
                (Backend::Postgres, None) => format!("jsonb_exists(t.custom->'{key}', {p})"),
                (Backend::Sqlite, Some(c)) => {
                    format!("EXISTS (SELECT 1 FROM json_each(t.{c}) je WHERE je.value = {p})")
                }
                (Backend::Postgres, Some(c)) => format!("jsonb_exists(t.{c}, {p})"),
            }
        }
        Test::Contains(needle) => {
            let p = q.param(Param::Text(format!("%{}%", escape_like(needle))));
            format!("lower({expr}) LIKE {p} ESCAPE '\\'")
        }
        Test::StartsWith(prefix) => {
            let p = q.param(Param::Text(format!("{}%", escape_like(prefix))));
            format!("lower({expr}) LIKE {p} ESCAPE '\\'")
        }
    };
    q.push(&sql);
}

/// Whether a tags field has no tags (`empty`) or some: a standard column holds `[]` then,
/// a custom field no key.
fn tags_empty(backend: Backend, field: &FieldDef, empty: bool) -> String {
    let (cmp, null) = if empty {
        ("=", "IS NULL")
    } else {
        (">", "IS NOT NULL")
    };
    match (&field.column, backend) {
        (Some(c), Backend::Sqlite) => format!("json_array_length(t.{c}) {cmp} 0"),
        (Some(c), Backend::Postgres) => format!("jsonb_array_length(t.{c}) {cmp} 0"),
        (None, _) => format!("{} {null}", expression(backend, field)),
    }
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
