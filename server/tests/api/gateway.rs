//! `auth.v1.GatewayService` and the gateway's forwarded address (docs/api.md §8): only
//! a caller holding `auth.gateway_secret` gets anywhere, keys are the user's own, and a
//! registered key opens a session.

use crate::helpers::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chat_protocol::auth::v1::{self as auth_pb, gateway_service_client::GatewayServiceClient};
use chat_protocol::chat::v1 as pb;
use tonic::{Code, Request, transport::Channel};

const GATEWAY_SECRET: &str = "gateway-secret-gateway-secret-gateway!!";

/// A real key, made by `ssh-keygen -t ed25519 -C test@example`, and its fingerprint as
/// `ssh-keygen -l` printed it.
const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF0z3AJNMPpCFNkG/2RQGCxS7G0o/sD4MI8Yi661FZO7 test@example";
const FINGERPRINT: &str = "SHA256:4rMg5wQvneT9qy88w5lvV+yFJXDUqfzWvA+unNbxWgc";

/// A well-formed ed25519 key line of its own for each `seed`.
fn synthetic_key(seed: u8) -> String {
    let mut blob = Vec::new();
    for field in [&b"ssh-ed25519"[..], &[seed; 32][..]] {
        blob.extend_from_slice(&u32::try_from(field.len()).unwrap_or(0).to_be_bytes());
        blob.extend_from_slice(field);
    }
    format!("ssh-ed25519 {}", STANDARD.encode(blob))
}

async fn app_with_gateway() -> TestApp {
    spawn_app_with(|s| {
        s.auth.gateway_secret = chat_server::settings::Secret::new(GATEWAY_SECRET);
    })
    .await
}

fn client(app: &TestApp) -> GatewayServiceClient<Channel> {
    GatewayServiceClient::new(app.channel())
}

/// A request as the gateway makes it: the secret, and the user's token when given.
fn from_gateway<T>(message: T, token: Option<&str>) -> Request<T> {
    let mut request = match token {
        Some(token) => with_token(message, token),
        None => Request::new(message),
    };
    request.metadata_mut().insert(
        "x-chat-gateway-secret",
        GATEWAY_SECRET.parse().unwrap_or_else(|e| panic!("{e}")),
    );
    request
}

fn add(key: &str) -> auth_pb::AddSshKeyRequest {
    auth_pb::AddSshKeyRequest {
        public_key: key.into(),
        comment: String::new(),
    }
}

fn key_sign_in(user: &str, key: &str) -> auth_pb::SignInWithSshKeyRequest {
    auth_pb::SignInWithSshKeyRequest {
        user_name: user.into(),
        public_key: key.into(),
    }
}

