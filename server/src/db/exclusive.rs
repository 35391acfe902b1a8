//! One server per SQLite database. The ordering guarantees (event ids commit in order,
//! the send gate's check-and-insert is atomic) rest on one writer lock *in this process*;
//! a second process on the same file would quietly break them. So the server holds an
//! exclusive lock on a file beside the database for as long as it runs, and a second one
//! refuses to start.

use sea_orm::DbErr;
use std::{fs::File, path::Path};

/// Held for the life of the process; the lock goes with the file.
pub struct DatabaseLock {
    _file: File,
}

impl DatabaseLock {
    /// Locks `<database>.lock`, or fails at once if another server holds it.
    pub fn acquire(database: &Path) -> Result<Self, DbErr> {
        let mut name = database.as_os_str().to_owned();
        name.push(".lock");
        let path = Path::new(&name);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| DbErr::Custom(format!("opening {}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(DbErr::Custom(format!(
                "another chat-server is already using {} (it holds {}); \
                 run one server per SQLite database, or use PostgreSQL for replicas",
                database.display(),
                path.display()
            ))),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(DbErr::Custom(format!("locking {}: {e}", path.display())))
            }
        }
    }
}
