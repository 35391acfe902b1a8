//! Everything that can happen to the client, as values on one queue: keys from the
//! terminal, and results and live events from the network task.

use super::effect::Timer;
use super::state::Connection;
use chat_protocol::auth::v1::SshKey;
use chat_protocol::chat::v1::{Event as ChatEvent, Member, Message, Room, SendStatus};
use crossterm::event::KeyEvent;

// Events are moved once through a channel; boxing the network variant would only add
// noise to every match.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
    /// Mouse wheel (only with `--mouse`): negative is up.
    Scroll(isize),
    /// The terminal window gained (true) or lost (false) focus, where the terminal says.
    Focus(bool),
    Net(NetEvent),
    /// The messages cached at the last run, drawn until the server's page arrives.
    CacheLoaded(Page),
    /// The draft back from the external editor (`Effect::EditDraft`), or why not.
    Edited(Result<String, String>),
    /// A wake-up `update` asked for with `Effect::Wake`.
    Wake(Timer),
    /// SIGTERM, SIGHUP, a closed terminal: leave cleanly (the terminal is restored).
    Terminate,
    /// What is on the terminal is not what was drawn (an ssh client fell behind and
    /// frames were dropped): clear it and draw it whole.
    Redraw,
}

/// A failed RPC, reduced to what the UI needs to explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    pub code: tonic::Code,
    pub message: String,
}

impl RpcError {
    pub fn new(code: tonic::Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The request may or may not have reached the server: the kind of failure that is
    /// worth retrying (with the same client_request_id for a send).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.code,
            tonic::Code::Unavailable
                | tonic::Code::DeadlineExceeded
                | tonic::Code::Unknown
                | tonic::Code::Cancelled
                | tonic::Code::Aborted
        )
    }
}

impl From<tonic::Status> for RpcError {
    fn from(status: tonic::Status) -> Self {
        Self::new(status.code(), status.message())
    }
}

/// What happened to one of my messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Edit,
    Delete,
}

/// Which page of history a ListMessages result is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageKind {
    /// The newest page: on sign-in, and to resync after the server trimmed our backlog.
    Newest,
    /// The page before a message: scrolling up.
    Older { before: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Oldest first, as the server sends them.
    pub messages: Vec<Message>,
    pub has_more: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NetEvent {
    SignedIn {
        user_id: String,
        user_name: String,
    },
    /// Signing in or up failed; shown on the sign-in screen.
    AuthFailed(RpcError),
    /// The session is over: we signed out, or the refresh token was refused.
    SignedOut {
        reason: Option<String>,
    },
    Connection(Connection),
    /// A live event from Subscribe, in the order the server sent it.
    Event(ChatEvent),
    Page {
        /// The room's key ("" for the lobby), as asked.
        room: String,
        kind: PageKind,
        result: Result<Page, RpcError>,
    },
    Sent {
        client_request_id: String,
        result: Result<Message, RpcError>,
    },
    /// The answer to a React/Unreact, matched to its optimistic update by `op`.
    Reacted {
        op: u64,
        message_id: String,
        emoji: String,
        result: Result<Message, RpcError>,
    },
    SendStatus {
        room: String,
        status: SendStatus,
    },
    /// `ListRooms`: mine, or (`public`) every public room.
    Rooms {
        public: bool,
        result: Result<Vec<Room>, RpcError>,
    },
    /// The answer to `:create`, `:join` or `:dm` (`what` says which, for an error).
    RoomOpened {
        what: String,
        result: Result<Room, RpcError>,
    },
    RoomLeft {
        room: String,
        result: Result<(), RpcError>,
    },
    Members {
        room: String,
        result: Result<Vec<Member>, RpcError>,
    },
    /// The answer to an edit or a delete.
    MessageChanged {
        change: Change,
        message_id: String,
        result: Result<Message, RpcError>,
    },
    /// A fresh copy of one message (after a refused reaction, to undo any guesswork).
    MessageLoaded(Message),
    /// A background failure worth showing (e.g. an Ack or status refresh failed).
    Error(String),
    /// The answer to `:key …`.
    SshKeys(Result<KeysReply, RpcError>),
}

/// What a `:key` command did.
#[derive(Debug, Clone, PartialEq)]
pub enum KeysReply {
    Added(SshKey),
    Listed(Vec<SshKey>),
    Removed(SshKey),
}
