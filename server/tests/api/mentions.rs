//! Mentions (DESIGN §7): "@name" of a current member other than the author, each once.

use crate::helpers::*;
use std::collections::HashSet;

fn ids(m: &chat_protocol::chat::v1::Message) -> HashSet<&str> {
    m.mentioned_user_ids.iter().map(String::as_str).collect()
}

#[tokio::test]
async fn a_mention_names_the_user_ignoring_case() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let m = alice.send("hi @BoB!").await.expect("send");
    assert_eq!(m.mentioned_user_ids, std::slice::from_ref(&bob.user_id));
    assert_eq!(
        alice
            .get(&m.message_id)
            .await
            .expect("get")
            .mentioned_user_ids,
        [bob.user_id]
    );
}

#[tokio::test]
async fn a_mention_ends_at_a_character_that_cannot_be_in_a_name() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = room_with("pair", &alice, &[&bob]).await;
    for text in [
        "@bob",
        "@bob, hi",
        "(@bob)",
        "@bob's",
        "@bob\nnext",
        "@bob!",
    ] {
        let m = alice.send_in(&room.room_id, text).await.expect("send");
        assert_eq!(
            m.mentioned_user_ids,
            std::slice::from_ref(&bob.user_id),
            "{text:?}"
        );
        bob.react(&m.message_id, "").await.expect("open the gate");
    }
    for text in ["@bobby", "@bob_x", "@bob-x", "bob"] {
        let m = alice.send_in(&room.room_id, text).await.expect("send");
        assert!(m.mentioned_user_ids.is_empty(), "{text:?}: {m:?}");
        bob.react(&m.message_id, "").await.expect("open the gate");
    }
}

#[tokio::test]
async fn a_trailing_dot_still_mentions_the_name_before_it() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let m = alice.send("thanks @bob.").await.expect("send");
    assert_eq!(m.mentioned_user_ids, [bob.user_id]);
}

#[tokio::test]
async fn a_name_with_a_dot_inside_is_mentioned_whole() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let (_bob, bob_smith) = (app.user("bob").await, app.user("bob.smith").await);
    let m = alice.send("hi @bob.smith").await.expect("send");
    assert_eq!(m.mentioned_user_ids, [bob_smith.user_id]);
}

#[tokio::test]
async fn each_user_is_mentioned_once_and_several_may_be() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let m = alice.send("@bob @BOB @carol and @bob").await.expect("send");
    assert_eq!(m.mentioned_user_ids.len(), 2, "{m:?}");
    assert_eq!(
        ids(&m),
        HashSet::from([bob.user_id.as_str(), carol.user_id.as_str()])
    );
}

#[tokio::test]
async fn the_author_and_unknown_names_are_not_mentioned() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let m = alice.send("@alice talking to @nobody").await.expect("send");
    assert!(m.mentioned_user_ids.is_empty(), "{m:?}");
}

#[tokio::test]
async fn in_a_room_only_current_members_are_mentioned() {
    let app = spawn_app().await;
    let (alice, bob, carol, dave) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
        app.user("dave").await,
    );
    let room = room_with("general", &alice, &[&bob, &dave]).await;
    dave.leave_room(&room.room_id).await.expect("leave");
    let m = alice
        .send_in(&room.room_id, "@bob @carol @dave")
        .await
        .expect("send");
    assert_eq!(m.mentioned_user_ids, std::slice::from_ref(&bob.user_id));
    // In the lobby everyone is a member.
    let m = alice.send("@carol @dave").await.expect("send");
    assert_eq!(
        ids(&m),
        HashSet::from([carol.user_id.as_str(), dave.user_id.as_str()])
    );
}

#[tokio::test]
async fn an_edit_re_reads_the_mentions() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let m = alice.send("cc @bob").await.expect("send");
    let edited = alice.edit(&m.message_id, "cc @carol").await.expect("edit");
    assert_eq!(edited.mentioned_user_ids, [carol.user_id]);
    let edited = alice.edit(&m.message_id, "cc nobody").await.expect("edit");
    assert!(edited.mentioned_user_ids.is_empty());
    let back = alice.edit(&m.message_id, "cc @bob").await.expect("edit");
    assert_eq!(back.mentioned_user_ids, [bob.user_id]);
}

#[tokio::test]
async fn the_posted_event_carries_the_mentions() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut b = bob.subscribe().await;
    alice.send("@bob look").await.expect("send");
    let e = b.next_non_presence().await;
    assert_eq!(posted(&e).mentioned_user_ids, [bob.user_id]);
}
