//! Reading and acknowledging a session's queue.

use crate::{
    db::Db,
    entity::{event, event_queue, session},
    error::Result,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait, sea_query::Expr,
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
pub async fn ack_many(db: &Db, marks: &[(String, i64)]) -> Result<()> {
    let txn = db.begin_write().await?;
    let acked = async {
        for (session_id, up_to) in marks {
            event_queue::Entity::delete_many()
                .filter(event_queue::Column::SessionId.eq(session_id))
                .filter(event_queue::Column::EventId.lte(*up_to))
                .exec(&*txn)
                .await?;
            session::Entity::update_many()
                .col_expr(
                    session::Column::TrimmedUpTo,
                    Expr::value(Option::<i64>::None),
                )
                .filter(session::Column::Id.eq(session_id))
                .filter(session::Column::TrimmedUpTo.lte(*up_to))
                .exec(&*txn)
                .await?;
        }
        Ok(())
    }
    .await;
    txn.finish(acked).await
}
