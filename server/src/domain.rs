//! Validated request values ("parse, don't validate"): once a handler holds one of these,
//! the rule (docs/api.md) it stands for has been checked.

mod content;
mod emoji;
mod ids;
mod room;
mod ssh_key;
mod user_name;

pub use content::{Content, ContentLimits};
pub use emoji::{Emoji, EmojiSet};
pub use ids::{ClientRequestId, MessageId, new_id};
pub use room::{LOBBY_ROOM_ID, RoomId, RoomKind, RoomName};
pub use ssh_key::{SshPublicKey, parse_comment as parse_key_comment};
pub use user_name::{Password, UserName, fold as fold_name, is_name_char};

/// Client input quoted in an error message: at most [`ECHO_CHARS`] characters of it, so a
/// 3 MB value yields a short error (not one too large to send), and is still recognisable.
pub fn quoted(raw: &str) -> String {
    match raw.char_indices().nth(ECHO_CHARS) {
        None => format!("{raw:?}"),
        Some((cut, _)) => format!("{:?}… ({} characters)", &raw[..cut], raw.chars().count()),
    }
}

/// How much of a bad value an error message repeats.
pub const ECHO_CHARS: usize = 64;

/// Milliseconds since the Unix epoch: every timestamp column holds this.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

pub fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoted_input_is_bounded() {
        assert_eq!(super::quoted("👍x"), "\"👍x\"");
        let long = "😀".repeat(1_000_000);
        let shown = super::quoted(&long);
        assert!(
            shown.chars().count() < 100,
            "{} characters",
            shown.chars().count()
        );
        assert!(shown.contains("1000000 characters"));
    }
}
