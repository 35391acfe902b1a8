//! Keys and pastes: looked up in the key map for the current context, then acted on.

use super::super::editor::Editor;
use super::super::effect::{Command, Effect};
use super::super::state::{Confirm, Field, Focus, Notice, NoticeKind, Screen, State};
use super::super::timeline::Overlay;
use super::command_line;
use super::draft;
use super::{edits, mentions, rooms, view};
use crate::keymap::Action;
use crate::text;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

pub fn on_key(state: &mut State, key: &KeyEvent, effects: &mut Vec<Effect>) {
    // Terminals that report releases would otherwise act twice per key.
    if key.kind == KeyEventKind::Release {
        return;
    }
    if let Some(scroll) = state.help {
        on_help_key(state, key, scroll, effects);
        return;
    }
    if let Some(question) = state.confirm.take() {
        on_confirm_key(state, question, key, effects);
        return;
    }
    if let Some(prefix) = state.chord.take() {
        // Ctrl+X then Ctrl+E (readline's edit-and-execute): the draft in $EDITOR. Any
        // other key cancels the chord and does what it does.
        let ctrl_e =
            key.code == KeyCode::Char('e') && key.modifiers.contains(KeyModifiers::CONTROL);
        if prefix == Action::EditorPrefix && ctrl_e {
            command_line::edit_externally(state, effects);
            return;
        }
    }
    if key.code == KeyCode::Tab
        && state.context() == crate::keymap::Context::Input
        && (command_line::complete(state, effects) || mentions::complete(state))
    {
        return;
    }
    if key.code == KeyCode::Esc && state.editing.is_some() && state.focus == Focus::Input {
        // Esc ends the edit; the draft from before comes back.
        edits::cancel(state);
        state.notice = Some(Notice::info("edit cancelled"));
        return;
    }
    let context = state.context();
    match state.keymap.action(context, key) {
        Some(action) => on_action(state, action, effects),
        None if is_alt_only(key) => {
            // Esc then a key, typed quickly (or over ssh, where both bytes arrive in
            // one read), reaches us as Alt+key. Unless Alt+key means something here,
            // it means what Esc, key means: leave the input, then act on the key.
            on_key(
                state,
                &KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
                effects,
            );
            let plain = KeyEvent::new(key.code, key.modifiers - KeyModifiers::ALT);
            on_key(state, &plain, effects);
        }
        None => {
            if let Some(c) = typed_char(key) {
                match state.screen {
                    Screen::SignIn => {
                        state.signin.focused_mut().insert_char(c);
                        state.signin.error = None;
                    }
                    Screen::Chat if state.focus == Focus::Input => {
                        state.draft.editor.insert_char(c);
                    }
                    Screen::Chat => {}
                }
            }
        }
    }
}

fn is_alt_only(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::ALT) && !key.modifiers.contains(KeyModifiers::CONTROL)
}

/// The answer to a y/n question: only `y` says yes; any other key says no.
fn on_confirm_key(state: &mut State, question: Confirm, key: &KeyEvent, effects: &mut Vec<Effect>) {
    let yes = matches!(key.code, KeyCode::Char('y' | 'Y'));
    match question {
        Confirm::SignOut if yes => sign_out(state, effects),
        Confirm::SignOut => state.notice = Some(Notice::info("still signed in")),
        Confirm::Delete { message_id } if yes => edits::delete(state, message_id, effects),
        Confirm::Leave { room } if yes => {
            effects.push(Effect::Net(Command::LeaveRoom { room }));
        }
        Confirm::Delete { .. } | Confirm::Leave { .. } => {
            state.notice = Some(Notice::info("nothing changed"));
        }
    }
}

/// A key that types a character: no Ctrl or Alt, except both together (AltGr on some
/// keyboards arrives that way).
fn typed_char(key: &KeyEvent) -> Option<char> {
    let KeyCode::Char(c) = key.code else {
        return None;
    };
    let ctrl_alt = KeyModifiers::CONTROL | KeyModifiers::ALT;
    let mods = key.modifiers & ctrl_alt;
    (mods.is_empty() || mods == ctrl_alt).then_some(c)
}

