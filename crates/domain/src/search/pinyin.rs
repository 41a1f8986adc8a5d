//! Pinyin readings of Chinese names for search (`zgyd` and `zhongguoyidong` find 中国移动).
//!
//! From every character of a run of Chinese characters, a name stores two *windows*: the full
//! pinyin of the characters from there on (`huaweijishu`) and their initials (`hwjs`), each cut
//! at [`MAX_PREFIX`](super::MAX_PREFIX) letters and marked with [`WORD_MARK`](super::WORD_MARK).
//! A query word of letters matches a window by prefix (an index range), so `hua`, `huaw` and
//! `huawei` all find 华为 as the user types, from any character of the name, with two tokens per
//! character instead of every prefix of every window. A character with several readings
//! (多音字: 曾 zeng/ceng, 重 zhong/chong) starts a window per reading — surnames and the first
//! character of a name are where users meet them; the characters after it take their most
//! common reading, as the readings' table gives no word context.

use super::{MAX_PREFIX, WORD_MARK};
use pinyin::{ToPinyin, ToPinyinMulti};

/// Readings a window may start with: a character's most common readings.
const MAX_READINGS: usize = 3;

/// A reading as users type it: ü as v (绿 lv), as pinyin input methods do.
fn typed(reading: &str) -> String {
    reading.replace('ü', "v")
}

/// The most common reading of `c`, as typed; none for a character the table does not know.
fn reading(c: char) -> Option<String> {
    c.to_pinyin().map(|p| typed(p.plain()))
}

/// The distinct readings of `c`, most common first, at most [`MAX_READINGS`].
fn readings(c: char) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(multi) = c.to_pinyin_multi() {
        for p in multi {
            let r = typed(p.plain());
            if !out.contains(&r) {
                out.push(r);
            }
            if out.len() == MAX_READINGS {
                break;
            }
        }
    }
    out
}

/// Appends `piece` to `window` up to the window's length limit; false when it is full.
fn extend(window: &mut String, letters: &mut usize, piece: &str) -> bool {
    for c in piece.chars() {
        if *letters == MAX_PREFIX {
            return false;
        }
        window.push(c);
        *letters += 1;
    }
    *letters < MAX_PREFIX
}

/// The marked pinyin windows of a run of Chinese characters: for each character and each of
/// its readings, the full pinyin and the initials from there on. Windows of one letter are
/// left out (a query word of one letter matches only a word of one letter).
pub fn windows(chars: &[char]) -> Vec<String> {
    // The common reading of each character, computed once for every window that spans it.
    let common: Vec<Option<String>> = chars.iter().map(|&c| reading(c)).collect();
    (0..chars.len())
        .flat_map(|start| windows_at(chars, &common, start))
        .collect()
}

/// The windows that start at the first character of `chars` (with each of its readings).
pub fn windows_from_start(chars: &[char]) -> Vec<String> {
    if chars.is_empty() {
        return Vec::new();
    }
    let common: Vec<Option<String>> = chars.iter().map(|&c| reading(c)).collect();
    windows_at(chars, &common, 0)
}

/// The full pinyin and the initials of `chars` in their most common readings, uncut
/// (`华为` → `huawei`, `hw`): what a user types for them. None when a character has no reading.
pub fn spell(chars: &[char]) -> Option<(String, String)> {
    let mut full = String::new();
    let mut initials = String::new();
    for &c in chars {
        let r = reading(c)?;
        initials.push_str(first_letter(&r));
        full.push_str(&r);
    }
    Some((full, initials))
}

fn first_letter(reading: &str) -> &str {
    &reading[..reading.chars().next().map_or(0, char::len_utf8)]
}

/// The windows starting at `chars[start]`: per reading of it, the full pinyin and the initials
/// of it and the characters after it (in their `common` readings).
fn windows_at(chars: &[char], common: &[Option<String>], start: usize) -> Vec<String> {
    let mut tokens = Vec::new();
    for first in readings(chars[start]) {
        let mut full = String::from(WORD_MARK);
        let mut initials = String::from(WORD_MARK);
        let (mut full_letters, mut initial_letters) = (0, 0);
        let mut full_open = extend(&mut full, &mut full_letters, &first);
        let mut initials_open = extend(&mut initials, &mut initial_letters, first_letter(&first));
        for next in &common[start + 1..] {
            let Some(next) = next else { break };
            if full_open {
                full_open = extend(&mut full, &mut full_letters, next);
            }
            if initials_open {
                initials_open = extend(&mut initials, &mut initial_letters, first_letter(next));
            }
            if !full_open && !initials_open {
                break;
            }
        }
        for (window, letters) in [(full, full_letters), (initials, initial_letters)] {
            if letters >= 2 {
                tokens.push(window);
            }
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(text: &str) -> Vec<String> {
        windows(&text.chars().collect::<Vec<_>>())
    }

    #[test]
    fn windows_start_at_every_character() {
        let w = of("中国移动");
        for expected in [
            "~zhongguoyidong",
            "~zgyd",
            "~guoyidong",
            "~gyd",
            "~yidong",
            "~yd",
            "~dong",
        ] {
            assert!(w.iter().any(|t| t == expected), "{expected} in {w:?}");
        }
        // One letter is no window.
        assert!(!w.iter().any(|t| t == "~d"));
    }

    #[test]
    fn windows_are_cut_at_the_prefix_limit() {
        let w = of("中华人民共和国国家");
        assert!(
            w.iter().all(|t| t.chars().count() <= MAX_PREFIX + 1),
            "{w:?}"
        );
        assert!(w.contains(&"~zhonghuarenmingo".to_string()), "{w:?}");
    }

    #[test]
    fn a_first_character_with_several_readings_starts_a_window_per_reading() {
        let w = of("曾经");
        assert!(w.contains(&"~zengjing".to_string()), "{w:?}");
        assert!(w.contains(&"~cengjing".to_string()), "{w:?}");
        let w = of("重庆");
        assert!(w.contains(&"~chongqing".to_string()), "{w:?}");
        assert!(w.contains(&"~cq".to_string()), "{w:?}");
    }

    #[test]
    fn spells_as_typed() {
        assert_eq!(
            spell(&"华为".chars().collect::<Vec<_>>()),
            Some(("huawei".into(), "hw".into()))
        );
    }

    #[test]
    fn u_umlaut_is_typed_as_v() {
        assert!(
            of("绿地").contains(&"~lvdi".to_string()),
            "{:?}",
            of("绿地")
        );
    }
}
