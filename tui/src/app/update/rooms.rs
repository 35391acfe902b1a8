//! Rooms: switching between them, the room list and member lists as the server reports
//! them, and live events about rooms and presence.
//!
//! Switching parks the screen's timeline, send status and draft (see `app::rooms`), so
//! everything else in `update` keeps working on "the timeline" without knowing rooms.

use super::super::effect::{Command, Effect, Timer};
use super::super::event::RpcError;
use super::super::rooms::{LOBBY, Parked};
use super::super::state::{Connection, Notice, Screen, State};
use super::super::timeline::Timeline;
use super::{edits, view};
use crate::text;
use chat_protocol::chat::v1::{Member, PresenceChanged, Room, RoomChanged, RoomKind};
use std::time::Duration;
use tonic::Code;

/// The commands that load what a room on screen needs and does not have yet.
fn load(state: &State, key: &str, effects: &mut Vec<Effect>) {
    let room = key.to_owned();
    if !state.timeline.loaded {
        effects.push(Effect::Net(Command::LoadNewest { room: room.clone() }));
    }
    effects.push(Effect::Net(Command::RefreshSendStatus {
        room: room.clone(),
    }));
    if state.rooms.get(key).is_some_and(|r| r.members.is_none()) {
        effects.push(Effect::Net(Command::ListMembers { room }));
    }
}

/// How soon a failed room list is asked for again while live events wait for it.
pub const ROOMS_RETRY: Duration = Duration::from_secs(3);

/// The retry timer: asks again unless the list came meanwhile or the session ended.
pub fn retry_list(state: &mut State, effects: &mut Vec<Effect>) {
    if state.screen == Screen::Chat && !state.rooms.loaded {
        ask_rooms(state, effects);
    }
}

/// Asks for the list of my rooms, noting when (see `Rooms::set_list`).
pub fn ask_rooms(state: &mut State, effects: &mut Vec<Effect>) {
    state.rooms.asked_at = state.rooms.changes;
    effects.push(Effect::Net(Command::ListRooms { public: false }));
}

/// Puts the room with this key on screen (a room we are in; anything else is ignored).
pub fn switch_to(state: &mut State, key: &str, effects: &mut Vec<Effect>) {
    if state.rooms.current == key || state.rooms.get(key).is_none() {
        return;
    }
    // Browsing the history shows an old message in the input: the draft is the stash.
    let draft = if state.draft.browsing.take().is_some() {
        state.draft.editor.take();
        std::mem::take(&mut state.draft.stash)
    } else {
        state.draft.editor.take()
    };
    // An edit in progress waits in its room with its text, like a draft.
    let parked = Parked {
        timeline: std::mem::take(&mut state.timeline),
        send_status: state.send_status.take(),
        draft,
        retry_id: state.draft.retry_id.take(),
        editing: state.editing.take(),
    };
    let previous = std::mem::replace(&mut state.rooms.current, key.to_owned());
    state.rooms.parked.insert(previous, parked);
    let next = state.rooms.parked.remove(key).unwrap_or_default();
    state.timeline = next.timeline;
    state.send_status = next.send_status;
    state.draft.editor.set_text(&next.draft);
    state.draft.retry_id = next.retry_id;
    state.editing = next.editing;
    state.draft.stash.clear();
    // A refusal speaks of the other room's draft.
    state.draft.reason = None;
    state.draft.refused_in_history = false;
    if let Some(entry) = state.rooms.get_mut(key) {
        entry.unread = 0;
        entry.mentions = 0;
    }
    // Whatever arrived while away is below the divider; show the newest.
    state.timeline.view_bottom = None;
    state.timeline.view_lift = 0;
    state.timeline.selected = state.timeline.last_index();
    load(state, key, effects);
    view::after_view_change(state, effects);
}

/// Ctrl+N / Ctrl+P.
pub fn step(state: &mut State, by: isize, effects: &mut Vec<Effect>) {
    if let Some(key) = state.rooms.neighbour(by) {
        switch_to(state, &key, effects);
    }
}

/// Alt+A: the next room with a mention, else with unread messages.
pub fn next_active(state: &mut State, effects: &mut Vec<Effect>) {
    match state.rooms.next_active() {
        Some(key) => switch_to(state, &key, effects),
        None => state.notice = Some(Notice::info("nothing unread in other rooms")),
    }
}