fn on_help_key(state: &mut State, key: &KeyEvent, scroll: u16, effects: &mut Vec<Effect>) {
    let action = state.keymap.action(state.context(), key);
    match (action, key.code) {
        (Some(Action::Quit), _) => {
            state.quitting = true;
            effects.push(Effect::Quit);
        }
        (_, KeyCode::Down | KeyCode::Char('j')) => {
            state.help = Some((scroll + 1).min(crate::ui::help::max_scroll(state)));
        }
        (_, KeyCode::Up | KeyCode::Char('k')) => state.help = Some(scroll.saturating_sub(1)),
        _ => state.help = None,
    }
}

pub fn on_paste(state: &mut State, pasted: &str) {
    match state.screen {
        Screen::SignIn => {
            let line = text::clean(pasted, false);
            state.signin.focused_mut().insert_str(line.trim_end());
        }
        Screen::Chat if state.focus == Focus::Input => {
            state.draft.editor.insert_str(&text::clean_pasted(pasted));
        }
        Screen::Chat => {}
    }
}

fn on_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    match action {
        Action::Quit => {
            state.quitting = true;
            effects.push(Effect::Quit);
        }
        Action::Redraw => effects.push(Effect::ClearScreen),
        Action::Help => state.help = Some(0),
        Action::ReconnectNow => {
            if state.screen == Screen::Chat {
                effects.push(Effect::Net(Command::ReconnectNow));
                // Not loaded yet, or only from the cache: ask for the newest page again.
                if !state.timeline.loaded || state.timeline.from_cache {
                    state.timeline.load_failed = false;
                    effects.push(Effect::Net(Command::LoadNewest {
                        room: state.room().to_owned(),
                    }));
                }
                if !state.rooms.loaded {
                    rooms::ask_rooms(state, effects);
                }
            }
        }
        Action::Left
        | Action::Right
        | Action::WordLeft
        | Action::WordRight
        | Action::LineStart
        | Action::LineEnd
        | Action::Backspace
        | Action::Delete
        | Action::KillToStart
        | Action::KillToEnd
        | Action::KillWord
        | Action::Yank => {
            let editor = match state.screen {
                Screen::SignIn => {
                    state.signin.error = None;
                    state.signin.focused_mut()
                }
                Screen::Chat => &mut state.draft.editor,
            };
            edit(editor, action);
        }
        Action::Send => draft::send(state, effects),
        Action::Newline => state.draft.editor.insert_char('\n'),
        Action::HistoryPrev => draft::history_prev(state),
        Action::HistoryNext => draft::history_next(state),
        Action::FocusPane => {
            state.focus = Focus::Pane;
            view::clamp_selection_to_view(state);
            view::after_view_change(state, effects);
        }
        Action::FocusInput => state.focus = Focus::Input,
        Action::SelectOlder => view::select_by(state, -1, effects),
        Action::SelectNewer => view::select_by(state, 1, effects),
        Action::PageUp => view::page_up(state, state.focus == Focus::Pane, effects),
        Action::PageDown => view::page_down(state, state.focus == Focus::Pane, effects),
        Action::Oldest => view::select(state, 0, effects),
        Action::Newest => {
            let last = state.timeline.last_index();
            view::select(state, last, effects);
        }
        Action::FirstUnread => first_unread(state, effects),
        Action::CommandLine => {
            state.focus = Focus::Input;
            if state.draft.editor.is_empty() {
                state.draft.editor.insert_char(':');
            }
        }
        Action::EditorPrefix => state.chord = Some(Action::EditorPrefix),
        Action::React(n) => {
            if let Some(emoji) = state.settings.emoji.get(usize::from(n)).cloned() {
                toggle_reaction(state, &emoji, effects);
            }
        }
        Action::ReactDefault => toggle_reaction(state, chat_protocol::DEFAULT_EMOJI, effects),
        Action::SignOut => state.confirm = Some(Confirm::SignOut),
        Action::NextRoom => rooms::step(state, 1, effects),
        Action::PrevRoom => rooms::step(state, -1, effects),
        Action::NextActiveRoom => rooms::next_active(state, effects),
        Action::EditMessage => edits::start(state),
        Action::CopyMessage => copy_selected(state, effects),
        Action::DeleteMessage => edits::ask_delete(state),
        Action::Submit => submit_sign_in(state, effects),
        Action::NextField | Action::PrevField => {
            state.signin.field = match state.signin.field {
                Field::UserName => Field::Password,
                Field::Password => Field::UserName,
            };
        }
        Action::ToggleSignUp => {
            state.signin.sign_up = !state.signin.sign_up;
            state.signin.error = None;
        }
    }
}

