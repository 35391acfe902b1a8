//! `chat.v1.ChatService` in memory: what the load generator calls (Send with the gate,
//! React, GetSendStatus, Ack, CreateRoom, JoinRoom; Subscribe is served by `routes` with
//! pre-encoded frames) with chat-server's checks and status codes. Every other RPC answers
//! UNIMPLEMENTED. Each call parses its request first, then does its work in one step under
//! the world's lock, publishing its event there.

use super::{
    accounts::authorize,
    gate,
    world::{LOBBY, MessageState, Room, World, now},
};
use chat_protocol::{
    DEFAULT_EMOJI, STANDARD_EMOJI,
    chat::v1::{self as pb, chat_service_server::ChatService},
};
use std::sync::Arc;
use tonic::{Request, Response, Status};

pub struct ChatApi {
    pub world: Arc<World>,
}

/// chat.max_content_bytes and chat.max_content_chars, as chat-server's defaults.
const MAX_CONTENT_BYTES: usize = 16_384;
const MAX_CONTENT_CHARS: usize = 4_000;

fn check_content(content: &str) -> Result<(), Status> {
    if content.len() > MAX_CONTENT_BYTES {
        return Err(Status::invalid_argument(format!(
            "message content must be at most {MAX_CONTENT_BYTES} bytes"
        )));
    }
    if content.trim().is_empty() {
        return Err(Status::invalid_argument(
            "message content must not be empty",
        ));
    }
    if content.chars().count() > MAX_CONTENT_CHARS {
        return Err(Status::invalid_argument(format!(
            "message content must be at most {MAX_CONTENT_CHARS} characters"
        )));
    }
    Ok(())
}

/// A UUID in any case, in its canonical form, as chat-server normalises ids.
fn canonical_id(field: &str, raw: &str) -> Result<String, Status> {
    uuid::Uuid::parse_str(raw)
        .map(|id| id.to_string())
        .map_err(|_| Status::invalid_argument(format!("{field} {raw:?} is not a valid id")))
}

/// The emoji's index in the standard set; `""` is 👍.
fn emoji_index(emoji: &str) -> Result<u8, Status> {
    let emoji = if emoji.is_empty() {
        DEFAULT_EMOJI
    } else {
        emoji
    };
    STANDARD_EMOJI
        .iter()
        .position(|e| *e == emoji)
        .and_then(|i| u8::try_from(i).ok())
        .ok_or_else(|| {
            Status::invalid_argument(format!(
                "unknown reaction {emoji:?}; allowed: {}",
                STANDARD_EMOJI.join(" ")
            ))
        })
}

/// The room of a request (`""` = the lobby), which the caller must be in.
fn room_of(w: &super::world::Inner, user: usize, room_id: &str) -> Result<usize, Status> {
    if room_id.is_empty() {
        return Ok(LOBBY);
    }
    let id = canonical_id("room_id", room_id)?;
    let &room = w
        .room_by_id
        .get(&id)
        .ok_or_else(|| Status::not_found(format!("room {id} not found")))?;
    if !w.is_member(room, user) {
        return Err(Status::permission_denied(
            "you are not a member of this room",
        ));
    }
    Ok(room)
}

/// The gate of `user` in `room`: (required, still needed, previous message id).
fn gate_of(w: &super::world::Inner, user: usize, room: usize) -> (u32, u32, String) {
    let setting = w.rooms[room].required_reactions;
    let required = gate::effective_required(room == LOBBY, setting, w.member_count(room));
    let previous = w.users[user]
        .last_message
        .get(&room)
        .and_then(|id| w.messages.get(id));
    let needed = gate::needed(required, previous.map(|m| m.reactions.counted(user)));
    (
        required,
        needed,
        previous.map(|m| m.id.clone()).unwrap_or_default(),
    )
}

fn unimplemented<T>() -> Result<Response<T>, Status> {
    Err(Status::unimplemented("not in the reference server"))
}

#[tonic::async_trait]
impl ChatService for ChatApi {
    async fn send(
        &self,
        request: Request<pb::SendRequest>,
    ) -> Result<Response<pb::SendResponse>, Status> {
        let session = authorize(&self.world, request.metadata())?;
        let pb::SendRequest {
            content,
            client_request_id,
            room_id,
        } = request.into_inner();
        check_content(&content)?;
        if client_request_id.len() > 128 {
            return Err(Status::invalid_argument(
                "client_request_id must be at most 128 bytes",
            ));
        }
        let user = session.user;
        let mut w = self.world.lock();
        let room = room_of(&w, user, &room_id)?;
        let retry_key = (!client_request_id.is_empty()).then_some((user, client_request_id));
        if let Some(first) = retry_key
            .as_ref()
            .and_then(|k| w.request_ids.get(k))
            .and_then(|id| w.messages.get(id))
        {
            return Ok(Response::new(pb::SendResponse {
                message: Some(w.snapshot(first)),
            }));
        }
        let (_, needed, _) = gate_of(&w, user, room);
        if needed > 0 {
            return Err(Status::failed_precondition(gate::refusal(needed)));
        }
        let message = MessageState {
            id: uuid::Uuid::now_v7().to_string(),
            room,
            author: user,
            content,
            created_at: now(),
            reactions: gate::Reactions::default(),
        };
        let snapshot = w.snapshot(&message);
        w.users[user].last_message.insert(room, message.id.clone());
        if let Some(key) = retry_key {
            w.request_ids.insert(key, message.id.clone());
        }
        w.messages.insert(message.id.clone(), message);
        w.publish(
            room,
            pb::event::Payload::MessagePosted(pb::MessagePosted {
                message: Some(snapshot.clone()),
            }),
        );
        Ok(Response::new(pb::SendResponse {
            message: Some(snapshot),
        }))
    }

