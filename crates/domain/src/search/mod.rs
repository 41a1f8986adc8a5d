//! Search tokens, computed by the application so that SQLite and PostgreSQL match the same
//! records: CJK bigrams (so two-character names like 华为 are found anywhere in a name), whole
//! words and the pinyin of Chinese names, which query words match by prefix ([`Term`]), and
//! digit runs. Legal-form suffixes are dropped first, so that 有限公司 or "Co., Ltd." neither
//! match everything nor crowd the index; queries are normalised the same way, so a company's
//! full legal name finds it.
//!
//! A word is stored once, marked with [`WORD_MARK`] (`~acme`), and so is every pinyin window
//! of a Chinese name (`~huaweijishu`, `~hwjs`: see [`pinyin`]); a query word of two or more
//! letters matches every marked token it begins, as an index range. Words holding digits keep
//! their prefixes as exact tokens too (`x5`, `ab12`), as queries with digits match exactly.
//!
//! Phone numbers are indexed by the digits of their national number alone, as every run of
//! [`DIGIT_GRAM`] digits (`+86 138 0013 8000`: the eight grams of `13800138000`, no more
//! tokens than the prefixes of its groups were). A query's run of four or more digits,
//! however grouped, and without a country code it carries, becomes its grams, which all
//! occur in the number it is part of. Digit runs of four or more in names get the same
//! grams. Grams can match a number holding them in another order (`1380 0138` for
//! `13800138`): rare, and a longer query makes it rarer.

pub mod pinyin;

/// Marks the tokens query words match by prefix: whole words and pinyin windows. No other
/// token holds it (tokens are made of letters and digits).
pub const WORD_MARK: char = '~';

/// What one part of a query must match among a record's tokens.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Term {
    /// This token exactly: a CJK bigram, a digit gram, a word with digits or of one letter.
    Token(String),
    /// Any marked token starting with this (the mark included): a word of letters, as a
    /// prefix of a stored word or of the pinyin of a Chinese name.
    Prefix(String),
}

impl Term {
    /// The first token the term matches, in byte order.
    pub fn low(&self) -> &str {
        match self {
            Term::Token(t) | Term::Prefix(t) => t,
        }
    }

    /// For a prefix, the first token after every token it matches (the prefix with its last
    /// character moved one up), so that it matches `low <= token < high`.
    pub fn high(&self) -> Option<String> {
        match self {
            Term::Token(_) => None,
            Term::Prefix(p) => {
                let mut chars: Vec<char> = p.chars().collect();
                let last = chars.pop()?;
                let next = char::from_u32(last as u32 + 1).unwrap_or(char::MAX);
                chars.push(next);
                Some(chars.into_iter().collect())
            }
        }
    }

    /// Whether `token` is one this term matches.
    pub fn matches(&self, token: &str) -> bool {
        match self {
            Term::Token(t) => t == token,
            Term::Prefix(p) => token.starts_with(p.as_str()),
        }
    }

    /// Whether a record with these tokens (sorted) has one this term matches.
    pub fn found_in(&self, sorted_tokens: &[String]) -> bool {
        let from = sorted_tokens.partition_point(|t| t.as_str() < self.low());
        sorted_tokens.get(from).is_some_and(|t| self.matches(t))
    }
}

/// Longest word prefix kept as a token; longer query words are cut to this length.
pub const MAX_PREFIX: usize = 16;

/// Length of the digit grams of phone numbers and long digit runs: the shortest run of
/// digits a query must have to find a number by any part of it.
pub const DIGIT_GRAM: usize = 4;

