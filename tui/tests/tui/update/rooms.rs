//! Rooms, direct conversations, presence, edits, deletes and mentions.

use super::*;
use chat_protocol::chat::v1::event::Payload;
use chat_protocol::chat::v1::{
    Event as ChatEvent, Member, MessageDeleted, MessageEdited, PresenceChanged, Room, RoomChanged,
    RoomKind,
};
use chat_tui::app::Change;
use chat_tui::app::state::Confirm;

fn public(id: &str, name: &str) -> Room {
    Room {
        room_id: id.to_owned(),
        name: name.to_owned(),
        kind: RoomKind::Public as i32,
        member_count: 3,
        required_reactions: 2,
        ..Room::default()
    }
}

fn direct(id: &str, other: &str) -> Room {
    Room {
        room_id: id.to_owned(),
        kind: RoomKind::Direct as i32,
        member_count: 2,
        member_names: vec![ME.to_owned(), other.to_owned()],
        ..Room::default()
    }
}

fn in_room(
    mut message: chat_protocol::chat::v1::Message,
    room: &str,
) -> chat_protocol::chat::v1::Message {
    message.room_id = room.to_owned();
    message
}

fn event(event_id: u64, payload: Payload) -> NetEvent {
    NetEvent::Event(ChatEvent {
        event_id,
        created_at: None,
        payload: Some(payload),
    })
}

/// Signed in, in the lobby (three messages), #rust and a DM with bob.
fn in_three_rooms() -> chat_tui::app::State {
    let mut state = with_messages(three());
    net(
        &mut state,
        rooms_listed(vec![
            lobby(),
            public("r-rust", "rust"),
            direct("r-dm", "bob"),
        ]),
    );
    state
}

/// The notification text of the bell the effects ring, if they ring one.
fn rings(effects: &[Effect]) -> Option<String> {
    effects.iter().find_map(|e| match e {
        Effect::Bell { text } => Some(text.clone()),
        _ => None,
    })
}

/// A RoomChanged event: `user` joined or left `room`.
fn room_changed(
    event_id: u64,
    room: Room,
    user_id: String,
    user_name: String,
    joined: bool,
) -> NetEvent {
    event(
        event_id,
        Payload::RoomChanged(RoomChanged {
            room: Some(room),
            user_id,
            user_name,
            joined,
        }),
    )
}

/// The status line's notice, whole.
fn notice_text(state: &chat_tui::app::State) -> String {
    state
        .notice
        .as_ref()
        .map(chat_tui::app::state::Notice::full)
        .unwrap_or_default()
}

fn room_keys(state: &chat_tui::app::State) -> Vec<String> {
    state.rooms.list.iter().map(|r| r.key.clone()).collect()
}

#[test]
fn live_events_wait_for_the_room_list_then_land_in_their_rooms() {
    let mut state = new_state();
    net(&mut state, me_signed_in());
    net(&mut state, newest_page(three(), false));
    let effects = net(
        &mut state,
        posted(5, in_room(msg("d1", "bob", "psst", 5), "r-dm")),
    );
    assert!(
        commands(&effects).is_empty(),
        "not acked before it is applied"
    );
    assert_eq!(state.timeline.len(), 3, "a DM message is not the lobby's");
    let effects = net(
        &mut state,
        rooms_listed(vec![lobby(), direct("r-dm", "bob")]),
    );
    assert_eq!(state.timeline.len(), 3);
    let dm = state.rooms.get("r-dm").map(|r| r.unread);
    assert_eq!(dm, Some(1));
    assert!(commands(&effects).contains(&Command::Ack { up_to: 5 }));
}

#[test]
fn the_lobby_comes_first_and_dms_are_named_after_the_other_person() {
    let state = in_three_rooms();
    assert_eq!(room_keys(&state), ["", "r-rust", "r-dm"]);
    let labels: Vec<String> = state.rooms.list.iter().map(|r| r.label(ME)).collect();
    assert_eq!(labels, ["#lobby", "#rust", "bob"]);
}

