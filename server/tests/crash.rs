//! The crash test: the real `chat-server` binary on a file database, killed with SIGKILL
//! while posters are posting and a subscriber is reading, then restarted. Every committed
//! message must reach the subscriber (before or after the crash), none twice once events
//! are deduplicated by id.

use chat_protocol::chat::v1::{self as pb, chat_service_client::ChatServiceClient};
use std::{
    collections::{BTreeMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};
use tokio_stream::StreamExt;
use tonic::transport::Channel;

use chat_test_support::process;
use chat_test_support::test_db;
use process::{ServerProcess, account, authed, free_port};
use test_db::TestDb;

async fn start(data_dir: &std::path::Path, db_url: &str, port: u16) -> ServerProcess {
    ServerProcess::start(data_dir, db_url, port, &[]).await
}

/// Reads events into `seen` (deduplicated by id), acking every few, until the stream fails
/// or `stop` returns true.
async fn read_events(
    chat: &mut ChatServiceClient<Channel>,
    token: &str,
    seen: &mut BTreeMap<u64, String>,
    mut stop: impl FnMut(&BTreeMap<u64, String>) -> bool,
) {
    let Ok(stream) = chat.subscribe(authed(pb::SubscribeRequest {}, token)).await else {
        return;
    };
    let mut stream = stream.into_inner();
    let mut since_ack = 0;
    while !stop(seen) {
        match tokio::time::timeout(Duration::from_secs(15), stream.next()).await {
            Ok(Some(Ok(event))) => {
                if let Some(pb::event::Payload::MessagePosted(p)) = &event.payload {
                    let id = p
                        .message
                        .as_ref()
                        .map(|m| m.message_id.clone())
                        .unwrap_or_default();
                    seen.entry(event.event_id).or_insert(id);
                }
                since_ack += 1;
                if since_ack == 7 {
                    since_ack = 0;
                    let _ = chat
                        .ack(authed(
                            pb::AckRequest {
                                up_to_event_id: event.event_id,
                            },
                            token,
                        ))
                        .await;
                }
            }
            Ok(_) => return,
            Err(_) => panic!(
                "no event for 15 s; {} distinct events seen so far",
                seen.len()
            ),
        }
    }
}

#[tokio::test]
async fn every_committed_event_survives_a_kill_9() {
    // A SQLite file by default; the same test runs on PostgreSQL with TEST_DATABASE_URL.
    let db = TestDb::create().await;
    let port = free_port();
    let server = start(&db.data_dir, &db.url, port).await;
    let channel = Channel::from_shared(server.url())
        .expect("uri")
        .connect_lazy();
    let watcher_token = account(channel.clone(), "watcher").await;

    // Four posters post as fast as they can, so that several Sends are in flight when
    // the server dies; each remembers the Sends that were confirmed.
    let confirmed_so_far = Arc::new(AtomicUsize::new(0));
    let mut posters = Vec::new();
    for p in 0..4 {
        let channel = channel.clone();
        let confirmed_so_far = confirmed_so_far.clone();
        let token = account(channel.clone(), &format!("poster{p}")).await;
        posters.push(tokio::spawn(async move {
            let mut chat = ChatServiceClient::new(channel);
            let mut confirmed = Vec::new();
            for i in 0..10_000 {
                let req = pb::SendRequest {
                    content: format!("post {p}/{i}"),
                    client_request_id: String::new(),
                    ..Default::default()
                };
                match chat.send(authed(req, &token)).await {
                    Ok(r) => {
                        confirmed.push(
                            r.into_inner()
                                .message
                                .map(|m| m.message_id)
                                .unwrap_or_default(),
                        );
                        confirmed_so_far.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => break, // the server died mid-call
                }
            }
            confirmed
        }));
    }

    // The watcher reads until it has seen 60 posts and the posters have had 60 answered
    // (a post reaches the watcher as soon as it commits, possibly before its poster has
    // the answer), then the server is killed mid-flight.
    let mut seen = BTreeMap::new();
    let mut chat = ChatServiceClient::new(channel.clone());
    read_events(&mut chat, &watcher_token, &mut seen, |s| {
        s.len() >= 60 && confirmed_so_far.load(Ordering::Relaxed) >= 60
    })
    .await;
    server.kill9().await;
    let mut confirmed = Vec::new();
    for poster in posters {
        confirmed.extend(poster.await.expect("poster task"));
    }
    assert!(
        confirmed.len() >= 60,
        "the posters got {} posts in",
        confirmed.len()
    );

    // Restart on the same data; the watcher's session and token survive.
    let server = start(&db.data_dir, &db.url, port).await;
    let channel = Channel::from_shared(server.url())
        .expect("uri")
        .connect_lazy();
    let mut chat = ChatServiceClient::new(channel.clone());
    let committed: HashSet<String> = {
        let mut all = HashSet::new();
        let mut before = String::new();
        loop {
            let page = chat
                .list_messages(authed(
                    pb::ListMessagesRequest {
                        before_message_id: before.clone(),
                        limit: 200,
                        ..Default::default()
                    },
                    &watcher_token,
                ))
                .await
                .expect("list")
                .into_inner();
            before = page
                .messages
                .first()
                .map(|m| m.message_id.clone())
                .unwrap_or_default();
            all.extend(page.messages.into_iter().map(|m| m.message_id));
            if !page.has_more {
                break;
            }
        }
        all
    };
    eprintln!(
        "confirmed {} committed {} seen {}",
        confirmed.len(),
        committed.len(),
        seen.len()
    );
    for id in &confirmed {
        assert!(
            committed.contains(id),
            "a confirmed Send is missing after restart: {id}"
        );
    }
    read_events(&mut chat, &watcher_token, &mut seen, |s| {
        let got: HashSet<&String> = s.values().collect();
        committed.iter().all(|id| got.contains(id))
    })
    .await;

    let delivered: Vec<&String> = seen.values().collect();
    let distinct: HashSet<&String> = delivered.iter().copied().collect();
    assert_eq!(
        delivered.len(),
        distinct.len(),
        "a message arrived under two event ids"
    );
    assert_eq!(
        distinct.len(),
        committed.len(),
        "every committed message arrived, and nothing else"
    );
    server.kill9().await;
}
