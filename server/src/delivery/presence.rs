//! Presence across replicas: a user is online while one of their sessions has an open
//! Subscribe stream on any replica.
//!
//! Each open stream holds a lease row (`stream_leases`) that its replica renews; the
//! state last announced is the `presence` table. Every change goes through an operation
//! of the group commit, which holds the ordering lock (on PostgreSQL a lock across
//! replicas), so changes are serial everywhere and [`reconcile`] announces each
//! transition exactly once, as one live-only `PresenceChanged`, however many sessions,
//! streams or replicas the user has. A replica that dies stops renewing; its leases are
//! dropped by the others' sweep after [`LEASE_TTL_MS`].

use super::Delivery;
use crate::{
    db::{Decision, Operation, Tx, Written},
    domain::now_ms,
    entity::{presence, session, stream_lease, user},
    error::{Error, Result},
    events::{self, Audience},
};
use chat_protocol::chat::v1 as pb;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, Query},
};
use std::{collections::BTreeSet, sync::Arc, time::Duration};

/// A lease not renewed for this long belongs to a replica that is gone.
pub const LEASE_TTL_MS: i64 = 20_000;
/// How often a replica renews its leases and sweeps.
pub const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// A stream opens: its lease, the session's `last_subscribed_at`, and the user online if
/// they were not.
pub struct Opened {
    pub stream_id: String,
    pub session_id: String,
    pub user_id: String,
    pub replica_id: String,
}

impl Operation for Opened {
    type Plan = ();
    type Output = ();

    async fn decide(&self, tx: &Tx) -> Result<Decision<(), ()>> {
        let alive = session::Entity::find_by_id(&self.session_id)
            .one(tx)
            .await?
            .is_some_and(|s| s.expires_at > now_ms());
        if alive {
            Ok(Decision::Write(()))
        } else {
            Err(Error::unauthenticated(
                "the session has ended; sign in again",
            ))
        }
    }

    async fn apply(self, tx: &Tx, (): ()) -> Result<Written<()>> {
        let now = now_ms();
        session::Entity::update_many()
            .col_expr(session::Column::LastSubscribedAt, Expr::value(now))
            .filter(session::Column::Id.eq(&self.session_id))
            .exec(tx)
            .await?;
        stream_lease::ActiveModel {
            stream_id: Set(self.stream_id),
            session_id: Set(self.session_id),
            user_id: Set(self.user_id.clone()),
            replica_id: Set(self.replica_id),
            renewed_at: Set(now),
        }
        .insert(tx)
        .await?;
        reconcile(tx, [self.user_id], now).await
    }
}

/// A stream ends: its lease goes, and the user offline if it was their last.
pub struct Closed {
    pub stream_id: String,
    pub user_id: String,
}

impl Operation for Closed {
    type Plan = ();
    type Output = ();

    async fn decide(&self, _tx: &Tx) -> Result<Decision<(), ()>> {
        Ok(Decision::Write(()))
    }

    async fn apply(self, tx: &Tx, (): ()) -> Result<Written<()>> {
        stream_lease::Entity::delete_by_id(self.stream_id)
            .exec(tx)
            .await?;
        reconcile(tx, [self.user_id], now_ms()).await
    }
}

/// A replica's periodic pass: renew its own leases, drop those nobody renewed (a replica
/// gone, or on SQLite a process that was killed) and those of ended sessions (cascaded
/// away with them), and announce whatever that changed.
pub struct Sweep {
    pub replica_id: String,
    /// One process per database (SQLite): leases need no renewal, and any other
    /// replica's are a killed process's.
    pub only_replica: bool,
    /// Drop this replica's own leases too: it is stopping.
    pub stopping: bool,
}

impl Operation for Sweep {
    type Plan = ();
    type Output = ();

    async fn decide(&self, _tx: &Tx) -> Result<Decision<(), ()>> {
        Ok(Decision::Write(()))
    }

