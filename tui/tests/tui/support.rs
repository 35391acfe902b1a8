//! Builders for states, messages and events, and a screen renderer for snapshots.

use chat_protocol::chat::v1::event::Payload;
use chat_protocol::chat::v1::{
    Event as ChatEvent, Message, MessagePosted, ReactionChanged, ReactionCount, ResyncRequired,
    Room, RoomKind, SendStatus,
};
use chat_tui::app::state::{Settings, State};
use chat_tui::app::{Effect, Event, NetEvent, Page, PageKind, update};
use chat_tui::keymap::KeyMap;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::{Buffer, CellWidth};

pub const ME: &str = "me";
pub const ME_ID: &str = "u-me";

/// 2026-03-01 14:00:00 UTC.
const BASE_SECONDS: i64 = 1_772_373_600;

pub fn settings() -> Settings {
    Settings {
        server: "http://127.0.0.1:9000".to_owned(),
        ..Settings::default()
    }
}

/// A fresh client at 80×24.
pub fn new_state() -> State {
    let mut state = State::new(settings(), KeyMap::default());
    update(&mut state, Event::Resize(80, 24));
    state
}

/// The network task's report that `me` signed in.
pub fn me_signed_in() -> NetEvent {
    NetEvent::SignedIn {
        user_id: ME_ID.to_owned(),
        user_name: ME.to_owned(),
    }
}

/// The lobby as `ListRooms` describes it.
pub fn lobby() -> Room {
    Room {
        room_id: "r-lobby".to_owned(),
        name: "lobby".to_owned(),
        kind: RoomKind::Lobby as i32,
        member_count: 3,
        required_reactions: 2,
        ..Room::default()
    }
}

/// A member of a room, named `name` (id `u-<name>`).
pub fn member(name: &str, online: bool) -> chat_protocol::chat::v1::Member {
    chat_protocol::chat::v1::Member {
        user_id: format!("u-{name}"),
        user_name: name.to_owned(),
        online,
    }
}

/// The answer to `ListRooms` (mine).
pub fn rooms_listed(rooms: Vec<Room>) -> NetEvent {
    NetEvent::Rooms {
        public: false,
        result: Ok(rooms),
    }
}

/// A client signed in as `me`, in the lobby only, with no messages loaded yet.
pub fn signed_in() -> State {
    let mut state = new_state();
    net(&mut state, me_signed_in());
    net(&mut state, rooms_listed(vec![lobby()]));
    net(
        &mut state,
        NetEvent::Connection(chat_tui::app::state::Connection::Connected),
    );
    state
}

/// Signed in, with `messages` as the newest page.
pub fn with_messages(messages: Vec<Message>) -> State {
    let mut state = signed_in();
    net(&mut state, newest_page(messages, false));
    state
}

pub fn newest_page(messages: Vec<Message>, has_more: bool) -> NetEvent {
    NetEvent::Page {
        room: String::new(),
        kind: PageKind::Newest,
        result: Ok(Page { messages, has_more }),
    }
}

/// A message by `user` (id `u-<user>`), `minute` minutes after 14:00.
pub fn msg(id: &str, user: &str, content: &str, minute: i64) -> Message {
    Message {
        message_id: id.to_owned(),
        user_id: format!("u-{user}"),
        user_name: user.to_owned(),
        content: content.to_owned(),
        created_at: Some(prost_types::Timestamp {
            seconds: BASE_SECONDS + minute * 60,
            nanos: 0,
        }),
        reactions: Vec::new(),
        counted_reactions: 0,
        ..Default::default()
    }
}

/// The same message with reactions: `(emoji, [user names])`.
pub fn reacted(mut message: Message, reactions: &[(&str, &[&str])]) -> Message {
    message.reactions = reactions
        .iter()
        .map(|(emoji, users)| ReactionCount {
            emoji: (*emoji).to_owned(),
            count: u32::try_from(users.len()).unwrap_or(0),
            user_names: users.iter().map(|u| (*u).to_owned()).collect(),
        })
        .collect();
    message
}

pub fn posted(event_id: u64, message: Message) -> NetEvent {
    NetEvent::Event(ChatEvent {
        event_id,
        created_at: None,
        payload: Some(Payload::MessagePosted(MessagePosted {
            message: Some(message),
        })),
    })
}

/// A ReactionChanged event by `user` carrying the updated snapshot.
pub fn reaction_changed(
    event_id: u64,
    snapshot: Message,
    user: &str,
    emoji: &str,
    added: bool,
) -> NetEvent {
    NetEvent::Event(ChatEvent {
        event_id,
        created_at: None,
        payload: Some(Payload::ReactionChanged(ReactionChanged {
            message_id: snapshot.message_id.clone(),
            user_id: format!("u-{user}"),
            user_name: user.to_owned(),
            emoji: emoji.to_owned(),
            added,
            message: Some(snapshot),
        })),
    })
}

pub fn resync(event_id: u64) -> NetEvent {
    NetEvent::Event(ChatEvent {
        event_id,
        created_at: None,
        payload: Some(Payload::ResyncRequired(ResyncRequired {
            reason: "backlog trimmed".to_owned(),
        })),
    })
}

pub fn send_status(can_send: bool, needed: u32) -> NetEvent {
    NetEvent::SendStatus {
        room: String::new(),
        status: SendStatus {
            can_send,
            reactions_needed: needed,
            last_message_id: String::new(),
            required_reactions: 2,
        },
    }
}

pub fn net(state: &mut State, event: NetEvent) -> Vec<Effect> {
    update(state, Event::Net(event))
}

pub fn key(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update(state, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn ctrl(state: &mut State, c: char) -> Vec<Effect> {
    update(
        state,
        Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

pub fn alt(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update(state, Event::Key(KeyEvent::new(code, KeyModifiers::ALT)))
}

/// Types text key by key, as a person would.
pub fn type_text(state: &mut State, text: &str) {
    for c in text.chars() {
        update(
            state,
            Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        );
    }
}

/// Draws the state at `width`×`height` and returns the screen as text, one quoted row
/// per line (cells hidden behind a wide character are skipped, as on a terminal).
pub fn screen(state: &mut State, width: u16, height: u16) -> String {
    update(state, Event::Resize(width, height));
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    if let Err(e) = terminal.draw(|frame| {
        chat_tui::ui::render(state, frame);
    }) {
        match e {}
    }
    buffer_text(terminal.backend().buffer())
}

pub fn buffer_text(buffer: &Buffer) -> String {
    let width = usize::from(buffer.area.width).max(1);
    let mut out = String::new();
    for row in buffer.content.chunks(width) {
        let mut skip = 0;
        out.push('"');
        for cell in row {
            if skip == 0 {
                out.push_str(cell.symbol());
            }
            skip = skip.max(cell.cell_width()).saturating_sub(1);
        }
        out.push_str("\"\n");
    }
    out
}

/// Types `text`, sends it, types `typed_meanwhile` while it is on its way, then lets the
/// server answer with `result`; the effects of the answer.
pub fn send_answered(
    state: &mut State,
    text: &str,
    typed_meanwhile: &str,
    result: Result<Message, chat_tui::app::RpcError>,
) -> Vec<Effect> {
    type_text(state, text);
    update(
        state,
        Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    let client_request_id = state
        .sending
        .as_ref()
        .map(|p| p.client_request_id.clone())
        .unwrap_or_default();
    type_text(state, typed_meanwhile);
    net(
        state,
        NetEvent::Sent {
            client_request_id,
            result,
        },
    )
}

/// The effects that are network commands.
pub fn commands(effects: &[Effect]) -> Vec<chat_tui::app::Command> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Net(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}
