//! Signing in, signing out, and the sign-in form.

use super::*;

#[test]
fn signing_in_opens_the_chat_and_loads_the_newest_page() {
    let mut state = new_state();
    let effects = net(&mut state, me_signed_in());
    assert_eq!(state.screen, Screen::Chat);
    assert_eq!(state.focus, Focus::Input);
    let lobby = String::new;
    assert_eq!(
        commands(&effects),
        vec![
            Command::ListRooms { public: false },
            Command::LoadNewest { room: lobby() },
            Command::RefreshSendStatus { room: lobby() },
            Command::ListRooms { public: true },
        ]
    );
    // Who is online is read once the stream is up (presence is live only).
    let effects = net(&mut state, NetEvent::Connection(Connection::Connected));
    assert_eq!(
        commands(&effects),
        vec![Command::ListMembers { room: lobby() }]
    );
}

#[test]
fn the_sign_in_form_submits_on_enter_and_shows_errors_inline() {
    let mut state = new_state();
    type_text(&mut state, "alice");
    // Enter in the name field with no password moves to the password.
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    type_text(&mut state, "password123");
    let effects = key(&mut state, KeyCode::Enter);
    assert_eq!(
        commands(&effects),
        vec![Command::SignIn {
            user_name: "alice".to_owned(),
            password: "password123".to_owned()
        }]
    );
    assert!(state.signin.busy);
    net(
        &mut state,
        NetEvent::AuthFailed(RpcError::new(
            Code::Unauthenticated,
            "invalid user name or password",
        )),
    );
    assert!(!state.signin.busy);
    assert_eq!(
        state.signin.error.as_deref(),
        Some("invalid user name or password")
    );
}

#[test]
fn sign_up_mode_reports_a_taken_name() {
    let mut state = new_state();
    ctrl(&mut state, 't');
    assert!(state.signin.sign_up);
    type_text(&mut state, "alice");
    key(&mut state, KeyCode::Tab);
    type_text(&mut state, "password123");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(matches!(
        commands(&effects).as_slice(),
        [Command::SignUp {
            existing_ok: false,
            ..
        }]
    ));
    net(
        &mut state,
        NetEvent::AuthFailed(RpcError::new(Code::AlreadyExists, "user name taken")),
    );
    assert!(
        state
            .signin
            .error
            .as_deref()
            .is_some_and(|e| e.contains("name taken"))
    );
}

#[test]
fn environment_credentials_sign_in_without_the_form() {
    let mut state = new_state();
    let effects = chat_tui::app::auto_sign_in(&mut state, "bob", "password123", false);
    assert_eq!(
        commands(&effects),
        vec![Command::SignIn {
            user_name: "bob".to_owned(),
            password: "password123".to_owned()
        }]
    );
    assert_eq!(state.signin.user_name.text(), "bob");
}

#[test]
fn a_failed_refresh_returns_to_sign_in_with_the_reason() {
    let mut state = with_messages(three());
    type_text(&mut state, "draft");
    net(
        &mut state,
        NetEvent::SignedOut {
            reason: Some("signed out: the session could not be renewed".to_owned()),
        },
    );
    assert_eq!(state.screen, Screen::SignIn);
    assert!(state.timeline.is_empty());
    assert_eq!(state.connection, Connection::Offline);
    assert!(
        state
            .signin
            .error
            .as_deref()
            .is_some_and(|e| e.contains("could not be renewed"))
    );
}

#[test]
fn signout_typed_in_the_input_signs_out_instead_of_sending() {
    let mut state = with_messages(three());
    type_text(&mut state, ":signout");
    let effects = key(&mut state, KeyCode::Enter);
    assert_eq!(commands(&effects), vec![Command::SignOut]);
    assert!(state.draft.editor.is_empty());
}
