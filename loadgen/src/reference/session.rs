//! One session's queue and its Subscribe stream (api.md §4, without durability).
//!
//! Every event of the session's audience is appended to its queue when published (in id
//! order: publishing holds the world's lock) and stays there until acked, so a stream
//! that ends loses nothing: the next Subscribe sends the unacked rest again, then live
//! events. The stream reads the queue itself, past its cursor (backlog and live are the
//! same queue, so the switch can neither skip nor repeat), and is woken by the publisher;
//! there is no task or channel per stream in between. A reader that falls behind only
//! makes its own queue longer: HTTP/2 flow control holds its body, nobody else waits. The
//! queue is bounded like chat-server's (`QUEUE_CAP`, its `delivery.queue_cap`): past it the
//! oldest events are dropped, a live stream that had not sent them ends with UNAVAILABLE,
//! and the next Subscribe starts with `ResyncRequired`.

use super::frame::Frame;
use chat_protocol::chat::v1 as pb;
use futures::Stream;
use std::{
    collections::VecDeque,
    pin::Pin,
    sync::{Mutex, MutexGuard, PoisonError},
    task::{Context, Poll, Waker},
};
use tonic::Status;

/// Unacked events a session may hold (chat-server's default `delivery.queue_cap`).
pub const QUEUE_CAP: usize = 10_000;

pub struct Session {
    pub user: usize,
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    /// Unacked events, ids strictly increasing.
    events: VecDeque<Frame>,
    acked: u64,
    /// The last event dropped by the cap, until an ack reaches it.
    trimmed_up_to: Option<u64>,
    /// The current stream's generation; a new Subscribe bumps it and replaces the old one.
    generation: u64,
    waker: Option<Waker>,
}

