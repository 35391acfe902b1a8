//! Sending (the gate, retries), the draft editor, and keys that work anywhere.

use super::*;

#[test]
fn enter_sends_the_draft_with_a_request_id() {
    let mut state = with_messages(three());
    type_text(&mut state, "hello");
    let effects = key(&mut state, KeyCode::Enter);
    let pending = state
        .sending
        .clone()
        .unwrap_or_else(|| panic!("not sending"));
    assert_eq!(
        commands(&effects),
        vec![Command::Send {
            room: String::new(),
            content: "hello".to_owned(),
            client_request_id: pending.client_request_id.clone()
        }]
    );
    assert!(uuid::Uuid::parse_str(&pending.client_request_id).is_ok());
    assert!(state.draft.editor.is_empty());
    let effects = net(
        &mut state,
        NetEvent::Sent {
            client_request_id: pending.client_request_id,
            result: Ok(msg("m4", ME, "hello", 4)),
        },
    );
    assert!(commands(&effects).contains(&Command::RefreshSendStatus {
        room: String::new()
    }));
    assert!(state.sending.is_none());
    assert_eq!(state.draft.history, vec!["hello"]);
    assert_eq!(selected_id(&state), "m4");
}

fn send_refused(
    state: &mut chat_tui::app::State,
    text: &str,
    typed_meanwhile: &str,
    error: RpcError,
) -> Vec<Effect> {
    send_answered(state, text, typed_meanwhile, Err(error))
}

fn gate_error() -> RpcError {
    RpcError::new(
        Code::FailedPrecondition,
        "your previous message needs 1 more reaction from another user",
    )
}

fn reason(state: &chat_tui::app::State) -> String {
    state
        .status_notice()
        .map(chat_tui::app::state::Notice::full)
        .unwrap_or_default()
}

#[test]
fn a_send_refused_by_the_gate_keeps_the_draft_and_says_why() {
    let mut state = with_messages(three());
    net(&mut state, send_status(false, 1));
    let effects = send_refused(&mut state, "again", "", gate_error());
    assert_eq!(state.draft.editor.text(), "again");
    assert!(commands(&effects).contains(&Command::RefreshSendStatus {
        room: String::new()
    }));
    let why = state
        .draft
        .reason
        .clone()
        .unwrap_or_else(|| panic!("no reason"));
    assert_eq!(why.kind, NoticeKind::SendBlocked);
    assert!(why.text.contains("needs 1 more reaction"), "{}", why.text);
    assert!(screen(&mut state, 80, 24).contains("needs 1 more reaction"));
    // One reaction later, the refusal is updated rather than left quoting the old count.
    net(&mut state, send_status(false, 2));
    net(&mut state, send_status(false, 1));
    assert!(
        reason(&state).contains("needs 1 more reaction"),
        "{}",
        reason(&state)
    );
    // Once others react, the status says so and the reason clears.
    net(&mut state, send_status(true, 0));
    assert!(state.draft.reason.is_none());
    assert!(
        reason(&state).contains("you can send"),
        "{}",
        reason(&state)
    );
}

#[test]
fn text_typed_during_a_slow_send_is_not_glued_onto_the_refused_draft() {
    // Defect: "hello" sent, "world" typed while pending, refusal → "helloworld".
    let mut state = with_messages(three());
    net(&mut state, send_status(false, 1));
    send_refused(&mut state, "hello", "world", gate_error());
    assert_eq!(
        state.draft.editor.text(),
        "world",
        "what was typed since stays alone"
    );
    assert!(
        reason(&state).contains("↑ brings it back"),
        "{}",
        reason(&state)
    );
    // ↑ brings the refused text back, ↓ returns to what was being typed.
    key(&mut state, KeyCode::Up);
    assert_eq!(state.draft.editor.text(), "hello");
    key(&mut state, KeyCode::Down);
    assert_eq!(state.draft.editor.text(), "world");
    // A connection failure in the same situation: the same separation, and the
    // recalled text is retried with its request id.
    let mut state = with_messages(three());
    send_refused(
        &mut state,
        "hello",
        "world",
        RpcError::new(Code::Unavailable, "connection reset"),
    );
    assert_eq!(state.draft.editor.text(), "world");
    let id = state.draft.retry_id.clone().map(|(_, id)| id);
    for _ in 0.."world".len() {
        key(&mut state, KeyCode::Backspace);
    }
    key(&mut state, KeyCode::Up);
    key(&mut state, KeyCode::Enter);
    assert_eq!(
        state.sending.as_ref().map(|p| p.client_request_id.clone()),
        id,
        "the same request id, so the server cannot post it twice"
    );
}

