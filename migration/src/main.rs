//! `cargo run -p migration -- up` (or `down`, `status`, `fresh`). The database is the
//! server's: `CHAT__DATABASE__URL`, else `DATABASE_URL`, else `DB_CONNECTION_STRING`
//! (from the environment or `.env`), else SQLite in `data/chat.db`. `chat-server migrate`
//! does the same with the server's whole configuration.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::Database;

/// The server's names for the database URL, most specific first (as the server reads them).
const URL_VARIABLES: &[&str] = &[
    "CHAT__DATABASE__URL",
    "DATABASE_URL",
    "DB_CONNECTION_STRING",
];

#[tokio::main]
async fn main() {
    cli::run_cli_with_custom_connection(migration::Migrator, async || {
        let url = URL_VARIABLES
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| "sqlite://data/chat.db?mode=rwc".to_owned());
        Database::connect(url).await
    })
    .await;
}
