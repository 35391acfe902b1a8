//! The client without a terminal or a network: `update` driven by events (state tests)
//! and whole screens drawn into ratatui's `TestBackend` (snapshot tests).

mod screens;
mod support;
mod update;
