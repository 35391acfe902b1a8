//! Ack batching. Acks are cumulative, so only the highest applied id matters: we send
//! one after a short quiet period or after enough events, not one per event.

use std::time::Duration;
use tokio::time::Instant;

/// Wait this long after the first unacked event before acking...
pub const DEBOUNCE: Duration = Duration::from_millis(250);
/// ...unless this many events have piled up.
pub const MAX_BATCH: usize = 50;
/// After a failed ack, wait this long before trying again.
pub const RETRY_AFTER: Duration = Duration::from_secs(2);

#[derive(Debug, Default, Clone)]
pub struct AckBatcher {
    /// The highest id applied and not yet acknowledged.
    pending: Option<u64>,
    count: usize,
    due: Option<Instant>,
    /// The highest id the server has confirmed.
    acked: u64,
}

impl AckBatcher {
    /// Records an applied id; true when the batch is full and should go now.
    pub fn push(&mut self, id: u64, now: Instant) -> bool {
        if id <= self.acked || self.pending.is_some_and(|p| id <= p) {
            return false;
        }
        self.pending = Some(id);
        self.count += 1;
        self.due.get_or_insert(now + DEBOUNCE);
        self.count >= MAX_BATCH
    }

    /// When the pending ack should go, if there is one.
    pub fn due(&self) -> Option<Instant> {
        self.pending.and(self.due)
    }

    /// Takes the id to acknowledge now.
    pub fn take(&mut self) -> Option<u64> {
        self.count = 0;
        self.due = None;
        self.pending.take()
    }

    pub fn confirmed(&mut self, id: u64) {
        self.acked = self.acked.max(id);
    }

    /// Puts a failed ack back, to retry a little later (newer ids may join it).
    pub fn failed(&mut self, id: u64, now: Instant) {
        if self.pending.is_none_or(|p| p < id) {
            self.pending = Some(id);
        }
        self.due = Some(now + RETRY_AFTER);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_are_batched_and_cumulative() {
        let now = Instant::now();
        let mut b = AckBatcher::default();
        assert!(!b.push(1, now));
        assert!(!b.push(2, now));
        assert_eq!(b.due(), Some(now + DEBOUNCE));
        assert_eq!(b.take(), Some(2));
        assert_eq!(b.due(), None);
        b.confirmed(2);
        assert!(!b.push(2, now), "already acked ids are ignored");
        assert_eq!(b.take(), None);
    }

    #[test]
    fn a_full_batch_goes_at_once() {
        let now = Instant::now();
        let mut b = AckBatcher::default();
        let full = (1..=MAX_BATCH as u64).map(|i| b.push(i, now)).last();
        assert_eq!(full, Some(true));
        assert_eq!(b.take(), Some(MAX_BATCH as u64));
    }

    #[test]
    fn a_failed_ack_is_retried_later_with_newer_ids() {
        let now = Instant::now();
        let mut b = AckBatcher::default();
        b.push(5, now);
        let id = b.take().unwrap_or_default();
        b.failed(id, now);
        assert_eq!(b.due(), Some(now + RETRY_AFTER));
        b.push(7, now);
        assert_eq!(b.take(), Some(7));
    }
}
