use crate::helpers::*;
use chat_protocol::chat::v1 as pb;
use chat_server::delivery::janitor;
use std::time::Duration;
use tonic::Code;

#[tokio::test]
async fn a_subscriber_receives_posts_and_reactions_live() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut events = bob.subscribe().await;
    let m = alice.send("hello").await.expect("send");
    let e1 = events.next_event().await;
    assert_eq!(posted(&e1).message_id, m.message_id);
    assert_eq!(posted(&e1).content, "hello");
    assert!(e1.created_at.is_some());

    bob.react(&m.message_id, "🎉").await.expect("react");
    let e2 = events.next_event().await;
    assert!(e2.event_id > e1.event_id);
    let r = reaction(&e2);
    assert_eq!(
        (
            r.message_id.as_str(),
            r.user_name.as_str(),
            r.emoji.as_str(),
            r.added
        ),
        (m.message_id.as_str(), "bob", "🎉", true)
    );
    assert_eq!(r.message.as_ref().expect("snapshot").reactions[0].count, 1);

    bob.unreact(&m.message_id, "🎉").await.expect("unreact");
    let e3 = events.next_event().await;
    let r = reaction(&e3);
    assert!(!r.added);
    assert!(r.message.as_ref().expect("snapshot").reactions.is_empty());
}

#[tokio::test]
async fn two_sessions_of_one_user_both_receive_every_event() {
    let app = spawn_app().await;
    app.sign_up("bob").await;
    let (laptop, phone) = (app.sign_in("bob").await, app.sign_in("bob").await);
    let alice = app.user("alice").await;
    let (mut a, mut b) = (laptop.subscribe().await, phone.subscribe().await);
    let m = alice.send("to both").await.expect("send");
    laptop
        .react(&m.message_id, "👍")
        .await
        .expect("react from one session");
    let (from_a, from_b) = (a.next_events(2).await, b.next_events(2).await);
    assert_eq!(from_a, from_b);
    assert_eq!(posted(&from_a[0]).message_id, m.message_id);
    assert!(reaction(&from_a[1]).added);
}

#[tokio::test]
async fn events_posted_while_signed_in_but_not_subscribed_arrive_on_subscribe() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let m = alice.send("while you were away").await.expect("send");
    bob.react(&m.message_id, "").await.expect("react");
    carol.react(&m.message_id, "❤️").await.expect("react");

    let mut events = bob.subscribe().await;
    let got = events.next_events(3).await;
    assert_eq!(posted(&got[0]).message_id, m.message_id);
    assert_eq!(reaction(&got[1]).user_name, "bob");
    assert_eq!(reaction(&got[2]).user_name, "carol");
    assert!(got.windows(2).all(|w| w[0].event_id < w[1].event_id));
    // Then live, with no gap.
    let next = alice.send("and now live").await.expect("send");
    assert_eq!(
        posted(&events.next_event().await).message_id,
        next.message_id
    );
}

#[tokio::test]
async fn a_session_that_signs_in_later_does_not_get_older_events() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.send("before bob existed").await.expect("send");
    let bob = app.user("bob").await;
    let mut events = bob.subscribe().await;
    events.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn unacked_events_are_redelivered_and_acked_ones_are_not() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let m = alice.send("one").await.expect("send");
    bob.react(&m.message_id, "").await.expect("react");
    carol.react(&m.message_id, "").await.expect("react");

    let mut first = bob.subscribe().await;
    let got = first.next_events(3).await;
    drop(first);
    // Nothing acked: all three again.
    let mut second = bob.subscribe().await;
    let again = second.next_events(3).await;
    assert_eq!(got, again);
    drop(second);

    bob.ack(got[1].event_id).await;
    let mut third = bob.subscribe().await;
    let rest = third.next_event().await;
    assert_eq!(rest.event_id, got[2].event_id);
    third.expect_silence(Duration::from_millis(300)).await;
    drop(third);

    bob.ack(got[2].event_id).await;
    assert_eq!(
        janitor::queue_len(&app.state.delivery, &session_of(&bob))
            .await
            .expect("len"),
        0
    );
}

#[tokio::test]
async fn a_new_subscribe_replaces_the_old_stream() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut old = bob.subscribe().await;
    let mut new = bob.subscribe().await;
    assert_eq!(old.end_status().await.code(), Code::Aborted);
    let m = alice.send("to the new stream").await.expect("send");
    assert_eq!(posted(&new.next_event().await).message_id, m.message_id);
}

