//! Accounts (客户): the field rules of the record.

use crate::validation::{optional_text, required_text, FieldErrors};
use crate::{credit_code, regions};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! keyed_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $key:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn key(self) -> &'static str { match self { $($name::$variant => $key),* } }
            pub fn parse(key: &str) -> Option<Self> { Self::ALL.iter().copied().find(|v| v.key() == key) }
        }
    };
}

keyed_enum!(
    /// What the company is to us.
    AccountType {
        Customer => "customer",
        Partner => "partner",
        Competitor => "competitor",
        Supplier => "supplier",
        Other => "other",
    }
);

keyed_enum!(
    /// A/B/C/D grade by business span, current and potential value.
    Grade {
        A => "A",
        B => "B",
        C => "C",
        D => "D",
    }
);

pub const NAME_MAX: usize = 200;
pub const INDUSTRY_MAX: usize = 100;
pub const CITY_MAX: usize = 50;
pub const PHONE_MAX: usize = 40;
pub const WEBSITE_MAX: usize = 255;
pub const ADDRESS_MAX: usize = 500;
pub const DESCRIPTION_MAX: usize = 5000;
pub const TAG_MAX: usize = 30;
pub const TAGS_MAX: usize = 20;

/// The editable fields of an account as a user submitted them, before validation.
/// Every field is text so that a form and a JSON body go through the same checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInput {
    pub name: Option<String>,
    pub account_type: Option<String>,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub grade: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub credit_code: Option<String>,
    pub parent_id: Option<String>,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub owner_id: Option<String>,
}

/// An account's fields after validation: the form the store writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFields {
    pub name: String,
    pub account_type: AccountType,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub grade: Option<Grade>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub credit_code: Option<String>,
    pub parent_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub owner_id: Option<Uuid>,
}

/// The account fields a role may be limited on (hidden or read-only); the name, the type
/// and the owner always stay visible and are governed by the actions instead.
pub const LIMITABLE: [&str; 11] = [
    "industry",
    "province",
    "city",
    "grade",
    "phone",
    "website",
    "address",
    "credit_code",
    "parent_id",
    "description",
    "tags",
];

impl AccountFields {
    /// Whether field `key` has a value.
    pub fn has(&self, key: &str) -> bool {
        match key {
            "industry" => self.industry.is_some(),
            "province" => self.province.is_some(),
            "city" => self.city.is_some(),
            "grade" => self.grade.is_some(),
            "phone" => self.phone.is_some(),
            "website" => self.website.is_some(),
            "address" => self.address.is_some(),
            "credit_code" => self.credit_code.is_some(),
            "parent_id" => self.parent_id.is_some(),
            "description" => self.description.is_some(),
            "tags" => !self.tags.is_empty(),
            _ => false,
        }
    }

    /// Takes field `key`'s value from `other` (a limited field keeps its stored value).
    pub fn take_field(&mut self, other: &AccountFields, key: &str) {
        match key {
            "industry" => self.industry = other.industry.clone(),
            "province" => self.province = other.province.clone(),
            "city" => self.city = other.city.clone(),
            "grade" => self.grade = other.grade,
            "phone" => self.phone = other.phone.clone(),
            "website" => self.website = other.website.clone(),
            "address" => self.address = other.address.clone(),
            "credit_code" => self.credit_code = other.credit_code.clone(),
            "parent_id" => self.parent_id = other.parent_id,
            "description" => self.description = other.description.clone(),
            "tags" => self.tags = other.tags.clone(),
            _ => {}
        }
    }
}

