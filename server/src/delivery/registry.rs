//! Open Subscribe streams by session, so that a new Subscribe replaces the old stream and
//! sign-out or a trimmed backlog ends it at once.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock, PoisonError},
};
use tokio_util::sync::CancellationToken;
use tonic::Status;

#[derive(Default)]
pub struct StreamRegistry {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_generation: u64,
    streams: HashMap<String, Entry>,
}

struct Entry {
    generation: u64,
    handle: StreamHandle,
}

/// What a stream task watches: `stop` is cancelled when it must end, with `reason` set
/// first to the status the client should get.
#[derive(Clone, Default)]
pub struct StreamHandle {
    pub stop: CancellationToken,
    reason: Arc<Mutex<Option<Status>>>,
    pub generation: u64,
    /// Cancelled by the stream's task once its presence lease is written (or will never
    /// be): the stream it replaced waits for this before dropping its own lease, so the
    /// user does not blink offline between the two.
    pub settled: CancellationToken,
    /// The `settled` of the stream that replaced this one, if one did.
    successor: Arc<OnceLock<CancellationToken>>,
}

impl StreamHandle {
    /// Waits, at most `limit`, until the stream that replaced this one holds its lease;
    /// at once if none did.
    pub async fn successor_settled(&self, limit: std::time::Duration) {
        if let Some(next) = self.successor.get() {
            let _ = tokio::time::timeout(limit, next.cancelled()).await;
        }
    }

    fn end(&self, status: Status) {
        *self.reason.lock().unwrap_or_else(PoisonError::into_inner) = Some(status);
        self.stop.cancel();
    }

    pub fn reason(&self) -> Status {
        self.reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| Status::cancelled("stream ended"))
    }
}

impl StreamRegistry {
    /// Registers a new stream for the session, ending the one it replaces.
    pub fn register(&self, session_id: &str) -> StreamHandle {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.next_generation += 1;
        let handle = StreamHandle {
            generation: inner.next_generation,
            ..Default::default()
        };
        let entry = Entry {
            generation: handle.generation,
            handle: handle.clone(),
        };
        if let Some(old) = inner.streams.insert(session_id.to_owned(), entry) {
            let _ = old.handle.successor.set(handle.settled.clone());
            old.handle.end(Status::aborted(
                "replaced by a newer Subscribe of the same session",
            ));
        }
        handle
    }

    /// Forgets the stream if it is still the session's current one.
    pub fn unregister(&self, session_id: &str, generation: u64) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner
            .streams
            .get(session_id)
            .is_some_and(|e| e.generation == generation)
        {
            inner.streams.remove(session_id);
        }
    }

    pub fn end_signed_out(&self, session_id: &str) {
        self.end(
            session_id,
            Status::unauthenticated("the session has ended; sign in again"),
        );
    }

    /// The backlog was trimmed under the stream: the client must resubscribe, and that
    /// Subscribe starts with ResyncRequired.
    pub fn end_trimmed(&self, session_id: &str) {
        self.end(
            session_id,
            Status::unavailable("the backlog was trimmed; subscribe again to resync"),
        );
    }

    /// Ends every stream (shutdown).
    pub fn end_all(&self, status: Status) {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        for entry in inner.streams.values() {
            entry.handle.end(status.clone());
        }
    }

    /// The sessions with an open stream here (the janitor marks them as subscribed).
    pub fn session_ids(&self) -> Vec<String> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.streams.keys().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .streams
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn end(&self, session_id: &str, status: Status) {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = inner.streams.get(session_id) {
            entry.handle.end(status);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    #[test]
    fn a_new_stream_replaces_the_old_one() {
        let r = StreamRegistry::default();
        let first = r.register("s");
        let second = r.register("s");
        assert!(first.stop.is_cancelled());
        assert_eq!(first.reason().code(), Code::Aborted);
        assert!(!second.stop.is_cancelled());
        // The old stream's lease waits for the new one's.
        assert_eq!(
            first.successor.get().map(CancellationToken::is_cancelled),
            Some(false)
        );
        second.settled.cancel();
        assert_eq!(
            first.successor.get().map(CancellationToken::is_cancelled),
            Some(true)
        );
        // The old stream's clean-up must not unregister the new one.
        r.unregister("s", first.generation);
        assert_eq!(r.len(), 1);
        r.unregister("s", second.generation);
        assert!(r.is_empty());
    }

    #[test]
    fn sign_out_ends_only_that_session() {
        let r = StreamRegistry::default();
        let a = r.register("a");
        let b = r.register("b");
        r.end_signed_out("a");
        assert_eq!(a.reason().code(), Code::Unauthenticated);
        assert!(!b.stop.is_cancelled());
    }
}
