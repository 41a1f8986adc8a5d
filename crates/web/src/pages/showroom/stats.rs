//! The traffic statistics page (`/showroom/stats`, 客流量统计 and 流失分析): a date range by
//! day or month, the totals, and tables with simple bars per period, consultant, hour of
//! day, stay, intent level and lost reason (`app::showroom::stats`).

use super::{choices, parse_day};
use crate::error::page_error;
use crate::pages::records::Choice;
use crate::session::Signed;
use crate::views::{render, Chrome};
use crate::AppState;
use app::showroom::stats::{self, Counts, Group, ShowroomStats};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// One line of a table: its label, count and bar width (per cent of the table's largest).
pub struct Bar {
    pub label: String,
    pub count: i64,
    pub width: i64,
}

fn bars(lines: Vec<(String, i64)>) -> Vec<Bar> {
    let top = lines.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    lines
        .into_iter()
        .map(|(label, count)| Bar {
            label,
            count,
            width: count * 100 / top,
        })
        .collect()
}

/// A line of counts (a period or a consultant) as the tables show it.
pub struct CountLine {
    pub label: String,
    pub counts: Counts,
    pub rate: String,
    pub width: i64,
}

fn rate(counts: &Counts) -> String {
    counts
        .conversion_rate()
        .map(|r| format!("{r:.1}%"))
        .unwrap_or_else(|| "—".into())
}

fn count_lines(lines: Vec<(String, Counts)>) -> Vec<CountLine> {
    let top = lines
        .iter()
        .map(|(_, c)| c.visits)
        .max()
        .unwrap_or(0)
        .max(1);
    lines
        .into_iter()
        .map(|(label, counts)| CountLine {
            label,
            rate: rate(&counts),
            width: counts.visits * 100 / top,
            counts,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "showroom/stats.html")]
struct StatsPage {
    chrome: Chrome,
    from: String,
    to: String,
    group: &'static str,
    groups: Vec<Choice>,
    total: Counts,
    total_rate: String,
    periods: Vec<CountLine>,
    consultants: Vec<CountLine>,
    hours: Vec<Bar>,
    stays: Vec<Bar>,
    intents: Vec<Bar>,
    lost: Vec<Bar>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
    group: Option<String>,
}

/// The business hours of the seed's sheet (8:00–18:00) are always listed; other hours
/// only when someone came then.
fn hour_lines(hours: &[i64; 24]) -> Vec<(String, i64)> {
    hours
        .iter()
        .enumerate()
        .filter(|(h, n)| (8..=20).contains(h) || **n > 0)
        .map(|(h, n)| (format!("{h:02}:00–{:02}:00", (h + 1) % 24), *n))
        .collect()
}

fn lines_of(chrome: Chrome, stats: &ShowroomStats) -> StatsPage {
    let t = chrome.t;
    let keyed = |prefix: &str, items: &[(&'static str, i64)]| {
        items
            .iter()
            .map(|(k, n)| (t.key(prefix, k), *n))
            .collect::<Vec<_>>()
    };
    StatsPage {
        chrome,
        from: stats.from.format("%Y-%m-%d").to_string(),
        to: stats.to.format("%Y-%m-%d").to_string(),
        group: stats.group.key(),
        groups: Vec::new(),
        total: stats.total,
        total_rate: rate(&stats.total),
        periods: count_lines(stats.periods.clone()),
        consultants: count_lines(
            stats
                .consultants
                .iter()
                .map(|c| (c.name.clone(), c.counts))
                .collect(),
        ),
        hours: bars(hour_lines(&stats.hours)),
        stays: bars(keyed("showroom.stay.", &stats.stays)),
        intents: bars(keyed("showroom.intent.", &stats.intents)),
        lost: bars(
            stats
                .lost
                .iter()
                .map(|(k, n)| {
                    let label =
                        domain::showroom::label(domain::showroom::LOST_REASONS, k, t.is_zh());
                    (label.to_string(), *n)
                })
                .collect(),
        ),
        error: None,
    }
}

pub(super) async fn page(
    State(state): State<AppState>,
    user: Signed,
    Query(q): Query<StatsQuery>,
) -> Response {
    let t = user.ctx.tr;
    let group = q
        .group
        .as_deref()
        .and_then(Group::parse)
        .unwrap_or(Group::Day);
    let today = app::showroom::today(&state.app, &user.actor);
    let (default_from, default_to) = stats::default_range(today, group);
    let from = parse_day(q.from.as_deref()).unwrap_or(default_from);
    let to = parse_day(q.to.as_deref()).unwrap_or(default_to);
    let result = stats::get(&state.app, &user.actor, from, to, group).await;
    let mut page = match result {
        Ok(s) => lines_of(Chrome::new(&user.ctx, "showroom"), &s),
        Err(e @ app::AppError::Validation(_)) => {
            // A range that cannot be read shows today's with the reason.
            let message = crate::views::FormErrors::from_app(t, &e)
                .messages
                .first()
                .map(|(_, m)| m.clone());
            match stats::get(&state.app, &user.actor, today, today, Group::Day).await {
                Ok(s) => {
                    let mut page = lines_of(Chrome::new(&user.ctx, "showroom"), &s);
                    page.error = message;
                    page
                }
                Err(e) => return page_error(t, e),
            }
        }
        Err(e) => return page_error(t, e),
    };
    page.groups = choices(
        &[("day", "按日", "By day"), ("month", "按月", "By month")],
        t,
    );
    render(&page).into_response()
}
