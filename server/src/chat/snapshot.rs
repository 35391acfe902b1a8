//! Builds API `Message`s (with reaction chips and the gate's count) from rows, in a fixed
//! number of queries however many messages there are.

use crate::{
    domain::{EmojiSet, timestamp},
    entity::{message, reaction, user},
    error::Result,
};
use chat_protocol::chat::v1 as pb;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::{BTreeSet, HashMap};

pub async fn build<C: ConnectionTrait>(
    db: &C,
    emoji: &EmojiSet,
    messages: Vec<message::Model>,
) -> Result<Vec<pb::Message>> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let seqs: Vec<i64> = messages.iter().map(|m| m.seq).collect();
    let reactions = reaction::Entity::find()
        .filter(reaction::Column::MessageSeq.is_in(seqs))
        .order_by_asc(reaction::Column::Id)
        .all(db)
        .await?;
    let user_ids: BTreeSet<&str> = messages
        .iter()
        .map(|m| m.user_id.as_str())
        .chain(reactions.iter().map(|r| r.user_id.as_str()))
        .collect();
    let names: HashMap<String, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();

    let mut by_message: HashMap<i64, Vec<&reaction::Model>> = HashMap::new();
    for r in &reactions {
        by_message.entry(r.message_seq).or_default().push(r);
    }
    Ok(messages
        .into_iter()
        .map(|m| {
            let rs = by_message.remove(&m.seq).unwrap_or_default();
            assemble(m, &rs, &names, emoji)
        })
        .collect())
}

pub async fn build_one<C: ConnectionTrait>(
    db: &C,
    emoji: &EmojiSet,
    message: message::Model,
) -> Result<pb::Message> {
    let mut built = build(db, emoji, vec![message]).await?;
    built
        .pop()
        .ok_or_else(|| crate::error::Error::internal("snapshot of one message came back empty"))
}

fn assemble(
    m: message::Model,
    reactions: &[&reaction::Model],
    names: &HashMap<String, String>,
    emoji: &EmojiSet,
) -> pb::Message {
    let name_of = |id: &str| names.get(id).cloned().unwrap_or_default();
    let mut chips: Vec<pb::ReactionCount> = Vec::new();
    for r in reactions {
        match chips.iter_mut().find(|c| c.emoji == r.emoji) {
            Some(chip) => {
                chip.count += 1;
                chip.user_names.push(name_of(&r.user_id));
            }
            None => chips.push(pb::ReactionCount {
                emoji: r.emoji.clone(),
                count: 1,
                user_names: vec![name_of(&r.user_id)],
            }),
        }
    }
    // Chips in the configured order, so every client shows them the same way.
    chips.sort_by_key(|c| emoji.rank(&c.emoji));
    let counted = super::gate::counted(&m.user_id, reactions.iter().map(|r| r.user_id.as_str()));
    pb::Message {
        message_id: m.id,
        user_name: name_of(&m.user_id),
        user_id: m.user_id,
        content: m.content,
        created_at: Some(timestamp(m.created_at)),
        reactions: chips,
        counted_reactions: counted,
        room_id: m.room_id,
        edited_at: m.edited_at.map(timestamp),
        deleted: m.deleted_at.is_some(),
        mentioned_user_ids: super::mentions::from_stored(&m.mentioned_user_ids),
    }
}
