//! Events encoded once: an event goes to every stream of its audience, so the reference
//! encodes it to protobuf bytes when it is published and each stream only copies those
//! bytes into its HTTP/2 body. The bytes on the wire are exactly what the generated
//! `ProstCodec` would write for the same `pb::Event` (the wire format does not depend
//! on who encodes it), so clients cannot tell; only the per-stream clone and encode that
//! chat-server does (BENCHMARKS.md "What is left") are saved.

use chat_protocol::chat::v1 as pb;
use prost::{Message as _, bytes::BufMut as _};
use tonic::{
    Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    codegen::Bytes,
};

/// One encoded event; cloning it shares the bytes (a reference count, no copy).
#[derive(Clone, Debug)]
pub struct Frame {
    pub id: u64,
    bytes: Bytes,
}

impl Frame {
    pub fn encode(event: &pb::Event) -> Self {
        Self {
            id: event.event_id,
            bytes: Bytes::from(event.encode_to_vec()),
        }
    }

    #[cfg(test)]
    pub fn decode(&self) -> pb::Event {
        pb::Event::decode(self.bytes.clone()).expect("a frame holds an encoded event")
    }
}

/// Subscribe's codec: decodes the (empty) `SubscribeRequest` with prost and writes each
/// response frame's bytes as they are.
#[derive(Debug, Default, Clone, Copy)]
pub struct FrameCodec;

impl Codec for FrameCodec {
    type Encode = Frame;
    type Decode = pb::SubscribeRequest;
    type Encoder = FrameEncoder;
    type Decoder = RequestDecoder;

    fn encoder(&mut self) -> Self::Encoder {
        FrameEncoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        RequestDecoder
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct FrameEncoder;

impl Encoder for FrameEncoder {
    type Item = Frame;
    type Error = Status;

    fn encode(&mut self, item: Frame, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item.bytes);
        Ok(())
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct RequestDecoder;

impl Decoder for RequestDecoder {
    type Item = pb::SubscribeRequest;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Self::Item>, Status> {
        pb::SubscribeRequest::decode(src).map(Some).map_err(|_| {
            Status::invalid_argument(
                "the request is not a valid protobuf message of the method's type",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_holds_the_same_bytes_prost_would_send() {
        let event = pb::Event {
            event_id: 42,
            created_at: None,
            payload: Some(pb::event::Payload::MessagePosted(pb::MessagePosted {
                message: Some(pb::Message {
                    content: "héllo 👍".into(),
                    ..Default::default()
                }),
            })),
        };
        let frame = Frame::encode(&event);
        assert_eq!(frame.id, 42);
        assert_eq!(&frame.bytes[..], &event.encode_to_vec()[..]);
        assert_eq!(frame.decode(), event);
    }
}
