//! One ssh connection: who it is (a registered ssh key, a password, keyboard-interactive,
//! or `new` for a new account), its terminal (pty size, `TERM`, resizes, `NO_COLOR`), and
//! its one shell channel, which runs a [`session`](super::session).
//!
//! Keys (only when the server trusts this gateway, see [`Upstream`]): the first key the
//! client offers is asked to sign; once russh has verified the signature, the server
//! opens a session if the key is registered to that user. If it is not, the key still
//! proved itself, so the answer is a *partial success* that asks for the password next,
//! and `:key add` can register that very key afterwards.
//!
//! Signing in: `ssh alice@host` asks for alice's password (by the `password` method or a
//! keyboard-interactive prompt) and signs in with it; a wrong one is refused here, at the
//! ssh layer, after russh's constant rejection delay. An empty answer to the prompt, or
//! `ssh new@host`, opens the sign-in / sign-up screen instead. The password goes to
//! `SignIn` and nowhere else: it is never logged.

use super::Upstream;
use super::limits::Slot;
use super::session::{self, Start};
use crate::net::{self, gateway::GatewayLink};
use chat_protocol::auth::v1::SignInResponse;
use russh::server::{Auth, Handler, Msg, PublicKeyOffer, Response, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, MethodKind, MethodSet, Pty};
use std::borrow::Cow;
use std::net::SocketAddr;
use tokio::sync::mpsc;
use tonic::transport::Channel as GrpcChannel;
use tracing::info;

/// The ssh user name that means "I have no account yet".
pub const NEW_USER: &str = "new";

/// Terminal sizes outside this are clamped (a hostile pty-req must not make us allocate).
const MAX_COLS: u32 = 1000;
const MAX_ROWS: u32 = 500;

pub struct Connection {
    pub upstream: Upstream,
    pub peer: Option<SocketAddr>,
    /// The connection's place under the limits, given back when it is dropped.
    pub _slot: Slot,
    signed_in: Option<SignInResponse>,
    /// The key the client proved it holds (OpenSSH line), registered or not.
    verified_key: Option<String>,
    user: String,
    size: (u16, u16),
    color: bool,
    channel: Option<ChannelId>,
    bytes: Option<mpsc::UnboundedSender<Vec<u8>>>,
    events: Option<mpsc::UnboundedSender<crate::app::Event>>,
}

impl Connection {
    pub fn new(upstream: Upstream, peer: Option<SocketAddr>, slot: Slot) -> Self {
        Self {
            upstream,
            peer,
            _slot: slot,
            signed_in: None,
            verified_key: None,
            user: String::new(),
            size: (80, 24),
            color: true,
            channel: None,
            bytes: None,
            events: None,
        }
    }

    fn grpc(&self) -> &GrpcChannel {
        &self.upstream.grpc
    }

    /// What the client may try next: a key, while none has proved itself and the server
    /// trusts this gateway, and always a password.
    fn methods(&self) -> MethodSet {
        let mut methods = vec![MethodKind::Password, MethodKind::KeyboardInteractive];
        if self.keys_wanted() {
            methods.insert(0, MethodKind::PublicKey);
        }
        MethodSet::from(&methods[..])
    }

    fn keys_wanted(&self) -> bool {
        self.upstream.secret.is_some() && self.verified_key.is_none()
    }

    fn reject(&self) -> Auth {
        Auth::Reject {
            proceed_with_methods: Some(self.methods()),
            partial_success: false,
        }
    }

    /// This connection's standing with the server, for its calls.
    fn link(&self) -> GatewayLink {
        GatewayLink {
            secret: self.upstream.secret.clone(),
            client: self.peer.map(|p| p.ip()),
            verified_key: self.verified_key.clone(),
        }
    }

    /// Signs in with the password; the answer for the ssh layer.
    async fn check_password(&mut self, user: &str, password: &str) -> Auth {
        let link = self.link();
        match net::sign_in(self.grpc(), user.to_owned(), password.to_owned(), &link).await {
            Ok(signed_in) => {
                info!(user, peer = ?self.peer, "ssh sign-in");
                self.user = user.to_owned();
                self.signed_in = Some(signed_in);
                Auth::Accept
            }
            Err(error) => {
                info!(user, peer = ?self.peer, code = ?error.code, "ssh sign-in refused");
                self.reject()
            }
        }
    }

    /// A key whose signature russh has verified: a session if it is registered to
    /// `user`, else a partial success (the key is remembered for `:key add`).
    async fn check_key(&mut self, user: &str, key: &russh::keys::PublicKey) -> Auth {
        let Ok(line) = key.to_openssh() else {
            return self.reject();
        };
        let fingerprint = key.fingerprint(russh::keys::HashAlg::Sha256);
        self.verified_key = Some(line.clone());
        let signed_in =
            net::gateway::sign_in_with_key(self.grpc(), &self.link(), user.to_owned(), line).await;
        match signed_in {
            Ok(signed_in) => {
                info!(user, peer = ?self.peer, %fingerprint, "ssh sign-in with a key");
                self.user = user.to_owned();
                self.signed_in = Some(signed_in);
                Auth::Accept
            }
            Err(error) if error.code == tonic::Code::Unauthenticated => {
                info!(user, peer = ?self.peer, %fingerprint, "ssh key not registered; password next");
                Auth::Reject {
                    proceed_with_methods: Some(self.methods()),
                    partial_success: true,
                }
            }
            Err(error) => {
                info!(user, peer = ?self.peer, code = ?error.code, "ssh key sign-in refused");
                self.reject()
            }
        }
    }

