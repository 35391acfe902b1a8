use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, Query};

use super::event_queue;
use crate::events::Audience;

/// A message posted or a reaction added/removed. `payload` is the encoded `chat.v1.Event`
/// without its id, built once however many sessions receive it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub created_at: i64,
    pub payload: Vec<u8>,
    /// Who receives it, as `events::Audience::to_stored` says.
    pub audience: String,
    /// The room of a room's event; `None` for the lobby and presence.
    pub room_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    /// Fans a new event out to the sessions of its audience (`events::Audience::recipients`,
    /// the same definition the live path uses), on the caller's transaction, so a rollback
    /// leaves neither the event nor its queue rows.
    ///
    /// It is one `INSERT … SELECT`: however many sessions there are, the rows go in as a
    /// single multi-row insert with no round trip per recipient. Sign-in and sign-out take
    /// the same ordering lock as the posting transaction (`db::Db::begin_session_change`),
    /// so the set of sessions cannot change under it: no event is written for a session
    /// that is being deleted, and none is missed by one being created.
    async fn after_save<C>(model: Model, db: &C, insert: bool) -> Result<Model, DbErr>
    where
        C: ConnectionTrait,
    {
        if insert {
            let Some(audience) = Audience::parse(&model.audience) else {
                return Err(DbErr::Custom(format!(
                    "unknown audience {:?}",
                    model.audience
                )));
            };
            // Live only (presence): no queue rows.
            let Some(mut recipients) = audience.recipients(model.created_at) else {
                return Ok(model);
            };
            let recipients = recipients.expr(Expr::val(model.id)).to_owned();
            let fan_out = Query::insert()
                .into_table(event_queue::Entity)
                .columns([
                    event_queue::Column::SessionSeq,
                    event_queue::Column::EventId,
                ])
                .select_from(recipients)
                .map_err(|e| DbErr::Custom(format!("fan-out query: {e}")))?
                .to_owned();
            let queued = db.execute(&fan_out).await?.rows_affected();
            crate::metrics::get().fanned_out(queued);
        }
        Ok(model)
    }
}