impl Session {
    pub fn new(user: usize) -> Self {
        Self {
            user,
            queue: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends a published event and wakes the stream, if one is waiting.
    pub fn push(&self, frame: &Frame) {
        let waker = {
            let mut q = self.lock();
            q.events.push_back(frame.clone());
            if q.events.len() > QUEUE_CAP
                && let Some(dropped) = q.events.pop_front()
            {
                q.trimmed_up_to = Some(dropped.id);
            }
            q.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Cumulative ack: drops every queued event up to `up_to`.
    pub fn ack(&self, up_to: u64) {
        let mut q = self.lock();
        q.acked = q.acked.max(up_to);
        let acked = q.acked;
        while q.events.front().is_some_and(|f| f.id <= acked) {
            q.events.pop_front();
        }
        if q.trimmed_up_to.is_some_and(|t| t <= acked) {
            q.trimmed_up_to = None;
        }
    }

    /// A new stream of this session; the one before it, if any, ends with ABORTED.
    pub fn subscribe(self: &std::sync::Arc<Self>) -> EventStream {
        let (generation, notice, old) = {
            let mut q = self.lock();
            q.generation += 1;
            let notice = q.trimmed_up_to.map(resync_notice);
            (q.generation, notice, q.waker.take())
        };
        if let Some(old) = old {
            old.wake();
        }
        EventStream {
            session: self.clone(),
            generation,
            cursor: notice.as_ref().map_or(0, |n| n.id),
            notice,
            done: false,
        }
    }

    #[cfg(test)]
    pub fn queued(&self) -> usize {
        self.lock().events.len()
    }
}

/// The notice that opens a stream after a trim; its id is the last event dropped.
fn resync_notice(trimmed_up_to: u64) -> Frame {
    Frame::encode(&pb::Event {
        event_id: trimmed_up_to,
        created_at: None,
        payload: Some(pb::event::Payload::ResyncRequired(pb::ResyncRequired {
            reason: "events were dropped from your backlog; reload with ListMessages".into(),
        })),
    })
}

/// The body of one Subscribe: the queue past `cursor`, as the client reads it.
pub struct EventStream {
    session: std::sync::Arc<Session>,
    generation: u64,
    /// The highest id sent on this stream.
    cursor: u64,
    notice: Option<Frame>,
    done: bool,
}

impl Stream for EventStream {
    type Item = Result<Frame, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if let Some(notice) = self.notice.take() {
            return Poll::Ready(Some(Ok(notice)));
        }
        let this = &mut *self;
        let mut q = this.session.lock();
        if q.generation != this.generation {
            drop(q);
            this.done = true;
            return Poll::Ready(Some(Err(Status::aborted(
                "replaced by a newer Subscribe of the same session",
            ))));
        }
        if q.trimmed_up_to.is_some_and(|t| t > this.cursor) {
            drop(q);
            this.done = true;
            return Poll::Ready(Some(Err(Status::unavailable(
                "the backlog was trimmed; subscribe again to resync",
            ))));
        }
        let cursor = this.cursor;
        let next = q.events.partition_point(|f| f.id <= cursor);
        if let Some(frame) = q.events.get(next) {
            this.cursor = frame.id;
            return Poll::Ready(Some(Ok(frame.clone())));
        }
        match &mut q.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::{FutureExt, StreamExt};
    use std::sync::Arc;

    fn frame(id: u64) -> Frame {
        Frame::encode(&pb::Event {
            event_id: id,
            ..Default::default()
        })
    }

    /// The next item if one is ready now, without waiting.
    fn ready(stream: &mut EventStream) -> Option<Option<Result<Frame, Status>>> {
        stream.next().now_or_never()
    }

    fn id(item: Option<Option<Result<Frame, Status>>>) -> u64 {
        item.flatten().expect("an item").expect("an event").id
    }

    #[test]
    fn backlog_then_live_in_order_and_acked_events_never_return() {
        let s = Arc::new(Session::new(0));
        s.push(&frame(1));
        s.push(&frame(2));
        let mut stream = s.subscribe();
        assert_eq!(id(ready(&mut stream)), 1);
        assert_eq!(id(ready(&mut stream)), 2);
        assert!(ready(&mut stream).is_none(), "nothing more yet");
        s.push(&frame(5));
        assert_eq!(id(ready(&mut stream)), 5);
        s.ack(2);
        assert_eq!(s.queued(), 1);
        // A new stream (the old one is replaced) sends the unacked rest again.
        let mut again = s.subscribe();
        let old = ready(&mut stream).flatten().expect("the old stream ends");
        assert_eq!(old.expect_err("ABORTED").code(), tonic::Code::Aborted);
        assert_eq!(id(ready(&mut again)), 5);
        assert!(ready(&mut again).is_none());
    }

    #[test]
    fn acks_are_cumulative_and_a_lower_one_changes_nothing() {
        let s = Session::new(0);
        for i in 1..=4 {
            s.push(&frame(i));
        }
        s.ack(3);
        s.ack(1);
        assert_eq!(s.queued(), 1);
        s.ack(0);
        assert_eq!(s.queued(), 1);
    }

    #[test]
    fn past_the_cap_the_oldest_go_and_the_next_stream_starts_with_resync() {
        let s = Arc::new(Session::new(0));
        let mut live = s.subscribe();
        for i in 1..=(QUEUE_CAP as u64 + 2) {
            s.push(&frame(i));
        }
        assert_eq!(s.queued(), QUEUE_CAP);
        let ended = ready(&mut live).flatten().expect("the live stream ends");
        assert_eq!(
            ended.expect_err("UNAVAILABLE").code(),
            tonic::Code::Unavailable
        );
        let mut next = s.subscribe();
        let notice = ready(&mut next).flatten().expect("a notice").expect("ok");
        assert_eq!(notice.id, 2, "the last event dropped");
        assert!(matches!(
            notice.decode().payload,
            Some(pb::event::Payload::ResyncRequired(_))
        ));
        assert_eq!(id(ready(&mut next)), 3);
        s.ack(2);
        assert!(
            s.subscribe().notice.is_none(),
            "an ack at the notice clears it"
        );
    }
}
