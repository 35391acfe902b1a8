//! Getting events to sessions: the in-process wake-up after each commit (and, on
//! PostgreSQL, from other replicas), the feed that reads each new event once for every
//! stream, the registry of open streams, the Subscribe stream itself, batched
//! acknowledgements, the janitor that keeps every queue bounded, and the watch that ends
//! the streams of sessions an operator ended from outside the process.

pub mod acks;
pub mod feed;
pub mod janitor;
pub mod queue;
pub mod registry;
pub mod replicas;
pub mod revocations;
pub mod subscription;

pub use acks::AckBuffer;
pub use feed::EventFeed;
pub use registry::StreamRegistry;