#[tokio::test]
async fn a_forged_gateway_call_is_refused() {
    // No secret configured: nobody is the gateway, whatever they present.
    let closed = spawn_app().await;
    let alice = closed.user("alice").await;
    let refused = assert_code(
        client(&closed)
            .sign_in_with_ssh_key(from_gateway(key_sign_in("alice", KEY), None))
            .await,
        Code::PermissionDenied,
    );
    assert!(refused.message().contains("gateway"), "{refused:?}");
    assert_code(
        client(&closed)
            .add_ssh_key(from_gateway(add(KEY), Some(&alice.access_token)))
            .await,
        Code::PermissionDenied,
    );

    // A secret configured: a signed-in user without it, or with a wrong one, cannot add
    // a key to their own account, nor sign in as anyone with one.
    let app = app_with_gateway().await;
    let alice = app.user("alice").await;
    assert_code(
        client(&app).add_ssh_key(alice.req(add(KEY))).await,
        Code::PermissionDenied,
    );
    let mut wrong = alice.req(add(KEY));
    wrong.metadata_mut().insert(
        "x-chat-gateway-secret",
        "gateway-secret-gateway-secret-gateway!?"
            .parse()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_code(
        client(&app).add_ssh_key(wrong).await,
        Code::PermissionDenied,
    );
    assert_code(
        client(&app)
            .sign_in_with_ssh_key(Request::new(key_sign_in("alice", KEY)))
            .await,
        Code::PermissionDenied,
    );
    assert_code(
        client(&app)
            .list_ssh_keys(alice.req(auth_pb::ListSshKeysRequest {}))
            .await,
        Code::PermissionDenied,
    );
    // The secret alone does not name a user: managing keys needs the user's session.
    assert_code(
        client(&app).add_ssh_key(from_gateway(add(KEY), None)).await,
        Code::Unauthenticated,
    );
    // Nothing was stored by any of that.
    let keys = client(&app)
        .list_ssh_keys(from_gateway(
            auth_pb::ListSshKeysRequest {},
            Some(&alice.access_token),
        ))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .into_inner()
        .keys;
    assert!(keys.is_empty(), "{keys:?}");
}

#[tokio::test]
async fn a_registered_key_signs_in_until_it_is_removed() {
    let app = app_with_gateway().await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    let gateway = client(&app);

    let added = gateway
        .clone()
        .add_ssh_key(from_gateway(add(KEY), Some(&alice.access_token)))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .into_inner();
    assert_eq!(added.fingerprint, FINGERPRINT);
    assert_eq!(added.algorithm, "ssh-ed25519");
    assert_eq!(added.comment, "test@example", "the key line's own comment");
    assert!(added.added_at.is_some() && added.last_used_at.is_none());

    // The key opens a session for alice (any case of her name), a working one.
    let signed_in = gateway
        .clone()
        .sign_in_with_ssh_key(from_gateway(key_sign_in("ALICE", KEY), None))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .into_inner();
    assert_eq!(signed_in.user_id, alice.user_id);
    assert_eq!(signed_in.user_name, "alice");
    let sent = alice
        .chat
        .clone()
        .send(with_token(
            pb::SendRequest {
                content: "hello over a key".into(),
                ..pb::SendRequest::default()
            },
            &signed_in.access_token,
        ))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .into_inner();
    assert!(sent.message.is_some());
    let listed = gateway
        .clone()
        .list_ssh_keys(from_gateway(
            auth_pb::ListSshKeysRequest {},
            Some(&alice.access_token),
        ))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .into_inner()
        .keys;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some(), "the sign-in was recorded");

    // Not bob's key, and an unknown user gets the very same answer.
    let not_bobs = assert_code(
        gateway
            .clone()
            .sign_in_with_ssh_key(from_gateway(key_sign_in("bob", KEY), None))
            .await,
        Code::Unauthenticated,
    );
    let nobody = assert_code(
        gateway
            .clone()
            .sign_in_with_ssh_key(from_gateway(key_sign_in("nobody", KEY), None))
            .await,
        Code::Unauthenticated,
    );
    assert_eq!(not_bobs.message(), nobody.message());
    // Bob cannot remove alice's key.
    let bob = app.sign_in("bob").await;
    let remove = || auth_pb::RemoveSshKeyRequest {
        fingerprint: FINGERPRINT.into(),
    };
    assert_code(
        gateway
            .clone()
            .remove_ssh_key(from_gateway(remove(), Some(&bob.access_token)))
            .await,
        Code::NotFound,
    );

    // Removed: the key no longer signs in; a second removal finds nothing.
    gateway
        .clone()
        .remove_ssh_key(from_gateway(remove(), Some(&alice.access_token)))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_code(
        gateway
            .clone()
            .sign_in_with_ssh_key(from_gateway(key_sign_in("alice", KEY), None))
            .await,
        Code::Unauthenticated,
    );
    assert_code(
        gateway
            .clone()
            .remove_ssh_key(from_gateway(remove(), Some(&alice.access_token)))
            .await,
        Code::NotFound,
    );
}

