//! Normalising the contact details of records: phone numbers (E.164 and international
//! format, default region CN) and websites. Used by the `phone` and `url` field types.

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

    #[test]
    fn mobile_numbers_and_foreign_numbers() {
        assert_eq!(
            normalize_phone("13812345678").as_deref(),
            Some("+86 138 1234 5678")
        );
        assert_eq!(
            normalize_phone("010-62345678").as_deref(),
            Some("+86 10 6234 5678")
        );
        assert!(normalize_phone("+1 650 253 0000").is_some());
        assert!(normalize_phone("12").is_none());
        assert_eq!(
            phone_e164("138 1234 5678").as_deref(),
            Some("+8613812345678")
        );
    }

    #[test]
    fn websites_get_a_scheme() {
        assert_eq!(
            normalize_website("acme.com.cn/about").as_deref(),
            Some("https://acme.com.cn/about")
        );
        assert!(normalize_website("not a site").is_none());
        assert!(normalize_website("ftp://x.com").is_none());
    }
}
