//! `chat-tui ssh-gateway`: the terminal client served over SSH, so that anyone with an
//! ssh client can chat without installing anything. Each ssh session runs the same
//! state, `update` and `render` as the local client (`run::driver`), reading keys from
//! the channel and drawing on it; sessions share nothing but the gRPC channel to
//! chat-server.
//!
//! - [`host_key`]: the ed25519 host key, made once (0600) in the data directory;
//! - [`Upstream`]: the server, and the secret that makes the server trust this gateway;
//! - [`limits`]: connections in total and per address;
//! - [`handler`]: one ssh connection: authentication, pty, resizes, its channel;
//! - [`session`]: one chat session on a channel;
//! - [`screen`]: drawing on a channel with a bound on what a slow client can hold up.

pub mod handler;
pub mod host_key;
pub mod limits;
pub mod screen;
pub mod session;

use crate::config::Config;
use clap::Args as ClapArgs;
use handler::Connection;
use limits::Limits;
use russh::server::Config as SshConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tracing::{info, warn};

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    /// Where to listen for ssh connections.
    #[arg(long, default_value = "0.0.0.0:2222", env = "CHAT_SSH_LISTEN")]
    pub listen: SocketAddr,

    /// Open ssh connections at most, in total.
    #[arg(long, default_value_t = 500, env = "CHAT_SSH_MAX_SESSIONS")]
    pub max_sessions: usize,

    /// Open ssh connections at most from one address.
    #[arg(long, default_value_t = 20, env = "CHAT_SSH_MAX_PER_IP")]
    pub max_per_ip: usize,

    /// A connection with no traffic either way for this many seconds is closed.
    #[arg(long, default_value_t = 3600, env = "CHAT_SSH_IDLE_SECS")]
    pub idle_secs: u64,
}

pub async fn run(args: Args, config: &Config) -> anyhow::Result<()> {
    let key = host_key::load_or_create(&config.data_dir)?;
    info!(fingerprint = %host_key::fingerprint(&key), "ssh host key");
    let ssh = Arc::new(SshConfig {
        keys: vec![key],
        inactivity_timeout: Some(Duration::from_secs(args.idle_secs)),
        // A client that vanished without a word is noticed within a minute or so.
        keepalive_interval: Some(Duration::from_secs(30)),
        keepalive_max: 3,
        auth_rejection_time: Duration::from_secs(2),
        auth_rejection_time_initial: Some(Duration::ZERO),
        max_auth_attempts: 6,
        nodelay: true,
        ..SshConfig::default()
    });
    let upstream = Upstream {
        grpc: crate::net::channel(&config.server, config.ca_file.as_deref())?,
        server: config.server.clone(),
        secret: secret_from(|name| std::env::var(name).ok())?,
    };
    match &upstream.secret {
        Some(secret) => {
            tokio::spawn(check_secret(upstream.grpc.clone(), secret.clone()));
        }
        None => info!(
            "no {SECRET_VARIABLE}: ssh key sign-in is off, and sign-in attempts count \
             against this gateway's address"
        ),
    }
    let limits = Limits::new(args.max_sessions, args.max_per_ip);
    let listener = TcpListener::bind(args.listen).await?;
    info!(listen = %listener.local_addr()?, server = %config.server, "ssh gateway listening");
    serve(listener, ssh, upstream, limits).await
}

/// The server this gateway serves, and its standing there.
#[derive(Clone)]
pub struct Upstream {
    pub grpc: tonic::transport::Channel,
    pub server: String,
    /// The server's `auth.gateway_secret`: ssh keys, and the ssh client's address for the
    /// sign-in throttle. `None`: neither.
    pub secret: Option<Arc<str>>,
}

/// The variable the gateway reads its secret from: the server's own name for it, so one
/// line in `.env` configures both.
pub const SECRET_VARIABLE: &str = "CHAT__AUTH__GATEWAY_SECRET";

/// The secret from `CHAT__AUTH__GATEWAY_SECRET`, or the file `…_FILE` names (container
/// secrets); never a flag, which would show in `ps`.
pub fn secret_from(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Option<Arc<str>>> {
    let value = match (
        var(SECRET_VARIABLE),
        var(&format!("{SECRET_VARIABLE}_FILE")),
    ) {
        (Some(value), _) if !value.is_empty() => value,
        (_, Some(path)) if !path.is_empty() => std::fs::read_to_string(PathBuf::from(&path))
            .map_err(|e| anyhow::anyhow!("{SECRET_VARIABLE}_FILE={path}: {e}"))?
            .trim()
            .to_owned(),
        _ => return Ok(None),
    };
    // The server refuses a shorter one at start; say so here too rather than have every
    // key sign-in refused.
    if value.len() < 32 {
        anyhow::bail!(
            "{SECRET_VARIABLE} is {} bytes; the server requires at least 32",
            value.len()
        );
    }
    Ok(Some(value.into()))
}

/// Says in the log, once, whether the server takes this gateway's secret.
async fn check_secret(grpc: tonic::transport::Channel, secret: Arc<str>) {
    match crate::net::gateway::secret_accepted(&grpc, secret).await {
        Ok(true) => info!("the server accepts this gateway's secret: ssh key sign-in is on"),
        Ok(false) => warn!(
            "the server refuses this gateway's {SECRET_VARIABLE} (not the same as its \
             auth.gateway_secret?): ssh key sign-in will fail"
        ),
        Err(e) => info!(code = ?e.code, "could not check the gateway secret with the server yet"),
    }
}

/// Accepts connections until the process ends (SIGTERM and SIGINT end it).
pub async fn serve(
    listener: TcpListener,
    ssh: Arc<SshConfig>,
    upstream: Upstream,
    limits: Limits,
) -> anyhow::Result<()> {
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => {
                info!("ssh gateway stopping");
                return Ok(());
            }
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, go on.
                    warn!(%e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let slot = match limits.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(full) => {
                info!(%peer, ?full, "ssh connection refused: too many");
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let handler = Connection::new(upstream.clone(), Some(peer), slot);
        let ssh = ssh.clone();
        tokio::spawn(async move {
            match russh::server::run_stream(ssh, stream, handler).await {
                Ok(session) => {
                    if let Err(e) = session.await {
                        info!(%peer, error = %e, "ssh connection ended");
                    }
                }
                Err(e) => info!(%peer, error = %e, "ssh handshake failed"),
            }
        });
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
