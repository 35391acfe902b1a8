//! The database handle: connecting (SQLite by default, PostgreSQL by URL), migrating, and
//! the kinds of write the server needs: [`Db::write`] for operations (every event, and
//! acks), which share a transaction and its commit with their neighbours (group commit)
//! and wake the feed after it; [`Db::begin_session_change`] for transactions that add or
//! remove sessions; and [`Db::begin_write`] for everything else.

mod checkpoint;
mod exclusive;
mod group_commit;
mod health;
mod notifier;
pub mod url;
pub mod write;

pub use checkpoint::CHECKPOINT_EVERY;
use group_commit::GroupCommit;
pub use health::WriteHealth;
pub use notifier::Notifier;
pub use write::{Decision, Operation, Tx, Written};

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
    /// The highest event id committed (here, or by another replica): what wakes the feed.
    notifier: Notifier,
    /// SQLite only: this process's claim on the database file.
    _exclusive: Option<Arc<exclusive::DatabaseLock>>,
}

/// Opens write transactions, holding the locks they need.
#[derive(Clone)]
struct Writer {
    /// PostgreSQL writes through the shared pool; on SQLite this only names the backend
    /// and the writes go through `sqlite_writer`.
    conn: DatabaseConnection,
    /// SQLite allows one writer at a time, and a transaction that reads before it writes
    /// fails with SQLITE_BUSY instead of waiting when another writer got in first. So
    /// writers queue here instead, in arrival order. (SQLite is one process by nature,
    /// so an in-process lock is the whole story there.)
    sqlite_writer: Option<Arc<Mutex<SqliteWriter>>>,
    health: WriteHealth,
}

/// The one SQLite connection that writes, and whether it can still be trusted.
///
/// sqlx counts the transactions it opened on a connection and lowers the count only when
/// a COMMIT or ROLLBACK succeeds. When one fails (a full disk, an I/O error) SQLite may
/// or may not have ended the transaction itself, and the count no longer says which: the
/// next "begin" would become a SAVEPOINT inside a transaction that never commits, and
/// every later write would answer OK without being stored. So after any such failure the
/// connection is thrown away and the next writer opens a fresh one (`broken`).
struct SqliteWriter {
    conn: DatabaseConnection,
    url: String,
    broken: bool,
}

impl SqliteWriter {
    async fn connect(url: &str) -> Result<Self, DbErr> {
        Ok(Self {
            conn: Database::connect(options(url, 1, true)).await?,
            url: url.to_owned(),
            broken: false,
        })
    }

    /// The connection, reopened first if the last transaction on it ended in doubt.
    async fn usable(&mut self) -> Result<&DatabaseConnection, DbErr> {
        if self.broken {
            // Closing ends whatever transaction SQLite still had open (rolled back).
            if let Err(e) = self.conn.close_by_ref().await {
                tracing::warn!(error = %e, "closing the broken SQLite writer connection");
            }
            self.conn = Database::connect(options(&self.url, 1, true)).await?;
            self.broken = false;
            tracing::info!("reopened the SQLite writer connection");
        }
        Ok(&self.conn)
    }
}

/// A write transaction, holding whatever lock its kind needs until commit or drop.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    writer: Option<OwnedMutexGuard<SqliteWriter>>,
    health: WriteHealth,
}

impl Db {
    /// `url` empty means SQLite in `data_dir/chat.db`. Must run on a Tokio runtime: it
    /// starts the group-commit task.
    pub async fn connect(url: &str, data_dir: &Path, max_connections: u32) -> Result<Self, DbErr> {
        Self::open(url, data_dir, max_connections, true).await
    }

    /// For the operator's commands (`chat-server admin`, `backup`) while a server may be
    /// running: no claim on a SQLite file, whose writes then wait for the server's
    /// (SQLite's own file locks keep them apart; see `busy_timeout` in `options`).
    pub async fn connect_alongside(url: &str, data_dir: &Path) -> Result<Self, DbErr> {
        Self::open(url, data_dir, 2, false).await
    }

