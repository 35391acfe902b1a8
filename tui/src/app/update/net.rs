//! What the network task reports: sign-in results, live events, and RPC answers.

use super::super::effect::{Command, Effect};
use super::super::event::{NetEvent, Page, PageKind, RpcError};
use super::super::rooms::LOBBY;
use super::super::state::{Connection, Focus, Me, Notice, NoticeKind, PendingSend, Screen, State};
use super::{edits, rooms, view};
use chat_protocol::chat::v1::event::Payload;
use chat_protocol::chat::v1::{Event as ChatEvent, Message, ReactionChanged, SendStatus};
use tonic::Code;

pub fn on_net(state: &mut State, event: NetEvent, effects: &mut Vec<Effect>) {
    match event {
        NetEvent::SignedIn { user_id, user_name } => {
            state.reset_session();
            state.me = Some(Me { user_id, user_name });
            state.screen = Screen::Chat;
            state.connection = Connection::Connecting;
            state.signin.error = None;
            effects.push(Effect::LoadCache {
                user_id: state.my_id().to_owned(),
            });
            let lobby = || LOBBY.to_owned();
            rooms::ask_rooms(state, effects);
            effects.push(Effect::Net(Command::LoadNewest { room: lobby() }));
            effects.push(Effect::Net(Command::RefreshSendStatus { room: lobby() }));
            // (The members are read once the stream is up: `rooms::on_connected`.)
            // For `:join` completion; Tab there asks again.
            effects.push(Effect::Net(Command::ListRooms { public: true }));
        }
        NetEvent::AuthFailed(error) => {
            state.signin.busy = false;
            state.signin.error = Some(auth_error_text(state, &error));
        }
        NetEvent::SignedOut { reason } => {
            state.reset_session();
            state.signin.error = reason;
        }
        NetEvent::Connection(connection) => on_connection(state, connection, effects),
        NetEvent::Event(event) => on_event(state, event, effects),
        NetEvent::Page { room, kind, result } => on_page(state, &room, kind, result, effects),
        NetEvent::Sent {
            client_request_id,
            result,
        } => on_sent(state, &client_request_id, result, effects),
        NetEvent::Reacted {
            op,
            message_id,
            emoji,
            result,
        } => on_reacted(state, op, message_id, emoji, result, effects),
        NetEvent::SendStatus { room, status } => on_send_status(state, &room, status),
        NetEvent::MessageLoaded(message) => {
            if let Some(timeline) = rooms::timeline_holding(state, &message.message_id.clone()) {
                timeline.replace(message);
            }
        }
        NetEvent::Rooms { public, result } => rooms::on_rooms(state, public, result, effects),
        NetEvent::RoomOpened { what, result } => rooms::on_opened(state, &what, result, effects),
        NetEvent::RoomLeft { room, result } => rooms::on_left(state, &room, result, effects),
        NetEvent::Members { room, result } => rooms::on_members(state, &room, result),
        NetEvent::MessageChanged {
            change,
            message_id,
            result,
        } => {
            edits::on_changed(state, change, &message_id, result);
            view::after_view_change(state, effects);
        }
        NetEvent::Error(text) => state.notice = Some(Notice::error(text)),
        NetEvent::SshKeys(result) => super::ssh_keys::on_reply(state, result),
    }
}

/// The cached messages of the last run: drawn at once if the server's page has not come
/// yet; that page then replaces them (`Timeline::reset_to`).
pub fn on_cache(state: &mut State, page: Page, effects: &mut Vec<Effect>) {
    // The cache holds the lobby.
    if state.room() != LOBBY || state.timeline.loaded || page.messages.is_empty() {
        return;
    }
    let ids = page.messages.iter().map(|m| m.message_id.clone()).collect();
    state.timeline.reset_to(page.messages, page.has_more);
    state.timeline.from_cache = true;
    state.timeline.cached_ids = ids;
    state.timeline.selected = state.timeline.last_index();
    view::after_view_change(state, effects);
}

