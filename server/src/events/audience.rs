//! Who receives an event, decided once, when it is recorded, and stored with it. Both
//! ways an event reaches a session consult this one definition: the Event entity's
//! `after_save` hook queues it for [`Audience::recipients`] (durable delivery), and a live
//! stream forwards a feed event only if [`Audience::includes`] its session (the live
//! path).
//!
//! The two agree because membership changes only through operations that record a
//! `RoomChanged` about it, in the order [`membership_change`] expects: a member row is
//! inserted before its join is recorded and deleted after its leave is, so the joiner and
//! the leaver are in the audience of their own change, and a stream updates its room set
//! from that very event (before judging a join, after delivering a leave).

use crate::{
    domain::{LOBBY_ROOM_ID, RoomId},
    entity::{room_member, session},
};
use chat_protocol::chat::v1 as pb;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use std::collections::HashSet;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Every session that exists when the event is recorded: the lobby, which every user
    /// is in without a membership row.
    Everyone,
    /// The sessions of the members of one room (not the lobby).
    Room(String),
    /// Live only, never queued: every stream but the user's own (everyone shares the
    /// lobby with everyone).
    PresenceOf(String),
}

/// What a live stream knows about the session it serves.
pub struct Recipient<'a> {
    pub session_id: &'a str,
    pub user_id: &'a str,
    /// The rooms (other than the lobby) the user is in, kept current by the stream.
    pub rooms: &'a HashSet<String>,
}

impl Audience {
    /// The audience of an event about `room`.
    pub fn of_room(room: &RoomId) -> Self {
        if room.is_lobby() {
            Self::Everyone
        } else {
            Self::Room(room.as_str().to_owned())
        }
    }

    /// As stored in `events.audience`.
    pub fn to_stored(&self) -> String {
        match self {
            Self::Everyone => "everyone".to_owned(),
            Self::Room(room) => format!("room:{room}"),
            Self::PresenceOf(user) => format!("presence:{user}"),
        }
    }

    /// The room column of the event (`None` for the lobby and presence).
    pub fn room_id(&self) -> Option<String> {
        match self {
            Self::Room(room) => Some(room.clone()),
            Self::Everyone | Self::PresenceOf(_) => None,
        }
    }

    /// The stored form back; an unknown one (a newer server's) reaches no one rather than
    /// everyone.
    pub fn parse(stored: &str) -> Option<Self> {
        let uuid = |raw: &str| Uuid::parse_str(raw).ok().map(|id| id.to_string());
        match stored.split_once(':') {
            None if stored == "everyone" => Some(Self::Everyone),
            Some(("room", id)) => uuid(id).map(Self::Room),
            Some(("presence", id)) => uuid(id).map(Self::PresenceOf),
            _ => None,
        }
    }

    /// The queue keys (`seq`) of the sessions that receive an event recorded at `at_ms`, as a subquery
    /// for the fan-out's single `INSERT … SELECT`; `None` for a live-only event.
    pub fn recipients(&self, at_ms: i64) -> Option<SelectStatement> {
        let live = Expr::col((session::Entity, session::Column::ExpiresAt)).gt(at_ms);
        match self {
            Self::Everyone => Some(
                Query::select()
                    .column((session::Entity, session::Column::Seq))
                    .from(session::Entity)
                    .and_where(live)
                    .to_owned(),
            ),
            // The membership primary key (room, user) finds the members; the sessions'
            // user index finds their sessions.
            Self::Room(room) => Some(
                Query::select()
                    .column((session::Entity, session::Column::Seq))
                    .from(room_member::Entity)
                    .inner_join(
                        session::Entity,
                        Expr::col((session::Entity, session::Column::UserId))
                            .equals((room_member::Entity, room_member::Column::UserId)),
                    )
                    .and_where(
                        Expr::col((room_member::Entity, room_member::Column::RoomId))
                            .eq(room.as_str()),
                    )
                    .and_where(live)
                    .to_owned(),
            ),
            Self::PresenceOf(_) => None,
        }
    }

