//! The send gate, per room: a user may post in a room only after their previous message
//! there got reactions from at least `required` distinct other users. Self-reactions are
//! shown but never counted.

use super::membership;
use crate::{
    entity::{message, reaction},
    error::Result,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashSet;

pub struct GateState {
    pub last_message_id: Option<String>,
    pub counted: u32,
    pub required: u32,
}

impl GateState {
    pub fn can_send(&self) -> bool {
        self.last_message_id.is_none() || self.counted >= self.required
    }

    pub fn needed(&self) -> u32 {
        if self.last_message_id.is_none() {
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

/// The reactions that count toward the gate: one per distinct user other than the
/// author. The one definition, used by the gate and by every `Message` it describes.
pub fn counted<'a>(author: &str, reactors: impl IntoIterator<Item = &'a str>) -> u32 {
    let others: HashSet<&str> = reactors.into_iter().filter(|r| *r != author).collect();
    u32::try_from(others.len()).unwrap_or(u32::MAX)
}

/// What a Send in the room needs: the room's `setting`, but never more than the other
/// members there are now (so a DM needs the other person, a room of one nobody).
///
/// The lobby keeps the configured number whatever its size: a client that knows nothing
/// of rooms sees the gate exactly as before rooms existed (issue 13 asks for that, over
/// DESIGN §7's cap, which only differs for a lobby of `required` users or fewer).
pub async fn effective_required<C: ConnectionTrait>(
    db: &C,
    room_id: &str,
    setting: u32,
) -> Result<u32> {
    if room_id == crate::domain::LOBBY_ROOM_ID {
        return Ok(setting);
    }
    let members = membership::member_count(db, room_id, u64::from(setting) + 1).await?;
    let others = u32::try_from(members.saturating_sub(1)).unwrap_or(u32::MAX);
    Ok(setting.min(others))
}

/// The user's last message in the room (a tombstone too: deleting never reopens the
/// gate) and how many distinct others reacted to it.
pub async fn check<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    room_id: &str,
    required: u32,
) -> Result<GateState> {
    let last = message::Entity::find()
        .filter(message::Column::UserId.eq(user_id))
        .filter(message::Column::RoomId.eq(room_id))
        .order_by_desc(message::Column::Seq)
        .one(db)
        .await?;
    let Some(last) = last else {
        return Ok(GateState {
            last_message_id: None,
            counted: 0,
            required,
        });
    };
    let reactors: Vec<String> = reaction::Entity::find()
        .select_only()
        .column(reaction::Column::UserId)
        .filter(reaction::Column::MessageSeq.eq(last.seq))
        .into_tuple()
        .all(db)
        .await?;
    Ok(GateState {
        counted: counted(&last.user_id, reactors.iter().map(String::as_str)),
        last_message_id: Some(last.id),
        required,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(last: bool, counted: u32) -> GateState {
        GateState {
            last_message_id: last.then(|| "m".to_owned()),
            counted,
            required: 2,
        }
    }

    #[test]
    fn only_distinct_other_users_count() {
        assert_eq!(counted("me", ["me", "me"]), 0);
        assert_eq!(counted("me", ["a", "a", "me", "b"]), 2);
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