fn auth_error_text(state: &State, error: &RpcError) -> String {
    let message = error.message.trim();
    match error.code {
        Code::AlreadyExists => "name taken: choose another user name".to_owned(),
        Code::Unauthenticated if message.is_empty() => "invalid user name or password".to_owned(),
        Code::ResourceExhausted => format!("too many failed attempts, try again later ({message})"),
        Code::Unavailable | Code::DeadlineExceeded => {
            format!("cannot reach the server at {}", state.settings.server)
        }
        _ if message.is_empty() => format!("failed: {:?}", error.code),
        _ => message.to_owned(),
    }
}

fn on_connection(state: &mut State, connection: Connection, effects: &mut Vec<Effect>) {
    let was_down = matches!(state.connection, Connection::Reconnecting { .. });
    if connection == Connection::Connected && state.connection != Connection::Connected {
        if was_down {
            state.notice = Some(Notice::info("reconnected; caught up"));
        }
        rooms::on_connected(state, was_down, effects);
    }
    let me = state.my_id().to_owned();
    state
        .rooms
        .set_online(&me, connection == Connection::Connected);
    state.connection = connection;
}

/// A live event: applied once, in order, then acknowledged (the network task batches
/// the acks). Duplicates come after a reconnect, when the server re-sends what we had
/// not acked yet.
pub fn on_event(state: &mut State, event: ChatEvent, effects: &mut Vec<Effect>) {
    if let Some(Payload::PresenceChanged(changed)) = &event.payload {
        // Live only and never queued, so never a replay: it is news whatever its id,
        // needs no acknowledgement, and is not held back for the room list either
        // (member lists are read when the stream connects).
        rooms::on_presence(state, changed);
        return;
    }
    if event.event_id <= state.last_event_id {
        return;
    }
    if !state.rooms.loaded {
        // Which room a message is in is known once the room list is: wait for it.
        state.rooms.defer(event);
        return;
    }
    state.last_event_id = event.event_id;
    match event.payload {
        Some(Payload::MessagePosted(posted)) => {
            if let Some(message) = posted.message {
                on_posted(state, message, effects);
            }
        }
        Some(Payload::ReactionChanged(changed)) => on_reaction_changed(state, changed, effects),
        Some(Payload::ResyncRequired(resync)) => {
            // Our backlog was trimmed on the server: events are missing, so reload.
            let why = if resync.reason.is_empty() {
                String::new()
            } else {
                format!(" ({})", resync.reason)
            };
            state.notice = Some(Notice::info(format!("missed too much; reloading{why}")));
            rooms::reload_all(state, effects);
        }
        Some(Payload::MessageEdited(edited)) => {
            if let Some(message) = edited.message {
                replaced(state, message, effects);
            }
        }
        Some(Payload::MessageDeleted(deleted)) => {
            if let Some(message) = deleted.message {
                replaced(state, message, effects);
            }
        }
        Some(Payload::RoomChanged(changed)) => {
            rooms::on_room_changed(state, changed, effects);
            view::after_view_change(state, effects);
        }
        Some(Payload::PresenceChanged(_)) | None => {}
    }
    effects.push(Effect::Net(Command::Ack {
        up_to: state.last_event_id,
    }));
}

/// A newer copy of a message (edited, deleted), wherever it is held.
fn replaced(state: &mut State, message: Message, effects: &mut Vec<Effect>) {
    if let Some(timeline) = rooms::timeline_holding(state, &message.message_id.clone()) {
        timeline.replace(message);
    }
    view::after_view_change(state, effects);
}

