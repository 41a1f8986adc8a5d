//! Translations: one flat JSON catalog per language, embedded in the binary.
//! Every key exists in every catalog (a test checks), so a missing translation is a build-time
//! test failure rather than a blank on screen.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "zh-CN" | "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The preferred supported language of an `Accept-Language` header, in order of quality.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut choices: Vec<(f32, &str)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse().ok()))
                    .unwrap_or(1.0);
                Some((q, tag))
            })
            .collect();
        choices.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
        choices.into_iter().find_map(|(_, tag)| {
            let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
            match primary.as_str() {
                "zh" => Some(Lang::Zh),
                "en" => Some(Lang::En),
                _ => None,
            }
        })
    }
}

type Catalog = HashMap<String, String>;

/// Catalog files per language; each capability may keep its own file.
const ZH_FILES: &[&str] = &[
    include_str!("../locales/zh-CN.json"),
    include_str!("../locales/admin.zh-CN.json"),
    include_str!("../locales/records.zh-CN.json"),
    include_str!("../locales/stages.zh-CN.json"),
    include_str!("../locales/pages.zh-CN.json"),
    include_str!("../locales/api.zh-CN.json"),
    include_str!("../locales/time.zh-CN.json"),
    include_str!("../locales/jobs.zh-CN.json"),
    include_str!("../locales/imports.zh-CN.json"),
    include_str!("../locales/exports.zh-CN.json"),
    include_str!("../locales/notifications.zh-CN.json"),
    include_str!("../locales/money.zh-CN.json"),
    include_str!("../locales/mail.zh-CN.json"),
    include_str!("../locales/children.zh-CN.json"),
    include_str!("../locales/picklists.zh-CN.json"),
    include_str!("../locales/sharing.zh-CN.json"),
    include_str!("../locales/pools.zh-CN.json"),
    include_str!("../locales/conversion.zh-CN.json"),
    include_str!("../locales/closing.zh-CN.json"),
    include_str!("../locales/assignment.zh-CN.json"),
    include_str!("../locales/showroom.zh-CN.json"),
    include_str!("../locales/web_forms.zh-CN.json"),
];
const EN_FILES: &[&str] = &[
    include_str!("../locales/en.json"),
    include_str!("../locales/admin.en.json"),
    include_str!("../locales/records.en.json"),
    include_str!("../locales/stages.en.json"),
    include_str!("../locales/pages.en.json"),
    include_str!("../locales/api.en.json"),
    include_str!("../locales/time.en.json"),
    include_str!("../locales/jobs.en.json"),
    include_str!("../locales/imports.en.json"),
    include_str!("../locales/exports.en.json"),
    include_str!("../locales/notifications.en.json"),
    include_str!("../locales/money.en.json"),
    include_str!("../locales/mail.en.json"),
    include_str!("../locales/children.en.json"),
    include_str!("../locales/picklists.en.json"),
    include_str!("../locales/sharing.en.json"),
    include_str!("../locales/pools.en.json"),
    include_str!("../locales/conversion.en.json"),
    include_str!("../locales/closing.en.json"),
    include_str!("../locales/assignment.en.json"),
    include_str!("../locales/showroom.en.json"),
    include_str!("../locales/web_forms.en.json"),
];

fn merge(files: &[&str]) -> Catalog {
    let mut catalog = Catalog::new();
    for file in files {
        // The catalogs are part of the source; a malformed one fails the test suite.
        let part: Catalog = serde_json::from_str(file).unwrap_or_default();
        catalog.extend(part);
    }
    catalog
}

fn catalogs() -> &'static (Catalog, Catalog) {
    static CATALOGS: OnceLock<(Catalog, Catalog)> = OnceLock::new();
    CATALOGS.get_or_init(|| {
        // The catalogs are part of the source; a malformed one fails the test suite.
        (merge(ZH_FILES), merge(EN_FILES))
    })
}

/// A point in time, however a template holds it (by value or through references).
pub trait Instant {
    fn instant(&self) -> chrono::DateTime<chrono::Utc>;
}

impl Instant for chrono::DateTime<chrono::Utc> {
    fn instant(&self) -> chrono::DateTime<chrono::Utc> {
        *self
    }
}

impl<T: Instant + ?Sized> Instant for &T {
    fn instant(&self) -> chrono::DateTime<chrono::Utc> {
        (**self).instant()
    }
}

/// The translator for one language and time zone, handed to templates as `t`: every text
/// and every time a page shows goes through it.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
    /// The reader's time zone (the signed-in user's, else the default).
    pub zone: domain::time::Tz,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Self {
            lang,
            zone: domain::time::DEFAULT_ZONE,
        }
    }

    /// The same translator for a reader in `zone`.
    pub fn in_zone(self, zone: domain::time::Tz) -> Self {
        Self { zone, ..self }
    }

    /// A time as the reader reads it: date and minute in their time zone. Templates call
    /// it for every time they show (`t.time(x.created_at)`).
    pub fn time(&self, at: impl Instant) -> String {
        domain::time::format_local(at.instant(), self.zone)
    }

    fn catalog(&self) -> &'static Catalog {
        let (zh, en) = catalogs();
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The text for a key; the key itself when missing (visible, and caught by tests).
    pub fn get<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        self.catalog().get(key).map(String::as_str).unwrap_or(key)
    }

    /// The text for a key with `{name}` placeholders filled in.
    pub fn fmt(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_string();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// The text for a key built from a prefix and a code, e.g. `account_type.` + `customer`.
    pub fn key(&self, prefix: &str, code: &str) -> String {
        let key = format!("{prefix}{code}");
        self.catalog().get(&key).cloned().unwrap_or(key)
    }

    /// The message of a field error (`error.field.<code>`), with its limit filled in.
    pub fn field_error(&self, error: &domain::FieldError) -> String {
        let limit = error.limit.map(|l| l.to_string()).unwrap_or_default();
        self.fmt(&format!("error.field.{}", error.code), &[("limit", &limit)])
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn is_zh(&self) -> bool {
        self.lang == Lang::Zh
    }

    /// A role's name in this language (see `domain::permissions::role_display_name`).
    pub fn role_name<'a>(&self, key: Option<&str>, stored: &'a str) -> &'a str {
        domain::permissions::role_display_name(key, stored, self.is_zh())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_parse_and_have_the_same_keys() {
        for file in ZH_FILES.iter().chain(EN_FILES) {
            serde_json::from_str::<Catalog>(file).expect("catalog is valid JSON");
        }
        let (zh, en) = (merge(ZH_FILES), merge(EN_FILES));
        let mut missing: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        missing.extend(en.keys().filter(|k| !zh.contains_key(*k)));
        assert!(
            missing.is_empty(),
            "keys missing in one language: {missing:?}"
        );
        assert!(zh.len() > 50);
    }

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Lang::Zh)
        );
        assert_eq!(
            Lang::from_accept_language("fr;q=1, en-US;q=0.7, zh;q=0.5"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("de"), None);
    }

    #[test]
    fn formats_placeholders() {
        let t = Tr::new(Lang::En);
        let e = domain::FieldError {
            field: "name".into(),
            code: "too_long",
            limit: Some(200),
        };
        assert!(t.field_error(&e).contains("200"));
    }
}