#[test]
fn a_message_elsewhere_counts_as_unread_and_a_mention_rings_the_bell() {
    let mut state = in_three_rooms();
    let mut hi = in_room(msg("r1", "alice", "hi @me", 5), "r-rust");
    hi.mentioned_user_ids = vec![ME_ID.to_owned()];
    let effects = net(&mut state, posted(5, hi));
    assert_eq!(
        rings(&effects).as_deref(),
        Some("alice mentioned you in #rust")
    );
    let effects = net(
        &mut state,
        posted(6, in_room(msg("r2", "bob", "hello", 6), "r-rust")),
    );
    assert!(rings(&effects).is_none());
    let rust = state
        .rooms
        .get("r-rust")
        .cloned()
        .unwrap_or_else(|| panic!("no #rust"));
    assert_eq!((rust.unread, rust.mentions), (2, 1));
    assert_eq!(state.timeline.len(), 3, "the lobby on screen is untouched");
    // With the bell off, a mention is still counted but nothing rings.
    state.settings.bell = false;
    let mut again = in_room(msg("r3", "alice", "@me again", 7), "r-rust");
    again.mentioned_user_ids = vec![ME_ID.to_owned()];
    assert!(rings(&net(&mut state, posted(7, again))).is_none());
}

#[test]
fn switching_rooms_keeps_each_rooms_draft_and_loads_what_is_missing() {
    let mut state = in_three_rooms();
    type_text(&mut state, "half a thought");
    let effects = ctrl(&mut state, 'n');
    assert_eq!(state.room(), "r-rust");
    assert!(state.draft.editor.is_empty());
    let rust = || "r-rust".to_owned();
    assert_eq!(
        commands(&effects),
        vec![
            Command::LoadNewest { room: rust() },
            Command::RefreshSendStatus { room: rust() },
            Command::ListMembers { room: rust() },
        ]
    );
    net(
        &mut state,
        NetEvent::Page {
            room: rust(),
            kind: PageKind::Newest,
            result: Ok(Page {
                messages: vec![in_room(msg("r1", "alice", "in rust", 1), "r-rust")],
                has_more: false,
            }),
        },
    );
    assert_eq!(selected_id(&state), "r1");
    // Back: the lobby's timeline and draft are as they were, and nothing is reloaded.
    let effects = ctrl(&mut state, 'p');
    assert_eq!(state.room(), "");
    assert_eq!(state.draft.editor.text(), "half a thought");
    assert_eq!(state.timeline.len(), 3);
    assert!(
        !commands(&effects)
            .iter()
            .any(|c| matches!(c, Command::LoadNewest { .. }))
    );
    // Ctrl+P from the lobby wraps to the last room.
    ctrl(&mut state, 'p');
    assert_eq!(state.room(), "r-dm");
}

#[test]
fn switching_to_a_room_with_news_shows_the_divider_and_clears_its_counts() {
    let mut state = in_three_rooms();
    ctrl(&mut state, 'n');
    net(
        &mut state,
        NetEvent::Page {
            room: "r-rust".to_owned(),
            kind: PageKind::Newest,
            result: Ok(Page {
                messages: vec![in_room(msg("r1", "alice", "old", 1), "r-rust")],
                has_more: false,
            }),
        },
    );
    ctrl(&mut state, 'p');
    net(
        &mut state,
        posted(8, in_room(msg("r2", "alice", "new", 8), "r-rust")),
    );
    // Alt+A: the next room with something new.
    alt(&mut state, KeyCode::Char('a'));
    assert_eq!(state.room(), "r-rust");
    assert_eq!(state.timeline.unread_marker.as_deref(), Some("r2"));
    assert_eq!(state.rooms.get("r-rust").map(|r| r.unread), Some(0));
    assert_eq!(selected_id(&state), "r2");
}

#[test]
fn pages_and_statuses_for_a_room_left_behind_are_kept_for_it() {
    let mut state = in_three_rooms();
    ctrl(&mut state, 'n');
    ctrl(&mut state, 'p');
    net(
        &mut state,
        NetEvent::Page {
            room: "r-rust".to_owned(),
            kind: PageKind::Newest,
            result: Ok(Page {
                messages: vec![in_room(msg("r1", "alice", "late", 1), "r-rust")],
                has_more: false,
            }),
        },
    );
    net(
        &mut state,
        NetEvent::SendStatus {
            room: "r-rust".to_owned(),
            status: chat_protocol::chat::v1::SendStatus {
                can_send: false,
                reactions_needed: 1,
                ..Default::default()
            },
        },
    );
    assert_eq!(state.timeline.len(), 3, "not in the lobby");
    assert!(state.send_status.is_none(), "not the lobby's status");
    let effects = ctrl(&mut state, 'n');
    assert_eq!(state.timeline.len(), 1);
    assert_eq!(
        state.send_status.as_ref().map(|s| s.reactions_needed),
        Some(1)
    );
    assert!(
        !commands(&effects)
            .iter()
            .any(|c| matches!(c, Command::LoadNewest { .. }))
    );
}