fn on_posted(state: &mut State, message: Message, effects: &mut Vec<Effect>) {
    let from_me = message.user_id == state.my_id();
    let key = state.rooms.key_of(&message.room_id);
    if state.rooms.get(&key).is_none() {
        // A room the list does not know yet: ask again; its page brings the message.
        rooms::ask_rooms(state, effects);
        return;
    }
    let mentions_me = !from_me
        && message
            .mentioned_user_ids
            .iter()
            .any(|u| u == state.my_id());
    // The bell rings for news only: a message already held (a page had it, or the
    // server sends it again after a reconnect) stays quiet.
    let held = state
        .timeline_of(&key)
        .is_some_and(|t| t.index_of(&message.message_id).is_some());
    if mentions_me && !held && state.settings.bell {
        let place = state
            .rooms
            .get(&key)
            .map(|r| r.label(state.my_name()))
            .unwrap_or_default();
        effects.push(Effect::Bell {
            text: format!("{} mentioned you in {place}", message.user_name),
        });
    }
    if from_me {
        // Sent from another session of mine: my send status changed.
        effects.push(Effect::Net(Command::RefreshSendStatus {
            room: key.clone(),
        }));
    }
    if key != state.room() {
        posted_elsewhere(state, &key, message, from_me, mentions_me);
        return;
    }
    let id = message.message_id.clone();
    let timeline = &mut state.timeline;
    let was_on_newest = timeline.is_empty() || timeline.selected == timeline.last_index();
    if !timeline.push(message) {
        return;
    }
    if timeline.is_following() {
        if was_on_newest || state.focus == Focus::Input {
            timeline.selected = timeline.last_index();
        }
        if !state.window_focused && !from_me && timeline.unread_marker.is_none() {
            // Posted while the user is in another window: where to pick up on return.
            timeline.unread_marker = Some(id);
        }
    } else if !from_me && (timeline.unread_marker.is_none() || timeline.unread_below == 0) {
        // The first message the user has not seen: the divider goes above it.
        timeline.unread_marker = Some(id);
    }
    view::after_view_change(state, effects);
}

/// A message in a room not on screen: it counts as unread there (and as a mention),
/// and the divider will sit above the first one when the room is shown.
fn posted_elsewhere(
    state: &mut State,
    key: &str,
    message: Message,
    from_me: bool,
    mentions_me: bool,
) {
    let id = message.message_id.clone();
    let first_unread = state.rooms.get(key).is_some_and(|r| r.unread == 0);
    let parked = state.rooms.parked.entry(key.to_owned()).or_default();
    if !parked.timeline.push(message) || from_me {
        return;
    }
    if first_unread {
        parked.timeline.unread_marker = Some(id);
    }
    if let Some(entry) = state.rooms.get_mut(key) {
        entry.unread += 1;
        if mentions_me {
            entry.mentions += 1;
        }
    }
}

fn on_reaction_changed(state: &mut State, changed: ReactionChanged, effects: &mut Vec<Effect>) {
    let mine = changed.user_id == state.my_id();
    let key = (changed.message_id.clone(), changed.emoji.clone());
    let Some(message) = changed.message else {
        return;
    };
    let authored_by_me = message.user_id == state.my_id();
    let room = state.rooms.key_of(&message.room_id);
    if authored_by_me {
        // Reactions on my messages open (or close) my send gate in that room.
        effects.push(Effect::Net(Command::RefreshSendStatus { room }));
        if changed.added && !mine && state.settings.bell {
            effects.push(Effect::Bell {
                text: format!(
                    "{} reacted {} to your message",
                    changed.user_name, changed.emoji
                ),
            });
        }
    }
    if let Some(timeline) = rooms::timeline_holding(state, &changed.message_id) {
        if mine
            && let Some(overlay) = timeline.overlays.get_mut(&key)
            && overlay.mine == changed.added
        {
            overlay.seen_event = true;
        }
        timeline.replace(message);
    }
    view::after_view_change(state, effects);
}

