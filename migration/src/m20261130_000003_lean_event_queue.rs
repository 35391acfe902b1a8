//! The event queue, made cheaper to write. Every event adds a row per connected session and
//! every ack deletes them again, so the cost per row is the fan-out's cost.
//!
//! - The foreign key to `events` and the index on `event_id` that served it go: the
//!   janitor drops expired queue rows before it purges their events, and a queue is only
//!   ever read joined to its events, so the constraint guarded nothing the code does not.
//! - On SQLite the table becomes `WITHOUT ROWID`: the rows live in the primary-key b-tree
//!   itself, so a row is one b-tree insert instead of three (table, key index, event index).
//!
//! The foreign key to `sessions` stays: signing out still drops the queue by cascade
//! (until migration 10 replaces the key with a trigger).

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &str = r#"
CREATE TABLE "event_queue_lean" (
    "session_id" varchar NOT NULL,
    "event_id" integer NOT NULL,
    PRIMARY KEY ("session_id", "event_id"),
    FOREIGN KEY ("session_id") REFERENCES "sessions" ("id") ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO "event_queue_lean" ("session_id", "event_id")
    SELECT "session_id", "event_id" FROM "event_queue";
DROP TABLE "event_queue";
ALTER TABLE "event_queue_lean" RENAME TO "event_queue";
"#;

const SQLITE_DOWN: &str = r#"
CREATE TABLE "event_queue_rowid" (
    "session_id" varchar NOT NULL,
    "event_id" integer NOT NULL,
    PRIMARY KEY ("session_id", "event_id"),
    FOREIGN KEY ("session_id") REFERENCES "sessions" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("event_id") REFERENCES "events" ("id") ON DELETE CASCADE
);
INSERT INTO "event_queue_rowid" ("session_id", "event_id")
    SELECT "session_id", "event_id" FROM "event_queue";
DROP TABLE "event_queue";
ALTER TABLE "event_queue_rowid" RENAME TO "event_queue";
CREATE INDEX "idx_event_queue_event" ON "event_queue" ("event_id");
"#;

// PostgreSQL's default name for the constraint the first migration created.
const PG_UP: &str = r#"
ALTER TABLE "event_queue" DROP CONSTRAINT IF EXISTS "event_queue_event_id_fkey";
DROP INDEX IF EXISTS "idx_event_queue_event";
"#;

const PG_DOWN: &str = r#"
CREATE INDEX IF NOT EXISTS "idx_event_queue_event" ON "event_queue" ("event_id");
ALTER TABLE "event_queue" ADD CONSTRAINT "event_queue_event_id_fkey"
    FOREIGN KEY ("event_id") REFERENCES "events" ("id") ON DELETE CASCADE;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, SQLITE_UP, PG_UP).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, SQLITE_DOWN, PG_DOWN).await
    }
}

/// Runs the script for the connection's backend (the later queue migrations use it too).
pub(crate) async fn run(m: &SchemaManager<'_>, sqlite: &str, postgres: &str) -> Result<(), DbErr> {
    let script = match m.get_database_backend() {
        DbBackend::Sqlite => sqlite,
        DbBackend::Postgres => postgres,
        other => {
            return Err(DbErr::Migration(format!(
                "no event-queue migration for {other:?}"
            )));
        }
    };
    m.get_connection().execute_unprepared(script).await?;
    Ok(())
}
