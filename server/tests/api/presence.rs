//! Presence (DESIGN §7): online while one of a user's sessions has an open stream; one
//! live-only PresenceChanged per transition, never to the user themself.

use crate::{delivery::session_of, helpers::*};
use chat_server::delivery::janitor;
use std::time::Duration;

const QUIET: Duration = Duration::from_millis(700);

#[tokio::test]
async fn a_user_coming_online_is_announced_once_whatever_their_sessions() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    app.sign_up("bob").await;
    let (laptop, phone) = (app.sign_in("bob").await, app.sign_in("bob").await);
    let mut a = alice.subscribe().await;
    wait_live(&alice, &mut a).await;
    let _l = laptop.subscribe().await;
    assert_eq!(presence(&a.next_event().await), ("bob", true));
    let mut p = phone.subscribe().await;
    wait_live(&phone, &mut p).await;
    a.expect_silence(QUIET).await;
}

#[tokio::test]
async fn closing_one_of_two_streams_is_silent_and_the_last_goes_offline_once() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    app.sign_up("bob").await;
    let (laptop, phone) = (app.sign_in("bob").await, app.sign_in("bob").await);
    let mut a = alice.subscribe().await;
    wait_live(&alice, &mut a).await;
    let mut l = laptop.subscribe().await;
    wait_live(&laptop, &mut l).await;
    let mut p = phone.subscribe().await;
    wait_live(&phone, &mut p).await;
    assert_eq!(presence(&a.next_event().await), ("bob", true));
    drop(l);
    a.expect_silence(QUIET).await;
    drop(p);
    assert_eq!(presence(&a.next_event().await), ("bob", false));
    a.expect_silence(QUIET).await;
}

#[tokio::test]
async fn a_user_never_receives_their_own_presence() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut b = bob.subscribe().await;
    wait_live(&bob, &mut b).await;
    let mut a1 = alice.subscribe().await;
    wait_live(&alice, &mut a1).await;
    assert_eq!(presence(&b.next_event().await), ("alice", true));
    drop(a1);
    assert_eq!(presence(&b.next_event().await), ("alice", false));
    let mut a2 = alice.subscribe().await;
    assert_eq!(presence(&b.next_event().await), ("alice", true));
    wait_live(&alice, &mut a2).await;
    a2.expect_silence(QUIET).await;
}

#[tokio::test]
async fn presence_is_never_queued() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let watching = app.user("watcher").await;
    let mut watcher = watching.subscribe().await;
    wait_live(&watching, &mut watcher).await;
    let b = bob.subscribe().await;
    assert_eq!(presence(&watcher.next_event().await), ("bob", true));
    drop(b);
    assert_eq!(presence(&watcher.next_event().await), ("bob", false));
    assert_eq!(
        janitor::queue_len(&app.state.delivery, &session_of(&alice))
            .await
            .expect("len"),
        0
    );
    let mut a = alice.subscribe().await;
    a.expect_silence(QUIET).await;
    assert_eq!(
        janitor::queue_len(&app.state.delivery, &session_of(&watching))
            .await
            .expect("len"),
        1,
        "only the sync room's RoomChanged"
    );
}

#[tokio::test]
async fn list_members_shows_who_is_online() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let online = |members: Vec<chat_protocol::chat::v1::Member>| -> Vec<(String, bool)> {
        members
            .into_iter()
            .map(|m| (m.user_name, m.online))
            .collect()
    };
    let room = room_with("pair", &alice, &[&bob]).await;
    let mut a = alice.subscribe().await;
    wait_live(&alice, &mut a).await;
    let expect = |a: bool, b: bool| vec![("alice".to_owned(), a), ("bob".to_owned(), b)];
    assert_eq!(
        online(bob.list_members("").await.expect("lobby")),
        expect(true, false)
    );
    let b = bob.subscribe().await;
    assert_eq!(presence(&a.next_non_room().await), ("bob", true));
    assert_eq!(
        online(alice.list_members(&room.room_id).await.expect("room")),
        expect(true, true)
    );
    drop(b);
    assert_eq!(presence(&a.next_non_room().await), ("bob", false));
    assert_eq!(
        online(alice.list_members("").await.expect("lobby")),
        expect(true, false)
    );
}

#[tokio::test]
async fn resubscribing_the_same_session_does_not_flap() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut a = alice.subscribe().await;
    wait_live(&alice, &mut a).await;
    let mut old = bob.subscribe().await;
    assert_eq!(presence(&a.next_event().await), ("bob", true));
    let mut new = bob.subscribe().await;
    wait_live(&bob, &mut new).await;
    assert_eq!(old.end_status().await.code(), tonic::Code::Aborted);
    a.expect_silence(QUIET).await;
}

#[tokio::test]
async fn signing_out_takes_the_user_offline() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut a = alice.subscribe().await;
    wait_live(&alice, &mut a).await;
    let _b = bob.subscribe().await;
    assert_eq!(presence(&a.next_event().await), ("bob", true));
    bob.sign_out().await.expect("sign out");
    assert_eq!(presence(&a.next_event().await), ("bob", false));
}
