//! Integration tests: the real server on a real port with a real database (SQLite, or
//! PostgreSQL with `TEST_DATABASE_URL`). One binary, so it links once.

mod auth;
mod delivery;
mod dms;
mod edits;
mod gateway;
mod group_commit;
mod hardening;
mod helpers;
mod mentions;
mod messages;
mod migration;
mod presence;
mod raw;
mod reactions;
mod replicas;
mod room_delivery;
mod rooms;
mod send_gate;
use chat_test_support::test_db;
