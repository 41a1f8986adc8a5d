//! Import rules without I/O: which field a column header names (in Chinese or English, by
//! label or key) and how a spreadsheet's cell is turned into the text a form would submit
//! for its field — dates in the ISO and Chinese forms and as Excel serial numbers, numbers
//! with thousands separators, money with its currency, picklist choices by label in either
//! language. What is not recognised is passed on as it is, so the record engine's validation
//! (the one validator) names the problem; references by name are left to the caller, which
//! looks them up.

use crate::fields::{FieldDef, FieldType};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// A header or label reduced to what a match compares: ASCII full-width forms folded,
/// lower-cased, a trailing note in brackets (`（必填）`, `(required)`) and a leading `*`
/// dropped, without spaces, underscores, hyphens and colons.
pub fn normalise_header(text: &str) -> String {
    let folded: String = text
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect();
    let mut text = folded.trim().trim_start_matches('*').trim().to_string();
    if text.ends_with(')') {
        if let Some(open) = text.rfind('(') {
            if open > 0 {
                text.truncate(open);
            }
        }
    }
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | ':' | '*'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// For each header, the key of the field it names (its key, English or Chinese label), each
/// field taken by the first header naming it; `None` for a header naming none.
pub fn match_headers(headers: &[String], fields: &[&FieldDef]) -> Vec<Option<String>> {
    let mut taken: Vec<&str> = Vec::new();
    headers
        .iter()
        .map(|header| {
            let wanted = normalise_header(header);
            if wanted.is_empty() {
                return None;
            }
            let field = fields.iter().find(|f| {
                !taken.contains(&f.key.as_str())
                    && [&f.key, &f.label_en, &f.label_zh]
                        .iter()
                        .any(|name| normalise_header(name) == wanted)
            })?;
            taken.push(&field.key);
            Some(field.key.clone())
        })
        .collect()
}

/// What a cell gives its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// The texts to submit, as a form would (several for a multi-select).
    Values(Vec<String>),
    /// A lookup or user named by something other than its id (a name, an e-mail address, a
    /// credit code): the caller finds the record or user.
    Reference(String),
}

/// A character a text input refuses (control characters other than tab and line breaks).
pub fn has_control_character(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// The cell as its field's submission: `Ok(None)` for an empty cell (the field is left as
/// it is, or to its default), `Err("control_character")` for a text no form accepts.
pub fn coerce(field: &FieldDef, raw: &str) -> Result<Option<Cell>, &'static str> {
    if has_control_character(raw) {
        return Err("control_character");
    }
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let one = |s: String| Ok(Some(Cell::Values(vec![s])));
    match field.field_type {
        FieldType::Date => one(parse_date(text).map_or(text.to_string(), |d| d.to_string())),
        FieldType::DateTime => one(parse_date_time(text)
            .map_or(text.to_string(), |t| t.format("%Y-%m-%dT%H:%M").to_string())),
        FieldType::Number | FieldType::Percent => one(plain_number(text.trim_end_matches('%'))),
        FieldType::Money => one(plain_number(strip_currency(text))),
        FieldType::Checkbox => one(checkbox(text).unwrap_or(text).to_string()),
        FieldType::Picklist => one(choice(field, text)),
        FieldType::MultiSelect => Ok(Some(Cell::Values(
            text.split([',', '，', ';', '；', '、', '|'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| choice(field, s))
                .collect(),
        ))),
        FieldType::Lookup | FieldType::User => match uuid::Uuid::parse_str(text) {
            Ok(id) => one(id.to_string()),
            Err(_) => Ok(Some(Cell::Reference(text.to_string()))),
        },
        _ => one(text.to_string()),
    }
}

/// The day 0 of Excel's serial dates (its 1900 system, past its leap-year bug).
fn excel_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default()
}

/// The largest serial Excel shows as a date (9999-12-31).
const EXCEL_MAX_SERIAL: f64 = 2_958_465.0;

fn excel_serial(text: &str) -> Option<NaiveDateTime> {
    let serial: f64 = text.parse().ok()?;
    if !(1.0..=EXCEL_MAX_SERIAL).contains(&serial) {
        return None;
    }
    let days = serial.trunc() as i64;
    let seconds = ((serial - serial.trunc()) * 86_400.0).round() as i64;
    let day = excel_epoch().checked_add_signed(Duration::days(days))?;
    day.and_hms_opt(0, 0, 0)?
        .checked_add_signed(Duration::seconds(seconds))
}

