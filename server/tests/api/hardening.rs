//! What a client that never signed in, or one that misbehaves on purpose, must not be able
//! to do: fill the disk, get past the sign-in throttle, lock someone else out, hold the
//! server's memory with unfinished requests, open connections without bound, or get an
//! answer other than the precise code for bytes that are not a request.

use crate::helpers::*;
use crate::raw::{METHODS, RawConn, frame, frame_declaring, status_of};
use chat_protocol::auth::v1 as auth_pb;
use chat_server::entity::sign_in_failure;
use prost::Message;
use sea_orm::{EntityTrait, PaginatorTrait};
use std::{net::IpAddr, time::Duration};
use tonic::Code;

const ELSEWHERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));
const HERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn sign_in_body(name: &str, password: &str) -> bytes::Bytes {
    frame(
        &auth_pb::SignInRequest {
            user_name: name.into(),
            password: password.into(),
        }
        .encode_to_vec(),
    )
}

const SIGN_IN: &str = "/auth.v1.AuthService/SignIn";

/// A SignIn made by hand on `conn`: its code and message.
async fn sign_in_on(conn: &mut RawConn, name: &str, password: &str) -> (Code, String) {
    conn.call(SIGN_IN, None, sign_in_body(name, password)).await
}

async fn attempts_stored(app: &TestApp) -> u64 {
    sign_in_failure::Entity::find()
        .count(app.state.db.conn())
        .await
        .expect("count")
}

#[tokio::test]
async fn sign_in_with_a_name_no_one_can_have_stores_nothing() {
    let app = spawn_app().await;
    let mut auth = app.auth.clone();
    for name in ["x".repeat(3_000), "semi;colon".into(), "ab".into()] {
        let status = auth
            .sign_in(auth_pb::SignInRequest {
                user_name: name,
                password: PASSWORD.into(),
            })
            .await
            .expect_err("no such user");
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    }
    assert_eq!(
        attempts_stored(&app).await,
        0,
        "invalid names reached the database"
    );

    // A request over the auth service's size limit is refused before it is buffered.
    let status = auth
        .sign_in(auth_pb::SignInRequest {
            user_name: "y".repeat(1 << 20),
            password: PASSWORD.into(),
        })
        .await
        .expect_err("too large");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(attempts_stored(&app).await, 0);
}

#[tokio::test]
async fn two_hundred_concurrent_guesses_get_no_more_checks_than_the_limit() {
    let app = spawn_app().await;
    app.sign_up("victim").await;
    let limit = app.state.settings.auth.sign_in_max_failures as usize;
    let guesses = (0..200).map(|i| {
        let mut auth = app.auth.clone();
        let password = if i == 100 {
            PASSWORD.to_owned()
        } else {
            format!("wrong password {i}")
        };
        async move {
            auth.sign_in(auth_pb::SignInRequest {
                user_name: "victim".into(),
                password,
            })
            .await
            .map(drop)
            .map_err(|s| s.code())
        }
    });
    let outcomes = futures::future::join_all(guesses).await;
    let checked = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(()) | Err(Code::Unauthenticated)))
        .count();
    let throttled = outcomes
        .iter()
        .filter(|o| **o == Err(Code::ResourceExhausted))
        .count();
    assert!(
        checked <= limit,
        "{checked} guesses had their password checked; the limit is {limit}"
    );
    assert_eq!(
        checked + throttled,
        200,
        "every other answer is RESOURCE_EXHAUSTED"
    );
}

