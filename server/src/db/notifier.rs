//! Wakes the event feed after an event commits. It carries only the highest committed
//! event id: the database stays the source of truth, so a wake-up that is missed or
//! coalesced loses nothing (the feed reads everything past its cursor).

use std::sync::Arc;
use tokio::sync::watch;

#[derive(Clone)]
pub struct Notifier {
    latest: Arc<watch::Sender<i64>>,
}

impl Default for Notifier {
    fn default() -> Self {
        Self {
            latest: Arc::new(watch::Sender::new(0)),
        }
    }
}

impl Notifier {
    /// Call after the transaction that wrote `event_id` has committed.
    pub fn notify(&self, event_id: i64) {
        self.latest.send_if_modified(|latest| {
            let newer = event_id > *latest;
            if newer {
                *latest = event_id;
            }
            newer
        });
    }

    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.latest.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wake_up_carries_the_highest_id_and_never_goes_back() {
        let n = Notifier::default();
        let mut rx = n.subscribe();
        n.notify(5);
        n.notify(3);
        rx.changed().await.expect("woken");
        assert_eq!(*rx.borrow_and_update(), 5);
        n.notify(4);
        assert!(!rx.has_changed().expect("open"));
    }
}