fn on_page(
    state: &mut State,
    room: &str,
    kind: PageKind,
    result: Result<Page, RpcError>,
    effects: &mut Vec<Effect>,
) {
    if room != state.room() {
        page_elsewhere(state, room, kind, result);
        return;
    }
    match (kind, result) {
        (PageKind::Newest, Ok(page)) => {
            state.timeline.reset_to(page.messages, page.has_more);
            if state.focus == Focus::Input || state.timeline.is_following() {
                state.timeline.selected = state.timeline.last_index();
            }
            if room == LOBBY && !state.signing_out {
                effects.push(Effect::SaveCache {
                    user_id: state.my_id().to_owned(),
                    messages: state.timeline.messages.clone(),
                    has_more: state.timeline.has_more,
                });
            }
        }
        (PageKind::Newest, Err(error)) => {
            state.timeline.load_failed = true;
            state.notice = Some(
                Notice::error("could not load messages")
                    .detail(&error.message)
                    .action("Ctrl+R retries"),
            );
        }
        (PageKind::Older { before }, Ok(page)) => {
            let timeline = &mut state.timeline;
            timeline.loading_older = false;
            // A resync may have replaced the timeline meanwhile; then this page no
            // longer joins on and is dropped.
            if timeline.messages.first().map(|m| m.message_id.as_str()) == Some(before.as_str()) {
                timeline.prepend(page.messages);
                timeline.has_more = page.has_more;
            }
        }
        (PageKind::Older { .. }, Err(error)) => {
            state.timeline.loading_older = false;
            state.notice =
                Some(Notice::error("could not load older messages").detail(&error.message));
        }
    }
    view::after_view_change(state, effects);
}

/// A page for a room the user switched away from before it came: kept for when the
/// room is shown again (a failure is simply asked again then).
fn page_elsewhere(state: &mut State, room: &str, kind: PageKind, result: Result<Page, RpcError>) {
    let Some(parked) = state.rooms.parked.get_mut(room) else {
        return;
    };
    let timeline = &mut parked.timeline;
    let Ok(page) = result else {
        // Asked again when the room is shown (and scrolled up) again.
        timeline.loading_older = false;
        return;
    };
    match kind {
        PageKind::Newest => {
            timeline.reset_to(page.messages, page.has_more);
            timeline.selected = timeline.last_index();
        }
        PageKind::Older { before } => {
            timeline.loading_older = false;
            if timeline.messages.first().map(|m| m.message_id.as_str()) == Some(before.as_str()) {
                timeline.prepend(page.messages);
                timeline.has_more = page.has_more;
            }
        }
    }
}

fn on_sent(
    state: &mut State,
    client_request_id: &str,
    result: Result<Message, RpcError>,
    effects: &mut Vec<Effect>,
) {
    let Some(pending) = state
        .sending
        .take_if(|p| p.client_request_id == client_request_id)
    else {
        return;
    };
    effects.push(Effect::Net(Command::RefreshSendStatus {
        room: pending.room.clone(),
    }));
    // The message goes where the server put it.
    let room = match &result {
        Ok(message) if !message.room_id.is_empty() => state.rooms.key_of(&message.room_id),
        _ => pending.room.clone(),
    };
    if room != state.room() {
        sent_elsewhere(state, &room, pending, result);
        return;
    }
    match result {
        Ok(message) => {
            state.draft.history.push(pending.text);
            state.timeline.push(message);
            // My own message: show it, and the conversation from here on.
            state.timeline.unread_marker = None;
            let last = state.timeline.last_index();
            state.notice = None;
            view::select(state, last, effects);
        }
        Err(error) => refused(state, pending, &error),
    }
}

/// The answer to a message sent to a room the user has since left for another: it
/// joins that room's timeline, or, refused, waits in that room's input (or history).
fn sent_elsewhere(
    state: &mut State,
    room: &str,
    pending: PendingSend,
    result: Result<Message, RpcError>,
) {
    let Some(label) = state.rooms.get(room).map(|r| r.label(state.my_name())) else {
        // A room left meanwhile: a refused text comes here instead.
        if let Err(error) = result {
            refused(state, pending, &error);
        }
        return;
    };
    let parked = state.rooms.parked.entry(room.to_owned()).or_default();
    match result {
        Ok(message) => {
            state.draft.history.push(pending.text);
            parked.timeline.push(message);
        }
        Err(error) => {
            if error.is_transient() {
                // Sending it again from that room reuses the id (see `Draft::retry_id`).
                parked.retry_id = Some((pending.text.clone(), pending.client_request_id));
            }
            let waits = if parked.draft.is_empty() {
                parked.draft = pending.text;
                format!("it waits in {label}'s input")
            } else {
                state.draft.history.push(pending.text);
                "↑ brings it back".to_owned()
            };
            state.notice = Some(
                Notice::error(format!("not sent to {label}"))
                    .detail(error.message)
                    .action(waits),
            );
        }
    }
}

