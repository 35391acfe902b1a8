//! Events: what the rules record and delivery carries. Below both (`chat` records,
//! `delivery` decodes and forwards), so imports run one way: `service → chat → events ←
//! delivery`.
//!
//! Recording inserts the row; the Event entity's `after_save` hook queues it, on the same
//! transaction, for the sessions of its [`Audience`]; on PostgreSQL the other replicas are
//! told at commit ([`announce`]). The group commit wakes this process's feed after the
//! commit with the highest event id of the batch (see `db::Db::write`).

pub mod audience;

pub use audience::{Audience, Recipient};

use crate::{
    domain::timestamp,
    entity::event,
    error::{Error, Result},
};
use chat_protocol::{chat::v1 as pb, wire::EncodedEvent};
use prost::Message as _;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbBackend, Set, Statement};

/// The PostgreSQL channel replicas wake each other on (see `delivery::replicas`).
pub const CHANNEL: &str = "chat_events";

/// Writes the event (and, through the hook, its queue rows) and returns its id. Only the
/// write phase of a `db::Operation` calls this, so the commit that stores it also wakes
/// the subscribers.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    audience: Audience,
    payload: pb::event::Payload,
    now_ms: i64,
) -> Result<i64> {
    // The id is not known yet; it is filled in when the event is read back.
    let encoded = pb::Event {
        event_id: 0,
        created_at: Some(timestamp(now_ms)),
        payload: Some(payload),
    }
    .encode_to_vec();
    let model = event::ActiveModel {
        created_at: Set(now_ms),
        payload: Set(encoded),
        room_id: Set(audience.room_id()),
        audience: Set(audience.to_stored()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    announce(db, model.id).await?;
    Ok(model.id)
}

/// Tells the other replicas (and this one) that `event_id` will be committed with the
/// transaction `db` is on: `pg_notify` is delivered at commit to every listener. Nothing
/// to do on SQLite, which is one process by nature.
async fn announce<C: ConnectionTrait>(db: &C, event_id: i64) -> Result<(), sea_orm::DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let notify = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), event_id.to_string().into()],
    );
    db.execute_raw(notify).await.map(drop)
}

/// Decodes a stored event and gives it its id.
/// A stored event with its id, in the form streams send: no decoding, no re-encoding.
pub fn encoded(id: i64, payload: &[u8]) -> Result<EncodedEvent> {
    let id = u64::try_from(id).map_err(Error::internal)?;
    Ok(EncodedEvent::with_id(id, payload))
}

pub fn decode(id: i64, payload: &[u8]) -> Result<pb::Event> {
    let mut event = pb::Event::decode(payload).map_err(Error::internal)?;
    event.event_id = u64::try_from(id).map_err(Error::internal)?;
    Ok(event)
}
