//! gRPC calls made by hand over HTTP/2, for what a well-behaved client never sends:
//! bytes that are not a message, a message larger than declared or never finished, and
//! calls from a chosen source address (127.0.0.2 is loopback too on Linux).

use bytes::Bytes;
use std::net::{IpAddr, SocketAddr};
use tokio::net::TcpSocket;
use tonic::Code;

pub struct RawConn {
    send: h2::client::SendRequest<Bytes>,
    addr: SocketAddr,
}

/// A call in flight: its response, and the stream to send more of its body on.
pub struct RawCall {
    pub response: h2::client::ResponseFuture,
    /// Held so the request stays open (dropping it would reset the stream).
    pub _body: h2::SendStream<Bytes>,
}

impl RawConn {
    /// An HTTP/2 connection to `addr` from `from`; `Err` if the server closes it.
    pub async fn connect(addr: SocketAddr, from: IpAddr) -> anyhow::Result<Self> {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.bind(SocketAddr::new(from, 0)).expect("bind source");
        let tcp = socket.connect(addr).await?;
        let (send, connection) = h2::client::handshake(tcp).await?;
        tokio::spawn(connection);
        let send = send.ready().await?;
        Ok(Self { send, addr })
    }

    /// Starts `path` with `body` (already framed, see [`frame`]), ending the request if
    /// `end`, with `token` as the bearer token if given.
    pub async fn start(
        &mut self,
        path: &str,
        token: Option<&str>,
        body: Bytes,
        end: bool,
    ) -> anyhow::Result<RawCall> {
        let mut request = http::Request::post(format!("http://{}{path}", self.addr))
            .header("content-type", "application/grpc")
            .header("te", "trailers");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request.body(()).expect("request");
        self.send = self.send.clone().ready().await?;
        let (response, mut stream) = self.send.send_request(request, false)?;
        stream.send_data(body, end)?;
        Ok(RawCall {
            response,
            _body: stream,
        })
    }

    /// A whole call: its status code and message.
    pub async fn call(&mut self, path: &str, token: Option<&str>, body: Bytes) -> (Code, String) {
        let call = self
            .start(path, token, body, true)
            .await
            .expect("start call");
        status_of(call.response).await
    }
}

/// The gRPC status of a response: from its headers (a trailers-only answer) or from its
/// trailers after the body.
pub async fn status_of(response: h2::client::ResponseFuture) -> (Code, String) {
    let response = response.await.expect("response");
    if let Some(status) = tonic::Status::from_header_map(response.headers()) {
        return (status.code(), status.message().to_owned());
    }
    let mut body = response.into_body();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.expect("body");
        let _ = body.flow_control().release_capacity(chunk.len());
    }
    let trailers = body.trailers().await.expect("trailers").unwrap_or_default();
    let status = tonic::Status::from_header_map(&trailers).expect("a grpc-status");
    (status.code(), status.message().to_owned())
}

/// A gRPC length-prefixed frame holding `message`.
pub fn frame(message: &[u8]) -> Bytes {
    frame_declaring(u32::try_from(message.len()).expect("size"), message)
}

/// A frame whose header declares `len` bytes but which holds only `partial`.
pub fn frame_declaring(len: u32, partial: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(5 + partial.len());
    out.push(0);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(partial);
    Bytes::from(out)
}

/// Every unary-request method of the API, and whether it needs a token.
pub const METHODS: &[(&str, bool)] = &[
    ("/auth.v1.AuthService/SignUp", false),
    ("/auth.v1.AuthService/SignIn", false),
    ("/auth.v1.AuthService/Refresh", false),
    ("/auth.v1.AuthService/SignOut", true),
    ("/chat.v1.ChatService/Send", true),
    ("/chat.v1.ChatService/React", true),
    ("/chat.v1.ChatService/Unreact", true),
    ("/chat.v1.ChatService/GetMessage", true),
    ("/chat.v1.ChatService/ListMessages", true),
    ("/chat.v1.ChatService/GetSendStatus", true),
    ("/chat.v1.ChatService/Subscribe", true),
    ("/chat.v1.ChatService/Ack", true),
    ("/chat.v1.ChatService/CreateRoom", true),
    ("/chat.v1.ChatService/JoinRoom", true),
    ("/chat.v1.ChatService/LeaveRoom", true),
    ("/chat.v1.ChatService/ListRooms", true),
    ("/chat.v1.ChatService/OpenDirect", true),
    ("/chat.v1.ChatService/ListMembers", true),
    ("/chat.v1.ChatService/EditMessage", true),
    ("/chat.v1.ChatService/DeleteMessage", true),
];