#[test]
fn a_message_refused_after_switching_rooms_waits_in_its_own_rooms_input() {
    let mut state = in_three_rooms();
    type_text(&mut state, "for the lobby");
    key(&mut state, KeyCode::Enter);
    let pending = state
        .sending
        .clone()
        .unwrap_or_else(|| panic!("not sending"));
    assert_eq!(pending.room, "");
    ctrl(&mut state, 'n');
    net(
        &mut state,
        NetEvent::Sent {
            client_request_id: pending.client_request_id,
            result: Err(RpcError::new(Code::FailedPrecondition, "gate")),
        },
    );
    assert!(state.draft.editor.is_empty(), "#rust's input stays empty");
    ctrl(&mut state, 'p');
    assert_eq!(state.draft.editor.text(), "for the lobby");
}

#[test]
fn a_message_sent_in_a_room_goes_to_that_room() {
    let mut state = in_three_rooms();
    ctrl(&mut state, 'n');
    type_text(&mut state, "hi rust");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(commands(&effects).iter().any(|c| matches!(
        c,
        Command::Send { room, content, .. } if room == "r-rust" && content == "hi rust"
    )));
}

#[test]
fn join_dm_create_and_leave_from_the_command_line() {
    let mut state = in_three_rooms();
    type_text(&mut state, ":join go");
    let effects = key(&mut state, KeyCode::Enter);
    assert_eq!(
        commands(&effects),
        vec![Command::JoinRoom {
            name: "go".to_owned()
        }]
    );
    // A room of mine is simply shown.
    type_text(&mut state, ":join #Rust");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        !commands(&effects)
            .iter()
            .any(|c| matches!(c, Command::JoinRoom { .. }))
    );
    assert_eq!(state.room(), "r-rust");
    type_text(&mut state, ":dm carol");
    let effects = key(&mut state, KeyCode::Enter);
    assert_eq!(
        commands(&effects),
        vec![Command::OpenDirect {
            user_name: "carol".to_owned()
        }]
    );
    type_text(&mut state, ":dm bob");
    key(&mut state, KeyCode::Enter);
    assert_eq!(state.room(), "r-dm");
    type_text(&mut state, ":create design");
    let effects = key(&mut state, KeyCode::Enter);
    assert_eq!(
        commands(&effects),
        vec![Command::CreateRoom {
            name: "design".to_owned()
        }]
    );
    net(
        &mut state,
        NetEvent::RoomOpened {
            what: "create #design".to_owned(),
            result: Ok(public("r-design", "design")),
        },
    );
    assert_eq!(state.room(), "r-design");
    // Leaving asks first, then the lobby is shown again.
    type_text(&mut state, ":leave");
    key(&mut state, KeyCode::Enter);
    assert_eq!(
        state.confirm,
        Some(Confirm::Leave {
            room: "r-design".to_owned()
        })
    );
    let effects = key(&mut state, KeyCode::Char('y'));
    assert_eq!(
        commands(&effects),
        vec![Command::LeaveRoom {
            room: "r-design".to_owned()
        }]
    );
    net(
        &mut state,
        NetEvent::RoomLeft {
            room: "r-design".to_owned(),
            result: Ok(()),
        },
    );
    // The leave's own event says it (an old answer must not remove a room rejoined since).
    assert_eq!(state.room(), "r-design");
    net(
        &mut state,
        room_changed(
            30,
            public("r-design", "design"),
            ME_ID.to_owned(),
            ME.to_owned(),
            false,
        ),
    );
    assert_eq!(state.room(), "");
    assert!(state.rooms.get("r-design").is_none());
    // Neither the lobby nor a DM can be left.
    type_text(&mut state, ":leave");
    key(&mut state, KeyCode::Enter);
    assert_eq!(state.confirm, None);
}

