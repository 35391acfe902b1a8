//! The rooms the user is in: their order in the room list, unread and mention counts,
//! their members (with presence), and what is kept of the rooms not on screen.
//!
//! The room on screen uses `State::timeline`, `State::send_status` and `State::draft`
//! as before rooms existed; switching rooms *parks* those three here and brings the
//! other room's back. So every rule about one timeline (scrolling, overlays, unread
//! markers) stays written once and works the same in every room.
//!
//! Rooms are keyed by their id, except the lobby, which is always the key `""`: the
//! contract lets a client send `""` for it, and so the lobby works from the first
//! moment, before the room list has told us its real id.

use super::state::Editing;
use super::timeline::Timeline;
use chat_protocol::chat::v1::{Event as ChatEvent, Member, Room, RoomKind, SendStatus};
use std::collections::HashMap;

/// The key of the lobby.
pub const LOBBY: &str = "";

/// At most this many live events wait for the room list; past it they are dropped and
/// the pages are reloaded instead (see `Rooms::defer`).
pub const MAX_DEFERRED: usize = 5_000;

#[derive(Debug, Clone, PartialEq)]
pub struct RoomEntry {
    pub key: String,
    pub room: Room,
    /// Messages from others that arrived while the room was not on screen.
    pub unread: u32,
    /// Of those, the ones that mention me.
    pub mentions: u32,
    /// The members, once `ListMembers` answered; kept current by `RoomChanged` and
    /// `PresenceChanged`.
    pub members: Option<Vec<Member>>,
}

impl RoomEntry {
    pub fn new(key: String, room: Room) -> Self {
        Self {
            key,
            room,
            unread: 0,
            mentions: 0,
            members: None,
        }
    }

    pub fn is_direct(&self) -> bool {
        self.room.kind == RoomKind::Direct as i32
    }

    /// The other person of a DM (the room has no name of its own).
    pub fn peer<'a>(&'a self, me: &str) -> Option<&'a str> {
        self.is_direct()
            .then(|| {
                self.room
                    .member_names
                    .iter()
                    .find(|n| !n.eq_ignore_ascii_case(me))
                    .or(self.room.member_names.first())
                    .map(String::as_str)
            })
            .flatten()
    }

    /// How the room is named on screen: "#lobby", "#rust", or the other person's name.
    pub fn label(&self, me: &str) -> String {
        match self.peer(me) {
            Some(peer) => peer.to_owned(),
            None if self.key == LOBBY => "#lobby".to_owned(),
            None => format!("#{}", self.room.name),
        }
    }

    pub fn online(&self) -> Vec<&Member> {
        self.members.iter().flatten().filter(|m| m.online).collect()
    }
}

/// What a room keeps while another is on screen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parked {
    pub timeline: Timeline,
    pub send_status: Option<SendStatus>,
    /// The unsent draft (or the text of an edit in progress), so switching rooms never
    /// loses what was typed.
    pub draft: String,
    /// A send of this room whose outcome is unknown: its text and request id (see
    /// `Draft::retry_id`). Per room, since the server matches retries by user alone.
    pub retry_id: Option<(String, String)>,
    /// An edit in progress in this room.
    pub editing: Option<Editing>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rooms {
    /// The lobby first, then the others in the server's order (oldest first).
    pub list: Vec<RoomEntry>,
    /// The key of the room on screen.
    pub current: String,
    /// The lobby's real id, once the room list told us.
    pub lobby_id: Option<String>,
    /// The room list has arrived; until then live events wait in `deferred`, since
    /// without it a message cannot be told to belong to the lobby or to a DM.
    pub loaded: bool,
    pub deferred: Vec<ChatEvent>,
    /// Too many events waited and were dropped: reload the pages once the list arrives.
    pub reload_after_load: bool,
    /// The rooms not on screen.
    pub parked: HashMap<String, Parked>,
    /// The public rooms (for `:join` completion), when asked for.
    pub public: Vec<Room>,
    /// Counts my joins and leaves as this client learns of them, and `asked_at` is the
    /// count when the last `ListRooms` was asked for: an answer from before a change may
    /// lack a room just joined, so it is merged instead of replacing the list.
    pub changes: u64,
    pub asked_at: u64,
    /// The latest presence each user was announced with: a member list read before the
    /// announcement must not undo it.
    pub presence: HashMap<String, bool>,
}

impl Default for Rooms {
    fn default() -> Self {
        let lobby = Room {
            name: "lobby".to_owned(),
            kind: RoomKind::Lobby as i32,
            ..Room::default()
        };
        Self {
            list: vec![RoomEntry::new(LOBBY.to_owned(), lobby)],
            current: LOBBY.to_owned(),
            lobby_id: None,
            loaded: false,
            deferred: Vec::new(),
            reload_after_load: false,
            parked: HashMap::new(),
            public: Vec::new(),
            changes: 0,
            asked_at: 0,
            presence: HashMap::new(),
        }
    }
}

