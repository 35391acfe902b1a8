//! Rooms (DESIGN §7): creating, joining, leaving and listing them, who may touch what
//! is in them, and the send gate per room.

use crate::helpers::*;
use chat_protocol::chat::v1 as pb;
use futures::future::join_all;
use std::time::Duration;
use tonic::Code;

const UNKNOWN_ID: &str = "0190a000-0000-7000-8000-000000000000";
const MALFORMED_ID: &str = "not-a-uuid";

#[tokio::test]
async fn create_room_returns_a_public_room_with_its_creator_in_it() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = alice.create_room("general").await.expect("create");
    assert_eq!(room.name, "general");
    assert_eq!(room.kind, pb::RoomKind::Public as i32);
    assert_eq!((room.member_count, room.required_reactions), (1, 2));
    assert!(room.created_at.is_some());
    assert_ne!(room.room_id, LOBBY_ID);
    let members = alice.list_members(&room.room_id).await.expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user_name, "alice");
}

#[tokio::test]
async fn the_creator_receives_room_changed() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = alice.create_room("general").await.expect("create");
    let mut events = alice.subscribe().await;
    let e = events.next_non_presence().await;
    let change = room_changed(&e);
    assert!(change.joined);
    assert_eq!(change.user_id, alice.user_id);
    assert_eq!(change.user_name, "alice");
    assert_eq!(change.room.as_ref().expect("room").room_id, room.room_id);
    events
        .expect_no_room_event(Duration::from_millis(300))
        .await;
}

#[tokio::test]
async fn room_names_follow_the_rules() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    for bad in ["", "a b", &"x".repeat(41), "tab\there", "émoji👍"] {
        assert_code(alice.create_room(bad).await, Code::InvalidArgument);
    }
    alice.create_room(&"x".repeat(40)).await.expect("40 chars");
    alice.create_room("a").await.expect("1 char");
    alice
        .create_room("with_under.dot-dash9")
        .await
        .expect("all kinds");
}

#[tokio::test]
async fn room_names_are_unique_ignoring_case_and_the_lobby_is_taken() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    alice.create_room("General").await.expect("create");
    assert_code(bob.create_room("general").await, Code::AlreadyExists);
    assert_code(alice.create_room("GENERAL").await, Code::AlreadyExists);
    assert_code(alice.create_room("Lobby").await, Code::AlreadyExists);
    assert_code(alice.create_room("lobby").await, Code::AlreadyExists);
}

#[tokio::test]
async fn join_room_by_id_or_by_name_in_any_case() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = alice.create_room("General").await.expect("create");
    let by_id = bob.join_room(&room.room_id, "").await.expect("by id");
    assert_eq!(by_id.room_id, room.room_id);
    assert_eq!(by_id.member_count, 2);
    let by_name = carol.join_room("", "gEnErAl").await.expect("by name");
    assert_eq!(by_name.room_id, room.room_id);
    assert_eq!(by_name.member_count, 3);
}

#[tokio::test]
async fn join_room_with_both_fields_agreeing_joins() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = alice.create_room("general").await.expect("create");
    let joined = bob
        .join_room(&room.room_id, "GENERAL")
        .await
        .expect("both agree");
    assert_eq!(joined.room_id, room.room_id);
}

#[tokio::test]
async fn joining_again_returns_the_same_room_and_records_nothing() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = room_with("general", &alice, &[&bob]).await;
    let mut events = bob.subscribe().await;
    assert!(room_changed(&events.next_non_presence().await).joined); // bob's join
    let again = bob.join_room(&room.room_id, "").await.expect("again");
    assert_eq!(again.room_id, room.room_id);
    assert_eq!(again.member_count, 2);
    let again = alice.join_room("", "general").await.expect("creator again");
    assert_eq!(again.member_count, 2);
    events
        .expect_no_room_event(Duration::from_millis(500))
        .await;
}

#[tokio::test]
async fn join_room_rejects_bad_targets() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let general = alice.create_room("general").await.expect("create");
    alice.create_room("other").await.expect("create");
    assert_code(bob.join_room("", "").await, Code::InvalidArgument);
    assert_code(
        bob.join_room(&general.room_id, "other").await,
        Code::InvalidArgument,
    );
    assert_code(bob.join_room(UNKNOWN_ID, "").await, Code::NotFound);
    assert_code(bob.join_room("", "nowhere").await, Code::NotFound);
    assert_code(bob.join_room(MALFORMED_ID, "").await, Code::InvalidArgument);
    assert_eq!(bob.list_rooms(false).await.expect("rooms").len(), 1);
}