/// A date written `2026-12-03`, `2026/12/3`, `2026.12.3` or `2026年12月3日`, or an Excel
/// serial number; a time after it is ignored.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let day = text.split([' ', 'T']).next().unwrap_or(text);
    let unified = unify_date(day);
    NaiveDate::parse_from_str(&unified, "%Y-%m-%d")
        .ok()
        .or_else(|| excel_serial(text).map(|t| t.date()))
}

/// `2026年12月3日` and `2026/12/3` and `2026.12.3` as `2026-12-3`.
fn unify_date(text: &str) -> String {
    text.trim()
        .trim_end_matches('日')
        .trim_end_matches('号')
        .replace(['年', '月', '/', '.'], "-")
}

/// A date and time (`2026-12-03 14:30`, `2026/12/3 14:30:05`, `2026年12月3日 14:30`), a
/// date alone (midnight) or an Excel serial, as written (the form's local time).
pub fn parse_date_time(text: &str) -> Option<NaiveDateTime> {
    let mut parts = text.splitn(2, [' ', 'T']);
    let day = parts.next().unwrap_or_default();
    let time = parts.next().map(str::trim);
    if let Ok(date) = NaiveDate::parse_from_str(&unify_date(day), "%Y-%m-%d") {
        let time = match time {
            None | Some("") => NaiveTime::MIN,
            Some(t) => NaiveTime::parse_from_str(t, "%H:%M:%S")
                .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
                .ok()?,
        };
        return Some(date.and_time(time));
    }
    excel_serial(text)
}

/// A number without its thousands separators and spaces (`1,234,567.50` → `1234567.50`).
fn plain_number(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ',' | '，' | '_' | '\'' | '\u{a0}') && !c.is_whitespace())
        .collect()
}

/// Currency symbols and names written around an amount.
const CURRENCY_SIGNS: [&str; 10] = ["US$", "HK$", "¥", "￥", "$", "€", "£", "元", "RMB", "CNY"];

/// An amount without a currency symbol or three-letter code before or after it
/// (`¥1,200`, `USD 1,200.50`, `1200元`).
fn strip_currency(text: &str) -> &str {
    let mut text = text.trim();
    for _ in 0..2 {
        for sign in CURRENCY_SIGNS {
            text = text
                .strip_prefix(sign)
                .or_else(|| text.strip_suffix(sign))
                .unwrap_or(text)
                .trim();
        }
        let letters = |s: &str| s.len() == 3 && s.chars().all(|c| c.is_ascii_alphabetic());
        let numeric = |s: &str| {
            s.trim()
                .starts_with(|c: char| c.is_ascii_digit() || c == '-')
        };
        if text.len() > 3 && text.is_char_boundary(3) && letters(&text[..3]) && numeric(&text[3..])
        {
            text = text[3..].trim();
        } else if text.len() > 3 && text.is_char_boundary(text.len() - 3) {
            let (amount, code) = text.split_at(text.len() - 3);
            if letters(code) && amount.trim_end().ends_with(|c: char| c.is_ascii_digit()) {
                text = amount.trim();
            }
        }
    }
    text
}

/// Yes and no as people write them in a sheet.
fn checkbox(text: &str) -> Option<&'static str> {
    match text.to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "on" | "是" | "对" | "√" | "✓" | "✔" => Some("true"),
        "false" | "no" | "n" | "0" | "off" | "否" | "错" | "×" | "✗" => Some("false"),
        _ => None,
    }
}

