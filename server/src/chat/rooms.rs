//! Creating, joining and leaving rooms, opening DMs, and listing rooms and members.
//!
//! Membership rows change only here, each change inside an operation that records one
//! `RoomChanged` about it, in the order `events::audience::membership_change` relies on:
//! the row is inserted before a join is recorded and deleted after a leave is, so the
//! joiner and the leaver receive their own change, queued and live alike.

use super::{
    Chat, Rules,
    membership::{self, describe, describe_one, find_room, is_member, not_a_member},
};
use crate::{
    auth::Principal,
    db::{Decision, Operation, Tx, Written},
    domain::{LOBBY_ROOM_ID, RoomId, RoomKind, RoomName, UserName, new_id, now_ms, quoted},
    entity::{event, event_queue, presence, room, room_member, session, user},
    error::{Error, Result},
    events::{self, Audience},
};
use chat_protocol::chat::v1 as pb;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Query},
};
use std::{collections::HashSet, sync::Arc};

pub async fn create(chat: &Chat, who: &Principal, raw_name: &str) -> Result<pb::Room> {
    let name = RoomName::parse(raw_name)?;
    chat.db
        .write(Create {
            rules: Arc::clone(&chat.rules),
            who: who.clone(),
            name,
        })
        .await
}

pub async fn join(chat: &Chat, who: &Principal, raw_id: &str, raw_name: &str) -> Result<pb::Room> {
    let target = match (raw_id.is_empty(), raw_name.is_empty()) {
        (true, true) => return Err(Error::invalid("give the room_id or the name of the room")),
        (false, true) => Target::Id(RoomId::parse_or_lobby(raw_id)?),
        (true, false) => Target::Name(RoomName::parse(raw_name)?),
        (false, false) => Target::Both(RoomId::parse_or_lobby(raw_id)?, RoomName::parse(raw_name)?),
    };
    chat.db
        .write(Join {
            rules: Arc::clone(&chat.rules),
            who: who.clone(),
            target,
        })
        .await
}

pub async fn leave(chat: &Chat, who: &Principal, raw_id: &str) -> Result<()> {
    let id = RoomId::parse_or_lobby(raw_id)?;
    if id.is_lobby() {
        return Err(Error::invalid("the lobby cannot be left"));
    }
    chat.db
        .write(Leave {
            rules: Arc::clone(&chat.rules),
            who: who.clone(),
            id,
        })
        .await
}

pub async fn open_direct(chat: &Chat, who: &Principal, raw_name: &str) -> Result<pb::Room> {
    let name = UserName::parse(raw_name)?;
    chat.db
        .write(OpenDirect {
            rules: Arc::clone(&chat.rules),
            who: who.clone(),
            name,
        })
        .await
}

/// The caller's rooms (the lobby first, then by creation), or every public room.
pub async fn list(chat: &Chat, who: &Principal, public_only: bool) -> Result<Vec<pb::Room>> {
    let db = chat.db.conn();
    let mut query = room::Entity::find().order_by_asc(room::Column::CreatedAt);
    if public_only {
        query = query.filter(
            room::Column::Kind.is_in([RoomKind::Lobby.as_str(), RoomKind::Public.as_str()]),
        );
    } else {
        let mine = Query::select()
            .column(room_member::Column::RoomId)
            .from(room_member::Entity)
            .and_where(Expr::col(room_member::Column::UserId).eq(who.user_id.as_str()))
            .to_owned();
        query = query.filter(
            room::Column::Id
                .eq(LOBBY_ROOM_ID)
                .or(room::Column::Id.in_subquery(mine)),
        );
    }
    let mut rooms = query.all(db).await?;
    // The lobby first whatever its creation time (it is as old as the migration).
    rooms.sort_by_key(|r| r.id != LOBBY_ROOM_ID);
    describe(db, &chat.rules, rooms).await
}

/// The members of a room the caller is in, by name, with their presence.
pub async fn members(chat: &Chat, who: &Principal, raw_id: &str) -> Result<Vec<pb::Member>> {
    let db = chat.db.conn();
    let id = RoomId::parse_or_lobby(raw_id)?;
    membership::require_member(db, &id, &who.user_id).await?;
    let mut users = user::Entity::find().order_by_asc(user::Column::NameKey);
    if !id.is_lobby() {
        let members = Query::select()
            .column(room_member::Column::UserId)
            .from(room_member::Entity)
            .and_where(Expr::col(room_member::Column::RoomId).eq(id.as_str()))
            .to_owned();
        users = users.filter(user::Column::Id.in_subquery(members));
    }
    let users: Vec<(String, String)> = users
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Name)
        .into_tuple()
        .all(db)
        .await?;
    let online: HashSet<String> = presence::Entity::find()
        .select_only()
        .column(presence::Column::UserId)
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(users
        .into_iter()
        .map(|(user_id, user_name)| pb::Member {
            online: online.contains(&user_id),
            user_id,
            user_name,
        })
        .collect())
}

