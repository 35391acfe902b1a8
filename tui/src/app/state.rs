//! The whole client state. Rendering is a pure function of it and only `update`
//! changes it, so a test can drive the client without a terminal or a network.

use super::editor::Editor;
use super::rooms::{LOBBY, Rooms};
use super::timeline::Timeline;
use crate::keymap::{Context, KeyMap};
use chat_protocol::chat::v1::SendStatus;
use chrono::{FixedOffset, Offset, Utc};
use ratatui::layout::Rect;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    SignIn,
    Chat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Input,
    Pane,
}

/// The state of the live event stream, as the status line shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Not signed in.
    Offline,
    Connecting,
    Connected,
    /// The stream was lost; the next attempt starts in `seconds_left`.
    Reconnecting {
        attempt: u32,
        seconds_left: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Error,
    /// The send gate refused a message; cleared once the status says we may send.
    SendBlocked,
}

/// A line for the status bar. When it is too wide, `detail` is cut first; `text` (the
/// point, with any number in it) and `action` (what the user can do) stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
    pub detail: Option<String>,
    pub action: Option<String>,
}

impl Notice {
    pub fn error(text: impl Into<String>) -> Self {
        Self::new(NoticeKind::Error, text)
    }

    pub fn info(text: impl Into<String>) -> Self {
        Self::new(NoticeKind::Info, text)
    }

    pub fn new(kind: NoticeKind, text: impl Into<String>) -> Self {
        Self {
            kind,
            text: text.into(),
            detail: None,
            action: None,
        }
    }

    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        self.detail = (!detail.trim().is_empty()).then_some(detail);
        self
    }

    #[must_use]
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// The whole notice, as shown when there is room: "text (detail); action".
    pub fn full(&self) -> String {
        let mut out = self.text.clone();
        if let Some(detail) = &self.detail {
            out.push_str(&format!(" ({detail})"));
        }
        out.push_str(&self.tail());
        out
    }

    /// "; action" (" action" after a question), or nothing.
    pub fn tail(&self) -> String {
        match &self.action {
            Some(action) if self.text.ends_with('?') => format!(" {action}"),
            Some(action) => format!("; {action}"),
            None => String::new(),
        }
    }
}

/// A question on the status line that waits for y/n.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    SignOut,
    /// Delete this message of mine.
    Delete {
        message_id: String,
    },
    /// Leave this room (by key).
    Leave {
        room: String,
    },
}

/// One of my messages being edited in the input; the draft that was there waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editing {
    pub message_id: String,
    pub stash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    UserName,
    Password,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInForm {
    pub user_name: Editor,
    pub password: Editor,
    pub field: Field,
    pub sign_up: bool,
    /// A request is on its way; Enter does nothing until it answers.
    pub busy: bool,
    pub error: Option<String>,
}

impl Default for SignInForm {
    fn default() -> Self {
        Self {
            user_name: Editor::default(),
            password: Editor::default(),
            field: Field::UserName,
            sign_up: false,
            busy: false,
            error: None,
        }
    }
}

impl SignInForm {
    pub fn focused_mut(&mut self) -> &mut Editor {
        match self.field {
            Field::UserName => &mut self.user_name,
            Field::Password => &mut self.password,
        }
    }
}

/// The draft being typed, and the sent drafts that ↑/↓ recall.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    pub editor: Editor,
    pub history: Vec<String>,
    /// Which history entry ↑/↓ is showing, if any.
    pub browsing: Option<usize>,
    /// The unsent draft that was in the input when ↑ started browsing; ↓ past the newest
    /// entry brings it back, so browsing never loses what was typed.
    pub stash: String,
    /// A send whose outcome is unknown (the network failed mid-request) leaves its id
    /// here with its text: sending the same text again reuses the id, so the server
    /// returns the first result instead of posting twice.
    pub retry_id: Option<(String, String)>,
    /// Why the last send did not go through. It stays on the status line (over any
    /// passing news) until the next send, or until the gate opens.
    pub reason: Option<Notice>,
    /// The refused text went to the history (↑ recalls it) because something new had
    /// been typed meanwhile; the reason then outlives an empty input.
    pub refused_in_history: bool,
}

/// A message on its way to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSend {
    /// The room it goes to (its key): the user may switch rooms before the answer.
    pub room: String,
    pub text: String,
    pub client_request_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Me {
    pub user_id: String,
    pub user_name: String,
}

/// Fixed for the session: where we connect and how to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub server: String,
    /// The reaction set; keys 1–9 pick from it, in this order.
    pub emoji: Vec<String>,
    /// Message times are shown in this offset. Taken once at startup, so rendering stays
    /// a pure function of the state (and snapshots do not depend on the machine's zone).
    pub utc_offset: FixedOffset,
    /// False when NO_COLOR is set: then emphasis uses bold, reverse and underline only.
    pub color: bool,
    /// `theme = "light"`: author colours dark enough for a light background.
    pub light: bool,
    /// The server's limit on a message, in characters (its default unless configured):
    /// the input counts down to it and longer drafts are refused before sending.
    pub max_chars: usize,
    /// Ring the terminal bell when someone mentions me (`bell = false`, `--no-bell`).
    pub bell: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            server: crate::config::DEFAULT_SERVER.to_owned(),
            emoji: DEFAULT_EMOJI_SET.iter().map(|e| (*e).to_owned()).collect(),
            utc_offset: Utc.fix(),
            color: true,
            light: false,
            max_chars: DEFAULT_MAX_CHARS,
            bell: true,
        }
    }
}

