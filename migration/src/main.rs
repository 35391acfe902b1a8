//! `cargo run -p migration -- up` (or `down`, `status`, `fresh`); the database comes from
//! `DATABASE_URL`, e.g. `sqlite://data/chat.db?mode=rwc` or `postgres://postgres@127.0.0.1/chat`.

use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    cli::run_cli(migration::Migrator).await;
}