/// The answer to `ListRooms`.
pub fn on_rooms(
    state: &mut State,
    public: bool,
    result: Result<Vec<Room>, RpcError>,
    effects: &mut Vec<Effect>,
) {
    let rooms = match result {
        Ok(rooms) => rooms,
        Err(error) if public => {
            state.notice =
                Some(Notice::error("could not list the public rooms").detail(error.message));
            return;
        }
        Err(error) => {
            state.notice = Some(
                Notice::error("could not load your rooms")
                    .detail(error.message)
                    .action("trying again"),
            );
            // Live events wait for the list, so it is asked again by itself.
            if !state.rooms.loaded {
                effects.push(Effect::Wake {
                    after: ROOMS_RETRY,
                    token: Timer::RetryRooms,
                });
            }
            return;
        }
    };
    if public {
        state.rooms.public = rooms;
        return;
    }
    state.rooms.set_list(rooms);
    let current = state.rooms.current.clone();
    if state.rooms.get(&current).is_none() {
        // The room on screen was left meanwhile (from another session): the lobby comes
        // back whole, and a draft written for the room waits in the history.
        edits::cancel(state);
        let draft = state.draft.editor.take();
        if !draft.trim().is_empty() {
            state.draft.history.push(draft);
        }
        switch_to(state, LOBBY, effects);
        state.rooms.parked.remove(&current);
    }
    if std::mem::take(&mut state.rooms.reload_after_load) {
        reload_all(state, effects);
    }
    // What came while the list was on its way, in the order it came.
    for event in std::mem::take(&mut state.rooms.deferred) {
        super::net::on_event(state, event, effects);
    }
    view::after_view_change(state, effects);
}

/// Events were missed (a trimmed backlog, too many waiting): the room on screen loads
/// its newest page again and the others start afresh when next shown. Drafts, retries
/// and edits stay: they are the user's, not the server's.
pub fn reload_all(state: &mut State, effects: &mut Vec<Effect>) {
    for parked in state.rooms.parked.values_mut() {
        parked.timeline = Timeline::default();
        parked.send_status = None;
    }
    let room = state.rooms.current.clone();
    effects.push(Effect::Net(Command::LoadNewest { room: room.clone() }));
    effects.push(Effect::Net(Command::RefreshSendStatus { room }));
    ask_rooms(state, effects);
}

/// The answer to `:create`, `:join` or `:dm`: the room goes on screen.
pub fn on_opened(
    state: &mut State,
    what: &str,
    result: Result<Room, RpcError>,
    effects: &mut Vec<Effect>,
) {
    match result {
        Ok(room) => {
            let key = state.rooms.upsert(room);
            switch_to(state, &key, effects);
            let label = state
                .rooms
                .get(&key)
                .map(|r| r.label(state.my_name()))
                .unwrap_or_default();
            state.notice = Some(Notice::info(format!("in {label}")));
        }
        Err(error) => {
            let text = match error.code {
                Code::AlreadyExists => format!("{what}: that name is taken (:join it)"),
                Code::NotFound => format!("{what}: no such room or user"),
                _ => format!("{what}: {}", error.message),
            };
            state.notice = Some(Notice::error(text));
        }
    }
}

pub fn on_left(
    state: &mut State,
    key: &str,
    result: Result<(), RpcError>,
    effects: &mut Vec<Effect>,
) {
    let label = state
        .rooms
        .get(key)
        .map(|r| r.label(state.my_name()))
        .unwrap_or_default();
    match result {
        // The leave's own RoomChanged (which always reaches the leaver) says it; going
        // by this answer could remove a room rejoined since. Without a stream, the
        // event may be long in coming, so the answer does.
        Ok(()) if state.connection == Connection::Connected => {}
        Ok(()) => left(state, key, effects),
        Err(error) => {
            state.notice =
                Some(Notice::error(format!("could not leave {label}")).detail(error.message));
        }
    }
}

/// I left a room (here or in another session): it goes, and the status line says so.
fn left(state: &mut State, key: &str, effects: &mut Vec<Effect>) {
    if let Some(entry) = state.rooms.get(key) {
        let label = entry.label(state.my_name());
        state.notice = Some(Notice::info(format!("left {label}")));
    }
    // The lobby goes on screen if it was this room.
    if state.rooms.current == key {
        switch_to(state, LOBBY, effects);
    }
    state.rooms.remove(key);
}

