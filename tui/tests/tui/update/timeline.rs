//! Selection, scrolling, live events, resync and reconnecting.

use super::*;

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
            room: String::new(),
            before: "m020".to_owned()
        }]
    );
    assert!(state.timeline.loading_older);
    // Only one request at a time.
    assert!(commands(&key(&mut state, KeyCode::Char('k'))).is_empty());
    net(
        &mut state,
        NetEvent::Page {
            room: String::new(),
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
    assert!(commands(&effects).contains(&Command::LoadNewest {
        room: String::new()
    }));
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