#[test]
fn a_send_lost_in_transit_is_retried_with_the_same_request_id() {
    let mut state = with_messages(three());
    type_text(&mut state, "maybe sent");
    key(&mut state, KeyCode::Enter);
    let id = state
        .sending
        .as_ref()
        .map(|p| p.client_request_id.clone())
        .unwrap_or_default();
    net(
        &mut state,
        NetEvent::Sent {
            client_request_id: id.clone(),
            result: Err(RpcError::new(Code::Unavailable, "connection reset")),
        },
    );
    assert_eq!(state.draft.editor.text(), "maybe sent");
    let effects = key(&mut state, KeyCode::Enter);
    assert_eq!(
        commands(&effects),
        vec![Command::Send {
            room: String::new(),
            content: "maybe sent".to_owned(),
            client_request_id: id
        }]
    );
}

#[test]
fn only_one_send_is_in_flight() {
    let mut state = with_messages(three());
    type_text(&mut state, "one");
    key(&mut state, KeyCode::Enter);
    type_text(&mut state, "two");
    assert!(commands(&key(&mut state, KeyCode::Enter)).is_empty());
    assert_eq!(state.draft.editor.text(), "two");
}

#[test]
fn blank_drafts_are_not_sent() {
    let mut state = with_messages(three());
    type_text(&mut state, "   ");
    assert!(key(&mut state, KeyCode::Enter).is_empty());
}

#[test]
fn readline_keys_edit_the_draft() {
    let mut state = with_messages(three());
    type_text(&mut state, "hello big world");
    ctrl(&mut state, 'w');
    assert_eq!(state.draft.editor.text(), "hello big ");
    ctrl(&mut state, 'a');
    type_text(&mut state, ">");
    assert_eq!(state.draft.editor.text(), ">hello big ");
    ctrl(&mut state, 'e');
    type_text(&mut state, "end");
    key(&mut state, KeyCode::Left);
    key(&mut state, KeyCode::Left);
    key(&mut state, KeyCode::Backspace);
    assert_eq!(state.draft.editor.text(), ">hello big nd");
    key(&mut state, KeyCode::Home);
    key(&mut state, KeyCode::Right);
    key(&mut state, KeyCode::Delete);
    assert_eq!(state.draft.editor.text(), ">ello big nd");
    key(&mut state, KeyCode::End);
    ctrl(&mut state, 'u');
    assert!(state.draft.editor.is_empty());
    ctrl(&mut state, 'y');
    assert_eq!(state.draft.editor.text(), ">ello big nd");
}

#[test]
fn alt_enter_inserts_a_newline_instead_of_sending() {
    let mut state = with_messages(three());
    type_text(&mut state, "line one");
    let effects = alt(&mut state, KeyCode::Enter);
    assert!(effects.is_empty());
    type_text(&mut state, "line two");
    assert_eq!(state.draft.editor.text(), "line one\nline two");
}

#[test]
fn up_and_down_recall_sent_drafts_without_losing_the_current_one() {
    let mut state = with_messages(three());
    state.draft.history = vec!["first".to_owned(), "second".to_owned()];
    type_text(&mut state, "unsent");
    key(&mut state, KeyCode::Up);
    assert_eq!(state.draft.editor.text(), "second");
    key(&mut state, KeyCode::Up);
    key(&mut state, KeyCode::Up);
    assert_eq!(state.draft.editor.text(), "first");
    key(&mut state, KeyCode::Down);
    assert_eq!(state.draft.editor.text(), "second");
    key(&mut state, KeyCode::Down);
    assert_eq!(state.draft.editor.text(), "unsent");
}

#[test]
fn pasted_text_keeps_its_lines_and_loses_control_characters() {
    let mut state = with_messages(three());
    update(&mut state, Event::Paste("a\r\nb\x1b[31m".to_owned()));
    assert_eq!(state.draft.editor.text(), "a\nb\u{FFFD}[31m");
}

#[test]
fn help_opens_with_f1_or_question_mark_and_any_key_closes_it() {
    let mut state = with_messages(three());
    // In the input, ? is just a character.
    type_text(&mut state, "?");
    assert_eq!(state.draft.editor.text(), "?");
    assert!(state.help.is_none());
    key(&mut state, KeyCode::F(1));
    assert!(state.help.is_some());
    key(&mut state, KeyCode::Char('x'));
    assert!(state.help.is_none());
    assert_eq!(
        state.draft.editor.text(),
        "?",
        "the closing key is not typed"
    );
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('?'));
    assert!(state.help.is_some());
}

#[test]
fn ctrl_c_quits_and_ctrl_l_redraws() {
    let mut state = with_messages(three());
    assert_eq!(ctrl(&mut state, 'l'), vec![Effect::ClearScreen]);
    let effects = ctrl(&mut state, 'c');
    // The conversation is cached for the next start, then the client quits.
    assert!(
        matches!(effects.as_slice(), [Effect::SaveCache { .. }, Effect::Quit]),
        "{effects:?}"
    );
}