    async fn open(
        url: &str,
        data_dir: &Path,
        max_connections: u32,
        claim: bool,
    ) -> Result<Self, DbErr> {
        let url = if url.is_empty() {
            std::fs::create_dir_all(data_dir)
                .map_err(|e| DbErr::Custom(format!("creating {}: {e}", data_dir.display())))?;
            format!("sqlite://{}?mode=rwc", data_dir.join("chat.db").display())
        } else {
            url.to_owned()
        };
        let exclusive = match url::sqlite_file(&url) {
            Some(file) if claim => Some(Arc::new(exclusive::DatabaseLock::acquire(&file)?)),
            _ => None,
        };
        let conn = Database::connect(options(&url, max_connections.max(2), false))
            .await
            .map_err(|e| DbErr::Custom(url::redact(&e.to_string(), &url)))?;
        let health = WriteHealth::default();
        let writer = if conn.get_database_backend() == DbBackend::Sqlite {
            // Every write goes through one connection of its own. SQLite takes one writer
            // at a time anyway, and a connection whose transaction follows its own last
            // commit keeps its page cache; after another connection's commit it would drop
            // it and read every page again (with a thousand sessions, the whole queue
            // index). A large cache, because the fan-out touches a page per session.
            // Its commits never checkpoint (copy the WAL back into the database file and
            // fsync): `run_checkpoints` does that beside it, off the posting path.
            let sqlite = SqliteWriter::connect(&url).await?;
            Writer {
                conn: conn.clone(),
                sqlite_writer: Some(Arc::new(Mutex::new(sqlite))),
                health,
            }
        } else {
            Writer {
                conn: conn.clone(),
                sqlite_writer: None,
                health,
            }
        };
        let notifier = Notifier::default();
        Ok(Self {
            conn,
            group: GroupCommit::start(writer.clone(), notifier.clone())
                .map_err(|e| DbErr::Custom(format!("starting the group-commit writer: {e}")))?,
            notifier,
            writer,
            _exclusive: exclusive,
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

    /// Whether writes are committing (see [`WriteHealth`]).
    pub fn write_health(&self) -> &WriteHealth {
        &self.writer.health
    }

    /// A transaction that writes but creates no event and changes no session.
    pub async fn begin_write(&self) -> Result<WriteTxn, DbErr> {
        self.writer.begin_write().await
    }

    /// A transaction that adds or removes sessions (sign-in, sign-out, expiry). It takes
    /// the ordering lock that every [`Db::write`] batch holds, and they run one at a time,
    /// which gives three guarantees at once: event ids commit in increasing order (a
    /// subscriber that has seen id N has seen every id below it), a fan-out never races a
    /// sign-in or sign-out, and the send gate's check-then-insert is atomic.
    pub async fn begin_session_change(&self) -> Result<WriteTxn, DbErr> {
        self.writer.begin_ordered().await
    }

    /// Runs `op` (see [`write`]) as if in a transaction of its own that takes the
    /// ordering lock (the guarantees of [`Db::begin_session_change`]), but shares the
    /// transaction and its commit with the operations submitted meanwhile. The result
    /// comes after the commit, and so does the wake-up of subscribers for any event it
    /// recorded. For the hot path: posting, reacting and acknowledging.
    pub async fn write<O: Operation>(&self, op: O) -> Result<O::Output> {
        self.group.submit(op).await
    }

    /// Stops the group commit: operations submitted from now on get UNAVAILABLE, those
    /// already queued are committed. For the end of a shutdown, after the last acks.
    pub fn stop_writes(&self) {
        self.group.stop();
    }

    /// Resolves once the group commit has committed what was queued and ended.
    pub async fn writes_stopped(&self) {
        self.group.stopped().await;
    }

    /// The highest event id committed: subscribe to be woken, notify for another
    /// replica's commit.
    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }
}

impl Writer {
    async fn begin_write(&self) -> Result<WriteTxn, DbErr> {
        let (txn, writer) = match &self.sqlite_writer {
            Some(lock) => {
                let mut writer = lock.clone().lock_owned().await;
                let begun = match writer.usable().await {
                    Ok(conn) => conn.begin().await,
                    Err(e) => Err(e),
                };
                match begun {
                    Ok(txn) => (txn, Some(writer)),
                    Err(e) => {
                        writer.broken = true;
                        self.health.failed(&e);
                        return Err(e);
                    }
                }
            }
            None => (self.conn.begin().await?, None),
        };
        Ok(WriteTxn {
            txn,
            writer,
            health: self.health.clone(),
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
    /// Commits. A failure means the commit is in doubt: the caller must answer an error
    /// (never OK), the SQLite writer connection is replaced before the next write, and
    /// writes count as failing until one commits again.
    pub async fn commit(self) -> Result<(), DbErr> {
        let Self {
            txn,
            mut writer,
            health,
        } = self;
        match txn.commit().await {
            Ok(()) => {
                health.committed();
                Ok(())
            }
            Err(e) => {
                if let Some(writer) = writer.as_mut() {
                    writer.broken = true;
                }
                health.failed(&e);
                Err(e)
            }
        }
    }

    /// Commits if `result` is `Ok`, otherwise rolls back and waits for the rollback. A
    /// transaction that is merely dropped is rolled back lazily, after the writer lock is
    /// released, and the next writer would find the database still locked.
    pub async fn finish<T>(self, result: Result<T>) -> Result<T> {
        match result {
            Ok(value) => {
                self.commit().await?;
                Ok(value)
            }
            Err(err) => {
                self.rollback().await;
                Err(err)
            }
        }
    }

    /// Rolls back and waits for it (see [`WriteTxn::finish`]). A failure is only logged,
    /// and the SQLite writer connection is replaced, which ends the transaction too.
    pub async fn rollback(self) {
        let Self {
            txn, mut writer, ..
        } = self;
        if let Err(e) = txn.rollback().await {
            tracing::warn!(error = %e, "rollback failed; the writer connection will be reopened");
            if let Some(writer) = writer.as_mut() {
                writer.broken = true;
            }
        }
    }
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &Self::Target {
        &self.txn
    }
}
