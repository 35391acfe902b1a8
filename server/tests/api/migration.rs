//! The migrations that key the event queue by a session number instead of the session id
//! (9) and replace its foreign key with a trigger (10) keep every queued event, down and
//! up again, on a database a server is using.

use crate::helpers::*;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TryGetable};

/// The two columns of every row `sql` reads, in its order.
async fn pairs<A: TryGetable, B: TryGetable>(conn: &DatabaseConnection, sql: &str) -> Vec<(A, B)> {
    let rows = conn
        .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .expect("read the queue");
    rows.iter()
        .map(|row| {
            (
                row.try_get_by_index::<A>(0).expect("first column"),
                row.try_get_by_index::<B>(1).expect("second column"),
            )
        })
        .collect()
}

/// (session id, event id) of every queued event, in order, read through `sql`.
async fn queued(conn: &DatabaseConnection, sql: &str) -> Vec<(String, i64)> {
    pairs(conn, sql).await
}

const BY_NUMBER: &str = "SELECT s.id, q.event_id FROM event_queue AS q \
    JOIN sessions AS s ON s.seq = q.session_seq ORDER BY s.id, q.event_id";
const BY_ID: &str = "SELECT session_id, event_id FROM event_queue ORDER BY session_id, event_id";

async fn one_number(conn: &DatabaseConnection, sql: &str) -> i64 {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a number")
}

#[tokio::test]
async fn numbering_the_sessions_keeps_every_queued_event_both_ways() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let phone = app.sign_in("bob").await;
    let first = alice
        .send("queued across the migration")
        .await
        .expect("send");
    let conn = app.state.db.conn();
    let newest_event = one_number(conn, "SELECT MAX(id) FROM events").await;
    phone.ack(u64::try_from(newest_event).expect("an id")).await;
    let before = queued(conn, BY_NUMBER).await;
    // alice's, bob's and not the phone's (it acknowledged everything).
    assert_eq!(before.len(), 2, "{before:?}");

    // Migration 10 (the trigger), then 9 (the numbers).
    Migrator::down(conn, Some(2)).await.expect("down");
    assert_eq!(queued(conn, BY_ID).await, before);
    Migrator::up(conn, None).await.expect("up again");
    assert_eq!(queued(conn, BY_NUMBER).await, before);
    let highest = one_number(conn, "SELECT MAX(seq) FROM sessions").await;
    let numbered = one_number(conn, "SELECT COUNT(DISTINCT seq) FROM sessions").await;
    assert_eq!(numbered, 3, "every session has a number of its own");
    let last_given = one_number(
        conn,
        "SELECT CAST(value AS bigint) FROM server_meta WHERE key = 'last_session_seq'",
    )
    .await;
    assert_eq!(last_given, highest);

    // The queue still serves its session, and a new session gets a new number.
    let mut events = bob.subscribe().await;
    let event = events.next_non_presence().await;
    assert_eq!(posted(&event).message_id, first.message_id);
    // Acks still delete (on SQLite through migration 10's trigger, made again by `up`).
    bob.ack(event.event_id).await;
    let bobs = crate::delivery::session_of(&bob);
    let left = chat_server::delivery::janitor::queue_len(&app.state.delivery, &bobs).await;
    assert_eq!(left.expect("queue length"), 0);
    app.sign_in("alice").await;
    let newest = one_number(conn, "SELECT MAX(seq) FROM sessions").await;
    assert_eq!(newest, highest + 1);
}

/// Queue rows (session number, count) by session number, whether or not the session
/// still exists.
async fn rows_by_number(conn: &DatabaseConnection) -> Vec<(i64, i64)> {
    let sql =
        "SELECT session_seq, COUNT(*) FROM event_queue GROUP BY session_seq ORDER BY session_seq";
    pairs(conn, sql).await
}

async fn number_of(conn: &DatabaseConnection, user: &User) -> i64 {
    let sql = format!(
        "SELECT seq FROM sessions WHERE id = '{}'",
        crate::delivery::session_of(user)
    );
    one_number(conn, &sql).await
}

/// Without a foreign key on the queue, its rows still leave with their session, however
/// the session ends: signed out, revoked by an admin, or with its account deleted.
#[tokio::test]
async fn a_sessions_queue_goes_with_it_however_it_ends() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let (bob, carol, dave) = (
        app.user("bob").await,
        app.user("carol").await,
        app.user("dave").await,
    );
    alice.send("queued for everyone").await.expect("send");
    let conn = app.state.db.conn();
    let numbers = [
        number_of(conn, &bob).await,
        number_of(conn, &carol).await,
        number_of(conn, &dave).await,
    ];
    let before = rows_by_number(conn).await;
    for n in numbers {
        assert!(
            before.iter().any(|(seq, count)| *seq == n && *count > 0),
            "{n} has queued rows: {before:?}"
        );
    }

    bob.sign_out().await.expect("sign out");
    chat_server::admin::revoke_sessions(&app.state.db, "carol", None)
        .await
        .expect("revoke");
    // An account's deletion cascades to its sessions, and from them to their queues.
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        "DELETE FROM users WHERE name = 'dave'",
    ))
    .await
    .expect("delete dave");

    let after = rows_by_number(conn).await;
    for n in numbers {
        assert!(
            after.iter().all(|(seq, _)| *seq != n),
            "{n} kept rows: {after:?}"
        );
    }
    // alice's own session keeps its rows.
    let alices = number_of(conn, &alice).await;
    assert_eq!(
        after.iter().find(|(seq, _)| *seq == alices),
        before.iter().find(|(seq, _)| *seq == alices)
    );
}

/// Rows left without a session (an operator's `TRUNCATE`, say: no trigger fires) are
/// dropped by the janitor's next pass; the others stay.
#[tokio::test]
async fn the_janitor_drops_queue_rows_whose_session_is_gone() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.send("queued for bob").await.expect("send");
    let conn = app.state.db.conn();
    let before = rows_by_number(conn).await;
    let gone = 1 + one_number(conn, "SELECT MAX(seq) FROM sessions").await;
    let orphans =
        format!("INSERT INTO event_queue (session_seq, event_id) VALUES ({gone}, 1), ({gone}, 2)");
    conn.execute_raw(Statement::from_string(conn.get_database_backend(), orphans))
        .await
        .expect("insert rows of no session");

    let sweep = chat_server::delivery::janitor::sweep(&app.state.delivery)
        .await
        .expect("sweep");
    assert_eq!(sweep.orphaned_rows, 2);
    assert_eq!(sweep.trimmed_rows, 0);
    assert_eq!(rows_by_number(conn).await, before);
    let bobs = number_of(conn, &bob).await;
    assert!(before.iter().any(|(seq, _)| *seq == bobs), "{before:?}");
}