#[tokio::test]
async fn a_guesser_at_another_address_cannot_lock_the_user_out() {
    let app = spawn_app().await;
    app.sign_up("carol").await;
    let limit = app.state.settings.auth.sign_in_max_failures;
    let mut guesser = RawConn::connect(app.addr, ELSEWHERE)
        .await
        .expect("connect");
    for i in 0..limit {
        let (code, _) = sign_in_on(&mut guesser, "carol", &format!("guess number {i}")).await;
        assert_eq!(code, Code::Unauthenticated);
    }
    // The guesser's address is throttled for this name, even with the right password…
    let (code, message) = sign_in_on(&mut guesser, "carol", PASSWORD).await;
    assert_eq!(code, Code::ResourceExhausted, "{message}");
    assert!(message.contains("try again in"), "{message}");
    // …but carol, elsewhere, signs in.
    let mut carol = RawConn::connect(app.addr, HERE).await.expect("connect");
    let (code, message) = sign_in_on(&mut carol, "carol", PASSWORD).await;
    assert_eq!(code, Code::Ok, "{message}");
}

#[tokio::test]
async fn one_address_cannot_guess_at_many_names_without_bound() {
    let app = spawn_app_with(|s| s.auth.sign_in_max_failures_per_ip = 8).await;
    let mut guesser = RawConn::connect(app.addr, ELSEWHERE)
        .await
        .expect("connect");
    let mut codes = Vec::new();
    for i in 0..12 {
        let body = sign_in_body(&format!("name{i}"), "not the password");
        codes.push(guesser.call(SIGN_IN, None, body).await.0);
    }
    assert_eq!(codes[..8], [Code::Unauthenticated; 8]);
    assert_eq!(codes[8..], [Code::ResourceExhausted; 4]);
}

#[tokio::test]
async fn bytes_that_are_not_a_message_get_invalid_argument_on_every_rpc() {
    let app = spawn_app().await;
    let user = app.user("fuzzer").await;
    let mut conn = RawConn::connect(app.addr, HERE).await.expect("connect");
    // Field 1, length-delimited, with a length that runs past the end; then a field
    // with wire type 7, which does not exist.
    for garbage in [&[0x0a, 0xff, 0xff, 0x01][..], &[0x0f, 0x01][..]] {
        for (path, needs_token) in METHODS {
            let token = needs_token.then_some(user.access_token.as_str());
            let (code, message) = conn.call(path, token, frame(garbage)).await;
            assert_eq!(code, Code::InvalidArgument, "{path}: {message}");
            assert!(
                !message.contains("wire type"),
                "{path}: internals in {message}"
            );
        }
    }
}

#[tokio::test]
async fn requests_over_the_size_limit_get_resource_exhausted_on_every_rpc() {
    let app = spawn_app().await;
    let user = app.user("bulky").await;
    let mut conn = RawConn::connect(app.addr, HERE).await.expect("connect");
    let big = vec![0u8; 70 * 1024];
    for (path, needs_token) in METHODS {
        let token = needs_token.then_some(user.access_token.as_str());
        let (code, message) = conn.call(path, token, frame(&big)).await;
        assert_eq!(code, Code::ResourceExhausted, "{path}: {message}");
    }
}

#[tokio::test]
async fn unfinished_requests_do_not_hold_the_servers_memory() {
    let app = spawn_app_with(|s| s.server.request_timeout_secs = 1).await;
    let mut conn = RawConn::connect(app.addr, HERE).await.expect("connect");
    // A hundred SignIns on one connection, each declaring 4 MiB and sending 64 KiB of it:
    // each is answered at once, from the declared size alone.
    let mut calls = Vec::new();
    for _ in 0..100 {
        let body = frame_declaring(4 << 20, &vec![b'a'; 64 * 1024]);
        let call = conn.start(SIGN_IN, None, body, false).await.expect("start");
        calls.push(call);
    }
    for call in calls {
        let (code, _) = tokio::time::timeout(Duration::from_secs(10), status_of(call.response))
            .await
            .expect("answered without the rest of the body");
        assert_eq!(code, Code::ResourceExhausted);
    }
    // A small request that stalls halfway is ended by the request timeout.
    let stalled = conn
        .start(SIGN_IN, None, frame_declaring(100, b"0123456789"), false)
        .await
        .expect("start");
    let (code, _) = tokio::time::timeout(Duration::from_secs(10), status_of(stalled.response))
        .await
        .expect("a stalled request is not kept forever");
    assert!(
        matches!(code, Code::Cancelled | Code::DeadlineExceeded),
        "{code:?}"
    );
}

