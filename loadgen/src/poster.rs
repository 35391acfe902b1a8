//! One poster: Send, then have `required` reactors react to the message (concurrently, as
//! several people would), which opens the gate for the next Send. Stops at the deadline or
//! when the shared message budget is spent. With rooms, the posters together take the rooms
//! in turn (round-robin over every Send), so each room gets the same share of the load.

use crate::{client::Session, ledger::Ledger, stats::Histos};
use chat_protocol::chat::v1 as pb;
use futures::future::join_all;
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

/// When the posters stop, and how fast each may go.
#[derive(Clone)]
pub struct Plan {
    pub deadline: Option<Instant>,
    /// Messages left to post, shared by all posters.
    pub budget: Option<Arc<AtomicU64>>,
    /// The least time between two Sends of one poster (from --rate).
    pub interval: Option<Duration>,
    /// The rooms to post to, by index; empty = the lobby.
    pub rooms: Arc<Vec<String>>,
    /// The next room's turn, shared by all posters.
    pub next_room: Arc<AtomicUsize>,
}

impl Plan {
    /// True if another message may be posted (and takes it from the budget).
    fn take_one(&self) -> bool {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return false;
        }
        match &self.budget {
            Some(left) => left
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok(),
            None => true,
        }
    }

    /// The room of the next Send (its index and id), or `None` for the lobby.
    fn room(&self) -> Option<(usize, &str)> {
        if self.rooms.is_empty() {
            return None;
        }
        let r = self.next_room.fetch_add(1, Ordering::Relaxed) % self.rooms.len();
        Some((r, self.rooms[r].as_str()))
    }
}

#[derive(Debug, Default, Clone)]
pub struct PosterReport {
    pub sent: u64,
    pub reactions: u64,
    pub errors: u64,
    pub last_error: Option<String>,
}

pub struct Poster {
    pub session: Session,
    pub number: usize,
    pub reactors: Arc<Vec<Session>>,
    pub required: usize,
    pub ledger: Arc<Ledger>,
    pub send_latency: Arc<Histos>,
    pub react_latency: Arc<Histos>,
    pub plan: Plan,
    /// Replicas (`--replicas`): this poster and reactor `r` talk to replica
    /// `number % replicas` and `r % replicas`.
    pub replicas: usize,
}

impl Poster {
    pub async fn run(self) -> PosterReport {
        let mut report = PosterReport::default();
        let started = tokio::time::Instant::now();
        let mut round = 0u64;
        while self.plan.take_one() {
            if let Some(interval) = self.plan.interval {
                let due = started + interval.mul_f64(round as f64);
                tokio::time::sleep_until(due).await;
            }
            round += 1;
            let room = self.plan.room();
            let (index, content) = self
                .ledger
                .begin_message(self.required, room.map(|(r, _)| r));
            let Some(entry) = self.ledger.message(index) else {
                continue;
            };
            entry
                .posted
                .set_origin(replica_number(self.number, self.replicas));
            let t0 = Instant::now();
            let reply = self
                .session
                .chat
                .clone()
                .send(self.session.req(pb::SendRequest {
                    content,
                    client_request_id: String::new(),
                    room_id: room.map(|(_, id)| id.to_owned()).unwrap_or_default(),
                }))
                .await;
            let message_id = match reply {
                Ok(r) => {
                    entry.posted.commit();
                    self.send_latency.record_all(self.number, &[micros(t0)]);
                    report.sent += 1;
                    r.into_inner()
                        .message
                        .map(|m| m.message_id)
                        .unwrap_or_default()
                }
                Err(status) => {
                    report.errors += 1;
                    report.last_error =
                        Some(format!("Send: {:?}: {}", status.code(), status.message()));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            if self.reactors.is_empty() {
                continue;
            }
            // Different reactors for consecutive messages, spread over the pool.
            let first = (self.number + round as usize * self.required) % self.reactors.len();
            let reactions = (0..self.required).map(|slot| {
                let number = (first + slot) % self.reactors.len();
                let reactor = &self.reactors[number];
                let event =
                    entry.begin_reaction(&self.ledger, slot, u32::try_from(number).unwrap_or(0));
                event.set_origin(replica_number(number, self.replicas));
                let message_id = message_id.clone();
                async move {
                    let t0 = Instant::now();
                    let reply = reactor
                        .chat
                        .clone()
                        .react(reactor.req(pb::ReactRequest {
                            message_id,
                            emoji: String::new(),
                        }))
                        .await;
                    if reply.is_ok() {
                        event.commit();
                    }
                    (reply, micros(t0))
                }
            });
            for (reply, us) in join_all(reactions).await {
                match reply {
                    Ok(_) => {
                        report.reactions += 1;
                        self.react_latency.record_all(self.number, &[us]);
                    }
                    Err(status) => {
                        report.errors += 1;
                        report.last_error =
                            Some(format!("React: {:?}: {}", status.code(), status.message()));
                    }
                }
            }
        }
        report
    }
}

fn replica_number(n: usize, replicas: usize) -> u32 {
    u32::try_from(crate::cli::replica_of(n, replicas)).unwrap_or(0)
}

fn micros(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(rooms: &[&str]) -> Plan {
        Plan {
            deadline: None,
            budget: None,
            interval: None,
            rooms: Arc::new(rooms.iter().map(|r| (*r).to_owned()).collect()),
            next_room: Arc::default(),
        }
    }

    #[test]
    fn posts_go_round_robin_over_the_rooms() {
        let p = plan(&["a", "b", "c"]);
        let shared = p.clone();
        let turns: Vec<_> = (0..4)
            .map(|i| if i % 2 == 0 { &p } else { &shared }.room())
            .collect();
        assert_eq!(
            turns,
            [
                Some((0, "a")),
                Some((1, "b")),
                Some((2, "c")),
                Some((0, "a"))
            ],
            "the turn is shared by every poster"
        );
        assert_eq!(plan(&[]).room(), None, "no rooms: the lobby");
    }
}
