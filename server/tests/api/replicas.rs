//! Two servers on one database, as DESIGN §6 runs them: replicas share PostgreSQL. On
//! SQLite the ordering guarantees rest on one writer in one process, so a second server
//! on the same file must refuse to start instead.

use crate::helpers::*;
use sea_orm::DbBackend;
use std::time::Duration;
use tokio::time::timeout;

/// Long enough that only a wake-up, not the poll, can deliver within the test's wait.
const NO_POLL_MS: u64 = 60_000;

#[tokio::test]
async fn a_post_on_one_replica_reaches_a_subscriber_on_another() {
    let first = spawn_app_with(|s| s.delivery.poll_interval_ms = NO_POLL_MS).await;
    if first.state.db.backend() != DbBackend::Postgres {
        let refused = first
            .try_spawn_replica(|_| {})
            .await
            .err()
            .expect("a second server on one SQLite file must refuse to start");
        let message = format!("{refused:#}");
        assert!(message.contains("another chat-server"), "{message}");
        return;
    }
    let second = first
        .spawn_replica(|s| s.delivery.poll_interval_ms = NO_POLL_MS)
        .await;
    let alice = first.user("alice").await;
    let bob = second.user("bob").await;
    let mut events = bob.subscribe().await;

    let sent = alice.send("hello across replicas").await.expect("send");
    // LISTEN/NOTIFY wakes the second replica's feed at commit.
    let event = timeout(Duration::from_secs(5), events.next_event())
        .await
        .expect("delivered by the NOTIFY wake-up, long before the poll");
    assert_eq!(posted(&event).message_id, sent.message_id);
    second.stop().await;
}

#[tokio::test]
async fn replicas_without_a_configured_secret_accept_each_others_tokens() {
    let first = spawn_app_with(|s| s.auth.jwt_secret = Default::default()).await;
    if first.state.db.backend() != DbBackend::Postgres {
        return; // one server per SQLite database: nothing to share
    }
    // A replica with its own (empty) data directory: no secret file to find.
    let elsewhere = tempfile::tempdir().expect("data dir");
    let second = first
        .spawn_replica(|s| s.storage.data_dir = elsewhere.path().to_path_buf())
        .await;
    let alice = first.user("alice").await;
    // alice's token, issued by the first replica, works on the second.
    let on_second = second.session_of(&alice);
    on_second
        .send("signed by the other replica")
        .await
        .expect("send on the second replica");
    second.stop().await;
}

#[tokio::test]
async fn a_user_on_another_replica_goes_online_and_offline_once_each() {
    let first = spawn_app().await;
    if first.state.db.backend() != DbBackend::Postgres {
        return; // one server per SQLite database
    }
    let second = first.spawn_replica(|_| {}).await;
    let alice = first.user("alice").await;
    let bob = second.user("bob").await;
    let mut a = alice.subscribe().await;
    wait_live(&alice, &mut a).await;
    let b = bob.subscribe().await;
    assert_eq!(presence(&a.next_event().await), ("bob", true));
    drop(b);
    assert_eq!(presence(&a.next_event().await), ("bob", false));
    a.expect_silence(Duration::from_secs(1)).await;
    second.stop().await;
}
