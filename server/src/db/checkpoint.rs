//! SQLite WAL checkpoints, run beside the writer instead of inside its commits.
//!
//! The writer connection never checkpoints (`wal_autocheckpoint=0`): a commit that did
//! would copy the WAL back into the database file and fsync while every post waited. A
//! passive checkpoint here waits for no reader and no writer. But the WAL only starts
//! over from its beginning when a write begins while no reader is using it, and with
//! streams reading all the time that moment may never come: under load the file grew by
//! ~100 MB/s. So once it holds more than [`RESTART_AFTER_FRAMES`], writes are held off
//! for a restarting checkpoint, which waits for the readers of old frames (milliseconds);
//! the next write then starts the WAL over from its beginning.

use super::Db;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often committed SQLite pages are copied from the WAL into the database file.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// WAL frames (pages, 4 KiB each by default) past which the WAL is restarted: 64 MiB.
/// Each restart holds writes off for a checkpoint's fsync, so not too often.
const RESTART_AFTER_FRAMES: i64 = 16 * 1024;

impl Db {
    /// SQLite only (returns at once otherwise): checkpoints every [`CHECKPOINT_EVERY`]
    /// until `stop`, then truncates the WAL once more.
    pub async fn run_checkpoints(&self, stop: &CancellationToken) {
        let Some(writer_lock) = self.writer.sqlite_writer.clone() else {
            return;
        };
        loop {
            let stopping = tokio::select! {
                () = stop.cancelled() => true,
                () = tokio::time::sleep(CHECKPOINT_EVERY) => false,
            };
            let outcome = async {
                let frames = self.checkpoint("PASSIVE").await?;
                if stopping || frames > RESTART_AFTER_FRAMES {
                    let _no_writes = writer_lock.lock().await;
                    let started = std::time::Instant::now();
                    // RESTART keeps the file (rewriting it in place needs no new blocks);
                    // at shutdown it is emptied.
                    self.checkpoint(if stopping { "TRUNCATE" } else { "RESTART" })
                        .await?;
                    tracing::debug!(
                        frames,
                        elapsed_us = started.elapsed().as_micros(),
                        "WAL restarted"
                    );
                }
                Ok::<_, DbErr>(())
            }
            .await;
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "WAL checkpoint failed; will retry");
            }
            if stopping {
                return;
            }
        }
    }

    /// Runs one checkpoint; returns the frames the WAL holds.
    async fn checkpoint(&self, mode: &str) -> Result<i64, DbErr> {
        let sql = format!("PRAGMA wal_checkpoint({mode})");
        let row = self
            .conn
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
            .await?;
        // The row is (busy, frames in the WAL, frames checkpointed).
        match row {
            Some(row) => row.try_get_by_index::<i64>(1),
            None => Ok(0),
        }
    }
}
