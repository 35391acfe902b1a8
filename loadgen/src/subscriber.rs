//! One subscriber: a live Subscribe stream read like a real client reads it, acking in
//! batches (cumulative, after 50 events or 250 ms, like chat-tui), resubscribing if the
//! server ends the stream, and checking every event it gets: lost (counted at the end from
//! the ledger), duplicated, out of order.

use crate::{
    client::Session,
    ledger::{Key, Ledger},
    stats::Histos,
};
use anyhow::{Context, Result};
use chat_protocol::chat::v1::{self as pb, event::Payload};
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::watch;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;
use tonic::Streaming;

/// How often one subscriber may resubscribe after the server ended its stream.
const MAX_RESUBSCRIBES: u32 = 50;

#[derive(Debug, Clone, Copy)]
pub struct AckPolicy {
    pub batch: u64,
    pub debounce: Duration,
}

/// What one stream saw.
#[derive(Debug, Default, Clone)]
pub struct StreamReport {
    /// Events of this run received for the first time.
    pub received: u64,
    /// An event received again on the same stream, or again after it was acked.
    pub duplicates: u64,
    /// An event id lower than the one before it on the same stream.
    pub out_of_order: u64,
    /// Unacked events sent again after a resubscribe (allowed: at-least-once).
    pub redelivered: u64,
    /// Events not caused by this run (another client on a shared server).
    pub foreign: u64,
    pub resync: u64,
    pub resubscribes: u32,
    pub acks: u64,
    pub last_error: Option<String>,
}

pub async fn open(session: &Session) -> Result<Streaming<pb::Event>> {
    Ok(session
        .chat
        .clone()
        .subscribe(session.req(pb::SubscribeRequest {}))
        .await
        .with_context(|| format!("Subscribe for {}", session.user_name))?
        .into_inner())
}

pub struct Subscriber {
    pub session: Session,
    pub ledger: Arc<Ledger>,
    pub latencies: Arc<Histos>,
    /// Which shard of `latencies` this subscriber records into.
    pub shard: usize,
    pub acks: AckPolicy,
    pub stop: CancellationToken,
}

impl Subscriber {
    /// Reads `stream` (already open) until `stop` is cancelled.
    pub async fn run(self, mut stream: Streaming<pb::Event>) -> StreamReport {
        let mut report = StreamReport::default();
        let acked = Arc::new(AtomicU64::new(0));
        let (ack_tx, ack_rx) = watch::channel((0u64, 0u64));
        let acker = tokio::spawn(ack_loop(
            self.session.clone(),
            self.acks,
            ack_rx,
            acked.clone(),
            self.stop.clone(),
        ));
        let mut seen: Vec<u8> = Vec::new();
        let mut pending_latencies: Vec<u64> = Vec::with_capacity(256);
        let mut last_id = 0u64;
        // The highest id seen on earlier streams of this session: below it, after a
        // resubscribe, an unacked event may legitimately come again.
        let mut earlier_max = 0u64;
        loop {
            let item = tokio::select! {
                () = self.stop.cancelled() => break,
                item = stream.next() => item,
            };
            match item {
                Some(Ok(event)) => {
                    let now = Instant::now();
                    let id = event.event_id;
                    if id < last_id {
                        report.out_of_order += 1;
                    }
                    last_id = last_id.max(id);
                    match self.key_of(&event) {
                        Classified::Resync => report.resync += 1,
                        Classified::Foreign => report.foreign += 1,
                        Classified::Ours(key) => {
                            let index = match key {
                                Key::Posted(i) | Key::Reacted { message: i, .. } => i,
                            };
                            let found = self.ledger.message(index).and_then(|m| {
                                self.ledger.entry(&m, key).map(|(slot, e)| {
                                    (slot, e.started(), {
                                        let first = mark(&mut seen, index, slot);
                                        if first {
                                            e.received_by_one(self.ledger.nanos(now));
                                        }
                                        first
                                    })
                                })
                            });
                            match found {
                                None => report.foreign += 1,
                                Some((_, started, true)) => {
                                    report.received += 1;
                                    if let Some(started) = started {
                                        let took =
                                            now.saturating_duration_since(self.ledger.at(started));
                                        pending_latencies.push(
                                            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
                                        );
                                        if pending_latencies.len() >= 256 {
                                            self.latencies
                                                .record_all(self.shard, &pending_latencies);
                                            pending_latencies.clear();
                                        }
                                    }
                                }
                                Some((_, _, false)) => {
                                    if id > acked.load(Ordering::Acquire) && id <= earlier_max {
                                        report.redelivered += 1;
                                    } else {
                                        report.duplicates += 1;
                                    }
                                }
                            }
                        }
                    }
                    ack_tx.send_modify(|(latest, count)| {
                        *latest = (*latest).max(id);
                        *count += 1;
                    });
                }
                Some(Err(status)) => {
                    report.last_error = Some(format!("{:?}: {}", status.code(), status.message()));
                    if !self.resubscribe(&mut stream, &mut report).await {
                        break;
                    }
                    earlier_max = earlier_max.max(last_id);
                    last_id = 0;
                }
                None => {
                    report.last_error = Some("the stream ended".into());
                    if !self.resubscribe(&mut stream, &mut report).await {
                        break;
                    }
                    earlier_max = earlier_max.max(last_id);
                    last_id = 0;
                }
            }
        }
        self.latencies.record_all(self.shard, &pending_latencies);
        drop(ack_tx);
        report.acks = acker.await.unwrap_or_default();
        report
    }

