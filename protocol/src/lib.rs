//! The chat v1 API (see `docs/api.md`): generated prost messages and tonic clients and
//! servers for the `auth.v1` and `chat.v1` packages.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

pub mod auth {
    pub mod v1 {
        tonic::include_proto!("auth.v1");
    }
}

pub mod chat {
    pub mod v1 {
        tonic::include_proto!("chat.v1");
    }
}

pub mod wire;

/// The encoded `FileDescriptorSet` of every `.proto` file, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/chat_descriptor.bin"));

/// The standard reaction set, in display order: the server's default `chat.emoji` and
/// the client's until it learns the server's. Defined here once, for both.
pub const STANDARD_EMOJI: [&str; 9] = ["👍", "❤️", "😂", "😮", "😢", "🎉", "🔥", "👀", "🙏"];

/// The reaction the server uses when a request leaves the emoji empty.
pub const DEFAULT_EMOJI: &str = "👍";
