//! What one stream's events mean: the per-stream bookkeeping behind the correctness
//! counters, kept apart from the reading so it can be tested without a server.
//!
//! - *out of order*: an event id lower than one the stream already sent. The ids of
//!   queued events of every kind count as "already sent" (a client that skips what is at
//!   or below its highest id would drop the late one), but only the load's own events are
//!   judged by it: a `RoomChanged` that comes late is noted apart and fails nothing,
//!   because it is not the measured load. A `PresenceChanged` is live only and may come
//!   with an id below a backlog event's, or above one still to come (api.md §7), so its
//!   id is neither judged nor counted.
//! - *duplicated* / *redelivered*: the load's event seen again on the stream; allowed
//!   (redelivered) only after a resubscribe, above the last ack and below what the earlier
//!   stream reached.
//! - *leaked*: the load's event of a room this stream's user is not in.

use crate::membership::belongs;

/// What an event is, as the reader classified it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The load's own event: ledger message `index`, event `slot` (0 = the post, 1.. = its
    /// reactions), posted to `room`.
    Ours {
        index: usize,
        slot: usize,
        room: Option<usize>,
    },
    /// `RoomChanged` (`queued`) or `PresenceChanged` (live only, no order): a side effect
    /// of setting the run up.
    Side {
        queued: bool,
    },
    Resync,
    /// Not caused by this run (another client on a shared server), or not one the ledger
    /// knows.
    Foreign,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The first time this stream got this event of the load: a delivery.
    First,
    Duplicate,
    Redelivered,
    Leaked,
    Side,
    Resync,
    Foreign,
}

#[derive(Debug, Default)]
pub struct StreamCheck {
    /// The room of this stream's user; `None` = the lobby only.
    room: Option<usize>,
    /// One bit per (message, slot) already received.
    seen: Vec<u8>,
    /// The highest id on the current stream.
    last_id: u64,
    /// The highest id seen on earlier streams of this session: below it, after a
    /// resubscribe, an unacked event may legitimately come again.
    earlier_max: u64,
    pub out_of_order: u64,
    /// `RoomChanged` events that came below an id already sent (informational).
    pub side_out_of_order: u64,
}

impl StreamCheck {
    pub fn new(room: Option<usize>) -> Self {
        Self {
            room,
            ..Self::default()
        }
    }

    /// Judges event `id`; `acked` is the highest id acknowledged so far.
    pub fn observe(&mut self, id: u64, seen: Seen, acked: u64) -> Verdict {
        if seen == (Seen::Side { queued: false }) {
            return Verdict::Side;
        }
        let late = id < self.last_id;
        self.last_id = self.last_id.max(id);
        match seen {
            Seen::Side { .. } => {
                self.side_out_of_order += u64::from(late);
                Verdict::Side
            }
            Seen::Resync => {
                self.out_of_order += u64::from(late);
                Verdict::Resync
            }
            Seen::Foreign => {
                self.out_of_order += u64::from(late);
                Verdict::Foreign
            }
            Seen::Ours { index, slot, room } => {
                self.out_of_order += u64::from(late);
                if !belongs(room, self.room) {
                    Verdict::Leaked
                } else if mark(&mut self.seen, index, slot) {
                    Verdict::First
                } else if id > acked && id <= self.earlier_max {
                    Verdict::Redelivered
                } else {
                    Verdict::Duplicate
                }
            }
        }
    }

    /// A new stream of the same session starts: ids begin again from its backlog.
    pub fn resubscribed(&mut self) {
        self.earlier_max = self.earlier_max.max(self.last_id);
        self.last_id = 0;
    }
}

