use crate::helpers::*;
use tonic::Code;

/// Posts `n` messages by rotating authors, opening each one's gate with the others.
async fn post_many(users: &[User; 3], n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let author = &users[i % 3];
        let m = author.send(&format!("message {i}")).await.expect("send");
        for other in users.iter().filter(|u| u.user_id != author.user_id) {
            other.react(&m.message_id, "").await.expect("react");
        }
        ids.push(m.message_id);
    }
    ids
}

#[tokio::test]
async fn list_pages_backwards_oldest_first() {
    let app = spawn_app().await;
    let users = [
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    ];
    let ids = post_many(&users, 7).await;

    let newest = users[0].list("", 3).await.expect("list");
    assert!(newest.has_more);
    let got: Vec<_> = newest
        .messages
        .iter()
        .map(|m| m.message_id.clone())
        .collect();
    assert_eq!(got, ids[4..7]);

    let older = users[0].list(&got[0], 3).await.expect("older");
    assert!(older.has_more);
    let got2: Vec<_> = older
        .messages
        .iter()
        .map(|m| m.message_id.clone())
        .collect();
    assert_eq!(got2, ids[1..4]);

    let oldest = users[0].list(&got2[0], 3).await.expect("oldest");
    assert!(!oldest.has_more);
    assert_eq!(oldest.messages.len(), 1);
    assert_eq!(oldest.messages[0].message_id, ids[0]);
    // Reactions come with each message.
    assert_eq!(oldest.messages[0].counted_reactions, 2);
}

#[tokio::test]
async fn list_limits_default_and_cap() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.send("only").await.expect("send");
    let page = alice.list("", 0).await.expect("limit 0 means 50");
    assert_eq!(page.messages.len(), 1);
    assert!(!page.has_more);
    let page = alice
        .list("", 100_000)
        .await
        .expect("a huge limit is capped");
    assert_eq!(page.messages.len(), 1);
}

#[tokio::test]
async fn list_with_a_bad_anchor_says_why() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    assert_code(alice.list("nope", 10).await, Code::InvalidArgument);
    assert_code(
        alice.list(&uuid::Uuid::now_v7().to_string(), 10).await,
        Code::NotFound,
    );
}

#[tokio::test]
async fn an_empty_chat_lists_nothing() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let page = alice.list("", 10).await.expect("list");
    assert!(page.messages.is_empty());
    assert!(!page.has_more);
}
