//! Running `:` commands and completing them with Tab (see `app::commands`).

use super::super::commands::{self, Arg, Cmd};
use super::super::effect::{Command, Effect};
use super::super::rooms::LOBBY;
use super::super::state::{Confirm, Notice, Screen, State};
use super::{rooms, view};

/// Runs the draft as a command if it is one; false when it is a message to send.
pub fn run_draft(state: &mut State, effects: &mut Vec<Effect>) -> bool {
    match commands::parse(state.draft.editor.text()) {
        None => false,
        Some(Err(unknown)) => {
            // Kept, so a typo can be fixed; Tab completes, :help lists.
            state.notice = Some(Notice::error(unknown).action(":help lists the commands"));
            true
        }
        Some(Ok((cmd, arg))) => {
            state.draft.editor.take();
            run(state, cmd, arg, effects);
            true
        }
    }
}

pub fn run(state: &mut State, cmd: Cmd, arg: String, effects: &mut Vec<Effect>) {
    match cmd {
        Cmd::Join => join(state, arg, effects),
        Cmd::Direct => direct(state, arg, effects),
        Cmd::Create => effects.push(Effect::Net(Command::CreateRoom {
            name: arg.trim_start_matches('#').to_owned(),
        })),
        Cmd::Leave => leave(state, &arg),
        Cmd::Key => super::ssh_keys::run(state, &arg, effects),
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

/// `:join name`: a room of mine is simply shown; any other is joined first.
fn join(state: &mut State, name: String, effects: &mut Vec<Effect>) {
    match state.rooms.named(&name) {
        Some(key) => rooms::switch_to(state, &key, effects),
        None => effects.push(Effect::Net(Command::JoinRoom {
            name: name.trim_start_matches('#').to_owned(),
        })),
    }
}

/// `:dm name`: an existing conversation is shown; otherwise the server opens it.
fn direct(state: &mut State, name: String, effects: &mut Vec<Effect>) {
    let name = name.trim_start_matches('@').to_owned();
    if name.eq_ignore_ascii_case(state.my_name()) {
        state.notice = Some(Notice::error("a direct conversation needs someone else"));
        return;
    }
    match state.rooms.direct_with(state.my_name(), &name) {
        Some(key) => rooms::switch_to(state, &key, effects),
        None => effects.push(Effect::Net(Command::OpenDirect { user_name: name })),
    }
}

/// `:leave [room]`: asks first (what was said there is gone from this client).
fn leave(state: &mut State, name: &str) {
    let key = if name.is_empty() {
        Some(state.room().to_owned())
    } else {
        state.rooms.named(name)
    };
    let Some(entry) = key.as_deref().and_then(|k| state.rooms.get(k)) else {
        state.notice = Some(Notice::error(format!(
            "you are not in a room called {name}"
        )));
        return;
    };
    if entry.key == LOBBY || entry.is_direct() {
        state.notice = Some(Notice::error(
            "the lobby and direct conversations cannot be left",
        ));
        return;
    }
    state.confirm = Some(Confirm::Leave {
        room: entry.key.clone(),
    });
}

/// Ctrl+X Ctrl+E or `:edit`: the run loop hands the draft to the user's editor and
/// sends the text back as `Event::Edited`.
pub fn edit_externally(state: &mut State, effects: &mut Vec<Effect>) {
    let text = state.draft.editor.text().to_owned();
    effects.push(Effect::EditDraft { text });
}

/// Tab in a draft that is a command being typed: complete it. False when the draft is
/// not one (Tab then does what it usually does).
pub fn complete(state: &mut State, effects: &mut Vec<Effect>) -> bool {
    let draft = state.draft.editor.text();
    if !draft.starts_with(':') {
        return false;
    }
    if draft.contains(char::is_whitespace) {
        return complete_argument(state, effects);
    }
    match commands::complete(draft) {
        Some(done) => state.draft.editor.set_text(&done),
        None => state.notice = Some(Notice::error("no such command").action(":help lists them")),
    }
    true
}

/// Tab after `:join `, `:dm ` or `:leave `: the names that fit.
fn complete_argument(state: &mut State, effects: &mut Vec<Effect>) -> bool {
    let draft = state.draft.editor.text().to_owned();
    let Some((word, typed)) = draft[1..].split_once(' ') else {
        return false;
    };
    let Some(spec) = commands::find(word) else {
        return false;
    };
    if spec.arg == Arg::None || typed.contains(char::is_whitespace) {
        return false;
    }
    let me = state.my_name().to_owned();
    let mine = || {
        state
            .rooms
            .list
            .iter()
            .filter(|r| r.key != LOBBY && !r.is_direct())
            .map(|r| r.room.name.clone())
    };
    let candidates: Vec<String> = match spec.cmd {
        Cmd::Join => {
            // The public list may be old (or not asked yet): ask again for the next Tab.
            effects.push(Effect::Net(Command::ListRooms { public: true }));
            mine()
                .chain(state.rooms.public.iter().map(|r| r.name.clone()))
                .collect()
        }
        Cmd::Leave => mine().collect(),
        Cmd::Direct => state
            .rooms
            .known_names(LOBBY)
            .into_iter()
            .chain(
                state
                    .rooms
                    .list
                    .iter()
                    .filter_map(|r| r.peer(&me).map(str::to_owned)),
            )
            .filter(|n| !n.eq_ignore_ascii_case(&me))
            .collect(),
        _ => return false,
    };
    let lower = typed.to_lowercase();
    let mut fits: Vec<String> = candidates
        .into_iter()
        .filter(|n| n.to_lowercase().starts_with(&lower))
        .collect();
    fits.sort_by_key(|n| n.to_lowercase());
    fits.dedup_by_key(|n| n.to_lowercase());
    match fits.as_slice() {
        [] => {
            state.notice = Some(Notice::info(format!(
                "no {} name starts with {typed:?}",
                arg_name(spec.arg)
            )));
        }
        [one] => state.draft.editor.set_text(&format!(":{word} {one}")),
        many => {
            state.notice = Some(Notice::info(
                many.iter().take(8).cloned().collect::<Vec<_>>().join(" "),
            ));
            let common = many.iter().fold(many[0].clone(), |acc, n| {
                acc.chars()
                    .zip(n.chars())
                    .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
                    .map(|(a, _)| a)
                    .collect()
            });
            if common.len() > typed.len() {
                state.draft.editor.set_text(&format!(":{word} {common}"));
            }
        }
    }
    true
}

fn arg_name(arg: Arg) -> &'static str {
    match arg {
        Arg::Required(what) | Arg::Optional(what) | Arg::Words(what) => what,
        Arg::None => "",
    }
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
