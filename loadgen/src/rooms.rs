//! The room scenario's setup, done as clients would before the load: the first poster
//! creates the public rooms, the other posters and every reactor join all of them (so the
//! per-room gate, `min(required, members - 1)`, is met by the reactors as in the lobby),
//! then each subscriber user joins its one room (`membership::room_of_user`).
//!
//! Posters and reactors join first: they have no streams, and the subscribers, not yet
//! members, get no `RoomChanged` for those joins, which keeps the backlog the streams open
//! with small. What `RoomChanged` events the subscribers do get are not the measured load.

use crate::{client::Session, membership::room_of_user};
use anyhow::{Context, Result};
use chat_protocol::chat::v1 as pb;
use futures::{StreamExt, TryStreamExt, stream};

/// Room calls in flight at once (cheap writes, no Argon2).
const PARALLEL: usize = 32;

/// Creates `rooms` rooms named after the run's `tag` and fills them; returns their ids in
/// room-index order. `subscribers[u]` are the sessions of subscriber user `u`.
pub async fn set_up(
    tag: &str,
    rooms: usize,
    creator: &Session,
    everywhere: &[Session],
    subscribers: &[Vec<Session>],
) -> Result<Vec<String>> {
    let ids: Vec<String> = stream::iter((0..rooms).map(|r| {
        let name = room_name(tag, r);
        async move {
            let room = creator
                .chat
                .clone()
                .create_room(creator.req(pb::CreateRoomRequest { name: name.clone() }))
                .await
                .with_context(|| format!("CreateRoom {name}"))?
                .into_inner();
            Ok::<_, anyhow::Error>(room.room_id)
        }
    }))
    .buffered(PARALLEL)
    .try_collect()
    .await?;

    let all_rooms = everywhere
        .iter()
        .flat_map(|s| ids.iter().map(move |id| (s, id.as_str())));
    join_all(all_rooms).await?;
    let own_room = subscribers.iter().enumerate().filter_map(|(u, sessions)| {
        let room = room_of_user(rooms, u)?;
        Some((sessions.first()?, ids[room].as_str()))
    });
    join_all(own_room).await?;
    Ok(ids)
}

/// The effective gate of each room for `poster` (the most reactions any of them needs):
/// `GetSendStatus` applies the member-count cap. `room_ids` empty = the lobby.
pub async fn required_reactions(poster: &Session, room_ids: &[String]) -> Result<u32> {
    let lobby = [String::new()];
    let targets = if room_ids.is_empty() {
        &lobby[..]
    } else {
        room_ids
    };
    let mut most = 0;
    for room_id in targets {
        let status = poster
            .chat
            .clone()
            .get_send_status(poster.req(pb::GetSendStatusRequest {
                room_id: room_id.clone(),
            }))
            .await
            .context("GetSendStatus")?
            .into_inner();
        most = most.max(status.required_reactions);
    }
    Ok(most)
}

async fn join_all<'a>(joins: impl Iterator<Item = (&'a Session, &'a str)>) -> Result<()> {
    stream::iter(joins.map(|(session, room_id)| async move {
        session
            .chat
            .clone()
            .join_room(session.req(pb::JoinRoomRequest {
                room_id: room_id.to_owned(),
                name: String::new(),
            }))
            .await
            .with_context(|| format!("JoinRoom for {}", session.user_name))
            .map(drop)
    }))
    .buffer_unordered(PARALLEL)
    .try_collect()
    .await
}

/// A name unique to the run (the tag) and valid for the server: letters, digits, `-`.
fn room_name(tag: &str, r: usize) -> String {
    format!("lg{tag}-room{r}")
}

#[cfg(test)]
mod tests {
    use super::room_name;

    #[test]
    fn room_names_are_valid_and_distinct() {
        let a = room_name("ab12cd", 0);
        let b = room_name("ab12cd", 49);
        assert_ne!(a, b);
        for n in [a, b] {
            assert!(n.len() <= 40, "{n}");
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)),
                "{n}"
            );
        }
    }
}
