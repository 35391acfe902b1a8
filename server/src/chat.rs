//! The chat rules: posting behind the send gate, reacting, reading messages, and turning
//! every change into an event.

pub mod events;
pub mod gate;
pub mod messages;
pub mod reactions;
pub mod snapshot;
