//! What every handler and background task shares.

use crate::{
    auth::JwtKeys,
    chat::{Chat, Rules},
    db::Db,
    delivery::{AckBuffer, EventFeed, StreamRegistry},
    settings::Settings,
};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub jwt: Arc<JwtKeys>,
    /// What the chat rules use (the database and their settings), and nothing else.
    pub chat: Chat,
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
        let chat = Chat {
            db: db.clone(),
            rules: Arc::new(Rules::new(&settings.chat)),
        };
        Self {
            db,
            settings,
            jwt,
            chat,
            feed: EventFeed::default(),
            streams: StreamRegistry::default(),
            acks: AckBuffer::default(),
            shutdown,
        }
    }
}
