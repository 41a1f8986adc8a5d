//! Qualification and follow-up of leads (三表一卡, 意向客户跟踪): MAN — money, authority,
//! need — each judged with a note, and the qualification state derived from the three; the
//! intent level (H/A/B/C) sets how soon the next follow-up is due after the last contact.
//! Business lines (the lead's record type) may change the deadlines.

use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// The MAN fields, in the order they are judged.
pub const MAN_FIELDS: [&str; 3] = ["man_money", "man_authority", "man_need"];

/// How one MAN criterion stands.
pub const MAN_JUDGEMENTS: &[(&str, &str, &str)] = &[
    ("yes", "具备", "Yes"),
    ("no", "不具备", "No"),
    ("unknown", "待了解", "Unknown"),
];

/// The qualification state derived from MAN.
pub const QUALIFICATIONS: &[(&str, &str, &str)] = &[
    ("qualified", "合格（MAN 齐备）", "Qualified (MAN)"),
    ("developing", "培育中", "Developing"),
    ("unqualified", "不合格", "Not qualified"),
];

/// The qualification the three judgements give: all three present → qualified; no need
/// → not qualified (there is nothing to sell); some judged yes → developing; nothing judged
/// yet (or all unknown) → none.
pub fn qualification(
    money: Option<&str>,
    authority: Option<&str>,
    need: Option<&str>,
) -> Option<&'static str> {
    let all = [money, authority, need];
    if all.iter().all(|j| *j == Some("yes")) {
        Some("qualified")
    } else if need == Some("no") {
        Some("unqualified")
    } else if all.contains(&Some("yes")) || all.contains(&Some("no")) {
        Some("developing")
    } else {
        None
    }
}

/// The intent levels with their default follow-up deadlines in days: H 5 days, A 15 days,
/// B a month, C two months.
pub const DEFAULT_DAYS: [(&str, u32); 4] = [("H", 5), ("A", 15), ("B", 30), ("C", 60)];

/// The longest deadline a business line may set.
pub const MAX_DAYS: u32 = 366;

/// A business line's deadlines by intent level; a level it does not name keeps its default.
pub type Deadlines = BTreeMap<String, u32>;

/// Days until the next follow-up for an intent level, `None` for an unknown level.
pub fn days_for(intent: &str, deadlines: &Deadlines) -> Option<u32> {
    let default = DEFAULT_DAYS.iter().find(|(level, _)| *level == intent)?.1;
    Some(deadlines.get(intent).copied().unwrap_or(default))
}

/// The problems of a business line's deadlines, as `(field, code)`.
pub fn check(deadlines: &Deadlines) -> Vec<(String, &'static str)> {
    deadlines
        .iter()
        .filter_map(|(level, days)| {
            let field = format!("follow_up_days.{level}");
            if !DEFAULT_DAYS.iter().any(|(l, _)| l == level) {
                Some((field, "invalid_choice"))
            } else if *days == 0 {
                Some((field, "below_min"))
            } else if *days > MAX_DAYS {
                Some((field, "above_max"))
            } else {
                None
            }
        })
        .collect()
}

/// What the next follow-up is counted from: the last contact, the assignment to the current
/// owner, the creation — whichever is latest.
pub fn since(
    last_contacted: Option<DateTime<Utc>>,
    assigned: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
) -> DateTime<Utc> {
    [last_contacted, assigned]
        .into_iter()
        .flatten()
        .fold(created, DateTime::max)
}

/// When the next follow-up is due: `since` plus the level's deadline; none without a level,
/// or for a lead that is no longer worked (`open` false: converted or disqualified).
pub fn next_follow_up(
    intent: Option<&str>,
    open: bool,
    deadlines: &Deadlines,
    since: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if !open {
        return None;
    }
    let days = days_for(intent?, deadlines)?;
    Some(since + Duration::days(i64::from(days)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, 9, 0, 0)
            .single()
            .expect("a time")
    }

    #[test]
    fn qualification_follows_the_three_judgements() {
        let q = qualification;
        assert_eq!(q(Some("yes"), Some("yes"), Some("yes")), Some("qualified"));
        assert_eq!(q(Some("yes"), Some("yes"), Some("no")), Some("unqualified"));
        assert_eq!(q(Some("no"), None, Some("yes")), Some("developing"));
        assert_eq!(q(None, Some("no"), None), Some("developing"));
        assert_eq!(q(Some("unknown"), None, Some("unknown")), None);
        assert_eq!(q(None, None, None), None);
    }

    #[test]
    fn deadlines_default_by_level_and_follow_the_business_line() {
        let none = Deadlines::new();
        assert_eq!(days_for("H", &none), Some(5));
        assert_eq!(days_for("A", &none), Some(15));
        assert_eq!(days_for("B", &none), Some(30));
        assert_eq!(days_for("C", &none), Some(60));
        assert_eq!(days_for("X", &none), None);
        let line = Deadlines::from([("H".to_string(), 2)]);
        assert_eq!(days_for("H", &line), Some(2));
        assert_eq!(days_for("A", &line), Some(15));
    }

    #[test]
    fn the_next_follow_up_counts_from_the_latest_contact() {
        let none = Deadlines::new();
        assert_eq!(since(None, None, at(1)), at(1));
        assert_eq!(since(Some(at(3)), Some(at(2)), at(1)), at(3));
        assert_eq!(since(Some(at(2)), Some(at(4)), at(1)), at(4));
        assert_eq!(next_follow_up(Some("H"), true, &none, at(3)), Some(at(8)));
        assert_eq!(next_follow_up(Some("H"), false, &none, at(3)), None);
        assert_eq!(next_follow_up(None, true, &none, at(3)), None);
    }

    #[test]
    fn bad_deadlines_are_named() {
        let bad = Deadlines::from([
            ("H".to_string(), 0),
            ("A".to_string(), MAX_DAYS + 1),
            ("Z".to_string(), 3),
            ("B".to_string(), 10),
        ]);
        let mut problems = check(&bad);
        problems.sort();
        assert_eq!(
            problems,
            [
                ("follow_up_days.A".to_string(), "above_max"),
                ("follow_up_days.H".to_string(), "below_min"),
                ("follow_up_days.Z".to_string(), "invalid_choice"),
            ]
        );
    }
}
