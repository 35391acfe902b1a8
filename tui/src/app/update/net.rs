//! What the network task reports: sign-in results, live events, and RPC answers.

use super::super::effect::{Command, Effect};
use super::super::event::{NetEvent, Page, PageKind, RpcError};
use super::super::state::{Connection, Focus, Me, Notice, NoticeKind, PendingSend, Screen, State};
use super::view;
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
            effects.push(Effect::Net(Command::LoadNewest));
            effects.push(Effect::Net(Command::RefreshSendStatus));
        }
        NetEvent::AuthFailed(error) => {
            state.signin.busy = false;
            state.signin.error = Some(auth_error_text(state, &error));
        }
        NetEvent::SignedOut { reason } => {
            state.reset_session();
            state.signin.error = reason;
        }
        NetEvent::Connection(connection) => on_connection(state, connection),
        NetEvent::Event(event) => on_event(state, event, effects),
        NetEvent::Page { kind, result } => on_page(state, kind, result, effects),
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
        NetEvent::SendStatus(status) => on_send_status(state, status),
        NetEvent::MessageLoaded(message) => {
            state.timeline.replace(message);
        }
        NetEvent::Error(text) => state.notice = Some(Notice::error(text)),
    }
}

/// The cached messages of the last run: drawn at once if the server's page has not come
/// yet; that page then replaces them (`Timeline::reset_to`).
pub fn on_cache(state: &mut State, page: Page, effects: &mut Vec<Effect>) {
    if state.timeline.loaded || page.messages.is_empty() {
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

fn on_connection(state: &mut State, connection: Connection) {
    let was_down = matches!(state.connection, Connection::Reconnecting { .. });
    if connection == Connection::Connected && was_down {
        state.notice = Some(Notice::info("reconnected; caught up"));
    }
    state.connection = connection;
}

/// A live event: applied once, in order, then acknowledged (the network task batches
/// the acks). Duplicates come after a reconnect, when the server re-sends what we had
/// not acked yet.
fn on_event(state: &mut State, event: ChatEvent, effects: &mut Vec<Effect>) {
    if event.event_id <= state.last_event_id {
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
            effects.push(Effect::Net(Command::LoadNewest));
            effects.push(Effect::Net(Command::RefreshSendStatus));
        }
        // Rooms, edits and presence: not shown by this client yet.
        Some(
            Payload::MessageEdited(_)
            | Payload::MessageDeleted(_)
            | Payload::RoomChanged(_)
            | Payload::PresenceChanged(_),
        )
        | None => {}
    }
    effects.push(Effect::Net(Command::Ack {
        up_to: state.last_event_id,
    }));
}

fn on_posted(state: &mut State, message: Message, effects: &mut Vec<Effect>) {
    let from_me = message.user_id == state.my_id();
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
    if from_me {
        // Sent from another session of mine: my send status changed.
        effects.push(Effect::Net(Command::RefreshSendStatus));
    }
    view::after_view_change(state, effects);
}

fn on_reaction_changed(state: &mut State, changed: ReactionChanged, effects: &mut Vec<Effect>) {
    let mine = changed.user_id == state.my_id();
    let key = (changed.message_id.clone(), changed.emoji.clone());
    if mine
        && let Some(overlay) = state.timeline.overlays.get_mut(&key)
        && overlay.mine == changed.added
    {
        overlay.seen_event = true;
    }
    if let Some(message) = changed.message {
        let authored_by_me = message.user_id == state.my_id();
        state.timeline.replace(message);
        if authored_by_me {
            // Reactions on my messages open (or close) my send gate.
            effects.push(Effect::Net(Command::RefreshSendStatus));
        }
    }
    view::after_view_change(state, effects);
}

fn on_page(
    state: &mut State,
    kind: PageKind,
    result: Result<Page, RpcError>,
    effects: &mut Vec<Effect>,
) {
    match (kind, result) {
        (PageKind::Newest, Ok(page)) => {
            state.timeline.reset_to(page.messages, page.has_more);
            if state.focus == Focus::Input || state.timeline.is_following() {
                state.timeline.selected = state.timeline.last_index();
            }
            if !state.signing_out {
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
    effects.push(Effect::Net(Command::RefreshSendStatus));
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
    let current = state
        .timeline
        .overlays
        .get(&key)
        .filter(|o| o.op == op)
        .copied();
    match result {
        Ok(message) => {
            if let Some(overlay) = current {
                // If the event for this change came first, its snapshot is at least as
                // new as this answer's; otherwise the answer is the newest we know.
                if !overlay.seen_event {
                    state.timeline.replace(message);
                }
                state.timeline.overlays.remove(&key);
            }
        }
        Err(error) => {
            if current.is_some() {
                state.timeline.overlays.remove(&key);
            }
            let (message_id, emoji) = key;
            state.notice =
                Some(Notice::error(format!("reaction {emoji} not saved")).detail(&error.message));
            // We guessed wrong about the message; fetch the truth.
            effects.push(Effect::Net(Command::GetMessage { message_id }));
        }
    }
    view::after_view_change(state, effects);
}

fn on_send_status(state: &mut State, status: SendStatus) {
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
