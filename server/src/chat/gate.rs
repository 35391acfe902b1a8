//! The send gate: a user may post only after their previous message got reactions from at
//! least `required` distinct other users. Self-reactions are shown but never counted.

use crate::{
    entity::{message, reaction},
    error::Result,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait, Query, QueryStatementBuilder},
};

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

/// One query: the user's last message and how many distinct others reacted to it.
pub async fn check<C: ConnectionTrait>(db: &C, user_id: &str, required: u32) -> Result<GateState> {
    #[derive(FromQueryResult)]
    struct Last {
        id: String,
        counted: i64,
    }
    let reactor = Expr::col((reaction::Entity, reaction::Column::UserId));
    let counted = Query::select()
        .expr(reactor.clone().count_distinct())
        .from(reaction::Entity)
        .and_where(
            Expr::col((reaction::Entity, reaction::Column::MessageSeq))
                .equals((message::Entity, message::Column::Seq)),
        )
        .and_where(reactor.ne(Expr::col((message::Entity, message::Column::UserId))))
        .to_owned();
    let last = message::Entity::find()
        .select_only()
        .column(message::Column::Id)
        .expr_as(
            Expr::SubQuery(None, Box::new(counted.into_sub_query_statement())),
            "counted",
        )
        .filter(message::Column::UserId.eq(user_id))
        .order_by_desc(message::Column::Seq)
        .into_model::<Last>()
        .one(db)
        .await?;
    Ok(GateState {
        counted: last
            .as_ref()
            .map_or(0, |l| u32::try_from(l.counted).unwrap_or(u32::MAX)),
        last_message_id: last.map(|l| l.id),
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
