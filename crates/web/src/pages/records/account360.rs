//! The parts of the account page that come from other objects, and the 360° stream.

use super::display::{field_label, history_text, money, option_label, show_value};
use super::form::Pairs;
use super::links::links_panel;
use super::record_page::{related_lists, LinksPanel, RelatedList};
use super::{parse_id, spec_of, Choice};
use crate::error::page_error;
use crate::pages::see_other;
use crate::session::Signed;
use crate::views::{render, Chrome};
use crate::AppState;
use app::records::ObjectFields;
use app::AppError;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::permissions::ObjectKind;
use std::collections::HashMap;
use uuid::Uuid;

/// Open and won amounts summed in the company currency by today's exchange rates.
pub struct RollupTotal {
    pub label: String,
    pub open: String,
    pub won: String,
    /// The currencies left out for want of a rate, as a sentence.
    pub unconverted: Option<String>,
}

/// The parts of the account page that come from other objects: roll-ups, related lists,
/// relationships and the 360° stream.
pub struct Account360 {
    pub children: i64,
    pub amounts: Vec<(String, String, String)>,
    /// The amounts in the company currency, when the account has amounts in several.
    pub total: Option<RollupTotal>,
    pub last_contacted: String,
    pub last_deal: String,
    pub related: Vec<RelatedList>,
    pub links: Option<LinksPanel>,
    pub sharing: Option<super::SharingPanel>,
    pub pool: Option<crate::pages::pools::PoolPanel>,
    pub log_links: Vec<(String, String)>,
    pub timeline: TimelinePage,
}

/// One page of the stream.
pub struct TimelinePage {
    pub account_id: Uuid,
    pub kind: String,
    pub kinds: Vec<Choice>,
    pub items: Vec<TimelineItem>,
    pub more: Option<String>,
}

pub struct TimelineItem {
    pub at: String,
    pub who: String,
    pub kind: String,
    pub kind_label: String,
    pub title: String,
    pub href: Option<String>,
    pub lines: Vec<String>,
}

