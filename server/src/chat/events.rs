//! Recording events. Inserting the row runs the Event entity's `after_save` hook, which
//! fans it out to the connected sessions on the same transaction; on PostgreSQL the other
//! replicas are told at commit.

use crate::{domain::timestamp, entity::event, error::Result};
use chat_protocol::chat::v1 as pb;
use prost::Message as _;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

/// Writes the event (and, through the hook, its queue rows) and returns its id. Call it
/// on an ordered transaction (`Db::begin_ordered`) and notify subscribers after commit.
pub async fn record<C: ConnectionTrait>(
    db: &C,
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
        ..Default::default()
    }
    .insert(db)
    .await?;
    crate::delivery::replicas::announce(db, model.id).await?;
    Ok(model.id)
}

/// Decodes a stored event and gives it its id.
pub fn decode(id: i64, payload: &[u8]) -> Result<pb::Event> {
    let mut event = pb::Event::decode(payload).map_err(crate::error::Error::internal)?;
    event.event_id = u64::try_from(id).map_err(crate::error::Error::internal)?;
    Ok(event)
}
