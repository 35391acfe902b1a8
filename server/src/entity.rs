//! SeaORM entities, one file per table (schema: the `migration` crate). Hooks live at the
//! bottom of each file; the one that matters is [`event`]'s `after_save`, which fans every
//! new event out to the connected sessions' queues.

pub mod event;
pub mod event_queue;
pub mod message;
pub mod presence;
pub mod reaction;
pub mod refresh_token;
pub mod room;
pub mod room_member;
pub mod server_meta;
pub mod session;
pub mod sign_in_failure;
pub mod ssh_key;
pub mod stream_lease;
pub mod user;