    /// Without a password: the sign-in screen, or the sign-up screen for `new`.
    fn onto_the_screen(&mut self, user: &str) -> Auth {
        info!(user, peer = ?self.peer, "ssh connection to the sign-in screen");
        self.user = user.to_owned();
        Auth::Accept
    }
}

impl Handler for Connection {
    type Error = anyhow::Error;

    async fn auth_none(&mut self, user: &str) -> Result<Auth, Self::Error> {
        Ok(if user == NEW_USER {
            self.onto_the_screen(user)
        } else {
            self.reject()
        })
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        _offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        // Any key is worth a signature: registered, it signs in; if not, it can be added.
        Ok(if self.keys_wanted() && user != NEW_USER {
            Auth::Accept
        } else {
            self.reject()
        })
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        if !self.keys_wanted() || user == NEW_USER {
            return Ok(self.reject());
        }
        Ok(self.check_key(user, key.public_key).await)
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        Ok(self.check_password(user, password).await)
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        if user == NEW_USER {
            return Ok(self.onto_the_screen(user));
        }
        let Some(mut answers) = response else {
            return Ok(Auth::Partial {
                name: Cow::Borrowed("chat"),
                instructions: Cow::Borrowed(""),
                prompts: Cow::Owned(vec![(
                    Cow::Owned(format!(
                        "{user}'s chat password (empty: the sign-in screen): "
                    )),
                    false,
                )]),
            });
        };
        let answer = answers.next().unwrap_or_default();
        let password = String::from_utf8_lossy(&answer).into_owned();
        if password.is_empty() {
            return Ok(self.onto_the_screen(user));
        }
        Ok(self.check_password(user, &password).await)
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // One chat per connection.
        if self.channel.is_some() {
            reply
                .reject(russh::ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            return Ok(());
        }
        self.channel = Some(channel.id());
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.size = clamp_size(col_width, row_height);
        info!(term, cols = self.size.0, rows = self.size.1, "pty");
        session.channel_success(channel)?;
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        variable_name: &str,
        variable_value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // https://no-color.org, when the client sends it (`SendEnv NO_COLOR`).
        if variable_name == "NO_COLOR" && !variable_value.is_empty() {
            self.color = false;
        }
        session.channel_success(channel)?;
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channel != Some(channel) || self.bytes.is_some() {
            session.channel_failure(channel)?;
            return Ok(());
        }
        let (bytes, bytes_rx) = mpsc::unbounded_channel();
        let (events, queue) = mpsc::unbounded_channel();
        self.bytes = Some(bytes);
        self.events = Some(events.clone());
        let start = Start {
            grpc: self.upstream.grpc.clone(),
            server: self.upstream.server.clone(),
            link: self.link(),
            handle: session.handle(),
            channel,
            size: self.size,
            signed_in: self.signed_in.take(),
            sign_up: self.user == NEW_USER,
            user_name: if self.user == NEW_USER {
                String::new()
            } else {
                self.user.clone()
            },
            color: self.color,
            bytes: bytes_rx,
            events,
            queue,
        };
        tokio::spawn(session::run(start));
        session.channel_success(channel)?;
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Only the chat runs here.
        session.channel_failure(channel)?;
        Ok(())
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channel == Some(channel)
            && let Some(bytes) = &self.bytes
        {
            let _ = bytes.send(data.to_vec());
        }
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        channel: ChannelId,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channel == Some(channel) {
            let (cols, rows) = clamp_size(col_width, row_height);
            self.size = (cols, rows);
            if let Some(events) = &self.events {
                let _ = events.send(crate::app::Event::Resize(cols, rows));
            }
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.end(channel);
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.end(channel);
        Ok(())
    }
}

impl Connection {
    /// The client is gone: the input ends, so the session's loop ends and cleans up.
    fn end(&mut self, channel: ChannelId) {
        if self.channel == Some(channel) {
            self.bytes = None;
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // A dropped connection (no close, no eof) ends its session too.
        self.bytes = None;
        // Signed in, but the chat never started: that session ends here, or it would
        // be queued every event until it expired.
        if let Some(unused) = self.signed_in.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(net::sign_out_unused(
                self.upstream.grpc.clone(),
                unused.access_token,
            ));
        }
    }
}

fn clamp_size(cols: u32, rows: u32) -> (u16, u16) {
    let cols = u16::try_from(cols.clamp(1, MAX_COLS)).unwrap_or(80);
    let rows = u16::try_from(rows.clamp(1, MAX_ROWS)).unwrap_or(24);
    (cols, rows)
}
