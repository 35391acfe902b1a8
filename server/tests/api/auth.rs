use crate::helpers::*;
use chat_protocol::{auth::v1 as auth_pb, chat::v1 as pb};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use tonic::Code;

#[tokio::test]
async fn sign_up_then_sign_in_returns_tokens_and_user() {
    let app = spawn_app().await;
    let user_id = app.sign_up("alice").await;
    let alice = app.sign_in("alice").await;
    assert_eq!(alice.user_id, user_id);
    assert!(!alice.access_token.is_empty());
    assert!(!alice.refresh_token.is_empty());
    // The token works for a chat call.
    assert!(alice.status().await.can_send);
}

#[tokio::test]
async fn user_names_are_unique_ignoring_case() {
    let app = spawn_app().await;
    app.sign_up("Alice").await;
    let again = app
        .auth
        .clone()
        .sign_up(auth_pb::SignUpRequest {
            user_name: "aLiCe".into(),
            password: PASSWORD.into(),
        })
        .await;
    assert_code(again, Code::AlreadyExists);
}

#[tokio::test]
async fn invalid_names_and_passwords_say_which_rule() {
    let app = spawn_app().await;
    let cases = [
        ("ab", PASSWORD, "3 to 32"),
        ("with space", PASSWORD, "letters, digits"),
        (&"x".repeat(33), PASSWORD, "3 to 32"),
        ("validname", "short", "8 to 128"),
        ("validname", &"p".repeat(129), "8 to 128"),
    ];
    for (name, password, rule) in cases {
        let status = assert_code(
            app.auth
                .clone()
                .sign_up(auth_pb::SignUpRequest {
                    user_name: name.into(),
                    password: password.into(),
                })
                .await,
            Code::InvalidArgument,
        );
        assert!(
            status.message().contains(rule),
            "{name}: {}",
            status.message()
        );
    }
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    app.sign_up("alice").await;
    let wrong = assert_code(
        app.auth
            .clone()
            .sign_in(auth_pb::SignInRequest {
                user_name: "alice".into(),
                password: "wrong password".into(),
            })
            .await,
        Code::Unauthenticated,
    );
    let unknown = assert_code(
        app.auth
            .clone()
            .sign_in(auth_pb::SignInRequest {
                user_name: "nobody".into(),
                password: "wrong password".into(),
            })
            .await,
        Code::Unauthenticated,
    );
    assert_eq!(wrong.message(), unknown.message());
}

#[tokio::test]
async fn repeated_failures_throttle_that_name_only() {
    let app = spawn_app_with(|s| s.auth.sign_in_max_failures = 3).await;
    app.sign_up("alice").await;
    app.sign_up("bob").await;
    let bad = || auth_pb::SignInRequest {
        user_name: "alice".into(),
        password: "wrong password".into(),
    };
    for _ in 0..3 {
        assert_code(app.auth.clone().sign_in(bad()).await, Code::Unauthenticated);
    }
    let throttled = assert_code(
        app.auth.clone().sign_in(bad()).await,
        Code::ResourceExhausted,
    );
    assert!(
        throttled.message().contains("try again"),
        "{}",
        throttled.message()
    );
    // The name stays locked for the window, even with the right password...
    let right = auth_pb::SignInRequest {
        user_name: "ALICE".into(),
        password: PASSWORD.into(),
    };
    assert_code(
        app.auth.clone().sign_in(right).await,
        Code::ResourceExhausted,
    );
    // ...but other users are not slowed.
    app.sign_in("bob").await;
}

