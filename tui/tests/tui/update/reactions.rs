//! Reactions: optimistic toggles, confirmation and rollback.

use super::*;

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
    assert!(
        notice.full().contains("message not found"),
        "{}",
        notice.full()
    );
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
    assert!(commands(&effects).contains(&Command::RefreshSendStatus {
        room: String::new()
    }));
    let other = reacted(msg("m1", "alice", "first", 1), &[("👍", &["bob"])]);
    let effects = net(&mut state, reaction_changed(5, other, "bob", "👍", true));
    assert!(!commands(&effects).contains(&Command::RefreshSendStatus {
        room: String::new()
    }));
}
