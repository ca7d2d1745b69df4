//! What free text may contain. People type letters, digits, punctuation, emoji, tabs and
//! line breaks; control characters come only from broken clients or attacks, and NUL in
//! particular cannot be stored in PostgreSQL nor written in XML. They are refused where text
//! enters, on every field.

/// The first character of `s` that text may not contain, if any: C0 controls other than
/// tab, line feed and carriage return (a browser's line break is CR LF), DEL, and the C1
/// controls.
pub fn forbidden_char(s: &str) -> Option<char> {
    s.chars().find(|&c| is_forbidden(c))
}

fn is_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// Says which field holds a forbidden character and which one, for a clear 4xx.
pub fn check(field: &str, s: &str) -> Result<(), String> {
    match forbidden_char(s) {
        None => Ok(()),
        Some(c) => Err(format!(
            "{field} contains the control character U+{:04X}; only printable text, tabs and line breaks are accepted",
            c as u32
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn people_s_text_passes() {
        for s in ["临江街道 12号", "line one\nline two\r\nthree\tfour", "😀 emoji", "", "a\u{a0}b"] {
            assert_eq!(forbidden_char(s), None, "{s:?}");
        }
    }

    #[test]
    fn controls_are_named() {
        assert_eq!(forbidden_char("abc\u{0}def"), Some('\u{0}'));
        assert_eq!(forbidden_char("\u{1b}[31m"), Some('\u{1b}'));
        assert_eq!(forbidden_char("x\u{7f}"), Some('\u{7f}'));
        assert_eq!(forbidden_char("x\u{85}"), Some('\u{85}'));
        assert_eq!(check("description", "a\u{0}").unwrap_err().split(" contains").next(), Some("description"));
        assert!(check("description", "a\u{0}").unwrap_err().contains("U+0000"));
    }

    proptest! {
        /// Exactly the characters below U+0020 other than tab, LF and CR, and U+007F to U+009F.
        #[test]
        fn forbidden_is_exactly_the_controls(c in any::<char>()) {
            let control = (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') || (0x7f..=0x9f).contains(&(c as u32));
            prop_assert_eq!(forbidden_char(&c.to_string()).is_some(), control);
        }
    }
}
