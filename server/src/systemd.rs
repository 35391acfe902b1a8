//! systemd readiness (`Type=notify`): tell the service manager when the server serves and
//! when it stops, over the datagram socket named by `NOTIFY_SOCKET`. Outside systemd the
//! variable is unset and this does nothing. Written on std's Unix sockets rather than a
//! crate: the protocol is one datagram of `KEY=value` lines.

/// `READY=1` with a status line once the server accepts calls.
pub fn ready(status: &str) {
    send(&format!("READY=1\nSTATUS={status}\n"));
}

/// `STOPPING=1` when the drain begins.
pub fn stopping() {
    send("STOPPING=1\nSTATUS=draining\n");
}

#[cfg(target_os = "linux")]
fn send(message: &str) {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr, UnixDatagram};
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let path = path.to_string_lossy().into_owned();
    let addr = match path.strip_prefix('@') {
        // An abstract socket: '@' stands for the leading NUL byte.
        Some(name) => SocketAddr::from_abstract_name(name.as_bytes()),
        None => SocketAddr::from_pathname(&path),
    };
    let sent = addr.and_then(|addr| {
        let socket = UnixDatagram::unbound()?;
        socket.send_to_addr(message.as_bytes(), &addr)
    });
    if let Err(e) = sent {
        tracing::warn!(error = %e, socket = %path, "telling systemd failed");
    }
}

#[cfg(not(target_os = "linux"))]
fn send(_message: &str) {}
