use crate::error::{Error, Result};

/// The configured reactions. Their order is the order clients show them in.
#[derive(Clone, Debug)]
pub struct EmojiSet(Vec<String>);

/// A reaction from the configured set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emoji(String);

impl EmojiSet {
    pub fn new(emoji: Vec<String>) -> Self {
        Self(emoji)
    }

    /// `""` means the default reaction 👍.
    pub fn parse(&self, raw: &str) -> Result<Emoji> {
        let raw = if raw.is_empty() {
            chat_protocol::DEFAULT_EMOJI
        } else {
            raw
        };
        if self.0.iter().any(|e| e == raw) {
            Ok(Emoji(raw.to_owned()))
        } else {
            Err(Error::invalid(format!(
                "unknown reaction {}; allowed: {}",
                super::quoted(raw),
                self.0.join(" ")
            )))
        }
    }

    /// Position in the set, for sorting reaction chips; unknown (e.g. retired) emoji last.
    pub fn rank(&self, emoji: &str) -> usize {
        self.0.iter().position(|e| e == emoji).unwrap_or(usize::MAX)
    }
}

impl Emoji {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> EmojiSet {
        EmojiSet::new(vec!["👍".into(), "❤️".into(), "🎉".into()])
    }

    #[test]
    fn empty_means_thumbs_up() {
        assert_eq!(set().parse("").expect("default").as_str(), "👍");
    }

    #[test]
    fn emoji_outside_the_set_are_invalid() {
        for raw in ["💩", "x", "👍👍", "❤"] {
            assert!(set().parse(raw).is_err(), "{raw}");
        }
        assert!(set().parse("❤️").is_ok());
    }

    #[test]
    fn rank_follows_configuration_order() {
        let s = set();
        assert!(s.rank("👍") < s.rank("🎉"));
        assert_eq!(s.rank("💩"), usize::MAX);
    }
}
