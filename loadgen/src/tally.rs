//! The end of a run: whether every confirmed event reached every stream it should (the
//! drain waits for that), and the count of events, expected deliveries, losses and
//! fan-out times. Which streams "should" is the membership's business: every stream for a
//! lobby event, the room's own members for a room event.

use crate::{ledger::MessageEntry, membership::Membership, stats};
use hdrhistogram::Histogram;
use std::sync::Arc;

/// True once every confirmed event has reached all the streams it must reach.
pub fn all_in(messages: &[Arc<MessageEntry>], membership: &Membership) -> bool {
    messages.iter().all(|m| {
        let expected = membership.expected(m.room);
        m.committed().all(|e| e.received() >= expected)
    })
}

pub struct Tally {
    /// Confirmed events (messages and reactions).
    pub events: u64,
    /// Σ over confirmed events of the streams each must reach.
    pub expected_deliveries: u64,
    /// Σ over confirmed events of the streams that should have got it and did not.
    pub lost: u64,
    /// The latest first receipt of any event (ledger nanoseconds).
    pub last_delivery: u64,
    /// Call start → the last of its streams has it, in µs, for events that reached all.
    pub fanout: Histogram<u64>,
}

pub fn count(messages: &[Arc<MessageEntry>], membership: &Membership) -> Tally {
    let mut t = Tally {
        events: 0,
        expected_deliveries: 0,
        lost: 0,
        last_delivery: 0,
        fanout: stats::histogram(),
    };
    for m in messages {
        let expected = membership.expected(m.room);
        for e in m.committed() {
            t.events += 1;
            t.expected_deliveries += u64::from(expected);
            t.lost += u64::from(expected.saturating_sub(e.received()));
            t.last_delivery = t.last_delivery.max(e.last_received());
            if expected > 0
                && e.received() >= expected
                && let Some(started) = e.started()
            {
                t.fanout
                    .saturating_record(e.last_received().saturating_sub(started) / 1000);
            }
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Ledger;

    /// Two rooms of 2 and 1 streams; a message and one reaction in each, all confirmed.
    fn two_rooms() -> (Ledger, Membership) {
        let ledger = Ledger::new("t".into());
        for room in [0, 1] {
            let (i, _) = ledger.begin_message(1, Some(room));
            let m = ledger.message(i).expect("entry");
            m.posted.commit();
            m.begin_reaction(&ledger, 0, 0).commit();
        }
        (ledger, Membership::new(2, &[1, 1, 1]))
    }

    #[test]
    fn a_room_event_is_expected_on_its_members_streams_only() {
        let (ledger, membership) = two_rooms();
        let t = count(&ledger.snapshot(), &membership);
        assert_eq!(t.events, 4);
        assert_eq!(t.expected_deliveries, 2 * 2 + 2);
        assert_eq!(t.lost, 6, "nothing arrived yet");
        assert!(!all_in(&ledger.snapshot(), &membership));
    }

    #[test]
    fn once_every_member_has_it_nothing_is_lost() {
        let (ledger, membership) = two_rooms();
        for m in ledger.snapshot() {
            let members = membership.expected(m.room);
            for e in m.committed() {
                for k in 0..members {
                    e.received_by_one(1_000_000 + u64::from(k));
                }
            }
        }
        let t = count(&ledger.snapshot(), &membership);
        assert_eq!(t.lost, 0);
        assert!(all_in(&ledger.snapshot(), &membership));
        assert_eq!(t.fanout.len(), 4, "every event reached all its streams");
        assert_eq!(t.last_delivery, 1_000_001);
    }

    #[test]
    fn one_member_missing_is_one_lost() {
        let (ledger, membership) = two_rooms();
        let room0 = ledger.message(0).expect("room 0's message");
        room0.posted.received_by_one(5);
        room0.posted.received_by_one(6);
        let t = count(&ledger.snapshot(), &membership);
        // Room 0's reaction (2), room 1's message and reaction (1 each).
        assert_eq!(t.lost, 4);
        assert_eq!(t.fanout.len(), 1);
    }

    #[test]
    fn unconfirmed_events_are_not_expected() {
        let ledger = Ledger::new("t".into());
        ledger.begin_message(2, None);
        let membership = Membership::new(0, &[1; 10]);
        let t = count(&ledger.snapshot(), &membership);
        assert_eq!((t.events, t.expected_deliveries, t.lost), (0, 0, 0));
        assert!(all_in(&ledger.snapshot(), &membership));
    }

    #[test]
    fn lobby_events_reach_every_stream() {
        let ledger = Ledger::new("t".into());
        let (i, _) = ledger.begin_message(0, None);
        ledger.message(i).expect("entry").posted.commit();
        let membership = Membership::new(0, &[2; 3]);
        let t = count(&ledger.snapshot(), &membership);
        assert_eq!((t.events, t.expected_deliveries, t.lost), (1, 6, 6));
    }
}
