//! The sales process's tables: the stages each deal entered (`stage_entries`, with the time
//! it left and the warnings sent), the checklist ticked per deal and stage
//! (`stage_checklist`), and the board's queries over `opportunities` (sums per stage on an
//! index, cards per stage paged by id).

use crate::visibility::{visible_records, SqlBuilder};
use crate::{Param, Result, Tx};
use chrono::{DateTime, Utc};
use domain::permissions::{ObjectKind, Principal};
use sqlx::types::Json;
use sqlx::Row;
use uuid::Uuid;

/// One stage a deal entered.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: Uuid,
    pub stage: String,
    pub from_stage: Option<String>,
    pub entered_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
    pub entered_by: Option<Uuid>,
    pub entered_by_name: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub warned: i64,
    /// The unmet gate items a skip passed over when the deal entered the stage.
    pub skipped: Option<serde_json::Value>,
}

/// A new stage entry: the current one (if any) is closed at `at`.
pub struct NewEntry<'a> {
    pub opportunity_id: Uuid,
    pub stage: &'a str,
    pub from_stage: Option<&'a str>,
    pub at: DateTime<Utc>,
    pub by: Uuid,
    pub soon_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub skipped: Option<serde_json::Value>,
}

pub async fn enter(tx: &mut Tx, tenant_id: Uuid, e: &NewEntry<'_>) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("UPDATE stage_entries SET left_at = $3 WHERE tenant_id = $1 AND opportunity_id = $2 AND left_at IS NULL")
            .bind(tenant_id).bind(e.opportunity_id).bind(e.at)
            .execute(&mut *c).await?;
        sqlx::query("INSERT INTO stage_entries (tenant_id, id, opportunity_id, stage, from_stage, entered_at, entered_by, soon_at, due_at, warned, skipped) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10)")
            .bind(tenant_id).bind(Uuid::now_v7()).bind(e.opportunity_id).bind(e.stage)
            .bind(e.from_stage).bind(e.at).bind(e.by).bind(e.soon_at).bind(e.due_at)
            .bind(e.skipped.as_ref().map(Json))
            .execute(&mut *c).await?;
    });
    Ok(())
}

/// A deal's stage entries, oldest first (at most `limit`, the latest ones).
pub async fn entries(
    tx: &mut Tx,
    tenant_id: Uuid,
    opportunity_id: Uuid,
    limit: i64,
) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    on_conn!(tx, c => {
        let rows = sqlx::query("SELECT e.id, e.stage, e.from_stage, e.entered_at, e.left_at, e.entered_by, u.name AS entered_by_name, e.due_at, e.warned, e.skipped FROM stage_entries e LEFT JOIN users u ON u.tenant_id = e.tenant_id AND u.id = e.entered_by WHERE e.tenant_id = $1 AND e.opportunity_id = $2 ORDER BY e.entered_at DESC, e.id DESC LIMIT $3")
            .bind(tenant_id).bind(opportunity_id).bind(limit).fetch_all(c).await?;
        for row in rows {
            let skipped: Option<Json<serde_json::Value>> = row.try_get("skipped")?;
            out.push(Entry {
                id: row.try_get("id")?,
                stage: row.try_get("stage")?,
                from_stage: row.try_get("from_stage")?,
                entered_at: row.try_get("entered_at")?,
                left_at: row.try_get("left_at")?,
                entered_by: row.try_get("entered_by")?,
                entered_by_name: row.try_get("entered_by_name")?,
                due_at: row.try_get("due_at")?,
                warned: row.try_get("warned")?,
                skipped: skipped.map(|j| j.0),
            });
        }
    });
    out.reverse();
    Ok(out)
}

/// The current entry of each of `ids` (deals without one are missing).
pub async fn current(
    tx: &mut Tx,
    tenant_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, DateTime<Utc>, i64)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(200) {
        let mut q = SqlBuilder::new(
            "SELECT opportunity_id, entered_at, warned FROM stage_entries WHERE tenant_id = ",
        );
        let t = q.param(Param::Uuid(tenant_id));
        q.push(&t)
            .push(" AND left_at IS NULL AND opportunity_id IN (");
        let marks: Vec<String> = chunk.iter().map(|id| q.param(Param::Uuid(*id))).collect();
        q.push(&marks.join(", ")).push(")");
        on_conn!(tx, c => {
            let rows = bind_params!(sqlx::query(&q.sql), &q.params).fetch_all(c).await?;
            for row in rows {
                out.push((row.try_get("opportunity_id")?, row.try_get("entered_at")?, row.try_get("warned")?));
            }
        });
    }
    Ok(out)
}

