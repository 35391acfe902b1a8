//! Everything the reference server knows, in memory: users, rooms with their members and
//! the sessions of those members, messages with their reactions, and the event counter.
//!
//! One lock over all of it makes each call one atomic step, as chat-server's transaction
//! is: the gate's check and the insert, an event's id and its place in every queue. An
//! event is published under that lock, so ids reach every queue in commit order; its
//! audience is a list kept per room (the lobby's holds every session), so a room's event
//! costs its members' sessions and nobody else's. The tokens sit apart behind a read-write
//! lock: every call looks one up, and that should not wait for a fan-out.

use super::{frame::Frame, gate::Reactions, session::Session};
use chat_protocol::chat::v1 as pb;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock},
    time::SystemTime,
};

/// The lobby's index in `Inner::rooms`.
pub const LOBBY: usize = 0;

pub struct World {
    inner: Mutex<Inner>,
    tokens: RwLock<HashMap<String, Arc<Session>>>,
}

pub struct Inner {
    /// `chat.required_reactions`: the lobby's gate and every new room's setting.
    pub required_reactions: u32,
    last_event_id: u64,
    pub users: Vec<User>,
    /// Lower-cased name → index in `users`.
    pub user_by_name: HashMap<String, usize>,
    /// Index `LOBBY` is the lobby.
    pub rooms: Vec<Room>,
    pub room_by_id: HashMap<String, usize>,
    /// Lower-cased name → index in `rooms` ("lobby" included).
    pub room_by_name: HashMap<String, usize>,
    pub messages: HashMap<String, MessageState>,
    /// (user, client_request_id) → the message that request posted.
    pub request_ids: HashMap<(usize, String), String>,
}

pub struct User {
    pub id: String,
    pub name: String,
    /// Kept as given: this server holds nothing worth a password hash, and chat-server's
    /// Argon2 is outside every measured window (sign-ups come before the load).
    pub password: String,
    pub sessions: Vec<Arc<Session>>,
    /// Room index → the user's latest message there (the gate's "previous message").
    pub last_message: HashMap<usize, String>,
}

pub struct Room {
    pub id: String,
    pub name: String,
    pub kind: pb::RoomKind,
    pub required_reactions: u32,
    pub created_at: prost_types::Timestamp,
    /// User indexes; unused for the lobby, which every user is in.
    pub members: Vec<usize>,
    /// The audience of the room's events: every session of every member.
    pub sessions: Vec<Arc<Session>>,
}

pub struct MessageState {
    pub id: String,
    pub room: usize,
    pub author: usize,
    pub content: String,
    pub created_at: prost_types::Timestamp,
    pub reactions: Reactions,
}

impl World {
    pub fn new(required_reactions: u32) -> Self {
        let lobby = Room {
            id: uuid::Uuid::now_v7().to_string(),
            name: "lobby".to_owned(),
            kind: pb::RoomKind::Lobby,
            required_reactions,
            created_at: now(),
            members: Vec::new(),
            sessions: Vec::new(),
        };
        let inner = Inner {
            required_reactions,
            last_event_id: 0,
            users: Vec::new(),
            user_by_name: HashMap::new(),
            room_by_id: HashMap::from([(lobby.id.clone(), LOBBY)]),
            room_by_name: HashMap::from([("lobby".to_owned(), LOBBY)]),
            rooms: vec![lobby],
            messages: HashMap::new(),
            request_ids: HashMap::new(),
        };
        Self {
            inner: Mutex::new(inner),
            tokens: RwLock::default(),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session of an access token.
    pub fn session(&self, token: &str) -> Option<Arc<Session>> {
        self.tokens
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned()
    }

    /// A new session of `user` behind a new token. It joins the audience of the lobby and
    /// of the user's rooms under the world's lock, so it receives exactly the events
    /// published after this (api.md §4: a new session gets what commits after SignIn).
    pub fn open_session(&self, user: usize) -> String {
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let session = Arc::new(Session::new(user));
        {
            let mut w = self.lock();
            w.users[user].sessions.push(session.clone());
            w.rooms[LOBBY].sessions.push(session.clone());
            // The lobby's `members` is empty: everyone is in it, pushed above.
            for room in w.rooms.iter_mut().filter(|r| r.members.contains(&user)) {
                room.sessions.push(session.clone());
            }
        }
        self.tokens
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone(), session);
        token
    }
}

impl Inner {
    /// Gives `payload` the next event id, encodes it once and appends it to the queue of
    /// every session in `room`'s audience.
    pub fn publish(&mut self, room: usize, payload: pb::event::Payload) -> u64 {
        self.last_event_id += 1;
        let frame = Frame::encode(&pb::Event {
            event_id: self.last_event_id,
            created_at: Some(now()),
            payload: Some(payload),
        });
        for session in &self.rooms[room].sessions {
            session.push(&frame);
        }
        self.last_event_id
    }

    pub fn is_member(&self, room: usize, user: usize) -> bool {
        room == LOBBY || self.rooms[room].members.contains(&user)
    }

    pub fn member_count(&self, room: usize) -> usize {
        if room == LOBBY {
            self.users.len()
        } else {
            self.rooms[room].members.len()
        }
    }

    /// Adds `user` (and every session of theirs) to `room`; false if already a member.
    pub fn add_member(&mut self, room: usize, user: usize) -> bool {
        if self.is_member(room, user) {
            return false;
        }
        let sessions = self.users[user].sessions.clone();
        let r = &mut self.rooms[room];
        r.members.push(user);
        r.sessions.extend(sessions);
        true
    }

    /// The message as a client sees it: reactions grouped per emoji in the configured
    /// order, each with its users in the order they reacted.
    pub fn snapshot(&self, m: &MessageState) -> pb::Message {
        let mut reactions: Vec<pb::ReactionCount> = Vec::new();
        for (index, emoji) in chat_protocol::STANDARD_EMOJI.iter().enumerate() {
            let user_names: Vec<String> = m
                .reactions
                .iter()
                .filter(|(e, _)| usize::from(*e) == index)
                .map(|(_, u)| self.users[u].name.clone())
                .collect();
            if !user_names.is_empty() {
                reactions.push(pb::ReactionCount {
                    emoji: (*emoji).to_owned(),
                    count: u32::try_from(user_names.len()).unwrap_or(u32::MAX),
                    user_names,
                });
            }
        }
        let author = &self.users[m.author];
        pb::Message {
            message_id: m.id.clone(),
            user_id: author.id.clone(),
            user_name: author.name.clone(),
            content: m.content.clone(),
            created_at: Some(m.created_at),
            reactions,
            counted_reactions: m.reactions.counted(m.author),
            room_id: self.rooms[m.room].id.clone(),
            edited_at: None,
            deleted: false,
            mentioned_user_ids: Vec::new(),
        }
    }

    pub fn room_view(&self, room: usize) -> pb::Room {
        let r = &self.rooms[room];
        pb::Room {
            room_id: r.id.clone(),
            name: r.name.clone(),
            kind: r.kind.into(),
            member_count: u32::try_from(self.member_count(room)).unwrap_or(u32::MAX),
            required_reactions: r.required_reactions,
            created_at: Some(r.created_at),
            member_names: Vec::new(),
        }
    }
}

/// Now, with chat-server's millisecond precision.
pub fn now() -> prost_types::Timestamp {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    prost_types::Timestamp {
        seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(since.subsec_millis() * 1_000_000).unwrap_or(0),
    }
}
