//! Adding and removing reactions; each change is an event carrying the updated message.

use super::{Chat, Rules, messages, snapshot};
use crate::{
    auth::Principal,
    db::{Decision, Operation, Tx, Written},
    domain::{Emoji, MessageId, RoomId, now_ms},
    entity::{message, reaction},
    error::{Error, Result},
    events::{self, Audience},
};
use chat_protocol::chat::v1 as pb;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::sync::Arc;

pub async fn react(
    chat: &Chat,
    who: &Principal,
    raw_id: &str,
    raw_emoji: &str,
) -> Result<pb::Message> {
    change(chat, who, raw_id, raw_emoji, true).await
}

pub async fn unreact(
    chat: &Chat,
    who: &Principal,
    raw_id: &str,
    raw_emoji: &str,
) -> Result<pb::Message> {
    change(chat, who, raw_id, raw_emoji, false).await
}

async fn change(
    chat: &Chat,
    who: &Principal,
    raw_id: &str,
    raw_emoji: &str,
    add: bool,
) -> Result<pb::Message> {
    let change = Change {
        rules: Arc::clone(&chat.rules),
        who: who.clone(),
        id: MessageId::parse(raw_id)?,
        emoji: chat.rules.emoji.parse(raw_emoji)?,
        add,
    };
    chat.db.write(change).await
}

/// Adding or removing one reaction; both are events carrying the updated message.
struct Change {
    rules: Arc<Rules>,
    who: Principal,
    id: MessageId,
    emoji: Emoji,
    add: bool,
}

impl Operation for Change {
    /// The message reacted to.
    type Plan = message::Model;
    type Output = pb::Message;

    async fn decide(&self, tx: &Tx) -> Result<Decision<message::Model, pb::Message>> {
        // A tombstone may still be reacted to; another room's message may not.
        let target = messages::find_readable(tx, &self.id, &self.who.user_id).await?;
        // Operations run one at a time under the ordering lock, so what this reads is
        // still true when `apply` writes (the unique index stays the last word).
        let exists = reaction::Entity::find()
            .filter(reaction::Column::MessageSeq.eq(target.seq))
            .filter(reaction::Column::UserId.eq(&self.who.user_id))
            .filter(reaction::Column::Emoji.eq(self.emoji.as_str()))
            .one(tx)
            .await?
            .is_some();
        match (self.add, exists) {
            (true, true) => Err(already_reacted(&self.emoji)),
            (false, false) => Err(Error::not_found(format!(
                "you have not reacted with {} to this message",
                self.emoji.as_str()
            ))),
            _ => Ok(Decision::Write(target)),
        }
    }

    async fn apply(self, tx: &Tx, target: message::Model) -> Result<Written<pb::Message>> {
        let now = now_ms();
        if self.add {
            reaction::ActiveModel {
                message_seq: Set(target.seq),
                user_id: Set(self.who.user_id.clone()),
                emoji: Set(self.emoji.as_str().to_owned()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(tx)
            .await?;
        } else {
            reaction::Entity::delete_many()
                .filter(reaction::Column::MessageSeq.eq(target.seq))
                .filter(reaction::Column::UserId.eq(&self.who.user_id))
                .filter(reaction::Column::Emoji.eq(self.emoji.as_str()))
                .exec(tx)
                .await?;
        }
        let audience = Audience::of_room(&RoomId::stored(target.room_id.clone()));
        let updated = snapshot::build_one(tx, &self.rules.emoji, target).await?;
        let payload = pb::event::Payload::ReactionChanged(pb::ReactionChanged {
            message_id: updated.message_id.clone(),
            user_id: self.who.user_id,
            user_name: self.who.user_name,
            emoji: self.emoji.as_str().to_owned(),
            added: self.add,
            message: Some(updated.clone()),
        });
        let event_id = events::record(tx, audience, payload, now).await?;
        Ok(Written::with_event(updated, event_id))
    }
}

fn already_reacted(emoji: &Emoji) -> Error {
    Error::AlreadyExists(format!(
        "you already reacted with {} to this message",
        emoji.as_str()
    ))
}