/// Sets the bit of (message, slot); true if it was not set yet.
fn mark(seen: &mut Vec<u8>, index: usize, slot: usize) -> bool {
    if seen.len() <= index {
        seen.resize((index + 1).next_power_of_two(), 0);
    }
    let bit = 1u8 << slot;
    let first = seen[index] & bit == 0;
    seen[index] |= bit;
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(index: usize, slot: usize, room: Option<usize>) -> Seen {
        Seen::Ours { index, slot, room }
    }

    #[test]
    fn marks_are_set_once() {
        let mut seen = Vec::new();
        assert!(mark(&mut seen, 5, 0));
        assert!(!mark(&mut seen, 5, 0));
        assert!(mark(&mut seen, 5, 2));
        assert!(mark(&mut seen, 1000, 1));
    }

    #[test]
    fn lobby_events_are_delivered_once_then_duplicated() {
        let mut c = StreamCheck::new(None);
        assert_eq!(c.observe(1, ours(0, 0, None), 0), Verdict::First);
        assert_eq!(c.observe(2, ours(0, 1, None), 0), Verdict::First);
        assert_eq!(c.observe(3, ours(0, 1, None), 0), Verdict::Duplicate);
        assert_eq!(c.out_of_order, 0);
    }

    #[test]
    fn another_rooms_event_has_leaked_and_is_no_delivery() {
        let mut c = StreamCheck::new(Some(2));
        assert_eq!(c.observe(1, ours(0, 0, Some(2)), 0), Verdict::First);
        assert_eq!(c.observe(2, ours(1, 0, Some(3)), 0), Verdict::Leaked);
        // Leaking again is leaking again, not a duplicate.
        assert_eq!(c.observe(3, ours(1, 0, Some(3)), 0), Verdict::Leaked);
        // A lobby event reaches room members too.
        assert_eq!(c.observe(4, ours(2, 0, None), 0), Verdict::First);
        // A stream of the lobby only must get no room's events.
        let mut lobby_only = StreamCheck::new(None);
        assert_eq!(
            lobby_only.observe(1, ours(0, 0, Some(0)), 0),
            Verdict::Leaked
        );
    }

    const ROOM: Seen = Seen::Side { queued: true };
    const PRESENCE: Seen = Seen::Side { queued: false };

    #[test]
    fn room_and_presence_events_neither_deliver_nor_break_the_checks() {
        let mut c = StreamCheck::new(Some(0));
        // RoomChanged from the backlog, then presence, interleaved with the load.
        assert_eq!(c.observe(10, ROOM, 0), Verdict::Side);
        assert_eq!(c.observe(11, ours(0, 0, Some(0)), 0), Verdict::First);
        assert_eq!(c.observe(12, PRESENCE, 0), Verdict::Side);
        assert_eq!(c.observe(13, ROOM, 0), Verdict::Side);
        assert_eq!(c.observe(14, ours(0, 1, Some(0)), 0), Verdict::First);
        assert_eq!(c.out_of_order, 0);
        // A room event below what was already sent is noted, and fails nothing.
        assert_eq!(c.observe(5, ROOM, 0), Verdict::Side);
        assert_eq!((c.out_of_order, c.side_out_of_order), (0, 1));
        // ...nor does it lower the bar for the load's next event.
        assert_eq!(c.observe(15, ours(1, 0, Some(0)), 0), Verdict::First);
        assert_eq!(c.out_of_order, 0);
    }

    #[test]
    fn presence_ids_are_outside_the_order() {
        let mut c = StreamCheck::new(None);
        // Below a backlog event's id: allowed, not even noted.
        assert_eq!(c.observe(10, ours(0, 0, None), 0), Verdict::First);
        assert_eq!(c.observe(4, PRESENCE, 0), Verdict::Side);
        // Above one still to come: that one is not out of order.
        assert_eq!(c.observe(30, PRESENCE, 0), Verdict::Side);
        assert_eq!(c.observe(11, ours(0, 1, None), 0), Verdict::First);
        assert_eq!((c.out_of_order, c.side_out_of_order), (0, 0));
    }

    #[test]
    fn a_load_event_after_a_higher_id_is_out_of_order() {
        let mut c = StreamCheck::new(None);
        assert_eq!(c.observe(20, ROOM, 0), Verdict::Side);
        assert_eq!(c.observe(19, ours(0, 0, None), 0), Verdict::First);
        assert_eq!(
            c.out_of_order, 1,
            "a client skipping ids ≤ 20 would drop it"
        );
    }

    #[test]
    fn after_a_resubscribe_unacked_events_may_come_again() {
        let mut c = StreamCheck::new(None);
        assert_eq!(c.observe(1, ours(0, 0, None), 0), Verdict::First);
        assert_eq!(c.observe(2, ours(0, 1, None), 0), Verdict::First);
        c.resubscribed();
        // Acked up to 1: event 2 comes again from the queue, allowed; 1 is not.
        assert_eq!(c.observe(2, ours(0, 1, None), 1), Verdict::Redelivered);
        assert_eq!(c.observe(1, ours(0, 0, None), 1), Verdict::Duplicate);
        assert_eq!(c.out_of_order, 1, "1 after 2 on the new stream");
    }
}
