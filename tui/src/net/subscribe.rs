//! The live event stream. It runs for the whole session: when the stream breaks it
//! waits (capped, jittered backoff, counting down on the status line) and subscribes
//! again. The server keeps our unacked events queued, so the new stream starts with
//! everything we missed; the UI drops the duplicates by event_id.

use super::backoff::Backoff;
use super::session::Ctx;
use crate::app::NetEvent;
use crate::app::state::Connection;
use chat_protocol::chat::v1::SubscribeRequest;
use std::time::Duration;
use tokio::time::Instant;
use tonic::Code;
use tracing::{info, warn};

/// A stream that lived this long was healthy: the next failure starts the backoff over.
const HEALTHY_AFTER: Duration = Duration::from_secs(10);
/// How long the server may take to accept the subscription: a hung server shows as
/// "reconnecting" within this (an open stream is watched by the HTTP/2 keepalive).
const OPEN_TIMEOUT: Duration = Duration::from_secs(8);

pub async fn run(ctx: Ctx) {
    // A server restart or a short outage is over within seconds: retry every 1–4 s for a
    // minute, then back off to 30 s.
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30))
        .with_gentle_start(Duration::from_secs(4), Duration::from_secs(60));
    let mut attempt: u32 = 0;
    loop {
        ctx.emit(NetEvent::Connection(if attempt == 0 {
            Connection::Connecting
        } else {
            Connection::Reconnecting {
                attempt,
                seconds_left: 0,
            }
        }));
        let started = Instant::now();
        let why = tokio::select! {
            () = ctx.cancel.cancelled() => return,
            why = stream_once(&ctx) => why,
        };
        if started.elapsed() >= HEALTHY_AFTER {
            backoff.reset();
            attempt = 0;
        }
        attempt += 1;
        warn!(attempt, %why, "event stream lost");
        if why.code == Some(Code::Unauthenticated) {
            // The access token expired under us: get a new one before retrying.
            let mut token = ctx.access_token.subscribe();
            token.mark_unchanged();
            ctx.refresh_now.notify_one();
            tokio::select! {
                () = ctx.cancel.cancelled() => return,
                _ = token.changed() => {}
                () = tokio::time::sleep(Duration::from_secs(30)) => {}
            }
        }
        let delay = backoff.next_delay(&mut rand::rng());
        if !count_down(&ctx, attempt, delay).await {
            return;
        }
    }
}

struct Lost {
    code: Option<Code>,
    message: String,
}

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

/// Subscribes and forwards events until the stream ends; says why it ended.
async fn stream_once(ctx: &Ctx) -> Lost {
    let mut chat = ctx.chat.clone();
    let opened = tokio::time::timeout(OPEN_TIMEOUT, chat.subscribe(SubscribeRequest {})).await;
    let mut stream = match opened {
        Err(_) => {
            return Lost {
                code: Some(Code::DeadlineExceeded),
                message: "subscribe timed out".to_owned(),
            };
        }
        Ok(Err(status)) => {
            return Lost {
                code: Some(status.code()),
                message: status.message().to_owned(),
            };
        }
        Ok(Ok(response)) => response.into_inner(),
    };
    info!("subscribed");
    ctx.emit(NetEvent::Connection(Connection::Connected));
    loop {
        match stream.message().await {
            Ok(Some(event)) => ctx.emit(NetEvent::Event(event)),
            Ok(None) => {
                return Lost {
                    code: None,
                    message: "the server closed the stream".to_owned(),
                };
            }
            Err(status) => {
                return Lost {
                    code: Some(status.code()),
                    message: status.message().to_owned(),
                };
            }
        }
    }
}

/// Waits `delay`, telling the UI each second how long is left. Returns false if the
/// session ended meanwhile. Ctrl+R (`reconnect_now`) cuts the wait short.
async fn count_down(ctx: &Ctx, attempt: u32, delay: Duration) -> bool {
    let deadline = Instant::now() + delay;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        let seconds_left = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        ctx.emit(NetEvent::Connection(Connection::Reconnecting {
            attempt,
            seconds_left,
        }));
        // Sleep until the displayed number changes (or the wait is over).
        let tick = left
            .checked_sub(Duration::from_secs(seconds_left - 1))
            .unwrap_or(left);
        tokio::select! {
            () = ctx.cancel.cancelled() => return false,
            () = ctx.reconnect_now.notified() => return true,
            () = tokio::time::sleep(tick) => {}
        }
    }
}