impl Rooms {
    /// The key for a room id as the server sends it.
    pub fn key_of(&self, room_id: &str) -> String {
        if room_id.is_empty() || self.lobby_id.as_deref() == Some(room_id) {
            LOBBY.to_owned()
        } else {
            room_id.to_owned()
        }
    }

    /// The key of a room as the server describes it.
    pub fn key_for(&self, room: &Room) -> String {
        if room.kind == RoomKind::Lobby as i32 {
            LOBBY.to_owned()
        } else {
            self.key_of(&room.room_id)
        }
    }

    pub fn position(&self, key: &str) -> Option<usize> {
        self.list.iter().position(|r| r.key == key)
    }

    pub fn get(&self, key: &str) -> Option<&RoomEntry> {
        self.list.iter().find(|r| r.key == key)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut RoomEntry> {
        self.list.iter_mut().find(|r| r.key == key)
    }

    pub fn current(&self) -> Option<&RoomEntry> {
        self.get(&self.current)
    }

    pub fn is_current(&self, key: &str) -> bool {
        self.current == key
    }

    /// Takes the server's list, keeping what we know of each room (counts, members). The
    /// lobby stays first whatever the order. An answer asked for before the latest join
    /// or leave only adds rooms: the events of those changes decide the rest.
    pub fn set_list(&mut self, rooms: Vec<Room>) {
        let stale = self.changes != self.asked_at;
        if let Some(lobby) = rooms.iter().find(|r| r.kind == RoomKind::Lobby as i32) {
            self.lobby_id = Some(lobby.room_id.clone());
        }
        let mut old: HashMap<String, RoomEntry> =
            self.list.drain(..).map(|r| (r.key.clone(), r)).collect();
        let mut list: Vec<RoomEntry> = Vec::with_capacity(rooms.len() + 1);
        for room in rooms {
            let key = self.key_for(&room);
            if list.iter().any(|r| r.key == key) {
                continue;
            }
            let entry = match old.remove(&key) {
                Some(mut entry) => {
                    entry.room = room;
                    entry
                }
                None => RoomEntry::new(key, room),
            };
            list.push(entry);
        }
        // The lobby is never left, so it is there even if the answer forgot it.
        if !list.iter().any(|r| r.key == LOBBY)
            && let Some(lobby) = old.remove(LOBBY)
        {
            list.insert(0, lobby);
        }
        if stale {
            list.extend(old.into_values());
        }
        list.sort_by_key(|r| r.key != LOBBY);
        // Rooms we are no longer in take their parked state with them.
        self.parked
            .retain(|key, _| list.iter().any(|r| r.key == *key));
        self.list = list;
        self.loaded = true;
    }

    /// Adds a room we joined (or updates it); returns its key.
    pub fn upsert(&mut self, room: Room) -> String {
        let key = self.key_for(&room);
        match self.get_mut(&key) {
            Some(entry) => entry.room = room,
            None => {
                self.list.push(RoomEntry::new(key.clone(), room));
                self.changes += 1;
            }
        }
        key
    }

    /// Removes a room we left; the lobby cannot be left.
    pub fn remove(&mut self, key: &str) {
        if key == LOBBY {
            return;
        }
        self.list.retain(|r| r.key != key);
        self.parked.remove(key);
        self.changes += 1;
    }

    /// The key of the room `step` places after (or before) the current one, wrapping.
    pub fn neighbour(&self, step: isize) -> Option<String> {
        let n = isize::try_from(self.list.len()).ok().filter(|n| *n > 0)?;
        let at = isize::try_from(self.position(&self.current).unwrap_or(0)).ok()?;
        let next = usize::try_from((at + step).rem_euclid(n)).ok()?;
        self.list.get(next).map(|r| r.key.clone())
    }

    /// The next room after the current one with a mention, else with unread messages.
    pub fn next_active(&self) -> Option<String> {
        let at = self.position(&self.current).unwrap_or(0);
        let n = self.list.len();
        let after = (1..n).map(|i| &self.list[(at + i) % n]);
        let mut candidates: Vec<&RoomEntry> = after.filter(|r| r.unread > 0).collect();
        candidates.sort_by_key(|r| r.mentions == 0);
        candidates.first().map(|r| r.key.clone())
    }

    /// The room key of the DM with `name`, if we have one.
    pub fn direct_with(&self, me: &str, name: &str) -> Option<String> {
        self.list
            .iter()
            .find(|r| r.peer(me).is_some_and(|p| p.eq_ignore_ascii_case(name)))
            .map(|r| r.key.clone())
    }

    /// The room key of a public room (or the lobby) by name, if we are in it.
    pub fn named(&self, name: &str) -> Option<String> {
        let name = name.trim_start_matches('#');
        self.list
            .iter()
            .find(|r| !r.is_direct() && r.room.name.eq_ignore_ascii_case(name))
            .map(|r| r.key.clone())
    }

    /// Keeps a live event until the room list arrives. False when too many waited:
    /// they are all dropped and the pages get reloaded instead.
    pub fn defer(&mut self, event: ChatEvent) -> bool {
        if self.deferred.len() >= MAX_DEFERRED {
            self.deferred.clear();
            self.reload_after_load = true;
            return false;
        }
        self.deferred.push(event);
        true
    }

    /// A user's presence changed: every member list that holds them follows.
    pub fn set_online(&mut self, user_id: &str, online: bool) {
        self.presence.insert(user_id.to_owned(), online);
        for entry in &mut self.list {
            for member in entry.members.iter_mut().flatten() {
                if member.user_id == user_id {
                    member.online = online;
                }
            }
        }
    }

    /// Whether a user is online as far as any member list knows (for DM labels).
    pub fn is_online(&self, name: &str) -> bool {
        self.list.iter().any(|r| {
            r.members
                .iter()
                .flatten()
                .any(|m| m.online && m.user_name.eq_ignore_ascii_case(name))
        })
    }

    /// Every member name we know of, for `@` and `:dm` completion.
    pub fn known_names(&self, key: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .get(key)
            .and_then(|r| r.members.as_ref())
            .map(|m| m.iter().map(|m| m.user_name.clone()).collect())
            .unwrap_or_default();
        names.sort_by_key(|n| n.to_lowercase());
        names.dedup();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(id: &str, name: &str, kind: RoomKind) -> Room {
        Room {
            room_id: id.to_owned(),
            name: name.to_owned(),
            kind: kind as i32,
            ..Room::default()
        }
    }

    fn dm(id: &str, a: &str, b: &str) -> Room {
        Room {
            member_names: vec![a.to_owned(), b.to_owned()],
            ..room(id, "", RoomKind::Direct)
        }
    }

    #[test]
    fn the_lobby_is_keyed_by_the_empty_id_and_listed_first() {
        let mut rooms = Rooms::default();
        assert_eq!(rooms.key_of("L"), "L", "unknown until the list says");
        rooms.set_list(vec![
            room("r1", "rust", RoomKind::Public),
            room("L", "lobby", RoomKind::Lobby),
            dm("d1", "me", "bob"),
        ]);
        assert_eq!(rooms.key_of("L"), LOBBY);
        assert_eq!(rooms.key_of(""), LOBBY);
        let labels: Vec<String> = rooms.list.iter().map(|r| r.label("me")).collect();
        assert_eq!(labels, ["#lobby", "#rust", "bob"]);
        assert_eq!(rooms.direct_with("me", "BOB").as_deref(), Some("d1"));
        assert_eq!(rooms.named("#Rust").as_deref(), Some("r1"));
    }

    #[test]
    fn switching_wraps_and_active_rooms_put_mentions_first() {
        let mut rooms = Rooms::default();
        rooms.set_list(vec![
            room("L", "lobby", RoomKind::Lobby),
            room("a", "a", RoomKind::Public),
            room("b", "b", RoomKind::Public),
        ]);
        assert_eq!(rooms.neighbour(-1).as_deref(), Some("b"));
        assert_eq!(rooms.neighbour(1).as_deref(), Some("a"));
        assert_eq!(rooms.next_active(), None);
        rooms.list[1].unread = 3;
        rooms.list[2].unread = 1;
        rooms.list[2].mentions = 1;
        assert_eq!(rooms.next_active().as_deref(), Some("b"));
    }

    #[test]
    fn a_new_list_keeps_counts_and_drops_what_was_left() {
        let mut rooms = Rooms::default();
        rooms.set_list(vec![
            room("L", "lobby", RoomKind::Lobby),
            room("a", "a", RoomKind::Public),
        ]);
        rooms.list[1].unread = 2;
        rooms.parked.insert("a".to_owned(), Parked::default());
        rooms.set_list(vec![
            room("L", "lobby", RoomKind::Lobby),
            room("a", "a", RoomKind::Public),
        ]);
        assert_eq!(rooms.list[1].unread, 2);
        rooms.set_list(vec![room("L", "lobby", RoomKind::Lobby)]);
        assert_eq!(rooms.list.len(), 1);
        assert!(rooms.parked.is_empty());
    }

    #[test]
    fn events_wait_for_the_list_up_to_a_bound() {
        let mut rooms = Rooms::default();
        for id in 0..MAX_DEFERRED {
            assert!(rooms.defer(ChatEvent {
                event_id: id as u64,
                ..ChatEvent::default()
            }));
        }
        assert!(!rooms.defer(ChatEvent::default()));
        assert!(rooms.deferred.is_empty());
        assert!(rooms.reload_after_load);
    }
}
