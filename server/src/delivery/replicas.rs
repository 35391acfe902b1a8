//! Wake-ups across replicas (PostgreSQL only). Recording an event also sends
//! `pg_notify('chat_events', '<event id>')` on its transaction (`events::record`), which PostgreSQL delivers at
//! commit to every listening connection; each replica listens here and wakes its feed, so
//! a subscriber on one replica gets a post made on another at once, not at the next poll.
//!
//! The database stays the source of truth: a notification missed while the listening
//! connection is down costs only latency, because the feed still polls.

use crate::delivery::Delivery;
use sea_orm::{
    DbBackend,
    sqlx::{self, postgres::PgListener},
};
use std::{sync::Arc, time::Duration};

const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Listens until shutdown, reconnecting after a failure. Returns at once on SQLite.
pub async fn listen(delivery: Arc<Delivery>) {
    if delivery.db.backend() != DbBackend::Postgres {
        return;
    }
    loop {
        match relay(&delivery).await {
            Ok(()) => return,
            Err(e) => tracing::warn!(
                error = %e,
                "listening for other replicas' events failed; polling until it is back"
            ),
        }
        tokio::select! {
            () = delivery.shutdown.cancelled() => return,
            () = tokio::time::sleep(RETRY_AFTER) => {}
        }
    }
}

/// Wakes the feed on every notification; `Ok` at shutdown.
async fn relay(delivery: &Delivery) -> Result<(), sqlx::Error> {
    let mut listener =
        PgListener::connect_with(delivery.db.conn().get_postgres_connection_pool()).await?;
    listener.listen(crate::events::CHANNEL).await?;
    loop {
        tokio::select! {
            () = delivery.shutdown.cancelled() => return Ok(()),
            notification = listener.recv() => {
                match notification?.payload().parse::<i64>() {
                    Ok(event_id) => delivery.db.notifier().notify(event_id),
                    Err(_) => tracing::warn!("ignoring a malformed event notification"),
                }
            }
        }
    }
}