struct Create {
    rules: Arc<Rules>,
    who: Principal,
    name: RoomName,
}

impl Operation for Create {
    type Plan = ();
    type Output = pb::Room;

    async fn decide(&self, tx: &Tx) -> Result<Decision<(), pb::Room>> {
        let taken = room::Entity::find()
            .filter(room::Column::NameKey.eq(self.name.key()))
            .one(tx)
            .await?;
        match taken {
            Some(_) => Err(Error::AlreadyExists(format!(
                "the room name {} is taken",
                quoted(self.name.as_str())
            ))),
            None => Ok(Decision::Write(())),
        }
    }

    async fn apply(self, tx: &Tx, (): ()) -> Result<Written<pb::Room>> {
        let now = now_ms();
        let row = room::ActiveModel {
            id: Set(new_id()),
            kind: Set(RoomKind::Public.as_str().to_owned()),
            name: Set(Some(self.name.as_str().to_owned())),
            name_key: Set(Some(self.name.key())),
            required_reactions: Set(Some(stored_required(&self.rules))),
            dm_low_user_id: Set(None),
            dm_high_user_id: Set(None),
            created_by: Set(Some(self.who.user_id.clone())),
            created_at: Set(now),
        }
        .insert(tx)
        .await?;
        add_member(tx, &row.id, &self.who.user_id, now).await?;
        changed(tx, &self.rules, row, &self.who, true, now).await
    }
}

enum Target {
    Id(RoomId),
    Name(RoomName),
    Both(RoomId, RoomName),
}

struct Join {
    rules: Arc<Rules>,
    who: Principal,
    target: Target,
}

impl Operation for Join {
    type Plan = room::Model;
    type Output = pb::Room;

    async fn decide(&self, tx: &Tx) -> Result<Decision<room::Model, pb::Room>> {
        let by_name = |name: &RoomName| {
            room::Entity::find()
                .filter(room::Column::NameKey.eq(name.key()))
                .one(tx)
        };
        let unknown =
            |name: &RoomName| Error::not_found(format!("room {} not found", quoted(name.as_str())));
        let room = match &self.target {
            Target::Id(id) => find_room(tx, id).await?,
            Target::Name(name) => by_name(name).await?.ok_or_else(|| unknown(name))?,
            Target::Both(id, name) => {
                let room = find_room(tx, id).await?;
                if room.name_key.as_deref() != Some(name.key().as_str()) {
                    return Err(Error::invalid(format!(
                        "room_id {} and name {} are different rooms",
                        id.as_str(),
                        quoted(name.as_str())
                    )));
                }
                room
            }
        };
        if RoomKind::parse(&room.kind)? == RoomKind::Direct {
            return Err(Error::PermissionDenied(
                "a direct room cannot be joined".to_owned(),
            ));
        }
        if is_member(tx, &room.id, &self.who.user_id).await? {
            // Idempotent: nothing changes, nothing is recorded.
            return Ok(Decision::Answer(describe_one(tx, &self.rules, room).await?));
        }
        Ok(Decision::Write(room))
    }

    async fn apply(self, tx: &Tx, room: room::Model) -> Result<Written<pb::Room>> {
        let now = now_ms();
        add_member(tx, &room.id, &self.who.user_id, now).await?;
        changed(tx, &self.rules, room, &self.who, true, now).await
    }
}

struct Leave {
    rules: Arc<Rules>,
    who: Principal,
    id: RoomId,
}

impl Operation for Leave {
    type Plan = room::Model;
    type Output = ();

    async fn decide(&self, tx: &Tx) -> Result<Decision<room::Model, ()>> {
        let room = find_room(tx, &self.id).await?;
        if RoomKind::parse(&room.kind)? == RoomKind::Direct {
            return Err(Error::invalid("a direct room cannot be left"));
        }
        if !is_member(tx, &room.id, &self.who.user_id).await? {
            return Err(not_a_member());
        }
        Ok(Decision::Write(room))
    }

    async fn apply(self, tx: &Tx, room: room::Model) -> Result<Written<()>> {
        let now = now_ms();
        let room_id = room.id.clone();
        // Recorded while the leaver is still a member, so they receive it.
        let Written { event_id, .. } =
            changed(tx, &self.rules, room, &self.who, false, now).await?;
        room_member::Entity::delete_by_id((room_id.clone(), self.who.user_id.clone()))
            .exec(tx)
            .await?;
        // Nothing more of the room reaches them, queued either: what they had not
        // acknowledged yet goes too (the leave itself stays).
        if let Some(leave_id) = event_id {
            purge_queue(tx, &self.who.user_id, &room_id, leave_id).await?;
        }
        Ok(Written {
            output: (),
            event_id,
        })
    }
}