/// The server's default limits on a message (`chat.max_content_chars` / `_bytes`).
pub const DEFAULT_MAX_CHARS: usize = 4000;
pub const MAX_BYTES: usize = 16 * 1024;

/// The standard reaction set (the server's default), in key order.
pub use chat_protocol::STANDARD_EMOJI as DEFAULT_EMOJI_SET;

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub screen: Screen,
    pub signin: SignInForm,
    pub me: Option<Me>,
    /// The rooms; the one on screen uses `timeline`, `draft` and `send_status` below.
    pub rooms: Rooms,
    pub timeline: Timeline,
    pub draft: Draft,
    /// The message of mine being edited (the input holds its text), if any.
    pub editing: Option<Editing>,
    pub focus: Focus,
    pub connection: Connection,
    /// Passing news or an error; it expires (see `Timer::NoticeExpired`).
    pub notice: Option<Notice>,
    /// Counts notices shown, so an old expiry timer cannot clear a newer notice.
    pub notice_serial: u64,
    /// A y/n question waiting on the status line.
    pub confirm: Option<Confirm>,
    /// Signing out was asked for: the cache is forgotten and must not be written again.
    pub signing_out: bool,
    /// The terminal window has focus (terminals that report it; others always "have" it).
    pub window_focused: bool,
    /// The first key of a two-key chord (Ctrl+X of Ctrl+X Ctrl+E), waiting for the second.
    pub chord: Option<crate::keymap::Action>,
    pub send_status: Option<SendStatus>,
    pub sending: Option<PendingSend>,
    /// The help overlay, when open, with its scroll offset.
    pub help: Option<u16>,
    /// The terminal size; `update` needs it to keep the selection in view.
    pub area: Rect,
    pub keymap: KeyMap,
    pub settings: Settings,
    /// The highest event_id applied: anything at or below it is a duplicate.
    pub last_event_id: u64,
    /// The number for the next optimistic reaction, to match answers to requests.
    pub next_op: u64,
    pub quitting: bool,
}

impl State {
    pub fn new(settings: Settings, keymap: KeyMap) -> Self {
        Self {
            screen: Screen::SignIn,
            signin: SignInForm::default(),
            me: None,
            rooms: Rooms::default(),
            timeline: Timeline::default(),
            draft: Draft::default(),
            editing: None,
            focus: Focus::Input,
            connection: Connection::Offline,
            notice: None,
            notice_serial: 0,
            confirm: None,
            chord: None,
            signing_out: false,
            window_focused: true,
            send_status: None,
            sending: None,
            help: None,
            area: Rect::new(0, 0, 80, 24),
            keymap,
            settings,
            last_event_id: 0,
            next_op: 1,
            quitting: false,
        }
    }

    /// The key-map context for the current screen and focus.
    pub fn context(&self) -> Context {
        match (self.screen, self.focus) {
            (Screen::SignIn, _) => Context::SignIn,
            (Screen::Chat, Focus::Input) => Context::Input,
            (Screen::Chat, Focus::Pane) => Context::Pane,
        }
    }

    /// What the status line shows: an error first (it is news and it expires), then
    /// why the draft was not sent (it stays), then passing news.
    pub fn status_notice(&self) -> Option<&Notice> {
        let error = self.notice.as_ref().filter(|n| n.kind != NoticeKind::Info);
        error
            .or(self.draft.reason.as_ref())
            .or(self.notice.as_ref())
    }

    pub fn my_name(&self) -> &str {
        self.me.as_ref().map_or("", |m| m.user_name.as_str())
    }

    pub fn my_id(&self) -> &str {
        self.me.as_ref().map_or("", |m| m.user_id.as_str())
    }

    /// The key of the room on screen ("" for the lobby).
    pub fn room(&self) -> &str {
        &self.rooms.current
    }

    /// The timeline of a room, on screen or parked.
    pub fn timeline_of(&mut self, key: &str) -> Option<&mut Timeline> {
        if self.rooms.current == key {
            Some(&mut self.timeline)
        } else {
            self.rooms.parked.get_mut(key).map(|p| &mut p.timeline)
        }
    }

    /// The lobby's timeline, wherever it is: the cache keeps the lobby.
    pub fn lobby_timeline(&self) -> Option<&Timeline> {
        if self.rooms.current == LOBBY {
            Some(&self.timeline)
        } else {
            self.rooms.parked.get(LOBBY).map(|p| &p.timeline)
        }
    }

    /// Back to a signed-out client: everything of the old session goes, except the
    /// sign-in form (so the user name stays filled in).
    pub fn reset_session(&mut self) {
        self.screen = Screen::SignIn;
        self.me = None;
        self.rooms = Rooms::default();
        self.timeline = Timeline::default();
        self.draft = Draft::default();
        self.editing = None;
        self.focus = Focus::Input;
        self.connection = Connection::Offline;
        self.notice = None;
        self.confirm = None;
        self.signing_out = false;
        self.send_status = None;
        self.sending = None;
        self.help = None;
        self.last_event_id = 0;
        self.signin.busy = false;
        self.signin.password = Editor::default();
    }
}
