//! `chat-server migrate up|down|status`: the `migration` crate's migrations, run against
//! the configured database (the same URL and SQLite default the server uses), so an
//! operator needs no second binary or `DATABASE_URL`.

use crate::{db::Db, settings::Settings};
use migration::{Migrator, MigratorTrait};

/// Every migration, oldest first, with whether it has been applied.
pub async fn status(settings: &Settings) -> anyhow::Result<Vec<(String, bool)>> {
    let db = connect(settings).await?;
    let applied = applied(&db).await?;
    Ok(Migrator::migrations()
        .iter()
        .map(|m| (m.name().to_owned(), applied.iter().any(|a| a == m.name())))
        .collect())
}

/// Applies `steps` pending migrations (all when `None`); returns the names applied.
pub async fn up(settings: &Settings, steps: Option<u32>) -> anyhow::Result<Vec<String>> {
    let db = connect(settings).await?;
    let before = applied(&db).await?;
    Migrator::up(db.conn(), steps).await?;
    let after = applied(&db).await?;
    Ok(after.into_iter().filter(|m| !before.contains(m)).collect())
}

/// Reverts the last `steps` applied migrations (default 1, because reverting drops
/// data); returns the names reverted.
pub async fn down(settings: &Settings, steps: u32) -> anyhow::Result<Vec<String>> {
    let db = connect(settings).await?;
    let before = applied(&db).await?;
    Migrator::down(db.conn(), Some(steps)).await?;
    let after = applied(&db).await?;
    Ok(before.into_iter().filter(|m| !after.contains(m)).collect())
}

async fn connect(settings: &Settings) -> anyhow::Result<Db> {
    Db::connect(
        settings.database.url.expose(),
        &settings.storage.data_dir,
        settings.database.max_connections,
    )
    .await
    .map_err(|e| anyhow::anyhow!("connecting to the database: {e}"))
}

async fn applied(db: &Db) -> anyhow::Result<Vec<String>> {
    Ok(Migrator::get_applied_migrations(db.conn())
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}

/// The migrations this binary knows that the database has not applied.
pub async fn pending(db: &Db) -> anyhow::Result<Vec<String>> {
    Ok(Migrator::get_pending_migrations(db.conn())
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}
