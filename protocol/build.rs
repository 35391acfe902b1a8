//! Compiles the `.proto` files with `protox` (pure Rust), so building needs no `protoc`.
//! The descriptor set is also written out for the server's reflection service.

use prost::Message;
use std::{env, error::Error, fs, path::PathBuf};

const PROTOS: &[&str] = &[
    "auth/v1/auth.proto",
    "auth/v1/gateway.proto",
    "chat/v1/chat.proto",
];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("chat_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure().compile_fds(descriptors.clone())?;
    compile_wire_server(descriptors, &out_dir)
}

/// The server side of `chat.v1.ChatService` once more, into `OUT_DIR/wire`, with
/// `chat.v1.Event` mapped to `wire::EncodedEvent` and every other type to the one already
/// generated, so this emits only the service (see `src/wire.rs` for why).
fn compile_wire_server(
    mut descriptors: prost_types::FileDescriptorSet,
    out_dir: &std::path::Path,
) -> Result<(), Box<dyn Error>> {
    let wire_dir = out_dir.join("wire");
    fs::create_dir_all(&wire_dir)?;
    descriptors
        .file
        .retain(|file| file.name() == "chat/v1/chat.proto");
    tonic_prost_build::configure()
        .build_client(false)
        .out_dir(wire_dir)
        .extern_path(".chat.v1.Event", "crate::wire::EncodedEvent")
        .extern_path(".chat.v1", "crate::chat::v1")
        .codec_path("crate::wire::LeanCodec")
        .compile_fds(descriptors)?;
    Ok(())
}
