//! Reading the terminal: raw bytes from the tty on a thread of their own, parsed into
//! events ([`parse`]), and terminal size changes (SIGWINCH). A closed terminal (EOF or
//! an error on read, as when an ssh connection drops) ends the client, within the
//! flush delay.

pub mod parse;

use crate::app::Event;
use parse::Parser;
use std::io::{IsTerminal, Read};
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::{error, info};

/// How long the bytes of one key may straggle: a lone Esc that is not followed by more
/// within this is the Esc key. Short enough not to be felt, long enough for ssh.
const ESC_DELAY: Duration = Duration::from_millis(25);

/// Starts reading keys into `events`. Reads stdin when it is the terminal, else
/// /dev/tty (output piped somewhere), like other terminal programs.
pub fn spawn(events: mpsc::UnboundedSender<Event>) {
    let (bytes_tx, bytes_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let spawned = std::thread::Builder::new()
        .name("terminal-input".to_owned())
        .spawn(move || read_bytes(&bytes_tx));
    if let Err(e) = spawned {
        error!(%e, "cannot start the terminal reader");
        let _ = events.send(Event::Terminate);
        return;
    }
    tokio::spawn(parse_bytes(bytes_rx, events.clone()));
    spawn_resize_watch(events);
}

/// Blocking reads until the terminal closes. The channel closing tells the parser.
fn read_bytes(out: &mpsc::UnboundedSender<Vec<u8>>) {
    let mut source: Box<dyn Read> = if std::io::stdin().is_terminal() {
        Box::new(std::io::stdin())
    } else {
        match std::fs::File::open("/dev/tty") {
            Ok(tty) => Box::new(tty),
            Err(e) => {
                error!(%e, "no terminal to read keys from");
                return;
            }
        }
    };
    let mut buf = [0u8; 4096];
    loop {
        match source.read(&mut buf) {
            Ok(0) => {
                info!("the terminal closed (end of input)");
                return;
            }
            Ok(n) => {
                if out.send(buf[..n].to_vec()).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                info!(%e, "the terminal closed (read failed)");
                return;
            }
        }
    }
}

async fn parse_bytes(
    mut bytes: mpsc::UnboundedReceiver<Vec<u8>>,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut parser = Parser::default();
    loop {
        let next = if parser.pending() {
            match tokio::time::timeout(ESC_DELAY, bytes.recv()).await {
                Ok(next) => next,
                Err(_) => {
                    if !send_all(&events, parser.flush()) {
                        return;
                    }
                    continue;
                }
            }
        } else {
            bytes.recv().await
        };
        let Some(chunk) = next else {
            let _ = send_all(&events, parser.flush());
            let _ = events.send(Event::Terminate);
            return;
        };
        if !send_all(&events, parser.feed(&chunk)) {
            return;
        }
    }
}

fn send_all(events: &mpsc::UnboundedSender<Event>, batch: Vec<Event>) -> bool {
    batch.into_iter().all(|e| events.send(e).is_ok())
}

/// SIGWINCH → the new size (an ioctl, never a terminal query).
fn spawn_resize_watch(events: mpsc::UnboundedSender<Event>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut winch = match signal(SignalKind::window_change()) {
            Ok(s) => s,
            Err(e) => {
                error!(%e, "cannot watch the terminal size");
                return;
            }
        };
        tokio::spawn(async move {
            while winch.recv().await.is_some() {
                if let Ok((w, h)) = crossterm::terminal::size()
                    && events.send(Event::Resize(w, h)).is_err()
                {
                    return;
                }
            }
        });
    }
    #[cfg(not(unix))]
    drop(events);
}