    /// Opens a new stream after the last one ended; false when giving up or stopping.
    async fn resubscribe(
        &self,
        stream: &mut Streaming<pb::Event>,
        report: &mut StreamReport,
    ) -> bool {
        while report.resubscribes < MAX_RESUBSCRIBES && !self.stop.is_cancelled() {
            report.resubscribes += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
            match open(&self.session).await {
                Ok(s) => {
                    *stream = s;
                    return true;
                }
                Err(e) => report.last_error = Some(format!("{e:#}")),
            }
        }
        false
    }

    fn key_of(&self, event: &pb::Event) -> Classified {
        match &event.payload {
            Some(Payload::ResyncRequired(_)) => Classified::Resync,
            Some(Payload::MessagePosted(p)) => p
                .message
                .as_ref()
                .and_then(|m| self.ledger.index_of(&m.content))
                .map_or(Classified::Foreign, |i| Classified::Ours(Key::Posted(i))),
            Some(Payload::ReactionChanged(r)) => {
                let message = r
                    .message
                    .as_ref()
                    .and_then(|m| self.ledger.index_of(&m.content));
                match (message, self.ledger.reactor_of(&r.user_name), r.added) {
                    (Some(message), Some(reactor), true) => {
                        Classified::Ours(Key::Reacted { message, reactor })
                    }
                    _ => Classified::Foreign,
                }
            }
            // Edits, tombstones, room and presence changes: the load generator posts none.
            Some(
                Payload::MessageEdited(_)
                | Payload::MessageDeleted(_)
                | Payload::RoomChanged(_)
                | Payload::PresenceChanged(_),
            )
            | None => Classified::Foreign,
        }
    }
}

enum Classified {
    Ours(Key),
    Resync,
    Foreign,
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

/// Acks the highest id received, after `batch` events or `debounce` after the first
/// unacked one, whichever comes first. Returns how many acks were sent.
async fn ack_loop(
    session: Session,
    policy: AckPolicy,
    mut rx: watch::Receiver<(u64, u64)>,
    acked: Arc<AtomicU64>,
    stop: CancellationToken,
) -> u64 {
    let mut sent = 0;
    let mut count_at_ack = 0;
    loop {
        tokio::select! {
            () = stop.cancelled() => return sent,
            changed = rx.changed() => if changed.is_err() { return sent },
        }
        let deadline = tokio::time::Instant::now() + policy.debounce;
        loop {
            let (_, count) = *rx.borrow_and_update();
            if count.saturating_sub(count_at_ack) >= policy.batch {
                break;
            }
            tokio::select! {
                () = stop.cancelled() => return sent,
                () = tokio::time::sleep_until(deadline) => break,
                changed = rx.changed() => if changed.is_err() { return sent },
            }
        }
        let (latest, count) = *rx.borrow_and_update();
        if latest <= acked.load(Ordering::Acquire) {
            continue;
        }
        let reply = session
            .chat
            .clone()
            .ack(session.req(pb::AckRequest {
                up_to_event_id: latest,
            }))
            .await;
        sent += 1;
        match reply {
            Ok(_) => {
                acked.fetch_max(latest, Ordering::AcqRel);
                count_at_ack = count;
            }
            Err(_) => {
                tokio::select! {
                    () = stop.cancelled() => return sent,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mark;

    #[test]
    fn marks_are_set_once() {
        let mut seen = Vec::new();
        assert!(mark(&mut seen, 5, 0));
        assert!(!mark(&mut seen, 5, 0));
        assert!(mark(&mut seen, 5, 2));
        assert!(mark(&mut seen, 1000, 1));
    }
}
