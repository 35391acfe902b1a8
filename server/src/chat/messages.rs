//! Posting (behind the gate, idempotent by `client_request_id`) and reading messages.

use super::{Chat, Rules, gate, snapshot};
use crate::{
    auth::Principal,
    db::{Decision, Operation, Tx, Written},
    domain::{ClientRequestId, Content, MessageId, new_id, now_ms, timestamp},
    entity::message,
    error::{Error, Result},
    events::{self, Audience},
};
use chat_protocol::chat::v1 as pb;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::sync::Arc;

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

pub async fn send(
    chat: &Chat,
    who: &Principal,
    raw_content: String,
    raw_request_id: &str,
) -> Result<pb::Message> {
    let post = Post {
        rules: Arc::clone(&chat.rules),
        who: who.clone(),
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
    content: Content,
    request_id: Option<ClientRequestId>,
}

impl Operation for Post {
    type Plan = ();
    type Output = pb::Message;

    async fn decide(&self, tx: &Tx) -> Result<Decision<(), pb::Message>> {
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
        let gate = gate::check(tx, &self.who.user_id, self.rules.required_reactions).await?;
        if !gate.can_send() {
            return Err(Error::FailedPrecondition(gate.refusal()));
        }
        Ok(Decision::Write(()))
    }

    async fn apply(self, tx: &Tx, (): ()) -> Result<Written<pb::Message>> {
        let now = now_ms();
        let row = message::ActiveModel {
            id: Set(new_id()),
            user_id: Set(self.who.user_id.clone()),
            content: Set(self.content.into_inner()),
            created_at: Set(now),
            client_request_id: Set(self.request_id.map(ClientRequestId::into_inner)),
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
        };
        let payload = pb::event::Payload::MessagePosted(pb::MessagePosted {
            message: Some(posted.clone()),
        });
        let event_id = events::record(tx, Audience::Everyone, payload, now).await?;
        Ok(Written::with_event(posted, event_id))
    }
}

pub async fn get(chat: &Chat, raw_id: &str) -> Result<pb::Message> {
    let id = MessageId::parse(raw_id)?;
    let row = find(chat, &id).await?;
    snapshot::build_one(chat.db.conn(), &chat.rules.emoji, row).await
}

/// Oldest first; `has_more` says whether older messages exist before the page.
pub async fn list(chat: &Chat, raw_before: &str, limit: u32) -> Result<(Vec<pb::Message>, bool)> {
    let before = MessageId::parse_optional(raw_before)?;
    let limit = match limit {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    };
    let mut query = message::Entity::find().order_by_desc(message::Column::Seq);
    if let Some(before) = before {
        let anchor = find(chat, &before).await?;
        query = query.filter(message::Column::Seq.lt(anchor.seq));
    }
    let mut rows = query
        .limit(u64::from(limit) + 1)
        .all(chat.db.conn())
        .await?;
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    rows.reverse();
    Ok((
        snapshot::build(chat.db.conn(), &chat.rules.emoji, rows).await?,
        has_more,
    ))
}

pub async fn send_status(chat: &Chat, who: &Principal) -> Result<pb::SendStatus> {
    let gate = gate::check(chat.db.conn(), &who.user_id, chat.rules.required_reactions).await?;
    Ok(pb::SendStatus {
        can_send: gate.can_send(),
        reactions_needed: gate.needed(),
        last_message_id: gate.last_message_id.unwrap_or_default(),
        required_reactions: gate.required,
    })
}

pub async fn find(chat: &Chat, id: &MessageId) -> Result<message::Model> {
    message::Entity::find()
        .filter(message::Column::Id.eq(id.as_str()))
        .one(chat.db.conn())
        .await?
        .ok_or_else(|| Error::not_found(format!("message {} not found", id.as_str())))
}