/// A send that did not go through. Nothing typed is lost: with an empty input the text
/// comes back to it; if something new was typed meanwhile, that stays as it is and the
/// refused text waits in the history (↑), so the two are never glued together.
fn refused(state: &mut State, pending: PendingSend, error: &RpcError) {
    let draft = &mut state.draft;
    if draft.editor.is_empty() {
        draft.editor.set_text(&pending.text);
        draft.refused_in_history = false;
    } else {
        draft.history.push(pending.text.clone());
        draft.refused_in_history = true;
    }
    let action = |editor_action: &str| {
        if draft.refused_in_history {
            "↑ brings it back".to_owned()
        } else {
            editor_action.to_owned()
        }
    };
    draft.reason = Some(if error.is_transient() {
        let reason = Notice::error("not sent")
            .detail(format!("connection problem: {}", error.message))
            .action(action("Enter retries"));
        draft.retry_id = Some((pending.text, pending.client_request_id));
        reason
    } else if error.code == Code::FailedPrecondition {
        let reason = match &state.send_status {
            Some(status) if !status.can_send => gate_reason(status.reactions_needed),
            _ => Notice::new(NoticeKind::SendBlocked, "not sent").detail(&error.message),
        };
        match draft.refused_in_history {
            true => reason.action("↑ brings it back"),
            false => reason,
        }
    } else {
        // The server's words are the point here (e.g. the length limit): never cut.
        let reason = Notice::error(format!("not sent: {}", error.message));
        match draft.refused_in_history {
            true => reason.action("↑ brings it back"),
            false => reason,
        }
    });
}

/// "not sent: needs 2 more reactions": the number is the point and is never cut.
fn gate_reason(needed: u32) -> Notice {
    Notice::new(
        NoticeKind::SendBlocked,
        format!(
            "not sent: needs {needed} more reaction{}",
            if needed == 1 { "" } else { "s" }
        ),
    )
    .detail("from others, on your last message")
}

fn on_reacted(
    state: &mut State,
    op: u64,
    message_id: String,
    emoji: String,
    result: Result<Message, RpcError>,
    effects: &mut Vec<Effect>,
) {
    let key = (message_id, emoji);
    // The room may have been switched meanwhile: the overlay is where the message is.
    if let Some(timeline) = rooms::timeline_holding(state, &key.0) {
        let current = timeline.overlays.get(&key).filter(|o| o.op == op).copied();
        match (&result, current) {
            // If the event for this change came first, its snapshot is at least as new
            // as this answer's; otherwise the answer is the newest we know.
            (Ok(message), Some(overlay)) => {
                if !overlay.seen_event {
                    timeline.replace(message.clone());
                }
                timeline.overlays.remove(&key);
            }
            (Err(_), Some(_)) => {
                timeline.overlays.remove(&key);
            }
            (_, None) => {}
        }
    }
    match result {
        Ok(_) => {}
        Err(error) => {
            let (message_id, emoji) = key;
            state.notice =
                Some(Notice::error(format!("reaction {emoji} not saved")).detail(&error.message));
            // We guessed wrong about the message; fetch the truth.
            effects.push(Effect::Net(Command::GetMessage { message_id }));
        }
    }
    view::after_view_change(state, effects);
}

fn on_send_status(state: &mut State, room: &str, status: SendStatus) {
    if room != state.room() {
        if let Some(parked) = state.rooms.parked.get_mut(room) {
            parked.send_status = Some(status);
        }
        return;
    }
    // A refusal on the status line must not go on quoting an old count.
    if let Some(reason) = state
        .draft
        .reason
        .as_mut()
        .filter(|r| r.kind == NoticeKind::SendBlocked)
    {
        if status.can_send {
            state.draft.reason = None;
            state.draft.refused_in_history = false;
            state.notice = Some(Notice::info("you can send again"));
        } else {
            let action = reason.action.take();
            *reason = gate_reason(status.reactions_needed);
            reason.action = action;
        }
    }
    state.send_status = Some(status);
}
