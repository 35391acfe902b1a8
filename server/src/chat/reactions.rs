//! Adding and removing reactions; each change is an event carrying the updated message.

use super::{events, snapshot};
use crate::{
    auth::Principal,
    domain::{Emoji, MessageId, now_ms},
    entity::{message, reaction},
    error::{Error, Result},
    state::AppState,
};
use chat_protocol::chat::v1 as pb;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TryInsertResult};
use std::sync::Arc;

pub async fn react(
    state: &Arc<AppState>,
    who: &Principal,
    raw_id: &str,
    raw_emoji: &str,
) -> Result<pb::Message> {
    change(state, who, raw_id, raw_emoji, true).await
}

pub async fn unreact(
    state: &Arc<AppState>,
    who: &Principal,
    raw_id: &str,
    raw_emoji: &str,
) -> Result<pb::Message> {
    change(state, who, raw_id, raw_emoji, false).await
}

async fn change(
    state: &Arc<AppState>,
    who: &Principal,
    raw_id: &str,
    raw_emoji: &str,
    add: bool,
) -> Result<pb::Message> {
    let id = MessageId::parse(raw_id)?;
    let emoji = state.emoji.parse(raw_emoji)?;
    let (task_state, task_who) = (Arc::clone(state), who.clone());
    let (updated, event_id) = state
        .db
        .ordered(move |txn| {
            Box::pin(async move { apply(&task_state, txn, &task_who, &id, &emoji, add).await })
        })
        .await?;
    state.notifier.notify(event_id);
    crate::metrics::get().event_committed();
    Ok(updated)
}

/// The updated message and the id of the event recording the change.
async fn apply<C: ConnectionTrait>(
    state: &AppState,
    txn: &C,
    who: &Principal,
    id: &MessageId,
    emoji: &Emoji,
    add: bool,
) -> Result<(pb::Message, i64)> {
    let target = message::Entity::find()
        .filter(message::Column::Id.eq(id.as_str()))
        .one(txn)
        .await?
        .ok_or_else(|| Error::not_found(format!("message {} not found", id.as_str())))?;
    let now = now_ms();
    if add {
        let row = reaction::ActiveModel {
            message_seq: Set(target.seq),
            user_id: Set(who.user_id.clone()),
            emoji: Set(emoji.as_str().to_owned()),
            created_at: Set(now),
            ..Default::default()
        };
        // The unique index is the authority on duplicates, also under concurrency; a
        // conflict writes nothing, so the refusal leaves a shared commit intact.
        let inserted = reaction::Entity::insert(row)
            .on_conflict_do_nothing_on([
                reaction::Column::MessageSeq,
                reaction::Column::UserId,
                reaction::Column::Emoji,
            ])
            .exec_without_returning(txn)
            .await?;
        if !matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
            return Err(already_reacted(emoji));
        }
    } else {
        let deleted = reaction::Entity::delete_many()
            .filter(reaction::Column::MessageSeq.eq(target.seq))
            .filter(reaction::Column::UserId.eq(&who.user_id))
            .filter(reaction::Column::Emoji.eq(emoji.as_str()))
            .exec(txn)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(Error::not_found(format!(
                "you have not reacted with {} to this message",
                emoji.as_str()
            )));
        }
    }
    let updated = snapshot::build_one(txn, &state.emoji, target).await?;
    let payload = pb::event::Payload::ReactionChanged(pb::ReactionChanged {
        message_id: updated.message_id.clone(),
        user_id: who.user_id.clone(),
        user_name: who.user_name.clone(),
        emoji: emoji.as_str().to_owned(),
        added: add,
        message: Some(updated.clone()),
    });
    let event_id = events::record(txn, payload, now).await?;
    Ok((updated, event_id))
}

fn already_reacted(emoji: &Emoji) -> Error {
    Error::AlreadyExists(format!(
        "you already reacted with {} to this message",
        emoji.as_str()
    ))
}
