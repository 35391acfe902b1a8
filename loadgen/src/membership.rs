//! Who should receive what: which room each subscriber user is in, and so how many
//! streams each event must reach.
//!
//! Without rooms (`--rooms 0`) every stream is in the lobby and every event must reach
//! every stream. With N rooms, subscriber user `u` is in room `u % N` only (besides the
//! lobby, which the load does not post to); posters and reactors are in every room but
//! have no streams. So an event of room R must reach exactly the streams of R's
//! subscriber users, and one that reaches any other stream has leaked.

/// The rooms of a run and the streams in each.
#[derive(Debug, Clone, Default)]
pub struct Membership {
    /// Streams (subscriber sessions) in all.
    streams: u32,
    /// Streams in each room; empty without rooms.
    per_room: Vec<u32>,
}

impl Membership {
    /// `sessions[u]` = how many streams subscriber user `u` has.
    pub fn new(rooms: usize, sessions: &[usize]) -> Self {
        let mut per_room = vec![0u32; rooms];
        for (u, &n) in sessions.iter().enumerate() {
            if let Some(r) = room_of_user(rooms, u) {
                per_room[r] += count(n);
            }
        }
        Self {
            streams: count(sessions.iter().sum()),
            per_room,
        }
    }

    pub fn rooms(&self) -> usize {
        self.per_room.len()
    }

    /// The streams an event of `room` (`None` = the lobby) must reach.
    pub fn expected(&self, room: Option<usize>) -> u32 {
        match room {
            None => self.streams,
            Some(r) => self.per_room.get(r).copied().unwrap_or(0),
        }
    }

    /// The fewest and the most streams in one room (both 0 without rooms).
    pub fn members_range(&self) -> (u32, u32) {
        let min = self.per_room.iter().copied().min().unwrap_or(0);
        let max = self.per_room.iter().copied().max().unwrap_or(0);
        (min, max)
    }
}

/// The one room subscriber user `u` joins; `None` without rooms (the lobby only).
pub fn room_of_user(rooms: usize, u: usize) -> Option<usize> {
    (rooms > 0).then(|| u % rooms)
}

/// May an event of `event_room` reach a stream of a user in `stream_room`? Everyone is
/// in the lobby; otherwise only that room's own members.
pub fn belongs(event_room: Option<usize>, stream_room: Option<usize>) -> bool {
    event_room.is_none() || event_room == stream_room
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_rooms_every_stream_gets_everything() {
        let m = Membership::new(0, &[1, 1, 1]);
        assert_eq!(m.rooms(), 0);
        assert_eq!(m.expected(None), 3);
        assert_eq!(m.members_range(), (0, 0));
        assert_eq!(room_of_user(0, 7), None);
        assert!(belongs(None, None));
    }

    #[test]
    fn users_are_spread_round_robin_and_streams_counted_per_room() {
        // 5 users, 2 sessions each, 2 rooms: users 0, 2, 4 in room 0; 1, 3 in room 1.
        let m = Membership::new(2, &[2; 5]);
        assert_eq!(m.expected(Some(0)), 6);
        assert_eq!(m.expected(Some(1)), 4);
        assert_eq!(m.expected(None), 10, "lobby events reach every stream");
        assert_eq!(m.expected(Some(9)), 0, "no such room");
        assert_eq!(m.members_range(), (4, 6));
        assert_eq!(room_of_user(2, 3), Some(1));
    }

    #[test]
    fn fifty_rooms_of_twenty() {
        let m = Membership::new(50, &[1; 1000]);
        assert_eq!(m.members_range(), (20, 20));
        assert_eq!((0..50).map(|r| m.expected(Some(r))).sum::<u32>(), 1000);
    }

    #[test]
    fn a_room_event_belongs_to_its_members_only() {
        assert!(belongs(Some(3), Some(3)));
        assert!(!belongs(Some(3), Some(4)), "another room's member");
        assert!(!belongs(Some(3), None), "a lobby-only stream");
        assert!(
            belongs(None, Some(4)),
            "lobby events reach room members too"
        );
    }
}
