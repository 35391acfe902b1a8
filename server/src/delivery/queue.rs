//! Reading and acknowledging a session's queue.

use crate::{
    db::{Db, Decision, Operation, Tx, Written},
    domain::now_ms,
    entity::{event, event_queue},
    error::{Error, Result},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Statement,
};
use std::collections::HashSet;

/// The queued events of the session numbered `session_seq` after `cursor`, oldest first:
/// (event id, stored payload).
pub async fn fetch<C: ConnectionTrait>(
    db: &C,
    session_seq: i64,
    cursor: i64,
    limit: u64,
) -> Result<Vec<(i64, Vec<u8>)>> {
    Ok(event_queue::Entity::find()
        .select_only()
        .column(event_queue::Column::EventId)
        .column(event::Column::Payload)
        .join(JoinType::InnerJoin, event_queue::Relation::Event.def())
        .filter(event_queue::Column::SessionSeq.eq(session_seq))
        .filter(event_queue::Column::EventId.gt(cursor))
        .order_by_asc(event_queue::Column::EventId)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Cumulative acknowledgements for several sessions at once: each removes everything up
/// to and including its mark, and clears the session's resync mark once the client has
/// acknowledged the ResyncRequired notice. Only the marks of live sessions (not expired,
/// the account not disabled) are written; returns those sessions.
///
/// The marks go to the database as one JSON parameter and set-based statements: with a
/// thousand sessions acking, a statement per session would hold the writer (and with it
/// every post) for tens of milliseconds, parsing alone. The work rides in the group commit
/// with the posts and reactions, sharing their transaction and commit.
pub async fn ack_many(db: &Db, marks: &[(String, i64)]) -> Result<HashSet<String>> {
    if marks.is_empty() {
        return Ok(HashSet::new());
    }
    let json = serde_json::to_string(marks).map_err(Error::internal)?;
    let backend = db.backend();
    db.write(AckMarks {
        marks: marks.to_vec(),
        json,
        backend,
    })
    .await
}

/// The acks of one flush, written in the group commit's shared transaction.
struct AckMarks {
    marks: Vec<(String, i64)>,
    /// `marks` as JSON `[[session_id, up_to], …]`.
    json: String,
    backend: DbBackend,
}

/// What a flush writes: the marks of the live sessions (as JSON), and those sessions.
struct LiveMarks {
    json: String,
    alive: HashSet<String>,
}

impl Operation for AckMarks {
    type Plan = LiveMarks;
    type Output = HashSet<String>;

    async fn decide(&self, tx: &Tx) -> Result<Decision<LiveMarks, HashSet<String>>> {
        let sql = match self.backend {
            DbBackend::Postgres => PG_ALIVE,
            _ => SQLITE_ALIVE,
        };
        let statement = Statement::from_sql_and_values(
            self.backend,
            sql,
            [self.json.clone().into(), now_ms().into()],
        );
        let mut alive = HashSet::new();
        for row in tx.query_all_raw(statement).await? {
            alive.insert(row.try_get_by_index::<String>(0)?);
        }
        if alive.is_empty() {
            return Ok(Decision::Answer(alive));
        }
        // Usually every session is alive and the JSON stands as it is.
        let json = if alive.len() == self.marks.len() {
            self.json.clone()
        } else {
            let live: Vec<&(String, i64)> = self
                .marks
                .iter()
                .filter(|(s, _)| alive.contains(s))
                .collect();
            serde_json::to_string(&live).map_err(Error::internal)?
        };
        Ok(Decision::Write(LiveMarks { json, alive }))
    }

    async fn apply(self, tx: &Tx, plan: LiveMarks) -> Result<Written<HashSet<String>>> {
        let (delete, clear_resync) = match self.backend {
            DbBackend::Postgres => (PG_DELETE_ACKED, PG_CLEAR_RESYNC),
            _ => (SQLITE_DELETE_ACKED, SQLITE_CLEAR_RESYNC),
        };
        for sql in [delete, clear_resync] {
            let statement =
                Statement::from_sql_and_values(self.backend, sql, [plan.json.clone().into()]);
            tx.execute_raw(statement).await?;
        }
        Ok(Written::without_event(plan.alive))
    }
}

// The sessions of the marks that are alive, as `accounts::authenticate` judges one: not
// expired, the account not disabled. Parameters: the marks' JSON, now in ms.
const SQLITE_ALIVE: &str = "SELECT s.id FROM json_each(?) AS m \
    JOIN sessions AS s ON s.id = json_extract(m.value, '$[0]') \
    JOIN users AS u ON u.id = s.user_id \
    WHERE s.expires_at > ? AND u.disabled_at IS NULL";
const PG_ALIVE: &str = "SELECT s.id FROM jsonb_array_elements($1::jsonb) AS m \
    JOIN sessions AS s ON s.id = m ->> 0 JOIN users AS u ON u.id = s.user_id \
    WHERE s.expires_at > $2 AND u.disabled_at IS NULL";

// The parameter is a JSON array of [session_id, up_to] pairs. Both find each session's
// number by its primary key, then delete its rows as one range of the queue's primary
// key (session_seq, event_id). SQLite's DELETE takes no join: a mark inserted into
// `event_queue_acks` runs its trigger, that range delete, and is then dropped itself
// (migration 10).
const SQLITE_DELETE_ACKED: &str = "INSERT INTO event_queue_acks (session_seq, up_to) \
    SELECT s.seq, json_extract(m.value, '$[1]') FROM json_each(?) AS m \
    JOIN sessions AS s ON s.id = json_extract(m.value, '$[0]')";
const SQLITE_CLEAR_RESYNC: &str = "UPDATE sessions SET trimmed_up_to = NULL \
    WHERE trimmed_up_to IS NOT NULL AND EXISTS ( \
    SELECT 1 FROM json_each(?) AS m WHERE json_extract(m.value, '$[0]') = sessions.id \
    AND sessions.trimmed_up_to <= json_extract(m.value, '$[1]'))";
const PG_DELETE_ACKED: &str = "DELETE FROM event_queue AS q \
    USING jsonb_array_elements($1::jsonb) AS m JOIN sessions AS s ON s.id = m ->> 0 \
    WHERE q.session_seq = s.seq AND q.event_id <= (m ->> 1)::bigint";
const PG_CLEAR_RESYNC: &str = "UPDATE sessions AS s SET trimmed_up_to = NULL \
    FROM jsonb_array_elements($1::jsonb) AS m \
    WHERE s.trimmed_up_to IS NOT NULL AND s.id = m ->> 0 AND s.trimmed_up_to <= (m ->> 1)::bigint";
