//! The one way to write an event (or anything that rides the group commit): an
//! [`Operation`] in two phases, run by [`super::Db::write`].
//!
//! 1. [`Operation::decide`] reads and returns a [`Decision`]: write, answer without
//!    writing (an idempotent retry), or refuse with the error the caller gets (a closed
//!    gate, a duplicate reaction). It must only read: that is what lets a refusal leave
//!    the other operations of its batch untouched, since the transaction is shared.
//! 2. [`Operation::apply`] writes what was decided and cannot refuse: any error there is
//!    a failure that rolls the whole batch back.
//!
//! So whether a failed operation may have written is known from the phase it failed in,
//! not guessed from what it did. An operation that records an event returns its id in
//! [`Written`]; after the commit the group commit wakes the feed with the batch's highest
//! id, so no rule can forget to notify subscribers.

use crate::error::{Error, Result};
use sea_orm::DatabaseTransaction;
use std::future::Future;

/// The transaction an operation runs on, shared with the others of its batch.
pub type Tx = DatabaseTransaction;

pub enum Decision<Plan, Output> {
    /// Go on to [`Operation::apply`] with this.
    Write(Plan),
    /// The answer, with nothing to write (e.g. the result of an earlier identical call).
    Answer(Output),
}

/// What the write phase produced.
pub struct Written<Output> {
    pub output: Output,
    /// The event it recorded, if any: the commit wakes subscribers for it.
    pub event_id: Option<i64>,
}

impl<Output> Written<Output> {
    pub fn with_event(output: Output, event_id: i64) -> Self {
        Self {
            output,
            event_id: Some(event_id),
        }
    }

    pub fn without_event(output: Output) -> Self {
        Self {
            output,
            event_id: None,
        }
    }
}

pub trait Operation: Send + 'static {
    type Plan: Send;
    type Output: Send + 'static;

    /// Reads only. `Err` with a client error (`NOT_FOUND`, `FAILED_PRECONDITION`, …) is a
    /// refusal; a database error fails the batch (on PostgreSQL it aborted the
    /// transaction).
    fn decide(
        &self,
        tx: &Tx,
    ) -> impl Future<Output = Result<Decision<Self::Plan, Self::Output>>> + Send;

    /// Writes; any error rolls the batch back.
    fn apply(
        self,
        tx: &Tx,
        plan: Self::Plan,
    ) -> impl Future<Output = Result<Written<Self::Output>>> + Send;
}

/// Whether an error from the read phase is a refusal (nothing went wrong with the
/// transaction) rather than a database failure.
pub(super) fn is_refusal(error: &Error) -> bool {
    !matches!(error, Error::Internal(_) | Error::Unavailable(_))
}