impl AccountInput {
    pub fn validate(&self) -> Result<AccountFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = required_text(&mut errors, "name", self.name.as_deref(), NAME_MAX);
        let account_type = match self.account_type.as_deref().map(str::trim) {
            None | Some("") => AccountType::Customer,
            Some(key) => AccountType::parse(key).unwrap_or_else(|| {
                errors.add("account_type", "invalid_choice");
                AccountType::Customer
            }),
        };
        let industry = optional_text(
            &mut errors,
            "industry",
            self.industry.as_deref(),
            INDUSTRY_MAX,
        );
        let province = optional_text(&mut errors, "province", self.province.as_deref(), 10);
        if let Some(code) = &province {
            if regions::province(code).is_none() {
                errors.add("province", "invalid_choice");
            }
        }
        let city = optional_text(&mut errors, "city", self.city.as_deref(), CITY_MAX);
        let grade = optional_text(&mut errors, "grade", self.grade.as_deref(), 1).and_then(|g| {
            let parsed = Grade::parse(&g.to_ascii_uppercase());
            if parsed.is_none() {
                errors.add("grade", "invalid_choice");
            }
            parsed
        });
        let phone =
            optional_text(&mut errors, "phone", self.phone.as_deref(), PHONE_MAX).and_then(|p| {
                match normalize_phone(&p) {
                    Some(formatted) => Some(formatted),
                    None => {
                        errors.add("phone", "invalid_phone");
                        None
                    }
                }
            });
        let website = optional_text(&mut errors, "website", self.website.as_deref(), WEBSITE_MAX)
            .and_then(|w| match normalize_website(&w) {
                Some(url) => Some(url),
                None => {
                    errors.add("website", "invalid_url");
                    None
                }
            });
        let address = optional_text(&mut errors, "address", self.address.as_deref(), ADDRESS_MAX);
        let credit_code =
            optional_text(&mut errors, "credit_code", self.credit_code.as_deref(), 40).and_then(
                |c| match credit_code::parse(&c) {
                    Some(code) => Some(code),
                    None => {
                        errors.add("credit_code", "invalid_credit_code");
                        None
                    }
                },
            );
        let parent_id = parse_optional_id(&mut errors, "parent_id", self.parent_id.as_deref());
        let owner_id = parse_optional_id(&mut errors, "owner_id", self.owner_id.as_deref());
        let tags = normalize_tags(&mut errors, &self.tags);
        let description = optional_text(
            &mut errors,
            "description",
            self.description.as_deref(),
            DESCRIPTION_MAX,
        );
        errors.into_result()?;
        Ok(AccountFields {
            name,
            account_type,
            industry,
            province,
            city,
            grade,
            phone,
            website,
            address,
            credit_code,
            parent_id,
            tags,
            description,
            owner_id,
        })
    }
}

impl AccountFields {
    /// The fields as input again, for forms that show a saved record and for partial updates.
    pub fn to_input(&self) -> AccountInput {
        AccountInput {
            name: Some(self.name.clone()),
            account_type: Some(self.account_type.key().to_string()),
            industry: self.industry.clone(),
            province: self.province.clone(),
            city: self.city.clone(),
            grade: self.grade.map(|g| g.key().to_string()),
            phone: self.phone.clone(),
            website: self.website.clone(),
            address: self.address.clone(),
            credit_code: self.credit_code.clone(),
            parent_id: self.parent_id.map(|id| id.to_string()),
            tags: self.tags.clone(),
            description: self.description.clone(),
            owner_id: self.owner_id.map(|id| id.to_string()),
        }
    }

    /// The value of each tracked field as text, in a fixed order, for field history.
    pub fn tracked_values(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("name", Some(self.name.clone())),
            ("account_type", Some(self.account_type.key().to_string())),
            ("industry", self.industry.clone()),
            ("province", self.province.clone()),
            ("city", self.city.clone()),
            ("grade", self.grade.map(|g| g.key().to_string())),
            ("phone", self.phone.clone()),
            ("website", self.website.clone()),
            ("address", self.address.clone()),
            ("credit_code", self.credit_code.clone()),
            ("parent_id", self.parent_id.map(|id| id.to_string())),
            (
                "tags",
                (!self.tags.is_empty()).then(|| self.tags.join(", ")),
            ),
            ("description", self.description.clone()),
            ("owner_id", self.owner_id.map(|id| id.to_string())),
        ]
    }
}

/// Field-by-field differences between two versions: `(field, old, new)`.
pub fn changes(
    before: &AccountFields,
    after: &AccountFields,
) -> Vec<(&'static str, Option<String>, Option<String>)> {
    before
        .tracked_values()
        .into_iter()
        .zip(after.tracked_values())
        .filter(|((_, old), (_, new))| old != new)
        .map(|((field, old), (_, new))| (field, old, new))
        .collect()
}

fn parse_optional_id(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<Uuid> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    match Uuid::parse_str(v) {
        Ok(id) => Some(id),
        Err(_) => {
            errors.add(field, "invalid_reference");
            None
        }
    }
}

/// Tags are trimmed, de-duplicated case-insensitively and kept in the order given.
pub fn normalize_tags(errors: &mut FieldErrors, raw: &[String]) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if tag.chars().count() > TAG_MAX || tag.contains(',') {
            errors.add_limit("tags", "invalid_tag", TAG_MAX as i64);
            return Vec::new();
        }
        if !tags.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
            tags.push(tag.to_string());
        }
    }
    if tags.len() > TAGS_MAX {
        errors.add_limit("tags", "too_many", TAGS_MAX as i64);
    }
    tags
}

