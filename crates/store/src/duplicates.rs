//! Finding the records that may duplicate a set of keys (`domain::duplicates`): one query
//! path for every object. Each key is looked up by what backs its field — the search tokens
//! for a company name (its suffix-free form is no column) and for an unindexed field, the
//! stored value on the field's index otherwise — and the use case compares the candidates'
//! own keys, so a token that came from another field never makes a match.

use crate::records::{bind_value, expression};
use crate::search::TokenIndex;
use crate::visibility::SqlBuilder;
use crate::{Param, Result, Tx};
use domain::fields::{FieldDef, FieldValue};
use domain::objects::ObjectSpec;
use uuid::Uuid;

/// How one candidate lookup runs.
#[derive(Debug, Clone)]
pub enum Probe<'a> {
    /// Records holding a token of every one of these search terms.
    Tokens(Vec<domain::search::Term>),
    /// Records whose field holds this value as stored.
    Value(&'a FieldDef, FieldValue),
}

/// The ids of records of `spec` that a probe finds, at most `limit`, regardless of who may
/// see them (the use case decides what it shows of each).
pub async fn candidates(
    tx: &mut Tx,
    spec: &ObjectSpec,
    tenant_id: Uuid,
    probe: &Probe<'_>,
    limit: i64,
) -> Result<Vec<Uuid>> {
    let backend = tx.backend();
    let mut q = SqlBuilder::new("");
    let tenant = q.param(Param::Uuid(tenant_id));
    match probe {
        Probe::Tokens(tokens) if tokens.is_empty() => return Ok(Vec::new()),
        Probe::Tokens(tokens) => {
            // One posting list per token, joined on the record: every token must match.
            let index = TokenIndex::of(spec.kind);
            let (table, column) = (index.table(), index.column());
            let mut from = Vec::new();
            let mut conditions = Vec::new();
            for (i, token) in tokens.iter().enumerate() {
                let alias = format!("s{i}");
                let p = crate::search::term_condition(&mut q, token, &alias);
                let object = index.object_predicate(&mut q, &alias);
                from.push(format!("{table} {alias}"));
                conditions.push(format!("{alias}.tenant_id = {tenant}{object} AND {p}"));
                if i > 0 {
                    conditions.push(format!("{alias}.{column} = s0.{column}"));
                }
            }
            let limit = q.param(Param::I64(limit));
            q.push(&format!(
                "SELECT DISTINCT s0.{column} AS id FROM {} WHERE {} LIMIT {limit}",
                from.join(" CROSS JOIN "),
                conditions.join(" AND ")
            ));
        }
        Probe::Value(field, value) => {
            let v = bind_value(&mut q, backend, field, value);
            let limit = q.param(Param::I64(limit));
            q.push(&format!(
                "SELECT t.id AS id FROM {} t WHERE t.tenant_id = {tenant} AND {} = {v} LIMIT {limit}",
                spec.plural,
                expression(backend, field)
            ));
        }
    }
    let ids = on_conn!(tx, c => {
        bind_params!(sqlx::query_scalar::<_, Uuid>(&q.sql), &q.params).fetch_all(c).await?
    });
    Ok(ids)
}
