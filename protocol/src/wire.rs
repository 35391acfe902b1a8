//! `Subscribe` as the server sends it: events already encoded.
//!
//! One event goes to every stream of its audience. With the generated types each stream
//! would clone the decoded `chat.v1.Event` and tonic would encode it again, once per
//! stream. So the server's `ChatService` is generated a second time (`build.rs`) with
//! `chat.v1.Event` mapped to [`EncodedEvent`]: bytes encoded once, shared by reference
//! count, and copied as they are into each stream's HTTP/2 body. The wire format does not
//! depend on who encodes it, so clients, which decode ordinary `chat.v1.Event`s, cannot
//! tell. Every other type of the service is the ordinary generated one.

use crate::chat::v1 as pb;
use prost::{
    DecodeError, Message,
    bytes::{Buf, BufMut, Bytes},
    encoding::{DecodeContext, WireType, encode_key, encode_varint},
};
use std::marker::PhantomData;
use tonic::codec::{BufferSettings, Codec};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};

/// The protobuf encoding of one `chat.v1.Event`. Cloning shares the bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncodedEvent(Bytes);

impl EncodedEvent {
    /// The event as stored without its id (`event_id` 0, so absent from `stored`), with
    /// `id` added. The id goes last: for a field that occurs twice the last one wins, so
    /// it is the event's id even if `stored` were to carry one.
    pub fn with_id(id: u64, stored: &[u8]) -> Self {
        let mut bytes = Vec::with_capacity(stored.len() + 11);
        bytes.extend_from_slice(stored);
        encode_key(EVENT_ID_TAG, WireType::Varint, &mut bytes);
        encode_varint(id, &mut bytes);
        Self(bytes.into())
    }

    pub fn bytes(&self) -> &Bytes {
        &self.0
    }
}

/// `chat.v1.Event.event_id`.
const EVENT_ID_TAG: u32 = 1;

impl From<&pb::Event> for EncodedEvent {
    fn from(event: &pb::Event) -> Self {
        Self(event.encode_to_vec().into())
    }
}

impl Message for EncodedEvent {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.0);
    }

    // The server never decodes these (clients decode `chat.v1.Event`); decoding is here
    // for tests and completeness, through the generated type, not for speed.
    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        let mut event = pb::Event::decode(self.0.clone())?;
        event.merge_field(tag, wire_type, buf, ctx)?;
        self.0 = event.encode_to_vec().into();
        Ok(())
    }

    fn encoded_len(&self) -> usize {
        self.0.len()
    }

    fn clear(&mut self) {
        self.0 = Bytes::new();
    }
}

/// The prost codec with a smaller buffer to start each call's encoding and decoding in.
///
/// tonic's default starts every call with 8 KiB, kept for as long as the call lasts: for
/// a Subscribe stream that is open for hours and receives events of a few hundred bytes,
/// that is most of its memory (80 MB for 10,000 idle streams). The buffer still grows
/// when an event or a batch of them needs more.
#[derive(Debug, Clone, Copy)]
pub struct LeanCodec<T, U>(PhantomData<(T, U)>);

/// Enough for a typical event or request; more is reserved when needed.
const START_BUFFER: usize = 512;
/// tonic's default: how much encoded data a stream collects before it yields a frame.
const YIELD_THRESHOLD: usize = 32 * 1024;

impl<T, U> Default for LeanCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> Codec for LeanCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = ProstDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstCodec::<T, U>::raw_encoder(BufferSettings::new(START_BUFFER, YIELD_THRESHOLD))
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstCodec::<T, U>::raw_decoder(BufferSettings::new(START_BUFFER, YIELD_THRESHOLD))
    }
}

/// The server side of `chat.v1.ChatService` with `Subscribe` streaming [`EncodedEvent`]s,
/// every call through [`LeanCodec`].
pub mod chat_service {
    include!(concat!(env!("OUT_DIR"), "/wire/chat.v1.rs"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted() -> pb::Event {
        pb::Event {
            event_id: 0,
            created_at: Some(prost_types::Timestamp {
                seconds: 1_800_000_000,
                nanos: 5,
            }),
            payload: Some(pb::event::Payload::ReactionChanged(pb::ReactionChanged {
                message_id: "m".into(),
                user_id: "u".into(),
                user_name: "ana".into(),
                emoji: "👍".into(),
                ..Default::default()
            })),
        }
    }

    #[test]
    fn a_stored_event_with_its_id_decodes_as_the_generated_event() {
        let stored = posted().encode_to_vec();
        let wire = EncodedEvent::with_id(300, &stored);
        let decoded = pb::Event::decode(wire.encode_to_vec().as_slice()).expect("decodes");
        assert_eq!(
            decoded,
            pb::Event {
                event_id: 300,
                ..posted()
            }
        );
        assert_eq!(wire.encoded_len(), wire.encode_to_vec().len());
    }

    #[test]
    fn the_added_id_wins_over_one_already_stored() {
        let stored = pb::Event {
            event_id: 7,
            ..posted()
        }
        .encode_to_vec();
        let decoded =
            pb::Event::decode(EncodedEvent::with_id(8, &stored).bytes().clone()).expect("decodes");
        assert_eq!(decoded.event_id, 8);
    }

    #[test]
    fn it_round_trips_through_its_own_decoding() {
        let event = pb::Event {
            event_id: 42,
            ..posted()
        };
        let wire = EncodedEvent::from(&event);
        let again = EncodedEvent::decode(wire.encode_to_vec().as_slice()).expect("decodes");
        assert_eq!(
            pb::Event::decode(again.bytes().clone()).expect("decodes"),
            event
        );
    }
}
