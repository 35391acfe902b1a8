//! Getting events to sessions: the in-process wake-up after each commit (and, on
//! PostgreSQL, from other replicas), the feed that reads each new event once for every
//! stream, the registry of open streams, the Subscribe stream itself, batched
//! acknowledgements, the janitor that keeps every queue bounded, and the watch that ends
//! the streams of sessions an operator ended from outside the process.

pub mod acks;
pub mod feed;
pub mod janitor;
pub mod presence;
pub mod queue;
pub mod registry;
pub mod replicas;
pub mod revocations;
pub mod subscription;

pub use acks::AckBuffer;
pub use feed::EventFeed;
pub use registry::StreamRegistry;

use crate::{
    db::Db,
    settings::{AuthSettings, DeliverySettings},
};
use tokio_util::sync::CancellationToken;

/// Everything delivery uses, and nothing of the chat rules: the database, its settings
/// (and the session-expiry ones the janitor applies), the feed, the open streams, the
/// buffered acks, and the shutdown token every stream and task watches.
pub struct Delivery {
    pub db: Db,
    pub settings: DeliverySettings,
    pub auth: AuthSettings,
    pub feed: EventFeed,
    pub streams: StreamRegistry,
    pub acks: AckBuffer,
    pub shutdown: CancellationToken,
    /// This process among the replicas on one database: its presence leases carry it.
    pub replica_id: String,
}

impl Delivery {
    pub fn new(
        db: Db,
        settings: DeliverySettings,
        auth: AuthSettings,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            db,
            settings,
            auth,
            feed: EventFeed::default(),
            streams: StreamRegistry::default(),
            acks: AckBuffer::default(),
            shutdown,
            replica_id: crate::domain::new_id(),
        }
    }
}
