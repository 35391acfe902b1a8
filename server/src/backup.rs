//! `chat-server backup PATH`: a consistent copy of the database while the server runs.
//!
//! On SQLite it is `VACUUM INTO`, which reads one snapshot of the database inside a read
//! transaction (so a write in the middle of the copy is either wholly in it or not) and
//! writes a compact standalone file, then checks the copy with `PRAGMA integrity_check`.
//! Restoring is copying that file to `{data_dir}/chat.db` with the server stopped. On
//! PostgreSQL the right tool is `pg_dump`; the command to run is printed.

use crate::{
    db::{Db, url},
    settings::Settings,
};
use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use std::path::Path;

pub enum Outcome {
    /// The copy was written and checked: its size in bytes.
    Written(u64),
    /// PostgreSQL: run this instead (the password, if any, left out).
    Command(String),
}

pub async fn run(settings: &Settings, target: &Path) -> anyhow::Result<Outcome> {
    let configured = settings.database.url.expose();
    if configured.starts_with("postgres") {
        return Ok(Outcome::Command(pg_dump_command(configured, target)));
    }
    if target.exists() {
        bail!(
            "{} exists already; a backup never overwrites",
            target.display()
        );
    }
    let target =
        std::path::absolute(target).with_context(|| format!("resolving {}", target.display()))?;
    let db = Db::connect_alongside(configured, &settings.storage.data_dir)
        .await
        .map_err(|e| anyhow::anyhow!("opening the database: {e}"))?;
    let quoted = target.display().to_string().replace('\'', "''");
    db.conn()
        .execute_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("VACUUM INTO '{quoted}'"),
        ))
        .await
        .with_context(|| format!("writing the backup to {}", target.display()))?;
    check(&target).await?;
    Ok(Outcome::Written(std::fs::metadata(&target)?.len()))
}

/// Opens the copy read-only and asks SQLite whether it is whole.
async fn check(copy: &Path) -> anyhow::Result<()> {
    let conn = Database::connect(format!("sqlite://{}?mode=ro", copy.display()))
        .await
        .context("opening the backup to check it")?;
    let row = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await?
        .context("no answer from integrity_check")?;
    let verdict: String = row.try_get_by_index(0)?;
    conn.close().await?;
    if verdict != "ok" {
        bail!(
            "the backup at {} failed its integrity check: {verdict}",
            copy.display()
        );
    }
    Ok(())
}

fn pg_dump_command(configured: &str, target: &Path) -> String {
    let shown = url::redact(configured, configured);
    format!(
        "pg_dump --format=custom --file='{}' '{shown}'   # restore: pg_restore --clean --dbname=URL FILE",
        target.display()
    )
}
