//! `update(state, event) -> effects`: every change to the client state happens here,
//! synchronously and without I/O, which is what makes the client testable.

mod keys;
mod net;
pub mod view;

use super::effect::Effect;
use super::event::Event;
use super::state::State;
use ratatui::layout::Rect;

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

pub fn update(state: &mut State, event: Event) -> Vec<Effect> {
    let mut effects = Vec::new();
    match event {
        Event::Key(key) => keys::on_key(state, &key, &mut effects),
        Event::Paste(text) => keys::on_paste(state, &text),
        Event::Resize(width, height) => {
            state.area = Rect::new(0, 0, width, height);
            view::after_view_change(state, &mut effects);
        }
        Event::Scroll(delta) => view::scroll_by(state, delta, &mut effects),
        Event::Net(event) => net::on_net(state, event, &mut effects),
        Event::Terminate => {
            state.quitting = true;
            effects.push(Effect::Quit);
        }
    }
    effects
}
