//! Acknowledgements, batched. An `Ack` only records the session's new high-water mark in
//! memory and returns; a flusher writes all pending marks in one transaction every
//! [`FLUSH_EVERY`]. With hundreds of clients acking, that is one write instead of
//! hundreds competing with posts for the writer.
//!
//! Losing unflushed acks in a crash is harmless: those events are simply delivered again
//! (delivery is at-least-once and clients dedupe by `event_id`). Before a session's
//! stream reads its backlog, its pending ack is flushed, so an acknowledged event is never
//! re-sent by this process.

use super::queue;
use crate::{db::Db, error::Result};
use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::Duration,
};
use tokio_util::sync::CancellationToken;

pub const FLUSH_EVERY: Duration = Duration::from_millis(100);

#[derive(Default)]
pub struct AckBuffer {
    pending: Mutex<HashMap<String, i64>>,
    /// Held while marks are taken out and written, so a session's flush cannot overtake
    /// a background flush that has already taken its mark but not yet committed it.
    writing: tokio::sync::Mutex<()>,
}

impl AckBuffer {
    /// Cumulative: a lower mark than one already pending changes nothing.
    pub fn record(&self, session_id: &str, up_to: i64) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let mark = pending.entry(session_id.to_owned()).or_insert(up_to);
        *mark = (*mark).max(up_to);
    }

    /// Writes every pending mark.
    pub async fn flush(&self, db: &Db) -> Result<()> {
        let _writing = self.writing.lock().await;
        let batch: Vec<(String, i64)> = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.drain().collect()
        };
        if batch.is_empty() {
            return Ok(());
        }
        let written = queue::ack_many(db, &batch).await;
        if written.is_err() {
            // Put them back so the next flush retries; newer marks win.
            for (session_id, up_to) in batch {
                self.record(&session_id, up_to);
            }
        }
        written
    }

    /// Writes one session's pending mark, if any (before its backlog is read).
    pub async fn flush_session(&self, db: &Db, session_id: &str) -> Result<()> {
        let _writing = self.writing.lock().await;
        let mark = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.remove(session_id)
        };
        match mark {
            Some(up_to) => queue::ack_many(db, &[(session_id.to_owned(), up_to)]).await,
            None => Ok(()),
        }
    }

    /// Flushes every [`FLUSH_EVERY`] until shutdown, then once more.
    pub async fn run(&self, db: &Db, shutdown: &CancellationToken) {
        loop {
            let stopping = tokio::select! {
                () = shutdown.cancelled() => true,
                () = tokio::time::sleep(FLUSH_EVERY) => false,
            };
            if let Err(e) = self.flush(db).await {
                tracing::warn!(error = %e, "flushing acks failed; will retry");
            }
            if stopping {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_cumulative() {
        let acks = AckBuffer::default();
        acks.record("s", 10);
        acks.record("s", 5);
        acks.record("t", 1);
        let pending = acks.pending.lock().expect("lock");
        assert_eq!(pending.get("s"), Some(&10));
        assert_eq!(pending.get("t"), Some(&1));
    }
}