const LEGAL_SUFFIXES: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "分公司",
    "公司",
    "co., ltd.",
    "co.,ltd.",
    "co. ltd.",
    "co., ltd",
    "co.,ltd",
    "co ltd",
    "limited",
    "ltd.",
    "ltd",
    "inc.",
    "inc",
    "llc",
    "corp.",
    "corporation",
    "gmbh",
];

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Lower-cases and folds full-width ASCII (ＡＢＣ１２３) to half-width.
pub fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// A company name without its legal-form suffix, folded: the key for search and duplicates.
pub fn strip_legal_suffix(name: &str) -> String {
    let mut folded = fold(name).trim().to_string();
    // Repeat: "XX集团股份有限公司" loses both parts.
    loop {
        let before = folded.len();
        for suffix in LEGAL_SUFFIXES {
            if let Some(rest) = folded.strip_suffix(suffix) {
                let rest = rest.trim_end_matches([' ', ',', '(', '（']).to_string();
                if !rest.is_empty() {
                    folded = rest;
                }
                break;
            }
        }
        if folded.len() == before {
            return folded;
        }
    }
}

enum Run {
    Cjk(Vec<char>),
    Word(String),
}

fn runs(text: &str) -> Vec<Run> {
    let mut out = Vec::new();
    let mut cjk = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(Run::Word(std::mem::take(&mut word)));
            }
            cjk.push(c);
        } else if c.is_alphanumeric() {
            if !cjk.is_empty() {
                out.push(Run::Cjk(std::mem::take(&mut cjk)));
            }
            word.push(c);
        } else {
            if !word.is_empty() {
                out.push(Run::Word(std::mem::take(&mut word)));
            }
            if !cjk.is_empty() {
                out.push(Run::Cjk(std::mem::take(&mut cjk)));
            }
        }
    }
    if !word.is_empty() {
        out.push(Run::Word(word));
    }
    if !cjk.is_empty() {
        out.push(Run::Cjk(cjk));
    }
    out
}

/// The tokens stored for a name: every CJK bigram (a lone CJK character stands alone) and
/// the pinyin windows of each CJK run; each word marked whole (cut at MAX_PREFIX characters),
/// a one-character word as itself, and a word with digits also as every prefix of
/// 2..=MAX_PREFIX characters (with the grams of a long digit run).
pub fn index_tokens(name: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for run in runs(&strip_legal_suffix(name)) {
        match run {
            Run::Cjk(chars) => {
                if chars.len() == 1 {
                    tokens.push(chars[0].to_string());
                }
                for pair in chars.windows(2) {
                    tokens.push(pair.iter().collect());
                }
                tokens.extend(pinyin::windows(&chars));
            }
            Run::Word(word) => {
                let chars: Vec<char> = word.chars().collect();
                if chars.len() == 1 {
                    tokens.push(word);
                    continue;
                }
                let mut marked = String::from(WORD_MARK);
                marked.extend(chars.iter().take(MAX_PREFIX));
                tokens.push(marked);
                if chars.iter().any(char::is_ascii_digit) {
                    for end in 2..=chars.len().min(MAX_PREFIX) {
                        tokens.push(chars[..end].iter().collect());
                    }
                }
                if is_digits(&word) {
                    digit_grams(&word, &mut tokens);
                }
            }
        }
    }
    tokens.sort();
    tokens.dedup();
    tokens
}

fn is_digits(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit())
}

/// Appends every run of [`DIGIT_GRAM`] digits of `digits` (nothing when it is shorter).
fn digit_grams(digits: &str, tokens: &mut Vec<String>) {
    let bytes = digits.as_bytes();
    if bytes.len() >= DIGIT_GRAM {
        for gram in bytes.windows(DIGIT_GRAM) {
            tokens.push(String::from_utf8_lossy(gram).into_owned());
        }
    }
}

fn only_digits(text: &str) -> String {
    fold(text).chars().filter(char::is_ascii_digit).collect()
}

/// The digits a phone number is indexed by: its national number as dialled at home, with
/// the trunk prefix (`13800138000` for a mobile, `01062345678` for a Beijing line), or the
/// digits as stored when it is not a valid number.
fn national_digits(phone: &str) -> String {
    match phonenumber::parse(Some(phonenumber::country::Id::CN), phone) {
        Ok(parsed) if phonenumber::is_valid(&parsed) => only_digits(
            &parsed
                .format()
                .mode(phonenumber::Mode::National)
                .to_string(),
        ),
        _ => only_digits(phone),
    }
}

