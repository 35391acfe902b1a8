//! One Subscribe stream: the session's unacked backlog first, read from its queue past a
//! cursor, then live events from the process-wide feed past the same cursor, so the switch
//! from backlog to live can neither skip nor repeat an event. A task pumps events into a
//! bounded channel; a client that stops reading fills the channel, and after a grace
//! period its stream is ended with RESOURCE_EXHAUSTED, without ever holding up posting or
//! other streams.

use super::{
    feed::{FeedEvent, FeedItem},
    presence, queue,
    registry::StreamHandle,
};
use crate::{
    auth::Principal,
    db::Db,
    delivery::Delivery,
    domain::{new_id, now_ms, timestamp},
    entity::session,
    error::{Error, Result},
    events::{self, Recipient, audience::membership_change},
};
use chat_protocol::{chat::v1 as pb, wire::EncodedEvent};
use futures::Stream;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, sea_query::Expr,
};
use std::{
    collections::HashSet,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};
use tokio::sync::{
    broadcast::{
        self,
        error::{RecvError, TryRecvError},
    },
    mpsc, oneshot,
};
use tonic::Status;

/// Events read from the queue per query.
const BATCH: u64 = 512;

/// How long a replaced stream keeps its lease while waiting for its successor's.
const LEASE_HANDOVER: Duration = Duration::from_secs(5);

pub fn open(delivery: Arc<Delivery>, who: Principal) -> EventStream {
    let buffer = delivery.settings.subscriber_buffer.max(1);
    let (events_tx, events_rx) = mpsc::channel(buffer);
    let (end_tx, end_rx) = oneshot::channel();
    // Both before Subscribe answers, in call order: a later Subscribe of the session
    // always replaces an earlier one, and whatever commits from now on (a live-only
    // PresenceChanged too) is in this stream's feed.
    let handle = delivery.streams.register(&who.session_id);
    let live = delivery.feed.subscribe();
    tokio::spawn(async move {
        let metrics = crate::metrics::get();
        metrics.open_streams.inc();
        let stream_id = new_id();
        let outcome = pump(&delivery, &who, &stream_id, &handle, live, &events_tx).await;
        handle.settled.cancel();
        delivery
            .streams
            .unregister(&who.session_id, handle.generation);
        metrics.open_streams.dec();
        Box::pin(release_lease(&delivery, &who, &handle, stream_id)).await;
        match outcome {
            Ok(()) => tracing::debug!(session_id = %who.session_id, "stream closed by the client"),
            Err(status) => {
                tracing::debug!(session_id = %who.session_id, code = ?status.code(), "stream ended");
                // Sent before the event sender drops, so the stream sees it at its end.
                let _ = end_tx.send(status);
            }
        }
    });
    EventStream {
        events: events_rx,
        end: Some(end_rx),
    }
}

/// The stream's presence lease goes, once the stream that replaced it (if one did) holds
/// its own, so the user does not blink offline between the two.
async fn release_lease(
    delivery: &Delivery,
    who: &Principal,
    handle: &StreamHandle,
    stream_id: String,
) {
    handle.successor_settled(LEASE_HANDOVER).await;
    let closed = presence::Closed {
        stream_id,
        user_id: who.user_id.clone(),
    };
    if let Err(e) = delivery.db.write(closed).await {
        // The presence sweep drops the lease (at the latest when it expires).
        tracing::debug!(error = %e, "could not record the stream's end");
    }
}

/// Runs until the client goes away (`Ok`) or the stream must end with a status.
///
/// The database calls of the start and of the rare turns of the live loop are boxed: an
/// async function is as large as its largest await, and what a task is while it waits
/// for the next event is what every open stream keeps for its whole life.
async fn pump(
    delivery: &Delivery,
    who: &Principal,
    stream_id: &str,
    handle: &StreamHandle,
    mut live: broadcast::Receiver<FeedItem>,
    out: &mpsc::Sender<EncodedEvent>,
) -> Result<(), Status> {
    let state = Box::pin(start(delivery, who, stream_id, handle, out)).await?;
    serve(delivery, handle, state, &mut live, out).await
}

