//! The chat rules: rooms and their members, posting behind each room's send gate,
//! reacting, editing and deleting, reading messages; every change is recorded as an event
//! (see [`crate::events`]).

pub mod edits;
pub mod gate;
pub mod membership;
pub mod mentions;
pub mod messages;
pub mod reactions;
pub mod rooms;
pub mod snapshot;

use crate::{
    db::Db,
    domain::{ContentLimits, EmojiSet},
    settings::ChatSettings,
};
use std::sync::Arc;

/// Everything the chat rules use: the database and their settings. They see nothing of
/// delivery or accounts (an event reaches subscribers through the commit).
#[derive(Clone)]
pub struct Chat {
    pub db: Db,
    pub rules: Arc<Rules>,
}

/// What the rules need from the settings, checked once at start.
pub struct Rules {
    pub emoji: EmojiSet,
    pub content_limits: ContentLimits,
    /// Distinct other users who must react before the author may post again.
    pub required_reactions: u32,
}

impl Rules {
    pub fn new(chat: &ChatSettings) -> Self {
        Self {
            emoji: EmojiSet::new(chat.emoji.clone()),
            content_limits: ContentLimits {
                max_chars: chat.max_content_chars,
                max_bytes: chat.max_content_bytes,
            },
            required_reactions: chat.required_reactions,
        }
    }
}
