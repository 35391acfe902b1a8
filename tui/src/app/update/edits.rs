//! Editing and deleting my own messages. `e` puts the selected message's text in the
//! input (the draft there waits and comes back after); Enter saves, Esc cancels. `d`
//! asks y/n, then deletes. Nothing typed is lost: a refused edit stays in the input.

use super::super::effect::{Command, Effect};
use super::super::event::{Change, RpcError};
use super::super::state::{Confirm, Editing, Focus, Notice, State};
use super::{draft, rooms};
use chat_protocol::chat::v1::Message;

/// The selected message, if it is mine and not deleted; otherwise why not.
fn own_selected(state: &State, verb: &str) -> Result<(String, String), Notice> {
    let Some(message) = state.timeline.selected_message() else {
        return Err(Notice::info(format!("select a message of yours to {verb}")));
    };
    if message.user_id != state.my_id() {
        return Err(Notice::info(format!(
            "you can only {verb} your own messages"
        )));
    }
    if message.deleted {
        return Err(Notice::info("that message was deleted"));
    }
    Ok((message.message_id.clone(), message.content.clone()))
}

/// `e` in the pane.
pub fn start(state: &mut State) {
    // One edit at a time: another `e` starts over from the draft before the first.
    cancel(state);
    match own_selected(state, "edit") {
        Ok((message_id, content)) => {
            let stash = state.draft.editor.take();
            state.draft.editor.set_text(&content);
            state.draft.browsing = None;
            state.editing = Some(Editing { message_id, stash });
            state.focus = Focus::Input;
        }
        Err(why) => state.notice = Some(why),
    }
}

/// `d` in the pane: asks first.
pub fn ask_delete(state: &mut State) {
    match own_selected(state, "delete") {
        Ok((message_id, _)) => state.confirm = Some(Confirm::Delete { message_id }),
        Err(why) => state.notice = Some(why),
    }
}

pub fn delete(state: &mut State, message_id: String, effects: &mut Vec<Effect>) {
    state.notice = Some(Notice::info("deleting…"));
    effects.push(Effect::Net(Command::DeleteMessage { message_id }));
}

/// Esc while editing (or leaving the room): the draft from before comes back.
pub fn cancel(state: &mut State) {
    if let Some(editing) = state.editing.take() {
        state.draft.editor.set_text(&editing.stash);
    }
}

/// Enter while editing: save, unless the text breaks the same rules as a new message.
/// The input keeps the text until the server has stored it.
pub fn submit(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(editing) = &state.editing else {
        return;
    };
    let content = state.draft.editor.text().to_owned();
    if content.trim().is_empty() {
        state.notice = Some(Notice::error("an edit cannot be empty").action("d deletes"));
        return;
    }
    if let Some(limit) = draft::too_long(&content, state.settings.max_chars) {
        state.notice = Some(Notice::error(format!("not saved: {limit}")));
        return;
    }
    state.notice = Some(Notice::info("saving the edit…"));
    effects.push(Effect::Net(Command::EditMessage {
        message_id: editing.message_id.clone(),
        content,
    }));
}

/// An edit was saved: its input gives back the draft from before, on screen or in the
/// room it was parked with.
fn finished(state: &mut State, message_id: &str) {
    if state
        .editing
        .as_ref()
        .is_some_and(|e| e.message_id == message_id)
    {
        cancel(state);
        return;
    }
    for parked in state.rooms.parked.values_mut() {
        if parked
            .editing
            .as_ref()
            .is_some_and(|e| e.message_id == message_id)
            && let Some(editing) = parked.editing.take()
        {
            parked.draft = editing.stash;
        }
    }
}

/// The server's answer to an edit or a delete.
pub fn on_changed(
    state: &mut State,
    change: Change,
    message_id: &str,
    result: Result<Message, RpcError>,
) {
    match result {
        Ok(message) => {
            if let Some(timeline) = rooms::timeline_holding(state, message_id) {
                timeline.replace(message);
            }
            if change == Change::Edit {
                finished(state, message_id);
            }
            state.notice = Some(Notice::info(match change {
                Change::Edit => "edited",
                Change::Delete => "deleted",
            }));
        }
        Err(error) => {
            let what = match change {
                Change::Edit => "edit not saved",
                Change::Delete => "not deleted",
            };
            // The edited text stays in the input to fix or retry.
            state.notice = Some(Notice::error(format!("{what}: {}", error.message)));
        }
    }
}
