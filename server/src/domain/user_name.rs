use crate::error::{Error, Result};

/// 3–32 letters, digits, `_`, `.` or `-`. Unique ignoring case: [`UserName::key`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub fn parse(raw: &str) -> Result<Self> {
        let len = raw.chars().count();
        if !(3..=32).contains(&len) {
            return Err(Error::invalid("user name must be 3 to 32 characters long"));
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-')))
        {
            return Err(Error::invalid(format!(
                "user name may contain only letters, digits, '_', '.' and '-' (found {bad:?})"
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that the unique index holds.
    pub fn key(&self) -> String {
        key_of(&self.0)
    }
}

/// Case-folded key of a name as typed at sign-in (which is not validated: an invalid
/// name simply matches no user).
pub fn key_of(raw: &str) -> String {
    raw.to_lowercase()
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
