//! Editing and deleting one's own messages (DESIGN §7).

use crate::helpers::*;
use chat_protocol::chat::v1 as pb;
use tonic::Code;

#[tokio::test]
async fn edit_replaces_the_content_sets_edited_at_and_keeps_reactions() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let m = alice.send("frist").await.expect("send");
    assert!(m.edited_at.is_none());
    bob.react(&m.message_id, "😂").await.expect("react");
    let mut b = bob.subscribe().await;
    b.next_events(2).await;
    let edited = alice.edit(&m.message_id, "first").await.expect("edit");
    assert_eq!(edited.content, "first");
    assert!(edited.edited_at.is_some());
    assert_eq!(edited.created_at, m.created_at);
    assert_eq!((edited.reactions.len(), edited.counted_reactions), (1, 1));
    assert!(!edited.deleted);
    assert_eq!(alice.get(&m.message_id).await.expect("get"), edited);
    let e = b.next_non_presence().await;
    assert!(
        matches!(e.payload, Some(pb::event::Payload::MessageEdited(_))),
        "{e:?}"
    );
    assert_eq!(message_of(&e), &edited);
}

#[tokio::test]
async fn edit_follows_the_content_rules_of_send() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let m = alice.send("ok").await.expect("send");
    for bad in ["", "   ", &"x".repeat(4001)] {
        assert_code(alice.edit(&m.message_id, bad).await, Code::InvalidArgument);
    }
    let exact = "  kept as sent  ";
    assert_eq!(
        alice
            .edit(&m.message_id, exact)
            .await
            .expect("edit")
            .content,
        exact
    );
}

#[tokio::test]
async fn only_the_author_may_edit_or_delete() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let m = alice.send("mine").await.expect("send");
    assert_code(
        bob.edit(&m.message_id, "yours").await,
        Code::PermissionDenied,
    );
    assert_code(bob.delete(&m.message_id).await, Code::PermissionDenied);
    let now = alice.get(&m.message_id).await.expect("get");
    assert_eq!((now.content.as_str(), now.deleted), ("mine", false));
}

#[tokio::test]
async fn edit_and_delete_of_unknown_or_malformed_ids() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let unknown = "0190a000-0000-7000-8000-000000000000";
    assert_code(alice.edit(unknown, "x").await, Code::NotFound);
    assert_code(alice.delete(unknown).await, Code::NotFound);
    assert_code(alice.edit("nope", "x").await, Code::InvalidArgument);
    assert_code(alice.delete("nope").await, Code::InvalidArgument);
}

#[tokio::test]
async fn delete_leaves_a_tombstone_with_its_reactions() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let m = alice.send("oops @bob").await.expect("send");
    assert_eq!(m.mentioned_user_ids, std::slice::from_ref(&bob.user_id));
    bob.react(&m.message_id, "👀").await.expect("react");
    let mut b = bob.subscribe().await;
    b.next_events(2).await;
    let gone = alice.delete(&m.message_id).await.expect("delete");
    assert!(gone.deleted);
    assert_eq!(gone.content, "");
    assert!(gone.mentioned_user_ids.is_empty());
    assert_eq!((gone.reactions.len(), gone.counted_reactions), (1, 1));
    assert_eq!(gone.created_at, m.created_at);
    assert_eq!(alice.get(&m.message_id).await.expect("get"), gone);
    let listed = alice.list("", 50).await.expect("list");
    assert_eq!(listed.messages, std::slice::from_ref(&gone));
    let e = b.next_non_presence().await;
    assert!(
        matches!(e.payload, Some(pb::event::Payload::MessageDeleted(_))),
        "{e:?}"
    );
    assert_eq!(message_of(&e), &gone);
}

#[tokio::test]
async fn a_tombstone_cannot_be_edited_or_deleted_again() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let m = alice.send("gone soon").await.expect("send");
    alice.delete(&m.message_id).await.expect("delete");
    assert_code(
        alice.edit(&m.message_id, "back").await,
        Code::FailedPrecondition,
    );
    assert_code(alice.delete(&m.message_id).await, Code::FailedPrecondition);
}

#[tokio::test]
async fn others_may_still_react_to_and_unreact_from_a_tombstone() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let m = alice.send("gone").await.expect("send");
    bob.react(&m.message_id, "👍").await.expect("before");
    alice.delete(&m.message_id).await.expect("delete");
    let after = bob
        .react(&m.message_id, "🔥")
        .await
        .expect("react a tombstone");
    assert!(after.deleted);
    assert_eq!(after.reactions.len(), 2);
    let after = bob
        .unreact(&m.message_id, "👍")
        .await
        .expect("unreact a tombstone");
    assert_eq!(after.reactions.len(), 1);
}

#[tokio::test]
async fn deleting_a_message_without_reactions_does_not_reopen_the_gate() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let m = alice.send("closed gate").await.expect("send");
    alice.delete(&m.message_id).await.expect("delete");
    let status = alice.status().await;
    assert!(!status.can_send);
    assert_eq!(
        status.last_message_id, m.message_id,
        "the tombstone is still the previous message"
    );
    assert_code(alice.send("again").await, Code::FailedPrecondition);
}

#[tokio::test]
async fn reactions_to_a_tombstone_open_the_gate() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let m = alice.send("deleted then liked").await.expect("send");
    alice.delete(&m.message_id).await.expect("delete");
    open_gate(&alice, [&bob, &carol], &m.message_id).await;
    alice.send("not locked out").await.expect("send");
}

#[tokio::test]
async fn deleting_a_message_with_enough_reactions_keeps_the_gate_open() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let m = alice.send("liked").await.expect("send");
    open_gate(&alice, [&bob, &carol], &m.message_id).await;
    alice.delete(&m.message_id).await.expect("delete");
    alice.send("still open").await.expect("send");
}

#[tokio::test]
async fn editing_does_not_change_the_gate() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let m = alice.send("v1").await.expect("send");
    alice.edit(&m.message_id, "v2").await.expect("edit");
    assert_code(alice.send("next").await, Code::FailedPrecondition);
    open_gate(&alice, [&bob, &carol], &m.message_id).await;
    alice.edit(&m.message_id, "v3").await.expect("edit");
    assert!(
        alice.status().await.can_send,
        "reactions kept through the edit"
    );
}
