//! Traffic statistics (客流量统计) of the showroom register over days or months in the
//! reader's time zone: visitors, first visits, visitors who left details, conversions to
//! deals, per period, consultant, hour of day, stay and intent, and the lost-visitor analysis
//! (流失分析) by reason. The database counts grouped visits of the date range (on the
//! arrival index, within the reader's reach); this module places each group in the reader's
//! day and hour and adds them up.

use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use domain::showroom::{INTENTS, LOST_REASONS, MAX_STATS_DAYS, STAY_BUCKETS};
use domain::FieldErrors;
use std::collections::BTreeMap;
use uuid::Uuid;

/// How the periods of the statistics are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Day,
    Month,
}

impl Group {
    pub fn parse(key: &str) -> Option<Group> {
        match key {
            "day" => Some(Group::Day),
            "month" => Some(Group::Month),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Group::Day => "day",
            Group::Month => "month",
        }
    }

    fn period(self, day: NaiveDate) -> String {
        match self {
            Group::Day => day.format("%Y-%m-%d").to_string(),
            Group::Month => day.format("%Y-%m").to_string(),
        }
    }
}

/// The counts of one line of the statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub visits: i64,
    pub first_visits: i64,
    /// Visitors who left their details (a phone number).
    pub with_details: i64,
    /// Visits whose lead was converted into a deal (an opportunity).
    pub converted: i64,
    /// Visits with a lost reason.
    pub lost: i64,
}

impl Counts {
    fn add(&mut self, g: &store::showroom::StatGroup) {
        self.visits += g.count;
        if g.first_visit {
            self.first_visits += g.count;
        }
        self.with_details += g.with_phone * g.count;
        self.converted += g.converted * g.count;
        if g.lost_reason.is_some() {
            self.lost += g.count;
        }
    }

    /// Converted visits as a share of all visits, in per cent.
    pub fn conversion_rate(&self) -> Option<f64> {
        (self.visits > 0).then(|| self.converted as f64 * 100.0 / self.visits as f64)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConsultantLine {
    pub user_id: Uuid,
    pub name: String,
    pub counts: Counts,
}

/// The statistics of a date range.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowroomStats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group: Group,
    pub total: Counts,
    /// Every day or month of the range, empty ones included.
    pub periods: Vec<(String, Counts)>,
    pub consultants: Vec<ConsultantLine>,
    /// Visits by the hour of day they arrived (0–23) in the reader's zone.
    pub hours: [i64; 24],
    /// Visits by stay bucket (`domain::showroom::STAY_BUCKETS`), and `still_here` for those
    /// who have not left.
    pub stays: Vec<(&'static str, i64)>,
    /// Visits by intent level, `none` without one.
    pub intents: Vec<(&'static str, i64)>,
    /// Lost visits by reason (`domain::showroom::LOST_REASONS`), as many as there are.
    pub lost: Vec<(String, i64)>,
}

/// The instants the days `[from, to]` of the actor's zone start and end.
pub fn bounds(
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    if to < from {
        return Err(AppError::field("to", "before_from"));
    }
    if (to - from).num_days() >= MAX_STATS_DAYS {
        let mut e = FieldErrors::new();
        e.add_limit("to", "out_of_range", MAX_STATS_DAYS);
        return Err(AppError::Validation(e));
    }
    let zone = actor.time_zone();
    let end = to
        .succ_opt()
        .ok_or_else(|| AppError::field("to", "invalid_date"))?;
    Ok((
        domain::time::day_start(from, zone),
        domain::time::day_start(end, zone),
    ))
}

/// The range a group covers by default: today, or this month up to today.
pub fn default_range(today: NaiveDate, group: Group) -> (NaiveDate, NaiveDate) {
    match group {
        Group::Day => (today, today),
        Group::Month => (today.with_day(1).unwrap_or(today), today),
    }
}

/// The statistics of `[from, to]` over the visits of the consultants within the actor's
/// lead scope: a rep's own, a manager's team, an administrator's company.
pub async fn get(
    app: &App,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
    group: Group,
) -> AppResult<ShowroomStats> {
    let (start, end) = bounds(actor, from, to)?;
    let mut tx = app.db.begin_read().await?;
    let scope = store::showroom::readable(&actor.principal, false);
    let groups = store::showroom::stat_groups(&mut tx, scope, start, end).await?;
    Ok(add_up(&groups, actor.time_zone(), from, to, group))
}

fn add_up(
    groups: &[store::showroom::StatGroup],
    zone: domain::time::Tz,
    from: NaiveDate,
    to: NaiveDate,
    group: Group,
) -> ShowroomStats {
    let mut periods: BTreeMap<String, Counts> = BTreeMap::new();
    let mut day = from;
    while day <= to {
        periods.entry(group.period(day)).or_default();
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    let mut total = Counts::default();
    let mut consultants: BTreeMap<Uuid, ConsultantLine> = BTreeMap::new();
    let mut hours = [0i64; 24];
    let mut stays: BTreeMap<&str, i64> = BTreeMap::new();
    let mut intents: BTreeMap<&str, i64> = BTreeMap::new();
    let mut lost: BTreeMap<String, i64> = BTreeMap::new();
    for g in groups {
        let arrived = DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(g.quarter * 900);
        let local = arrived.with_timezone(&zone);
        total.add(g);
        periods
            .entry(group.period(local.date_naive()))
            .or_default()
            .add(g);
        consultants
            .entry(g.consultant_id)
            .or_insert_with(|| ConsultantLine {
                user_id: g.consultant_id,
                name: g.consultant_name.clone(),
                counts: Counts::default(),
            })
            .counts
            .add(g);
        hours[local.hour() as usize] += g.count;
        let stay = g
            .stay_bucket
            .as_deref()
            .and_then(|b| STAY_BUCKETS.iter().find(|k| **k == b).copied())
            .unwrap_or("still_here");
        *stays.entry(stay).or_default() += g.count;
        let intent = g
            .intent
            .as_deref()
            .and_then(|i| INTENTS.iter().find(|k| **k == i).copied())
            .unwrap_or("none");
        *intents.entry(intent).or_default() += g.count;
        if let Some(reason) = &g.lost_reason {
            *lost.entry(reason.clone()).or_default() += g.count;
        }
    }
    let mut consultants: Vec<ConsultantLine> = consultants.into_values().collect();
    consultants.sort_by(|a, b| {
        b.counts
            .visits
            .cmp(&a.counts.visits)
            .then(a.name.cmp(&b.name))
            .then(a.user_id.cmp(&b.user_id))
    });
    let in_order = |keys: &[&'static str], counts: &BTreeMap<&str, i64>| {
        keys.iter()
            .map(|k| (*k, counts.get(k).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
    };
    let mut stay_keys: Vec<&'static str> = STAY_BUCKETS.to_vec();
    stay_keys.push("still_here");
    let mut intent_keys: Vec<&'static str> = INTENTS.to_vec();
    intent_keys.push("none");
    // Reasons in the list's order, then any the list no longer has.
    let mut lost_lines: Vec<(String, i64)> = LOST_REASONS
        .iter()
        .filter_map(|(k, _, _)| lost.remove(*k).map(|n| (k.to_string(), n)))
        .collect();
    lost_lines.extend(lost);
    ShowroomStats {
        from,
        to,
        group,
        total,
        periods: periods.into_iter().collect(),
        consultants,
        hours,
        stays: in_order(&stay_keys, &stays),
        intents: in_order(&intent_keys, &intents),
        lost: lost_lines,
    }
}
