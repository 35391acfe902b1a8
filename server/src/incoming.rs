//! Accepting connections: a cap on open connections in total and per client address, and
//! an accept loop that backs off instead of spinning when it cannot accept.
//!
//! Without a cap, a client that opens connections and never uses them takes every file
//! descriptor; `accept` then fails at once, every time, and a loop that simply retries
//! burns a core while new clients are turned away in silence. Here a connection over a
//! cap is closed as soon as it is accepted (the cap keeps the server below its descriptor
//! limit), and an accept error is logged and waited out, doubling up to a second.

use std::{
    collections::HashMap,
    io,
    net::IpAddr,
    pin::Pin,
    sync::{Arc, Mutex, PoisonError},
    task::{Context, Poll},
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::mpsc,
};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// How many connections may be open at once.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    pub total: usize,
    pub per_ip: usize,
}

/// Descriptors kept free for everything but client connections: the database, the log
/// files, the listener, and the database's own (SQLite WAL and shared memory).
const RESERVED_DESCRIPTORS: usize = 64;

impl ConnectionLimits {
    /// The limits, with the total lowered if the process may not open that many files:
    /// a cap above the descriptor limit would not stop `accept` from running out.
    pub fn within_descriptor_limit(self) -> Self {
        let Some(soft) = descriptor_limit() else {
            return self;
        };
        let room = soft.saturating_sub(RESERVED_DESCRIPTORS).max(1);
        if self.total <= room {
            return self;
        }
        tracing::warn!(
            max_connections = self.total,
            open_files_limit = soft,
            using = room,
            "server.max_connections is above what the file-descriptor limit allows; \
             lowering it (raise ulimit -n to allow more)"
        );
        Self {
            total: room,
            per_ip: self.per_ip.min(room),
        }
    }
}

/// The soft limit on open files, from `/proc/self/limits` (Linux; `None` elsewhere).
fn descriptor_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Accepts on `listener` until the returned stream is dropped.
pub fn accept(
    listener: TcpListener,
    limits: ConnectionLimits,
) -> ReceiverStream<io::Result<Connection>> {
    let (accepted, stream) = mpsc::channel(16);
    tokio::spawn(async move {
        tokio::select! {
            () = accept_loop(listener, limits, &accepted) => {}
            () = accepted.closed() => {}
        }
    });
    ReceiverStream::new(stream)
}

async fn accept_loop(
    listener: TcpListener,
    limits: ConnectionLimits,
    accepted: &mpsc::Sender<io::Result<Connection>>,
) {
    let open = OpenConnections::new(limits);
    let mut backoff = Duration::ZERO;
    let mut refusals = RefusalLog::default();
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                backoff = Duration::ZERO;
                let Some(slot) = open.admit(peer.ip()) else {
                    refusals.note(peer.ip(), limits);
                    drop(stream);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let local = stream.local_addr().ok();
                let conn = Connection {
                    stream,
                    info: TcpConnectInfo {
                        local_addr: local,
                        remote_addr: Some(peer),
                    },
                    _slot: slot,
                };
                if accepted.send(Ok(conn)).await.is_err() {
                    return;
                }
            }
            // The peer gave up before we got to it: nothing is wrong with us.
            Err(e) if is_peer_error(&e) => {}
            Err(e) => {
                backoff = (backoff * 2).clamp(Duration::from_millis(5), Duration::from_secs(1));
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis(), "accept failed");
                tokio::time::sleep(backoff).await;
            }
        }
    }
}

fn is_peer_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    )
}

/// Logs refused connections at most once a second, with the count since the last line,
/// so a flood cannot flood the log too.
#[derive(Default)]
struct RefusalLog {
    since: Option<Instant>,
    count: u64,
}

impl RefusalLog {
    fn note(&mut self, ip: IpAddr, limits: ConnectionLimits) {
        self.count += 1;
        if self
            .since
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
        {
            tracing::warn!(
                client_ip = %ip,
                refused = self.count,
                max_connections = limits.total,
                max_connections_per_ip = limits.per_ip,
                "connection refused: too many open connections"
            );
            self.since = Some(Instant::now());
            self.count = 0;
        }
    }
}

/// The open connections, counted in total and per address.
#[derive(Clone)]
struct OpenConnections {
    limits: ConnectionLimits,
    counts: Arc<Mutex<Counts>>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

impl OpenConnections {
    fn new(limits: ConnectionLimits) -> Self {
        Self {
            limits,
            counts: Arc::default(),
        }
    }

    /// A slot for one more connection from `ip`, or `None` over a cap.
    fn admit(&self, ip: IpAddr) -> Option<Slot> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let from_ip = counts.per_ip.get(&ip).copied().unwrap_or(0);
        if counts.total >= self.limits.total || from_ip >= self.limits.per_ip {
            return None;
        }
        counts.total += 1;
        counts.per_ip.insert(ip, from_ip + 1);
        Some(Slot {
            open: self.clone(),
            ip,
        })
    }
}

/// Held by a connection; frees its place when the connection is dropped.
struct Slot {
    open: OpenConnections,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self
            .open
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
}

/// An accepted TCP connection that holds its place under the caps.
pub struct Connection {
    stream: TcpStream,
    info: TcpConnectInfo,
    _slot: Slot,
}

impl Connected for Connection {
    // The same as a plain `TcpStream`'s, so `Request::remote_addr` works (also under TLS).
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.info.clone()
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_descriptor_limit_is_read() {
        if cfg!(target_os = "linux") {
            assert!(descriptor_limit().is_some_and(|n| n > 0));
        }
    }

    #[test]
    fn caps_hold_in_total_and_per_address_and_free_on_drop() {
        let open = OpenConnections::new(ConnectionLimits {
            total: 3,
            per_ip: 2,
        });
        let a: IpAddr = "127.0.0.1".parse().expect("ip");
        let b: IpAddr = "127.0.0.2".parse().expect("ip");
        let a1 = open.admit(a).expect("first from a");
        let _a2 = open.admit(a).expect("second from a");
        assert!(open.admit(a).is_none(), "a third from one address");
        let _b1 = open.admit(b).expect("first from b");
        assert!(open.admit(b).is_none(), "over the total");
        drop(a1);
        assert!(
            open.admit(b).is_some(),
            "a closed connection frees its place"
        );
    }
}
