//! Users' time zones: every time shown to a user, and every relative date ("today", "this
//! month"), is in their zone, an IANA name such as `Europe/Berlin`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
pub use chrono_tz::Tz;

/// The zone of a user who has not chosen one.
pub const DEFAULT_ZONE: Tz = chrono_tz::Asia::Shanghai;

/// The zone named `name` (an IANA name, as written in the tz database); `None` for
/// anything else.
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.trim().parse().ok()
}

/// A user's stored zone, or the default when none is stored (or the name is no longer
/// known).
pub fn zone_or_default(name: Option<&str>) -> Tz {
    name.and_then(parse_zone).unwrap_or(DEFAULT_ZONE)
}

/// Every zone a user may choose, by name.
pub fn zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())
}

/// The day `t` falls on in `zone`.
pub fn local_day(t: DateTime<Utc>, zone: Tz) -> NaiveDate {
    t.with_timezone(&zone).date_naive()
}

/// The instant a day starts in `zone` (the earliest, when the clocks go back at midnight;
/// the first existing minute when they skip it).
pub fn day_start(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..=120)
        .find_map(|minutes| from_local(midnight + chrono::Duration::minutes(minutes), zone))
        .unwrap_or_else(|| midnight.and_utc())
}

/// A wall-clock time in `zone` as an instant (the earlier one when the clocks go back);
/// `None` for a time the clocks skip.
pub fn from_local(local: NaiveDateTime, zone: Tz) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// `t` as a user reads it: date and minute in their zone.
pub fn format_local(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_iana_names() {
        assert_eq!(parse_zone("Europe/Berlin"), Some(chrono_tz::Europe::Berlin));
        assert_eq!(parse_zone(" Asia/Shanghai "), Some(DEFAULT_ZONE));
        assert_eq!(parse_zone("Mars/Olympus"), None);
        assert_eq!(parse_zone("+08:00"), None);
        assert_eq!(zone_or_default(None), DEFAULT_ZONE);
        assert_eq!(zone_or_default(Some("nonsense")), DEFAULT_ZONE);
        assert!(zone_names().any(|n| n == "America/New_York"));
    }

    #[test]
    fn days_start_at_local_midnight() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let berlin = chrono_tz::Europe::Berlin;
        assert_eq!(
            day_start(day, berlin).to_rfc3339(),
            "2026-11-22T23:00:00+00:00"
        );
        assert_eq!(
            day_start(day, DEFAULT_ZONE).to_rfc3339(),
            "2026-11-22T16:00:00+00:00"
        );
        // Santiago skips midnight when summer time starts.
        let skipped = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        let santiago = chrono_tz::America::Santiago;
        assert_eq!(
            day_start(skipped, santiago)
                .with_timezone(&santiago)
                .format("%H:%M")
                .to_string(),
            "01:00"
        );
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        assert_eq!(format_local(t, berlin), "2026-11-23 10:00");
        assert_eq!(format_local(t, DEFAULT_ZONE), "2026-11-23 17:00");
        assert_eq!(
            local_day(
                Utc.with_ymd_and_hms(2026, 11, 23, 23, 30, 0).unwrap(),
                berlin
            )
            .to_string(),
            "2026-11-24"
        );
    }
}