    async fn react(
        &self,
        request: Request<pb::ReactRequest>,
    ) -> Result<Response<pb::ReactResponse>, Status> {
        let session = authorize(&self.world, request.metadata())?;
        let pb::ReactRequest { message_id, emoji } = request.into_inner();
        if message_id.is_empty() {
            return Err(Status::invalid_argument("message_id is required"));
        }
        let id = canonical_id("message_id", &message_id)?;
        let emoji_at = emoji_index(&emoji)?;
        let user = session.user;
        let mut w = self.world.lock();
        let room = w
            .messages
            .get(&id)
            .map(|m| m.room)
            .ok_or_else(|| Status::not_found(format!("message {id} not found")))?;
        if !w.is_member(room, user) {
            return Err(Status::permission_denied(
                "you are not a member of this room",
            ));
        }
        let emoji = STANDARD_EMOJI[usize::from(emoji_at)];
        let added = w
            .messages
            .get_mut(&id)
            .is_some_and(|m| m.reactions.add(user, emoji_at));
        if !added {
            return Err(Status::already_exists(format!(
                "you already reacted with {emoji} to this message"
            )));
        }
        let snapshot = w.snapshot(&w.messages[&id]);
        let reactor = &w.users[user];
        let payload = pb::event::Payload::ReactionChanged(pb::ReactionChanged {
            message_id: id,
            user_id: reactor.id.clone(),
            user_name: reactor.name.clone(),
            emoji: emoji.to_owned(),
            added: true,
            message: Some(snapshot.clone()),
        });
        w.publish(room, payload);
        Ok(Response::new(pb::ReactResponse {
            message: Some(snapshot),
        }))
    }

    async fn unreact(
        &self,
        _request: Request<pb::ReactRequest>,
    ) -> Result<Response<pb::ReactResponse>, Status> {
        unimplemented()
    }

    async fn get_message(
        &self,
        _request: Request<pb::GetMessageRequest>,
    ) -> Result<Response<pb::Message>, Status> {
        unimplemented()
    }

    async fn list_messages(
        &self,
        _request: Request<pb::ListMessagesRequest>,
    ) -> Result<Response<pb::ListMessagesResponse>, Status> {
        unimplemented()
    }

    async fn get_send_status(
        &self,
        request: Request<pb::GetSendStatusRequest>,
    ) -> Result<Response<pb::SendStatus>, Status> {
        let session = authorize(&self.world, request.metadata())?;
        let room_id = request.into_inner().room_id;
        let w = self.world.lock();
        let room = room_of(&w, session.user, &room_id)?;
        let (required, needed, last_message_id) = gate_of(&w, session.user, room);
        Ok(Response::new(pb::SendStatus {
            can_send: needed == 0,
            reactions_needed: needed,
            last_message_id,
            required_reactions: required,
        }))
    }

    type SubscribeStream = futures::stream::Empty<Result<pb::Event, Status>>;

    /// Never reached: `routes::ChatRoutes` answers Subscribe itself, with frames encoded
    /// once per event instead of a `pb::Event` cloned per stream.
    async fn subscribe(
        &self,
        _request: Request<pb::SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        Err(Status::internal("Subscribe is routed to the frame codec"))
    }

    async fn ack(
        &self,
        request: Request<pb::AckRequest>,
    ) -> Result<Response<pb::AckResponse>, Status> {
        let session = authorize(&self.world, request.metadata())?;
        let up_to = request.into_inner().up_to_event_id;
        if i64::try_from(up_to).is_err() {
            return Err(Status::invalid_argument("up_to_event_id is out of range"));
        }
        session.ack(up_to);
        Ok(Response::new(pb::AckResponse {}))
    }

