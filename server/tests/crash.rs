//! The crash test: the real `chat-server` binary on a file database, killed with SIGKILL
//! while posters are posting and a subscriber is reading, then restarted. Every committed
//! message must reach the subscriber (before or after the crash), none twice once events
//! are deduplicated by id.

use chat_protocol::{
    auth::v1::{SignInRequest, SignUpRequest, auth_service_client::AuthServiceClient},
    chat::v1::{self as pb, chat_service_client::ChatServiceClient},
};
use std::{
    collections::{BTreeMap, HashSet},
    process::Stdio,
    time::Duration,
};
use tokio::process::{Child, Command};
use tokio_stream::StreamExt;
use tonic::{Request, transport::Channel};

#[path = "support/test_db.rs"]
mod test_db;
use test_db::TestDb;

const SECRET: &str = "crash-test-secret-crash-test-secret!!";

struct Server {
    child: Child,
    port: u16,
}

async fn start(data_dir: &std::path::Path, db_url: &str, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CHAT__SERVER__HOST", "127.0.0.1")
        .env("CHAT__SERVER__PORT", port.to_string())
        .env("CHAT__STORAGE__DATA_DIR", data_dir)
        .env("CHAT__LOG__DIR", data_dir.join("logs"))
        .env("CHAT__DATABASE__URL", db_url)
        .env("CHAT__CHAT__REQUIRED_REACTIONS", "0")
        .env("JWT_SECRET_KEY", SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chat-server");
    let server = Server { child, port };
    server.wait_ready().await;
    server
}

impl Server {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Asks the server's own health service until it answers SERVING.
    async fn wait_ready(&self) {
        use tonic_health::pb::{
            HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
        };
        for _ in 0..300 {
            if let Ok(channel) = Channel::from_shared(self.url())
                .expect("uri")
                .connect()
                .await
            {
                let reply = HealthClient::new(channel)
                    .check(HealthCheckRequest {
                        service: String::new(),
                    })
                    .await;
                if reply.is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chat-server did not become ready");
    }

    async fn kill9(mut self) {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("reap");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn authed<T>(message: T, token: &str) -> Request<T> {
    let mut req = Request::new(message);
    req.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii"),
    );
    req
}

async fn account(channel: Channel, name: &str) -> String {
    let mut auth = AuthServiceClient::new(channel);
    let password = "crash test password".to_string();
    auth.sign_up(SignUpRequest {
        user_name: name.into(),
        password: password.clone(),
    })
    .await
    .expect("sign up");
    auth.sign_in(SignInRequest {
        user_name: name.into(),
        password,
    })
    .await
    .expect("sign in")
    .into_inner()
    .access_token
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
    let mut posters = Vec::new();
    for p in 0..4 {
        let channel = channel.clone();
        let token = account(channel.clone(), &format!("poster{p}")).await;
        posters.push(tokio::spawn(async move {
            let mut chat = ChatServiceClient::new(channel);
            let mut confirmed = Vec::new();
            for i in 0..10_000 {
                let req = pb::SendRequest {
                    content: format!("post {p}/{i}"),
                    client_request_id: String::new(),
                };
                match chat.send(authed(req, &token)).await {
                    Ok(r) => confirmed.push(
                        r.into_inner()
                            .message
                            .map(|m| m.message_id)
                            .unwrap_or_default(),
                    ),
                    Err(_) => break, // the server died mid-call
                }
            }
            confirmed
        }));
    }

    // The watcher reads until it has seen 60 posts, then the server is killed mid-flight.
    let mut seen = BTreeMap::new();
    let mut chat = ChatServiceClient::new(channel.clone());
    read_events(&mut chat, &watcher_token, &mut seen, |s| s.len() >= 60).await;
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
