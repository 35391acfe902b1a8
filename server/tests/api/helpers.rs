//! The test harness: the real server on 127.0.0.1:0 with its own fresh database — a
//! SQLite file by default, or a new PostgreSQL database when `TEST_DATABASE_URL` names a
//! server — plus typed clients and an event reader that fails instead of hanging.

use crate::test_db::TestDb;
use chat_protocol::{
    auth::v1::{self as auth_pb, auth_service_client::AuthServiceClient},
    chat::v1::{self as pb, chat_service_client::ChatServiceClient},
};
use chat_server::{Application, Settings, state::AppState};
use std::{sync::Arc, time::Duration};
use tokio::task::JoinHandle;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Request, Status, Streaming, transport::Channel};

pub const PASSWORD: &str = "correct horse battery";
pub const SECRET: &str = "test-secret-test-secret-test-secret!";
/// How long a test waits for an event before failing.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

pub struct TestApp {
    pub state: Arc<AppState>,
    /// Where the server listens (127.0.0.1, a free port).
    pub addr: std::net::SocketAddr,
    pub auth: AuthServiceClient<Channel>,
    channel: Channel,
    shutdown: CancellationToken,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    /// `None` for a replica: the first server owns the database.
    _db: Option<TestDb>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server whose settings `adjust` may change first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    chat_server::telemetry::init_for_tests();
    let db = TestDb::create().await;
    let mut settings = Settings::defaults().expect("default settings");
    settings.database.url = chat_server::settings::Secret::new(db.url.clone());
    settings.storage.data_dir = db.data_dir.clone();
    settings.auth.jwt_secret = chat_server::settings::Secret::new(SECRET);
    settings.server.shutdown_grace_secs = 2;
    settings.delivery.poll_interval_ms = 500;
    adjust(&mut settings);
    start(settings, Some(db)).await
}

async fn start(settings: Settings, db: Option<TestDb>) -> TestApp {
    try_start(settings, db).await.expect("build app")
}

async fn try_start(settings: Settings, db: Option<TestDb>) -> anyhow::Result<TestApp> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let app = Application::build(settings.clone(), listener).await?;
    let addr = app.local_addr().expect("addr");
    let state = app.state();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run(shutdown.clone()));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    Ok(TestApp {
        state,
        addr,
        auth: AuthServiceClient::new(channel.clone()),
        channel,
        shutdown,
        server: Some(server),
        _db: db,
    })
}

impl TestApp {
    /// Another server on the same database (a replica), with settings `adjust` may change.
    /// Keep `self` alive as long as the replica: it owns the database.
    pub async fn spawn_replica(&self, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        self.try_spawn_replica(adjust).await.expect("build replica")
    }

    /// [`TestApp::spawn_replica`], or why it could not start.
    pub async fn try_spawn_replica(
        &self,
        adjust: impl FnOnce(&mut Settings),
    ) -> anyhow::Result<TestApp> {
        let mut settings = self.state.settings.clone();
        adjust(&mut settings);
        try_start(settings, None).await
    }

    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    pub async fn sign_up(&self, name: &str) -> String {
        self.auth
            .clone()
            .sign_up(auth_pb::SignUpRequest {
                user_name: name.into(),
                password: PASSWORD.into(),
            })
            .await
            .expect("sign up")
            .into_inner()
            .user_id
    }

    pub async fn sign_in(&self, name: &str) -> User {
        let r = self
            .auth
            .clone()
            .sign_in(auth_pb::SignInRequest {
                user_name: name.into(),
                password: PASSWORD.into(),
            })
            .await
            .expect("sign in")
            .into_inner();
        User {
            user_id: r.user_id,
            access_token: r.access_token,
            refresh_token: r.refresh_token,
            chat: ChatServiceClient::new(self.channel.clone()),
            auth: self.auth.clone(),
        }
    }

    /// `user`'s session, calling this server (a replica of the one that signed it in).
    pub fn session_of(&self, user: &User) -> User {
        User {
            chat: ChatServiceClient::new(self.channel.clone()),
            auth: self.auth.clone(),
            ..user.clone()
        }
    }

    /// A new user, signed up and signed in.
    pub async fn user(&self, name: &str) -> User {
        self.sign_up(name).await;
        self.sign_in(name).await
    }

    /// Stops the server and waits until it has, which must be within its grace period
    /// (the drain and every background task share it) and without an error.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            let grace = Duration::from_secs(self.state.settings.server.shutdown_grace_secs);
            tokio::time::timeout(grace + Duration::from_millis(500), server)
                .await
                .expect("the server stopped within its grace period")
                .expect("the server task")
                .expect("the server ended without an error");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A signed-in session with its own clients.
#[derive(Clone)]
pub struct User {
    pub user_id: String,
    pub access_token: String,
    pub refresh_token: String,
    pub chat: ChatServiceClient<Channel>,
    pub auth: AuthServiceClient<Channel>,
}

impl User {
    pub fn req<T>(&self, message: T) -> Request<T> {
        with_token(message, &self.access_token)
    }

    pub async fn send(&self, content: &str) -> Result<pb::Message, Status> {
        self.send_with_id(content, "").await
    }

    pub async fn send_with_id(
        &self,
        content: &str,
        request_id: &str,
    ) -> Result<pb::Message, Status> {
        let req = pb::SendRequest {
            content: content.into(),
            client_request_id: request_id.into(),
            ..Default::default()
        };
        self.chat
            .clone()
            .send(self.req(req))
            .await
            .map(|r| r.into_inner().message.expect("message in response"))
    }

