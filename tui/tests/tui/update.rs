//! State tests: `update(state, event)` and the effects it asks for.

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

// ---- signing in ----

#[test]
fn signing_in_opens_the_chat_and_loads_the_newest_page() {
    let mut state = new_state();
    let effects = net(
        &mut state,
        NetEvent::SignedIn {
            user_id: ME_ID.to_owned(),
            user_name: ME.to_owned(),
        },
    );
    assert_eq!(state.screen, Screen::Chat);
    assert_eq!(state.focus, Focus::Input);
    assert_eq!(
        commands(&effects),
        vec![Command::LoadNewest, Command::RefreshSendStatus]
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

// ---- selection and scrolling ----

#[test]
fn focusing_the_pane_selects_the_newest_message() {
    let mut state = with_messages(three());
    key(&mut state, KeyCode::Esc);
    assert_eq!(state.focus, Focus::Pane);
    assert_eq!(selected_id(&state), "m3");
}

#[test]
fn j_and_k_move_the_selection_and_stop_at_the_ends() {
    let mut state = with_messages(three());
    key(&mut state, KeyCode::Tab);
    key(&mut state, KeyCode::Char('k'));
    assert_eq!(selected_id(&state), "m2");
    key(&mut state, KeyCode::Up);
    key(&mut state, KeyCode::Up);
    key(&mut state, KeyCode::Up);
    assert_eq!(selected_id(&state), "m1");
    key(&mut state, KeyCode::Char('j'));
    assert_eq!(selected_id(&state), "m2");
    key(&mut state, KeyCode::Down);
    key(&mut state, KeyCode::Down);
    assert_eq!(selected_id(&state), "m3");
    assert!(state.timeline.is_following());
}

#[test]
fn g_and_shift_g_jump_to_the_oldest_and_newest() {
    let mut state = with_messages(three());
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('g'));
    assert_eq!(selected_id(&state), "m1");
    assert!(!state.timeline.is_following());
    key(&mut state, KeyCode::Char('G'));
    assert_eq!(selected_id(&state), "m3");
    assert!(state.timeline.is_following());
}

#[test]
fn i_tab_and_enter_return_to_the_input() {
    for back in [KeyCode::Char('i'), KeyCode::Tab, KeyCode::Enter] {
        let mut state = with_messages(three());
        key(&mut state, KeyCode::Esc);
        key(&mut state, back);
        assert_eq!(state.focus, Focus::Input, "{back:?}");
    }
}

fn many(n: usize) -> Vec<chat_protocol::chat::v1::Message> {
    (0..n)
        .map(|i| {
            msg(
                &format!("m{i:03}"),
                if i % 2 == 0 { "alice" } else { "bob" },
                &format!("message number {i}"),
                i64::try_from(i).unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn page_up_and_down_move_by_a_screenful() {
    let mut state = with_messages(many(40));
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::PageUp);
    let after_up = state.timeline.selected;
    assert!((25..=30).contains(&after_up), "selected {after_up}");
    key(&mut state, KeyCode::PageDown);
    assert_eq!(state.timeline.selected, 39);
    assert!(state.timeline.is_following());
}

#[test]
fn page_up_in_the_input_scrolls_without_leaving_the_input() {
    let mut state = with_messages(many(40));
    key(&mut state, KeyCode::PageUp);
    assert_eq!(state.focus, Focus::Input);
    assert!(!state.timeline.is_following());
    key(&mut state, KeyCode::PageDown);
    key(&mut state, KeyCode::PageDown);
    assert!(state.timeline.is_following());
}

#[test]
fn reaching_the_top_loads_the_older_page_and_keeps_the_selection() {
    let mut state = signed_in();
    net(&mut state, newest_page(many(40)[20..].to_vec(), true));
    key(&mut state, KeyCode::Esc);
    let effects = key(&mut state, KeyCode::Char('g'));
    assert_eq!(
        commands(&effects),
        vec![Command::LoadOlder {
            before: "m020".to_owned()
        }]
    );
    assert!(state.timeline.loading_older);
    // Only one request at a time.
    assert!(commands(&key(&mut state, KeyCode::Char('k'))).is_empty());
    net(
        &mut state,
        NetEvent::Page {
            kind: PageKind::Older {
                before: "m020".to_owned(),
            },
            result: Ok(Page {
                messages: many(40)[..20].to_vec(),
                has_more: false,
            }),
        },
    );
    assert_eq!(state.timeline.len(), 40);
    assert_eq!(selected_id(&state), "m020");
    assert!(!state.timeline.has_more);
}

// ---- live events ----

#[test]
fn events_are_applied_once_and_acked() {
    let mut state = with_messages(three());
    let effects = net(&mut state, posted(5, msg("m4", "alice", "new", 4)));
    assert_eq!(commands(&effects), vec![Command::Ack { up_to: 5 }]);
    assert_eq!(state.timeline.len(), 4);
    // The same event again (a reconnect re-sends unacked ones), and an older one.
    assert!(net(&mut state, posted(5, msg("m4", "alice", "new", 4))).is_empty());
    assert!(net(&mut state, posted(3, msg("m0", "alice", "stale", 0))).is_empty());
    assert_eq!(state.timeline.len(), 4);
    assert_eq!(state.last_event_id, 5);
}

#[test]
fn a_message_already_on_the_page_is_not_added_twice() {
    let mut state = with_messages(three());
    net(&mut state, posted(9, msg("m3", ME, "third", 3)));
    assert_eq!(state.timeline.len(), 3);
}

#[test]
fn new_messages_follow_the_conversation_when_at_the_bottom() {
    let mut state = with_messages(three());
    net(&mut state, posted(1, msg("m4", "alice", "new", 4)));
    assert_eq!(selected_id(&state), "m4");
    assert!(state.timeline.unread_marker.is_none());
}

#[test]
fn new_messages_below_a_pinned_view_are_counted_and_marked() {
    let mut state = with_messages(many(40));
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::PageUp);
    let selected = selected_id(&state);
    net(&mut state, posted(1, msg("n1", "alice", "one", 50)));
    net(&mut state, posted(2, msg("n2", "bob", "two", 51)));
    assert_eq!(selected_id(&state), selected, "the selection stays put");
    assert_eq!(state.timeline.unread_marker.as_deref(), Some("n1"));
    assert_eq!(state.timeline.unread_below, 2);
    key(&mut state, KeyCode::Char('G'));
    assert_eq!(state.timeline.unread_below, 0);
    // The divider stays where the new messages began.
    assert_eq!(state.timeline.unread_marker.as_deref(), Some("n1"));
}

#[test]
fn resync_reloads_the_newest_page() {
    let mut state = with_messages(three());
    let effects = net(&mut state, resync(7));
    assert!(commands(&effects).contains(&Command::LoadNewest));
    assert!(commands(&effects).contains(&Command::Ack { up_to: 7 }));
    // Meanwhile a live message arrives; the page does not have it yet.
    net(&mut state, posted(8, msg("m9", "bob", "live", 9)));
    net(
        &mut state,
        newest_page(
            vec![msg("m5", "alice", "five", 5), msg("m6", "bob", "six", 6)],
            true,
        ),
    );
    let ids: Vec<&str> = state
        .timeline
        .messages
        .iter()
        .map(|m| m.message_id.as_str())
        .collect();
    assert_eq!(ids, vec!["m5", "m6", "m9"]);
    assert!(state.timeline.has_more);
}

// ---- reconnecting ----

#[test]
fn a_lost_connection_keeps_everything_and_catches_up_without_duplicates() {
    let mut state = with_messages(three());
    net(&mut state, posted(10, msg("m4", "alice", "before", 4)));
    type_text(&mut state, "half a thought");
    net(
        &mut state,
        NetEvent::Connection(Connection::Reconnecting {
            attempt: 2,
            seconds_left: 3,
        }),
    );
    assert_eq!(state.timeline.len(), 4);
    assert_eq!(state.draft.editor.text(), "half a thought");
    assert!(screen(&mut state, 80, 24).contains("reconnecting in 3s"));

    net(&mut state, NetEvent::Connection(Connection::Connected));
    assert!(
        state
            .notice
            .as_ref()
            .is_some_and(|n| n.text.contains("reconnected"))
    );
    // The server re-sends what was not acked, then what was missed.
    net(&mut state, posted(10, msg("m4", "alice", "before", 4)));
    let effects = net(&mut state, posted(11, msg("m5", "bob", "missed", 5)));
    assert_eq!(commands(&effects), vec![Command::Ack { up_to: 11 }]);
    assert_eq!(state.timeline.len(), 5);
    assert_eq!(state.draft.editor.text(), "half a thought");
}

#[test]
fn ctrl_r_asks_to_reconnect_now() {
    let mut state = with_messages(three());
    let effects = ctrl(&mut state, 'r');
    assert_eq!(commands(&effects), vec![Command::ReconnectNow]);
}

// ---- reactions ----

#[test]
fn a_reaction_shows_at_once_and_is_confirmed_by_the_answer() {
    let mut state = with_messages(three());
    key(&mut state, KeyCode::Esc);
    let effects = key(&mut state, KeyCode::Char('1'));
    assert_eq!(
        commands(&effects),
        vec![Command::React {
            op: 1,
            message_id: "m3".to_owned(),
            emoji: "👍".to_owned()
        }]
    );
    assert_eq!(names(&state, "👍"), vec![ME]);
    let confirmed = reacted(msg("m3", ME, "third", 3), &[("👍", &[ME])]);
    net(
        &mut state,
        NetEvent::Reacted {
            op: 1,
            message_id: "m3".to_owned(),
            emoji: "👍".to_owned(),
            result: Ok(confirmed),
        },
    );
    assert!(state.timeline.overlays.is_empty());
    assert_eq!(names(&state, "👍"), vec![ME]);
}

#[test]
fn toggling_again_unreacts() {
    let mut state = with_messages(vec![reacted(
        msg("m1", "alice", "hi", 1),
        &[("🎉", &["bob", ME])],
    )]);
    key(&mut state, KeyCode::Esc);
    let effects = key(&mut state, KeyCode::Char('6'));
    assert_eq!(
        commands(&effects),
        vec![Command::Unreact {
            op: 1,
            message_id: "m1".to_owned(),
            emoji: "🎉".to_owned()
        }]
    );
    assert_eq!(names(&state, "🎉"), vec!["bob"]);
}

#[test]
fn plus_toggles_thumbs_up() {
    let mut state = with_messages(three());
    key(&mut state, KeyCode::Esc);
    let effects = key(&mut state, KeyCode::Char('+'));
    assert!(matches!(
        commands(&effects).as_slice(),
        [Command::React { emoji, .. }] if emoji == "👍"
    ));
}

#[test]
fn a_refused_reaction_is_rolled_back_and_explained() {
    let mut state = with_messages(vec![reacted(
        msg("m1", "alice", "hi", 1),
        &[("❤️", &["bob"])],
    )]);
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('2'));
    assert_eq!(names(&state, "❤️"), vec!["bob", ME]);
    let effects = net(
        &mut state,
        NetEvent::Reacted {
            op: 1,
            message_id: "m1".to_owned(),
            emoji: "❤️".to_owned(),
            result: Err(RpcError::new(Code::NotFound, "message not found")),
        },
    );
    assert_eq!(names(&state, "❤️"), vec!["bob"]);
    assert_eq!(
        commands(&effects),
        vec![Command::GetMessage {
            message_id: "m1".to_owned()
        }]
    );
    let notice = state.notice.clone().unwrap_or_else(|| panic!("no notice"));
    assert_eq!(notice.kind, NoticeKind::Error);
    assert!(notice.text.contains("message not found"), "{}", notice.text);
}

#[test]
fn the_event_for_my_reaction_wins_over_an_older_answer() {
    let mut state = with_messages(three());
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('1'));
    // My reaction's event, then carol's, arrive before the RPC answer.
    let mine = reacted(msg("m3", ME, "third", 3), &[("👍", &[ME])]);
    net(
        &mut state,
        reaction_changed(1, mine.clone(), ME, "👍", true),
    );
    let both = reacted(msg("m3", ME, "third", 3), &[("👍", &[ME, "carol"])]);
    net(&mut state, reaction_changed(2, both, "carol", "👍", true));
    net(
        &mut state,
        NetEvent::Reacted {
            op: 1,
            message_id: "m3".to_owned(),
            emoji: "👍".to_owned(),
            result: Ok(mine),
        },
    );
    assert_eq!(names(&state, "👍"), vec![ME, "carol"]);
}

#[test]
fn an_answer_for_a_superseded_toggle_does_not_touch_the_newer_one() {
    let mut state = with_messages(three());
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('1')); // op 1: react
    key(&mut state, KeyCode::Char('1')); // op 2: unreact
    net(
        &mut state,
        NetEvent::Reacted {
            op: 1,
            message_id: "m3".to_owned(),
            emoji: "👍".to_owned(),
            result: Ok(reacted(msg("m3", ME, "third", 3), &[("👍", &[ME])])),
        },
    );
    assert!(names(&state, "👍").is_empty(), "still shows the unreact");
}