/// Whether a new connection from `from` gets an answer to a call.
async fn served(app: &TestApp, from: IpAddr) -> bool {
    let attempt = async {
        let mut conn = RawConn::connect(app.addr, from).await.ok()?;
        let call = conn
            .start(
                SIGN_IN,
                None,
                sign_in_body("nobody", "wrong password"),
                true,
            )
            .await
            .ok()?;
        let response = call.response.await.ok()?;
        Some(response.status())
    };
    let status = tokio::time::timeout(Duration::from_secs(5), attempt).await;
    matches!(status, Ok(Some(http::StatusCode::OK)))
}

#[tokio::test]
async fn connections_over_the_per_address_cap_are_closed() {
    let app = spawn_app_with(|s| s.server.max_connections_per_ip = 3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(
            RawConn::connect(app.addr, ELSEWHERE)
                .await
                .expect("under the cap"),
        );
    }
    // Each holds its place once the server has accepted it; a call on each makes sure.
    for conn in &mut held {
        let (code, _) = sign_in_on(conn, "nobody", "wrong password").await;
        assert_eq!(code, Code::Unauthenticated);
    }
    assert!(
        !served(&app, ELSEWHERE).await,
        "a fourth connection from one address was served"
    );
    assert!(served(&app, HERE).await, "another address is not affected");
    drop(held.pop());
    let mut freed = false;
    for _ in 0..50 {
        if served(&app, ELSEWHERE).await {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(freed, "a closed connection frees its place");
}

#[tokio::test]
async fn error_messages_quote_at_most_a_short_prefix_of_the_input() {
    let app = spawn_app().await;
    let user = app.user("echo").await;
    let sent = user.send("hello").await.expect("send");
    let huge = "🙃".repeat(12_000);
    let status = user
        .react(&sent.message_id, &huge)
        .await
        .expect_err("unknown emoji");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().len() < 400,
        "{} bytes",
        status.message().len()
    );
    let status = user.react(&huge, "").await.expect_err("bad id");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().len() < 400,
        "{} bytes",
        status.message().len()
    );
}

#[tokio::test]
async fn posts_show_the_stored_name_not_the_one_in_the_token() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let app = spawn_app().await;
    let dave = app.user("dave").await;
    let now = jsonwebtoken::get_current_timestamp();
    let claims = chat_server::auth::Claims {
        name: "admin".into(),
        ..crate::auth::serde_like_claims(&dave, now, now + 600)
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("encode");
    let renamed = User {
        access_token: token,
        ..dave.clone()
    };
    let sent = renamed.send("who am I").await.expect("send");
    assert_eq!(sent.user_name, "dave");
}

#[tokio::test]
async fn signing_in_past_the_session_cap_ends_the_oldest_session() {
    let app = spawn_app_with(|s| s.auth.max_sessions_per_user = 3).await;
    let first = app.user("erin").await;
    let mut later = Vec::new();
    for _ in 0..3 {
        later.push(app.sign_in("erin").await);
    }
    let status = first.send("still here?").await.expect_err("evicted");
    assert_eq!(status.code(), Code::Unauthenticated);
    for session in &later {
        session
            .chat
            .clone()
            .get_send_status(session.req(chat_protocol::chat::v1::GetSendStatusRequest::default()))
            .await
            .expect("the three newest sessions live on");
    }
}