#[tokio::test]
async fn successful_sign_ins_never_count_toward_the_throttle() {
    let app = spawn_app_with(|s| s.auth.sign_in_max_failures = 2).await;
    app.sign_up("alice").await;
    for _ in 0..5 {
        app.sign_in("alice").await;
    }
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthenticated() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let mut chat = alice.chat.clone();
    // Missing.
    assert_code(
        chat.get_send_status(pb::GetSendStatusRequest::default())
            .await,
        Code::Unauthenticated,
    );
    // Malformed.
    for bad in ["garbage", "a.b.c", ""] {
        let result = chat
            .get_send_status(with_token(pb::GetSendStatusRequest::default(), bad))
            .await;
        assert_code(result, Code::Unauthenticated);
    }
    // Forged with another secret.
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_like_claims(&alice, now, now + 600);
    let forged = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(b"not-the-server-secret-not-the-server"),
    )
    .expect("encode");
    assert_code(
        chat.get_send_status(with_token(pb::GetSendStatusRequest::default(), &forged))
            .await,
        Code::Unauthenticated,
    );
    // Right secret, wrong algorithm.
    let swapped = jsonwebtoken::encode(
        &Header::new(Algorithm::HS384),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("encode");
    assert_code(
        chat.get_send_status(with_token(pb::GetSendStatusRequest::default(), &swapped))
            .await,
        Code::Unauthenticated,
    );
    // Right secret, expired.
    let expired = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &serde_like_claims(&alice, now - 120, now - 60),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("encode");
    assert_code(
        chat.get_send_status(with_token(pb::GetSendStatusRequest::default(), &expired))
            .await,
        Code::Unauthenticated,
    );
    // Sign out needs a valid token too.
    let mut auth = app.auth.clone();
    assert_code(
        auth.sign_out(auth_pb::SignOutRequest {}).await,
        Code::Unauthenticated,
    );
}

pub fn serde_like_claims(user: &User, iat: u64, exp: u64) -> chat_server::auth::Claims {
    let valid =
        jsonwebtoken::dangerous::insecure_decode::<chat_server::auth::Claims>(&user.access_token)
            .expect("decode own token")
            .claims;
    chat_server::auth::Claims { iat, exp, ..valid }
}

#[tokio::test]
async fn sign_out_revokes_the_token_at_once() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.sign_out().await.expect("sign out");
    assert_code(alice.send("hello").await, Code::Unauthenticated);
    assert_code(
        alice
            .auth
            .clone()
            .refresh(auth_pb::RefreshRequest {
                refresh_token: alice.refresh_token.clone(),
            })
            .await,
        Code::Unauthenticated,
    );
}

#[tokio::test]
async fn refresh_rotates_the_token_and_reuse_revokes_the_session() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let mut auth = app.auth.clone();
    let first = auth
        .refresh(auth_pb::RefreshRequest {
            refresh_token: alice.refresh_token.clone(),
        })
        .await
        .expect("refresh")
        .into_inner();
    assert_ne!(first.refresh_token, alice.refresh_token);
    assert_eq!(first.user_name, "alice");
    let refreshed = User {
        access_token: first.access_token.clone(),
        refresh_token: first.refresh_token.clone(),
        ..alice.clone()
    };
    assert!(refreshed.status().await.can_send);

    // The old refresh token again: theft is assumed and the whole session ends.
    let reuse = auth
        .refresh(auth_pb::RefreshRequest {
            refresh_token: alice.refresh_token.clone(),
        })
        .await;
    assert_code(reuse, Code::Unauthenticated);
    assert_code(refreshed.send("hi").await, Code::Unauthenticated);
    assert_code(
        auth.refresh(auth_pb::RefreshRequest {
            refresh_token: first.refresh_token,
        })
        .await,
        Code::Unauthenticated,
    );
}

#[tokio::test]
async fn an_unknown_refresh_token_is_unauthenticated() {
    let app = spawn_app().await;
    for token in ["", "made-up"] {
        let result = app
            .auth
            .clone()
            .refresh(auth_pb::RefreshRequest {
                refresh_token: token.into(),
            })
            .await;
        assert_code(result, Code::Unauthenticated);
    }
}

#[tokio::test]
async fn signing_out_one_session_leaves_the_other() {
    let app = spawn_app().await;
    app.sign_up("alice").await;
    let laptop = app.sign_in("alice").await;
    let phone = app.sign_in("alice").await;
    laptop.sign_out().await.expect("sign out");
    assert_code(laptop.send("x").await, Code::Unauthenticated);
    phone.send("still here").await.expect("other session works");
}

#[tokio::test]
async fn health_and_reflection_answer_without_a_token() {
    let app = spawn_app().await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(app.channel());
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "chat.v1.ChatService".into(),
        })
        .await
        .expect("health")
        .into_inner()
        .status;
    assert_eq!(
        status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}
