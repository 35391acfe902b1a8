//! The ssh gateway end to end: the real chat-server process, the real gateway on a real
//! port, a real SSH client (russh's), and a terminal emulator (vt100) reading what the
//! gateway draws, as a person's terminal would.

use chat_protocol::chat::v1::chat_service_client::ChatServiceClient;
use chat_protocol::chat::v1::{GetMessageRequest, ListMessagesRequest, SendRequest};
use chat_test_support::process::{PASSWORD, ServerProcess, account, authed, free_port};
use chat_tui::gateway::{self, Upstream, host_key, limits::Limits};
use rand::Rng as _;
use russh::client::{self, AuthResult, Handle, Msg};
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{Channel, ChannelMsg, Disconnect};
use std::num::NonZeroU16;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Every wait gives up after this long, with the screen in the failure message.
const WAIT: Duration = Duration::from_secs(20);

/// The secret the server and the gateway share (docs/api.md §8).
const GATEWAY_SECRET: &str = "gateway-secret-for-the-ssh-tests-0123456789";

struct Setup {
    server: ServerProcess,
    server_dir: std::path::PathBuf,
    gateway: std::net::SocketAddr,
    fingerprint: String,
    limits: Limits,
    _dir: tempfile::TempDir,
}

async fn setup(per_ip: usize) -> Setup {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server_dir = dir.path().join("server");
    let server = ServerProcess::start(
        &server_dir,
        "",
        free_port(),
        &[("CHAT__AUTH__GATEWAY_SECRET", GATEWAY_SECRET)],
    )
    .await;
    let key = host_key::load_or_create(&dir.path().join("gateway"))
        .unwrap_or_else(|e| panic!("host key: {e}"));
    let fingerprint = host_key::fingerprint(&key);
    let ssh = Arc::new(russh::server::Config {
        keys: vec![key],
        auth_rejection_time: Duration::from_millis(200),
        auth_rejection_time_initial: Some(Duration::ZERO),
        inactivity_timeout: Some(Duration::from_secs(120)),
        ..russh::server::Config::default()
    });
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let gateway = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let upstream = Upstream {
        grpc: chat_tui::net::channel(&server.url(), None).unwrap_or_else(|e| panic!("{e}")),
        server: server.url(),
        secret: Some(GATEWAY_SECRET.into()),
    };
    let limits = Limits::new(50, per_ip);
    tokio::spawn(gateway::serve(listener, ssh, upstream, limits.clone()));
    Setup {
        server,
        server_dir,
        gateway,
        fingerprint,
        limits,
        _dir: dir,
    }
}

/// Trusts only the gateway's own host key, as `known_hosts` would.
struct Client {
    fingerprint: String,
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(key.public_key().fingerprint(HashAlg::Sha256).to_string() == self.fingerprint)
    }
}

async fn connect(setup: &Setup) -> Handle<Client> {
    let client = Client {
        fingerprint: setup.fingerprint.clone(),
    };
    let config = Arc::new(client::Config::default());
    client::connect(config, setup.gateway, client)
        .await
        .unwrap_or_else(|e| panic!("ssh connect: {e}"))
}

fn size(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).unwrap_or(NonZeroU16::MIN)
}

/// A pty on the gateway, read into a terminal emulator.
struct Term {
    channel: Channel<Msg>,
    screen: vt100::Parser,
    closed: bool,
}

impl Term {
    async fn open(ssh: &Handle<Client>, cols: u16, rows: u16) -> Self {
        let channel = ssh
            .channel_open_session()
            .await
            .unwrap_or_else(|e| panic!("channel: {e}"));
        channel
            .request_pty(true, "xterm-256color", cols.into(), rows.into(), 0, 0, &[])
            .await
            .unwrap_or_else(|e| panic!("pty: {e}"));
        channel
            .request_shell(true)
            .await
            .unwrap_or_else(|e| panic!("shell: {e}"));
        Self {
            channel,
            screen: vt100::Parser::new(size(rows), size(cols), 0),
            closed: false,
        }
    }

    fn text(&self) -> String {
        self.screen.screen().contents()
    }