#[test]
fn a_refused_join_says_why() {
    let mut state = in_three_rooms();
    net(
        &mut state,
        NetEvent::RoomOpened {
            what: "join #nope".to_owned(),
            result: Err(RpcError::new(Code::NotFound, "room not found")),
        },
    );
    assert_eq!(state.room(), "");
    assert_eq!(notice_text(&state), "join #nope: no such room or user");
}

#[test]
fn a_dm_opened_by_someone_else_appears_with_a_notice() {
    let mut state = in_three_rooms();
    // One event for both people, about the one who opened it; I am named in the room.
    let room = direct("r-dm2", "carol");
    net(
        &mut state,
        room_changed(9, room, "u-carol".to_owned(), "carol".to_owned(), true),
    );
    // Its first message counts as unread there.
    net(
        &mut state,
        posted(10, in_room(msg("d1", "carol", "hi", 10), "r-dm2")),
    );
    assert_eq!(state.rooms.get("r-dm2").map(|r| r.unread), Some(1));
    assert_eq!(room_keys(&state), ["", "r-rust", "r-dm", "r-dm2"]);
    assert_eq!(notice_text(&state), "carol opened a conversation with you");
}

#[test]
fn members_and_presence_follow_the_events() {
    let mut state = in_three_rooms();
    net(
        &mut state,
        NetEvent::Members {
            room: String::new(),
            result: Ok(vec![member("bob", false), member(ME, true)]),
        },
    );
    let online = |state: &chat_tui::app::State| -> Vec<String> {
        state
            .rooms
            .current()
            .map(|r| r.online().iter().map(|m| m.user_name.clone()).collect())
            .unwrap_or_default()
    };
    assert_eq!(online(&state), [ME]);
    net(
        &mut state,
        event(
            10,
            Payload::PresenceChanged(PresenceChanged {
                user_id: "u-bob".to_owned(),
                user_name: "bob".to_owned(),
                online: true,
            }),
        ),
    );
    assert_eq!(online(&state), ["bob", ME]);
    // A newcomer in the lobby.
    net(
        &mut state,
        event(
            11,
            Payload::PresenceChanged(PresenceChanged {
                user_id: "u-dan".to_owned(),
                user_name: "dan".to_owned(),
                online: true,
            }),
        ),
    );
    assert_eq!(online(&state), ["bob", "dan", ME]);
    // bob leaves #rust: its list (once read) loses him.
    net(
        &mut state,
        NetEvent::Members {
            room: "r-rust".to_owned(),
            result: Ok(vec![member("bob", true), member(ME, true)]),
        },
    );
    net(
        &mut state,
        room_changed(
            12,
            public("r-rust", "rust"),
            "u-bob".to_owned(),
            "bob".to_owned(),
            false,
        ),
    );
    let rust: Vec<String> = state
        .rooms
        .get("r-rust")
        .and_then(|r| r.members.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|m| m.user_name)
        .collect();
    assert_eq!(rust, [ME]);
}

#[test]
fn e_edits_my_message_in_the_input_and_esc_gives_the_draft_back() {
    let mut state = in_three_rooms();
    type_text(&mut state, "draft");
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('e'));
    assert_eq!(state.focus, Focus::Input);
    assert_eq!(state.draft.editor.text(), "third");
    key(&mut state, KeyCode::Esc);
    assert!(state.editing.is_none());
    assert_eq!(state.draft.editor.text(), "draft");
    // Again, and save.
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('e'));
    type_text(&mut state, " (fixed)");
    let effects = key(&mut state, KeyCode::Enter);
    assert_eq!(
        commands(&effects),
        vec![Command::EditMessage {
            message_id: "m3".to_owned(),
            content: "third (fixed)".to_owned(),
        }]
    );
    // Refused: the edit stays in the input.
    net(
        &mut state,
        NetEvent::MessageChanged {
            change: Change::Edit,
            message_id: "m3".to_owned(),
            result: Err(RpcError::new(Code::Unavailable, "down")),
        },
    );
    assert_eq!(state.draft.editor.text(), "third (fixed)");
    let mut edited = msg("m3", ME, "third (fixed)", 3);
    edited.edited_at = Some(prost_types::Timestamp {
        seconds: 1,
        nanos: 0,
    });
    net(
        &mut state,
        NetEvent::MessageChanged {
            change: Change::Edit,
            message_id: "m3".to_owned(),
            result: Ok(edited),
        },
    );
    assert!(state.editing.is_none());
    assert_eq!(state.draft.editor.text(), "draft");
    assert_eq!(
        state.timeline.messages.last().map(|m| m.content.as_str()),
        Some("third (fixed)")
    );
    let screen = screen(&mut state, 80, 24);
    assert!(screen.contains("(edited)"), "{screen}");
}