/// The tokens stored for a phone number: every run of [`DIGIT_GRAM`] digits of its national
/// number (eight for a Chinese mobile).
pub fn phone_tokens(phone: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    digit_grams(&national_digits(phone), &mut tokens);
    tokens.sort();
    tokens.dedup();
    tokens
}

/// The tokens stored for a record, from its searchable texts and whether each is a phone
/// number (its digit grams) or not (its name tokens).
pub fn record_tokens<'a>(texts: impl IntoIterator<Item = (&'a str, bool)>) -> Vec<String> {
    let mut tokens: Vec<String> = texts
        .into_iter()
        .flat_map(|(text, phone)| {
            if phone {
                phone_tokens(text)
            } else {
                index_tokens(text)
            }
        })
        .collect();
    tokens.sort_unstable();
    tokens.dedup();
    tokens
}

/// The tokens stored for an account: its name's and its phone number's.
pub fn account_tokens(name: &str, phone: Option<&str>) -> Vec<String> {
    record_tokens(std::iter::once((name, false)).chain(phone.map(|p| (p, true))))
}

/// The searchable texts of a record of `spec`, read by field key, each with whether it is
/// a phone number: the input of [`record_tokens`].
pub fn search_texts<'a>(
    spec: &crate::objects::ObjectSpec,
    text_of: impl Fn(&str) -> Option<&'a str>,
) -> Vec<(&'a str, bool)> {
    spec.search_fields()
        .filter_map(|f| {
            text_of(&f.key).map(|t| (t, f.field_type == crate::fields::FieldType::Phone))
        })
        .collect()
}

/// Characters that may group the digits of a phone number in a query.
fn is_phone_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')' | '+' | '/')
}

/// The digits a phone-like part of a query is looked up by, as stored numbers are indexed:
/// a whole number with its country code (`+86…`, `0086…`, or `86` and eleven digits) as its
/// national number; a part of one after `+86` without the country code; anything else as
/// its digits.
fn query_digits(part: &str) -> String {
    let digits: String = part.chars().filter(char::is_ascii_digit).collect();
    let plus = part.starts_with('+');
    let international = if plus || (digits.len() == 13 && digits.starts_with("86")) {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00")
    };
    if let Some(number) = international {
        let whole = format!("+{number}");
        if phonenumber::parse(None, &whole).is_ok_and(|p| phonenumber::is_valid(&p)) {
            return national_digits(&whole);
        }
        if let Some(national) = number.strip_prefix("86").filter(|_| plus) {
            return national.to_string();
        }
    }
    digits
}

/// Splits a folded query into its phone-like parts (digits grouped only by separators, with
/// at least [`DIGIT_GRAM`] digits in all, returned as [`query_digits`]) and the rest.
fn phone_parts(query: &str) -> (Vec<String>, String) {
    let mut phones = Vec::new();
    let mut rest = String::new();
    let mut words = query.split_whitespace().peekable();
    while let Some(word) = words.next() {
        let phone_like = |w: &str| {
            w.chars().any(|c| c.is_ascii_digit())
                && w.chars()
                    .all(|c| c.is_ascii_digit() || is_phone_separator(c))
        };
        if !phone_like(word) {
            rest.push(' ');
            rest.push_str(word);
            continue;
        }
        let mut group = vec![word];
        while let Some(next) = words.peek().filter(|w| phone_like(w)) {
            group.push(next);
            words.next();
        }
        let digits = query_digits(&group.concat());
        if digits.len() >= DIGIT_GRAM {
            phones.push(digits);
        } else {
            for w in group {
                rest.push(' ');
                rest.push_str(w);
            }
        }
    }
    (phones, rest)
}