    /// Reads until `done(screen)` holds; panics with the screen after `WAIT`.
    async fn until(&mut self, what: &str, done: impl Fn(&str) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !done(&self.text()) {
            assert!(
                !self.closed,
                "the channel closed waiting for {what}:\n{}",
                self.text()
            );
            let next = tokio::time::timeout_at(deadline, self.channel.wait()).await;
            match next {
                Err(_) => panic!("timed out waiting for {what}; the screen:\n{}", self.text()),
                Ok(Some(ChannelMsg::Data { data })) => self.screen.process(&data),
                Ok(Some(ChannelMsg::Eof | ChannelMsg::Close) | None) => self.closed = true,
                Ok(Some(_)) => {}
            }
        }
    }

    async fn wait_for(&mut self, text: &str) {
        self.until(text, |screen| screen.contains(text)).await;
    }

    async fn send(&self, bytes: &[u8]) {
        self.channel
            .data_bytes(bytes.to_vec())
            .await
            .unwrap_or_else(|e| panic!("send: {e}"));
    }

    async fn resize(&mut self, cols: u16, rows: u16) {
        self.screen.set_size(size(rows), size(cols));
        self.channel
            .window_change(cols.into(), rows.into(), 0, 0)
            .await
            .unwrap_or_else(|e| panic!("resize: {e}"));
    }

    /// Reads until the channel closes.
    async fn until_closed(&mut self) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !self.closed {
            match tokio::time::timeout_at(deadline, self.channel.wait()).await {
                Err(_) => panic!("the channel stayed open:\n{}", self.text()),
                Ok(Some(ChannelMsg::Data { data })) => self.screen.process(&data),
                Ok(Some(ChannelMsg::Eof | ChannelMsg::Close) | None) => self.closed = true,
                Ok(Some(_)) => {}
            }
        }
    }
}

/// How many sessions `user` has on the server, as its operator would read it
/// (`chat-server admin user list`).
async fn sessions_of(setup: &Setup, user: &str) -> u32 {
    let out = tokio::process::Command::new(chat_test_support::process::binary())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CHAT__STORAGE__DATA_DIR", &setup.server_dir)
        .env("CHAT__LOG__DIR", setup.server_dir.join("logs"))
        .env("JWT_SECRET_KEY", chat_test_support::process::SECRET)
        .args(["admin", "user", "list"])
        .output()
        .await
        .unwrap_or_else(|e| panic!("admin: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some(user)).then(|| words.nth(1).and_then(|n| n.parse().ok()))
        })
        .flatten()
        .unwrap_or_else(|| panic!("{user} is not in:\n{text}"))
}

