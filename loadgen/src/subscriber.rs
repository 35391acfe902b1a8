//! One subscriber: a live Subscribe stream read like a real client reads it, acking in
//! batches (cumulative, after 50 events or 250 ms, like chat-tui), resubscribing if the
//! server ends the stream, and checking every event it gets (`check`): lost (counted at
//! the end from the ledger), duplicated, out of order, leaked to a room's non-member.

use crate::{
    check::{Seen, StreamCheck, Verdict},
    client::Session,
    ledger::{Key, Ledger, MessageEntry, crossed},
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
    /// One of the load's events with an id lower than one before it on the same stream.
    pub out_of_order: u64,
    /// One of the load's room events on the stream of a user not in that room.
    pub leaked: u64,
    /// Unacked events sent again after a resubscribe (allowed: at-least-once).
    pub redelivered: u64,
    /// Events not caused by this run (another client on a shared server).
    pub foreign: u64,
    /// `RoomChanged` and `PresenceChanged`: not the measured load, and not deliveries.
    pub side: u64,
    /// Of those, the `RoomChanged` that came with an id below one already sent (does not
    /// fail the run; presence has no order to keep).
    pub side_out_of_order: u64,
    pub resync: u64,
    pub resubscribes: u32,
    pub acks: u64,
    pub last_error: Option<String>,
}

/// Delivery latencies split by where the event was caused (`--replicas`).
pub struct ByReplica {
    /// On the stream's own replica.
    pub local: Histos,
    /// On another replica.
    pub cross: Histos,
}

impl ByReplica {
    pub fn new(shards: usize) -> Self {
        Self {
            local: Histos::new(shards),
            cross: Histos::new(shards),
        }
    }

    /// 0 = local, 1 = cross-replica (as `usize::from(crossed(..))`).
    fn of(&self, kind: usize) -> &Histos {
        if kind == 0 { &self.local } else { &self.cross }
    }
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
    /// The room of this session's user (`None` = the lobby only).
    pub room: Option<usize>,
    pub ledger: Arc<Ledger>,
    /// Room and presence events seen by all subscribers, to tell when setup has gone quiet.
    pub side_events: Arc<AtomicU64>,
    pub latencies: Arc<Histos>,
    /// Which shard of `latencies` this subscriber records into.
    pub shard: usize,
    /// The replica this stream is on, and where it records each latency a second time,
    /// by whether the event was caused on its own replica or another; `None` with one
    /// server.
    pub replica: u32,
    pub by_replica: Option<Arc<ByReplica>>,
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
        let mut check = StreamCheck::new(self.room);
        let mut pending_latencies: Vec<u64> = Vec::with_capacity(256);
        // Local (the event was caused on this stream's replica) and cross-replica.
        let mut pending_split: [Vec<u64>; 2] = [Vec::new(), Vec::new()];
        loop {
            let item = tokio::select! {
                () = self.stop.cancelled() => break,
                item = stream.next() => item,
            };
            match item {
                Some(Ok(event)) => {
                    let now = Instant::now();
                    let id = event.event_id;
                    let (seen, entry) = self.classify(&event);
                    match check.observe(id, seen, acked.load(Ordering::Acquire)) {
                        Verdict::First => {
                            report.received += 1;
                            let started = entry.and_then(|(m, slot)| {
                                let e = m.event(slot)?;
                                e.received_by_one(self.ledger.nanos(now));
                                Some((e.started()?, e.origin()))
                            });
                            if let Some((started, origin)) = started {
                                let took = now.saturating_duration_since(self.ledger.at(started));
                                let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
                                pending_latencies.push(us);
                                if pending_latencies.len() >= 256 {
                                    self.latencies.record_all(self.shard, &pending_latencies);
                                    pending_latencies.clear();
                                }
                                if let Some(split) = &self.by_replica {
                                    let kind = usize::from(crossed(origin, self.replica));
                                    let pending = &mut pending_split[kind];
                                    pending.push(us);
                                    if pending.len() >= 256 {
                                        split.of(kind).record_all(self.shard, pending);
                                        pending.clear();
                                    }
                                }
                            }
                        }
                        Verdict::Duplicate => report.duplicates += 1,
                        Verdict::Redelivered => report.redelivered += 1,
                        Verdict::Leaked => report.leaked += 1,
                        Verdict::Side => {
                            report.side += 1;
                            self.side_events.fetch_add(1, Ordering::Relaxed);
                        }
                        Verdict::Resync => report.resync += 1,
                        Verdict::Foreign => report.foreign += 1,
                    }
                    // A PresenceChanged is never queued and may come with an id above a
                    // backlog event not sent yet: acking up to it could drop that event.
                    if !live_only(&event) {
                        ack_tx.send_modify(|(latest, count)| {
                            *latest = (*latest).max(id);
                            *count += 1;
                        });
                    }
                }
                Some(Err(status)) => {
                    report.last_error = Some(format!("{:?}: {}", status.code(), status.message()));
                    if !self.resubscribe(&mut stream, &mut report).await {
                        break;
                    }
                    check.resubscribed();
                }
                None => {
                    report.last_error = Some("the stream ended".into());
                    if !self.resubscribe(&mut stream, &mut report).await {
                        break;
                    }
                    check.resubscribed();
                }
            }
        }
        self.latencies.record_all(self.shard, &pending_latencies);
        if let Some(split) = &self.by_replica {
            for (kind, pending) in pending_split.iter().enumerate() {
                split.of(kind).record_all(self.shard, pending);
            }
        }
        report.out_of_order = check.out_of_order;
        report.side_out_of_order = check.side_out_of_order;
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

