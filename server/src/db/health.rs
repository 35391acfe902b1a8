//! Whether writes are committing right now, for the health service.
//!
//! A full disk or a read-only file system does not stop the server from reading, so it
//! keeps answering; but while no write can commit it must not call itself SERVING, or a
//! load balancer keeps sending it the writes it can only refuse. Every commit reports
//! here: a failure turns the state to failing, the next successful commit (a client's or
//! the probe's, see [`super::Db::probe_write`]) turns it back, with no restart.

use super::Db;
use crate::entity::server_meta;
use sea_orm::DbErr;
use std::sync::Arc;
use tokio::sync::watch;

/// How long [`Db::ping`] waits for the database.
const PING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// The `server_meta` row that [`Db::probe_write`] rewrites.
const PROBE_KEY: &str = "write_probe";

#[derive(Clone)]
pub struct WriteHealth {
    committing: Arc<watch::Sender<bool>>,
}

impl Default for WriteHealth {
    fn default() -> Self {
        Self {
            committing: Arc::new(watch::Sender::new(true)),
        }
    }
}

impl WriteHealth {
    pub(super) fn committed(&self) {
        if !self.committing.send_replace(true) {
            tracing::info!("writes are committing again");
        }
    }

    pub(super) fn failed(&self, cause: &DbErr) {
        if self.committing.send_replace(false) {
            tracing::error!(error = %cause, "a write could not commit; reporting NOT_SERVING until one does");
        }
    }

    /// The last commit succeeded (or none has failed yet).
    pub fn is_committing(&self) -> bool {
        *self.committing.borrow()
    }

    /// Changes of [`WriteHealth::is_committing`].
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.committing.subscribe()
    }
}

impl Db {
    /// Whether the database answers at all (`SELECT 1` within [`PING_TIMEOUT`]). A
    /// database that is down fails nothing until someone writes, so health would say
    /// SERVING while every sign-in fails: a failed ping counts as a failed write, and the
    /// write probe then says when it is back.
    pub async fn ping(&self) -> Result<(), DbErr> {
        let answered = tokio::time::timeout(PING_TIMEOUT, self.conn().ping()).await;
        let result = match answered {
            Ok(result) => result,
            Err(_) => Err(DbErr::Custom(format!("no answer within {PING_TIMEOUT:?}"))),
        };
        if let Err(e) = &result {
            self.writer.health.failed(e);
        }
        result
    }

    /// Commits one small write (and so updates [`WriteHealth`]): whether writes can
    /// commit now. Used at start (a read-only data directory refuses to start) and while
    /// writes are failing, to notice when they can commit again.
    pub async fn probe_write(&self) -> Result<(), DbErr> {
        let txn = self.begin_write().await?;
        let written = server_meta::put(&*txn, PROBE_KEY, crate::domain::now_ms().to_string()).await;
        match written {
            Ok(_) => txn.commit().await,
            Err(e) => {
                txn.rollback().await;
                self.writer.health.failed(&e);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_holds_until_the_next_commit() {
        let health = WriteHealth::default();
        assert!(health.is_committing());
        health.failed(&DbErr::Custom("database or disk is full".into()));
        assert!(!health.is_committing());
        health.committed();
        assert!(health.is_committing());
    }
}
