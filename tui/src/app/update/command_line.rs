//! Running `:` commands and completing them with Tab (see `app::commands`).

use super::super::commands::{self, Cmd};
use super::super::effect::{Command, Effect};
use super::super::state::{Notice, Screen, State};
use super::view;

/// Runs the draft as a command if it is one; false when it is a message to send.
pub fn run_draft(state: &mut State, effects: &mut Vec<Effect>) -> bool {
    match commands::parse(state.draft.editor.text()) {
        None => false,
        Some(Err(unknown)) => {
            // Kept, so a typo can be fixed; Tab completes, :help lists.
            state.notice = Some(Notice::error(unknown).action(":help lists the commands"));
            true
        }
        Some(Ok(cmd)) => {
            state.draft.editor.take();
            run(state, cmd, effects);
            true
        }
    }
}

pub fn run(state: &mut State, cmd: Cmd, effects: &mut Vec<Effect>) {
    match cmd {
        Cmd::Help => state.help = Some(0),
        Cmd::Quit => {
            state.quitting = true;
            effects.push(Effect::Quit);
        }
        Cmd::SignOut => super::keys::sign_out(state, effects),
        Cmd::Edit => edit_externally(state, effects),
        Cmd::Unread => super::keys::first_unread(state, effects),
        Cmd::Oldest => view::select(state, 0, effects),
        Cmd::Newest => {
            let last = state.timeline.last_index();
            view::select(state, last, effects);
        }
        Cmd::Reconnect => {
            if state.screen == Screen::Chat {
                effects.push(Effect::Net(Command::ReconnectNow));
            }
        }
        Cmd::Redraw => effects.push(Effect::ClearScreen),
    }
}

/// Ctrl+X Ctrl+E or `:edit`: the run loop hands the draft to the user's editor and
/// sends the text back as `Event::Edited`.
pub fn edit_externally(state: &mut State, effects: &mut Vec<Effect>) {
    let text = state.draft.editor.text().to_owned();
    effects.push(Effect::EditDraft { text });
}

/// Tab in a draft that is a command being typed: complete it. False when the draft is
/// not one (Tab then does what it usually does).
pub fn complete(state: &mut State) -> bool {
    let draft = state.draft.editor.text();
    if !draft.starts_with(':') || draft.contains(char::is_whitespace) {
        return false;
    }
    match commands::complete(draft) {
        Some(done) => state.draft.editor.set_text(&done),
        None => state.notice = Some(Notice::error("no such command").action(":help lists them")),
    }
    true
}

/// What the editor gave back: the new draft (without the newline editors add at the
/// end), or why there is none. The old draft stays on failure.
pub fn edited(state: &mut State, result: Result<String, String>) {
    match result {
        Ok(text) => {
            let text = crate::text::clean_pasted(&text);
            state.draft.editor.set_text(&text);
        }
        Err(why) => {
            state.notice = Some(
                Notice::error("the editor failed")
                    .detail(why)
                    .action("the draft is kept"),
            );
        }
    }
}