#[tokio::test]
async fn bad_keys_duplicates_and_too_many_keys_are_refused() {
    let app = app_with_gateway().await;
    let alice = app.user("alice").await;
    let gateway = client(&app);
    let add_as_alice = |line: String, comment: &str| {
        let mut gateway = gateway.clone();
        let request = from_gateway(
            auth_pb::AddSshKeyRequest {
                public_key: line,
                comment: comment.into(),
            },
            Some(&alice.access_token),
        );
        async move { gateway.add_ssh_key(request).await }
    };
    for bad in [
        "",
        "not a key",
        "ssh-ed25519 AAAA",
        "ssh-dss AAAAB3NzaC1kc3M=",
    ] {
        assert_code(add_as_alice(bad.into(), "").await, Code::InvalidArgument);
    }
    assert_code(
        add_as_alice(synthetic_key(1), "bell\u{7}").await,
        Code::InvalidArgument,
    );
    let labelled = add_as_alice(synthetic_key(1), "laptop")
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .into_inner();
    assert_eq!(labelled.comment, "laptop");
    let again = assert_code(
        add_as_alice(synthetic_key(1), "").await,
        Code::AlreadyExists,
    );
    assert!(again.message().contains("already"), "{again:?}");
    for seed in 2..=20 {
        add_as_alice(synthetic_key(seed), "")
            .await
            .unwrap_or_else(|e| panic!("key {seed}: {e:?}"));
    }
    let full = assert_code(
        add_as_alice(synthetic_key(21), "").await,
        Code::ResourceExhausted,
    );
    assert!(full.message().contains("20"), "{full:?}");
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_with_its_key() {
    let app = app_with_gateway().await;
    let alice = app.user("alice").await;
    client(&app)
        .add_ssh_key(from_gateway(add(KEY), Some(&alice.access_token)))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    chat_server::admin::set_disabled(&app.state.db, "alice", true)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_code(
        client(&app)
            .sign_in_with_ssh_key(from_gateway(key_sign_in("alice", KEY), None))
            .await,
        Code::PermissionDenied,
    );
}

/// A password SignIn as the gateway makes it for an ssh client at `address`.
fn sign_in_from(address: &str, secret: Option<&str>) -> Request<auth_pb::SignInRequest> {
    let mut request = Request::new(auth_pb::SignInRequest {
        user_name: "alice".into(),
        password: "wrong password".into(),
    });
    let metadata = request.metadata_mut();
    metadata.insert(
        "x-chat-client-address",
        address.parse().unwrap_or_else(|e| panic!("{e}")),
    );
    if let Some(secret) = secret {
        metadata.insert(
            "x-chat-gateway-secret",
            secret.parse().unwrap_or_else(|e| panic!("{e}")),
        );
    }
    request
}

#[tokio::test]
async fn the_throttle_counts_the_ssh_clients_address_only_when_the_gateway_names_it() {
    let app = spawn_app_with(|s| {
        s.auth.gateway_secret = chat_server::settings::Secret::new(GATEWAY_SECRET);
        s.auth.sign_in_max_failures = 2;
    })
    .await;
    app.sign_up("alice").await;
    let auth = || app.auth.clone();
    // One guesser behind the gateway uses up the budget of their own address...
    for _ in 0..2 {
        assert_code(
            auth()
                .sign_in(sign_in_from("203.0.113.5", Some(GATEWAY_SECRET)))
                .await,
            Code::Unauthenticated,
        );
    }
    assert_code(
        auth()
            .sign_in(sign_in_from("203.0.113.5", Some(GATEWAY_SECRET)))
            .await,
        Code::ResourceExhausted,
    );
    // ...not that of another ssh user coming through the same gateway.
    assert_code(
        auth()
            .sign_in(sign_in_from("203.0.113.6", Some(GATEWAY_SECRET)))
            .await,
        Code::Unauthenticated,
    );
    // Without the secret, a claimed address is ignored: these count against the real
    // one (127.0.0.1), however many addresses they claim.
    for claimed in ["198.51.100.1", "198.51.100.2"] {
        assert_code(
            auth().sign_in(sign_in_from(claimed, None)).await,
            Code::Unauthenticated,
        );
    }
    assert_code(
        auth().sign_in(sign_in_from("198.51.100.3", None)).await,
        Code::ResourceExhausted,
    );
}
