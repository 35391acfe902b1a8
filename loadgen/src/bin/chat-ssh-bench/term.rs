//! One ssh session as a person's terminal would hold it: a russh client that signs in
//! with a password, asks for a pty and a shell, and feeds every byte the gateway sends
//! into a vt100 parser of its own; then notes when each marker first shows on that
//! screen (see `marker` for why the screen and not the bytes).

use crate::marker;
use anyhow::{Context, Result, bail};
use russh::client::{self, AuthResult, Handle, Msg};
use russh::keys::{HashAlg, PublicKeyOrCertificate};
use russh::{Channel, ChannelMsg};
use std::{
    net::SocketAddr,
    num::NonZeroU16,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::Instant,
};
use tokio_util::sync::CancellationToken;

/// What the status line says once the chat screen is up and its stream is connected
/// (tui/src/ui/status.rs).
pub const CHAT_SCREEN: &str = "● connected";

/// Trusts only the gateway's own host key, as `known_hosts` would.
pub struct Known {
    fingerprint: String,
}

impl client::Handler for Known {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(key.public_key().fingerprint(HashAlg::Sha256).to_string() == self.fingerprint)
    }
}

/// Where and how every session connects.
pub struct Target {
    pub addr: SocketAddr,
    pub fingerprint: String,
    pub cols: u16,
    pub rows: u16,
    pub config: Arc<client::Config>,
}

impl Target {
    pub fn new(addr: SocketAddr, fingerprint: String, cols: u16, rows: u16) -> Self {
        Self {
            addr,
            fingerprint,
            cols,
            rows,
            config: Arc::new(client::Config {
                // As OpenSSH does for an interactive session.
                nodelay: true,
                ..client::Config::default()
            }),
        }
    }
}

/// Counters every session adds to, read by the run while it waits.
#[derive(Debug, Default)]
pub struct Shared {
    /// Bytes received by all sessions: the run waits for it to stop moving.
    pub bytes: AtomicU64,
    /// Sessions that show the chat screen.
    pub ready: AtomicUsize,
    /// First sightings of a marker, over all sessions.
    pub sightings: AtomicU64,
    /// Sessions whose channel closed before the run ended.
    pub dropped: AtomicUsize,
}

/// An open session with its screen.
pub struct Term {
    // Held so the connection stays up; dropping it disconnects.
    _ssh: Handle<Known>,
    channel: Channel<Msg>,
    screen: vt100::Parser,
}

/// What one session saw.
#[derive(Debug, Clone, Default)]
pub struct Watched {
    /// When each marker (by message index) first showed on the screen.
    pub seen: Vec<Option<Instant>>,
    pub ready: bool,
    pub dropped: bool,
    pub bytes: u64,
}

/// Connects, signs `user` in with `password`, and opens a pty and a shell.
pub async fn open(target: &Target, user: &str, password: &str) -> Result<Term> {
    let known = Known {
        fingerprint: target.fingerprint.clone(),
    };
    let mut ssh = client::connect(target.config.clone(), target.addr, known)
        .await
        .with_context(|| format!("ssh to {} for {user}", target.addr))?;
    match ssh
        .authenticate_password(user, password)
        .await
        .with_context(|| format!("ssh password sign-in of {user}"))?
    {
        AuthResult::Success => {}
        refused @ AuthResult::Failure { .. } => {
            bail!("the gateway refused {user}'s password: {refused:?}")
        }
    }
    let channel = ssh
        .channel_open_session()
        .await
        .with_context(|| format!("a session channel for {user}"))?;
    channel
        .request_pty(
            true,
            "xterm-256color",
            target.cols.into(),
            target.rows.into(),
            0,
            0,
            &[],
        )
        .await
        .with_context(|| format!("a pty for {user}"))?;
    channel
        .request_shell(true)
        .await
        .with_context(|| format!("a shell for {user}"))?;
    let size = |n: u16| NonZeroU16::new(n).unwrap_or(NonZeroU16::MIN);
    Ok(Term {
        _ssh: ssh,
        channel,
        screen: vt100::Parser::new(size(target.rows), size(target.cols), 0),
    })
}

impl Term {
    /// Reads until `stop`, noting when each of the `messages` markers first shows.
    pub async fn watch(
        mut self,
        messages: usize,
        shared: Arc<Shared>,
        stop: CancellationToken,
    ) -> Watched {
        let mut watched = Watched {
            seen: vec![None; messages],
            ..Watched::default()
        };
        loop {
            let msg = tokio::select! {
                () = stop.cancelled() => break,
                msg = self.channel.wait() => msg,
            };
            let data = match msg {
                Some(ChannelMsg::Data { data }) => data,
                Some(ChannelMsg::Eof | ChannelMsg::Close) | None => {
                    watched.dropped = true;
                    shared.dropped.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Some(_) => continue,
            };
            self.screen.process(&data);
            // The moment the bytes are parsed: what a person's terminal would show now.
            let at = Instant::now();
            watched.bytes += data.len() as u64;
            shared.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
            let text = self.screen.screen().contents();
            if !watched.ready {
                if !text.contains(CHAT_SCREEN) {
                    continue;
                }
                watched.ready = true;
                shared.ready.fetch_add(1, Ordering::Relaxed);
            }
            for index in marker::scan(&text) {
                if let Some(slot) = watched.seen.get_mut(index)
                    && slot.is_none()
                {
                    *slot = Some(at);
                    shared.sightings.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        watched
    }
}
