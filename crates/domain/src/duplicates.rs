//! Duplicate keys: the normalised values by which two records, of one object or of two
//! (a lead and an account), are taken for the same company or person. An object declares
//! which of its fields are keys and of what kind (`ObjectSpec::duplicate_keys`); records of
//! any objects are compared kind by kind — a lead's company against an account's name, a
//! lead's mobile against a contact's mobile or phone — so the conversion's check and any
//! later duplicate rule share one definition.

use crate::fields::FieldDef;
use crate::objects::ObjectSpec;

/// What a key identifies, and so how its values are normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyKind {
    /// A company's name without its legal-form suffix (有限公司, Co., Ltd.), folded, with
    /// spaces and punctuation dropped: 深圳华为技术有限公司 = 深圳华为技术 = 深圳 华为技术.
    CompanyName,
    /// The unified social credit code (统一社会信用代码), upper-cased.
    CreditCode,
    /// A phone number in E.164 (`+8613800138000`), a Chinese number unless it has a code.
    Phone,
    /// An e-mail address, trimmed and lower-cased.
    Email,
}

impl KeyKind {
    pub fn key(self) -> &'static str {
        match self {
            KeyKind::CompanyName => "company_name",
            KeyKind::CreditCode => "credit_code",
            KeyKind::Phone => "phone",
            KeyKind::Email => "email",
        }
    }

    /// The normalised key of a value of this kind, `None` when it has nothing to compare (a
    /// name that is only a legal suffix, an empty text).
    pub fn normalise(self, text: &str) -> Option<String> {
        let key = match self {
            KeyKind::CompanyName => crate::search::strip_legal_suffix(text)
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect(),
            KeyKind::CreditCode => text
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_uppercase(),
            KeyKind::Phone => {
                let digits = text.chars().filter(char::is_ascii_digit).count();
                if digits < 5 {
                    return None;
                }
                crate::contact_details::phone_e164(text)?
            }
            KeyKind::Email => crate::validation::normalize_email(text),
        };
        (!key.is_empty()).then_some(key)
    }

    /// How candidates are found in the database: a company name by its search tokens (the
    /// suffix stripping is not a column), anything else by the stored value when the field
    /// has an index, else by its search tokens too.
    pub fn probe(self, field: &FieldDef) -> ProbeBy {
        match self {
            KeyKind::CompanyName => ProbeBy::Tokens,
            _ if field.indexed && field.column.is_some() => ProbeBy::Value,
            _ => ProbeBy::Tokens,
        }
    }
}

/// How a key's candidates are looked up: see [`KeyKind::probe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeBy {
    /// Records whose search tokens hold every token of the value.
    Tokens,
    /// Records whose field holds the value as the field stores it.
    Value,
}

/// A field declared as a duplicate key of its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuplicateKey {
    pub field: &'static str,
    pub kind: KeyKind,
}

/// One normalised key of a record: the field it came from, its kind and value, and the
/// text it was read from (what a token lookup searches for).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub field: String,
    pub kind: KeyKind,
    pub value: String,
    pub text: String,
}