#[tokio::test]
async fn a_direct_room_cannot_be_joined() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let dm = alice.open_direct("bob").await.expect("dm");
    assert_code(
        carol.join_room(&dm.room_id, "").await,
        Code::PermissionDenied,
    );
    assert_code(bob.join_room(&dm.room_id, "").await, Code::PermissionDenied);
}

#[tokio::test]
async fn leave_room_removes_the_member() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = room_with("general", &alice, &[&bob]).await;
    bob.leave_room(&room.room_id).await.expect("leave");
    let rooms = bob.list_rooms(false).await.expect("rooms");
    assert!(rooms.iter().all(|r| r.room_id != room.room_id), "{rooms:?}");
    let members = alice.list_members(&room.room_id).await.expect("members");
    assert_eq!(members.len(), 1);
    assert_code(bob.list_in(&room.room_id, "").await, Code::PermissionDenied);
}

#[tokio::test]
async fn the_leaver_and_the_others_receive_room_changed_left() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = room_with("general", &alice, &[&bob]).await;
    bob.leave_room(&room.room_id).await.expect("leave");
    for (user, skip) in [(&alice, 2), (&bob, 0)] {
        let mut events = user.subscribe().await;
        for _ in 0..skip {
            assert!(room_changed(&events.next_non_presence().await).joined);
        }
        let e = events.next_non_presence().await;
        let change = room_changed(&e);
        assert!(!change.joined);
        assert_eq!(change.user_id, bob.user_id);
        assert_eq!(change.room.as_ref().expect("room").member_count, 1);
        events
            .expect_no_room_event(Duration::from_millis(300))
            .await;
    }
}

#[tokio::test]
async fn leave_room_by_a_non_member_is_permission_denied() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = alice.create_room("general").await.expect("create");
    assert_code(bob.leave_room(&room.room_id).await, Code::PermissionDenied);
}

#[tokio::test]
async fn the_lobby_cannot_be_left() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    assert_code(alice.leave_room("").await, Code::InvalidArgument);
    assert_code(alice.leave_room(LOBBY_ID).await, Code::InvalidArgument);
    alice.send("still in the lobby").await.expect("send");
}

#[tokio::test]
async fn a_direct_room_cannot_be_left() {
    let app = spawn_app().await;
    let (alice, _bob) = (app.user("alice").await, app.user("bob").await);
    let dm = alice.open_direct("bob").await.expect("dm");
    assert_code(alice.leave_room(&dm.room_id).await, Code::InvalidArgument);
}

#[tokio::test]
async fn leave_room_of_an_unknown_or_malformed_id() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    assert_code(alice.leave_room(UNKNOWN_ID).await, Code::NotFound);
    assert_code(alice.leave_room(MALFORMED_ID).await, Code::InvalidArgument);
}

#[tokio::test]
async fn list_rooms_gives_my_rooms_with_the_lobby_first() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let first = alice.create_room("first").await.expect("create");
    bob.create_room("bobs").await.expect("create");
    let second = room_with("second", &bob, &[&alice]).await;
    let dm = alice.open_direct("bob").await.expect("dm");
    let rooms = alice.list_rooms(false).await.expect("rooms");
    let ids: Vec<&str> = rooms.iter().map(|r| r.room_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            LOBBY_ID,
            first.room_id.as_str(),
            second.room_id.as_str(),
            dm.room_id.as_str()
        ]
    );
    assert_eq!(rooms[0].kind, pb::RoomKind::Lobby as i32);
    assert_eq!(rooms[0].name, "lobby");
}

#[tokio::test]
async fn list_rooms_public_only_gives_the_lobby_and_every_public_room_but_no_dm() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let a = alice.create_room("a-room").await.expect("create");
    let b = bob.create_room("b-room").await.expect("create");
    bob.open_direct("alice").await.expect("dm");
    let carol = app.user("carol").await;
    let rooms = carol.list_rooms(true).await.expect("rooms");
    let ids: Vec<&str> = rooms.iter().map(|r| r.room_id.as_str()).collect();
    assert_eq!(ids, [LOBBY_ID, a.room_id.as_str(), b.room_id.as_str()]);
    assert!(rooms.iter().all(|r| r.kind != pb::RoomKind::Direct as i32));
    // carol is in none of them but the lobby.
    assert_eq!(carol.list_rooms(false).await.expect("mine").len(), 1);
}