    /// Whether a live stream of `recipient` gets the event. The session's own creation
    /// point (`first_event_id`) is checked by the stream: whoever is in the audience,
    /// only events after a session began are queued for it.
    pub fn includes(&self, recipient: &Recipient<'_>) -> bool {
        match self {
            Self::Everyone => true,
            Self::Room(room) => recipient.rooms.contains(room),
            Self::PresenceOf(user) => recipient.user_id != user,
        }
    }
}

/// A change to the room set of the stream of `user_id` / `user_name` that `event`
/// carries: `Some((room, joined))`. A `RoomChanged` is about its `user_id`, and a new DM
/// (one event for both people) also about the other person, named in `member_names`.
pub fn membership_change(
    event: &pb::Event,
    user_id: &str,
    user_name: &str,
) -> Option<(String, bool)> {
    let Some(pb::event::Payload::RoomChanged(change)) = &event.payload else {
        return None;
    };
    let room = change.room.as_ref()?;
    if room.room_id == LOBBY_ROOM_ID {
        return None;
    }
    let about_me = change.user_id == user_id
        || (change.joined
            && room.kind == pb::RoomKind::Direct as i32
            && room.member_names.iter().any(|n| n == user_name));
    about_me.then(|| (room.room_id.clone(), change.joined))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_form_round_trips_and_an_unknown_one_reaches_no_one() {
        let room = crate::domain::new_id();
        for audience in [
            Audience::Everyone,
            Audience::Room(room.clone()),
            Audience::PresenceOf(room.clone()),
        ] {
            assert_eq!(Audience::parse(&audience.to_stored()), Some(audience));
        }
        assert_eq!(Audience::parse("room:42"), None);
        assert_eq!(Audience::parse("everyone:"), None);
        assert_eq!(Audience::parse("galaxy"), None);
    }

    #[test]
    fn a_room_reaches_its_members_and_presence_everyone_but_its_subject() {
        let mine: HashSet<String> = ["r1".to_owned()].into();
        let who = Recipient {
            session_id: "s",
            user_id: "u",
            rooms: &mine,
        };
        assert!(Audience::Everyone.includes(&who));
        assert!(Audience::Room("r1".into()).includes(&who));
        assert!(!Audience::Room("r2".into()).includes(&who));
        assert!(Audience::PresenceOf("v".into()).includes(&who));
        assert!(!Audience::PresenceOf("u".into()).includes(&who));
        assert!(Audience::PresenceOf("u".into()).recipients(0).is_none());
    }

    #[test]
    fn a_room_change_is_about_its_user_and_a_new_dm_about_both() {
        let event = |user: &str, kind: pb::RoomKind, names: &[&str], joined| pb::Event {
            payload: Some(pb::event::Payload::RoomChanged(pb::RoomChanged {
                room: Some(pb::Room {
                    room_id: "r".into(),
                    kind: kind as i32,
                    member_names: names.iter().map(|n| (*n).to_owned()).collect(),
                    ..Default::default()
                }),
                user_id: user.into(),
                joined,
                ..Default::default()
            })),
            ..Default::default()
        };
        let public = event("a", pb::RoomKind::Public, &[], true);
        assert_eq!(
            membership_change(&public, "a", "ann"),
            Some(("r".into(), true))
        );
        assert_eq!(membership_change(&public, "b", "bob"), None);
        let dm = event("a", pb::RoomKind::Direct, &["ann", "bob"], true);
        assert_eq!(membership_change(&dm, "b", "bob"), Some(("r".into(), true)));
        assert_eq!(membership_change(&dm, "c", "cid"), None);
        let left = event("a", pb::RoomKind::Public, &[], false);
        assert_eq!(
            membership_change(&left, "a", "ann"),
            Some(("r".into(), false))
        );
    }
}
