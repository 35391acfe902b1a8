//! What the server's parts share, as the handles each needs: the service layer holds the
//! whole `AppState`, the chat rules get [`Chat`] only, delivery [`Delivery`] only, the
//! account rules [`Accounts`] only.

use crate::{
    accounts::Accounts,
    auth::JwtKeys,
    chat::{Chat, Rules},
    db::Db,
    delivery::Delivery,
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
    /// What delivery uses: the feed, the open streams, the buffered acks.
    pub delivery: Arc<Delivery>,
    /// What the account rules use: the database, their settings, the token keys.
    pub accounts: Accounts,
    /// Cancelled when the server starts shutting down; every stream and background task
    /// listens for it (the same token as `delivery.shutdown`).
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
        let delivery = Arc::new(Delivery::new(
            db.clone(),
            settings.delivery.clone(),
            settings.auth.clone(),
            shutdown.clone(),
        ));
        let accounts = Accounts {
            db: db.clone(),
            settings: settings.auth.clone(),
            jwt: jwt.clone(),
            delivery: delivery.clone(),
        };
        Self {
            db,
            settings,
            jwt,
            chat,
            delivery,
            accounts,
            shutdown,
        }
    }
}
