//! Editing and deleting one's own messages. Neither touches the gate: an edit keeps the
//! reactions, and a tombstone keeps them too and stays its author's previous message, so
//! deleting can neither reopen a closed gate nor lock its author out.

use super::{Chat, Rules, mentions, messages, snapshot};
use crate::{
    auth::Principal,
    db::{Decision, Operation, Tx, Written},
    domain::{Content, MessageId, RoomId, now_ms},
    entity::message,
    error::{Error, Result},
    events::{self, Audience},
};
use chat_protocol::chat::v1 as pb;
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use std::sync::Arc;

pub async fn edit(
    chat: &Chat,
    who: &Principal,
    raw_id: &str,
    raw_content: String,
) -> Result<pb::Message> {
    let id = MessageId::parse(raw_id)?;
    let content = Content::parse(raw_content, chat.rules.content_limits)?;
    chat.db
        .write(Change {
            rules: Arc::clone(&chat.rules),
            who: who.clone(),
            id,
            new_content: Some(content),
        })
        .await
}

pub async fn delete(chat: &Chat, who: &Principal, raw_id: &str) -> Result<pb::Message> {
    let id = MessageId::parse(raw_id)?;
    chat.db
        .write(Change {
            rules: Arc::clone(&chat.rules),
            who: who.clone(),
            id,
            new_content: None,
        })
        .await
}

/// An edit (`Some` content) or a delete (`None`).
struct Change {
    rules: Arc<Rules>,
    who: Principal,
    id: MessageId,
    new_content: Option<Content>,
}

impl Operation for Change {
    type Plan = message::Model;
    type Output = pb::Message;

    async fn decide(&self, tx: &Tx) -> Result<Decision<message::Model, pb::Message>> {
        let target = messages::find_readable(tx, &self.id, &self.who.user_id).await?;
        let (verb, done) = match self.new_content {
            Some(_) => ("edit", "edited"),
            None => ("delete", "deleted"),
        };
        if target.user_id != self.who.user_id {
            return Err(Error::PermissionDenied(format!(
                "only its author can {verb} a message"
            )));
        }
        if target.deleted_at.is_some() {
            return Err(Error::FailedPrecondition(format!(
                "the message was deleted; it cannot be {done} any more"
            )));
        }
        Ok(Decision::Write(target))
    }

    async fn apply(self, tx: &Tx, target: message::Model) -> Result<Written<pb::Message>> {
        let now = now_ms();
        let room = RoomId::stored(target.room_id.clone());
        let mut row = target.into_active_model();
        let edited = self.new_content.is_some();
        match self.new_content {
            Some(content) => {
                let content = content.into_inner();
                let mentioned =
                    mentions::resolve(tx, room.as_str(), &self.who.user_id, &content).await?;
                row.content = Set(content);
                row.mentioned_user_ids = Set(mentions::to_stored(&mentioned));
                row.edited_at = Set(Some(now));
            }
            None => {
                row.content = Set(String::new());
                row.mentioned_user_ids = Set(String::new());
                row.deleted_at = Set(Some(now));
            }
        }
        let row = row.update(tx).await?;
        let message = snapshot::build_one(tx, &self.rules.emoji, row).await?;
        let payload = if edited {
            pb::event::Payload::MessageEdited(pb::MessageEdited {
                message: Some(message.clone()),
            })
        } else {
            pb::event::Payload::MessageDeleted(pb::MessageDeleted {
                message: Some(message.clone()),
            })
        };
        let event_id = events::record(tx, Audience::of_room(&room), payload, now).await?;
        Ok(Written::with_event(message, event_id))
    }
}