fn edit(editor: &mut Editor, action: Action) {
    match action {
        Action::Left => editor.left(),
        Action::Right => editor.right(),
        Action::WordLeft => editor.word_left(),
        Action::WordRight => editor.word_right(),
        Action::LineStart => editor.home(),
        Action::LineEnd => editor.end(),
        Action::Backspace => editor.backspace(),
        Action::Delete => editor.delete(),
        Action::KillToStart => editor.kill_to_start(),
        Action::KillToEnd => editor.kill_to_end(),
        Action::KillWord => editor.kill_word(),
        Action::Yank => editor.yank(),
        _ => {}
    }
}

pub fn sign_out(state: &mut State, effects: &mut Vec<Effect>) {
    state.notice = Some(Notice::info("signing out…"));
    // Until the network task confirms, nothing may write the cache back.
    state.signing_out = true;
    effects.push(Effect::ForgetCache {
        user_id: state.my_id().to_owned(),
    });
    effects.push(Effect::Net(Command::SignOut));
}

pub fn first_unread(state: &mut State, effects: &mut Vec<Effect>) {
    let t = &state.timeline;
    match t.unread_marker.as_deref().and_then(|id| t.index_of(id)) {
        Some(i) => view::select(state, i, effects),
        None => state.notice = Some(Notice::info("no unread messages")),
    }
}

/// Reacts or unreacts at once (an overlay on the message) and asks the server; the
/// answer confirms the overlay or, if refused, drops it again.
fn toggle_reaction(state: &mut State, emoji: &str, effects: &mut Vec<Effect>) {
    if state.screen != Screen::Chat || state.timeline.is_empty() {
        return;
    }
    let index = state.timeline.selected;
    let Some(message_id) = state
        .timeline
        .messages
        .get(index)
        .map(|m| m.message_id.clone())
    else {
        return;
    };
    let present = state
        .timeline
        .has_my_reaction(index, state.my_name(), emoji);
    let op = state.next_op;
    state.next_op += 1;
    state.timeline.overlays.insert(
        (message_id.clone(), emoji.to_owned()),
        Overlay {
            op,
            mine: !present,
            seen_event: false,
        },
    );
    if state
        .notice
        .as_ref()
        .is_some_and(|n| n.kind == NoticeKind::Error)
    {
        state.notice = None;
    }
    let emoji = emoji.to_owned();
    effects.push(Effect::Net(if present {
        Command::Unreact {
            op,
            message_id,
            emoji,
        }
    } else {
        Command::React {
            op,
            message_id,
            emoji,
        }
    }));
    // The sidebar and chips change size; keep the selection in view.
    view::after_view_change(state, effects);
}

/// `y`: the selected message's text to the clipboard, through the terminal (OSC 52), so
/// it works over ssh as well; terminals that do not allow it ignore it.
fn copy_selected(state: &mut State, effects: &mut Vec<Effect>) {
    match state.timeline.selected_message() {
        Some(m) if !m.deleted => {
            effects.push(Effect::Copy {
                text: m.content.clone(),
            });
            state.notice = Some(Notice::info("copied (if your terminal allows OSC 52)"));
        }
        _ => state.notice = Some(Notice::info("nothing to copy")),
    }
}

/// Submits the sign-in form (Enter, or at startup with CHAT_USER/CHAT_PASSWORD).
pub fn submit_sign_in(state: &mut State, effects: &mut Vec<Effect>) {
    let form = &mut state.signin;
    if form.busy {
        return;
    }
    let user_name = form.user_name.text().trim().to_owned();
    let password = form.password.text().to_owned();
    if user_name.is_empty() {
        form.field = Field::UserName;
        form.error = Some("enter your user name".to_owned());
        return;
    }
    if password.is_empty() {
        // Enter in the name field moves on to the password, like most forms.
        if form.field == Field::UserName {
            form.field = Field::Password;
        } else {
            form.error = Some("enter your password".to_owned());
        }
        return;
    }
    form.busy = true;
    form.error = None;
    let command = if form.sign_up {
        Command::SignUp {
            user_name,
            password,
            existing_ok: false,
        }
    } else {
        Command::SignIn {
            user_name,
            password,
        }
    };
    effects.push(Effect::Net(command));
}
