//! The last messages of the conversation, kept in the data directory so a restart draws
//! the timeline at once; the newest page from the server then replaces them. One file
//! per server and user, written whole (temporary file, then rename) and readable by the
//! user alone. Signing out removes it. A cache that cannot be read is ignored: it is
//! only ever a head start.

use crate::app::Page;
use chat_protocol::chat::v1::{ListMessagesResponse, Message};
use prost::Message as _;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How many of the newest messages are kept: a screenful or two on any terminal.
pub const KEEP: usize = 200;
/// Anything bigger is not a file we wrote.
const MAX_FILE: u64 = 8 << 20;

fn path(dir: &Path, server: &str, user_id: &str) -> PathBuf {
    // FNV-1a of the pair: a stable, file-name-safe key without the user id in clear.
    let hash = format!("{server}\n{user_id}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    dir.join("cache").join(format!("{hash:016x}.pb"))
}

pub fn load(dir: &Path, server: &str, user_id: &str) -> Option<Page> {
    let path = path(dir, server, user_id);
    let meta = std::fs::metadata(&path).ok()?;
    if meta.len() > MAX_FILE {
        return None;
    }
    let bytes = std::fs::read(&path).ok()?;
    match ListMessagesResponse::decode(bytes.as_slice()) {
        Ok(page) => Some(Page {
            messages: page.messages,
            has_more: page.has_more,
        }),
        Err(e) => {
            tracing::info!(%e, path = %path.display(), "ignoring an unreadable cache");
            None
        }
    }
}

pub fn save(dir: &Path, server: &str, user_id: &str, messages: &[Message], has_more: bool) {
    let path = path(dir, server, user_id);
    let skip = messages.len().saturating_sub(KEEP);
    let page = ListMessagesResponse {
        messages: messages[skip..].to_vec(),
        has_more: has_more || skip > 0,
    };
    if let Err(e) = write(&path, &page.encode_to_vec()) {
        tracing::info!(%e, path = %path.display(), "could not write the cache");
    }
}

fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::Builder::new()
        .prefix(".cache-")
        .tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

pub fn forget(dir: &Path, server: &str, user_id: &str) {
    let _ = std::fs::remove_file(path(dir, server, user_id));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(i: usize) -> Message {
        Message {
            message_id: format!("m{i}"),
            content: format!("text {i}"),
            ..Message::default()
        }
    }

    #[test]
    fn the_newest_messages_round_trip_per_server_and_user() {
        let dir = tempfile::tempdir().expect("temp dir");
        let all: Vec<Message> = (0..250).map(message).collect();
        save(dir.path(), "http://a", "u1", &all, false);
        let page = load(dir.path(), "http://a", "u1").expect("cached");
        assert_eq!(page.messages.len(), KEEP);
        assert_eq!(page.messages[0].message_id, "m50");
        assert!(page.has_more, "older ones exist beyond what was kept");
        assert!(load(dir.path(), "http://a", "u2").is_none());
        assert!(load(dir.path(), "http://b", "u1").is_none());
        forget(dir.path(), "http://a", "u1");
        assert!(load(dir.path(), "http://a", "u1").is_none());
    }

    #[test]
    fn a_damaged_cache_is_ignored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = path(dir.path(), "http://a", "u1");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, b"\xff\xff\xff not protobuf").expect("write");
        assert!(load(dir.path(), "http://a", "u1").is_none());
    }
}