/// The key of the choice `text` names by its key or its label in either language (case and
/// full-width forms aside); `text` itself when none, for the validation to refuse.
fn choice(field: &FieldDef, text: &str) -> String {
    let wanted = normalise_header(text);
    field
        .options
        .iter()
        .find(|o| o.key == text)
        .or_else(|| {
            field.options.iter().find(|o| {
                [&o.key, &o.label_en, &o.label_zh]
                    .iter()
                    .any(|name| normalise_header(name) == wanted)
            })
        })
        .map_or_else(|| text.to_string(), |o| o.key.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::spec;
    use crate::permissions::ObjectKind;

    fn lead_field(key: &str) -> FieldDef {
        spec(ObjectKind::Lead)
            .and_then(|s| s.field(key))
            .cloned()
            .expect("lead field")
    }

    fn values(field: &FieldDef, raw: &str) -> Vec<String> {
        match coerce(field, raw) {
            Ok(Some(Cell::Values(v))) => v,
            other => panic!("{raw:?} gave {other:?}"),
        }
    }

    fn typed(field_type: FieldType) -> FieldDef {
        let mut field = lead_field("company");
        field.field_type = field_type;
        field
    }

    #[test]
    fn dates_in_iso_chinese_dotted_and_serial_forms() {
        let date = typed(FieldType::Date);
        for raw in [
            "2026-12-03",
            "2026/12/3",
            "2026年12月3日",
            "2026.12.3",
            "46359",
            "2026-12-03 08:00",
        ] {
            assert_eq!(values(&date, raw), ["2026-12-03"], "{raw}");
        }
        // Not a date: passed on for the validation to name.
        assert_eq!(values(&date, "next week"), ["next week"]);
        assert_eq!(values(&date, "2026-13-01"), ["2026-13-01"]);
    }

    #[test]
    fn date_times_become_the_forms_local_time() {
        let at = typed(FieldType::DateTime);
        assert_eq!(values(&at, "2026/12/3 14:30"), ["2026-12-03T14:30"]);
        assert_eq!(values(&at, "2026年12月3日 09:05:00"), ["2026-12-03T09:05"]);
        assert_eq!(values(&at, "46359.5"), ["2026-12-03T12:00"]);
        assert_eq!(values(&at, "2026-12-03"), ["2026-12-03T00:00"]);
    }

    #[test]
    fn numbers_and_money_lose_separators_and_currency() {
        let number = typed(FieldType::Number);
        assert_eq!(values(&number, "1,234,567.50"), ["1234567.50"]);
        assert_eq!(values(&number, "1 234"), ["1234"]);
        assert_eq!(values(&typed(FieldType::Percent), "35%"), ["35"]);
        let money = typed(FieldType::Money);
        for (raw, plain) in [
            ("¥1,200", "1200"),
            ("￥ 1,200.50", "1200.50"),
            ("USD 1,200.50", "1200.50"),
            ("1200 CNY", "1200"),
            ("1200元", "1200"),
            ("US$99", "99"),
        ] {
            assert_eq!(values(&money, raw), [plain], "{raw}");
        }
        assert_eq!(values(&money, "a lot"), ["alot"]);
    }

    #[test]
    fn choices_by_key_or_label_in_either_language() {
        let source = lead_field("source");
        let option = source.options.first().expect("an option").clone();
        assert_eq!(values(&source, &option.label_zh), [option.key.as_str()]);
        assert_eq!(
            values(&source, &option.label_en.to_uppercase()),
            [option.key.as_str()]
        );
        assert_eq!(values(&source, &option.key), [option.key.as_str()]);
        assert_eq!(values(&source, "no such source"), ["no such source"]);
        let mut multi = source.clone();
        multi.field_type = FieldType::MultiSelect;
        let second = source.options.get(1).expect("two options");
        assert_eq!(
            values(&multi, &format!("{}、{}", option.label_zh, second.label_en)),
            [option.key.clone(), second.key.clone()]
        );
    }

    #[test]
    fn checkboxes_references_and_control_characters() {
        let check = typed(FieldType::Checkbox);
        assert_eq!(values(&check, "是"), ["true"]);
        assert_eq!(values(&check, "N"), ["false"]);
        let owner = lead_field("owner_id");
        assert_eq!(
            coerce(&owner, "li@example.com"),
            Ok(Some(Cell::Reference("li@example.com".into())))
        );
        let id = uuid::Uuid::now_v7().to_string();
        assert_eq!(values(&owner, &id), [id.as_str()]);
        assert_eq!(coerce(&owner, "  "), Ok(None));
        assert_eq!(
            coerce(&lead_field("company"), "a\u{0}b"),
            Err("control_character")
        );
        assert_eq!(values(&lead_field("company"), "a\tb"), ["a\tb"]);
    }

    #[test]
    fn headers_match_labels_and_keys_in_either_language() {
        let spec = spec(ObjectKind::Lead).expect("leads");
        let fields: Vec<&FieldDef> = spec.fields.iter().collect();
        let company = spec.field("company").expect("company");
        let headers: Vec<String> = [
            format!("*{}（必填）", company.label_zh),
            company.label_en.to_uppercase(),
            "owner_id".into(),
            "Nothing like a field".into(),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            match_headers(&headers, &fields),
            [Some("company".into()), None, Some("owner_id".into()), None]
        );
        assert_eq!(normalise_header("Ｅｍａｉｌ Address"), "emailaddress");
    }
}
