//! The event queue's rows leave with their session through a trigger on `sessions`
//! instead of a foreign key from `event_queue`; on SQLite an ack deletes each session's
//! rows as one range, through a trigger on the table `event_queue_acks`.
//!
//! A foreign key is checked for every row written to the referencing table: every
//! delivery's queue row looked its session up on insert (on PostgreSQL a `FOR KEY SHARE`
//! lock on the session's row, one per recipient of every event) and again on delete
//! (SQLite). The check cannot fail here: a fan-out reads its recipients from `sessions`
//! in the transaction that writes their rows, and every transaction that deletes a session
//! takes the same ordering lock (`Db::begin_session_change`; on SQLite, the admin commands
//! of another process are kept out by the single writer), so no row is ever written for a
//! session that is going. What the key still did, take the rows away with their session,
//! the trigger does, however the session goes (sign-out, expiry, eviction, an account's
//! deletion cascading to its sessions). Measured on 1,000 sessions, a fan-out row plus its
//! ack cost SQLite 1.45 µs before and 0.85 µs after; a fan-out row cost PostgreSQL 4.6 µs
//! before and 1.6 µs after.
//!
//! SQLite's `DELETE` takes no join, so deleting the rows of many sessions' acks in one
//! statement meant `WHERE (session_seq, event_id) IN (…)`: every row to delete went
//! through a temporary b-tree and was then looked up again in the queue. Inserting the
//! marks into `event_queue_acks` instead runs its `BEFORE INSERT` trigger once per mark, a
//! range delete in the queue's primary key, and `RAISE(IGNORE)` then drops the mark
//! itself, so the table stays empty: still one statement for the whole flush, 0.13 µs a
//! row instead of 0.42 µs. (A table rather than a view with an `INSTEAD OF` trigger, so
//! that `migration fresh`, which drops tables only, leaves nothing behind.)
//!
//! A later migration that rebuilds `event_queue` (create, copy, drop, rename, as 3, 9 and
//! this one do) must drop the trigger `event_queue_ack` first and create it again after:
//! SQLite refuses to rename a table while a trigger names one that does not exist.

use super::m20261130_000003_lean_event_queue::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &str = r#"
CREATE TABLE "event_queue_unkeyed" (
    "session_seq" integer NOT NULL,
    "event_id" integer NOT NULL,
    PRIMARY KEY ("session_seq", "event_id")
) WITHOUT ROWID;
INSERT INTO "event_queue_unkeyed" ("session_seq", "event_id")
    SELECT "session_seq", "event_id" FROM "event_queue";
DROP TABLE "event_queue";
ALTER TABLE "event_queue_unkeyed" RENAME TO "event_queue";
CREATE TRIGGER "sessions_take_their_queue" AFTER DELETE ON "sessions"
BEGIN
    DELETE FROM "event_queue" WHERE "session_seq" = OLD."seq";
END;
CREATE TABLE "event_queue_acks" ("session_seq" integer, "up_to" integer);
CREATE TRIGGER "event_queue_ack" BEFORE INSERT ON "event_queue_acks"
BEGIN
    DELETE FROM "event_queue" WHERE "session_seq" = NEW."session_seq" AND "event_id" <= NEW."up_to";
    SELECT RAISE(IGNORE);
END;
"#;

const SQLITE_DOWN: &str = r#"
DROP TABLE "event_queue_acks";
DROP TRIGGER "sessions_take_their_queue";
CREATE TABLE "event_queue_keyed" (
    "session_seq" integer NOT NULL,
    "event_id" integer NOT NULL,
    PRIMARY KEY ("session_seq", "event_id"),
    FOREIGN KEY ("session_seq") REFERENCES "sessions" ("seq") ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO "event_queue_keyed" ("session_seq", "event_id")
    SELECT q."session_seq", q."event_id" FROM "event_queue" AS q
    WHERE EXISTS (SELECT 1 FROM "sessions" AS s WHERE s."seq" = q."session_seq");
DROP TABLE "event_queue";
ALTER TABLE "event_queue_keyed" RENAME TO "event_queue";
"#;

// The function keeps the schema it was made in (`SET search_path FROM CURRENT`), so a
// session deleted by a role with another search path still takes its queue; `OR REPLACE`,
// because `migration fresh` drops tables, not functions.
// The key's name is PostgreSQL's choice from migration 9 (made on the table under its
// earlier name), so every foreign key of the table is dropped, whatever it is called.
const PG_UP: &str = r#"
DO $$
DECLARE key_name text;
BEGIN
    FOR key_name IN SELECT conname FROM pg_constraint
        WHERE conrelid = '"event_queue"'::regclass AND contype = 'f'
    LOOP
        EXECUTE format('ALTER TABLE "event_queue" DROP CONSTRAINT %I', key_name);
    END LOOP;
END
$$;
CREATE OR REPLACE FUNCTION "sessions_take_their_queue"() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM "event_queue" WHERE "session_seq" = OLD."seq";
    RETURN NULL;
END
$$;
CREATE TRIGGER "sessions_take_their_queue" AFTER DELETE ON "sessions"
    FOR EACH ROW EXECUTE FUNCTION "sessions_take_their_queue"();
"#;

const PG_DOWN: &str = r#"
DROP TRIGGER "sessions_take_their_queue" ON "sessions";
DROP FUNCTION "sessions_take_their_queue"();
DELETE FROM "event_queue" AS q
    WHERE NOT EXISTS (SELECT 1 FROM "sessions" AS s WHERE s."seq" = q."session_seq");
ALTER TABLE "event_queue" ADD CONSTRAINT "event_queue_session_seq_fkey"
    FOREIGN KEY ("session_seq") REFERENCES "sessions" ("seq") ON DELETE CASCADE;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// On SQLite too (sea-orm-migration runs SQLite's without one): a crash halfway
    /// through the rebuild must not leave the trigger on `sessions` naming a dropped table.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, SQLITE_UP, PG_UP).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, SQLITE_DOWN, PG_DOWN).await
    }
}
