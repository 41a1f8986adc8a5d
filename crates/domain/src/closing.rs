//! How a deal ends or pauses: its status (open, suspended 中止, won, lost, terminated 终止),
//! the close review a won or lost stage requires (the reasons from the company's managed
//! lists, for a loss the competitor who won and at what price, the lessons), the moves
//! between statuses, and which statuses are archived out of the working views.
//!
//! The status is a system field of the opportunity (`status`): a won or lost stage sets it,
//! an open stage reopens a closed deal, suspend / reactivate / terminate are their own
//! actions. A terminated deal is final: only an administrator edits or reopens it.

use crate::picklists::Closed;

/// A deal's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    /// On hold (中止) with a reason and an optional resume date; reactivated by hand.
    Suspended,
    Won,
    Lost,
    /// Ended for good (终止).
    Terminated,
}

/// The status field's choices: key, Chinese, English.
pub const STATUSES: &[(&str, &str, &str)] = &[
    ("open", "进行中", "Open"),
    ("suspended", "已中止", "Suspended"),
    ("won", "赢单", "Won"),
    ("lost", "输单", "Lost"),
    ("terminated", "已终止", "Terminated"),
];

/// The statuses archived out of the working views (lists and the board's open columns show
/// the others by default).
pub const ARCHIVED: &[&str] = &["won", "lost", "terminated"];

/// The statuses of the working views.
pub const WORKING: &[&str] = &["open", "suspended"];

/// The default win reasons (a managed list: administrators edit it as the `win_reason`
/// picklist, in both languages).
pub const WIN_REASONS: &[(&str, &str, &str)] = &[
    ("product_fit", "产品满足需求", "Product fit"),
    ("price", "价格优势", "Price"),
    ("relationship", "客户关系", "Relationship"),
    ("service", "服务与交付", "Service and delivery"),
    ("brand", "品牌与案例", "Brand and references"),
    ("other", "其他", "Other"),
];

/// The default loss reasons (the `loss_reason` picklist).
pub const LOSS_REASONS: &[(&str, &str, &str)] = &[
    ("price", "价格过高", "Price too high"),
    ("product_gap", "产品不满足需求", "Product gap"),
    (
        "competitor_relationship",
        "竞争对手关系更好",
        "Competitor's relationship",
    ),
    ("no_budget", "预算取消", "No budget"),
    ("no_decision", "客户未决策", "No decision"),
    ("timing", "时机不对", "Timing"),
    ("other", "其他", "Other"),
];

/// The fields of a win review: the reason and the lessons.
pub const WIN_REVIEW: &[&str] = &["win_reason", "close_lessons"];
/// The fields of a loss review: the reason, the competitor who won, their price, lessons.
pub const LOSS_REVIEW: &[&str] = &["loss_reason", "lost_to_id", "lost_price", "close_lessons"];

/// The review fields an outcome needs.
pub fn review_fields(outcome: Closed) -> &'static [&'static str] {
    match outcome {
        Closed::Won => WIN_REVIEW,
        Closed::Lost => LOSS_REVIEW,
    }
}

/// The review fields still empty for closing with `outcome` (`has` tells whether a field
/// holds a value).
pub fn missing_review(outcome: Closed, has: impl Fn(&str) -> bool) -> Vec<&'static str> {
    review_fields(outcome)
        .iter()
        .copied()
        .filter(|f| !has(f))
        .collect()
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Open,
        Status::Suspended,
        Status::Won,
        Status::Lost,
        Status::Terminated,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Suspended => "suspended",
            Status::Won => "won",
            Status::Lost => "lost",
            Status::Terminated => "terminated",
        }
    }

    /// A stored value; anything unknown (none yet) is open.
    pub fn parse(key: Option<&str>) -> Status {
        Status::ALL
            .into_iter()
            .find(|s| Some(s.key()) == key)
            .unwrap_or(Status::Open)
    }

    /// Whether the deal is archived out of the working views.
    pub fn archived(self) -> bool {
        ARCHIVED.contains(&self.key())
    }

    /// Whether time in its stage runs (warnings are raised): only while open.
    pub fn clock_runs(self) -> bool {
        self == Status::Open
    }

    /// The status after the stage changed to one that is `closed` (won/lost) or open: a
    /// closing stage closes the deal, an open stage reopens a won or lost one; a suspended
    /// or terminated deal keeps its status (its stage is not moved while on hold).
    pub fn after_stage(self, closed: Option<Closed>) -> Status {
        match (closed, self) {
            (Some(Closed::Won), _) => Status::Won,
            (Some(Closed::Lost), _) => Status::Lost,
            (None, Status::Won | Status::Lost) => Status::Open,
            (None, other) => other,
        }
    }
}

