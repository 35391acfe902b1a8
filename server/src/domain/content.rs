use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug)]
pub struct ContentLimits {
    pub max_chars: usize,
    pub max_bytes: usize,
}

/// Message text: not blank, within the limits, kept exactly as sent (no trimming).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content(String);

impl Content {
    pub fn parse(raw: String, limits: ContentLimits) -> Result<Self> {
        if raw.trim().is_empty() {
            return Err(Error::invalid("message content must not be empty"));
        }
        if raw.len() > limits.max_bytes {
            return Err(Error::invalid(format!(
                "message content must be at most {} bytes",
                limits.max_bytes
            )));
        }
        if raw.chars().count() > limits.max_chars {
            return Err(Error::invalid(format!(
                "message content must be at most {} characters",
                limits.max_chars
            )));
        }
        Ok(Self(raw))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ContentLimits = ContentLimits {
        max_chars: 4000,
        max_bytes: 16 * 1024,
    };

    #[test]
    fn blank_content_is_rejected() {
        for raw in ["", " ", "\n\t  \r\n"] {
            assert!(Content::parse(raw.into(), LIMITS).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn content_is_kept_exactly() {
        let raw = "  two  spaces\n and a newline  ";
        let c = Content::parse(raw.into(), LIMITS).expect("valid");
        assert_eq!(c.into_inner(), raw);
    }

    #[test]
    fn character_and_byte_limits_both_apply() {
        assert!(Content::parse("x".repeat(4000), LIMITS).is_ok());
        assert!(Content::parse("x".repeat(4001), LIMITS).is_err());
        // Four-byte characters reach the byte limit before the character limit.
        let small = ContentLimits {
            max_chars: 4000,
            max_bytes: 100,
        };
        assert!(Content::parse("😀".repeat(25), small).is_ok());
        let err = Content::parse("😀".repeat(26), small).expect_err("too many bytes");
        assert!(err.to_string().contains("100 bytes"));
    }
}
