//! Keeps every table bounded: removes expired sessions (their queues and refresh tokens
//! go with them), trims queues past their cap or retention — marking the session for
//! ResyncRequired — and forgets old events, sign-in failures and rotated refresh tokens.
//! Every step is idempotent, so several replicas may run it at once.

use crate::{
    delivery::Delivery,
    domain::now_ms,
    entity::{event, event_queue, refresh_token, session, sign_in_failure},
    error::{Error, Result},
};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, FromQueryResult, JoinType, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
    sea_query::{Expr, ExprTrait, Func},
};
use std::{sync::Arc, time::Duration};

/// What one pass removed, for the log and for tests.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub expired_sessions: u64,
    pub trimmed_sessions: u64,
    pub trimmed_rows: u64,
    /// Queue rows of sessions that no longer exist (see `sweep`).
    pub orphaned_rows: u64,
    pub events: u64,
}

pub async fn run(delivery: Arc<Delivery>) {
    let every = Duration::from_secs(Ord::max(delivery.settings.janitor_interval_secs, 1));
    loop {
        tokio::select! {
            () = delivery.shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        match sweep(&delivery).await {
            Ok(s) if s != Sweep::default() => tracing::info!(?s, "janitor sweep"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "janitor sweep failed"),
        }
    }
}

pub async fn sweep(delivery: &Delivery) -> Result<Sweep> {
    let mut out = Sweep::default();
    let now = now_ms();
    let db = delivery.db.conn();
    let (settings, auth) = (&delivery.settings, &delivery.auth);

    // Expired sessions, and those nobody has read for `session_idle_secs` (each would be
    // queued every event until its queue is trimmed). The streams open here count as
    // reading: on a replica, its own janitor marks its streams. Ordered, because it
    // changes the set that fan-out writes to.
    super::subscription::mark_subscribed(&delivery.db, delivery.streams.session_ids()).await?;
    let idle_ms = i64::try_from(auth.session_idle_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let txn = delivery.db.begin_session_change().await?;
    let expired = session::Entity::delete_many()
        .filter(
            Condition::any()
                .add(session::Column::ExpiresAt.lte(now))
                .add(session::Column::LastSubscribedAt.lt(now.saturating_sub(idle_ms))),
        )
        .exec(&*txn)
        .await
        .map_err(Error::from);
    out.expired_sessions = txn.finish(expired).await?.rows_affected;

    // Queues over their cap keep the newest `queue_cap` rows. The same pass finds rows
    // whose session is gone: the trigger on `sessions` takes them with it and no
    // fan-out writes for a session that is going, but the queue has no foreign key, and
    // an operator's `TRUNCATE sessions` (no trigger fires) or a bug must not leave rows
    // that nothing would ever trim.
    let cap = settings.queue_cap;
    let crowded: Vec<(i64, Option<String>)> = event_queue::Entity::find()
        .select_only()
        .column(event_queue::Column::SessionSeq)
        .column(session::Column::Id)
        .join(JoinType::LeftJoin, event_queue::Relation::Session.def())
        .group_by(event_queue::Column::SessionSeq)
        .group_by(session::Column::Id)
        .having(
            Expr::col(event_queue::Column::EventId)
                .count()
                .gt(cap)
                .or(Expr::col((session::Entity, session::Column::Id)).is_null()),
        )
        .into_tuple()
        .all(db)
        .await?;
    for (session_seq, session_id) in crowded {
        let Some(session_id) = session_id else {
            out.orphaned_rows += drop_orphans(delivery, session_seq).await?;
            continue;
        };
        let cut: Option<i64> = event_queue::Entity::find()
            .select_only()
            .column(event_queue::Column::EventId)
            .filter(event_queue::Column::SessionSeq.eq(session_seq))
            .order_by_desc(event_queue::Column::EventId)
            .offset(cap)
            .limit(1)
            .into_tuple()
            .one(db)
            .await?;
        if let Some(cut) = cut {
            out.trimmed_rows += trim(delivery, session_seq, &session_id, cut).await?;
            out.trimmed_sessions += 1;
        }
    }

    // Retention: events older than the window leave every queue, then the table.
    let horizon = now - i64::try_from(settings.retention_secs * 1000).unwrap_or(i64::MAX);
    let old_events = event::Entity::find().filter(event::Column::CreatedAt.lt(horizon));
    let last_old = old_events
        .select_only()
        .expr(Func::max(Expr::col(event::Column::Id)))
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    if let Some(last_old) = last_old {
        #[derive(FromQueryResult)]
        struct Behind {
            session_seq: i64,
            session_id: String,
            last: i64,
        }
        let behind = event_queue::Entity::find()
            .select_only()
            .column(event_queue::Column::SessionSeq)
            .column_as(session::Column::Id, "session_id")
            .column_as(Expr::col(event_queue::Column::EventId).max(), "last")
            .join(JoinType::InnerJoin, event_queue::Relation::Session.def())
            .filter(event_queue::Column::EventId.lte(last_old))
            .group_by(event_queue::Column::SessionSeq)
            .group_by(session::Column::Id)
            .into_model::<Behind>()
            .all(db)
            .await?;
        for b in behind {
            out.trimmed_rows += trim(delivery, b.session_seq, &b.session_id, b.last).await?;
            out.trimmed_sessions += 1;
        }
    }

    let failure_window = i64::try_from(auth.sign_in_failure_window_secs * 1000).unwrap_or(i64::MAX);
    // A rotated token is kept to detect its reuse; past a session's lifetime that no
    // longer matters.
    let lifetime = i64::try_from(auth.refresh_token_ttl_secs * 1000).unwrap_or(i64::MAX);
    let txn = delivery.db.begin_write().await?;
    let purged = async {
        let mut events = 0;
        if let Some(last_old) = last_old {
            events = event::Entity::delete_many()
                .filter(event::Column::Id.lte(last_old))
                .exec(&*txn)
                .await?
                .rows_affected;
        }
        sign_in_failure::Entity::delete_many()
            .filter(sign_in_failure::Column::At.lt(now - failure_window))
            .exec(&*txn)
            .await?;
        refresh_token::Entity::delete_many()
            .filter(refresh_token::Column::UsedAt.lt(now - lifetime))
            .exec(&*txn)
            .await?;
        Ok(events)
    }
    .await;
    out.events = txn.finish(purged).await?;
    Ok(out)
}

/// Drops every queue row of a session number that no session has.
async fn drop_orphans(delivery: &Delivery, session_seq: i64) -> Result<u64> {
    let txn = delivery.db.begin_write().await?;
    let dropped = event_queue::Entity::delete_many()
        .filter(event_queue::Column::SessionSeq.eq(session_seq))
        .exec(&*txn)
        .await
        .map(|r| r.rows_affected)
        .map_err(Error::from);
    let dropped = txn.finish(dropped).await?;
    tracing::warn!(
        session_seq,
        dropped,
        "dropped queue rows whose session is gone"
    );
    Ok(dropped)
}

/// Drops the session's queue rows up to `cut`, marks the session for resync, and ends
/// its live stream so the client resubscribes and learns of it.
async fn trim(delivery: &Delivery, session_seq: i64, session_id: &str, cut: i64) -> Result<u64> {
    let txn = delivery.db.begin_write().await?;
    let trimmed = async {
        let removed = event_queue::Entity::delete_many()
            .filter(event_queue::Column::SessionSeq.eq(session_seq))
            .filter(event_queue::Column::EventId.lte(cut))
            .exec(&*txn)
            .await?
            .rows_affected;
        session::Entity::update_many()
            .col_expr(session::Column::TrimmedUpTo, Expr::value(cut))
            .filter(session::Column::Id.eq(session_id))
            .exec(&*txn)
            .await?;
        Ok(removed)
    }
    .await;
    let removed = txn.finish(trimmed).await?;
    if removed > 0 {
        delivery.streams.end_trimmed(session_id);
    }
    Ok(removed)
}

/// Rows in a session's queue once buffered acks are written (tests and diagnostics).
pub async fn queue_len(delivery: &Delivery, session_id: &str) -> Result<u64> {
    delivery.acks.flush(&delivery.db).await?;
    Ok(event_queue::Entity::find()
        .join(JoinType::InnerJoin, event_queue::Relation::Session.def())
        .filter(session::Column::Id.eq(session_id))
        .count(delivery.db.conn())
        .await?)
}
