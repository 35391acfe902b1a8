//! The client's core, free of I/O: the state, the events that change it, and the
//! effects it asks for. `update::update` is the only place the state changes.

pub mod commands;
pub mod editor;
pub mod effect;
pub mod event;
pub mod rooms;
pub mod state;
pub mod timeline;
pub mod update;

pub use effect::{Command, Effect, KeyOp, Timer};
pub use event::{Change, Event, KeysReply, NetEvent, Page, PageKind, RpcError};
pub use state::State;
pub use update::{auto_sign_in, update};
