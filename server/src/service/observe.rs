//! One span per RPC, carrying the method, the client's address, the caller's user id once
//! known and the status code it ended with; one log line and one metric when it finishes.

use crate::error::Error;
use std::{future::Future, net::SocketAddr, time::Instant};
use tonic::{Code, Status};
use tracing::{Instrument, field};

/// Runs `body` inside the RPC's span; `body` records the user id with [`record_user`].
pub async fn call<T, F>(
    method: &'static str,
    peer: Option<SocketAddr>,
    body: F,
) -> Result<T, Status>
where
    F: Future<Output = Result<T, Error>>,
{
    let span = tracing::info_span!(
        "rpc",
        method,
        peer = field::Empty,
        user_id = field::Empty,
        code = field::Empty
    );
    if let Some(peer) = peer {
        span.record("peer", field::display(peer));
    }
    let started = Instant::now();
    let result = body.instrument(span.clone()).await.map_err(Status::from);
    let code = result.as_ref().map_or_else(Status::code, |_| Code::Ok);
    span.record("code", field::debug(code));
    let elapsed = started.elapsed();
    crate::metrics::get().rpc(method, code, elapsed);
    let ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| match code {
        Code::Ok => tracing::info!(ms, "ok"),
        Code::Internal | Code::Unknown | Code::Unavailable => tracing::error!(ms, "failed"),
        _ => tracing::info!(ms, error = ?result.as_ref().err().map(Status::message), "refused"),
    });
    result
}

pub fn record_user(user_id: &str) {
    tracing::Span::current().record("user_id", user_id);
}