/// The terms a query must all match, normalised as indexed texts are: folded, without the
/// legal-form suffix, a phone number (or any run of four or more digits) as its digit grams,
/// a word of two or more letters as a [`Term::Prefix`] of marked tokens. Empty when the query
/// has nothing searchable.
pub fn query_tokens(query: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    let mut grams = Vec::new();
    let (phones, rest) = phone_parts(&fold(query));
    for digits in phones {
        digit_grams(&digits, &mut grams);
    }
    terms.extend(grams.into_iter().map(Term::Token));
    for run in runs(&strip_legal_suffix(&rest)) {
        match run {
            Run::Cjk(chars) if chars.len() == 1 => terms.push(Term::Token(chars[0].to_string())),
            Run::Cjk(chars) => {
                for pair in chars.windows(2) {
                    terms.push(Term::Token(pair.iter().collect()));
                }
            }
            Run::Word(word) => {
                let cut: String = word.chars().take(MAX_PREFIX).collect();
                let letters = cut.chars().count() >= 2 && !cut.chars().any(|c| c.is_ascii_digit());
                terms.push(if letters {
                    Term::Prefix(format!("{WORD_MARK}{cut}"))
                } else {
                    Term::Token(cut)
                });
            }
        }
    }
    terms.sort();
    terms.dedup();
    // A prefix that another begins with asks nothing more of a record.
    let prefixes: Vec<String> = terms
        .iter()
        .filter_map(|t| match t {
            Term::Prefix(p) => Some(p.clone()),
            Term::Token(_) => None,
        })
        .collect();
    terms.retain(|t| match t {
        Term::Prefix(p) => !prefixes.iter().any(|o| o != p && o.starts_with(p.as_str())),
        Term::Token(_) => true,
    });
    terms
}

/// How well a record's name answers a query, best first: the whole name, then a name that
/// starts with the query (its text, or the pinyin or initials of its first characters), then
/// any other match. Sorting by it puts the record a user is typing the name of on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    WholeName,
    NameStart,
    Elsewhere,
}

