//! The reference server over real gRPC, as the load generator uses it: the gate, the
//! audiences, the order on a stream, acks and resubscribing. Port 0, no sleeps; a read
//! that never comes fails after a timeout instead of hanging.

use super::serve;
use chat_protocol::{
    auth::v1::{SignInRequest, SignUpRequest, auth_service_client::AuthServiceClient},
    chat::v1::{self as pb, chat_service_client::ChatServiceClient, event::Payload},
};
use chat_test_support::process::authed;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Streaming, transport::Channel};

struct Client {
    token: String,
    chat: ChatServiceClient<Channel>,
}

impl Client {
    async fn new(channel: &Channel, name: &str) -> Self {
        let mut auth = AuthServiceClient::new(channel.clone());
        let password = "reference password".to_owned();
        auth.sign_up(SignUpRequest {
            user_name: name.into(),
            password: password.clone(),
        })
        .await
        .expect("sign up");
        let token = auth
            .sign_in(SignInRequest {
                user_name: name.into(),
                password,
            })
            .await
            .expect("sign in")
            .into_inner()
            .access_token;
        Self {
            token,
            chat: ChatServiceClient::new(channel.clone()),
        }
    }

    async fn send(&self, content: &str, room_id: &str) -> Result<pb::Message, tonic::Status> {
        self.chat
            .clone()
            .send(authed(
                pb::SendRequest {
                    content: content.into(),
                    client_request_id: String::new(),
                    room_id: room_id.into(),
                },
                &self.token,
            ))
            .await
            .map(|r| r.into_inner().message.expect("a message"))
    }

    async fn react(&self, message_id: &str) -> Result<pb::Message, tonic::Status> {
        self.chat
            .clone()
            .react(authed(
                pb::ReactRequest {
                    message_id: message_id.into(),
                    emoji: String::new(),
                },
                &self.token,
            ))
            .await
            .map(|r| r.into_inner().message.expect("a message"))
    }

    async fn subscribe(&self) -> Streaming<pb::Event> {
        self.chat
            .clone()
            .subscribe(authed(pb::SubscribeRequest {}, &self.token))
            .await
            .expect("subscribe")
            .into_inner()
    }

    async fn ack(&self, up_to: u64) {
        self.chat
            .clone()
            .ack(authed(
                pb::AckRequest {
                    up_to_event_id: up_to,
                },
                &self.token,
            ))
            .await
            .expect("ack");
    }
}

async fn next_event(stream: &mut Streaming<pb::Event>) -> pb::Event {
    tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("an event within 10 s")
        .expect("the stream is fine")
        .expect("the stream is open")
}

/// The content of a message event, or what kind of event it was.
fn content(event: &pb::Event) -> String {
    match &event.payload {
        Some(Payload::MessagePosted(p)) => p.message.as_ref().map(|m| m.content.clone()),
        Some(Payload::ReactionChanged(r)) => r
            .message
            .as_ref()
            .map(|m| format!("{} +{}", m.content, r.user_name)),
        Some(Payload::RoomChanged(r)) => Some(format!("{} joined", r.user_name)),
        _ => None,
    }
    .unwrap_or_default()
}

async fn start() -> (Channel, CancellationToken) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let stop = CancellationToken::new();
    tokio::spawn(serve(listener, 2, stop.clone()));
    let channel = Channel::from_shared(url)
        .expect("url")
        .connect()
        .await
        .expect("connect");
    (channel, stop)
}

#[tokio::test]
async fn the_gate_holds_until_two_others_react_and_every_stream_sees_it_in_order() {
    let (channel, stop) = start().await;
    let alice = Client::new(&channel, "alice").await;
    let bob = Client::new(&channel, "bob").await;
    let carol = Client::new(&channel, "carol").await;
    let mut streams = vec![
        alice.subscribe().await,
        bob.subscribe().await,
        carol.subscribe().await,
    ];

    let first = alice.send("one", "").await.expect("a first post passes");
    let refused = alice.send("two", "").await.expect_err("the gate is closed");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(
        refused.message(),
        "your previous message needs 2 more reactions from other users"
    );
    alice.react(&first.message_id).await.expect("self-reaction");
    bob.react(&first.message_id).await.expect("bob reacts");
    let again = bob
        .react(&first.message_id)
        .await
        .expect_err("once per emoji");
    assert_eq!(again.code(), Code::AlreadyExists);
    let refused = alice.send("two", "").await.expect_err("still one short");
    assert_eq!(
        refused.message(),
        "your previous message needs 1 more reaction from another user"
    );
    let snapshot = carol.react(&first.message_id).await.expect("carol reacts");
    assert_eq!(snapshot.counted_reactions, 2);
    alice.send("two", "").await.expect("the gate is open");

    for stream in &mut streams {
        let mut seen = Vec::new();
        let mut last = 0;
        for _ in 0..5 {
            let event = next_event(stream).await;
            assert!(event.event_id > last, "ids strictly increase");
            last = event.event_id;
            seen.push(content(&event));
        }
        assert_eq!(
            seen,
            ["one", "one +alice", "one +bob", "one +carol", "two"],
            "every stream, every event, in order"
        );
    }
    stop.cancel();
}

#[tokio::test]
async fn a_rooms_events_reach_its_members_only_and_unacked_ones_come_again() {
    let (channel, stop) = start().await;
    let alice = Client::new(&channel, "alice").await;
    let bob = Client::new(&channel, "bob").await;
    let carol = Client::new(&channel, "carol").await;
    let room = alice
        .chat
        .clone()
        .create_room(authed(
            pb::CreateRoomRequest { name: "den".into() },
            &alice.token,
        ))
        .await
        .expect("create")
        .into_inner();
    bob.chat
        .clone()
        .join_room(authed(
            pb::JoinRoomRequest {
                room_id: String::new(),
                name: "DEN".into(),
            },
            &bob.token,
        ))
        .await
        .expect("join by name, any case");
    let outsider = carol
        .send("in", &room.room_id)
        .await
        .expect_err("not a member");
    assert_eq!(outsider.code(), Code::PermissionDenied);
    let status = alice
        .chat
        .clone()
        .get_send_status(authed(
            pb::GetSendStatusRequest {
                room_id: room.room_id.clone(),
            },
            &alice.token,
        ))
        .await
        .expect("status")
        .into_inner();
    assert_eq!(status.required_reactions, 1, "two members: the other one");

    let mut bob_stream = bob.subscribe().await;
    let mut carol_stream = carol.subscribe().await;
    alice.send("in the den", &room.room_id).await.expect("post");
    alice.send("in the lobby", "").await.expect("post");
    assert_eq!(content(&next_event(&mut bob_stream).await), "bob joined");
    let den = next_event(&mut bob_stream).await;
    assert_eq!(content(&den), "in the den");
    assert_eq!(content(&next_event(&mut bob_stream).await), "in the lobby");
    assert_eq!(
        content(&next_event(&mut carol_stream).await),
        "in the lobby",
        "the room's events never reach a non-member"
    );

    // Acked up to the den's post: a new stream sends the lobby's post again, and only it.
    bob.ack(den.event_id).await;
    let mut again = bob.subscribe().await;
    let replaced = tokio::time::timeout(Duration::from_secs(10), bob_stream.message())
        .await
        .expect("the old stream ends");
    assert_eq!(replaced.expect_err("ABORTED").code(), Code::Aborted);
    assert_eq!(content(&next_event(&mut again).await), "in the lobby");
    let closed = alice.send("later", "").await.expect_err("no reactions yet");
    assert_eq!(closed.code(), Code::FailedPrecondition);
    stop.cancel();
}