#[tokio::test]
async fn signing_out_ends_the_stream_and_drops_the_queue() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut events = bob.subscribe().await;
    alice.send("x").await.expect("send");
    events.next_event().await;
    let sid = session_of(&bob);
    bob.sign_out().await.expect("sign out");
    assert_eq!(events.end_status().await.code(), Code::Unauthenticated);
    assert_eq!(
        janitor::queue_len(&app.state.delivery, &sid)
            .await
            .expect("len"),
        0
    );
    // Events after sign-out are not queued for the ended session.
    alice
        .react(
            &alice.list("", 1).await.expect("list").messages[0].message_id,
            "",
        )
        .await
        .expect("react");
    assert_eq!(
        janitor::queue_len(&app.state.delivery, &sid)
            .await
            .expect("len"),
        0
    );
}

#[tokio::test]
async fn event_ids_increase_across_many_concurrent_writers() {
    let app = spawn_app().await;
    let (_author, m, reactors, mut events) = reaction_scene(&app).await;
    let emoji = ["👍", "❤️", "😂", "😮"];
    let mut tasks = Vec::new();
    for r in &reactors {
        for e in emoji {
            tasks.push(r.react(&m.message_id, e));
        }
    }
    let results = futures::future::join_all(tasks).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let got = events.next_events(24).await;
    assert!(
        got.windows(2).all(|w| w[0].event_id < w[1].event_id),
        "in order, no duplicates"
    );
    // The last snapshot has seen every reaction.
    let last = reaction(got.last().expect("some"))
        .message
        .clone()
        .expect("snapshot");
    assert_eq!(last.reactions.iter().map(|r| r.count).sum::<u32>(), 24);
}

