//! The rules an object declares on its spec (`ObjectSpec::rules`), run by the record engine
//! around every save, and the pure part of each. The engine matches on [`Rule`], never on
//! the object, so a new rule is a new variant the compiler makes every match handle.

use chrono::{DateTime, Utc};

/// A rule an object's records follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The stage comes from the record's stage set: a known stage, its win rate unless one
    /// is given, the day it closed (opportunities).
    StageSet,
    /// Moving forward needs the gate of the stage being left (its required fields and
    /// ticked checklist, unless the role may skip it, which is recorded); every stage change
    /// is kept with its time, for time in stage and the overdue warnings (`crate::stages`).
    StageGate,
    /// Closing (a won or lost stage) needs the close review; the status follows the stage;
    /// a suspended deal's stage stays, a terminated deal is edited by administrators only;
    /// the stage clock stops while the deal is not open (`crate::closing`).
    CloseReview,
    /// The primary contact works at the record's account.
    ContactOfAccount,
    /// An activity's start, status and completion follow its kind and time; its account is
    /// taken from the contact or opportunity it is about; it ends after it starts.
    ActivityTiming,
    /// A lookup to the record's own object may not point at the record itself.
    NotItsOwn(&'static str),
    /// The record's creation and changes appear in its account's 360° stream.
    AccountStream,
    /// A won stage moves the account's "last deal" day forward.
    LastDeal,
    /// A done call, visit or meeting moves "last contacted" forward on what it is about.
    LastContacted,
    /// A new or moved reminder is scheduled.
    Reminders,
    /// The status follows the object's conversion (`ObjectSpec::conversion`): converted only
    /// by converting, for good; disqualified only with a reason.
    LeadStatus,
    /// A new record's owner is chosen by the company's assignment rules (线索分配) when the
    /// create names none, or asks for them (`app::assignment`); what chose it is recorded
    /// on the record (`assignment_rule`, `assignment_method`, `assigned_at`).
    Assignment,
    /// The qualification state follows the MAN judgements (`crate::follow_up`).
    Qualification,
    /// The next follow-up is due a deadline after the last contact, by intent level and
    /// business line (`crate::follow_up`); a done call, visit or meeting moves it.
    FollowUp,
}

/// Activity kinds that count as contacting the customer.
pub const CONTACT_KINDS: [&str; 3] = ["call", "visit", "meeting"];

/// An activity's status when none is given: a task, or one planned for later, is open; a
/// call, visit, meeting or note that has happened is done.
pub fn default_status(
    kind: &str,
    starts_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> &'static str {
    let planned = starts_at.is_some_and(|t| t > now);
    if kind == "task" || planned {
        "open"
    } else {
        "done"
    }
}

/// Whether a new activity of `kind` starts now when no start is given (all but tasks).
pub fn starts_now(kind: &str) -> bool {
    kind != "task"
}

/// When a done call, visit or meeting contacted the customer: its start, unless that is in
/// the future (then now).
pub fn contacted_at(starts_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    starts_at.filter(|t| *t <= now).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn an_activity_is_done_once_it_has_happened_unless_it_is_a_task() {
        let now = Utc::now();
        assert_eq!(default_status("call", None, now), "done");
        assert_eq!(
            default_status("call", Some(now + Duration::hours(1)), now),
            "open"
        );
        assert_eq!(
            default_status("visit", Some(now - Duration::hours(1)), now),
            "done"
        );
        assert_eq!(default_status("task", None, now), "open");
        assert!(starts_now("note") && !starts_now("task"));
    }

    #[test]
    fn contact_is_dated_by_its_start_never_in_the_future() {
        let now = Utc::now();
        let earlier = now - Duration::days(2);
        assert_eq!(contacted_at(Some(earlier), now), earlier);
        assert_eq!(contacted_at(Some(now + Duration::days(1)), now), now);
        assert_eq!(contacted_at(None, now), now);
    }
}