struct OpenDirect {
    rules: Arc<Rules>,
    who: Principal,
    name: UserName,
}

impl Operation for OpenDirect {
    /// The other person.
    type Plan = user::Model;
    type Output = pb::Room;

    async fn decide(&self, tx: &Tx) -> Result<Decision<user::Model, pb::Room>> {
        let other = user::Entity::find()
            .filter(user::Column::NameKey.eq(self.name.key()))
            .one(tx)
            .await?
            .ok_or_else(|| {
                Error::not_found(format!("user {} not found", quoted(self.name.as_str())))
            })?;
        if other.id == self.who.user_id {
            return Err(Error::invalid(
                "a direct room is between two people: you cannot open one with yourself",
            ));
        }
        let (low, high) = ordered(&self.who.user_id, &other.id);
        let existing = room::Entity::find()
            .filter(room::Column::DmLowUserId.eq(low))
            .filter(room::Column::DmHighUserId.eq(high))
            .one(tx)
            .await?;
        match existing {
            Some(room) => Ok(Decision::Answer(describe_one(tx, &self.rules, room).await?)),
            None => Ok(Decision::Write(other)),
        }
    }

    async fn apply(self, tx: &Tx, other: user::Model) -> Result<Written<pb::Room>> {
        let now = now_ms();
        let (low, high) = ordered(&self.who.user_id, &other.id);
        let row = room::ActiveModel {
            id: Set(new_id()),
            kind: Set(RoomKind::Direct.as_str().to_owned()),
            name: Set(None),
            name_key: Set(None),
            required_reactions: Set(Some(stored_required(&self.rules))),
            dm_low_user_id: Set(Some(low.to_owned())),
            dm_high_user_id: Set(Some(high.to_owned())),
            created_by: Set(Some(self.who.user_id.clone())),
            created_at: Set(now),
        }
        .insert(tx)
        .await?;
        add_member(tx, &row.id, &self.who.user_id, now).await?;
        add_member(tx, &row.id, &other.id, now).await?;
        // One event for both: a stream learns of a new DM it is named in (`member_names`).
        changed(tx, &self.rules, row, &self.who, true, now).await
    }
}

fn ordered<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a < b { (a, b) } else { (b, a) }
}

fn stored_required(rules: &Rules) -> i32 {
    i32::try_from(rules.required_reactions).unwrap_or(i32::MAX)
}

async fn add_member(tx: &Tx, room_id: &str, user_id: &str, now: i64) -> Result<()> {
    room_member::ActiveModel {
        room_id: Set(room_id.to_owned()),
        user_id: Set(user_id.to_owned()),
        joined_at: Set(now),
    }
    .insert(tx)
    .await?;
    Ok(())
}

/// Records the `RoomChanged` of `who` joining or leaving `room` (described as it is
/// after the change) for the room's members.
async fn changed(
    tx: &Tx,
    rules: &Rules,
    room: room::Model,
    who: &Principal,
    joined: bool,
    now: i64,
) -> Result<Written<pb::Room>> {
    let audience = Audience::of_room(&RoomId::stored(room.id.clone()));
    let mut described = describe_one(tx, rules, room).await?;
    if !joined {
        // Still counted: the row goes after the event is recorded.
        described.member_count = described.member_count.saturating_sub(1);
    }
    let payload = pb::event::Payload::RoomChanged(pb::RoomChanged {
        room: Some(described.clone()),
        user_id: who.user_id.clone(),
        user_name: who.user_name.clone(),
        joined,
    });
    let event_id = events::record(tx, audience, payload, now).await?;
    Ok(Written::with_event(described, event_id))
}

/// Deletes the queued events of `room_id` before `before_id` from every session of
/// `user_id`.
async fn purge_queue(tx: &Tx, user_id: &str, room_id: &str, before_id: i64) -> Result<()> {
    let sessions = Query::select()
        .column(session::Column::Seq)
        .from(session::Entity)
        .and_where(Expr::col(session::Column::UserId).eq(user_id))
        .to_owned();
    let room_events = Query::select()
        .column(event::Column::Id)
        .from(event::Entity)
        .and_where(Expr::col(event::Column::RoomId).eq(room_id))
        .and_where(Expr::col(event::Column::Id).lt(before_id))
        .to_owned();
    event_queue::Entity::delete_many()
        .filter(event_queue::Column::SessionSeq.in_subquery(sessions))
        .filter(event_queue::Column::EventId.in_subquery(room_events))
        .exec(tx)
        .await?;
    Ok(())
}
