//! Wake-ups across replicas (PostgreSQL only). Recording an event also sends
//! `pg_notify('chat_events', '<event id>')` on its transaction, which PostgreSQL delivers at
//! commit to every listening connection; each replica listens here and wakes its feed, so
//! a subscriber on one replica gets a post made on another at once, not at the next poll.
//!
//! The database stays the source of truth: a notification missed while the listening
//! connection is down costs only latency, because the feed still polls.

use crate::state::AppState;
use sea_orm::{
    ConnectionTrait, DbBackend, Statement,
    sqlx::{self, postgres::PgListener},
};
use std::{sync::Arc, time::Duration};

const CHANNEL: &str = "chat_events";
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Tells the other replicas (and this one) that `event_id` will be committed with the
/// transaction `db` is on. Nothing to do on SQLite, which is one process by nature.
pub async fn announce<C: ConnectionTrait>(db: &C, event_id: i64) -> Result<(), sea_orm::DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let notify = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), event_id.to_string().into()],
    );
    db.execute_raw(notify).await.map(drop)
}

/// Listens until shutdown, reconnecting after a failure. Returns at once on SQLite.
pub async fn listen(state: Arc<AppState>) {
    if state.db.backend() != DbBackend::Postgres {
        return;
    }
    loop {
        match relay(&state).await {
            Ok(()) => return,
            Err(e) => tracing::warn!(
                error = %e,
                "listening for other replicas' events failed; polling until it is back"
            ),
        }
        tokio::select! {
            () = state.shutdown.cancelled() => return,
            () = tokio::time::sleep(RETRY_AFTER) => {}
        }
    }
}

/// Wakes the feed on every notification; `Ok` at shutdown.
async fn relay(state: &AppState) -> Result<(), sqlx::Error> {
    let mut listener =
        PgListener::connect_with(state.db.conn().get_postgres_connection_pool()).await?;
    listener.listen(CHANNEL).await?;
    loop {
        tokio::select! {
            () = state.shutdown.cancelled() => return Ok(()),
            notification = listener.recv() => {
                match notification?.payload().parse::<i64>() {
                    Ok(event_id) => state.notifier.notify(event_id),
                    Err(_) => tracing::warn!("ignoring a malformed event notification"),
                }
            }
        }
    }
}
