//! Reading and acknowledging a session's queue.

use crate::{
    db::Db,
    entity::{event, event_queue, session},
    error::Result,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
    sea_query::{
        Expr, ExprTrait, PostgresQueryBuilder, Query, QueryStatementWriter, SqliteQueryBuilder,
    },
};

/// The session's queued events after `cursor`, oldest first: (event id, stored payload).
pub async fn fetch<C: ConnectionTrait>(
    db: &C,
    session_id: &str,
    cursor: i64,
    limit: u64,
) -> Result<Vec<(i64, Vec<u8>)>> {
    Ok(event_queue::Entity::find()
        .select_only()
        .column(event_queue::Column::EventId)
        .column(event::Column::Payload)
        .join(JoinType::InnerJoin, event_queue::Relation::Event.def())
        .filter(event_queue::Column::SessionId.eq(session_id))
        .filter(event_queue::Column::EventId.gt(cursor))
        .order_by_asc(event_queue::Column::EventId)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Cumulative acknowledgements for several sessions in one transaction: each removes
/// everything up to and including its mark, and clears the session's resync mark once
/// the client has acknowledged the ResyncRequired notice.
///
/// All the statements go to the database as one script: with a thousand sessions acking,
/// a round trip per statement would hold the writer (and with it every post) for tens of
/// milliseconds. The values are rendered by sea-query's escaping, never spliced by hand.
pub async fn ack_many(db: &Db, marks: &[(String, i64)]) -> Result<()> {
    if marks.is_empty() {
        return Ok(());
    }
    let backend = db.backend();
    let mut script = String::new();
    for (session_id, up_to) in marks {
        let delete = Query::delete()
            .from_table(event_queue::Entity)
            .and_where(Expr::col(event_queue::Column::SessionId).eq(session_id.as_str()))
            .and_where(Expr::col(event_queue::Column::EventId).lte(*up_to))
            .to_owned();
        let clear_resync = Query::update()
            .table(session::Entity)
            .value(session::Column::TrimmedUpTo, Option::<i64>::None)
            .and_where(Expr::col(session::Column::Id).eq(session_id.as_str()))
            .and_where(Expr::col(session::Column::TrimmedUpTo).lte(*up_to))
            .to_owned();
        script.push_str(&render(backend, &delete));
        script.push_str(";\n");
        script.push_str(&render(backend, &clear_resync));
        script.push_str(";\n");
    }
    let txn = db.begin_write().await?;
    let acked = txn.execute_unprepared(&script).await.map(drop);
    txn.finish(acked.map_err(Into::into)).await
}

/// The statement as SQL text with its values inlined (and escaped) for `backend`.
fn render(backend: DbBackend, statement: &impl QueryStatementWriter) -> String {
    match backend {
        DbBackend::Postgres => statement.to_string(PostgresQueryBuilder),
        _ => statement.to_string(SqliteQueryBuilder),
    }
}
