//! `cargo run -p migration -- up` (or `down`, `status`, `fresh`). The database is the
//! server's: `CHAT__DATABASE__URL`, else `DATABASE_URL`, else `DB_CONNECTION_STRING`
//! (from the environment or `.env`), else SQLite in `data/chat.db`. `chat-server migrate`
//! does the same with the server's whole configuration.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::Database;

#[tokio::main]
async fn main() {
    cli::run_cli_with_custom_connection(migration::Migrator, async || {
        let url = migration::database_url(|name| std::env::var(name).ok());
        Database::connect(url).await
    })
    .await;
}
