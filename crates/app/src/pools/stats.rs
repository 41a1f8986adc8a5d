//! A pool's statistics: per rep, how many records they claimed, were assigned, returned
//! (by reason) and lost to recycling (by rule), and how long they held the records that came
//! back, over the last days. For the pool's members and administrators (404 otherwise).

use super::open;
use crate::{Actor, App, AppError, AppResult};
use chrono::Duration;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The longest period the statistics cover.
pub const MAX_DAYS: i64 = 366;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RepStats {
    pub user_id: Uuid,
    pub name: String,
    pub claimed: i64,
    pub assigned: i64,
    pub returned: i64,
    pub recycled: i64,
    /// Returns by reason key, recycling by rule (`idle`, `stale`).
    pub by_reason: BTreeMap<String, i64>,
    /// The average days a record was held before it came back, when any did.
    pub average_days_held: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolStats {
    pub days: i64,
    pub reps: Vec<RepStats>,
    pub total: RepStats,
}

pub async fn get(
    app: &App,
    actor: &Actor,
    pool_id: Uuid,
    days: Option<i64>,
) -> AppResult<PoolStats> {
    let days = days.unwrap_or(30);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(AppError::Validation({
            let mut e = domain::FieldErrors::new();
            e.add_limit("days", "out_of_range", MAX_DAYS);
            e
        }));
    }
    let mut tx = app.db.begin_read().await?;
    let (pool, _) = open(&mut tx, actor, pool_id).await?;
    let since = app.now() - Duration::days(days);
    let lines = store::pools::stats(&mut tx, actor.tenant_id(), pool.id, since).await?;
    let spans = store::pools::held_spans(&mut tx, actor.tenant_id(), pool.id, since).await?;
    let mut reps: BTreeMap<Uuid, RepStats> = BTreeMap::new();
    let mut total = RepStats::default();
    for line in lines {
        let rep = reps.entry(line.user_id).or_insert_with(|| RepStats {
            user_id: line.user_id,
            name: line.user_name.clone(),
            ..RepStats::default()
        });
        for target in [&mut *rep, &mut total] {
            match line.kind.as_str() {
                store::pools::CLAIMED => target.claimed += line.count,
                store::pools::ASSIGNED => target.assigned += line.count,
                store::pools::RETURNED => target.returned += line.count,
                store::pools::RECYCLED => target.recycled += line.count,
                _ => continue,
            }
            if let Some(reason) = &line.reason {
                let key = reason.split(':').next().unwrap_or(reason).to_string();
                *target.by_reason.entry(key).or_default() += line.count;
            }
        }
    }
    let mut sums: BTreeMap<Uuid, (f64, i64)> = BTreeMap::new();
    let mut all = (0.0, 0);
    for (user, from, to) in spans {
        let d = (to - from).num_seconds() as f64 / 86_400.0;
        let s = sums.entry(user).or_default();
        s.0 += d;
        s.1 += 1;
        all.0 += d;
        all.1 += 1;
    }
    for (user, (sum, n)) in sums {
        if let Some(rep) = reps.get_mut(&user) {
            rep.average_days_held = (n > 0).then(|| sum / n as f64);
        }
    }
    total.average_days_held = (all.1 > 0).then(|| all.0 / all.1 as f64);
    let mut reps: Vec<RepStats> = reps.into_values().collect();
    reps.sort_by(|a, b| a.name.cmp(&b.name).then(a.user_id.cmp(&b.user_id)));
    Ok(PoolStats { days, reps, total })
}