/// The [`Rank`] of a record named `name` for `query`, both normalised as tokens are (folded,
/// without the legal-form suffix and the characters between words).
pub fn rank(name: &str, query: &str) -> Rank {
    let compact = |text: &str| -> String {
        strip_legal_suffix(text)
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect()
    };
    let (name, query) = (compact(name), compact(&fold(query)));
    if query.is_empty() {
        return Rank::Elsewhere;
    }
    if name == query {
        return Rank::WholeName;
    }
    if name.starts_with(&query) {
        return Rank::NameStart;
    }
    let leading: Vec<char> = name.chars().take_while(|&c| is_cjk(c)).collect();
    let starts = pinyin::windows_from_start(&leading);
    if starts.iter().any(|w| {
        w.strip_prefix(WORD_MARK)
            .is_some_and(|w| w.starts_with(&query))
    }) {
        return Rank::NameStart;
    }
    Rank::Elsewhere
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a record with tokens `index` is found by `query`.
    fn found(index: &[String], query: &str) -> bool {
        let q = query_tokens(query);
        let mut index = index.to_vec();
        index.sort();
        !q.is_empty() && q.iter().all(|t| t.found_in(&index))
    }

    fn matches(name: &str, query: &str) -> bool {
        found(&index_tokens(name), query)
    }

    #[test]
    fn two_character_chinese_names_match_anywhere() {
        assert!(matches("深圳华为技术有限公司", "华为"));
        assert!(matches("深圳华为技术有限公司", "华为技术"));
        assert!(!matches("深圳华为技术有限公司", "华技"));
        assert!(!matches("深圳华为技术有限公司", "有限公司"));
    }

    #[test]
    fn latin_words_match_by_prefix_case_and_width_insensitively() {
        assert!(matches("Acme Robotics Co., Ltd.", "acme"));
        assert!(matches("Acme Robotics Co., Ltd.", "ROBO"));
        assert!(matches("ＡＣＭＥ", "acm"));
        assert!(!matches("Acme Robotics Co., Ltd.", "ltd"));
        assert!(matches("联想Lenovo集团", "lenovo"));
    }

    #[test]
    fn strips_stacked_suffixes() {
        assert_eq!(
            strip_legal_suffix("腾讯科技(深圳)有限公司"),
            "腾讯科技(深圳)"
        );
        assert_eq!(
            strip_legal_suffix("Huawei Technologies Co., Ltd."),
            "huawei technologies"
        );
        assert_eq!(strip_legal_suffix("有限公司"), "有限公司");
    }

    #[test]
    fn full_legal_names_find_the_company() {
        assert!(matches("深圳华为技术有限公司", "深圳华为技术有限公司"));
        assert!(matches("深圳华为技术有限公司", "华为技术有限公司"));
        assert!(matches("深圳华为技术有限公司", "深圳华为技术股份有限公司"));
        assert!(matches(
            "Huawei Technologies Co., Ltd.",
            "huawei technologies co., ltd."
        ));
        assert!(matches("华为 Ltd", "华为 Ltd"));
        assert_eq!(
            query_tokens("深圳华为技术有限公司"),
            query_tokens("深圳华为技术")
        );
    }

    fn phone_matches(phone: &str, query: &str) -> bool {
        found(&phone_tokens(phone), query)
    }

    #[test]
    fn phone_numbers_match_by_digits_however_grouped() {
        let stored = "+86 138 0013 8000";
        for query in [
            "13800138000",
            "+8613800138000",
            "+86 138 0013 8000",
            "138-0013-8000",
            "138 0013",
            "0013 8000",
            "1380",
            "8000",
            "+86 138 0013",
            "0086 138 0013 8000",
            "8613800138000",
            "(138) 0013",
        ] {
            assert!(phone_matches(stored, query), "{query}");
        }
        assert!(!phone_matches(stored, "13800138009"));
        assert!(!phone_matches(stored, "1390"));
        // A landline as it is dialled at home and from abroad.
        assert!(phone_matches("+86 10 6234 5678", "010-62345678"));
        assert!(phone_matches("+86 10 6234 5678", "+86 10 62345678"));
        assert!(phone_matches("010 6234 5678", "6234 5678"));
        // Stored as typed, not normalised.
        assert!(phone_matches("13800138000", "+86 138 0013 8000"));
        assert!(phone_tokens("+86 138 0013 8000").len() <= 8);
        // Another country's number, with its code or as dialled there.
        assert!(phone_matches("+1 650 253 0000", "+1 (650) 253-0000"));
        assert!(phone_matches("+1 650 253 0000", "253 0000"));
    }

    #[test]
    fn long_digit_runs_in_names_match_anywhere() {
        assert!(matches("Room 12345", "2345"));
        assert!(matches("Room 12345", "12345"));
        assert!(matches("Room 12345", "12"));
        assert!(!matches("Room 12345", "1235"));
    }

    proptest::proptest! {
        /// Any run of four or more digits of a stored mobile number finds it, whatever
        /// the number's and the query's grouping, and so does the number with its country
        /// code.
        #[test]
        fn any_digit_run_of_a_mobile_finds_it(
            rest in "[0-9]{9}",
            second in 3u8..=9,
            start in 0usize..8,
            len in 4usize..=11,
            stored_groups in proptest::sample::select(vec![&[3usize, 4, 4][..], &[11][..], &[3, 8][..]]),
            query_sep in proptest::sample::select(vec!["", " ", "-"]),
            query_group in 1usize..=5,
            international in proptest::bool::ANY,
        ) {
            let national = format!("1{second}{rest}");
            let mut stored = String::from(if international { "+86 " } else { "" });
            let mut at = 0;
            for g in stored_groups {
                stored.push_str(&national[at..at + g]);
                stored.push(' ');
                at += g;
            }
            // Stored numbers are validated (`accounts::normalize_phone`).
            proptest::prop_assume!(crate::contact_details::normalize_phone(&stored).is_some());
            let run = &national[start.min(11 - 4)..(start.min(11 - 4) + len).min(11)];
            proptest::prop_assume!(run.len() >= 4);
            let query: Vec<String> = run
                .as_bytes()
                .chunks(query_group)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            let query = query.join(query_sep);
            proptest::prop_assert!(phone_matches(&stored, &query), "{} / {}", stored, query);
            let full = format!("+86{national}");
            proptest::prop_assert!(phone_matches(&stored, &full), "{} / {}", stored, full);
        }
    }

    #[test]
    fn chinese_names_match_by_pinyin_and_initials_from_any_character() {
        for (name, query) in [
            ("中国移动通信集团有限公司", "zgyd"),
            ("中国移动通信集团有限公司", "zhongguoyidong"),
            ("中国移动通信集团有限公司", "yidong"),
            ("深圳华为技术有限公司", "huawei"),
            ("深圳华为技术有限公司", "huaw"),
            ("深圳华为技术有限公司", "hw"),
            ("深圳华为技术有限公司", "hwjs"),
            ("深圳华为技术有限公司", "华为 jishu"),
            ("深圳华为技术有限公司", "shenzhen huawei"),
            ("张三", "zhangsan"),
            ("张三", "zs"),
            ("张三", "zhangs"),
            ("张三", "ZhangSan"),
            ("重庆钢铁", "chongqing"),
            ("联想Lenovo集团", "lianxiang lenovo"),
        ] {
            assert!(matches(name, query), "{query} should find {name}");
        }
        for (name, query) in [
            ("深圳华为技术有限公司", "zgyd"),
            ("张三", "zhangsi"),
            ("张三", "zx"),
            // Letters of two characters that do not follow each other.
            ("深圳华为技术有限公司", "szjs"),
        ] {
            assert!(!matches(name, query), "{query} should not find {name}");
        }
        assert!(matches("深圳华为技术有限公司", "szhwjs"));
    }

    #[test]
    fn words_of_letters_match_by_prefix_and_words_with_digits_exactly() {
        assert!(matches("Acme X5 Robotics", "x5"));
        assert!(matches("Acme X5 Robotics", "robot"));
        assert!(matches("Model AB12", "ab"));
        assert!(matches("Model AB12", "ab1"));
        assert!(!matches("Model AB12", "ab2"));
        assert_eq!(
            query_tokens("rob robot"),
            vec![Term::Prefix("~robot".into())],
            "a prefix another query word begins with asks nothing more"
        );
        assert_eq!(Term::Prefix("~az".into()).high().as_deref(), Some("~a{"));
    }

    #[test]
    fn whole_names_rank_before_name_starts_before_the_rest() {
        assert_eq!(rank("华为", "华为"), Rank::WholeName);
        assert_eq!(rank("华为技术有限公司", "华为技术"), Rank::WholeName);
        assert_eq!(rank("华为技术有限公司", "华为"), Rank::NameStart);
        assert_eq!(rank("华为技术有限公司", "hwjs"), Rank::NameStart);
        assert_eq!(rank("华为技术有限公司", "huawei"), Rank::NameStart);
        assert_eq!(rank("深圳华为技术有限公司", "huawei"), Rank::Elsewhere);
        assert_eq!(rank("深圳华为技术有限公司", "华为"), Rank::Elsewhere);
        assert_eq!(rank("Acme Robotics", "acme"), Rank::NameStart);
        assert_eq!(rank("Acme Robotics", "acme robotics"), Rank::WholeName);
        assert_eq!(rank("Acme Robotics", "robotics"), Rank::Elsewhere);
        assert!(Rank::WholeName < Rank::NameStart && Rank::NameStart < Rank::Elsewhere);
    }

    #[test]
    fn single_characters_are_tokens() {
        assert!(matches("A 公司 东", "东"));
        assert!(query_tokens("  ,  ").is_empty());
    }
}