/// Waits until `user` has only the sessions they had before the ssh ones (`account`
/// signs in too).
async fn until_back_to(setup: &Setup, user: &str, before: u32) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let n = sessions_of(setup, user).await;
        if n == before {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{user} has {n} session(s) on the server, not {before}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn chat(setup: &Setup) -> ChatServiceClient<tonic::transport::Channel> {
    ChatServiceClient::new(setup.server.channel())
}

async fn newest_contents(setup: &Setup, token: &str) -> Vec<String> {
    chat(setup)
        .list_messages(authed(
            ListMessagesRequest {
                limit: 50,
                ..Default::default()
            },
            token,
        ))
        .await
        .unwrap_or_else(|e| panic!("list: {e}"))
        .into_inner()
        .messages
        .into_iter()
        .map(|m| m.content)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_signs_in_and_the_chat_posts_reacts_pastes_and_resizes() {
    let setup = setup(10).await;
    account(setup.server.channel(), "alice").await;
    let before = sessions_of(&setup, "alice").await;
    let bob = account(setup.server.channel(), "bob").await;
    let mut ssh = connect(&setup).await;
    let auth = ssh
        .authenticate_password("alice", PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(auth, AuthResult::Success), "{auth:?}");
    let mut term = Term::open(&ssh, 80, 24).await;
    term.wait_for("● connected").await;

    // Typing and Enter post, stored on the server.
    term.send("hello over ssh 漢字\r".as_bytes()).await;
    term.wait_for("hello over ssh 漢字").await;
    assert!(
        newest_contents(&setup, &bob)
            .await
            .contains(&"hello over ssh 漢字".to_owned())
    );

    // Bob posts; it reaches alice live; Esc then 1 reacts with 👍.
    let posted = chat(&setup)
        .send(authed(
            SendRequest {
                content: "bob here".into(),
                client_request_id: uuid::Uuid::new_v4().to_string(),
                ..Default::default()
            },
            &bob,
        ))
        .await
        .unwrap_or_else(|e| panic!("send: {e}"))
        .into_inner()
        .message
        .unwrap_or_else(|| panic!("no message"));
    term.wait_for("bob here").await;
    term.send(b"\x1b1").await;
    term.wait_for("👍 1").await;
    // On screen at once (optimistic); stored once the server answers.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let reacted = chat(&setup)
            .get_message(authed(
                GetMessageRequest {
                    message_id: posted.message_id.clone(),
                },
                &bob,
            ))
            .await
            .unwrap_or_else(|e| panic!("get: {e}"))
            .into_inner();
        let names: Vec<String> = reacted
            .reactions
            .iter()
            .flat_map(|r| r.user_names.clone())
            .collect();
        if names == ["alice"] {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the reaction was not stored: {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A paste arrives whole in the input (back to typing first).
    term.send(b"i\x1b[200~pasted text\x1b[201~").await;
    term.wait_for("› pasted text").await;

    // A resize redraws at the new size: below 72 columns the room list folds away.
    assert!(term.text().contains("Ctrl+N next"));
    term.resize(60, 20).await;
    term.until("the folded layout", |s| {
        !s.contains("Ctrl+N next") && s.contains("● connected")
    })
    .await;

    // Ctrl+C quits: the channel closes and the session is signed out.
    term.send(b"\x03").await;
    term.until_closed().await;
    until_back_to(&setup, "alice", before).await;
    let _ = ssh.disconnect(Disconnect::ByApplication, "", "en").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_refused_at_the_ssh_layer() {
    let setup = setup(10).await;
    account(setup.server.channel(), "alice").await;
    let before = sessions_of(&setup, "alice").await;
    let mut ssh = connect(&setup).await;
    let wrong = ssh
        .authenticate_password("alice", "not the password")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(wrong, AuthResult::Failure { .. }), "{wrong:?}");
    let unknown = ssh
        .authenticate_password("nobody", PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(unknown, AuthResult::Failure { .. }), "{unknown:?}");
    // Not the new-account door either: `none` is only for `new`.
    let none = ssh
        .authenticate_none("alice")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(none, AuthResult::Failure { .. }), "{none:?}");
    let right = ssh
        .authenticate_password("alice", PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(right, AuthResult::Success), "{right:?}");
    // Leaving without opening the chat ends the session that the password opened.
    assert_eq!(sessions_of(&setup, "alice").await, before + 1);
    drop(ssh);
    until_back_to(&setup, "alice", before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_new_opens_the_sign_up_screen_and_makes_an_account() {
    let setup = setup(10).await;
    let mut ssh = connect(&setup).await;
    let auth = ssh
        .authenticate_none("new")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(auth, AuthResult::Success), "{auth:?}");
    let mut term = Term::open(&ssh, 80, 24).await;
    term.wait_for("sign up").await;
    term.send(b"carol\tpassword-carol\r").await;
    term.wait_for("● connected").await;
    // The account is real: a plain client signs in with it.
    let mut auth = chat_protocol::auth::v1::auth_service_client::AuthServiceClient::new(
        setup.server.channel(),
    );
    let signed_in = auth
        .sign_in(chat_protocol::auth::v1::SignInRequest {
            user_name: "carol".into(),
            password: "password-carol".into(),
        })
        .await;
    assert!(signed_in.is_ok(), "{signed_in:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_answer_to_the_password_prompt_opens_the_sign_in_screen() {
    let setup = setup(10).await;
    let mut ssh = connect(&setup).await;
    let asked = ssh
        .authenticate_keyboard_interactive_start("dave", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(
            asked,
            client::KeyboardInteractiveAuthResponse::InfoRequest { .. }
        ),
        "{asked:?}"
    );
    let answered = ssh
        .authenticate_keyboard_interactive_respond(vec![String::new()])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(answered, client::KeyboardInteractiveAuthResponse::Success),
        "{answered:?}"
    );
    let mut term = Term::open(&ssh, 80, 24).await;
    term.wait_for("sign in").await;
    term.wait_for("dave").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_gone_mid_stream_frees_its_place_and_others_go_on() {
    let setup = setup(1).await;
    account(setup.server.channel(), "alice").await;
    let before = sessions_of(&setup, "alice").await;
    let mut ssh = connect(&setup).await;
    let auth = ssh
        .authenticate_password("alice", PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(auth, AuthResult::Success));
    let mut term = Term::open(&ssh, 80, 24).await;
    term.wait_for("● connected").await;
    assert_eq!(setup.limits.open(), 1);

    // A second connection from the same address is over the limit of one: refused.
    let second = client::connect(
        Arc::new(client::Config::default()),
        setup.gateway,
        Client {
            fingerprint: setup.fingerprint.clone(),
        },
    )
    .await;
    if let Ok(mut second) = second {
        let refused = second.authenticate_none("new").await;
        assert!(refused.is_err(), "a second connection got in: {refused:?}");
    }

    // The first one vanishes mid-stream, without closing its channel: its place is
    // freed and its session ends on the server.
    drop(term);
    drop(ssh);
    let deadline = tokio::time::Instant::now() + WAIT;
    while setup.limits.open() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the gateway still holds the connection"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    until_back_to(&setup, "alice", before).await;
    // Its place is free again.
    let mut again = connect(&setup).await;
    let auth = again
        .authenticate_password("alice", PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(auth, AuthResult::Success));
    let mut term = Term::open(&again, 80, 24).await;
    term.wait_for("● connected").await;
}

/// A user's own ssh key, made here as `ssh-keygen -t ed25519` would.
fn user_key() -> PrivateKeyWithHashAlg {
    let seed: [u8; 32] = rand::rng().random();
    PrivateKeyWithHashAlg::new(
        Arc::new(PrivateKey::from(Ed25519Keypair::from_seed(&seed))),
        None,
    )
}

async fn with_key(ssh: &mut Handle<Client>, user: &str, key: &PrivateKeyWithHashAlg) -> AuthResult {
    ssh.authenticate_publickey(user, key.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_added_with_key_add_signs_in_without_a_password_until_removed() {
    let setup = setup(10).await;
    account(setup.server.channel(), "kim").await;
    account(setup.server.channel(), "lee").await;
    let key = user_key();

    // Not registered yet: the key proves itself (a partial success), then the password.
    let mut ssh = connect(&setup).await;
    let first = with_key(&mut ssh, "kim", &key).await;
    assert!(
        matches!(
            first,
            AuthResult::Failure {
                partial_success: true,
                ..
            }
        ),
        "{first:?}"
    );
    let auth = ssh
        .authenticate_password("kim", PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(auth, AuthResult::Success), "{auth:?}");
    let mut term = Term::open(&ssh, 120, 30).await;
    term.wait_for("● connected").await;
    term.send(b":key add laptop\r").await;
    term.wait_for("ssh key added: ed25519").await;
    term.send(b":key list\r").await;
    term.wait_for("1 ssh key: ed25519").await;
    term.wait_for("laptop").await;
    term.send(b"\x03").await;
    term.until_closed().await;
    let _ = ssh.disconnect(Disconnect::ByApplication, "", "en").await;

    // The key alone signs kim in, straight into the chat...
    let mut ssh = connect(&setup).await;
    let auth = with_key(&mut ssh, "kim", &key).await;
    assert!(matches!(auth, AuthResult::Success), "{auth:?}");
    let mut term = Term::open(&ssh, 120, 30).await;
    term.wait_for("● connected").await;
    term.wait_for("kim").await;
    // ...and it is listed as used.
    term.send(b":key list\r").await;
    term.wait_for("1 ssh key: ed25519").await;
    let listed = term.text();
    assert!(!listed.contains("never used"), "{listed}");

    // It is kim's key, not lee's: as lee it only proves itself.
    let mut other = connect(&setup).await;
    let as_lee = with_key(&mut other, "lee", &key).await;
    assert!(
        matches!(
            as_lee,
            AuthResult::Failure {
                partial_success: true,
                ..
            }
        ),
        "{as_lee:?}"
    );
    let _ = other.disconnect(Disconnect::ByApplication, "", "en").await;

    // Removed by the start of its fingerprint, it no longer signs in.
    let fingerprint = key.public_key().fingerprint(HashAlg::Sha256).to_string();
    let prefix: String = fingerprint["SHA256:".len()..].chars().take(6).collect();
    term.send(format!(":key rm {prefix}\r").as_bytes()).await;
    term.wait_for("ssh key removed").await;
    let mut again = connect(&setup).await;
    let refused = with_key(&mut again, "kim", &key).await;
    assert!(matches!(refused, AuthResult::Failure { .. }), "{refused:?}");
    term.send(b"\x03").await;
    term.until_closed().await;
}