#[tokio::test]
async fn a_trimmed_backlog_starts_the_next_subscribe_with_resync_required() {
    let app = spawn_app_with(|s| s.delivery.queue_cap = 3).await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let m = alice.send("one").await.expect("send");
    for e in ["👍", "❤️", "😂"] {
        bob.react(&m.message_id, e).await.expect("react");
    }
    carol.react(&m.message_id, "").await.expect("react");
    // carol's queue holds 5 events; the cap is 3.
    let sweep = janitor::sweep(&app.state.delivery).await.expect("sweep");
    assert!(sweep.trimmed_rows >= 2, "{sweep:?}");
    assert_eq!(
        janitor::queue_len(&app.state.delivery, &session_of(&carol))
            .await
            .expect("len"),
        3
    );

    let mut events = carol.subscribe().await;
    let first = events.next_event().await;
    assert!(
        matches!(first.payload, Some(pb::event::Payload::ResyncRequired(_))),
        "{first:?}"
    );
    let rest = events.next_events(3).await;
    assert!(rest.iter().all(|e| e.event_id > first.event_id));
    drop(events);

    // Acknowledging past the notice clears it.
    carol.ack(rest[2].event_id).await;
    let mut events = carol.subscribe().await;
    events.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_trim_ends_a_live_stream_so_the_client_resyncs() {
    let app = spawn_app_with(|s| s.delivery.queue_cap = 1).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let m = alice.send("one").await.expect("send");
    let mut events = bob.subscribe().await;
    events.next_event().await;
    bob.react(&m.message_id, "👍").await.expect("react");
    bob.react(&m.message_id, "❤️").await.expect("react");
    events.next_events(2).await;
    janitor::sweep(&app.state.delivery).await.expect("sweep");
    assert_eq!(events.end_status().await.code(), Code::Unavailable);
}

#[tokio::test]
async fn shutdown_ends_every_stream() {
    let app = spawn_app().await;
    let bob = app.user("bob").await;
    let mut events = bob.subscribe().await;
    let stopping = tokio::spawn(async move { events.end_status().await });
    app.stop().await;
    let status = tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("ended in time")
        .expect("task");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(status.message(), "the server is shutting down");
}

#[tokio::test]
async fn a_subscriber_that_does_not_read_is_cut_off_without_slowing_others() {
    let app = spawn_app_with(|s| {
        s.delivery.subscriber_buffer = 1;
        s.delivery.slow_subscriber_timeout_secs = 1;
    })
    .await;
    let (alice, slow, fast) = (
        app.user("alice").await,
        app.user("slow").await,
        app.user("fast").await,
    );
    let _slow_events = slow.subscribe().await; // never read
    let mut fast_events = fast.subscribe().await;
    let m = alice.send("first").await.expect("send");
    // Large snapshots fill the transport buffers quickly.
    let emoji = ["👍", "❤️", "😂", "😮", "😢", "🎉", "🔥", "👀", "🙏"];
    for e in emoji {
        fast.react(&m.message_id, e).await.expect("react");
    }
    let got = fast_events.next_events(10).await;
    assert!(got.windows(2).all(|w| w[0].event_id < w[1].event_id));
}

/// The session id inside the user's access token.
pub fn session_of(user: &User) -> String {
    jsonwebtoken::dangerous::insecure_decode::<chat_server::auth::Claims>(&user.access_token)
        .expect("decode")
        .claims
        .sid
}

#[tokio::test]
async fn fan_out_racing_sign_ins_and_sign_outs_loses_nothing_and_leaves_nothing() {
    let app = spawn_app_with(|s| s.chat.required_reactions = 0).await;
    let poster = app.user("poster").await;
    let watcher = app.user("watcher").await;
    for i in 0..4 {
        app.sign_up(&format!("churner{i}")).await;
    }
    let posting = async {
        for i in 0..30 {
            poster
                .send(&format!("post {i}"))
                .await
                .expect("every send succeeds");
        }
    };
    let churning = futures::future::join_all((0..4).map(|i| {
        let app = &app;
        async move {
            let mut ended = Vec::new();
            for _ in 0..4 {
                let u = app.sign_in(&format!("churner{i}")).await;
                u.sign_out().await.expect("sign out");
                ended.push(session_of(&u));
            }
            ended
        }
    }));
    let ((), ended) = tokio::join!(posting, churning);
    for sid in ended.into_iter().flatten() {
        assert_eq!(
            janitor::queue_len(&app.state.delivery, &sid)
                .await
                .expect("len"),
            0,
            "an ended session kept queue rows"
        );
    }
    assert_eq!(
        janitor::queue_len(&app.state.delivery, &session_of(&watcher))
            .await
            .expect("len"),
        30
    );
    let mut events = watcher.subscribe().await;
    let got = events.next_events(30).await;
    assert!(got.windows(2).all(|w| w[0].event_id < w[1].event_id));
}

/// No rule can forget to wake subscribers: the group commit does it after every commit.
/// With the safety-net poll set to an hour, posts and reactions still arrive at once.
#[tokio::test]
async fn a_commit_wakes_live_subscribers_without_any_polling() {
    let app = spawn_app_with(|s| s.delivery.poll_interval_ms = 3_600_000).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut events = bob.subscribe().await;
    let m = alice.send("no poll needed").await.expect("send");
    let got = tokio::time::timeout(Duration::from_secs(3), events.next_event())
        .await
        .expect("the post arrives without a poll");
    assert_eq!(posted(&got).message_id, m.message_id);
    bob.react(&m.message_id, "👍").await.expect("react");
    let got = tokio::time::timeout(Duration::from_secs(3), events.next_event())
        .await
        .expect("the reaction arrives without a poll");
    assert_eq!(reaction(&got).message_id, m.message_id);
}

/// An `Ack` is checked by the flush that writes it (not by a read of its own): a session
/// that has ended or whose account is disabled is refused, and the others written in the
/// same flush are not held up by it.
#[tokio::test]
async fn an_ack_of_an_ended_session_is_refused_and_the_others_of_its_flush_commit() {
    let app = spawn_app().await;
    let (alice, bob, carol, dave) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
        app.user("dave").await,
    );
    let m = alice.send("one").await.expect("send");
    let mut events = carol.subscribe().await;
    let posted_event = events.next_non_presence().await;
    assert_eq!(posted(&posted_event).message_id, m.message_id);
    let up_to = posted_event.event_id;

    bob.sign_out().await.expect("sign out");
    chat_server::admin::set_disabled(&app.state.db, "dave", true)
        .await
        .expect("disable dave");
    let ack = |user: &User| {
        let mut chat = user.chat.clone();
        let request = user.req(pb::AckRequest {
            up_to_event_id: up_to,
        });
        async move { chat.ack(request).await }
    };
    let (signed_out, disabled, alive) = tokio::join!(ack(&bob), ack(&dave), ack(&carol));
    assert_code(signed_out, Code::Unauthenticated);
    assert_code(disabled, Code::Unauthenticated);
    alive.expect("carol's ack");
    assert_eq!(
        janitor::queue_len(&app.state.delivery, &session_of(&carol))
            .await
            .expect("len"),
        0
    );
}
