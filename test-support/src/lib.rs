//! Shared by `server/tests/*` and `chat-loadgen`, so there is one copy of each:
//!
//! - [`test_db`]: a database one test owns: a SQLite file in a temporary directory, or a
//!   fresh PostgreSQL database on the server `TEST_DATABASE_URL` names, dropped after;
//!   [`test_db::ScratchDatabase`] is the PostgreSQL half, for the load generator too;
//! - [`process`]: the real `chat-server` binary as a child process, started on a port and
//!   waited for until its health service says SERVING;
//! - [`process::authed`] and [`process::account`]: the Bearer header and a signed-up,
//!   signed-in account.

pub mod process;
pub mod test_db;
