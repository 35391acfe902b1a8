//! Who is in a room, on the read side: the one rule (the lobby holds every user without a
//! row; any other room holds its `room_members`), and rooms as the API shows them.
//! Who *receives* a room's events is `events::Audience`, which reads the same rows.

use super::Rules;
use crate::{
    domain::{LOBBY_ROOM_ID, RoomId, RoomKind, timestamp},
    entity::{room, room_member, user},
    error::{Error, Result},
};
use chat_protocol::chat::v1 as pb;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use std::collections::HashMap;

pub fn not_a_member() -> Error {
    Error::PermissionDenied("you are not a member of this room".to_owned())
}

pub async fn find_room<C: ConnectionTrait>(db: &C, id: &RoomId) -> Result<room::Model> {
    room::Entity::find_by_id(id.as_str())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found(format!("room {} not found", id.as_str())))
}

pub async fn is_member<C: ConnectionTrait>(db: &C, room_id: &str, user_id: &str) -> Result<bool> {
    if room_id == LOBBY_ROOM_ID {
        return Ok(true);
    }
    let row = room_member::Entity::find_by_id((room_id.to_owned(), user_id.to_owned()))
        .one(db)
        .await?;
    Ok(row.is_some())
}

/// The room, if it exists (`NOT_FOUND`) and the user is in it (`PERMISSION_DENIED`).
pub async fn require_member<C: ConnectionTrait>(
    db: &C,
    id: &RoomId,
    user_id: &str,
) -> Result<room::Model> {
    let room = find_room(db, id).await?;
    if is_member(db, &room.id, user_id).await? {
        Ok(room)
    } else {
        Err(not_a_member())
    }
}

/// The room's `required_reactions` setting, if the room exists and the user is in it;
/// the lobby (every user's, following the configuration) costs no query.
pub async fn gate_setting<C: ConnectionTrait>(
    db: &C,
    rules: &Rules,
    id: &RoomId,
    user_id: &str,
) -> Result<u32> {
    if id.is_lobby() {
        return Ok(rules.required_reactions);
    }
    let room = require_member(db, id, user_id).await?;
    Ok(setting(rules, room.required_reactions))
}

/// How many users are in the room, counting at most `up_to` (the gate needs no more than
/// `required + 1`, so a Send never counts a whole lobby).
pub async fn member_count<C: ConnectionTrait>(db: &C, room_id: &str, up_to: u64) -> Result<u64> {
    let ids: Vec<String> = if room_id == LOBBY_ROOM_ID {
        user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .limit(up_to)
            .into_tuple()
            .all(db)
            .await?
    } else {
        room_member::Entity::find()
            .select_only()
            .column(room_member::Column::UserId)
            .filter(room_member::Column::RoomId.eq(room_id))
            .limit(up_to)
            .into_tuple()
            .all(db)
            .await?
    };
    Ok(ids.len() as u64)
}

/// The rooms as the API shows them, with their member counts (and, for DMs, the two
/// names), in three queries however many rooms there are.
pub async fn describe<C: ConnectionTrait>(
    db: &C,
    rules: &Rules,
    rooms: Vec<room::Model>,
) -> Result<Vec<pb::Room>> {
    let ids: Vec<&str> = rooms
        .iter()
        .filter(|r| r.id != LOBBY_ROOM_ID)
        .map(|r| r.id.as_str())
        .collect();
    let counts: HashMap<String, i64> = room_member::Entity::find()
        .select_only()
        .column(room_member::Column::RoomId)
        .column_as(room_member::Column::UserId.count(), "n")
        .filter(room_member::Column::RoomId.is_in(ids))
        .group_by(room_member::Column::RoomId)
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let lobby_count = if rooms.iter().any(|r| r.id == LOBBY_ROOM_ID) {
        user::Entity::find().count(db).await?
    } else {
        0
    };
    let mut names = dm_names(db, &rooms).await?;
    rooms
        .into_iter()
        .map(|r| {
            let kind = RoomKind::parse(&r.kind)?;
            let count = if kind == RoomKind::Lobby {
                lobby_count
            } else {
                counts.get(&r.id).copied().unwrap_or(0).unsigned_abs()
            };
            Ok(pb::Room {
                member_names: names.remove(&r.id).unwrap_or_default(),
                kind: match kind {
                    RoomKind::Lobby => pb::RoomKind::Lobby,
                    RoomKind::Public => pb::RoomKind::Public,
                    RoomKind::Direct => pb::RoomKind::Direct,
                } as i32,
                name: r.name.unwrap_or_default(),
                member_count: u32::try_from(count).unwrap_or(u32::MAX),
                required_reactions: setting(rules, r.required_reactions),
                created_at: Some(timestamp(r.created_at)),
                room_id: r.id,
            })
        })
        .collect()
}

pub async fn describe_one<C: ConnectionTrait>(
    db: &C,
    rules: &Rules,
    room: room::Model,
) -> Result<pb::Room> {
    describe(db, rules, vec![room])
        .await?
        .pop()
        .ok_or_else(|| Error::internal("a room description came back empty"))
}

/// A room's own `required_reactions` (the lobby follows the configuration).
pub fn setting(rules: &Rules, stored: Option<i32>) -> u32 {
    stored
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(rules.required_reactions)
}

/// The two names of each DM among `rooms`, in name order.
async fn dm_names<C: ConnectionTrait>(
    db: &C,
    rooms: &[room::Model],
) -> Result<HashMap<String, Vec<String>>> {
    let mut users: Vec<&str> = Vec::new();
    for r in rooms {
        users.extend(r.dm_low_user_id.as_deref());
        users.extend(r.dm_high_user_id.as_deref());
    }
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    let name_of: HashMap<String, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(users))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut out = HashMap::new();
    for r in rooms {
        if let (Some(low), Some(high)) = (&r.dm_low_user_id, &r.dm_high_user_id) {
            let mut pair: Vec<String> = [low, high]
                .into_iter()
                .filter_map(|id| name_of.get(id).cloned())
                .collect();
            pair.sort_by_key(|n| n.to_lowercase());
            out.insert(r.id.clone(), pair);
        }
    }
    Ok(out)
}
