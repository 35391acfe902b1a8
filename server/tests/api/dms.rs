//! Direct messages (DESIGN §7): the one room of two users, private to them.

use crate::helpers::*;
use chat_protocol::chat::v1 as pb;
use std::time::Duration;
use tonic::Code;

#[tokio::test]
async fn open_direct_makes_a_direct_room_of_the_two() {
    let app = spawn_app().await;
    let (alice, _bob) = (app.user("alice").await, app.user("bob").await);
    let dm = alice.open_direct("bob").await.expect("dm");
    assert_eq!(dm.kind, pb::RoomKind::Direct as i32);
    assert_eq!(dm.name, "");
    assert_eq!(dm.member_count, 2);
    let mut names = dm.member_names.clone();
    names.sort();
    assert_eq!(names, ["alice", "bob"]);
}

#[tokio::test]
async fn opening_it_records_one_room_changed_that_both_receive() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut a = alice.subscribe().await;
    let mut b = bob.subscribe().await;
    let dm = alice.open_direct("bob").await.expect("dm");
    let (ea, eb) = (a.next_non_presence().await, b.next_non_presence().await);
    assert_eq!(ea, eb, "one event for both");
    let change = room_changed(&ea);
    assert_eq!(
        (change.user_id.as_str(), change.joined),
        (alice.user_id.as_str(), true)
    );
    let room = change.room.as_ref().expect("room");
    assert_eq!(room.room_id, dm.room_id);
    assert_eq!(room.kind, pb::RoomKind::Direct as i32);
    assert_eq!(room.member_names.len(), 2);
    // Opening it again, from either side, is the same room and records nothing.
    assert_eq!(
        alice.open_direct("bob").await.expect("again").room_id,
        dm.room_id
    );
    assert_eq!(
        bob.open_direct("ALICE").await.expect("other side").room_id,
        dm.room_id
    );
    a.expect_no_room_event(Duration::from_millis(500)).await;
    b.expect_no_room_event(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn the_other_persons_open_stream_carries_the_new_dm_at_once() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut b = bob.subscribe().await;
    let dm = alice.open_direct("bob").await.expect("dm");
    room_changed(&b.next_non_presence().await);
    let m = alice.send_in(&dm.room_id, "psst").await.expect("send");
    assert_eq!(
        posted(&b.next_non_presence().await).message_id,
        m.message_id
    );
}

#[tokio::test]
async fn open_direct_with_oneself_an_unknown_or_a_malformed_name() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    assert_code(alice.open_direct("alice").await, Code::InvalidArgument);
    assert_code(alice.open_direct("ALICE").await, Code::InvalidArgument);
    assert_code(alice.open_direct("nobody").await, Code::NotFound);
    assert_code(alice.open_direct("a b").await, Code::InvalidArgument);
}

#[tokio::test]
async fn a_third_user_can_do_nothing_in_a_dm() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let dm = alice.open_direct("bob").await.expect("dm");
    let m = alice.send_in(&dm.room_id, "private").await.expect("send");
    bob.react(&m.message_id, "").await.expect("bob reacts");
    let (id, mid) = (dm.room_id.as_str(), m.message_id.as_str());
    assert_code(carol.send_in(id, "hi").await, Code::PermissionDenied);
    assert_code(carol.list_in(id, "").await, Code::PermissionDenied);
    assert_code(carol.get(mid).await, Code::PermissionDenied);
    assert_code(carol.react(mid, "").await, Code::PermissionDenied);
    assert_code(carol.unreact(mid, "").await, Code::PermissionDenied);
    assert_code(carol.list_members(id).await, Code::PermissionDenied);
    assert_code(carol.status_in(id).await, Code::PermissionDenied);
    let rooms = carol.list_rooms(false).await.expect("rooms");
    assert_eq!(rooms.len(), 1, "{rooms:?}");
}

#[tokio::test]
async fn a_third_user_receives_nothing_of_a_dm_live_or_queued() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let mut live = carol.subscribe().await;
    let dm = alice.open_direct("bob").await.expect("dm");
    let m = alice.send_in(&dm.room_id, "private").await.expect("send");
    bob.react(&m.message_id, "").await.expect("react");
    alice
        .edit(&m.message_id, "still private")
        .await
        .expect("edit");
    live.expect_no_room_event(Duration::from_millis(500)).await;
    drop(live);
    let carol2 = app.sign_in("carol").await;
    let mut later = carol2.subscribe().await;
    later.expect_no_room_event(Duration::from_millis(300)).await;
    let mut again = carol.subscribe().await;
    again.expect_no_room_event(Duration::from_millis(300)).await;
    // bob got all four.
    let mut b = bob.subscribe().await;
    for _ in 0..4 {
        b.next_non_presence().await;
    }
}

#[tokio::test]
async fn the_dm_gate_needs_exactly_the_other_persons_reaction() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    app.user("carol").await; // the lobby's size changes nothing in a DM
    let dm = alice.open_direct("bob").await.expect("dm");
    assert_eq!(dm.required_reactions, 2, "the room's setting");
    let m = alice.send_in(&dm.room_id, "one").await.expect("send");
    let status = alice.status_in(&dm.room_id).await.expect("status");
    assert_eq!((status.required_reactions, status.reactions_needed), (1, 1));
    alice.react(&m.message_id, "").await.expect("self-reaction");
    alice
        .react(&m.message_id, "🎉")
        .await
        .expect("self-reaction");
    assert_code(
        alice.send_in(&dm.room_id, "two").await,
        Code::FailedPrecondition,
    );
    bob.react(&m.message_id, "❤️").await.expect("bob");
    assert!(alice.status_in(&dm.room_id).await.expect("status").can_send);
    alice.send_in(&dm.room_id, "two").await.expect("open");
}

#[tokio::test]
async fn a_dm_is_listed_for_both_but_never_as_public() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let dm = bob.open_direct("alice").await.expect("dm");
    for u in [&alice, &bob] {
        let rooms = u.list_rooms(false).await.expect("rooms");
        assert_eq!(rooms.len(), 2);
        assert_eq!(rooms[1].room_id, dm.room_id);
        assert!(
            u.list_rooms(true)
                .await
                .expect("public")
                .iter()
                .all(|r| r.room_id != dm.room_id)
        );
    }
    let members = alice.list_members(&dm.room_id).await.expect("members");
    let names: Vec<&str> = members.iter().map(|m| m.user_name.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
}
