//! Who receives an event, decided once, when it is recorded, and stored with it. Both
//! ways an event reaches a session consult this one definition: the Event entity's
//! `after_save` hook queues it for [`Audience::recipients`] (durable delivery), and a live
//! stream forwards a feed event only if [`Audience::includes`] its session (the live
//! path). Rooms will add "the members of room R" here, and nowhere else.

use crate::entity::session;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Every session that exists when the event is recorded (the lobby).
    Everyone,
}

/// What a live stream knows about the session it serves.
pub struct Recipient<'a> {
    pub session_id: &'a str,
    pub user_id: &'a str,
}

impl Audience {
    /// As stored in `events.audience`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
        }
    }

    /// The stored form back; an unknown one (a newer server's) reaches no one rather than
    /// everyone.
    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "everyone" => Some(Self::Everyone),
            _ => None,
        }
    }

    /// The ids of the sessions that receive an event recorded at `at_ms`, as a subquery
    /// for the fan-out's single `INSERT … SELECT`.
    pub fn recipients(self, at_ms: i64) -> SelectStatement {
        match self {
            Self::Everyone => Query::select()
                .column(session::Column::Id)
                .from(session::Entity)
                .and_where(Expr::col(session::Column::ExpiresAt).gt(at_ms))
                .to_owned(),
        }
    }

    /// Whether a live stream of `recipient` gets the event. The session's own creation
    /// point (`first_event_id`) is checked by the stream: whoever is in the audience,
    /// only events after a session began are queued for it.
    pub fn includes(self, _recipient: &Recipient<'_>) -> bool {
        match self {
            Self::Everyone => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_form_round_trips_and_an_unknown_one_reaches_no_one() {
        assert_eq!(
            Audience::parse(Audience::Everyone.as_str()),
            Some(Audience::Everyone)
        );
        assert_eq!(Audience::parse("room:42"), None);
        let who = Recipient {
            session_id: "s",
            user_id: "u",
        };
        assert!(Audience::Everyone.includes(&who));
    }
}
