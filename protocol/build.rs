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
    tonic_prost_build::configure().compile_fds(descriptors)?;
    Ok(())
}