#[test]
fn only_my_own_messages_can_be_edited_or_deleted() {
    let mut state = in_three_rooms();
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('k'));
    assert_eq!(selected_id(&state), "m2");
    key(&mut state, KeyCode::Char('e'));
    assert!(state.editing.is_none());
    key(&mut state, KeyCode::Char('d'));
    assert_eq!(state.confirm, None);
    assert_eq!(notice_text(&state), "you can only delete your own messages");
}

#[test]
fn d_deletes_after_yes_and_the_tombstone_says_so() {
    let mut state = in_three_rooms();
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('d'));
    // Anything but y keeps it.
    let effects = key(&mut state, KeyCode::Char('n'));
    assert!(commands(&effects).is_empty());
    key(&mut state, KeyCode::Char('d'));
    let effects = key(&mut state, KeyCode::Char('y'));
    assert_eq!(
        commands(&effects),
        vec![Command::DeleteMessage {
            message_id: "m3".to_owned()
        }]
    );
    let mut tombstone = msg("m3", ME, "", 3);
    tombstone.deleted = true;
    net(
        &mut state,
        event(
            13,
            Payload::MessageDeleted(MessageDeleted {
                message: Some(tombstone),
            }),
        ),
    );
    let screen = screen(&mut state, 80, 24);
    assert!(screen.contains("message deleted"), "{screen}");
    assert!(!screen.contains("third"), "{screen}");
}

#[test]
fn an_edit_by_someone_else_updates_the_message_where_it_is() {
    let mut state = in_three_rooms();
    let mut edited = msg("m1", "alice", "first, edited", 1);
    edited.edited_at = Some(prost_types::Timestamp {
        seconds: 2,
        nanos: 0,
    });
    net(
        &mut state,
        event(
            14,
            Payload::MessageEdited(MessageEdited {
                message: Some(edited),
            }),
        ),
    );
    assert_eq!(
        state.timeline.messages.first().map(|m| m.content.as_str()),
        Some("first, edited")
    );
}

#[test]
fn tab_after_an_at_sign_completes_a_member_name() {
    let mut state = in_three_rooms();
    net(
        &mut state,
        NetEvent::Members {
            room: String::new(),
            result: Ok(vec![
                member("Bobby", true),
                member("alice", true),
                member(ME, true),
            ]),
        },
    );
    type_text(&mut state, "hey @bo");
    key(&mut state, KeyCode::Tab);
    assert_eq!(state.draft.editor.text(), "hey @Bobby ");
    assert_eq!(
        state.focus,
        Focus::Input,
        "Tab completed instead of leaving"
    );
    // Tab after :dm completes a user, after :join a room.
    state.draft.editor.set_text(":dm al");
    key(&mut state, KeyCode::Tab);
    assert_eq!(state.draft.editor.text(), ":dm alice");
    state.draft.editor.set_text(":join ru");
    let effects = key(&mut state, KeyCode::Tab);
    assert_eq!(state.draft.editor.text(), ":join rust");
    assert!(commands(&effects).contains(&Command::ListRooms { public: true }));
}

#[test]
fn leaving_says_which_room_whichever_comes_first_the_event_or_the_answer() {
    let mut state = in_three_rooms();
    ctrl(&mut state, 'n');
    net(
        &mut state,
        room_changed(
            20,
            public("r-rust", "rust"),
            ME_ID.to_owned(),
            ME.to_owned(),
            false,
        ),
    );
    assert_eq!(state.room(), "", "back in the lobby");
    net(
        &mut state,
        NetEvent::RoomLeft {
            room: "r-rust".to_owned(),
            result: Ok(()),
        },
    );
    assert_eq!(notice_text(&state), "left #rust");
    assert_eq!(room_keys(&state), ["", "r-dm"]);
}