/// Registers the stream (its lease) and sends the backlog; returns where live events
/// take over.
async fn start<'a>(
    delivery: &Delivery,
    who: &'a Principal,
    stream_id: &str,
    handle: &StreamHandle,
    out: &mpsc::Sender<EncodedEvent>,
) -> Result<Live<'a>, Status> {
    // An ack still buffered must land first, or its events would be sent again.
    delivery
        .acks
        .flush_session(&delivery.db, &who.session_id)
        .await
        .map_err(Status::from)?;
    let Some(session) = find_session(delivery, who).await? else {
        return Err(session_ended());
    };
    let opened = presence::Opened {
        stream_id: stream_id.to_owned(),
        session_id: who.session_id.clone(),
        user_id: who.user_id.clone(),
        replica_id: delivery.replica_id.clone(),
    };
    delivery.db.write(opened).await.map_err(Status::from)?;
    handle.settled.cancel();
    backlog(delivery, who, &session, out).await
}

/// The resync notice if the backlog was trimmed, then the queued events.
async fn backlog<'a>(
    delivery: &Delivery,
    who: &'a Principal,
    session: &session::Model,
    out: &mpsc::Sender<EncodedEvent>,
) -> Result<Live<'a>, Status> {
    let slow_after = Duration::from_secs(delivery.settings.slow_subscriber_timeout_secs);
    let mut cursor = 0i64;
    // The user's rooms as of event `known`, read in one statement: every event up to it
    // that is meant for this session is in its queue, and the set is right for the first
    // event after it.
    let (known, mut rooms) = rooms_as_of(delivery, &who.user_id).await?;
    if let Some(trimmed_up_to) = session.trimmed_up_to {
        // Its id is the last event dropped: above anything the client saw, below every
        // event still queued, and acknowledging it clears the mark.
        let notice = pb::Event {
            event_id: u64::try_from(trimmed_up_to).unwrap_or_default(),
            created_at: Some(timestamp(now_ms())),
            payload: Some(pb::event::Payload::ResyncRequired(pb::ResyncRequired {
                reason: "events were dropped from your backlog; reload with ListMessages".into(),
            })),
        };
        send(out, EncodedEvent::from(&notice), slow_after).await?;
        cursor = trimmed_up_to;
    }
    cursor = catch_up(
        delivery,
        who,
        session.seq,
        &mut rooms,
        cursor,
        out,
        slow_after,
    )
    .await?;
    // Whatever the feed still holds up to `known` came (or will not come) by the queue.
    // Live: an event of the session's audience recorded after the session began is in its
    // queue (the fan-out used the same definition), so the feed's copy can be sent
    // without asking the database.
    Ok(Live {
        who,
        rooms,
        cursor: cursor.max(known),
        created_after: session.first_event_id,
        session_seq: session.seq,
        slow_after,
    })
}

