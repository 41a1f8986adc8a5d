//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters whose last
//! one is a check character computed from the other 17.

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters of a code, or `None` if one of them is not
/// in the code's alphabet.
pub fn check_character(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, &b) in bytes.iter().enumerate() {
        sum += value_of(b)? * WEIGHTS[i];
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

/// Normalises (trim, upper-case) and validates a code; returns the normalised code.
pub fn parse(input: &str) -> Option<String> {
    let code = input.trim().to_ascii_uppercase();
    if code.len() != 18 || !code.is_ascii() {
        return None;
    }
    let expected = check_character(&code[..17])?;
    (code.as_bytes()[17] as char == expected).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_published_codes() {
        // Codes printed on public business licences.
        for code in [
            "91350100M000100Y43",
            "91110000802100433B",
            "91440300708461136T",
        ] {
            assert_eq!(parse(code).as_deref(), Some(code), "{code}");
        }
        assert_eq!(
            parse(" 91350100m000100y43 ").as_deref(),
            Some("91350100M000100Y43")
        );
    }

    #[test]
    fn rejects_wrong_check_character_length_and_alphabet() {
        assert!(parse("91350100M000100Y44").is_none());
        assert!(parse("91350100M000100Y4").is_none());
        assert!(parse("91350100M000100I43").is_none());
        assert!(parse("").is_none());
        assert!(parse("九一三五〇一〇〇M000100Y43").is_none());
    }

    proptest! {
        #[test]
        fn every_generated_code_validates(body in "[0-9A-HJ-NPQRTUWXY]{17}") {
            let check = check_character(&body).unwrap();
            let code = format!("{body}{check}");
            prop_assert_eq!(parse(&code), Some(code.clone()));
            // Changing the check character always breaks it.
            let wrong = ALPHABET.iter().map(|&b| b as char).find(|&c| c != check).unwrap();
            let broken = format!("{}{}", body, wrong);
            prop_assert!(parse(&broken).is_none());
        }
    }
}
