//! Search tokens, computed by the application so that SQLite and PostgreSQL match the same
//! records: CJK bigrams (so two-character names like 华为 are found anywhere in a name) and
//! prefixes of Latin words and digit runs. Legal-form suffixes are dropped first, so that
//! 有限公司 or "Co., Ltd." neither match everything nor crowd the index.

/// Longest word prefix kept as a token; longer query words are cut to this length.
pub const MAX_PREFIX: usize = 16;

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
/// every prefix of 2..=MAX_PREFIX characters of each word (a one-character word stands alone).
pub fn index_tokens(name: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for run in runs(&strip_legal_suffix(name)) {
        match run {
            Run::Cjk(chars) if chars.len() == 1 => tokens.push(chars[0].to_string()),
            Run::Cjk(chars) => {
                for pair in chars.windows(2) {
                    tokens.push(pair.iter().collect());
                }
            }
            Run::Word(word) => {
                let chars: Vec<char> = word.chars().collect();
                if chars.len() == 1 {
                    tokens.push(word);
                } else {
                    for end in 2..=chars.len().min(MAX_PREFIX) {
                        tokens.push(chars[..end].iter().collect());
                    }
                }
            }
        }
    }
    tokens.sort();
    tokens.dedup();
    tokens
}

/// The tokens a query must all match. Empty when the query has nothing searchable.
pub fn query_tokens(query: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for run in runs(&fold(query)) {
        match run {
            Run::Cjk(chars) if chars.len() == 1 => tokens.push(chars[0].to_string()),
            Run::Cjk(chars) => {
                for pair in chars.windows(2) {
                    tokens.push(pair.iter().collect());
                }
            }
            Run::Word(word) => tokens.push(word.chars().take(MAX_PREFIX).collect()),
        }
    }
    tokens.sort();
    tokens.dedup();
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(name: &str, query: &str) -> bool {
        let index = index_tokens(name);
        let q = query_tokens(query);
        !q.is_empty() && q.iter().all(|t| index.contains(t))
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
    fn single_characters_are_tokens() {
        assert!(matches("A 公司 东", "东"));
        assert!(query_tokens("  ,  ").is_empty());
    }
}