    async fn create_room(
        &self,
        request: Request<pb::CreateRoomRequest>,
    ) -> Result<Response<pb::Room>, Status> {
        let session = authorize(&self.world, request.metadata())?;
        let name = request.into_inner().name;
        let valid = (1..=40).contains(&name.chars().count())
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || "_.-".contains(c));
        if !valid {
            return Err(Status::invalid_argument(
                "a room name is 1 to 40 letters, digits, '_', '.' or '-'",
            ));
        }
        let user = session.user;
        let mut w = self.world.lock();
        let key = name.to_lowercase();
        if w.room_by_name.contains_key(&key) {
            return Err(Status::already_exists(format!(
                "room name {name:?} is taken"
            )));
        }
        let room = w.rooms.len();
        let id = uuid::Uuid::now_v7().to_string();
        let required_reactions = w.required_reactions;
        w.rooms.push(Room {
            id: id.clone(),
            name,
            kind: pb::RoomKind::Public,
            required_reactions,
            created_at: now(),
            members: Vec::new(),
            sessions: Vec::new(),
        });
        w.room_by_id.insert(id, room);
        w.room_by_name.insert(key, room);
        Ok(Response::new(joined(&mut w, room, user)))
    }

    async fn join_room(
        &self,
        request: Request<pb::JoinRoomRequest>,
    ) -> Result<Response<pb::Room>, Status> {
        let session = authorize(&self.world, request.metadata())?;
        let pb::JoinRoomRequest { room_id, name } = request.into_inner();
        let id = if room_id.is_empty() {
            None
        } else {
            Some(canonical_id("room_id", &room_id)?)
        };
        let mut w = self.world.lock();
        let by_id = id.as_ref().map(|id| {
            w.room_by_id
                .get(id)
                .copied()
                .ok_or_else(|| Status::not_found(format!("room {id} not found")))
        });
        let by_name = (!name.is_empty()).then(|| {
            w.room_by_name
                .get(&name.to_lowercase())
                .copied()
                .ok_or_else(|| Status::not_found(format!("room {name:?} not found")))
        });
        let room = match (by_id, by_name) {
            (None, None) => {
                return Err(Status::invalid_argument("give a room_id or a name"));
            }
            (Some(a), Some(b)) => {
                let (a, b) = (a?, b?);
                if a != b {
                    return Err(Status::invalid_argument(
                        "room_id and name name different rooms",
                    ));
                }
                a
            }
            (Some(r), None) | (None, Some(r)) => r?,
        };
        if w.rooms[room].kind == pb::RoomKind::Direct {
            return Err(Status::permission_denied("a direct room cannot be joined"));
        }
        Ok(Response::new(joined(&mut w, room, session.user)))
    }

    async fn leave_room(
        &self,
        _request: Request<pb::LeaveRoomRequest>,
    ) -> Result<Response<pb::LeaveRoomResponse>, Status> {
        unimplemented()
    }

    async fn list_rooms(
        &self,
        _request: Request<pb::ListRoomsRequest>,
    ) -> Result<Response<pb::ListRoomsResponse>, Status> {
        unimplemented()
    }

    async fn open_direct(
        &self,
        _request: Request<pb::OpenDirectRequest>,
    ) -> Result<Response<pb::Room>, Status> {
        unimplemented()
    }

    async fn list_members(
        &self,
        _request: Request<pb::ListMembersRequest>,
    ) -> Result<Response<pb::ListMembersResponse>, Status> {
        unimplemented()
    }

    async fn edit_message(
        &self,
        _request: Request<pb::EditMessageRequest>,
    ) -> Result<Response<pb::Message>, Status> {
        unimplemented()
    }

    async fn delete_message(
        &self,
        _request: Request<pb::DeleteMessageRequest>,
    ) -> Result<Response<pb::Message>, Status> {
        unimplemented()
    }
}

/// Makes `user` a member of `room` (the lobby is everyone's already) and, if that is
/// new, tells every member, the joiner included, with a `RoomChanged`. Idempotent.
fn joined(w: &mut super::world::Inner, room: usize, user: usize) -> pb::Room {
    if w.add_member(room, user) {
        let who = &w.users[user];
        let payload = pb::event::Payload::RoomChanged(pb::RoomChanged {
            room: Some(w.room_view(room)),
            user_id: who.id.clone(),
            user_name: who.name.clone(),
            joined: true,
        });
        w.publish(room, payload);
    }
    w.room_view(room)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_and_emoji_are_checked_as_chat_server_checks_them() {
        assert!(check_content("hello").is_ok());
        assert!(check_content("  \n").is_err());
        assert!(
            check_content(&"é".repeat(4001)).is_err(),
            "over 4000 characters"
        );
        assert!(
            check_content(&"x".repeat(16_385)).is_err(),
            "over 16384 bytes"
        );
        assert_eq!(emoji_index("").ok(), Some(0), "\"\" is 👍");
        assert_eq!(emoji_index("🙏").ok(), Some(8));
        assert_eq!(
            emoji_index("💩").map_err(|s| s.code()),
            Err(tonic::Code::InvalidArgument)
        );
        assert_eq!(
            canonical_id("message_id", "0190A0B0-0000-7000-8000-000000000001").ok(),
            Some("0190a0b0-0000-7000-8000-000000000001".to_owned())
        );
        assert!(canonical_id("message_id", "xyz").is_err());
    }
}
