use crate::helpers::*;
use futures::future::join_all;
use std::time::Duration;
use tonic::Code;

#[tokio::test]
async fn reactions_are_grouped_by_emoji_with_names() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let m = alice.send("hi").await.expect("send");
    bob.react(&m.message_id, "🎉").await.expect("bob 🎉");
    bob.react(&m.message_id, "👍").await.expect("bob 👍");
    let after = carol.react(&m.message_id, "").await.expect("carol default");
    // Chips follow the configured order: 👍 before 🎉.
    let chips: Vec<_> = after
        .reactions
        .iter()
        .map(|r| (r.emoji.as_str(), r.count, r.user_names.clone()))
        .collect();
    assert_eq!(
        chips,
        vec![
            ("👍", 2, vec!["bob".to_string(), "carol".to_string()]),
            ("🎉", 1, vec!["bob".to_string()])
        ]
    );
    assert_eq!(after.counted_reactions, 2);
    assert_eq!(alice.get(&m.message_id).await.expect("get"), after);
}

#[tokio::test]
async fn a_duplicate_reaction_already_exists() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let m = alice.send("hi").await.expect("send");
    bob.react(&m.message_id, "👍").await.expect("first");
    assert_code(bob.react(&m.message_id, "👍").await, Code::AlreadyExists);
    // "" is 👍, so it is the same reaction.
    assert_code(bob.react(&m.message_id, "").await, Code::AlreadyExists);
}

#[tokio::test]
async fn eight_concurrent_identical_reactions_store_exactly_one() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let m = alice.send("hi").await.expect("send");
    let results = join_all((0..8).map(|_| bob.react(&m.message_id, "🔥"))).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(r.code(), Code::AlreadyExists, "{r:?}");
    }
    let shown = alice.get(&m.message_id).await.expect("get");
    assert_eq!(shown.reactions.len(), 1);
    assert_eq!(shown.reactions[0].count, 1);
}

#[tokio::test]
async fn unknown_emoji_unknown_and_malformed_ids_get_their_codes() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let m = alice.send("hi").await.expect("send");
    for emoji in ["💩", "x", "👍👍"] {
        assert_code(bob.react(&m.message_id, emoji).await, Code::InvalidArgument);
    }
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_code(bob.react(&unknown, "👍").await, Code::NotFound);
    assert_code(bob.unreact(&unknown, "👍").await, Code::NotFound);
    assert_code(bob.get(&unknown).await, Code::NotFound);
    for malformed in ["", "not-an-id", "12345"] {
        assert_code(bob.react(malformed, "👍").await, Code::InvalidArgument);
        assert_code(bob.get(malformed).await, Code::InvalidArgument);
    }
}

#[tokio::test]
async fn unreact_removes_only_that_reaction_and_a_missing_one_is_not_found() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let m = alice.send("hi").await.expect("send");
    assert_code(bob.unreact(&m.message_id, "👍").await, Code::NotFound);
    bob.react(&m.message_id, "👍").await.expect("react");
    bob.react(&m.message_id, "❤️").await.expect("react");
    let after = bob.unreact(&m.message_id, "👍").await.expect("unreact");
    assert_eq!(after.reactions.len(), 1);
    assert_eq!(after.reactions[0].emoji, "❤️");
    assert_code(bob.unreact(&m.message_id, "👍").await, Code::NotFound);
    // And it can be added again.
    bob.react(&m.message_id, "👍").await.expect("react again");
}

/// Concurrent writes share transactions (group commit); the refused ones must roll back
/// alone, leaving every accepted write and its event in place, and nothing else.
#[tokio::test]
async fn refused_writes_among_concurrent_ones_leave_the_others_intact() {
    let app = spawn_app().await;
    let (author, m, reactors, mut events) = reaction_scene(&app).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    // Each reactor reacts twice with the same emoji (one must be refused) and once to a
    // message that does not exist.
    let tasks = reactors.iter().flat_map(|r| {
        [
            r.react(&m.message_id, "🔥"),
            r.react(&m.message_id, "🔥"),
            r.react(&unknown, "🔥"),
        ]
    });
    let results = join_all(tasks).await;
    let codes: Vec<_> = results
        .iter()
        .map(|r| r.as_ref().err().map(tonic::Status::code))
        .collect();
    assert_eq!(codes.iter().filter(|c| c.is_none()).count(), 6, "{codes:?}");
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == Some(Code::AlreadyExists))
            .count(),
        6,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|c| **c == Some(Code::NotFound)).count(),
        6,
        "{codes:?}"
    );

    let got = events.next_events(6).await;
    assert!(got.windows(2).all(|w| w[0].event_id < w[1].event_id));
    events.expect_silence(Duration::from_millis(300)).await;
    let shown = author.get(&m.message_id).await.expect("get");
    assert_eq!(shown.reactions.len(), 1);
    assert_eq!(shown.reactions[0].count, 6);
    assert_eq!(shown.counted_reactions, 6);
}