/// A move between statuses asked for by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Suspend,
    Reactivate,
    Terminate,
}

impl Move {
    /// The status the move leads to from `from`, or the refusal's code. An administrator
    /// may reactivate a terminated deal; nobody else changes one.
    pub fn apply(self, from: Status, administrator: bool) -> Result<Status, &'static str> {
        match (self, from) {
            (_, Status::Terminated) if !(administrator && self == Move::Reactivate) => {
                Err("deal_terminated")
            }
            (Move::Suspend, Status::Open) => Ok(Status::Suspended),
            (Move::Suspend, Status::Suspended) => Err("deal_already_suspended"),
            (Move::Reactivate, Status::Suspended | Status::Terminated) => Ok(Status::Open),
            (Move::Reactivate, _) => Err("deal_not_suspended"),
            (Move::Terminate, Status::Open | Status::Suspended) => Ok(Status::Terminated),
            (_, Status::Won | Status::Lost) => Err("deal_closed"),
            (Move::Suspend | Move::Terminate, _) => Err("deal_closed"),
        }
    }
}

/// Whether an edit of a deal in `status` is allowed to `administrator`: a terminated deal is
/// final for everyone else.
pub fn may_edit(status: Status, administrator: bool) -> bool {
    status != Status::Terminated || administrator
}

/// The longest reason of a suspension or termination.
pub const MAX_REASON: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loss_needs_reason_competitor_price_and_lessons() {
        let none = |_: &str| false;
        assert_eq!(
            missing_review(Closed::Lost, none),
            vec!["loss_reason", "lost_to_id", "lost_price", "close_lessons"]
        );
        assert_eq!(
            missing_review(Closed::Won, none),
            vec!["win_reason", "close_lessons"]
        );
        let some = |f: &str| f != "lost_price";
        assert_eq!(missing_review(Closed::Lost, some), vec!["lost_price"]);
        assert!(missing_review(Closed::Won, some).is_empty());
    }

    #[test]
    fn a_closing_stage_closes_and_an_open_one_reopens() {
        assert_eq!(Status::Open.after_stage(Some(Closed::Won)), Status::Won);
        assert_eq!(Status::Won.after_stage(Some(Closed::Lost)), Status::Lost);
        assert_eq!(Status::Lost.after_stage(None), Status::Open);
        assert_eq!(Status::Open.after_stage(None), Status::Open);
        assert_eq!(Status::Suspended.after_stage(None), Status::Suspended);
        assert_eq!(Status::Terminated.after_stage(None), Status::Terminated);
    }

    #[test]
    fn suspend_reactivate_and_terminate_follow_the_status() {
        use Move::*;
        assert_eq!(Suspend.apply(Status::Open, false), Ok(Status::Suspended));
        assert_eq!(
            Suspend.apply(Status::Suspended, false),
            Err("deal_already_suspended")
        );
        assert_eq!(Suspend.apply(Status::Won, false), Err("deal_closed"));
        assert_eq!(Reactivate.apply(Status::Suspended, false), Ok(Status::Open));
        assert_eq!(
            Reactivate.apply(Status::Open, false),
            Err("deal_not_suspended")
        );
        assert_eq!(
            Terminate.apply(Status::Suspended, false),
            Ok(Status::Terminated)
        );
        assert_eq!(Terminate.apply(Status::Lost, false), Err("deal_closed"));
        // Terminated is final, except that an administrator may reopen it.
        for m in [Suspend, Reactivate, Terminate] {
            assert_eq!(m.apply(Status::Terminated, false), Err("deal_terminated"));
        }
        assert_eq!(Reactivate.apply(Status::Terminated, true), Ok(Status::Open));
        assert_eq!(
            Terminate.apply(Status::Terminated, true),
            Err("deal_terminated")
        );
        assert!(!may_edit(Status::Terminated, false) && may_edit(Status::Terminated, true));
        assert!(may_edit(Status::Suspended, false));
    }

    #[test]
    fn closed_and_terminated_deals_are_archived_and_only_open_ones_run_the_clock() {
        assert!(Status::Won.archived() && Status::Terminated.archived());
        assert!(!Status::Suspended.archived() && !Status::Open.archived());
        assert!(Status::Open.clock_runs() && !Status::Suspended.clock_runs());
        assert_eq!(Status::parse(None), Status::Open);
        assert_eq!(Status::parse(Some("lost")), Status::Lost);
        for s in Status::ALL {
            assert!(STATUSES.iter().any(|(k, _, _)| *k == s.key()));
            assert_eq!(s.archived(), ARCHIVED.contains(&s.key()));
            assert_eq!(!s.archived(), WORKING.contains(&s.key()));
        }
    }
}
