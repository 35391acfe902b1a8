//! The numbers that key each session's event queue (`sessions.seq`).
//!
//! A number is never handed out twice, not even after its session is deleted: a stream
//! of an ended session that has not yet noticed (on another replica it notices at its
//! next session check) must not read a newer session's queue under the same number. So
//! the last number given lives in `server_meta`, and a sign-in takes the next one inside
//! its transaction, which holds the ordering lock every session change takes: two
//! sign-ins, on one replica or several, cannot take the same number.

use crate::{
    db::WriteTxn,
    entity::{server_meta, session},
    error::{Error, Result},
};
use sea_orm::{
    EntityTrait, QuerySelect,
    sea_query::{Expr, Func},
};

/// The `server_meta` key of the last number given (written by the migration that added
/// the numbers, then by every sign-in).
pub const LAST_SESSION_SEQ: &str = "last_session_seq";

/// The next session number; call it on the transaction that creates the session.
pub async fn next(txn: &WriteTxn) -> Result<i64> {
    let stored = server_meta::Entity::find_by_id(LAST_SESSION_SEQ)
        .one(&**txn)
        .await?;
    let last = match stored {
        Some(row) => row.value.parse::<i64>().map_err(Error::internal)?,
        // The row went missing: no number above the sessions' own was given out.
        None => highest_in_use(txn).await?,
    };
    let next = last + 1;
    server_meta::put(&**txn, LAST_SESSION_SEQ, next.to_string()).await?;
    Ok(next)
}

async fn highest_in_use(txn: &WriteTxn) -> Result<i64> {
    let highest: Option<Option<i64>> = session::Entity::find()
        .select_only()
        .expr(Func::max(Expr::col(session::Column::Seq)))
        .into_tuple()
        .one(&**txn)
        .await?;
    Ok(highest.flatten().unwrap_or(0))
}
