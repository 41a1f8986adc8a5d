//! Converting a record (a lead) into an account, a contact and an optional opportunity, and
//! disqualifying it: what the object declares (`ObjectSpec::conversion`) and the pure rules —
//! the values proposed from the record, and what its status may become.

/// A field of the converted record that gives a field of a new record its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Map {
    pub from: &'static str,
    pub to: &'static str,
    /// Another field of the record to take when `from` is empty (an account named after the
    /// person when the lead has no company).
    pub or: Option<&'static str>,
}

impl Map {
    pub const fn copy(from: &'static str, to: &'static str) -> Self {
        Map { from, to, or: None }
    }

    pub const fn or(self, field: &'static str) -> Self {
        Map {
            or: Some(field),
            ..self
        }
    }
}

/// The record's fields that keep what it became, when and by whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Links {
    pub account: &'static str,
    pub contact: &'static str,
    pub opportunity: &'static str,
    pub at: &'static str,
    pub by: &'static str,
}

/// The activity fields by which the record's activities move to what it became: those whose
/// `lead` is the record get the new `account`, `contact` and `opportunity` where empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub lead: &'static str,
    pub account: &'static str,
    pub contact: &'static str,
    pub opportunity: &'static str,
}

/// How an object's records are converted and disqualified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conversion {
    pub status_field: &'static str,
    /// The status of a converted record, set only by converting it, and then for good.
    pub converted: &'static str,
    /// The status of a disqualified record, which needs a reason.
    pub disqualified: &'static str,
    /// The picklist of reasons (per company: a standard picklist its administrators edit).
    pub reason_field: &'static str,
    pub note_field: &'static str,
    pub account: &'static [Map],
    pub contact: &'static [Map],
    pub opportunity: &'static [Map],
    pub links: Links,
    pub moved: Moved,
    /// The new contact's lookup of its account.
    pub contact_account: &'static str,
    /// The new opportunity's lookups of its account and primary contact.
    pub opportunity_account: &'static str,
    pub opportunity_contact: &'static str,
}

/// What a conversion proposes for one new record: (field, text) from the record's values.
pub fn proposed<'a>(maps: &[Map], text: impl Fn(&str) -> Option<&'a str>) -> Vec<(String, String)> {
    let given = |key: &str| text(key).map(str::trim).filter(|s| !s.is_empty());
    let mut out: Vec<(String, String)> = Vec::new();
    for map in maps {
        if out.iter().any(|(k, _)| k == map.to) {
            continue;
        }
        if let Some(value) = given(map.from).or_else(|| map.or.and_then(given)) {
            out.push((map.to.to_string(), value.to_string()));
        }
    }
    out
}

/// A change of the record's status as the rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct StatusChange<'a> {
    /// The status before the save (`None` on create).
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    /// Whether the user gave the status (a form, an API body), rather than the system.
    pub given: bool,
    /// Whether the record holds a conversion time (the conversion sets it with the status).
    pub converted: bool,
    pub has_reason: bool,
}

impl Conversion {
    /// The field errors of a status change: converted only by converting (never given by
    /// hand), never left once converted, and disqualified only with a reason.
    pub fn check_status(&self, c: StatusChange<'_>) -> Vec<(&'static str, &'static str)> {
        let mut errors = Vec::new();
        let was_converted = c.before == Some(self.converted);
        let is_converted = c.after == Some(self.converted);
        if was_converted && !is_converted {
            errors.push((self.status_field, "already_converted"));
        } else if is_converted && !was_converted && (c.given || !c.converted) {
            errors.push((self.status_field, "convert_instead"));
        }
        if c.after == Some(self.disqualified) && !c.has_reason {
            errors.push((self.reason_field, "required"));
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::LEAD_CONVERSION as C;
    use std::collections::HashMap;

    fn change<'a>(before: Option<&'a str>, after: Option<&'a str>) -> StatusChange<'a> {
        StatusChange {
            before,
            after,
            given: true,
            converted: false,
            has_reason: false,
        }
    }

    #[test]
    fn values_default_from_the_lead() {
        let lead: HashMap<&str, &str> = [
            ("name", "王伟"),
            ("company", "杭州云帆科技有限公司"),
            ("mobile", "+86 138 0013 8000"),
            ("city", " "),
            ("source", "web"),
        ]
        .into_iter()
        .collect();
        let get = |k: &str| lead.get(k).copied();
        let account = proposed(C.account, get);
        assert_eq!(account[0], ("name".into(), "杭州云帆科技有限公司".into()));
        assert!(
            !account.iter().any(|(k, _)| k == "city"),
            "blank is no value"
        );
        let contact = proposed(C.contact, get);
        assert!(contact.contains(&("mobile".into(), "+86 138 0013 8000".into())));
        assert!(contact.contains(&("name".into(), "王伟".into())));
        let opportunity = proposed(C.opportunity, get);
        assert!(opportunity.contains(&("source".into(), "web".into())));
        // Without a company, the account and deal are named after the person.
        let person = |k: &str| (k == "name").then_some("李娜");
        assert_eq!(
            proposed(C.account, person),
            [("name".into(), "李娜".into())]
        );
    }

    #[test]
    fn converted_only_by_converting_and_for_good() {
        assert_eq!(
            C.check_status(change(Some("new"), Some("converted"))),
            [("status", "convert_instead")]
        );
        assert_eq!(
            C.check_status(change(None, Some("converted"))),
            [("status", "convert_instead")]
        );
        let by_conversion = StatusChange {
            given: false,
            converted: true,
            ..change(Some("qualified"), Some("converted"))
        };
        assert!(C.check_status(by_conversion).is_empty());
        assert_eq!(
            C.check_status(change(Some("converted"), Some("new"))),
            [("status", "already_converted")]
        );
        assert!(C
            .check_status(change(Some("converted"), Some("converted")))
            .is_empty());
    }

    #[test]
    fn disqualified_needs_a_reason() {
        assert_eq!(
            C.check_status(change(Some("new"), Some("disqualified"))),
            [("disqualify_reason", "required")]
        );
        let with_reason = StatusChange {
            has_reason: true,
            ..change(Some("new"), Some("disqualified"))
        };
        assert!(C.check_status(with_reason).is_empty());
        assert!(C
            .check_status(change(Some("new"), Some("contacted")))
            .is_empty());
    }
}
