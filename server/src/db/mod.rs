//! The database handle: connecting (SQLite by default, PostgreSQL by URL), migrating, and
//! the kinds of write the rules need: plain write transactions, ordered ones, and ordered
//! operations that share a transaction with their neighbours (group commit).

mod checkpoint;
mod group_commit;
mod op_conn;

pub use checkpoint::CHECKPOINT_EVERY;
use group_commit::GroupCommit;
pub use group_commit::OpFuture;
pub use op_conn::OpConn;

use crate::error::Result;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, TransactionTrait,
};
use std::{ops::Deref, path::Path, sync::Arc, time::Duration};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Key of the PostgreSQL advisory lock that orders event-producing transactions.
const ORDERING_LOCK_KEY: i64 = 0x6368_6174; // "chat"

#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    writer: Writer,
    group: GroupCommit,
}

/// Opens write transactions, holding the locks they need.
#[derive(Clone)]
struct Writer {
    conn: DatabaseConnection,
    /// SQLite allows one writer at a time, and a transaction that reads before it writes
    /// fails with SQLITE_BUSY instead of waiting when another writer got in first. So
    /// writers queue here instead, in arrival order. (SQLite is one process by nature,
    /// so an in-process lock is the whole story there.)
    sqlite_writer: Option<Arc<Mutex<()>>>,
}

/// A write transaction, holding whatever lock its kind needs until commit or drop.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _writer: Option<OwnedMutexGuard<()>>,
}

impl Db {
    /// `url` empty means SQLite in `data_dir/chat.db`. Must run on a Tokio runtime: it
    /// starts the group-commit task.
    pub async fn connect(url: &str, data_dir: &Path, max_connections: u32) -> Result<Self, DbErr> {
        let url = if url.is_empty() {
            std::fs::create_dir_all(data_dir)
                .map_err(|e| DbErr::Custom(format!("creating {}: {e}", data_dir.display())))?;
            format!("sqlite://{}?mode=rwc", data_dir.join("chat.db").display())
        } else {
            url.to_owned()
        };
        let conn = Database::connect(options(&url, max_connections.max(2), false)).await?;
        let writer = if conn.get_database_backend() == DbBackend::Sqlite {
            // Every write goes through one connection of its own. SQLite takes one writer
            // at a time anyway, and a connection whose transaction follows its own last
            // commit keeps its page cache; after another connection's commit it would drop
            // it and read every page again (with a thousand sessions, the whole queue
            // index). A large cache, because the fan-out touches a page per session.
            // Its commits never checkpoint (copy the WAL back into the database file and
            // fsync): `run_checkpoints` does that beside it, off the posting path.
            let options = options(&url, 1, true);
            Writer {
                conn: Database::connect(options).await?,
                sqlite_writer: Some(Arc::new(Mutex::new(()))),
            }
        } else {
            Writer {
                conn: conn.clone(),
                sqlite_writer: None,
            }
        };
        Ok(Self {
            conn,
            group: GroupCommit::start(writer.clone())
                .map_err(|e| DbErr::Custom(format!("starting the group-commit writer: {e}")))?,
            writer,
        })
    }

    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.conn, None).await
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// A transaction that writes but creates no event and changes no session.
    pub async fn begin_write(&self) -> Result<WriteTxn, DbErr> {
        self.writer.begin_write().await
    }

    /// A transaction that creates events or changes the set of sessions. They run one at a
    /// time, which gives three guarantees at once: event ids commit in increasing order (a
    /// subscriber that has seen id N has seen every id below it), a fan-out never races a
    /// sign-in or sign-out, and the send gate's check-then-insert is atomic.
    pub async fn begin_ordered(&self) -> Result<WriteTxn, DbErr> {
        self.writer.begin_ordered().await
    }

    /// Runs `op` as if in an ordered transaction of its own (same guarantees as
    /// [`Db::begin_ordered`]), but shares the transaction and its commit with the ordered
    /// operations submitted meanwhile; the result comes after the commit. For the hot
    /// path: posting and reacting.
    ///
    /// An operation that refuses must do so before it writes anything (use
    /// `ON CONFLICT DO NOTHING` rather than a unique violation): one that fails after
    /// writing takes its whole batch down with it (see `group_commit`).
    pub async fn ordered<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t OpConn<'t>) -> OpFuture<'t, T> + Send + 'static,
    {
        self.group.submit(op).await
    }
}

impl Writer {
    async fn begin_write(&self) -> Result<WriteTxn, DbErr> {
        let writer = match &self.sqlite_writer {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let txn = self.conn.begin().await?;
        Ok(WriteTxn {
            txn,
            _writer: writer,
        })
    }

    async fn begin_ordered(&self) -> Result<WriteTxn, DbErr> {
        let txn = self.begin_write().await?;
        if self.conn.get_database_backend() == DbBackend::Postgres {
            txn.execute_unprepared(&format!(
                "SELECT pg_advisory_xact_lock({ORDERING_LOCK_KEY})"
            ))
            .await?;
        }
        Ok(txn)
    }
}

/// Page cache of the SQLite writer connection (the default is 2 MiB).
const WRITER_CACHE_KIB: u32 = 64 * 1024;

/// `sqlite_writer`: the options of the one SQLite connection that writes.
fn options(url: &str, max_connections: u32, sqlite_writer: bool) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |opts| {
            let opts = opts
                .journal_mode(SqliteJournalMode::Wal)
                // NORMAL is durable against a killed process (the WAL is in the OS);
                // only a power cut can lose the last commits.
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true);
            if sqlite_writer {
                // Negative: a size in KiB rather than in pages.
                opts.pragma("cache_size", format!("-{WRITER_CACHE_KIB}"))
                    .pragma("wal_autocheckpoint", "0")
            } else {
                opts
            }
        });
    options
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    /// Commits if `result` is `Ok`, otherwise rolls back and waits for the rollback. A
    /// transaction that is merely dropped is rolled back lazily, after the writer lock is
    /// released, and the next writer would find the database still locked.
    pub async fn finish<T>(self, result: Result<T>) -> Result<T> {
        match result {
            Ok(value) => {
                self.txn.commit().await?;
                Ok(value)
            }
            Err(err) => {
                self.rollback().await;
                Err(err)
            }
        }
    }

    /// Rolls back and waits for it (see [`WriteTxn::finish`]). A failure is only logged:
    /// the connection is then discarded, which ends the transaction too.
    pub async fn rollback(self) {
        if let Err(e) = self.txn.rollback().await {
            tracing::warn!(error = %e, "rollback failed");
        }
    }
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &Self::Target {
        &self.txn
    }
}
