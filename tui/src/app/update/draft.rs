//! The draft: sending it (or running it as a command), the length limit, and recalling
//! sent drafts with ↑/↓.

use super::super::effect::{Command, Effect};
use super::super::state::{MAX_BYTES, Notice, PendingSend, State};
use super::command_line;

/// Enter in the input: run a `:` command, or send the draft (kept until it is stored).
pub fn send(state: &mut State, effects: &mut Vec<Effect>) {
    if state.editing.is_some() {
        super::edits::submit(state, effects);
        return;
    }
    let text = state.draft.editor.text().to_owned();
    if text.trim().is_empty() {
        return;
    }
    // A `:` command, typed where the user already is. Anything else is a message.
    if command_line::run_draft(state, effects) {
        return;
    }
    if state.sending.is_some() {
        state.notice = Some(Notice::info("still sending the previous message…"));
        return;
    }
    if let Some(limit) = too_long(&text, state.settings.max_chars) {
        // The server's own words, before the round trip; the draft stays.
        state.draft.reason = Some(Notice::error(format!("not sent: {limit}")));
        state.draft.refused_in_history = false;
        return;
    }
    let client_request_id = match state.draft.retry_id.take() {
        Some((retry_text, id)) if retry_text == text => id,
        _ => uuid::Uuid::new_v4().to_string(),
    };
    state.draft.editor.take();
    state.draft.browsing = None;
    state.draft.stash.clear();
    state.draft.reason = None;
    state.draft.refused_in_history = false;
    let room = state.room().to_owned();
    state.sending = Some(PendingSend {
        room: room.clone(),
        text: text.clone(),
        client_request_id: client_request_id.clone(),
    });
    state.notice = None;
    effects.push(Effect::Net(Command::Send {
        room,
        content: text,
        client_request_id,
    }));
}

/// The server's wording for a message over its limits (see `chat.max_content_*`).
pub fn too_long(text: &str, max_chars: usize) -> Option<String> {
    if text.len() > MAX_BYTES {
        Some(format!("message content must be at most {MAX_BYTES} bytes"))
    } else if text.chars().count() > max_chars {
        Some(format!(
            "message content must be at most {max_chars} characters"
        ))
    } else {
        None
    }
}

pub fn history_prev(state: &mut State) {
    let draft = &mut state.draft;
    if draft.history.is_empty() {
        return;
    }
    let next = match draft.browsing {
        None => {
            draft.stash = draft.editor.text().to_owned();
            draft.history.len() - 1
        }
        Some(0) => 0,
        Some(i) => i - 1,
    };
    draft.browsing = Some(next);
    let entry = draft.history[next].clone();
    draft.editor.set_text(&entry);
}

pub fn history_next(state: &mut State) {
    let draft = &mut state.draft;
    let Some(i) = draft.browsing else {
        return;
    };
    if i + 1 < draft.history.len() {
        draft.browsing = Some(i + 1);
        let entry = draft.history[i + 1].clone();
        draft.editor.set_text(&entry);
    } else {
        draft.browsing = None;
        let stash = std::mem::take(&mut draft.stash);
        draft.editor.set_text(&stash);
    }
}
