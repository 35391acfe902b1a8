//! The ledger: what the posters and reactors did, so that every event a subscriber
//! receives can be matched to the call that caused it.
//!
//! Every message the load posts carries its ledger index in its content
//! (`loadgen <tag> <index>`), and every reactor's name ends in its number, so an event
//! identifies its ledger entry by itself: `MessagePosted` by the content, `ReactionChanged`
//! by the snapshot's content and the reactor's name. No event id has to be known
//! beforehand. Each entry records the room it was posted to, when its call started (for
//! latency), whether the call succeeded (only those events must arrive), how many
//! subscribers received it and when the last one did (fan-out completion).

use std::{
    sync::{
        Arc, PoisonError, RwLock,
        atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering},
    },
    time::Instant,
};

/// Reactions per message the ledger can follow (the gate rarely asks for more than 2).
pub const MAX_REACTIONS: usize = 7;
const NO_REACTOR: u32 = u32::MAX;

pub struct Ledger {
    base: Instant,
    pub tag: String,
    messages: RwLock<Vec<Arc<MessageEntry>>>,
}

/// One posted message and the reactions asked for it.
pub struct MessageEntry {
    /// The room it was posted to (an index into the run's rooms); `None` = the lobby.
    pub room: Option<usize>,
    pub posted: EventEntry,
    pub reactions: Vec<ReactionEntry>,
}

pub struct ReactionEntry {
    reactor: AtomicU32,
    pub event: EventEntry,
}

/// One event the load caused: a Send or a React call.
#[derive(Default)]
pub struct EventEntry {
    /// Nanoseconds since the ledger's base when the call started; 0 = not started.
    started: AtomicU64,
    committed: AtomicBool,
    received: AtomicU32,
    last_received: AtomicU64,
    /// The replica the call was made on (`--replicas`; 0 with one server).
    origin: AtomicU32,
}

/// Whether a delivery crossed replicas: the event was caused on one replica and the
/// stream that got it is on another (so it came through PostgreSQL's NOTIFY and the
/// other replica's feed, not the caller's own wake-up).
pub fn crossed(origin: u32, stream_replica: u32) -> bool {
    origin != stream_replica
}

/// What an event refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The message with this ledger index was posted.
    Posted(usize),
    /// Reactor number `reactor` reacted to the message with this ledger index.
    Reacted { message: usize, reactor: u32 },
}

impl Ledger {
    pub fn new(tag: String) -> Self {
        Self {
            base: Instant::now(),
            tag,
            messages: RwLock::new(Vec::new()),
        }
    }

    pub fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.base).as_nanos()).unwrap_or(u64::MAX)
    }

    pub fn at(&self, nanos: u64) -> Instant {
        self.base + std::time::Duration::from_nanos(nanos)
    }

    /// A new message about to be sent now to `room`: its index and its content.
    pub fn begin_message(&self, reactions: usize, room: Option<usize>) -> (usize, String) {
        let entry = Arc::new(MessageEntry {
            room,
            posted: EventEntry::default(),
            reactions: (0..reactions.min(MAX_REACTIONS))
                .map(|_| ReactionEntry {
                    reactor: AtomicU32::new(NO_REACTOR),
                    event: EventEntry::default(),
                })
                .collect(),
        });
        entry.posted.start(self.nanos(Instant::now()));
        let mut messages = self
            .messages
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        messages.push(entry);
        let index = messages.len() - 1;
        (index, format!("loadgen {} {index}", self.tag))
    }

    pub fn message(&self, index: usize) -> Option<Arc<MessageEntry>> {
        self.messages
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(index)
            .cloned()
    }

    pub fn snapshot(&self) -> Vec<Arc<MessageEntry>> {
        self.messages
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The ledger index in a message's content, if the load posted it.
    pub fn index_of(&self, content: &str) -> Option<usize> {
        let rest = content.strip_prefix("loadgen ")?;
        let (tag, index) = rest.split_once(' ')?;
        (tag == self.tag).then(|| index.parse().ok())?
    }

    /// The user name of the `n`th user of a role (`s`ubscriber, `p`oster, `r`eactor).
    pub fn user_name(&self, role: char, n: usize) -> String {
        format!("lg{}{role}{n}", self.tag)
    }

    /// The reactor number in a reactor's user name.
    pub fn reactor_of(&self, user_name: &str) -> Option<u32> {
        user_name
            .strip_prefix("lg")?
            .strip_prefix(self.tag.as_str())?
            .strip_prefix('r')?
            .parse()
            .ok()
    }

    /// The event entry a key names.
    pub fn entry<'a>(
        &self,
        message: &'a MessageEntry,
        key: Key,
    ) -> Option<(usize, &'a EventEntry)> {
        match key {
            Key::Posted(_) => Some((0, &message.posted)),
            Key::Reacted { reactor, .. } => message
                .reactions
                .iter()
                .enumerate()
                .find(|(_, r)| r.reactor.load(Ordering::Acquire) == reactor)
                .map(|(slot, r)| (slot + 1, &r.event)),
        }
    }
}