fn summary_text(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Turns stream entries into readable lines, with labels in the reader's language.
async fn timeline_items(
    state: &AppState,
    user: &Signed,
    entries: Vec<store::timeline::Entry>,
) -> Vec<TimelineItem> {
    let t = user.ctx.tr;
    let mut fields_of: HashMap<&str, ObjectFields> = HashMap::new();
    for kind in [
        ObjectKind::Account,
        ObjectKind::Opportunity,
        ObjectKind::Activity,
        ObjectKind::Contact,
    ] {
        if let Ok(f) = app::records::object_fields(&state.app, &user.actor, kind).await {
            fields_of.insert(kind.key(), f);
        }
    }
    let changes_lines =
        |fields: Option<&ObjectFields>, changes: Option<&serde_json::Value>| -> Vec<String> {
            changes
                .and_then(|c| c.as_array())
                .map(|list| {
                    list.iter()
                        .map(|c| {
                            let field = summary_text(c, "field");
                            let old = c.get("old").and_then(|v| v.as_str()).map(str::to_string);
                            let new = c.get("new").and_then(|v| v.as_str()).map(str::to_string);
                            match fields {
                                Some(f) => format!(
                                    "{}: {} → {}",
                                    field_label(t, f, &field),
                                    history_text(t, f, &field, &old),
                                    history_text(t, f, &field, &new)
                                ),
                                None => format!(
                                    "{field}: {} → {}",
                                    old.unwrap_or_default(),
                                    new.unwrap_or_default()
                                ),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
    entries
        .into_iter()
        .map(|e| {
            let s = &e.summary.0;
            let event = summary_text(s, "event");
            let fields = fields_of.get(e.object.as_str());
            let pick = |key: &str, value: &str| -> String {
                fields
                    .and_then(|f| f.field(key))
                    .map(|f| option_label(t, f, value))
                    .unwrap_or_else(|| value.to_string())
            };
            let plural = ObjectKind::parse(&e.object)
                .and_then(domain::objects::spec)
                .map(|s| s.plural)
                .unwrap_or("accounts");
            let (title, lines) = match e.kind.as_str() {
                "activity" => {
                    let kind = pick("kind", &summary_text(s, "kind"));
                    let mut lines = vec![t.key("timeline.event.", &event)];
                    if s.get("checkin").and_then(|v| v.as_bool()) == Some(true) {
                        lines.push(t.get("timeline.checked_in").to_string());
                    }
                    (format!("{kind} · {}", summary_text(s, "name")), lines)
                }
                "opportunity" if event == "created" => {
                    let amount = s
                        .get("amount")
                        .and_then(|v| v.as_str())
                        .and_then(|a| a.parse::<rust_decimal::Decimal>().ok())
                        .map(|d| format!("{} {}", money(&d), summary_text(s, "currency")))
                        .unwrap_or_default();
                    (
                        summary_text(s, "name"),
                        vec![
                            format!(
                                "{} · {}",
                                t.get("timeline.event.created"),
                                pick("stage", &summary_text(s, "stage"))
                            ),
                            amount,
                        ],
                    )
                }
                "opportunity" => (
                    summary_text(s, "name"),
                    changes_lines(fields, s.get("changes")),
                ),
                "contact" => (
                    summary_text(s, "name"),
                    vec![t.get("timeline.event.contact_added").to_string()],
                ),
                _ => (
                    t.get("timeline.fields_changed").to_string(),
                    changes_lines(fields_of.get("account"), s.get("changes")),
                ),
            };
            TimelineItem {
                at: t.time(e.at),
                who: e.actor_name.clone().unwrap_or_default(),
                kind: e.kind.clone(),
                kind_label: t.key("timeline.kind.", &e.kind),
                title,
                href: (e.kind != "field").then(|| format!("/{plural}/{}", e.record_id)),
                lines: lines.into_iter().filter(|l| !l.is_empty()).collect(),
            }
        })
        .collect()
}

pub async fn timeline_page(
    state: &AppState,
    user: &Signed,
    account_id: Uuid,
    kind: Option<&str>,
    before: Option<(DateTime<Utc>, Uuid)>,
) -> Result<TimelinePage, AppError> {
    let t = user.ctx.tr;
    let (entries, more) =
        app::account360::timeline(&state.app, &user.actor, account_id, kind, before, 20).await?;
    let next = if more {
        entries
            .last()
            .map(|e| crate::pages::encode_timeline_cursor(e.at, e.id))
    } else {
        None
    };
    let kind_key = kind.unwrap_or_default().to_string();
    let more = next.map(|c| {
        let mut pairs = vec![("before", c)];
        if !kind_key.is_empty() {
            pairs.push(("kind", kind_key.clone()));
        }
        format!(
            "/accounts/{account_id}/timeline?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    });
    let mut kinds = vec![Choice {
        value: String::new(),
        label: t.get("timeline.kind.all").into(),
    }];
    kinds.extend(app::account360::TIMELINE_KINDS.iter().map(|k| Choice {
        value: (*k).into(),
        label: t.key("timeline.kind.", k),
    }));
    Ok(TimelinePage {
        account_id,
        kind: kind_key,
        kinds,
        items: timeline_items(state, user, entries).await,
        more,
    })
}

/// Where the account page's stream starts: one kind, and before an entry.
pub struct StreamStart<'a> {
    pub kind: Option<&'a str>,
    pub before: Option<(DateTime<Utc>, Uuid)>,
}

pub async fn account_360(
    state: &AppState,
    user: &Signed,
    id: Uuid,
    stream: StreamStart<'_>,
) -> Result<Account360, AppError> {
    let t = user.ctx.tr;
    let rollup = app::account360::rollup(&state.app, &user.actor, id).await?;
    let amounts = rollup
        .amounts
        .iter()
        .map(|(currency, open, won)| (currency.clone(), money(open), money(won)))
        .collect();
    let view = app::records::get(&state.app, &user.actor, ObjectKind::Account, id).await?;
    let shown = |key: &str| {
        spec_of(ObjectKind::Account)
            .field(key)
            .map(|f| show_value(t, f, view.record.values.get(key), &view.names).text)
            .unwrap_or_default()
    };
    let (related_lists, log_links) =
        related_lists(state, user, ObjectKind::Account, &view.record).await?;
    let total = rollup
        .total
        .as_ref()
        .filter(|_| rollup.amounts.len() > 1)
        .map(|total| RollupTotal {
            label: t.fmt("record.rollup.total", &[("currency", &total.currency)]),
            open: money(&total.open),
            won: money(&total.won),
            unconverted: (!total.unconverted.is_empty()).then(|| {
                t.fmt(
                    "record.rollup.unconverted",
                    &[("currencies", &total.unconverted.join(", "))],
                )
            }),
        });
    Ok(Account360 {
        children: rollup.children,
        amounts,
        total,
        last_contacted: shown("last_contacted_at"),
        last_deal: shown("last_deal_at"),
        related: related_lists,
        links: Some(links_panel(state, user, ObjectKind::Account, id).await?),
        sharing: super::sharing_panel(state, user, ObjectKind::Account, id)
            .await
            .ok(),
        pool: crate::pages::pools::pool_panel(state, user, ObjectKind::Account, id).await,
        log_links,
        timeline: timeline_page(state, user, id, stream.kind, stream.before).await?,
    })
}

#[derive(Template)]
#[template(path = "records/timeline.html")]
struct TimelineFragment {
    chrome: Chrome,
    timeline: TimelinePage,
}

#[derive(Template)]
#[template(path = "records/timeline_items.html")]
struct TimelineItemsFragment {
    chrome: Chrome,
    timeline: TimelinePage,
}

/// The stream filtered by kind (the whole panel) or its next page (more items).
pub(super) async fn account_timeline(
    State(state): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let t = user.ctx.tr;
    let pairs: Pairs =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let result = async {
        let id = parse_id(&id)?;
        let before = match get("before") {
            Some(c) => Some(
                crate::pages::decode_timeline_cursor(&c)
                    .ok_or(AppError::field("before", "invalid_cursor"))?,
            ),
            None => None,
        };
        let kind = get("kind");
        timeline_page(&state, &user, id, kind.as_deref(), before).await
    }
    .await;
    match result {
        // Opened without htmx (a "more" link followed as a link): the whole account page,
        // its stream starting there.
        Ok(timeline) if !user.ctx.htmx && get("before").is_some() => see_other(
            false,
            &format!(
                "/accounts/{}?{}#timeline",
                timeline.account_id,
                raw.as_deref().unwrap_or_default()
            ),
        ),
        Ok(timeline) if get("before").is_some() => render(&TimelineItemsFragment {
            chrome: Chrome::new(&user.ctx, "accounts"),
            timeline,
        })
        .into_response(),
        Ok(timeline) if user.ctx.htmx => render(&TimelineFragment {
            chrome: Chrome::new(&user.ctx, "accounts"),
            timeline,
        })
        .into_response(),
        Ok(timeline) => see_other(
            false,
            &format!(
                "/accounts/{}?kind={}#timeline",
                timeline.account_id, timeline.kind
            ),
        ),
        Err(e) => page_error(t, e),
    }
}