    async fn apply(self, tx: &Tx, (): ()) -> Result<Written<()>> {
        let now = now_ms();
        let mine = stream_lease::Column::ReplicaId.eq(&self.replica_id);
        if self.stopping {
            stream_lease::Entity::delete_many()
                .filter(mine.clone())
                .exec(tx)
                .await?;
        } else if !self.only_replica {
            stream_lease::Entity::update_many()
                .col_expr(stream_lease::Column::RenewedAt, Expr::value(now))
                .filter(mine.clone())
                .exec(tx)
                .await?;
        }
        let stale = if self.only_replica {
            stream_lease::Column::ReplicaId.ne(&self.replica_id)
        } else {
            stream_lease::Column::RenewedAt.lt(now - LEASE_TTL_MS)
        };
        stream_lease::Entity::delete_many()
            .filter(stale)
            .exec(tx)
            .await?;
        // Shown online without a lease, or holding one but not shown: both need a word.
        let leased = Query::select()
            .column(stream_lease::Column::UserId)
            .from(stream_lease::Entity)
            .to_owned();
        let shown = Query::select()
            .column(presence::Column::UserId)
            .from(presence::Entity)
            .to_owned();
        let gone: Vec<String> = presence::Entity::find()
            .select_only()
            .column(presence::Column::UserId)
            .filter(presence::Column::UserId.not_in_subquery(leased))
            .into_tuple()
            .all(tx)
            .await?;
        let unannounced: Vec<String> = stream_lease::Entity::find()
            .select_only()
            .column(stream_lease::Column::UserId)
            .filter(stream_lease::Column::UserId.not_in_subquery(shown))
            .into_tuple()
            .all(tx)
            .await?;
        reconcile(tx, gone.into_iter().chain(unannounced), now).await
    }
}

/// Announces, once, every user of `users` whose presence differs from what was last
/// announced. Must run under the ordering lock (inside an operation's write phase).
async fn reconcile(
    tx: &Tx,
    users: impl IntoIterator<Item = String>,
    now: i64,
) -> Result<Written<()>> {
    let users: BTreeSet<String> = users.into_iter().collect();
    let mut last_event = None;
    for user_id in users {
        let live = stream_lease::Entity::find()
            .filter(stream_lease::Column::UserId.eq(&user_id))
            .one(tx)
            .await?
            .is_some();
        let shown = presence::Entity::find_by_id(&user_id)
            .one(tx)
            .await?
            .is_some();
        if live == shown {
            continue;
        }
        if live {
            presence::ActiveModel {
                user_id: Set(user_id.clone()),
                online_since: Set(now),
            }
            .insert(tx)
            .await?;
        } else {
            presence::Entity::delete_by_id(&user_id).exec(tx).await?;
        }
        let Some(subject) = user::Entity::find_by_id(&user_id).one(tx).await? else {
            continue;
        };
        let payload = pb::event::Payload::PresenceChanged(pb::PresenceChanged {
            user_id: subject.id,
            user_name: subject.name,
            online: live,
        });
        let id = events::record(tx, Audience::PresenceOf(user_id), payload, now).await?;
        last_event = Some(id);
    }
    Ok(Written {
        output: (),
        event_id: last_event,
    })
}

/// The replica's presence task: a sweep at start (on SQLite it drops what a killed
/// process left) and every [`SWEEP_EVERY`]; at shutdown its own leases go, so its users
/// are announced offline before writes stop.
pub async fn run(delivery: Arc<Delivery>) {
    let only_replica = delivery.db.backend() == DbBackend::Sqlite;
    let sweep = |stopping| Sweep {
        replica_id: delivery.replica_id.clone(),
        only_replica,
        stopping,
    };
    loop {
        if let Err(e) = delivery.db.write(sweep(false)).await {
            tracing::warn!(error = %e, "presence sweep failed; retrying");
        }
        tokio::select! {
            () = delivery.shutdown.cancelled() => break,
            () = tokio::time::sleep(SWEEP_EVERY) => {}
        }
    }
    if let Err(e) = delivery.db.write(sweep(true)).await {
        tracing::warn!(error = %e, "presence at shutdown failed; the leases will expire");
    }
}
