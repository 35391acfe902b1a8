//! Schema migrations for the chat server. `chat-server` applies them at start; the
//! `migration` binary (`cargo run -p migration -- up|down|status`) runs them by hand.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_initial;
mod m20261129_000002_session_first_event;
mod m20261130_000003_lean_event_queue;
mod m20261201_000004_hardening;
mod m20261202_000005_operations;
mod m20261202_000006_event_audience;
mod m20261204_000007_rooms;
mod m20261206_000008_ssh_keys;
mod m20261207_000009_queue_session_seq;
mod m20261208_000010_queue_trigger;

pub struct Migrator;

/// The lobby's fixed id: created by the rooms migration, the room every user is in.
pub const LOBBY_ROOM_ID: &str = "00000000-0000-0000-0000-000000000001";

/// The server's names for the database URL, most specific first, as the server reads them.
pub const URL_VARIABLES: &[&str] = &[
    "CHAT__DATABASE__URL",
    "DATABASE_URL",
    "DB_CONNECTION_STRING",
];

/// Where the migration CLI works: the first of [`URL_VARIABLES`] that `var` gives, else
/// SQLite in `data/chat.db` (the server's default).
pub fn database_url(var: impl Fn(&str) -> Option<String>) -> String {
    URL_VARIABLES
        .iter()
        .find_map(|name| var(name).filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "sqlite://data/chat.db?mode=rwc".to_owned())
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_initial::Migration),
            Box::new(m20261129_000002_session_first_event::Migration),
            Box::new(m20261130_000003_lean_event_queue::Migration),
            Box::new(m20261201_000004_hardening::Migration),
            Box::new(m20261202_000005_operations::Migration),
            Box::new(m20261202_000006_event_audience::Migration),
            Box::new(m20261204_000007_rooms::Migration),
            Box::new(m20261206_000008_ssh_keys::Migration),
            Box::new(m20261207_000009_queue_session_seq::Migration),
            Box::new(m20261208_000010_queue_trigger::Migration),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_url_comes_under_any_of_the_servers_names() {
        let only = |name: &'static str| move |v: &str| (v == name).then(|| format!("{name}-url"));
        for name in URL_VARIABLES {
            assert_eq!(database_url(only(name)), format!("{name}-url"));
        }
        // The most specific wins, as in the server.
        let all = |v: &str| Some(format!("{v}-url"));
        assert_eq!(database_url(all), "CHAT__DATABASE__URL-url");
        assert_eq!(database_url(|_| None), "sqlite://data/chat.db?mode=rwc");
        assert_eq!(
            database_url(|_| Some(String::new())),
            "sqlite://data/chat.db?mode=rwc"
        );
    }
}
