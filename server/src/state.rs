//! What every handler and background task shares.

use crate::{
    auth::JwtKeys,
    db::Db,
    delivery::{AckBuffer, EventFeed, Notifier, StreamRegistry},
    domain::{ContentLimits, EmojiSet},
    settings::Settings,
};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub jwt: Arc<JwtKeys>,
    pub emoji: EmojiSet,
    pub content_limits: ContentLimits,
    pub notifier: Notifier,
    pub feed: EventFeed,
    pub streams: StreamRegistry,
    pub acks: AckBuffer,
    /// Cancelled when the server starts shutting down; every stream listens for it.
    pub shutdown: CancellationToken,
}

impl AppState {
    pub fn new(db: Db, settings: Settings, jwt_secret: &[u8], shutdown: CancellationToken) -> Self {
        let jwt = Arc::new(JwtKeys::new(
            jwt_secret,
            settings.auth.access_token_ttl_secs,
        ));
        let emoji = EmojiSet::new(settings.chat.emoji.clone());
        let content_limits = ContentLimits {
            max_chars: settings.chat.max_content_chars,
            max_bytes: settings.chat.max_content_bytes,
        };
        Self {
            db,
            settings,
            jwt,
            emoji,
            content_limits,
            notifier: Notifier::default(),
            feed: EventFeed::default(),
            streams: StreamRegistry::default(),
            acks: AckBuffer::default(),
            shutdown,
        }
    }
}
