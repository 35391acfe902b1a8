//! `chat-tui`: a keyboard-driven terminal client for the chat v1 API.
//!
//! Map of the crate (ratatui/gitui style: one event queue, pure `update`, pure `render`):
//! - [`app`]: the state, `update(state, event) -> effects`, no I/O;
//! - [`ui`]: `render(&state, frame)`, one module per screen region;
//! - [`net`]: the network task: gRPC calls and the live event stream, reported back as
//!   events;
//! - [`keymap`]: the key bindings, which also generate the help overlay;
//! - [`run`]: the loop that ties the terminal, the queue and the network together, and
//!   carries out the effects that are not network calls ([`external_editor`], [`cache`]);
//! - [`input`]: the terminal's bytes read on a thread and parsed into key events;
//! - [`terminal`]: taking over the terminal and giving it back, and a backend that never
//!   queries it;
//! - [`gateway`]: the same client served over SSH (`chat-tui ssh-gateway`);
//! - [`config`], [`cli`], [`logging`]: setting up the process.

pub mod app;
pub mod cache;
pub mod cli;
pub mod config;
pub mod external_editor;
pub mod gateway;
pub mod input;
pub mod keymap;
pub mod logging;
pub mod net;
pub mod run;
pub mod terminal;
pub mod text;
pub mod ui;