/// A stage entry whose warning is due, taken for notifying.
#[derive(Debug, Clone)]
pub struct DueWarning {
    pub opportunity_id: Uuid,
    pub stage: String,
    pub level: i64,
    pub owner_id: Uuid,
    pub name: String,
}

/// Takes up to `limit` current stage entries of the company that reached `level` (1: their
/// due-soon time, 2: their due time) at `now` and were not yet warned at that level, marks
/// them warned, and answers them with the deal's owner and name. Each is taken by one
/// `UPDATE`, so a second run or worker never warns twice.
pub async fn take_due(
    tx: &mut Tx,
    tenant_id: Uuid,
    level: i64,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DueWarning>> {
    let column = if level >= 2 { "due_at" } else { "soon_at" };
    let sql = format!(
        "UPDATE stage_entries SET warned = $2 WHERE tenant_id = $1 AND id IN (SELECT id FROM stage_entries \
         WHERE tenant_id = $1 AND left_at IS NULL AND paused_at IS NULL AND soon_at <= $3 AND {column} <= $3 AND warned < $2 \
         ORDER BY soon_at, id LIMIT $4) AND warned < $2 RETURNING opportunity_id, stage"
    );
    let mut taken: Vec<(Uuid, String)> = Vec::new();
    on_conn!(tx, c => {
        let rows = sqlx::query(&sql).bind(tenant_id).bind(level).bind(now).bind(limit)
            .fetch_all(&mut *c).await?;
        for row in rows {
            taken.push((row.try_get("opportunity_id")?, row.try_get("stage")?));
        }
    });
    let mut out = Vec::new();
    for (id, stage) in taken {
        on_conn!(tx, c => {
            let row = sqlx::query("SELECT owner_id, name, stage FROM opportunities WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id).bind(id).fetch_optional(&mut *c).await?;
            if let Some(row) = row {
                let current: String = row.try_get("stage")?;
                if current == stage {
                    out.push(DueWarning { opportunity_id: id, stage, level, owner_id: row.try_get("owner_id")?, name: row.try_get("name")? });
                }
            }
        });
    }
    Ok(out)
}

/// A ticked checklist item.
#[derive(Debug, Clone)]
pub struct Ticked {
    pub stage: String,
    pub item: String,
    pub checked_by: Uuid,
    pub checked_by_name: Option<String>,
    pub checked_at: DateTime<Utc>,
}

/// The ticked items of a deal (every stage).
pub async fn checklist(tx: &mut Tx, tenant_id: Uuid, opportunity_id: Uuid) -> Result<Vec<Ticked>> {
    let mut out = Vec::new();
    on_conn!(tx, c => {
        let rows = sqlx::query("SELECT k.stage, k.item, k.checked_by, u.name AS checked_by_name, k.checked_at FROM stage_checklist k LEFT JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.checked_by WHERE k.tenant_id = $1 AND k.opportunity_id = $2 ORDER BY k.stage, k.item")
            .bind(tenant_id).bind(opportunity_id).fetch_all(c).await?;
        for row in rows {
            out.push(Ticked {
                stage: row.try_get("stage")?,
                item: row.try_get("item")?,
                checked_by: row.try_get("checked_by")?,
                checked_by_name: row.try_get("checked_by_name")?,
                checked_at: row.try_get("checked_at")?,
            });
        }
    });
    Ok(out)
}

/// Ticks (or unticks) an item; answers whether anything changed.
pub async fn set_checked(
    tx: &mut Tx,
    tenant_id: Uuid,
    opportunity_id: Uuid,
    stage: &str,
    item: &str,
    checked: Option<(Uuid, DateTime<Utc>)>,
) -> Result<bool> {
    Ok(on_conn!(tx, c => {
        match checked {
            Some((by, at)) => sqlx::query("INSERT INTO stage_checklist (tenant_id, opportunity_id, stage, item, checked_by, checked_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, opportunity_id, stage, item) DO NOTHING")
                .bind(tenant_id).bind(opportunity_id).bind(stage).bind(item).bind(by).bind(at)
                .execute(c).await?.rows_affected() > 0,
            None => sqlx::query("DELETE FROM stage_checklist WHERE tenant_id = $1 AND opportunity_id = $2 AND stage = $3 AND item = $4")
                .bind(tenant_id).bind(opportunity_id).bind(stage).bind(item)
                .execute(c).await?.rows_affected() > 0,
        }
    }))
}

/// What a board shows: one business type, optionally one owner and a close period.
#[derive(Debug, Clone, Default)]
pub struct BoardFilter {
    /// The type's key; `default` also takes deals without a type.
    pub record_type: String,
    pub is_default: bool,
    pub owner_id: Option<Uuid>,
    /// Expected close (open stages) or closed on (closed stages), `YYYY-MM-DD`, inclusive.
    pub close_from: Option<String>,
    pub close_to: Option<String>,
}

fn board_where(
    q: &mut SqlBuilder,
    principal: &Principal,
    filter: &BoardFilter,
    stage: &str,
    closed: bool,
) {
    visible_records(q, principal, ObjectKind::Opportunity, "o");
    let t = q.param(Param::Text(filter.record_type.clone()));
    if filter.is_default {
        q.push(&format!(
            " AND (o.record_type = {t} OR o.record_type IS NULL)"
        ));
    } else {
        q.push(&format!(" AND o.record_type = {t}"));
    }
    let s = q.param(Param::Text(stage.into()));
    q.push(&format!(" AND o.stage = {s}"));
    // An open column holds the open deals: suspended and terminated ones are off the board.
    if !closed {
        q.push(" AND o.status = 'open'");
    }
    if let Some(owner) = filter.owner_id {
        let o = q.param(Param::Uuid(owner));
        q.push(&format!(" AND o.owner_id = {o}"));
    }
    let column = if closed {
        "o.closed_on"
    } else {
        "o.expected_close"
    };
    if let Some(from) = &filter.close_from {
        let p = q.param(Param::Text(from.clone()));
        q.push(&format!(" AND {column} >= {p}"));
    }
    if let Some(to) = &filter.close_to {
        let p = q.param(Param::Text(to.clone()));
        q.push(&format!(" AND {column} <= {p}"));
    }
}

/// A column's sums in one currency: deals, amount and weighted amount (minor units).
#[derive(Debug, Clone)]
pub struct Sums {
    pub currency: String,
    pub count: i64,
    pub amount_minor: i64,
    pub weighted_minor: i64,
}

/// The sums of one column by currency (one aggregate on the board index).
pub async fn column_sums(
    tx: &mut Tx,
    principal: &Principal,
    filter: &BoardFilter,
    stage: &str,
    closed: bool,
) -> Result<Vec<Sums>> {
    let mut q = SqlBuilder::new("SELECT o.currency, COUNT(*) AS n, CAST(COALESCE(SUM(o.amount_minor), 0) AS BIGINT) AS amount, CAST(COALESCE(SUM(o.amount_minor * COALESCE(o.win_rate, 0)), 0) AS BIGINT) AS weighted FROM opportunities o WHERE ");
    board_where(&mut q, principal, filter, stage, closed);
    q.push(" GROUP BY o.currency ORDER BY o.currency");
    let mut out = Vec::new();
    on_conn!(tx, c => {
        let rows = bind_params!(sqlx::query(&q.sql), &q.params).fetch_all(c).await?;
        for row in rows {
            let weighted: i64 = row.try_get("weighted")?;
            out.push(Sums {
                currency: row.try_get("currency")?,
                count: row.try_get("n")?,
                amount_minor: row.try_get("amount")?,
                weighted_minor: weighted / 100,
            });
        }
    });
    Ok(out)
}

/// A card of the board.
#[derive(Debug, Clone)]
pub struct Card {
    pub id: Uuid,
    pub name: String,
    pub account_id: Uuid,
    pub owner_id: Uuid,
    pub amount_minor: Option<i64>,
    pub currency: String,
    pub win_rate: Option<f64>,
    pub expected_close: Option<String>,
    pub version: i64,
}

/// A page of a column's cards, newest first, after the card `after` (keyset on id); one more
/// than `limit` tells that another page follows.
pub async fn cards(
    tx: &mut Tx,
    principal: &Principal,
    filter: &BoardFilter,
    stage: &str,
    closed: bool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Card>> {
    let mut q = SqlBuilder::new("SELECT o.id, o.name, o.account_id, o.owner_id, o.amount_minor, o.currency, o.win_rate, o.expected_close, o.version FROM opportunities o WHERE ");
    board_where(&mut q, principal, filter, stage, closed);
    if let Some(after) = after {
        let a = q.param(Param::Uuid(after));
        q.push(&format!(" AND o.id < {a}"));
    }
    let l = q.param(Param::I64(limit + 1));
    q.push(&format!(" ORDER BY o.id DESC LIMIT {l}"));
    let mut out = Vec::new();
    on_conn!(tx, c => {
        let rows = bind_params!(sqlx::query(&q.sql), &q.params).fetch_all(c).await?;
        for row in rows {
            out.push(Card {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                account_id: row.try_get("account_id")?,
                owner_id: row.try_get("owner_id")?,
                amount_minor: row.try_get("amount_minor")?,
                currency: row.try_get("currency")?,
                win_rate: row.try_get("win_rate")?,
                expected_close: row.try_get("expected_close")?,
                version: row.try_get("version")?,
            });
        }
    });
    Ok(out)
}
