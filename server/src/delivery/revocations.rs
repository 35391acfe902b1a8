//! Sessions ended from outside this process (`chat-server admin`: a disabled account, a
//! revoked session) must lose their open streams at once, not at the next per-stream
//! session check. The admin command bumps one `server_meta` row with the deletion; this
//! reads that row every poll interval (one indexed read) and, when it changed, checks the
//! sessions that have a stream here and ends those that are gone.

use crate::{delivery::Delivery, entity::server_meta, entity::session};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use std::{collections::HashSet, sync::Arc};

/// Sessions looked up per query.
const CHUNK: usize = 500;

pub async fn watch(delivery: Arc<Delivery>) {
    let mut seen = marker(&delivery).await;
    loop {
        tokio::select! {
            () = delivery.shutdown.cancelled() => return,
            () = tokio::time::sleep(delivery.settings.poll_interval()) => {}
        }
        let now = marker(&delivery).await;
        if now == seen {
            continue;
        }
        match end_missing(&delivery).await {
            Ok(ended) => {
                if ended > 0 {
                    tracing::info!(
                        ended,
                        "ended the streams of sessions revoked by an operator"
                    );
                }
                seen = now;
            }
            Err(e) => tracing::warn!(error = %e, "checking for revoked sessions failed; retrying"),
        }
    }
}

async fn marker(delivery: &Delivery) -> Option<String> {
    server_meta::Entity::find_by_id(server_meta::SESSIONS_REVOKED)
        .one(delivery.db.conn())
        .await
        .ok()
        .flatten()
        .map(|row| row.value)
}

async fn end_missing(delivery: &Delivery) -> Result<usize, sea_orm::DbErr> {
    let open = delivery.streams.session_ids();
    let mut ended = 0;
    for chunk in open.chunks(CHUNK) {
        let alive: HashSet<String> = session::Entity::find()
            .select_only()
            .column(session::Column::Id)
            .filter(session::Column::Id.is_in(chunk.iter().cloned()))
            .into_tuple::<String>()
            .all(delivery.db.conn())
            .await?
            .into_iter()
            .collect();
        for id in chunk.iter().filter(|id| !alive.contains(*id)) {
            delivery.streams.end_signed_out(id);
            ended += 1;
        }
    }
    Ok(ended)
}