#[test]
fn reactions_on_my_messages_refresh_the_send_status() {
    let mut state = with_messages(three());
    let snapshot = reacted(msg("m3", ME, "third", 3), &[("👍", &["alice"])]);
    let effects = net(
        &mut state,
        reaction_changed(4, snapshot, "alice", "👍", true),
    );
    assert!(commands(&effects).contains(&Command::RefreshSendStatus));
    let other = reacted(msg("m1", "alice", "first", 1), &[("👍", &["bob"])]);
    let effects = net(&mut state, reaction_changed(5, other, "bob", "👍", true));
    assert!(!commands(&effects).contains(&Command::RefreshSendStatus));
}

// ---- sending ----

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
    assert!(commands(&effects).contains(&Command::RefreshSendStatus));
    assert!(state.sending.is_none());
    assert_eq!(state.draft.history, vec!["hello"]);
    assert_eq!(selected_id(&state), "m4");
}

#[test]
fn a_send_refused_by_the_gate_keeps_the_draft_and_says_why() {
    let mut state = with_messages(three());
    type_text(&mut state, "again");
    key(&mut state, KeyCode::Enter);
    let id = state
        .sending
        .as_ref()
        .map(|p| p.client_request_id.clone())
        .unwrap_or_default();
    // Typed while the send was on its way: also kept.
    type_text(&mut state, "!");
    let effects = net(
        &mut state,
        NetEvent::Sent {
            client_request_id: id,
            result: Err(RpcError::new(
                Code::FailedPrecondition,
                "your previous message needs 1 more reaction from another user",
            )),
        },
    );
    assert_eq!(state.draft.editor.text(), "again!");
    assert!(commands(&effects).contains(&Command::RefreshSendStatus));
    let notice = state.notice.clone().unwrap_or_else(|| panic!("no notice"));
    assert_eq!(notice.kind, NoticeKind::SendBlocked);
    assert!(notice.text.contains("needs 1 more reaction"));
    assert!(screen(&mut state, 80, 24).contains("needs 1 more reaction"));
    net(&mut state, send_status(false, 1));
    // One reaction later, the refusal is updated rather than left quoting the old count.
    net(&mut state, send_status(false, 2));
    net(&mut state, send_status(false, 1));
    assert!(
        state
            .notice
            .as_ref()
            .is_some_and(|n| n.text.contains("needs 1 more reaction from others"))
    );
    // Once others react, the status says so and the notice clears.
    net(&mut state, send_status(true, 0));
    assert!(
        state
            .notice
            .as_ref()
            .is_some_and(|n| n.text.contains("you can send"))
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

// ---- the draft editor ----

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

// ---- anywhere ----

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
    assert_eq!(ctrl(&mut state, 'c'), vec![Effect::Quit]);
}
