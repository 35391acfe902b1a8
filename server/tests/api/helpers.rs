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

    pub async fn send_in(&self, room_id: &str, content: &str) -> Result<pb::Message, Status> {
        let req = pb::SendRequest {
            content: content.into(),
            room_id: room_id.into(),
            ..Default::default()
        };
        let r = self.chat.clone().send(self.req(req)).await?;
        Ok(r.into_inner().message.expect("message in response"))
    }

    pub async fn list_in(
        &self,
        room_id: &str,
        before: &str,
    ) -> Result<pb::ListMessagesResponse, Status> {
        let req = pb::ListMessagesRequest {
            before_message_id: before.into(),
            limit: 200,
            room_id: room_id.into(),
        };
        let r = self.chat.clone().list_messages(self.req(req)).await?;
        Ok(r.into_inner())
    }

    pub async fn status_in(&self, room_id: &str) -> Result<pb::SendStatus, Status> {
        let req = pb::GetSendStatusRequest {
            room_id: room_id.into(),
        };
        let r = self.chat.clone().get_send_status(self.req(req)).await?;
        Ok(r.into_inner())
    }

    pub async fn create_room(&self, name: &str) -> Result<pb::Room, Status> {
        let req = pb::CreateRoomRequest { name: name.into() };
        Ok(self
            .chat
            .clone()
            .create_room(self.req(req))
            .await?
            .into_inner())
    }

    /// Joins by id (`room_id`) and/or by name; either may be "".
    pub async fn join_room(&self, room_id: &str, name: &str) -> Result<pb::Room, Status> {
        let req = pb::JoinRoomRequest {
            room_id: room_id.into(),
            name: name.into(),
        };
        Ok(self
            .chat
            .clone()
            .join_room(self.req(req))
            .await?
            .into_inner())
    }

    pub async fn leave_room(&self, room_id: &str) -> Result<(), Status> {
        let req = pb::LeaveRoomRequest {
            room_id: room_id.into(),
        };
        self.chat
            .clone()
            .leave_room(self.req(req))
            .await
            .map(|_| ())
    }

    pub async fn list_rooms(&self, public_only: bool) -> Result<Vec<pb::Room>, Status> {
        let req = pb::ListRoomsRequest { public_only };
        let r = self.chat.clone().list_rooms(self.req(req)).await?;
        Ok(r.into_inner().rooms)
    }

    pub async fn open_direct(&self, user_name: &str) -> Result<pb::Room, Status> {
        let req = pb::OpenDirectRequest {
            user_name: user_name.into(),
        };
        Ok(self
            .chat
            .clone()
            .open_direct(self.req(req))
            .await?
            .into_inner())
    }

    pub async fn list_members(&self, room_id: &str) -> Result<Vec<pb::Member>, Status> {
        let req = pb::ListMembersRequest {
            room_id: room_id.into(),
        };
        let r = self.chat.clone().list_members(self.req(req)).await?;
        Ok(r.into_inner().members)
    }

    pub async fn edit(&self, message_id: &str, content: &str) -> Result<pb::Message, Status> {
        let req = pb::EditMessageRequest {
            message_id: message_id.into(),
            content: content.into(),
        };
        Ok(self
            .chat
            .clone()
            .edit_message(self.req(req))
            .await?
            .into_inner())
    }

    pub async fn delete(&self, message_id: &str) -> Result<pb::Message, Status> {
        let req = pb::DeleteMessageRequest {
            message_id: message_id.into(),
        };
        Ok(self
            .chat
            .clone()
            .delete_message(self.req(req))
            .await?
            .into_inner())
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

    /// The next event that is not a `PresenceChanged` (for tests about rooms, where
    /// other users' streams opening and closing are beside the point).
    pub async fn next_non_presence(&mut self) -> pb::Event {
        loop {
            let event = self.next_event().await;
            if !is_presence(&event) {
                return event;
            }
        }
    }

    /// The next event that is not a `RoomChanged` (for presence tests).
    pub async fn next_non_room(&mut self) -> pb::Event {
        loop {
            let event = self.next_event().await;
            if !matches!(event.payload, Some(pb::event::Payload::RoomChanged(_))) {
                return event;
            }
        }
    }

    /// Asserts that nothing but `PresenceChanged` arrives within `wait`.
    pub async fn expect_no_room_event(&mut self, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(item) = tokio::time::timeout_at(deadline, self.stream.next()).await {
            match item {
                Some(Ok(event)) if is_presence(&event) => continue,
                other => panic!("expected no event, got {other:?}"),
            }
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

pub fn room_changed(event: &pb::Event) -> &pb::RoomChanged {
    match &event.payload {
        Some(pb::event::Payload::RoomChanged(r)) => r,
        other => panic!("expected RoomChanged, got {other:?}"),
    }
}

pub fn presence(event: &pb::Event) -> (&str, bool) {
    match &event.payload {
        Some(pb::event::Payload::PresenceChanged(p)) => (p.user_name.as_str(), p.online),
        other => panic!("expected PresenceChanged, got {other:?}"),
    }
}

/// The message an event is about (posted, reacted to, edited or deleted).
pub fn message_of(event: &pb::Event) -> &pb::Message {
    use pb::event::Payload as P;
    let m = match &event.payload {
        Some(P::MessagePosted(p)) => p.message.as_ref(),
        Some(P::ReactionChanged(r)) => r.message.as_ref(),
        Some(P::MessageEdited(e)) => e.message.as_ref(),
        Some(P::MessageDeleted(d)) => d.message.as_ref(),
        other => panic!("expected an event about a message, got {other:?}"),
    };
    m.expect("message")
}

pub fn is_presence(event: &pb::Event) -> bool {
    matches!(event.payload, Some(pb::event::Payload::PresenceChanged(_)))
}

/// The lobby's real id.
pub const LOBBY_ID: &str = "00000000-0000-0000-0000-000000000001";

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

/// A public room `name` made by `owner` that every one of `others` joined.
pub async fn room_with(name: &str, owner: &User, others: &[&User]) -> pb::Room {
    let room = owner.create_room(name).await.expect("create room");
    for u in others {
        u.join_room(&room.room_id, "").await.expect("join room");
    }
    room
}

/// Waits until `events` (a stream of `user`) is past its backlog, so that live-only
/// events recorded from now on reach it: `user` makes a room only they are in and reads
/// up to its `RoomChanged`, skipping anything before it.
pub async fn wait_live(user: &User, events: &mut Events) {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let room = user
        .create_room(&format!("sync-{n}"))
        .await
        .expect("sync room");
    loop {
        let event = events.next_event().await;
        if let Some(pb::event::Payload::RoomChanged(c)) = &event.payload
            && c.room.as_ref().is_some_and(|r| r.room_id == room.room_id)
        {
            return;
        }
    }
}
