//! What `update` asks the outside world to do. `update` itself never does I/O; the run
//! loop carries these out (network commands go to the network task).

use chat_protocol::chat::v1::Message;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Net(Command),
    /// Clear and fully redraw the terminal (Ctrl+L), e.g. after another program wrote to it.
    ClearScreen,
    /// Send `Event::Wake(token)` after a while: `update` has no clock, so anything that
    /// happens by itself later (a notice expiring) is asked for this way. No timer runs
    /// while nothing is pending, so an idle client stays idle.
    Wake {
        after: Duration,
        token: Timer,
    },
    /// Suspend the screen, let the user edit `text` in $VISUAL/$EDITOR, send the result
    /// back as `Event::Edited`.
    EditDraft {
        text: String,
    },
    /// Read the cached messages of this user (answered with `Event::CacheLoaded`).
    LoadCache {
        user_id: String,
    },
    /// Keep the newest messages for the next start.
    SaveCache {
        user_id: String,
        messages: Vec<Message>,
        has_more: bool,
    },
    /// Signed out on purpose: nothing of the conversation stays on disk.
    ForgetCache {
        user_id: String,
    },
    /// Ring the terminal bell, with `text` as a desktop notification where the terminal
    /// shows one (OSC 9): someone mentioned me or reacted to my message (off with
    /// `--no-bell`).
    Bell {
        text: String,
    },
    /// Put `text` on the clipboard of the terminal's machine (OSC 52): over ssh too.
    Copy {
        text: String,
    },
    Quit,
}

/// What a wake-up is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// The status-line notice with this serial number has been shown long enough.
    NoticeExpired(u64),
    /// Ask for the room list again (the last try failed; live events wait for it).
    RetryRooms,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    SignIn {
        user_name: String,
        password: String,
    },
    /// Sign up, then sign in with the same credentials.
    SignUp {
        user_name: String,
        password: String,
        /// For scripts: an existing account is fine, just sign in.
        existing_ok: bool,
    },
    SignOut,
    /// Rooms are named by their key: the room id, or "" for the lobby.
    LoadNewest {
        room: String,
    },
    LoadOlder {
        room: String,
        before: String,
    },
    Send {
        room: String,
        content: String,
        client_request_id: String,
    },
    React {
        op: u64,
        message_id: String,
        emoji: String,
    },
    Unreact {
        op: u64,
        message_id: String,
        emoji: String,
    },
    /// Acknowledge events up to this id; the network task batches these.
    Ack {
        up_to: u64,
    },
    RefreshSendStatus {
        room: String,
    },
    GetMessage {
        message_id: String,
    },
    /// The rooms I am in (`public: false`), or every public room.
    ListRooms {
        public: bool,
    },
    CreateRoom {
        name: String,
    },
    JoinRoom {
        name: String,
    },
    OpenDirect {
        user_name: String,
    },
    LeaveRoom {
        room: String,
    },
    ListMembers {
        room: String,
    },
    EditMessage {
        message_id: String,
        content: String,
    },
    DeleteMessage {
        message_id: String,
    },
    /// Skip the rest of the reconnect backoff.
    ReconnectNow,
    /// `:key …`: the user's ssh keys (only in a session opened over the ssh gateway).
    SshKey(KeyOp),
}

/// What `:key` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOp {
    /// Register the key this ssh connection was made with, under `comment` (empty: the
    /// key's own).
    Add {
        comment: String,
    },
    List,
    /// The key whose fingerprint starts with this.
    Remove {
        fingerprint: String,
    },
}