/// The keys of a record of `spec`, from its texts by field key.
pub fn keys<'a>(spec: &ObjectSpec, text: impl Fn(&str) -> Option<&'a str>) -> Vec<Key> {
    let mut out: Vec<Key> = spec
        .duplicate_keys
        .iter()
        .filter_map(|k| {
            let raw = text(k.field)?;
            let value = k.kind.normalise(raw)?;
            Some(Key {
                field: k.field.to_string(),
                kind: k.kind,
                value,
                text: raw.to_string(),
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The fields of a record of `spec` through which it matches the `wanted` keys (of a record
/// of any object): each field whose key has the same kind and value as one of them.
pub fn matching_fields(spec: &ObjectSpec, wanted: &[Key], candidate: &[Key]) -> Vec<String> {
    let mut fields: Vec<String> = candidate
        .iter()
        .filter(|c| spec.duplicate_keys.iter().any(|d| d.field == c.field))
        .filter(|c| {
            wanted
                .iter()
                .any(|w| w.kind == c.kind && w.value == c.value)
        })
        .map(|c| c.field.clone())
        .collect();
    fields.sort();
    fields.dedup();
    fields
}

/// The declared key fields of `spec` of one kind.
pub fn fields_of(spec: &ObjectSpec, kind: KeyKind) -> impl Iterator<Item = &FieldDef> {
    spec.duplicate_keys
        .iter()
        .filter(move |k| k.kind == kind)
        .filter_map(|k| spec.field(k.field))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::spec;
    use crate::permissions::ObjectKind;
    use std::collections::HashMap;

    fn keys_of(kind: ObjectKind, values: &[(&str, &str)]) -> Vec<Key> {
        let map: HashMap<&str, &str> = values.iter().copied().collect();
        keys(spec(kind).unwrap(), |k| map.get(k).copied())
    }

    #[test]
    fn company_names_match_without_legal_suffix_case_or_spacing() {
        let k = KeyKind::CompanyName;
        assert_eq!(
            k.normalise("深圳华为技术有限公司"),
            k.normalise("深圳华为技术")
        );
        assert_eq!(
            k.normalise("Acme Trading Co., Ltd."),
            k.normalise("ACME trading")
        );
        assert_eq!(k.normalise("ＡＣＭＥ Trading"), k.normalise("acme trading"));
        assert_ne!(k.normalise("华为"), k.normalise("中兴"));
        assert_eq!(k.normalise("  "), None);
    }

    #[test]
    fn phones_emails_and_codes_are_normalised() {
        assert_eq!(
            KeyKind::Phone.normalise("138 0013 8000"),
            Some("+8613800138000".into())
        );
        assert_eq!(
            KeyKind::Phone.normalise("+86 138-0013-8000"),
            Some("+8613800138000".into())
        );
        assert_eq!(KeyKind::Phone.normalise("12"), None);
        assert_eq!(
            KeyKind::Email.normalise(" Li@Example.COM "),
            Some("li@example.com".into())
        );
        assert_eq!(
            KeyKind::CreditCode.normalise("91350100m000100y43"),
            Some("91350100M000100Y43".into())
        );
    }

    #[test]
    fn a_lead_matches_an_account_and_a_contact_kind_by_kind() {
        let lead = keys_of(
            ObjectKind::Lead,
            &[
                ("company", "杭州云帆科技有限公司"),
                ("mobile", "13800138000"),
                ("email", "wang@yunfan.cn"),
            ],
        );
        let account = keys_of(
            ObjectKind::Account,
            &[("name", "杭州云帆科技"), ("phone", "+86 571 8888 0000")],
        );
        let accounts = spec(ObjectKind::Account).unwrap();
        assert_eq!(matching_fields(accounts, &lead, &account), ["name"]);
        let contact = keys_of(
            ObjectKind::Contact,
            &[("phone", "+86 138 0013 8000"), ("email", "WANG@yunfan.cn")],
        );
        let contacts = spec(ObjectKind::Contact).unwrap();
        assert_eq!(
            matching_fields(contacts, &lead, &contact),
            ["email", "phone"]
        );
        let other = keys_of(ObjectKind::Contact, &[("mobile", "13900139000")]);
        assert!(matching_fields(contacts, &lead, &other).is_empty());
    }

    #[test]
    fn names_are_looked_up_by_tokens_and_indexed_values_by_value() {
        let accounts = spec(ObjectKind::Account).unwrap();
        let name = accounts.field("name").unwrap();
        let code = accounts.field("credit_code").unwrap();
        assert_eq!(KeyKind::CompanyName.probe(name), ProbeBy::Tokens);
        assert_eq!(KeyKind::CreditCode.probe(code), ProbeBy::Value);
        let contacts = spec(ObjectKind::Contact).unwrap();
        // A contact's phone has no index of its own: its digit grams find it.
        let phone = contacts.field("phone").unwrap();
        assert_eq!(KeyKind::Phone.probe(phone), ProbeBy::Tokens);
    }
}
