//! `update(state, event) -> effects`: every change to the client state happens here,
//! synchronously and without I/O, which is what makes the client testable.

mod command_line;
mod draft;
mod edits;
mod keys;
mod mentions;
mod net;
mod rooms;
mod ssh_keys;
pub mod view;

use super::effect::{Effect, Timer};
use super::event::Event;
use super::state::{NoticeKind, State};
use ratatui::layout::Rect;
use std::time::Duration;

/// Signs in without the form (CHAT_USER/CHAT_PASSWORD): fills it in, so a failure is
/// shown there and the user can correct it, and submits. `create` signs up first
/// (an existing account is fine).
pub fn auto_sign_in(
    state: &mut State,
    user_name: &str,
    password: &str,
    create: bool,
) -> Vec<Effect> {
    state.signin.user_name.set_text(user_name);
    state.signin.password.set_text(password);
    state.signin.field = super::state::Field::Password;
    state.signin.busy = true;
    let user_name = user_name.to_owned();
    let password = password.to_owned();
    vec![Effect::Net(if create {
        super::effect::Command::SignUp {
            user_name,
            password,
            existing_ok: true,
        }
    } else {
        super::effect::Command::SignIn {
            user_name,
            password,
        }
    })]
}

/// How long passing news stays on the status line; errors a little longer.
pub const INFO_SHOWN_FOR: Duration = Duration::from_secs(5);
pub const ERROR_SHOWN_FOR: Duration = Duration::from_secs(10);

pub fn update(state: &mut State, event: Event) -> Vec<Effect> {
    let notice_before = state.notice.clone();
    let mut effects = Vec::new();
    handle(state, event, &mut effects);
    // Whatever set a new notice, it expires: one place instead of at every notice.
    if state.notice != notice_before
        && let Some(notice) = &state.notice
    {
        state.notice_serial += 1;
        effects.push(Effect::Wake {
            after: match notice.kind {
                NoticeKind::Info => INFO_SHOWN_FOR,
                NoticeKind::Error | NoticeKind::SendBlocked => ERROR_SHOWN_FOR,
            },
            token: Timer::NoticeExpired(state.notice_serial),
        });
    }
    // Whatever the way out, the conversation is kept for a quick start next time.
    if let Some(at) = effects.iter().position(|e| *e == Effect::Quit)
        && let Some(me) = &state.me
        && let Some(lobby) = state.lobby_timeline().filter(|t| t.loaded)
        && !state.signing_out
    {
        let save = Effect::SaveCache {
            user_id: me.user_id.clone(),
            messages: lobby.messages.clone(),
            has_more: lobby.has_more,
        };
        effects.insert(at, save);
    }
    // A refused draft that was deleted needs no "Enter retries" any more.
    if state.draft.editor.is_empty() && !state.draft.refused_in_history {
        state.draft.reason = None;
    }
    effects
}

fn handle(state: &mut State, event: Event, effects: &mut Vec<Effect>) {
    match event {
        Event::Key(key) => keys::on_key(state, &key, effects),
        Event::Paste(text) => keys::on_paste(state, &text),
        Event::Resize(width, height) => {
            state.area = Rect::new(0, 0, width, height);
            view::after_view_change(state, effects);
        }
        Event::Scroll(delta) => view::scroll_by(state, delta, effects),
        Event::Focus(focused) => view::window_focus(state, focused),
        Event::Net(event) => net::on_net(state, event, effects),
        Event::Edited(result) => command_line::edited(state, result),
        Event::CacheLoaded(page) => net::on_cache(state, page, effects),
        Event::Wake(Timer::NoticeExpired(serial)) => {
            if serial == state.notice_serial {
                state.notice = None;
            }
        }
        Event::Wake(Timer::RetryRooms) => rooms::retry_list(state, effects),
        Event::Redraw => effects.push(Effect::ClearScreen),
        Event::Terminate => {
            state.quitting = true;
            effects.push(Effect::Quit);
        }
    }
}
