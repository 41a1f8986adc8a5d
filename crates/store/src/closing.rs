//! A deal's status outside the record engine's fields: the stage clock stopped while a deal
//! is suspended or terminated (`stage_entries.paused_at`) and started again on reactivation,
//! and the suspended deals whose resume date came, taken once per date for reminding.

use crate::{Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;
use uuid::Uuid;

/// Stops the clock of the deal's current stage at `at` (kept if already stopped).
pub async fn pause(
    tx: &mut Tx,
    tenant_id: Uuid,
    opportunity_id: Uuid,
    at: DateTime<Utc>,
) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("UPDATE stage_entries SET paused_at = $3 WHERE tenant_id = $1 AND opportunity_id = $2 AND left_at IS NULL AND paused_at IS NULL")
            .bind(tenant_id).bind(opportunity_id).bind(at)
            .execute(&mut *c).await?;
    });
    Ok(())
}

/// An entry's due-soon and due times.
type Times = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// Starts the clock of the deal's current stage again at `now`: its due-soon and due times
/// move on by the time it was stopped, so the days on hold do not count.
pub async fn resume(
    tx: &mut Tx,
    tenant_id: Uuid,
    opportunity_id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut paused: Vec<(Uuid, DateTime<Utc>, Times)> = Vec::new();
    on_conn!(tx, c => {
        let rows = sqlx::query("SELECT id, paused_at, soon_at, due_at FROM stage_entries WHERE tenant_id = $1 AND opportunity_id = $2 AND left_at IS NULL AND paused_at IS NOT NULL")
            .bind(tenant_id).bind(opportunity_id).fetch_all(&mut *c).await?;
        for row in rows {
            paused.push((row.try_get("id")?, row.try_get("paused_at")?, (row.try_get("soon_at")?, row.try_get("due_at")?)));
        }
    });
    for (id, paused_at, (soon, due)) in paused {
        let held = (now - paused_at).max(chrono::Duration::zero());
        let soon = soon.map(|t| t + held);
        let due = due.map(|t| t + held);
        on_conn!(tx, c => {
            sqlx::query("UPDATE stage_entries SET paused_at = NULL, soon_at = $3, due_at = $4 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id).bind(id).bind(soon).bind(due)
                .execute(&mut *c).await?;
        });
    }
    Ok(())
}

/// A suspended deal whose resume date came.
#[derive(Debug, Clone)]
pub struct DueResume {
    pub opportunity_id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
}

/// Takes up to `limit` suspended deals of the company whose resume date is `today` or
/// before and whose owner was not yet reminded of that date, marking them reminded in one
/// `UPDATE`: a second run or worker never reminds twice, and a moved date is due again.
pub async fn take_due_resumes(
    tx: &mut Tx,
    tenant_id: Uuid,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<DueResume>> {
    let day = today.format("%Y-%m-%d").to_string();
    let mut out = Vec::new();
    on_conn!(tx, c => {
        let rows = sqlx::query("UPDATE opportunities SET resume_reminded_for = resume_on WHERE tenant_id = $1 AND id IN (SELECT id FROM opportunities \
             WHERE tenant_id = $1 AND status = 'suspended' AND resume_on <= $2 AND (resume_reminded_for IS NULL OR resume_reminded_for <> resume_on) \
             ORDER BY resume_on, id LIMIT $3) AND status = 'suspended' AND (resume_reminded_for IS NULL OR resume_reminded_for <> resume_on) \
             RETURNING id, owner_id, name")
            .bind(tenant_id).bind(&day).bind(limit)
            .fetch_all(&mut *c).await?;
        for row in rows {
            out.push(DueResume {
                opportunity_id: row.try_get("id")?,
                owner_id: row.try_get("owner_id")?,
                name: row.try_get("name")?,
            });
        }
    });
    Ok(out)
}
