//! `chat-loadgen reference-server` (issue 15): the v1 contract served from memory, as the
//! yardstick for chat-server on the same machine. Same tonic stack and settings (HTTP/2
//! keepalive, concurrent streams, header and request limits, timeouts, TCP_NODELAY), the
//! same prost types from chat-protocol, the same gate and audiences, the same at-least-once
//! queue per session with cumulative acks, but no database and no durability, no Argon2,
//! no JWT: the fastest any implementation of this API could be here. It runs as its own
//! process so that its CPU is counted as chat-server's is.
//!
//! Not served (UNIMPLEMENTED): Refresh, SignOut, Unreact, GetMessage, ListMessages,
//! LeaveRoom, ListRooms, OpenDirect, ListMembers, EditMessage, DeleteMessage. Presence
//! is not announced (it is live only, and happens before the measured load), sessions
//! neither expire nor get evicted, and nothing is kept across a restart.
//!
//! Module map: `world` (the state, one lock; publishing an event to a room's sessions),
//! `session` (a session's queue and its Subscribe stream), `frame` (events encoded once,
//! and Subscribe's codec), `gate` (the send gate, pure), `accounts` (AuthService, tokens),
//! `chat` (ChatService), `routes` (Subscribe to the frame codec, the rest to the generated
//! service).

mod accounts;
mod chat;
mod frame;
mod gate;
mod routes;
mod session;
mod world;

use anyhow::{Context, Result, bail};
use chat_protocol::auth::v1::auth_service_server::AuthServiceServer;
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Server, server::TcpIncoming};
use tonic_health::ServingStatus;

/// chat-server's defaults (config/default.toml, `[server]`), so both stacks are set alike.
const KEEPALIVE: Duration = Duration::from_secs(10);
const MAX_CONCURRENT_STREAMS: u32 = 256;
const MAX_HEADER_BYTES: u32 = 131_072;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_AUTH_REQUEST_BYTES: usize = 4096;
const MAX_CHAT_REQUEST_BYTES: usize = 65_536;

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Where to listen; loopback addresses only (it has no authentication worth the name).
    #[arg(long, default_value = "127.0.0.1:9100")]
    pub listen: SocketAddr,

    /// Distinct other users who must react before a user may post again (chat-server's
    /// chat.required_reactions).
    #[arg(long, default_value_t = 2)]
    pub required_reactions: u32,
}

/// Binds `options.listen` and serves until SIGINT or SIGTERM.
pub async fn run(options: Options) -> Result<()> {
    if !options.listen.ip().is_loopback() {
        bail!(
            "the reference server listens on loopback addresses only, not {}",
            options.listen
        );
    }
    let listener = TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("binding {}", options.listen))?;
    let shutdown = CancellationToken::new();
    let signals = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        signals.cancel();
    });
    eprintln!(
        "chat-loadgen reference-server: serving on {} (gate {})",
        options.listen, options.required_reactions
    );
    serve(listener, options.required_reactions, shutdown).await
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Serves on an already bound listener until `shutdown` is cancelled; open streams are
/// then given a second before the process lets go of them.
pub async fn serve(
    listener: TcpListener,
    required_reactions: u32,
    shutdown: CancellationToken,
) -> Result<()> {
    let world = Arc::new(world::World::new(required_reactions));
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_service_status("", ServingStatus::Serving).await;
    let auth = AuthServiceServer::new(accounts::AuthApi::new(world.clone()))
        .max_decoding_message_size(MAX_AUTH_REQUEST_BYTES);
    let chat = routes::ChatRoutes::new(world, MAX_CHAT_REQUEST_BYTES);
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let server = Server::builder()
        .http2_keepalive_interval(Some(KEEPALIVE))
        .http2_keepalive_timeout(Some(KEEPALIVE))
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .http2_max_header_list_size(MAX_HEADER_BYTES)
        .timeout(REQUEST_TIMEOUT)
        .add_service(health_service)
        .add_service(auth)
        .add_service(chat)
        .serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned());
    // The streams never end by themselves: after the signal, a short drain and out.
    let deadline = async {
        shutdown.cancelled().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    tokio::select! {
        result = server => result.context("serving"),
        () = deadline => Ok(()),
    }
}

#[cfg(test)]
mod tests;