/// Splits a comma-separated tag field (as typed in a form; both ASCII and full-width commas).
pub fn split_tags(value: &str) -> Vec<String> {
    value
        .split([',', '，', '、'])
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Parses a phone number as a Chinese number unless it carries a country code, and returns it
/// in international format (`+86 10 1234 5678`).
pub fn normalize_phone(raw: &str) -> Option<String> {
    let parsed = phonenumber::parse(Some(phonenumber::country::Id::CN), raw).ok()?;
    if !phonenumber::is_valid(&parsed) {
        return None;
    }
    Some(
        parsed
            .format()
            .mode(phonenumber::Mode::International)
            .to_string(),
    )
}

/// The E.164 form of a phone number (`+861012345678`), the key for duplicate checks.
pub fn phone_e164(raw: &str) -> Option<String> {
    let parsed = phonenumber::parse(Some(phonenumber::country::Id::CN), raw).ok()?;
    Some(parsed.format().mode(phonenumber::Mode::E164).to_string())
}

/// Accepts `example.com`, `www.example.com/path` or an http(s) URL; returns it with a scheme.
pub fn normalize_website(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let lower = trimmed.to_ascii_lowercase();
    let (scheme, rest) = if let Some(rest) = lower.strip_prefix("https://") {
        ("https://", &trimmed[trimmed.len() - rest.len()..])
    } else if let Some(rest) = lower.strip_prefix("http://") {
        ("http://", &trimmed[trimmed.len() - rest.len()..])
    } else if lower.contains("://") {
        return None;
    } else {
        ("https://", trimmed)
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    let valid_host = host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    if !valid_host || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    Some(format!("{scheme}{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str) -> AccountInput {
        AccountInput {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    #[test]
    fn minimal_account_is_a_customer() {
        let fields = input("深圳华为技术有限公司").validate().unwrap();
        assert_eq!(fields.account_type, AccountType::Customer);
        assert_eq!(fields.name, "深圳华为技术有限公司");
    }

    #[test]
    fn every_field_error_is_reported_at_once() {
        let bad = AccountInput {
            name: Some(" ".into()),
            account_type: Some("friend".into()),
            grade: Some("E".into()),
            province: Some("99".into()),
            phone: Some("12".into()),
            website: Some("not a site".into()),
            credit_code: Some("91350100M000100Y44".into()),
            parent_id: Some("nope".into()),
            tags: vec!["x".repeat(31)],
            ..Default::default()
        };
        let errors = bad.validate().unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "account_type",
                "province",
                "grade",
                "phone",
                "website",
                "credit_code",
                "parent_id",
                "tags"
            ]
        );
    }

    #[test]
    fn normalises_values() {
        let fields = AccountInput {
            name: Some("  Acme  ".into()),
            grade: Some("b".into()),
            phone: Some("010-62345678".into()),
            website: Some("acme.com.cn/about".into()),
            credit_code: Some("91350100m000100y43".into()),
            tags: vec!["VIP".into(), "vip".into(), " 重点 ".into()],
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(fields.name, "Acme");
        assert_eq!(fields.grade, Some(Grade::B));
        assert_eq!(fields.phone.as_deref(), Some("+86 10 6234 5678"));
        assert_eq!(fields.website.as_deref(), Some("https://acme.com.cn/about"));
        assert_eq!(fields.credit_code.as_deref(), Some("91350100M000100Y43"));
        assert_eq!(fields.tags, ["VIP", "重点"]);
    }

    #[test]
    fn mobile_numbers_and_foreign_numbers() {
        assert_eq!(
            normalize_phone("13812345678").as_deref(),
            Some("+86 138 1234 5678")
        );
        assert!(normalize_phone("+1 650 253 0000").is_some());
        assert_eq!(
            phone_e164("138 1234 5678").as_deref(),
            Some("+8613812345678")
        );
    }

    #[test]
    fn split_tags_accepts_chinese_commas() {
        assert_eq!(split_tags("a，b、c, d"), ["a", "b", "c", "d"]);
    }

    #[test]
    fn changes_lists_only_changed_fields() {
        let a = input("A").validate().unwrap();
        let mut b = a.clone();
        b.name = "B".into();
        b.grade = Some(Grade::A);
        let diff = changes(&a, &b);
        assert_eq!(
            diff,
            vec![
                ("name", Some("A".into()), Some("B".into())),
                ("grade", None, Some("A".into()))
            ]
        );
    }
}
