//! Adding and removing reactions; each change is an event carrying the updated message.

use super::{events, snapshot};
use crate::{
    auth::Principal,
    db::WriteTxn,
    domain::{Emoji, MessageId, now_ms},
    entity::{message, reaction},
    error::{Error, Result},
    state::AppState,
};
use chat_protocol::chat::v1 as pb;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

pub async fn react(
    state: &AppState,
    who: &Principal,
    raw_id: &str,
    raw_emoji: &str,
) -> Result<pb::Message> {
    change(state, who, raw_id, raw_emoji, true).await
}

pub async fn unreact(
    state: &AppState,
    who: &Principal,
    raw_id: &str,
    raw_emoji: &str,
) -> Result<pb::Message> {
    change(state, who, raw_id, raw_emoji, false).await
}

async fn change(
    state: &AppState,
    who: &Principal,
    raw_id: &str,
    raw_emoji: &str,
    add: bool,
) -> Result<pb::Message> {
    let id = MessageId::parse(raw_id)?;
    let emoji = state.emoji.parse(raw_emoji)?;
    let txn = state.db.begin_ordered().await?;
    let outcome = apply(state, &txn, who, &id, &emoji, add).await;
    let (updated, event_id) = txn.finish(outcome).await?;
    state.notifier.notify(event_id);
    Ok(updated)
}

/// The updated message and the id of the event recording the change.
async fn apply(
    state: &AppState,
    txn: &WriteTxn,
    who: &Principal,
    id: &MessageId,
    emoji: &Emoji,
    add: bool,
) -> Result<(pb::Message, i64)> {
    let target = message::Entity::find()
        .filter(message::Column::Id.eq(id.as_str()))
        .one(&**txn)
        .await?
        .ok_or_else(|| Error::not_found(format!("message {} not found", id.as_str())))?;
    let now = now_ms();
    if add {
        reaction::ActiveModel {
            message_seq: Set(target.seq),
            user_id: Set(who.user_id.clone()),
            emoji: Set(emoji.as_str().to_owned()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&**txn)
        .await
        // The unique index is the authority on duplicates, also under concurrency.
        .map_err(|e| match Error::from(e) {
            Error::AlreadyExists(_) => already_reacted(emoji),
            other => other,
        })?;
    } else {
        let deleted = reaction::Entity::delete_many()
            .filter(reaction::Column::MessageSeq.eq(target.seq))
            .filter(reaction::Column::UserId.eq(&who.user_id))
            .filter(reaction::Column::Emoji.eq(emoji.as_str()))
            .exec(&**txn)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(Error::not_found(format!(
                "you have not reacted with {} to this message",
                emoji.as_str()
            )));
        }
    }
    let updated = snapshot::build_one(&**txn, &state.emoji, target).await?;
    let payload = pb::event::Payload::ReactionChanged(pb::ReactionChanged {
        message_id: updated.message_id.clone(),
        user_id: who.user_id.clone(),
        user_name: who.user_name.clone(),
        emoji: emoji.as_str().to_owned(),
        added: add,
        message: Some(updated.clone()),
    });
    let event_id = events::record(&**txn, payload, now).await?;
    Ok((updated, event_id))
}

fn already_reacted(emoji: &Emoji) -> Error {
    Error::AlreadyExists(format!(
        "you already reacted with {} to this message",
        emoji.as_str()
    ))
}