#[tokio::test]
async fn list_members_of_the_lobby_is_every_user_by_name() {
    let app = spawn_app().await;
    let carol = app.user("carol").await;
    app.user("alice").await;
    app.user("bob").await;
    let members = carol.list_members("").await.expect("members");
    let names: Vec<&str> = members.iter().map(|m| m.user_name.as_str()).collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    assert_eq!(carol.list_members(LOBBY_ID).await.expect("by id").len(), 3);
}

#[tokio::test]
async fn list_members_of_a_room_is_its_members_only() {
    let app = spawn_app().await;
    let (alice, bob, _carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = room_with("general", &bob, &[&alice]).await;
    let members = bob.list_members(&room.room_id).await.expect("members");
    let names: Vec<&str> = members.iter().map(|m| m.user_name.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(members[0].user_id, alice.user_id);
}

#[tokio::test]
async fn a_non_member_cannot_touch_a_room() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = room_with("general", &alice, &[&bob]).await;
    let m = alice
        .send_in(&room.room_id, "members only")
        .await
        .expect("send");
    bob.react(&m.message_id, "").await.expect("bob reacts");
    let id = room.room_id.as_str();
    let mid = m.message_id.as_str();
    assert_code(carol.send_in(id, "let me in").await, Code::PermissionDenied);
    assert_code(carol.list_in(id, "").await, Code::PermissionDenied);
    assert_code(carol.status_in(id).await, Code::PermissionDenied);
    assert_code(carol.list_members(id).await, Code::PermissionDenied);
    assert_code(carol.get(mid).await, Code::PermissionDenied);
    assert_code(carol.react(mid, "").await, Code::PermissionDenied);
    assert_code(carol.unreact(mid, "").await, Code::PermissionDenied);
    assert_code(carol.edit(mid, "mine now").await, Code::PermissionDenied);
    assert_code(carol.delete(mid).await, Code::PermissionDenied);
    // Nothing changed.
    let now = alice.get(mid).await.expect("get");
    assert_eq!((now.content.as_str(), now.deleted), ("members only", false));
    assert_eq!(now.reactions.len(), 1);
}

#[tokio::test]
async fn a_former_member_cannot_touch_the_room() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = room_with("general", &alice, &[&bob]).await;
    let m = bob
        .send_in(&room.room_id, "before I left")
        .await
        .expect("send");
    bob.leave_room(&room.room_id).await.expect("leave");
    assert_code(
        bob.send_in(&room.room_id, "x").await,
        Code::PermissionDenied,
    );
    assert_code(bob.get(&m.message_id).await, Code::PermissionDenied);
    assert_code(bob.edit(&m.message_id, "x").await, Code::PermissionDenied);
    assert_code(bob.delete(&m.message_id).await, Code::PermissionDenied);
}

#[tokio::test]
async fn an_unknown_room_id_is_not_found() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    assert_code(alice.send_in(UNKNOWN_ID, "hello").await, Code::NotFound);
    assert_code(alice.list_in(UNKNOWN_ID, "").await, Code::NotFound);
    assert_code(alice.status_in(UNKNOWN_ID).await, Code::NotFound);
    assert_code(alice.list_members(UNKNOWN_ID).await, Code::NotFound);
}

#[tokio::test]
async fn a_malformed_room_id_is_invalid_argument() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    assert_code(
        alice.send_in(MALFORMED_ID, "hello").await,
        Code::InvalidArgument,
    );
    assert_code(alice.list_in(MALFORMED_ID, "").await, Code::InvalidArgument);
    assert_code(alice.status_in(MALFORMED_ID).await, Code::InvalidArgument);
    assert_code(
        alice.list_members(MALFORMED_ID).await,
        Code::InvalidArgument,
    );
}

#[tokio::test]
async fn messages_carry_their_room_and_stay_in_it() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = alice.create_room("general").await.expect("create");
    let in_lobby = alice.send("in the lobby").await.expect("send");
    assert_eq!(in_lobby.room_id, LOBBY_ID);
    let in_room = alice
        .send_in(&room.room_id, "in the room")
        .await
        .expect("send");
    assert_eq!(in_room.room_id, room.room_id);
    let lobby = alice.list_in("", "").await.expect("lobby");
    assert_eq!(lobby.messages.len(), 1);
    assert_eq!(lobby.messages[0].message_id, in_lobby.message_id);
    let by_id = alice.list_in(LOBBY_ID, "").await.expect("lobby by id");
    assert_eq!(by_id.messages, lobby.messages);
    let page = alice.list_in(&room.room_id, "").await.expect("room");
    assert_eq!(page.messages.len(), 1);
    assert_eq!(page.messages[0].message_id, in_room.message_id);
}

