//! Posting (behind the room's gate, idempotent by `client_request_id`) and reading a
//! room's messages.

use super::{Chat, Rules, gate, membership, mentions, snapshot};
use crate::{
    auth::Principal,
    db::{Decision, Operation, Tx, Written},
    domain::{ClientRequestId, Content, MessageId, RoomId, new_id, now_ms, timestamp},
    entity::message,
    error::{Error, Result},
    events::{self, Audience},
};
use chat_protocol::chat::v1 as pb;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::sync::Arc;

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

pub async fn send(
    chat: &Chat,
    who: &Principal,
    raw_content: String,
    raw_request_id: &str,
    raw_room: &str,
) -> Result<pb::Message> {
    let post = Post {
        rules: Arc::clone(&chat.rules),
        who: who.clone(),
        room: RoomId::parse_or_lobby(raw_room)?,
        content: Content::parse(raw_content, chat.rules.content_limits)?,
        request_id: ClientRequestId::parse_optional(raw_request_id)?,
    };
    let message = chat.db.write(post).await?;
    tracing::debug!(user_id = %who.user_id, message_id = %message.message_id, "posted");
    Ok(message)
}

/// A post: in the group commit the gate's check and the insert are one step, so of N
/// concurrent sends through an open gate exactly one gets in.
struct Post {
    rules: Arc<Rules>,
    who: Principal,
    room: RoomId,
    content: Content,
    request_id: Option<ClientRequestId>,
}

impl Operation for Post {
    type Plan = ();
    type Output = pb::Message;

    async fn decide(&self, tx: &Tx) -> Result<Decision<(), pb::Message>> {
        let setting =
            membership::gate_setting(tx, &self.rules, &self.room, &self.who.user_id).await?;
        if let Some(request_id) = &self.request_id {
            let earlier = message::Entity::find()
                .filter(message::Column::UserId.eq(&self.who.user_id))
                .filter(message::Column::ClientRequestId.eq(request_id.as_str()))
                .one(tx)
                .await?;
            if let Some(earlier) = earlier {
                // A retry: the first result, even if the gate has closed since.
                let first = snapshot::build_one(tx, &self.rules.emoji, earlier).await?;
                return Ok(Decision::Answer(first));
            }
        }
        let required = gate::effective_required(tx, self.room.as_str(), setting).await?;
        let gate = gate::check(tx, &self.who.user_id, self.room.as_str(), required).await?;
        if !gate.can_send() {
            return Err(Error::FailedPrecondition(gate.refusal()));
        }
        Ok(Decision::Write(()))
    }

    async fn apply(self, tx: &Tx, (): ()) -> Result<Written<pb::Message>> {
        let now = now_ms();
        let content = self.content.into_inner();
        let mentioned =
            mentions::resolve(tx, self.room.as_str(), &self.who.user_id, &content).await?;
        let row = message::ActiveModel {
            id: Set(new_id()),
            user_id: Set(self.who.user_id.clone()),
            content: Set(content),
            created_at: Set(now),
            client_request_id: Set(self.request_id.map(ClientRequestId::into_inner)),
            room_id: Set(self.room.as_str().to_owned()),
            edited_at: Set(None),
            deleted_at: Set(None),
            mentioned_user_ids: Set(mentions::to_stored(&mentioned)),
            ..Default::default()
        }
        .insert(tx)
        .await?;
        let posted = pb::Message {
            message_id: row.id,
            user_id: row.user_id,
            user_name: self.who.user_name,
            content: row.content,
            created_at: Some(timestamp(now)),
            reactions: Vec::new(),
            counted_reactions: 0,
            room_id: row.room_id,
            edited_at: None,
            deleted: false,
            mentioned_user_ids: mentioned,
        };
        let payload = pb::event::Payload::MessagePosted(pb::MessagePosted {
            message: Some(posted.clone()),
        });
        let event_id = events::record(tx, Audience::of_room(&self.room), payload, now).await?;
        Ok(Written::with_event(posted, event_id))
    }
}

pub async fn get(chat: &Chat, who: &Principal, raw_id: &str) -> Result<pb::Message> {
    let id = MessageId::parse(raw_id)?;
    let row = find_readable(chat.db.conn(), &id, &who.user_id).await?;
    snapshot::build_one(chat.db.conn(), &chat.rules.emoji, row).await
}

/// Oldest first; `has_more` says whether older messages exist before the page.
pub async fn list(
    chat: &Chat,
    who: &Principal,
    raw_room: &str,
    raw_before: &str,
    limit: u32,
) -> Result<(Vec<pb::Message>, bool)> {
    let room = RoomId::parse_or_lobby(raw_room)?;
    let before = MessageId::parse_optional(raw_before)?;
    let db = chat.db.conn();
    if !room.is_lobby() {
        membership::require_member(db, &room, &who.user_id).await?;
    }
    let limit = match limit {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    };
    let mut query = message::Entity::find()
        .filter(message::Column::RoomId.eq(room.as_str()))
        .order_by_desc(message::Column::Seq);
    if let Some(before) = before {
        let anchor = find(db, &before).await?;
        if anchor.room_id != room.as_str() {
            // Another room's message: as far as this room goes, it does not exist.
            return Err(not_found(&before));
        }
        query = query.filter(message::Column::Seq.lt(anchor.seq));
    }
    let mut rows = query.limit(u64::from(limit) + 1).all(db).await?;
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    rows.reverse();
    Ok((
        snapshot::build(db, &chat.rules.emoji, rows).await?,
        has_more,
    ))
}

pub async fn send_status(chat: &Chat, who: &Principal, raw_room: &str) -> Result<pb::SendStatus> {
    let room = RoomId::parse_or_lobby(raw_room)?;
    let db = chat.db.conn();
    let setting = membership::gate_setting(db, &chat.rules, &room, &who.user_id).await?;
    let required = gate::effective_required(db, room.as_str(), setting).await?;
    let gate = gate::check(db, &who.user_id, room.as_str(), required).await?;
    Ok(pb::SendStatus {
        can_send: gate.can_send(),
        reactions_needed: gate.needed(),
        last_message_id: gate.last_message_id.unwrap_or_default(),
        required_reactions: gate.required,
    })
}

pub async fn find<C: ConnectionTrait>(db: &C, id: &MessageId) -> Result<message::Model> {
    message::Entity::find()
        .filter(message::Column::Id.eq(id.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))
}

/// The message, if it exists (`NOT_FOUND`) and its room is the user's
/// (`PERMISSION_DENIED`).
pub async fn find_readable<C: ConnectionTrait>(
    db: &C,
    id: &MessageId,
    user_id: &str,
) -> Result<message::Model> {
    let row = find(db, id).await?;
    if membership::is_member(db, &row.room_id, user_id).await? {
        Ok(row)
    } else {
        Err(membership::not_a_member())
    }
}

fn not_found(id: &MessageId) -> Error {
    Error::not_found(format!("message {} not found", id.as_str()))
}
