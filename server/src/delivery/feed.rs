//! The process-wide event feed: one task reads newly committed events from the `events`
//! table — one query per wake-up for the whole process, not one per subscriber — decodes
//! each once, and broadcasts it to every live stream in this process.
//!
//! Reading by id is gap-free because event-producing transactions commit one at a time
//! in id order (the ordering lock, which on PostgreSQL spans replicas): once id N is
//! visible, every lower id is visible or was rolled back. So the feed also carries events
//! committed by other replicas: `replicas` wakes it for them on PostgreSQL, and the poll
//! interval bounds how late they are when a wake-up is lost.

use crate::{
    delivery::Delivery,
    entity::event,
    error::Result,
    events::{self, Audience},
};
use chat_protocol::{chat::v1 as pb, wire::EncodedEvent};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, Func},
};
use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};
use tokio::sync::broadcast;

/// Events buffered for streams that fall behind; past that a stream catches up from its
/// queue in the database.
const CAPACITY: usize = 4096;
const BATCH: u64 = 1000;

pub type FeedItem = Arc<FeedEvent>;

/// An event as every live stream gets it: decoded once (to judge its audience and
/// membership changes) and encoded once (what each stream sends), with who may receive it.
pub struct FeedEvent {
    pub event: pb::Event,
    pub wire: EncodedEvent,
    /// `None`: an audience this server does not know (a newer one's); nobody here gets it.
    pub audience: Option<Audience>,
}

pub struct EventFeed {
    tx: broadcast::Sender<FeedItem>,
    /// The highest id broadcast so far.
    published: AtomicI64,
}

impl Default for EventFeed {
    fn default() -> Self {
        Self {
            tx: broadcast::Sender::new(CAPACITY),
            published: AtomicI64::new(0),
        }
    }
}

impl EventFeed {
    pub fn subscribe(&self) -> broadcast::Receiver<FeedItem> {
        self.tx.subscribe()
    }

    /// Starts after the newest event committed so far: older ones reach streams through
    /// their queues.
    pub async fn start_at_latest(&self, delivery: &Delivery) -> Result<()> {
        let latest: Option<Option<i64>> = event::Entity::find()
            .select_only()
            .expr(Func::max(Expr::col(event::Column::Id)))
            .into_tuple()
            .one(delivery.db.conn())
            .await?;
        self.published
            .store(latest.flatten().unwrap_or(0), Ordering::Release);
        Ok(())
    }

    /// Reads and broadcasts everything committed past the last published id.
    pub async fn pull(&self, delivery: &Delivery) -> Result<()> {
        loop {
            let after = self.published.load(Ordering::Acquire);
            let rows: Vec<(i64, Vec<u8>, String)> = event::Entity::find()
                .select_only()
                .column(event::Column::Id)
                .column(event::Column::Payload)
                .column(event::Column::Audience)
                .filter(event::Column::Id.gt(after))
                .order_by_asc(event::Column::Id)
                .limit(BATCH)
                .into_tuple()
                .all(delivery.db.conn())
                .await?;
            let full = rows.len() as u64 == BATCH;
            for (id, payload, audience) in rows {
                let event = Arc::new(FeedEvent {
                    event: events::decode(id, &payload)?,
                    wire: events::encoded(id, &payload)?,
                    audience: Audience::parse(&audience),
                });
                self.published.store(id, Ordering::Release);
                // No receivers is fine: nobody is subscribed right now.
                let _ = self.tx.send(event);
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// Call [`EventFeed::start_at_latest`] first. Pulls on every commit notice (from this
    /// process or, on PostgreSQL, from another replica), and every poll interval as a
    /// safety net, until shutdown.
    pub async fn run(delivery: Arc<Delivery>) {
        let feed = &delivery.feed;
        let mut wake = delivery.db.notifier().subscribe();
        loop {
            wake.borrow_and_update();
            if let Err(e) = feed.pull(&delivery).await {
                tracing::warn!(error = %e, "reading new events failed; retrying");
            }
            tokio::select! {
                () = delivery.shutdown.cancelled() => return,
                changed = wake.changed() => if changed.is_err() { return },
                () = tokio::time::sleep(delivery.settings.poll_interval()) => {}
            }
        }
    }
}