/// Live events from the feed, until the stream ends.
async fn serve(
    delivery: &Delivery,
    handle: &StreamHandle,
    mut live_state: Live<'_>,
    live: &mut broadcast::Receiver<FeedItem>,
    out: &mpsc::Sender<EncodedEvent>,
) -> Result<(), Status> {
    let who = live_state.who;
    let mut session_check =
        tokio::time::interval(delivery.settings.poll_interval() * SESSION_CHECK_POLLS);
    session_check.reset();
    // Made once, not on every turn of the loop: each would register with its token or
    // channel when first polled and deregister when dropped, for every event on every
    // stream.
    let shutdown = delivery.shutdown.cancelled();
    let stopped = handle.stop.cancelled();
    let gone = out.closed();
    tokio::pin!(shutdown, stopped, gone);
    loop {
        let mut next = tokio::select! {
            () = &mut shutdown => return Err(Status::unavailable("the server is shutting down")),
            () = &mut stopped => return Err(handle.reason()),
            () = &mut gone => return Ok(()),
            item = live.recv() => Some(item),
            _ = session_check.tick() => {
                // Notices a session ended or expired elsewhere (e.g. on another replica).
                if Box::pin(find_session(delivery, who)).await?.is_none() {
                    return Err(session_ended());
                }
                None
            }
        };
        // Whatever else the feed already holds goes out before the next wait.
        while let Some(item) = next {
            match item {
                Ok(item) => live_state.offer(&item, out).await?,
                // Fell behind the feed's buffer: the queue in the database has it all.
                Err(RecvError::Lagged(_)) => {
                    live_state.cursor = Box::pin(catch_up(
                        delivery,
                        who,
                        live_state.session_seq,
                        &mut live_state.rooms,
                        live_state.cursor,
                        out,
                        live_state.slow_after,
                    ))
                    .await?;
                }
                Err(RecvError::Closed) => {
                    return Err(Status::unavailable("the server is shutting down"));
                }
            }
            next = match live.try_recv() {
                Ok(item) => Some(Ok(item)),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Lagged(n)) => Some(Err(RecvError::Lagged(n))),
                Err(TryRecvError::Closed) => Some(Err(RecvError::Closed)),
            };
        }
    }
}

/// A live stream's position: what it has sent and which rooms it follows.
struct Live<'a> {
    who: &'a Principal,
    rooms: HashSet<String>,
    /// The highest event id sent (or known to have come by the queue).
    cursor: i64,
    /// The session's creation point: later events of its audience are in its queue.
    created_after: i64,
    /// The session's number, which keys its queue.
    session_seq: i64,
    /// How long a send may wait for room in the stream's channel.
    slow_after: Duration,
}

impl Live<'_> {
    /// Sends the feed's event if this stream should get it.
    async fn offer(
        &mut self,
        item: &FeedEvent,
        out: &mpsc::Sender<EncodedEvent>,
    ) -> Result<(), Status> {
        let id = i64::try_from(item.event.event_id).unwrap_or(i64::MAX);
        // Ids on a stream strictly increase (api.md "Ordering"), so this also skips a
        // live-only PresenceChanged that committed while the backlog was being sent:
        // clients read ListMembers after subscribing.
        if id <= self.cursor || id <= self.created_after {
            return Ok(());
        }
        // A join counts before it is judged, a leave after it is delivered.
        let change = membership_change(&item.event, &self.who.user_id, &self.who.user_name);
        if let Some((room, true)) = &change {
            self.rooms.insert(room.clone());
        }
        let recipient = Recipient {
            session_id: &self.who.session_id,
            user_id: &self.who.user_id,
            rooms: &self.rooms,
        };
        if item
            .audience
            .as_ref()
            .is_some_and(|a| a.includes(&recipient))
        {
            send(out, item.wire.clone(), self.slow_after).await?;
            self.cursor = self.cursor.max(id);
        }
        if let Some((room, false)) = &change {
            self.rooms.remove(room);
        }
        Ok(())
    }
}

/// The highest event id and the user's rooms (not the lobby) at that point, from one
/// statement, so both come from one snapshot of the database.
async fn rooms_as_of(delivery: &Delivery, user_id: &str) -> Result<(i64, HashSet<String>), Status> {
    let db = delivery.db.conn();
    let backend = db.get_database_backend();
    let placeholder = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let sql = format!(
        "SELECT MAX(id) AS event_id, NULL AS room_id FROM events \
         UNION ALL SELECT NULL, room_id FROM room_members WHERE user_id = {placeholder}"
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [user_id.into()],
        ))
        .await
        .map_err(|e| Status::from(Error::from(e)))?;
    let mut known = 0;
    let mut rooms = HashSet::new();
    for row in rows {
        if let Ok(Some(id)) = row.try_get::<Option<i64>>("", "event_id") {
            known = id;
        } else if let Ok(Some(room)) = row.try_get::<Option<String>>("", "room_id") {
            rooms.insert(room);
        }
    }
    Ok((known, rooms))
}