#[test]
fn without_a_stream_the_answer_to_a_leave_removes_the_room() {
    let mut state = in_three_rooms();
    net(
        &mut state,
        NetEvent::Connection(Connection::Reconnecting {
            attempt: 1,
            seconds_left: 3,
        }),
    );
    net(
        &mut state,
        NetEvent::RoomLeft {
            room: "r-rust".to_owned(),
            result: Ok(()),
        },
    );
    assert_eq!(room_keys(&state), ["", "r-dm"]);
}

#[test]
fn a_resync_keeps_every_rooms_draft() {
    let mut state = in_three_rooms();
    ctrl(&mut state, 'n');
    type_text(&mut state, "unsent in rust");
    ctrl(&mut state, 'p');
    net(&mut state, resync(40));
    ctrl(&mut state, 'n');
    assert_eq!(state.draft.editor.text(), "unsent in rust");
    assert!(!state.timeline.loaded, "the room's page is read again");
}

#[test]
fn browsing_the_history_then_switching_keeps_the_draft_not_the_old_message() {
    let mut state = in_three_rooms();
    state.draft.history.push("an old message".to_owned());
    type_text(&mut state, "my real draft");
    key(&mut state, KeyCode::Up);
    assert_eq!(state.draft.editor.text(), "an old message");
    ctrl(&mut state, 'n');
    ctrl(&mut state, 'p');
    assert_eq!(state.draft.editor.text(), "my real draft");
}

#[test]
fn an_edit_waits_in_its_room_while_another_is_shown() {
    let mut state = in_three_rooms();
    type_text(&mut state, "draft");
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('e'));
    type_text(&mut state, "!");
    ctrl(&mut state, 'n');
    assert!(state.editing.is_none(), "not in #rust");
    assert!(state.draft.editor.is_empty());
    ctrl(&mut state, 'p');
    assert_eq!(
        state.editing.as_ref().map(|e| e.message_id.as_str()),
        Some("m3")
    );
    assert_eq!(state.draft.editor.text(), "third!");
    key(&mut state, KeyCode::Esc);
    assert_eq!(state.draft.editor.text(), "draft");
}

#[test]
fn an_edit_saved_while_its_room_is_parked_gives_the_draft_back_there() {
    let mut state = in_three_rooms();
    type_text(&mut state, "draft");
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('e'));
    key(&mut state, KeyCode::Enter);
    ctrl(&mut state, 'n');
    net(
        &mut state,
        NetEvent::MessageChanged {
            change: Change::Edit,
            message_id: "m3".to_owned(),
            result: Ok(msg("m3", ME, "third", 3)),
        },
    );
    ctrl(&mut state, 'p');
    assert!(state.editing.is_none());
    assert_eq!(state.draft.editor.text(), "draft");
}

#[test]
fn a_retry_id_belongs_to_its_room() {
    let mut state = in_three_rooms();
    ctrl(&mut state, 'n');
    type_text(&mut state, "ok");
    key(&mut state, KeyCode::Enter);
    let first = state
        .sending
        .clone()
        .unwrap_or_else(|| panic!("not sending"));
    ctrl(&mut state, 'p');
    net(
        &mut state,
        NetEvent::Sent {
            client_request_id: first.client_request_id.clone(),
            result: Err(RpcError::new(Code::Unavailable, "timed out")),
        },
    );
    // The same text in the lobby is a new message, with a new id...
    type_text(&mut state, "ok");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(commands(&effects).iter().any(|c| matches!(
        c,
        Command::Send { room, client_request_id, .. }
            if room.is_empty() && *client_request_id != first.client_request_id
    )));
    let lobby = state.sending.take().map(|p| p.client_request_id);
    net(
        &mut state,
        NetEvent::Sent {
            client_request_id: lobby.unwrap_or_default(),
            result: Ok(msg("m9", ME, "ok", 9)),
        },
    );
    // ...and back in #rust, Enter retries with the first id.
    ctrl(&mut state, 'n');
    assert_eq!(state.draft.editor.text(), "ok");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(commands(&effects).iter().any(|c| matches!(
        c,
        Command::Send { room, client_request_id, .. }
            if room == "r-rust" && *client_request_id == first.client_request_id
    )));
}

#[test]
fn announced_presence_wins_over_an_older_member_list() {
    let mut state = in_three_rooms();
    net(
        &mut state,
        event(
            50,
            Payload::PresenceChanged(PresenceChanged {
                user_id: "u-bob".to_owned(),
                user_name: "bob".to_owned(),
                online: true,
            }),
        ),
    );
    net(
        &mut state,
        NetEvent::Members {
            room: String::new(),
            result: Ok(vec![Member {
                user_id: "u-bob".to_owned(),
                user_name: "bob".to_owned(),
                online: false,
            }]),
        },
    );
    let online = state.rooms.current().map(|r| r.online().len());
    assert_eq!(online, Some(1));
}

