//! Posting (behind the gate, idempotent by `client_request_id`) and reading messages.

use super::{events, gate, snapshot};
use crate::{
    auth::Principal,
    domain::{ClientRequestId, Content, MessageId, new_id, now_ms, timestamp},
    entity::message,
    error::{Error, Result},
    state::AppState,
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
    state: &Arc<AppState>,
    who: &Principal,
    raw_content: String,
    raw_request_id: &str,
) -> Result<pb::Message> {
    let content = Content::parse(raw_content, state.content_limits)?;
    let request_id = ClientRequestId::parse_optional(raw_request_id)?;

    // An ordered operation holds the check and the insert together, so of N concurrent
    // sends through an open gate exactly one gets in.
    let (task_state, task_who) = (Arc::clone(state), who.clone());
    let (message, event_id) = state
        .db
        .ordered(move |txn| {
            Box::pin(async move { post(&task_state, txn, &task_who, content, request_id).await })
        })
        .await?;
    if let Some(event_id) = event_id {
        state.notifier.notify(event_id);
        crate::metrics::get().event_committed();
        tracing::debug!(user_id = %who.user_id, message_id = %message.message_id, event_id, "posted");
    }
    Ok(message)
}

/// The message, and the id of the event it created (`None` for a retry).
async fn post<C: ConnectionTrait>(
    state: &AppState,
    txn: &C,
    who: &Principal,
    content: Content,
    request_id: Option<ClientRequestId>,
) -> Result<(pb::Message, Option<i64>)> {
    if let Some(request_id) = &request_id {
        let earlier = message::Entity::find()
            .filter(message::Column::UserId.eq(&who.user_id))
            .filter(message::Column::ClientRequestId.eq(request_id.clone().into_inner()))
            .one(txn)
            .await?;
        if let Some(earlier) = earlier {
            // A retry: the first result, even if the gate has closed since.
            return Ok((snapshot::build_one(txn, &state.emoji, earlier).await?, None));
        }
    }
    let gate = gate::check(txn, &who.user_id, state.settings.chat.required_reactions).await?;
    if !gate.can_send() {
        return Err(Error::FailedPrecondition(gate.refusal()));
    }

    let now = now_ms();
    let row = message::ActiveModel {
        id: Set(new_id()),
        user_id: Set(who.user_id.clone()),
        content: Set(content.into_inner()),
        created_at: Set(now),
        client_request_id: Set(request_id.map(ClientRequestId::into_inner)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let posted = pb::Message {
        message_id: row.id,
        user_id: row.user_id,
        user_name: who.user_name.clone(),
        content: row.content,
        created_at: Some(timestamp(now)),
        reactions: Vec::new(),
        counted_reactions: 0,
    };
    let payload = pb::event::Payload::MessagePosted(pb::MessagePosted {
        message: Some(posted.clone()),
    });
    let event_id = events::record(txn, payload, now).await?;
    Ok((posted, Some(event_id)))
}

pub async fn get(state: &AppState, raw_id: &str) -> Result<pb::Message> {
    let id = MessageId::parse(raw_id)?;
    let row = find(state, &id).await?;
    snapshot::build_one(state.db.conn(), &state.emoji, row).await
}

/// Oldest first; `has_more` says whether older messages exist before the page.
pub async fn list(
    state: &AppState,
    raw_before: &str,
    limit: u32,
) -> Result<(Vec<pb::Message>, bool)> {
    let before = MessageId::parse_optional(raw_before)?;
    let limit = match limit {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    };
    let mut query = message::Entity::find().order_by_desc(message::Column::Seq);
    if let Some(before) = before {
        let anchor = find(state, &before).await?;
        query = query.filter(message::Column::Seq.lt(anchor.seq));
    }
    let mut rows = query
        .limit(u64::from(limit) + 1)
        .all(state.db.conn())
        .await?;
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    rows.reverse();
    Ok((
        snapshot::build(state.db.conn(), &state.emoji, rows).await?,
        has_more,
    ))
}

pub async fn send_status(state: &AppState, who: &Principal) -> Result<pb::SendStatus> {
    let gate = gate::check(
        state.db.conn(),
        &who.user_id,
        state.settings.chat.required_reactions,
    )
    .await?;
    Ok(pb::SendStatus {
        can_send: gate.can_send(),
        reactions_needed: gate.needed(),
        last_message_id: gate.last_message_id.unwrap_or_default(),
        required_reactions: gate.required,
    })
}

pub async fn find(state: &AppState, id: &MessageId) -> Result<message::Model> {
    message::Entity::find()
        .filter(message::Column::Id.eq(id.as_str()))
        .one(state.db.conn())
        .await?
        .ok_or_else(|| Error::not_found(format!("message {} not found", id.as_str())))
}