/// Polls between session checks on a live stream.
const SESSION_CHECK_POLLS: u32 = 10;

/// Sends the session's queued events past `cursor` from the database; returns the new
/// cursor.
async fn catch_up(
    delivery: &Delivery,
    who: &Principal,
    session_seq: i64,
    rooms: &mut HashSet<String>,
    mut cursor: i64,
    out: &mpsc::Sender<EncodedEvent>,
    slow_after: Duration,
) -> Result<i64, Status> {
    loop {
        let batch = queue::fetch(delivery.db.conn(), session_seq, cursor, BATCH)
            .await
            .map_err(Status::from)?;
        let full = batch.len() as u64 == BATCH;
        for (event_id, payload) in batch {
            let event = events::decode(event_id, &payload)?;
            match membership_change(&event, &who.user_id, &who.user_name) {
                Some((room, true)) => {
                    rooms.insert(room);
                }
                Some((room, false)) => {
                    rooms.remove(&room);
                }
                None => {}
            }
            send(out, events::encoded(event_id, &payload)?, slow_after).await?;
            cursor = event_id;
        }
        if !full {
            return Ok(cursor);
        }
    }
}

async fn send(
    out: &mpsc::Sender<EncodedEvent>,
    event: EncodedEvent,
    slow_after: Duration,
) -> Result<(), Status> {
    match out.send_timeout(event, slow_after).await {
        Ok(()) => Ok(()),
        Err(mpsc::error::SendTimeoutError::Timeout(_)) => {
            crate::metrics::get().slow_subscriber_cut_off();
            Err(Status::resource_exhausted(
                "the stream fell too far behind; subscribe again to continue from your queue",
            ))
        }
        // The client is gone; its events stay queued for the next Subscribe.
        Err(mpsc::error::SendTimeoutError::Closed(_)) => Err(Status::cancelled("client went away")),
    }
}

async fn find_session(
    delivery: &Delivery,
    who: &Principal,
) -> Result<Option<session::Model>, Status> {
    session::Entity::find_by_id(&who.session_id)
        .one(delivery.db.conn())
        .await
        .map(|s| s.filter(|s| s.expires_at > now_ms()))
        .map_err(|e| Status::from(Error::from(e)))
}

/// Records that these sessions have (or just opened) a Subscribe stream, so the janitor
/// does not expire them as idle.
pub async fn mark_subscribed(db: &Db, session_ids: Vec<String>) -> Result<()> {
    if session_ids.is_empty() {
        return Ok(());
    }
    let txn = db.begin_write().await?;
    let marked = session::Entity::update_many()
        .col_expr(session::Column::LastSubscribedAt, Expr::value(now_ms()))
        .filter(session::Column::Id.is_in(session_ids))
        .exec(&*txn)
        .await
        .map(drop)
        .map_err(Error::from);
    txn.finish(marked).await
}

fn session_ended() -> Status {
    Status::unauthenticated("the session has ended; sign in again")
}

/// The response stream: the pumped events, then the status the stream ended with.
pub struct EventStream {
    /// Only events: a slot is as small as `Bytes`, and a stream's channel holds a block of
    /// them for its whole life (the status, far larger, comes once through `end`).
    events: mpsc::Receiver<EncodedEvent>,
    end: Option<oneshot::Receiver<Status>>,
}

impl Stream for EventStream {
    type Item = Result<EncodedEvent, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.events.poll_recv(cx) {
            Poll::Ready(Some(event)) => Poll::Ready(Some(Ok(event))),
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                let ended = self.end.take().and_then(|mut rx| rx.try_recv().ok());
                Poll::Ready(ended.map(Err))
            }
        }
    }
}
