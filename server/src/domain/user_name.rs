//! User names, and when two of them are the same name.
//!
//! Two names are one if a reader could not tell them apart: the fullwidth `ａｌｉｃｅ`,
//! `ALICE`, and a Cyrillic `аlice` must not become three users beside `alice`. So a name
//! is taken in its NFKC form (fullwidth letters, circled digits and ligatures become the
//! plain ones), must be written in one script (Latin and Cyrillic may not mix; Japanese
//! kana with kanji is one script), is unique by its full case folding (`straße` is
//! `STRASSE`), and is refused when its confusable skeleton (Unicode TR39) matches an
//! existing name's (an all-Cyrillic `асе` looks like `ace`).

use crate::error::{Error, Result};
use unicode_normalization::UnicodeNormalization;
use unicode_security::MixedScript;

/// 3–32 letters, digits, `_`, `.` or `-`, in one script, kept in NFKC form. Unique by
/// [`UserName::key`], and not confusable with another: [`UserName::skeleton`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub fn parse(raw: &str) -> Result<Self> {
        check_shape(raw)?;
        let name: String = raw.nfkc().collect();
        // NFKC can turn an allowed character into forbidden ones ("⑴" is "(1)").
        check_shape(&name)?;
        if !name.as_str().is_single_script() {
            return Err(Error::invalid(
                "user name must be written in one script (do not mix e.g. Latin and Cyrillic)",
            ));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that the unique index holds.
    pub fn key(&self) -> String {
        fold(&self.0)
    }

    /// What the name looks like, whatever the script: names with the same skeleton are
    /// too alike to tell apart, so only the first of them may exist.
    pub fn skeleton(&self) -> String {
        unicode_security::skeleton(&self.key()).collect()
    }
}

/// Full case folding, then NFKC: the one way names (of users and of rooms) compare.
pub fn fold(name: &str) -> String {
    caseless::default_case_fold_str(name).nfkc().collect()
}

/// A character that may appear in a user or room name (so `@name` ends at any other).
pub fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-')
}

fn check_shape(raw: &str) -> Result<()> {
    let len = raw.chars().count();
    if !(3..=32).contains(&len) {
        return Err(Error::invalid("user name must be 3 to 32 characters long"));
    }
    if let Some(bad) = raw.chars().find(|c| !is_name_char(*c)) {
        return Err(Error::invalid(format!(
            "user name may contain only letters, digits, '_', '.' and '-' (found {bad:?})"
        )));
    }
    Ok(())
}

/// 8–128 characters.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self> {
        let len = raw.chars().count();
        if !(8..=128).contains(&len) {
            return Err(Error::invalid("password must be 8 to 128 characters long"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    #[test]
    fn valid_names_are_accepted() {
        for name in ["bob", "Alice_1", "a.b-c", "ünïcödé", &"x".repeat(32)] {
            assert!(UserName::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn names_outside_the_rules_are_invalid_arguments() {
        for name in [
            "ab",
            "",
            &"x".repeat(33),
            "has space",
            "semi;colon",
            "emoji👍",
        ] {
            let err = UserName::parse(name).expect_err(name);
            assert_eq!(err.code(), Code::InvalidArgument, "{name}");
        }
    }

    #[test]
    fn the_error_says_which_rule() {
        let err = UserName::parse("ab").expect_err("too short");
        assert!(err.to_string().contains("3 to 32"));
        let err = UserName::parse("a b c").expect_err("space");
        assert!(err.to_string().contains("letters, digits"));
    }

    #[test]
    fn keys_ignore_case() {
        let a = UserName::parse("Alice").expect("valid");
        let b = UserName::parse("aLICE").expect("valid");
        assert_eq!(a.key(), b.key());
    }

    fn key(name: &str) -> String {
        UserName::parse(name).expect(name).key()
    }

    fn skeleton(name: &str) -> String {
        UserName::parse(name).expect(name).skeleton()
    }

    #[test]
    fn compatibility_forms_and_full_case_folding_are_the_same_name() {
        assert_eq!(key("ａｌｉｃｅ"), key("alice"), "fullwidth");
        assert_eq!(UserName::parse("ａｌｉｃｅ").expect("ok").as_str(), "alice");
        assert_eq!(key("straße"), key("STRASSE"), "ß folds to ss");
        assert_eq!(key("bob①"), key("bob1"), "circled digit");
        assert_eq!(key("ﬁsh"), key("fish"), "ligature");
    }

    #[test]
    fn look_alikes_in_another_script_share_a_skeleton() {
        // All Cyrillic: а (U+0430), с (U+0441), е (U+0435).
        assert_eq!(skeleton("асе"), skeleton("ace"));
        assert_ne!(key("асе"), key("ace"));
        assert_eq!(skeleton("paypal"), skeleton("PAYPAL"));
        assert_ne!(skeleton("alice"), skeleton("bob"));
    }

    #[test]
    fn names_mixing_scripts_are_refused() {
        // Latin with one Cyrillic а.
        let err = UserName::parse("\u{430}lice").expect_err("mixed");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert!(err.to_string().contains("one script"));
        for ok in [
            "李小龍",
            "ひらがなカタカナ漢字",
            "Ünïcödé",
            "user_42",
            "Σωκράτης",
        ] {
            assert!(UserName::parse(ok).is_ok(), "{ok}");
        }
        assert!(
            UserName::parse("a⑴b").is_err(),
            "NFKC brings in parentheses"
        );
    }

    #[test]
    fn password_length_is_checked_in_characters() {
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse(&"p".repeat(128)).is_ok());
        assert!(Password::parse(&"p".repeat(129)).is_err());
        assert!(Password::parse("ääääääää").is_ok());
    }

    #[test]
    fn password_debug_hides_the_value() {
        let p = Password::parse("hunter22").expect("valid");
        assert!(!format!("{p:?}").contains("hunter22"));
    }
}
