//! Who receives a room's events (DESIGN §7): its members only, queued and live.

use crate::{delivery::session_of, helpers::*};
use chat_server::delivery::janitor;
use std::time::Duration;

#[tokio::test]
async fn room_events_reach_members_live_and_not_others() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = room_with("general", &alice, &[&bob]).await;
    let mut b = bob.subscribe().await;
    assert!(room_changed(&b.next_non_presence().await).joined);
    let mut c = carol.subscribe().await;
    let m = alice
        .send_in(&room.room_id, "members only")
        .await
        .expect("send");
    bob.react(&m.message_id, "").await.expect("react");
    assert_eq!(
        posted(&b.next_non_presence().await).message_id,
        m.message_id
    );
    assert!(reaction(&b.next_non_presence().await).added);
    c.expect_no_room_event(Duration::from_millis(500)).await;
}

#[tokio::test]
async fn nothing_of_a_room_is_queued_for_a_non_member() {
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
    bob.react(&m.message_id, "").await.expect("react");
    assert_eq!(
        janitor::queue_len(&app.state.delivery, &session_of(&carol))
            .await
            .expect("len"),
        0
    );
    let mut c = carol.subscribe().await;
    c.expect_no_room_event(Duration::from_millis(300)).await;
    let mut b = bob.subscribe().await;
    let got = [
        b.next_non_presence().await,
        b.next_non_presence().await,
        b.next_non_presence().await,
    ];
    assert!(room_changed(&got[0]).joined);
    assert_eq!(posted(&got[1]).message_id, m.message_id);
    assert!(reaction(&got[2]).added);
}

#[tokio::test]
async fn a_leaver_stops_receiving_live_at_once() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = room_with("general", &alice, &[&bob]).await;
    let mut b = bob.subscribe().await;
    assert!(room_changed(&b.next_non_presence().await).joined);
    bob.leave_room(&room.room_id).await.expect("leave");
    assert!(!room_changed(&b.next_non_presence().await).joined);
    alice
        .send_in(&room.room_id, "after you left")
        .await
        .expect("send");
    b.expect_no_room_event(Duration::from_millis(500)).await;
    // The lobby still reaches the stream.
    let m = alice.send("lobby").await.expect("send");
    assert_eq!(
        posted(&b.next_non_presence().await).message_id,
        m.message_id
    );
}

#[tokio::test]
async fn a_leavers_unacked_queue_of_the_room_is_purged_in_every_session() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let phone = app.sign_in("bob").await;
    let room = room_with("general", &alice, &[&bob]).await;
    alice.send_in(&room.room_id, "one").await.expect("send");
    bob.leave_room(&room.room_id).await.expect("leave");
    for session in [&bob, &phone] {
        assert_eq!(
            janitor::queue_len(&app.state.delivery, &session_of(session))
                .await
                .expect("len"),
            1,
            "only the leave stays"
        );
        let mut events = session.subscribe().await;
        let change = room_changed(&events.next_non_presence().await).clone();
        assert_eq!(
            (change.user_id.as_str(), change.joined),
            (bob.user_id.as_str(), false)
        );
        events
            .expect_no_room_event(Duration::from_millis(300))
            .await;
    }
}

#[tokio::test]
async fn rejoining_replays_nothing_missed() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = room_with("general", &alice, &[&bob]).await;
    bob.leave_room(&room.room_id).await.expect("leave");
    let missed = alice
        .send_in(&room.room_id, "while away")
        .await
        .expect("send");
    bob.join_room(&room.room_id, "").await.expect("rejoin");
    let mut b = bob.subscribe().await;
    assert!(!room_changed(&b.next_non_presence().await).joined);
    assert!(room_changed(&b.next_non_presence().await).joined);
    b.expect_no_room_event(Duration::from_millis(300)).await;
    let page = bob.list_in(&room.room_id, "").await.expect("history");
    assert_eq!(page.messages[0].message_id, missed.message_id);
}

#[tokio::test]
async fn after_a_join_live_events_arrive_on_the_open_stream() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = alice.create_room("general").await.expect("create");
    let mut a = alice.subscribe().await;
    assert!(room_changed(&a.next_non_presence().await).joined);
    let mut b = bob.subscribe().await;
    bob.join_room(&room.room_id, "").await.expect("join");
    let joined = b.next_non_presence().await;
    assert_eq!(room_changed(&joined).user_id, bob.user_id);
    assert_eq!(
        room_changed(&a.next_non_presence().await).user_id,
        bob.user_id
    );
    let m = alice.send_in(&room.room_id, "welcome").await.expect("send");
    assert_eq!(
        posted(&b.next_non_presence().await).message_id,
        m.message_id
    );
}

#[tokio::test]
async fn one_stream_carries_every_room_of_the_user() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let r1 = room_with("one", &alice, &[&bob]).await;
    let r2 = room_with("two", &alice, &[&bob]).await;
    let dm = alice.open_direct("bob").await.expect("dm");
    let mut b = bob.subscribe().await;
    for _ in 0..3 {
        room_changed(&b.next_non_presence().await);
    }
    for (room, text) in [
        (&r1.room_id, "r1"),
        (&r2.room_id, "r2"),
        (&dm.room_id, "dm"),
    ] {
        alice.send_in(room, text).await.expect("send");
    }
    alice.send("lobby").await.expect("send");
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(posted(&b.next_non_presence().await).room_id.clone());
    }
    assert_eq!(
        got,
        [r1.room_id, r2.room_id, dm.room_id, LOBBY_ID.to_owned()]
    );
}
