//! Two servers on one database, as DESIGN §6 runs them. Replicas share PostgreSQL; two
//! processes on one SQLite file work too (SQLite serialises their writers), which is how
//! this test runs without `TEST_DATABASE_URL`.

use crate::helpers::*;
use sea_orm::DbBackend;
use std::time::Duration;
use tokio::time::timeout;

/// Long enough that only a wake-up, not the poll, can deliver within the test's wait.
const NO_POLL_MS: u64 = 60_000;

#[tokio::test]
async fn a_post_on_one_replica_reaches_a_subscriber_on_another() {
    let first = spawn_app_with(|s| s.delivery.poll_interval_ms = NO_POLL_MS).await;
    let second = first
        .spawn_replica(|s| s.delivery.poll_interval_ms = NO_POLL_MS)
        .await;
    let alice = first.user("alice").await;
    let bob = second.user("bob").await;
    let mut events = bob.subscribe().await;

    let sent = alice.send("hello across replicas").await.expect("send");
    if first.state.db.backend() == DbBackend::Postgres {
        // LISTEN/NOTIFY wakes the second replica's feed at commit.
        let event = timeout(Duration::from_secs(5), events.next_event())
            .await
            .expect("delivered by the NOTIFY wake-up, long before the poll");
        assert_eq!(posted(&event).message_id, sent.message_id);
    } else {
        // SQLite has no cross-process wake-up: the event waits in bob's queue, and a new
        // Subscribe (which reads the queue) has it.
        drop(events);
        let mut again = bob.subscribe().await;
        let event = again.next_event().await;
        assert_eq!(posted(&event).message_id, sent.message_id);
    }
    second.stop().await;
}
