//! State tests: `update(state, event)` and the effects it asks for.

mod reactions;
mod rooms;
mod second_round;
mod sending;
mod signin;
mod timeline;

use crate::support::*;
use chat_tui::app::state::{Connection, Focus, NoticeKind, Screen};
use chat_tui::app::{Command, Effect, Event, NetEvent, Page, PageKind, RpcError, update};
use crossterm::event::KeyCode;
use tonic::Code;

fn three() -> Vec<chat_protocol::chat::v1::Message> {
    vec![
        msg("m1", "alice", "first", 1),
        msg("m2", "bob", "second", 2),
        msg("m3", ME, "third", 3),
    ]
}

fn selected_id(state: &chat_tui::app::State) -> String {
    state
        .timeline
        .selected_message()
        .map(|m| m.message_id.clone())
        .unwrap_or_default()
}

fn names(state: &chat_tui::app::State, emoji: &str) -> Vec<String> {
    let t = &state.timeline;
    t.reactions(t.selected, ME, &state.settings.emoji)
        .into_iter()
        .find(|r| r.emoji == emoji)
        .map(|r| r.user_names)
        .unwrap_or_default()
}
