//! Acknowledgements, batched and durable. An `Ack` answers OK only once its deletion has
//! committed: an acknowledged event must never come back, not even after a `kill -9`.
//!
//! Written one by one, a thousand clients acking would be a thousand writes competing
//! with posts for the writer. So an `Ack` records the session's new high-water mark here
//! and waits; a flusher takes every mark recorded meanwhile and writes them in one
//! operation, which itself shares the group commit with posts and reactions (see
//! `queue::ack_many`), then answers all of their callers. Marks that arrive while a flush
//! is being written make up the next one.
//!
//! Before a session's stream reads its backlog, its pending mark is written first, so an
//! ack still in flight does not make its events come round again.
//!
//! An `Ack` does not read the database before it waits: the flush checks in one statement
//! which of its sessions are alive (not expired, the account not disabled), writes only
//! theirs, and answers the others UNAUTHENTICATED, as the per-call check would have. A
//! read per `Ack` was the commonest query of the server, and every `Ack` waiting for its
//! turn at the database held a full query's state: 50,000 of them after one message to
//! 50,000 streams took 1.7 GB.

use super::queue;
use crate::{
    db::Db,
    error::{Error, Result},
};
use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
};
use tokio::sync::{Notify, oneshot};
use tokio_util::sync::CancellationToken;

/// What a waiting `Ack` is told.
type Reply = oneshot::Sender<Outcome>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Committed,
    /// The session has ended (or its account is disabled): nothing was written for it.
    SessionEnded,
    Failed,
}

#[derive(Default)]
pub struct AckBuffer {
    pending: Mutex<Pending>,
    /// Wakes the flusher when a mark is recorded.
    recorded: Notify,
    /// Held while marks are taken out and written, so a session's flush cannot overtake
    /// a background flush that has already taken its mark but not yet committed it.
    writing: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Pending {
    marks: HashMap<String, Mark>,
    /// Set once the flusher has stopped: later acks are refused instead of waiting.
    closed: bool,
}

struct Mark {
    up_to: i64,
    waiting: Vec<Reply>,
}

impl AckBuffer {
    /// Records the mark and returns once it is committed. Cumulative: a lower mark than
    /// one already pending changes nothing.
    pub async fn acknowledge(&self, session_id: &str, up_to: i64) -> Result<()> {
        let (reply, committed) = oneshot::channel();
        {
            let mut pending = self.lock();
            if pending.closed {
                return Err(Error::Unavailable("the server is shutting down".into()));
            }
            let mark = pending.marks.entry(session_id.to_owned()).or_insert(Mark {
                up_to,
                waiting: Vec::new(),
            });
            mark.up_to = mark.up_to.max(up_to);
            mark.waiting.push(reply);
        }
        self.recorded.notify_one();
        match committed.await {
            Ok(Outcome::Committed) => Ok(()),
            Ok(Outcome::SessionEnded) => Err(Error::unauthenticated(
                "the session has ended; sign in again",
            )),
            Ok(Outcome::Failed) => Err(Error::internal("an acknowledgement could not be stored")),
            Err(_) => Err(Error::Unavailable("the server is shutting down".into())),
        }
    }

    /// Writes every pending mark and answers their callers.
    pub async fn flush(&self, db: &Db) -> Result<()> {
        let _writing = self.writing.lock().await;
        let batch: Vec<(String, Mark)> = self.lock().marks.drain().collect();
        write(db, batch).await
    }

    /// Writes one session's pending mark, if any (before its backlog is read).
    pub async fn flush_session(&self, db: &Db, session_id: &str) -> Result<()> {
        let _writing = self.writing.lock().await;
        let mark = self.lock().marks.remove(session_id);
        match mark {
            Some(mark) => write(db, vec![(session_id.to_owned(), mark)]).await,
            None => Ok(()),
        }
    }

    /// Flushes whenever marks are recorded, until shutdown; then once more, and refuses
    /// what comes later.
    pub async fn run(&self, db: &Db, shutdown: &CancellationToken) {
        loop {
            let stopping = tokio::select! {
                () = shutdown.cancelled() => true,
                () = self.recorded.notified() => false,
            };
            if stopping {
                self.lock().closed = true;
            }
            if let Err(e) = self.flush(db).await {
                tracing::warn!(error = %e, "writing acknowledgements failed");
            }
            if stopping {
                return;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Writes the marks in one operation and tells every waiting caller how it went. A
/// failed write is not retried here: its callers got an error and will ack again.
async fn write(db: &Db, batch: Vec<(String, Mark)>) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let marks: Vec<(String, i64)> = batch.iter().map(|(s, m)| (s.clone(), m.up_to)).collect();
    let written = queue::ack_many(db, &marks).await;
    if written.is_ok() {
        crate::metrics::get().ack_batch();
    }
    for (session_id, mark) in batch {
        let outcome = match &written {
            Ok(alive) if alive.contains(&session_id) => Outcome::Committed,
            Ok(_) => Outcome::SessionEnded,
            Err(_) => Outcome::Failed,
        };
        for reply in mark.waiting {
            // The caller may have gone away; the mark stands either way.
            let _ = reply.send(outcome);
        }
    }
    written.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn marks_are_cumulative_and_refused_once_closed() {
        let acks = std::sync::Arc::new(AckBuffer::default());
        let (a, b) = (acks.clone(), acks.clone());
        let first = tokio::spawn(async move { a.acknowledge("s", 10).await });
        let second = tokio::spawn(async move { b.acknowledge("s", 5).await });
        while acks.lock().marks.get("s").map_or(0, |m| m.waiting.len()) < 2 {
            tokio::task::yield_now().await;
        }
        assert_eq!(acks.lock().marks.get("s").map(|m| m.up_to), Some(10));
        // Answer both as if their write had committed.
        let mark = acks.lock().marks.remove("s").expect("pending");
        for reply in mark.waiting {
            let _ = reply.send(Outcome::Committed);
        }
        assert!(first.await.expect("task").is_ok());
        assert!(second.await.expect("task").is_ok());
        acks.lock().closed = true;
        let refused = acks.acknowledge("s", 11).await.expect_err("closed");
        assert_eq!(refused.code(), tonic::Code::Unavailable);
    }
}