#[tokio::test]
async fn look_alike_names_cannot_sign_up_beside_the_real_one() {
    let app = spawn_app().await;
    app.sign_up("alice").await;
    app.sign_up("strasse").await;
    app.sign_up("ace").await;
    app.sign_up("bob1").await;
    let mut auth = app.auth.clone();
    for (look_alike, code) in [
        ("ａｌｉｃｅ", Code::AlreadyExists),    // fullwidth
        ("ALICE", Code::AlreadyExists),         // case
        ("STRAßE", Code::AlreadyExists),        // ß folds to ss
        ("асе", Code::AlreadyExists),           // all Cyrillic, looks like "ace"
        ("bob①", Code::AlreadyExists),          // circled digit
        ("\u{430}lice", Code::InvalidArgument), // Latin with one Cyrillic letter
    ] {
        let status = auth
            .sign_up(auth_pb::SignUpRequest {
                user_name: look_alike.into(),
                password: PASSWORD.into(),
            })
            .await
            .expect_err(look_alike);
        assert_eq!(status.code(), code, "{look_alike}: {}", status.message());
    }
    // The fullwidth form signs in as the one alice.
    let status = auth
        .sign_in(auth_pb::SignInRequest {
            user_name: "ａｌｉｃｅ".into(),
            password: PASSWORD.into(),
        })
        .await
        .expect("the same name, typed in fullwidth");
    assert_eq!(status.into_inner().user_name, "alice");
}

#[tokio::test]
async fn an_oversized_header_fails_its_call_and_not_the_connection() {
    let app = spawn_app().await;
    let limit = app.state.settings.server.max_header_bytes;
    let mut conn = RawConn::connect(app.addr, HERE).await.expect("connect");
    for size in [20 * 1024, 64 * 1024, limit - 1024, limit + 8 * 1024] {
        let token = "x".repeat(size);
        let call = conn
            .start(
                "/chat.v1.ChatService/GetSendStatus",
                Some(&token),
                frame(&[]),
                true,
            )
            .await
            .expect("start");
        let response = tokio::time::timeout(Duration::from_secs(5), call.response)
            .await
            .expect("answered")
            .expect("a response, not a closed connection");
        if size < limit {
            // Read by the server: a token that is not one.
            let status = tonic::Status::from_header_map(response.headers()).expect("status");
            assert_eq!(status.code(), Code::Unauthenticated, "{size} bytes");
        } else {
            // Over the limit: refused by HTTP/2 for this call alone.
            assert_eq!(
                response.status(),
                http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            );
        }
        let (code, _) = sign_in_on(&mut conn, "nobody", "wrong password").await;
        assert_eq!(
            code,
            Code::Unauthenticated,
            "the connection serves after {size} bytes"
        );
    }
}

#[tokio::test]
async fn a_session_nobody_subscribes_to_is_ended_after_the_idle_time() {
    // An idle time of zero: any session without a stream is idle at the next sweep.
    let app = spawn_app_with(|s| s.auth.session_idle_secs = 0).await;
    let reader = app.user("reader").await;
    let forgotten = app.user("forgotten").await;
    let mut events = reader.subscribe().await;
    let sent = reader.send("are you there").await.expect("send");
    assert_eq!(
        posted(&events.next_event().await).message_id,
        sent.message_id
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    let sweep = chat_server::delivery::janitor::sweep(&app.state.delivery)
        .await
        .expect("sweep");
    assert_eq!(sweep.expired_sessions, 1, "{sweep:?}");
    let status = forgotten.send("hello?").await.expect_err("ended");
    assert_eq!(status.code(), Code::Unauthenticated);
    // The one with an open stream lives on.
    reader
        .chat
        .clone()
        .get_send_status(reader.req(chat_protocol::chat::v1::GetSendStatusRequest::default()))
        .await
        .expect("a subscribed session is not idle");
}

#[tokio::test]
async fn the_request_timeout_does_not_cut_a_subscribe_stream() {
    let app = spawn_app_with(|s| s.server.request_timeout_secs = 1).await;
    let reader = app.user("patient").await;
    let mut events = reader.subscribe().await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let sent = reader.send("long after the timeout").await.expect("send");
    assert_eq!(
        posted(&events.next_event().await).message_id,
        sent.message_id
    );
}
