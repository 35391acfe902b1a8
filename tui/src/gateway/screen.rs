//! Drawing on an ssh channel. ratatui writes each frame into a `ChannelWriter`; a
//! flushed frame goes to a small bounded queue, and one task per session sends the
//! queue on the channel (where SSH flow control holds it back for a slow client). A
//! client that cannot keep up therefore costs at most `MAX_QUEUED_FRAMES` frames of
//! memory and never holds up anyone else: frames beyond that are dropped, and once the
//! client has caught up it is sent the whole screen again (`Event::Redraw`).

use crate::app::{Event, Page};
use crate::run::driver::{Host, Screen};
use chat_protocol::chat::v1::Message;
use russh::ChannelId;
use russh::server::Handle;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::task::JoinHandle;

/// Frames waiting for one slow client, at most.
pub const MAX_QUEUED_FRAMES: usize = 32;

pub struct ChannelWriter {
    frame: Vec<u8>,
    frames: mpsc::Sender<Vec<u8>>,
    dropped: Arc<AtomicBool>,
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.frame.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.frame.is_empty() {
            return Ok(());
        }
        match self.frames.try_send(std::mem::take(&mut self.frame)) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => {
                self.dropped.store(true, Ordering::Release);
                Ok(())
            }
            // The connection is gone: the loop ends at its next draw.
            Err(TrySendError::Closed(_)) => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the ssh channel is closed",
            )),
        }
    }
}

/// The writer for a session's screen, and the task that sends what it writes.
pub fn channel_writer(
    handle: Handle,
    channel: ChannelId,
    events: mpsc::UnboundedSender<Event>,
) -> (ChannelWriter, JoinHandle<()>) {
    let (frames, mut queue) = mpsc::channel::<Vec<u8>>(MAX_QUEUED_FRAMES);
    let dropped = Arc::new(AtomicBool::new(false));
    let writer = ChannelWriter {
        frame: Vec::new(),
        frames,
        dropped: dropped.clone(),
    };
    let sender = tokio::spawn(async move {
        while let Some(frame) = queue.recv().await {
            if handle.data(channel, frame).await.is_err() {
                return;
            }
            // Caught up after dropping frames: what the client shows is not what was
            // drawn, so draw it whole.
            if queue.is_empty() && dropped.swap(false, Ordering::AcqRel) {
                let _ = events.send(Event::Redraw);
            }
        }
    });
    (writer, sender)
}

/// What a session over ssh can do besides drawing: no editor (there is no terminal of
/// ours to hand over), and no cache (nothing of a user's conversation is kept on the
/// gateway's disk).
pub struct RemoteHost;

impl Host for RemoteHost {
    type Writer = ChannelWriter;

    fn edit_draft(
        &mut self,
        _screen: &mut Screen<ChannelWriter>,
        _text: &str,
    ) -> Result<String, String> {
        Err("there is no $EDITOR over ssh".to_owned())
    }

    fn load_cache(&self, _user_id: &str) -> Option<Page> {
        None
    }

    fn save_cache(&self, _user_id: &str, _messages: &[Message], _has_more: bool) {}

    fn forget_cache(&self, _user_id: &str) {}
}