    pub async fn react(&self, message_id: &str, emoji: &str) -> Result<pb::Message, Status> {
        let req = pb::ReactRequest {
            message_id: message_id.into(),
            emoji: emoji.into(),
        };
        self.chat
            .clone()
            .react(self.req(req))
            .await
            .map(|r| r.into_inner().message.expect("message in response"))
    }

    pub async fn unreact(&self, message_id: &str, emoji: &str) -> Result<pb::Message, Status> {
        let req = pb::ReactRequest {
            message_id: message_id.into(),
            emoji: emoji.into(),
        };
        self.chat
            .clone()
            .unreact(self.req(req))
            .await
            .map(|r| r.into_inner().message.expect("message in response"))
    }

    pub async fn get(&self, message_id: &str) -> Result<pb::Message, Status> {
        let req = pb::GetMessageRequest {
            message_id: message_id.into(),
        };
        self.chat
            .clone()
            .get_message(self.req(req))
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn list(&self, before: &str, limit: u32) -> Result<pb::ListMessagesResponse, Status> {
        let req = pb::ListMessagesRequest {
            before_message_id: before.into(),
            limit,
            ..Default::default()
        };
        self.chat
            .clone()
            .list_messages(self.req(req))
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn status(&self) -> pb::SendStatus {
        self.chat
            .clone()
            .get_send_status(self.req(pb::GetSendStatusRequest::default()))
            .await
            .expect("send status")
            .into_inner()
    }

    pub async fn subscribe(&self) -> Events {
        let stream = self
            .chat
            .clone()
            .subscribe(self.req(pb::SubscribeRequest {}))
            .await
            .expect("subscribe")
            .into_inner();
        Events { stream }
    }

    pub async fn ack(&self, up_to: u64) {
        self.chat
            .clone()
            .ack(self.req(pb::AckRequest {
                up_to_event_id: up_to,
            }))
            .await
            .expect("ack");
    }

    pub async fn sign_out(&self) -> Result<(), Status> {
        self.auth
            .clone()
            .sign_out(self.req(auth_pb::SignOutRequest {}))
            .await
            .map(|_| ())
    }
}

pub fn with_token<T>(message: T, token: &str) -> Request<T> {
    let mut req = Request::new(message);
    req.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii token"),
    );
    req
}

/// A Subscribe stream under test.
pub struct Events {
    pub stream: Streaming<pb::Event>,
}

impl Events {
    /// The next event; fails the test after [`EVENT_TIMEOUT`] rather than hanging.
    pub async fn next_event(&mut self) -> pb::Event {
        match tokio::time::timeout(EVENT_TIMEOUT, self.stream.next()).await {
            Ok(Some(Ok(event))) => event,
            Ok(Some(Err(status))) => panic!("stream failed: {status:?}"),
            Ok(None) => panic!("stream ended"),
            Err(_) => panic!("no event within {EVENT_TIMEOUT:?}"),
        }
    }

    pub async fn next_events(&mut self, n: usize) -> Vec<pb::Event> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.next_event().await);
        }
        out
    }

    /// Asserts that nothing arrives within `wait` (used after the expected events).
    pub async fn expect_silence(&mut self, wait: Duration) {
        if let Ok(item) = tokio::time::timeout(wait, self.stream.next()).await {
            panic!("expected no event, got {item:?}");
        }
    }

    /// The status the stream ends with, failing after the timeout.
    pub async fn end_status(&mut self) -> Status {
        loop {
            match tokio::time::timeout(EVENT_TIMEOUT, self.stream.next()).await {
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(status))) => return status,
                Ok(None) => return Status::ok("ended cleanly"),
                Err(_) => panic!("stream did not end within {EVENT_TIMEOUT:?}"),
            }
        }
    }
}

pub fn posted(event: &pb::Event) -> &pb::Message {
    match &event.payload {
        Some(pb::event::Payload::MessagePosted(p)) => p.message.as_ref().expect("message"),
        other => panic!("expected MessagePosted, got {other:?}"),
    }
}

pub fn reaction(event: &pb::Event) -> &pb::ReactionChanged {
    match &event.payload {
        Some(pb::event::Payload::ReactionChanged(r)) => r,
        other => panic!("expected ReactionChanged, got {other:?}"),
    }
}

pub fn assert_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> Status {
    match result {
        Ok(v) => panic!("expected {code:?}, got Ok({v:?})"),
        Err(status) => {
            assert_eq!(status.code(), code, "unexpected status: {status:?}");
            status
        }
    }
}

/// Has `author` post a message and two other users react, so `author` may post again.
pub async fn open_gate(author: &User, helpers: [&User; 2], message_id: &str) {
    for h in helpers {
        h.react(message_id, "").await.expect("react");
    }
    assert!(author.status().await.can_send);
}

/// A message by "author", six users "reactor0".."reactor5" to react to it, and the
/// stream of a "watcher" who subscribed before any reaction.
pub async fn reaction_scene(app: &TestApp) -> (User, pb::Message, Vec<User>, Events) {
    let author = app.user("author").await;
    let message = author.send("react to me").await.expect("send");
    let mut reactors = Vec::new();
    for i in 0..6 {
        reactors.push(app.user(&format!("reactor{i}")).await);
    }
    let events = app.user("watcher").await.subscribe().await;
    (author, message, reactors, events)
}