impl MessageEntry {
    /// Claims reaction slot `slot` for `reactor`, starting now.
    pub fn begin_reaction(&self, ledger: &Ledger, slot: usize, reactor: u32) -> &EventEntry {
        let r = &self.reactions[slot];
        r.event.start(ledger.nanos(Instant::now()));
        r.reactor.store(reactor, Ordering::Release);
        &r.event
    }

    /// The event in `slot`: 0 = the post, 1.. = the reactions (as [`Ledger::entry`] numbers them).
    pub fn event(&self, slot: usize) -> Option<&EventEntry> {
        match slot {
            0 => Some(&self.posted),
            n => self.reactions.get(n - 1).map(|r| &r.event),
        }
    }

    /// Every event of this message that a call confirmed.
    pub fn committed(&self) -> impl Iterator<Item = &EventEntry> {
        std::iter::once(&self.posted)
            .chain(self.reactions.iter().map(|r| &r.event))
            .filter(|e| e.is_committed())
    }
}

impl EventEntry {
    fn start(&self, nanos: u64) {
        self.started.store(nanos.max(1), Ordering::Release);
    }

    pub fn started(&self) -> Option<u64> {
        Some(self.started.load(Ordering::Acquire)).filter(|n| *n > 0)
    }

    /// Notes the replica the call goes to (before the call, like `start`).
    pub fn set_origin(&self, replica: u32) {
        self.origin.store(replica, Ordering::Release);
    }

    pub fn origin(&self) -> u32 {
        self.origin.load(Ordering::Acquire)
    }

    pub fn commit(&self) {
        self.committed.store(true, Ordering::Release);
    }

    pub fn is_committed(&self) -> bool {
        self.committed.load(Ordering::Acquire)
    }

    /// A subscriber got this event for the first time at `nanos`.
    pub fn received_by_one(&self, nanos: u64) {
        self.last_received.fetch_max(nanos, Ordering::AcqRel);
        self.received.fetch_add(1, Ordering::AcqRel);
    }

    pub fn received(&self) -> u32 {
        self.received.load(Ordering::Acquire)
    }

    pub fn last_received(&self) -> u64 {
        self.last_received.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_crosses_replicas_when_the_call_was_made_elsewhere() {
        let ledger = Ledger::new("t".into());
        let (i, _) = ledger.begin_message(1, None);
        let m = ledger.message(i).expect("entry");
        assert_eq!(m.posted.origin(), 0, "one server: replica 0");
        m.posted.set_origin(2);
        assert!(!crossed(m.posted.origin(), 2));
        assert!(crossed(m.posted.origin(), 0));
        assert!(crossed(m.posted.origin(), 1));
        let r = m.begin_reaction(&ledger, 0, 4);
        r.set_origin(1);
        assert!(crossed(r.origin(), 2) && !crossed(r.origin(), 1));
    }

    #[test]
    fn contents_name_their_ledger_entry() {
        let ledger = Ledger::new("ab12".into());
        let (i, content) = ledger.begin_message(2, None);
        assert_eq!(ledger.index_of(&content), Some(i));
        assert_eq!(ledger.index_of("loadgen zz 0"), None, "another run's tag");
        assert_eq!(ledger.index_of("hello"), None);
    }

    #[test]
    fn reactions_are_found_by_reactor() {
        let ledger = Ledger::new("t".into());
        let (i, _) = ledger.begin_message(2, None);
        let m = ledger.message(i).expect("entry");
        m.begin_reaction(&ledger, 1, 7).commit();
        let (slot, e) = ledger
            .entry(
                &m,
                Key::Reacted {
                    message: i,
                    reactor: 7,
                },
            )
            .expect("slot");
        assert_eq!(slot, 2);
        assert!(e.is_committed());
        assert!(
            ledger
                .entry(
                    &m,
                    Key::Reacted {
                        message: i,
                        reactor: 3
                    }
                )
                .is_none()
        );
        assert_eq!(ledger.reactor_of(&ledger.user_name('r', 7)), Some(7));
        assert_eq!(ledger.reactor_of(&ledger.user_name('p', 7)), None);
        assert_eq!(m.committed().count(), 1);
        assert!(std::ptr::eq(m.event(slot).expect("slot 2"), e));
        assert!(std::ptr::eq(m.event(0).expect("the post"), &m.posted));
        assert!(m.event(3).is_none());
    }
}