#[test]
fn a_failed_room_list_is_asked_for_again_by_itself() {
    let mut state = new_state();
    net(&mut state, me_signed_in());
    let effects = net(
        &mut state,
        NetEvent::Rooms {
            public: false,
            result: Err(RpcError::new(Code::Unavailable, "down")),
        },
    );
    let token = effects.iter().find_map(|e| match e {
        Effect::Wake { token, .. } if *token == chat_tui::app::Timer::RetryRooms => Some(*token),
        _ => None,
    });
    let token = token.unwrap_or_else(|| panic!("no retry in {effects:?}"));
    let effects = update(&mut state, Event::Wake(token));
    assert!(commands(&effects).contains(&Command::ListRooms { public: false }));
}

#[test]
fn a_room_list_asked_for_before_a_join_does_not_drop_the_room() {
    let mut state = in_three_rooms();
    // A reconnect asks for the list; the join's answer comes before the list's.
    net(
        &mut state,
        NetEvent::Connection(Connection::Reconnecting {
            attempt: 1,
            seconds_left: 0,
        }),
    );
    net(&mut state, NetEvent::Connection(Connection::Connected));
    net(
        &mut state,
        NetEvent::RoomOpened {
            what: "join #go".to_owned(),
            result: Ok(public("r-go", "go")),
        },
    );
    assert_eq!(state.room(), "r-go");
    net(
        &mut state,
        rooms_listed(vec![
            lobby(),
            public("r-rust", "rust"),
            direct("r-dm", "bob"),
        ]),
    );
    assert_eq!(state.room(), "r-go");
    assert!(state.rooms.get("r-go").is_some());
}

#[test]
fn a_mention_already_on_screen_does_not_ring_again() {
    let mut state = in_three_rooms();
    let mut hi = msg("m9", "alice", "@me hi", 9);
    hi.mentioned_user_ids = vec![ME_ID.to_owned()];
    assert!(rings(&net(&mut state, posted(60, hi.clone()))).is_some());
    // The same message again (a page had it, a reconnect sends it again).
    state.last_event_id = 0;
    assert!(rings(&net(&mut state, posted(61, hi))).is_none());
}

#[test]
fn a_reaction_to_my_message_rings_with_who_and_what() {
    let mut state = in_three_rooms();
    let snapshot = reacted(msg("m3", ME, "third", 3), &[("🎉", &["bob"])]);
    let effects = net(
        &mut state,
        reaction_changed(70, snapshot, "bob", "🎉", true),
    );
    assert_eq!(
        rings(&effects).as_deref(),
        Some("bob reacted 🎉 to your message")
    );
    // Taking one away, or reacting to someone else's, is no news.
    let snapshot = msg("m3", ME, "third", 3);
    let effects = net(
        &mut state,
        reaction_changed(71, snapshot, "bob", "🎉", false),
    );
    assert!(rings(&effects).is_none());
    let other = reacted(msg("m1", "alice", "first", 1), &[("👍", &["bob"])]);
    assert!(
        rings(&net(
            &mut state,
            reaction_changed(72, other, "bob", "👍", true)
        ))
        .is_none()
    );
}

#[test]
fn y_copies_the_selected_message_through_the_terminal() {
    let mut state = in_three_rooms();
    key(&mut state, KeyCode::Esc);
    let effects = key(&mut state, KeyCode::Char('y'));
    assert!(effects.contains(&Effect::Copy {
        text: "third".to_owned()
    }));
}

#[test]
fn the_window_title_counts_what_is_unread_elsewhere() {
    let mut state = in_three_rooms();
    assert_eq!(chat_tui::ui::title(&state), "chat · #lobby");
    net(
        &mut state,
        posted(80, in_room(msg("r1", "alice", "hi", 8), "r-rust")),
    );
    net(
        &mut state,
        posted(81, in_room(msg("d1", "bob", "yo", 8), "r-dm")),
    );
    assert_eq!(chat_tui::ui::title(&state), "(2) chat · #lobby");
}
