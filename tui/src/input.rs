//! Reading the terminal: raw bytes from the tty on a thread of their own, parsed into
//! events ([`parse`]), and terminal size changes (SIGWINCH). A closed terminal (EOF or
//! an error on read, as when an ssh connection drops) ends the client, within the
//! flush delay.

pub mod parse;

use crate::app::Event;
use parse::Parser;
use std::io::IsTerminal;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::{error, info};

/// Lets the run loop hand the terminal to another program (the external editor) and
/// take it back: while paused, the reader does not read.
#[derive(Clone)]
pub struct Input {
    pause: Arc<Pause>,
}

struct Pause {
    state: Mutex<PauseState>,
    changed: Condvar,
    /// A byte written here wakes the reader from its wait for input: nothing polls on a
    /// timer, so an idle client stays idle.
    wake: Option<OwnedFd>,
}

#[derive(Default)]
struct PauseState {
    requested: bool,
    /// The reader saw the request and is waiting: it will not read until resumed.
    parked: bool,
}

impl Input {
    fn new(wake: Option<OwnedFd>) -> Self {
        Self {
            pause: Arc::new(Pause {
                state: Mutex::new(PauseState::default()),
                changed: Condvar::new(),
                wake,
            }),
        }
    }

    /// Stops reading; returns once the reader is parked (or after half a second).
    pub fn pause(&self) {
        let Ok(mut st) = self.pause.state.lock() else {
            return;
        };
        st.requested = true;
        if let Some(wake) = &self.pause.wake {
            let _ = rustix::io::write(wake, b"p");
        }
        let deadline = std::time::Instant::now() + Duration::from_millis(500);
        while !st.parked {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            match self.pause.changed.wait_timeout(st, left) {
                Ok((next, _)) => st = next,
                Err(_) => return,
            }
        }
    }

    /// Whether `pause` really stops the reader (it needs its wake pipe).
    pub fn can_pause(&self) -> bool {
        self.pause.wake.is_some()
    }

    pub fn resume(&self) {
        if let Ok(mut st) = self.pause.state.lock() {
            st.requested = false;
            self.pause.changed.notify_all();
        }
    }

    /// Waits here while a pause is requested.
    fn park_if_asked(&self) {
        let Ok(mut st) = self.pause.state.lock() else {
            return;
        };
        if !st.requested {
            return;
        }
        st.parked = true;
        self.pause.changed.notify_all();
        while st.requested {
            match self.pause.changed.wait(st) {
                Ok(next) => st = next,
                Err(_) => return,
            }
        }
        st.parked = false;
    }
}

/// Starts reading keys into `events`. Reads stdin when it is the terminal, else
/// /dev/tty (output piped somewhere), like other terminal programs.
pub fn spawn(events: mpsc::UnboundedSender<Event>) -> Input {
    let (wake_rx, wake_tx) = match rustix::pipe::pipe() {
        Ok((r, w)) => (Some(r), Some(w)),
        Err(e) => {
            error!(%e, "no pipe to wake the terminal reader; the external editor is off");
            (None, None)
        }
    };
    let input = Input::new(wake_tx);
    let (bytes_tx, bytes_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let reader = input.clone();
    let spawned = std::thread::Builder::new()
        .name("terminal-input".to_owned())
        .spawn(move || read_bytes(&reader, wake_rx.as_ref(), &bytes_tx));
    if let Err(e) = spawned {
        error!(%e, "cannot start the terminal reader");
        let _ = events.send(Event::Terminate);
        return input;
    }
    tokio::spawn(parse_bytes(bytes_rx, events.clone()));
    spawn_resize_watch(events);
    input
}

enum Source {
    Stdin(std::io::Stdin),
    Tty(std::fs::File),
}

impl Source {
    fn open() -> std::io::Result<Self> {
        if std::io::stdin().is_terminal() {
            Ok(Self::Stdin(std::io::stdin()))
        } else {
            std::fs::File::open("/dev/tty").map(Self::Tty)
        }
    }

    /// Waits for input (true: there is some, or the end) or a wake-up (false).
    fn ready(&self, wake: Option<&OwnedFd>) -> std::io::Result<bool> {
        use rustix::event::{PollFd, PollFlags, poll};
        let flags = PollFlags::IN;
        let tty = match self {
            Self::Stdin(s) => PollFd::new(s, flags),
            Self::Tty(f) => PollFd::new(f, flags),
        };
        let mut fds = vec![tty];
        if let Some(wake) = wake {
            fds.push(PollFd::new(wake, flags));
        }
        match poll(&mut fds, None) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        let woken = fds.get(1).is_some_and(|f| !f.revents().is_empty());
        let input = !fds[0].revents().is_empty();
        if woken && let Some(wake) = wake {
            let mut byte = [0u8; 16];
            let _ = rustix::io::read(wake, &mut byte);
        }
        Ok(input && !woken)
    }

    /// Straight from the file descriptor: std's `Stdin` buffers, and what its buffer
    /// held would be invisible to `poll`.
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = match self {
            Self::Stdin(s) => rustix::io::read(s.as_fd(), buf),
            Self::Tty(f) => rustix::io::read(f.as_fd(), buf),
        };
        read.map_err(std::io::Error::from)
    }
}

/// Reads until the terminal closes. The channel closing tells the parser.
fn read_bytes(input: &Input, wake: Option<&OwnedFd>, out: &mpsc::UnboundedSender<Vec<u8>>) {
    let mut source = match Source::open() {
        Ok(source) => source,
        Err(e) => {
            error!(%e, "no terminal to read keys from");
            return;
        }
    };
    let mut buf = [0u8; 4096];
    loop {
        input.park_if_asked();
        match source.ready(wake) {
            Ok(false) => continue,
            Ok(true) => {}
            Err(e) => {
                info!(%e, "the terminal closed (poll failed)");
                return;
            }
        }
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

/// Turns terminal bytes into events until the bytes end (then `Event::Terminate`): for
/// the local terminal's reader thread and for an ssh channel alike.
pub async fn parse_bytes(
    mut bytes: mpsc::UnboundedReceiver<Vec<u8>>,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut parser = Parser::default();
    loop {
        let next = match parser.pending() {
            Some(delay) => match tokio::time::timeout(delay, bytes.recv()).await {
                Ok(next) => next,
                Err(_) => {
                    if !send_all(&events, parser.flush()) {
                        return;
                    }
                    continue;
                }
            },
            None => bytes.recv().await,
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
