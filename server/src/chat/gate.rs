//! The send gate: a user may post only after their previous message got reactions from at
//! least `required` distinct other users. Self-reactions are shown but never counted.

use crate::{
    entity::{message, reaction},
    error::Result,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

pub struct GateState {
    pub last_message: Option<message::Model>,
    pub counted: u32,
    pub required: u32,
}

impl GateState {
    pub fn can_send(&self) -> bool {
        self.last_message.is_none() || self.counted >= self.required
    }

    pub fn needed(&self) -> u32 {
        if self.last_message.is_none() {
            0
        } else {
            self.required.saturating_sub(self.counted)
        }
    }

    /// The refusal, with the number still needed in digits.
    pub fn refusal(&self) -> String {
        match self.needed() {
            1 => "your previous message needs 1 more reaction from another user".to_owned(),
            n => format!("your previous message needs {n} more reactions from other users"),
        }
    }
}

pub async fn check<C: ConnectionTrait>(db: &C, user_id: &str, required: u32) -> Result<GateState> {
    let last_message = message::Entity::find()
        .filter(message::Column::UserId.eq(user_id))
        .order_by_desc(message::Column::Seq)
        .one(db)
        .await?;
    let counted = match &last_message {
        None => 0,
        Some(m) => counted_reactions(db, m.seq, &m.user_id).await?,
    };
    Ok(GateState {
        last_message,
        counted,
        required,
    })
}

/// Distinct users other than the author who reacted (with any emoji).
pub async fn counted_reactions<C: ConnectionTrait>(
    db: &C,
    message_seq: i64,
    author_id: &str,
) -> Result<u32> {
    let reactors = reaction::Entity::find()
        .select_only()
        .column(reaction::Column::UserId)
        .distinct()
        .filter(reaction::Column::MessageSeq.eq(message_seq))
        .filter(reaction::Column::UserId.ne(author_id))
        .count(db)
        .await?;
    Ok(u32::try_from(reactors).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(last: bool, counted: u32) -> GateState {
        let last_message = last.then(|| message::Model {
            seq: 1,
            id: "m".into(),
            user_id: "u".into(),
            content: "hi".into(),
            created_at: 0,
            client_request_id: None,
        });
        GateState {
            last_message,
            counted,
            required: 2,
        }
    }

    #[test]
    fn a_first_message_is_always_allowed() {
        assert!(state(false, 0).can_send());
        assert_eq!(state(false, 0).needed(), 0);
    }

    #[test]
    fn the_gate_opens_at_the_required_count() {
        assert!(!state(true, 0).can_send());
        assert!(!state(true, 1).can_send());
        assert!(state(true, 2).can_send());
        assert!(state(true, 5).can_send());
    }

    #[test]
    fn the_refusal_gives_the_number_in_digits() {
        assert_eq!(
            state(true, 1).refusal(),
            "your previous message needs 1 more reaction from another user"
        );
        assert_eq!(
            state(true, 0).refusal(),
            "your previous message needs 2 more reactions from other users"
        );
    }
}