pub fn on_members(state: &mut State, key: &str, result: Result<Vec<Member>, RpcError>) {
    match result {
        Ok(mut members) => {
            members.sort_by_key(|m| m.user_name.to_lowercase());
            // Presence announced since the list was read wins over it. My own stream may
            // not be open yet when the list is read, and nobody is told of their own
            // presence: I am online while connected.
            let connected = state.connection == Connection::Connected;
            let me = state.my_id().to_owned();
            for member in &mut members {
                if member.user_id == me {
                    member.online = connected;
                } else if let Some(online) = state.rooms.presence.get(&member.user_id) {
                    member.online = *online;
                }
            }
            if let Some(entry) = state.rooms.get_mut(key) {
                entry.members = Some(members);
            }
        }
        // Only the sidebar's online list misses it; the next switch asks again.
        Err(error) => tracing::warn!(room = key, ?error, "could not list members"),
    }
}

/// Someone joined or left a room I am in (or I did, maybe from another session).
pub fn on_room_changed(state: &mut State, changed: RoomChanged, effects: &mut Vec<Effect>) {
    let Some(room) = changed.room else {
        return;
    };
    let key = state.rooms.key_for(&room);
    // A new DM is one event for both people: the other learns of it by being named.
    let named_in_new_dm = changed.joined
        && room.kind == RoomKind::Direct as i32
        && room
            .member_names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(state.my_name()));
    if changed.user_id == state.my_id() || named_in_new_dm {
        if changed.joined {
            let new = state.rooms.get(&key).is_none();
            state.rooms.upsert(room);
            if new && named_in_new_dm && changed.user_id != state.my_id() {
                let peer = text::clean(&changed.user_name, false);
                state.notice = Some(Notice::info(format!(
                    "{peer} opened a conversation with you"
                )));
            }
        } else {
            left(state, &key, effects);
        }
        return;
    }
    let online = state.rooms.is_online(&changed.user_name);
    let Some(entry) = state.rooms.get_mut(&key) else {
        return;
    };
    entry.room = room;
    if let Some(members) = entry.members.as_mut() {
        members.retain(|m| m.user_id != changed.user_id);
        if changed.joined {
            members.push(Member {
                user_id: changed.user_id,
                user_name: changed.user_name,
                online,
            });
            members.sort_by_key(|m| m.user_name.to_lowercase());
        }
    }
}

pub fn on_presence(state: &mut State, changed: &PresenceChanged) {
    state.rooms.set_online(&changed.user_id, changed.online);
    // Someone new (signed up since the lobby's list was read) is in the lobby too.
    if let Some(lobby) = state.rooms.get_mut(LOBBY)
        && let Some(members) = lobby.members.as_mut()
        && !members.iter().any(|m| m.user_id == changed.user_id)
    {
        members.push(Member {
            user_id: changed.user_id.clone(),
            user_name: changed.user_name.clone(),
            online: changed.online,
        });
        members.sort_by_key(|m| m.user_name.to_lowercase());
    }
}

/// Whenever the stream (re)connects: presence news of any gap is gone (it is live only,
/// DESIGN §7), so the member lists are read again: the lobby's and the room on
/// screen's now, the others' when next shown. After an outage, the room list too.
pub fn on_connected(state: &mut State, after_outage: bool, effects: &mut Vec<Effect>) {
    for entry in &mut state.rooms.list {
        entry.members = None;
    }
    // What was announced before the gap says nothing about now.
    state.rooms.presence.clear();
    if after_outage {
        ask_rooms(state, effects);
    }
    // The lobby's list also gives the DMs in the room list their presence dots.
    let mut rooms = vec![LOBBY.to_owned()];
    if state.rooms.current != LOBBY {
        rooms.push(state.rooms.current.clone());
    }
    for room in rooms {
        effects.push(Effect::Net(Command::ListMembers { room }));
    }
}

/// The timeline that holds a message, on screen or parked.
pub fn timeline_holding<'a>(state: &'a mut State, message_id: &str) -> Option<&'a mut Timeline> {
    if state.timeline.index_of(message_id).is_some() {
        return Some(&mut state.timeline);
    }
    state
        .rooms
        .parked
        .values_mut()
        .map(|p| &mut p.timeline)
        .find(|t| t.index_of(message_id).is_some())
}
