//! Validated request values ("parse, don't validate"): once a handler holds one of these,
//! the rule in DESIGN.md §3 it stands for has been checked.

mod content;
mod emoji;
mod ids;
mod user_name;

pub use content::{Content, ContentLimits};
pub use emoji::{Emoji, EmojiSet};
pub use ids::{ClientRequestId, MessageId, new_id};
pub use user_name::{Password, UserName, key_of};

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