#[tokio::test]
async fn list_messages_before_a_message_of_another_room_is_not_found() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = alice.create_room("general").await.expect("create");
    let in_lobby = alice.send("lobby").await.expect("send");
    let in_room = alice.send_in(&room.room_id, "room").await.expect("send");
    assert_code(
        alice.list_in(&room.room_id, &in_lobby.message_id).await,
        Code::NotFound,
    );
    assert_code(alice.list_in("", &in_room.message_id).await, Code::NotFound);
    let before = alice
        .list_in(&room.room_id, &in_room.message_id)
        .await
        .expect("same room");
    assert!(before.messages.is_empty());
}

#[tokio::test]
async fn the_lobby_keeps_its_required_reactions_whatever_its_size() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let m = alice.send("two users only").await.expect("send");
    bob.react(&m.message_id, "").await.expect("react");
    let status = alice.status_in("").await.expect("status");
    assert_eq!(status.required_reactions, 2);
    assert_eq!(status.reactions_needed, 1);
    assert!(!status.can_send);
    assert_code(alice.send("again").await, Code::FailedPrecondition);
}

#[tokio::test]
async fn a_room_of_one_needs_no_reactions() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = alice.create_room("solo").await.expect("create");
    assert_eq!(room.required_reactions, 2, "the room's setting");
    for i in 0..3 {
        alice
            .send_in(&room.room_id, &format!("note {i}"))
            .await
            .expect("no gate alone");
    }
    let status = alice.status_in(&room.room_id).await.expect("status");
    assert_eq!(status.required_reactions, 0);
    assert!(status.can_send);
    assert_eq!(status.reactions_needed, 0);
}

#[tokio::test]
async fn a_room_of_two_needs_the_other_members_reaction() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = room_with("pair", &alice, &[&bob]).await;
    let m = alice.send_in(&room.room_id, "one").await.expect("send");
    let status = alice.status_in(&room.room_id).await.expect("status");
    assert_eq!((status.required_reactions, status.reactions_needed), (1, 1));
    assert_eq!(status.last_message_id, m.message_id);
    assert_code(
        alice.send_in(&room.room_id, "two").await,
        Code::FailedPrecondition,
    );
    bob.react(&m.message_id, "").await.expect("react");
    alice.send_in(&room.room_id, "two").await.expect("open");
}

#[tokio::test]
async fn the_gate_uses_the_member_count_at_send_time() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = alice.create_room("growing").await.expect("create");
    alice.send_in(&room.room_id, "alone").await.expect("send");
    bob.join_room(&room.room_id, "").await.expect("join");
    carol.join_room(&room.room_id, "").await.expect("join");
    let status = alice.status_in(&room.room_id).await.expect("status");
    assert_eq!((status.required_reactions, status.reactions_needed), (2, 2));
    assert_code(
        alice.send_in(&room.room_id, "now three").await,
        Code::FailedPrecondition,
    );
}

#[tokio::test]
async fn a_closed_lobby_gate_leaves_another_rooms_gate_open() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = room_with("general", &alice, &[&bob]).await;
    alice.send("lobby").await.expect("send");
    assert!(!alice.status().await.can_send);
    assert!(
        alice
            .status_in(&room.room_id)
            .await
            .expect("status")
            .can_send
    );
    alice
        .send_in(&room.room_id, "room")
        .await
        .expect("room gate open");
    // And the room's closed gate leaves the lobby's as it was.
    assert_code(
        alice.send_in(&room.room_id, "room again").await,
        Code::FailedPrecondition,
    );
    assert_code(alice.send("lobby again").await, Code::FailedPrecondition);
}

#[tokio::test]
async fn eight_concurrent_sends_in_a_room_of_three_let_exactly_one_in() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = room_with("trio", &alice, &[&bob, &carol]).await;
    let sends = (0..8).map(|i| {
        let (alice, id) = (alice.clone(), room.room_id.clone());
        async move { alice.send_in(&id, &format!("race {i}")).await }
    });
    let results = join_all(sends).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    for r in results.into_iter().filter_map(Result::err) {
        assert_eq!(r.code(), Code::FailedPrecondition, "{r:?}");
    }
    let page = alice.list_in(&room.room_id, "").await.expect("list");
    assert_eq!(page.messages.len(), 1);
}
