use crate::helpers::*;
use futures::future::join_all;
use tonic::Code;

#[tokio::test]
async fn a_first_message_is_allowed() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let status = alice.status().await;
    assert!(status.can_send);
    assert_eq!((status.reactions_needed, status.required_reactions), (0, 2));
    assert_eq!(status.last_message_id, "");
    let m = alice.send("hello").await.expect("send");
    assert_eq!(m.content, "hello");
    assert_eq!(m.user_name, "alice");
    assert_eq!(m.user_id, alice.user_id);
}

#[tokio::test]
async fn send_is_rejected_until_two_others_react() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let first = alice.send("first").await.expect("send");

    let refused = assert_code(alice.send("second").await, Code::FailedPrecondition);
    assert!(
        refused.message().contains("needs 2 more reactions"),
        "{}",
        refused.message()
    );
    let status = alice.status().await;
    assert!(!status.can_send);
    assert_eq!(status.reactions_needed, 2);
    assert_eq!(status.last_message_id, first.message_id);

    bob.react(&first.message_id, "👍")
        .await
        .expect("bob reacts");
    let refused = assert_code(alice.send("second").await, Code::FailedPrecondition);
    assert!(
        refused.message().contains("needs 1 more reaction"),
        "{}",
        refused.message()
    );
    assert_eq!(alice.status().await.reactions_needed, 1);

    carol
        .react(&first.message_id, "🎉")
        .await
        .expect("carol reacts");
    assert!(alice.status().await.can_send);
    alice.send("second").await.expect("gate open");
    // The new message is now the previous one: the gate closes again.
    assert_code(alice.send("third").await, Code::FailedPrecondition);
}

#[tokio::test]
async fn a_self_reaction_never_opens_the_gate() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let m = alice.send("mine").await.expect("send");
    let shown = alice
        .react(&m.message_id, "👍")
        .await
        .expect("self-reaction allowed");
    assert_eq!(shown.reactions.len(), 1, "self-reaction is shown");
    assert_eq!(shown.counted_reactions, 0, "but not counted");
    alice
        .react(&m.message_id, "❤️")
        .await
        .expect("another self-reaction");
    bob.react(&m.message_id, "👍").await.expect("bob");
    assert_eq!(alice.status().await.reactions_needed, 1);
    assert_code(alice.send("next").await, Code::FailedPrecondition);
}

#[tokio::test]
async fn one_user_reacting_twice_counts_once() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let m = alice.send("mine").await.expect("send");
    bob.react(&m.message_id, "👍").await.expect("bob 1");
    let after = bob.react(&m.message_id, "🔥").await.expect("bob 2");
    assert_eq!(after.counted_reactions, 1);
    assert_code(alice.send("next").await, Code::FailedPrecondition);
}

#[tokio::test]
async fn an_unreact_can_close_the_gate_again() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let m = alice.send("mine").await.expect("send");
    open_gate(&alice, [&bob, &carol], &m.message_id).await;
    carol.unreact(&m.message_id, "").await.expect("unreact");
    assert_code(alice.send("next").await, Code::FailedPrecondition);
}

#[tokio::test]
async fn eight_concurrent_sends_through_an_open_gate_let_exactly_one_in() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let sends = (0..8).map(|i| {
        let alice = alice.clone();
        async move { alice.send(&format!("race {i}")).await }
    });
    let results = join_all(sends).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "{results:?}");
    for r in results.into_iter().filter_map(Result::err) {
        assert_eq!(r.code(), Code::FailedPrecondition, "{r:?}");
    }
    let page = alice.list("", 50).await.expect("list");
    assert_eq!(page.messages.len(), 1);
}

#[tokio::test]
async fn concurrent_sends_from_different_users_all_succeed() {
    let app = spawn_app().await;
    let mut users = Vec::new();
    for i in 0..6 {
        users.push(app.user(&format!("user{i}")).await);
    }
    let results = join_all(users.iter().map(|u| u.send("hi"))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
}

#[tokio::test]
async fn a_retry_with_the_same_request_id_returns_the_first_result() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let first = alice.send_with_id("hello", "req-1").await.expect("send");
    // The gate is closed now, but a retry is not a new message.
    let retry = alice.send_with_id("hello", "req-1").await.expect("retry");
    assert_eq!(retry.message_id, first.message_id);
    assert_eq!(alice.list("", 50).await.expect("list").messages.len(), 1);
    // A different id is a new message, and meets the gate.
    assert_code(
        alice.send_with_id("hello", "req-2").await,
        Code::FailedPrecondition,
    );
}

#[tokio::test]
async fn request_ids_are_per_user() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let a = alice
        .send_with_id("from alice", "same")
        .await
        .expect("alice");
    let b = bob.send_with_id("from bob", "same").await.expect("bob");
    assert_ne!(a.message_id, b.message_id);
}

#[tokio::test]
async fn concurrent_retries_with_one_request_id_post_once() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let results = join_all((0..8).map(|_| alice.send_with_id("once", "dup"))).await;
    let ids: std::collections::HashSet<_> = results
        .into_iter()
        .map(|r| r.expect("every retry succeeds").message_id)
        .collect();
    assert_eq!(ids.len(), 1);
}

#[tokio::test]
async fn content_rules_are_enforced_and_content_is_kept_exactly() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    for bad in ["", "   ", "\n\t"] {
        assert_code(alice.send(bad).await, Code::InvalidArgument);
    }
    assert_code(alice.send(&"x".repeat(4001)).await, Code::InvalidArgument);
    assert_code(alice.send(&"😀".repeat(4097)).await, Code::InvalidArgument);
    let exact = "  leading and trailing  \n  with 日本語 and 👍🏽  ";
    let m = alice.send(exact).await.expect("send");
    assert_eq!(m.content, exact);
    assert_eq!(alice.get(&m.message_id).await.expect("get").content, exact);
}

#[tokio::test]
async fn the_required_count_is_configurable() {
    let app = spawn_app_with(|s| s.chat.required_reactions = 1).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let m = alice.send("one").await.expect("send");
    assert_eq!(alice.status().await.required_reactions, 1);
    bob.react(&m.message_id, "").await.expect("react");
    alice.send("two").await.expect("one reaction is enough");
}