    /// What `event` is and, for the load's own events, its ledger entry and slot.
    fn classify(&self, event: &pb::Event) -> (Seen, Option<(Arc<MessageEntry>, usize)>) {
        let key = match &event.payload {
            Some(Payload::ResyncRequired(_)) => return (Seen::Resync, None),
            // Joins and presence come from setting the run up, not from the load.
            Some(Payload::RoomChanged(_)) => return (Seen::Side { queued: true }, None),
            Some(Payload::PresenceChanged(_)) => return (Seen::Side { queued: false }, None),
            Some(Payload::MessagePosted(p)) => p
                .message
                .as_ref()
                .and_then(|m| self.ledger.index_of(&m.content))
                .map(Key::Posted),
            Some(Payload::ReactionChanged(r)) => {
                let message = r
                    .message
                    .as_ref()
                    .and_then(|m| self.ledger.index_of(&m.content));
                match (message, self.ledger.reactor_of(&r.user_name), r.added) {
                    (Some(message), Some(reactor), true) => Some(Key::Reacted { message, reactor }),
                    _ => None,
                }
            }
            // Edits and tombstones: the load generator makes none.
            Some(Payload::MessageEdited(_) | Payload::MessageDeleted(_)) | None => None,
        };
        let found = key.and_then(|key| {
            let index = match key {
                Key::Posted(i) | Key::Reacted { message: i, .. } => i,
            };
            let m = self.ledger.message(index)?;
            let (slot, _) = self.ledger.entry(&m, key)?;
            Some((index, slot, m))
        });
        match found {
            Some((index, slot, m)) => (
                Seen::Ours {
                    index,
                    slot,
                    room: m.room,
                },
                Some((m, slot)),
            ),
            None => (Seen::Foreign, None),
        }
    }
}

/// Events the server never queues, so never to be acked (api.md §7).
fn live_only(event: &pb::Event) -> bool {
    matches!(event.payload, Some(Payload::PresenceChanged(_)))
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
    use super::*;

    #[test]
    fn presence_is_not_acked_and_everything_else_is() {
        let event = |payload| pb::Event {
            event_id: 7,
            payload: Some(payload),
            ..Default::default()
        };
        assert!(live_only(&event(Payload::PresenceChanged(
            pb::PresenceChanged::default()
        ))));
        assert!(!live_only(&event(Payload::RoomChanged(
            pb::RoomChanged::default()
        ))));
        assert!(!live_only(&event(Payload::MessagePosted(
            pb::MessagePosted::default()
        ))));
    }
}
