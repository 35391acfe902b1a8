//! Taking over the terminal and always giving it back: on return, on error, on panic
//! (a hook restores it before the message prints) and on signals (handled as events).

use crossterm::event::{
    DisableBracketedPaste, DisableFocusChange, DisableMouseCapture, EnableBracketedPaste,
    EnableFocusChange, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
mod backend;

pub use backend::QuietBackend;

use ratatui::Terminal;
use ratatui::layout::Size;
use std::io::{self, Stdout};

pub type Tui = Terminal<QuietBackend<Stdout>>;

/// Restores the terminal when dropped, whichever way the program leaves.
pub struct Guard {
    mouse: bool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore(self.mouse);
    }
}

pub fn setup(mouse: bool) -> io::Result<(Tui, Guard)> {
    install_panic_hook(mouse);
    enable_raw_mode()?;
    let guard = Guard { mouse };
    let mut stdout = io::stdout();
    // Focus reports mark what arrives while the window is elsewhere as unread.
    execute!(
        stdout,
        EnterAlternateScreen,
        EnableBracketedPaste,
        EnableFocusChange
    )?;
    if mouse {
        execute!(stdout, EnableMouseCapture)?;
    }
    // The window title is ours while we run: keep the old one (xterm's title stack).
    write_raw(&mut stdout, SAVE_TITLE);
    let (width, height) = crossterm::terminal::size()?;
    let terminal = Terminal::new(QuietBackend::new(stdout, Size::new(width, height)))?;
    Ok((terminal, guard))
}

/// Best effort: each step runs even if an earlier one failed.
pub fn restore(mouse: bool) {
    let mut stdout = io::stdout();
    if mouse {
        let _ = execute!(stdout, DisableMouseCapture);
    }
    let _ = execute!(
        stdout,
        DisableFocusChange,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    write_raw(&mut stdout, RESTORE_TITLE);
    let _ = disable_raw_mode();
}

/// xterm's title stack (CSI 22;0 t / CSI 23;0 t): the title from before we set ours
/// comes back when we leave. Terminals without it ignore both.
pub const SAVE_TITLE: &[u8] = b"\x1b[22;0t";
pub const RESTORE_TITLE: &[u8] = b"\x1b[23;0t";

fn write_raw(out: &mut impl std::io::Write, bytes: &[u8]) {
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}

/// Gives the terminal to another program for a while (see `external_editor`).
pub fn suspend(mouse: bool) {
    restore(mouse);
}

/// Takes it back after `suspend`.
pub fn resume(mouse: bool) {
    let _ = enable_raw_mode();
    let mut stdout = io::stdout();
    let _ = execute!(
        stdout,
        EnterAlternateScreen,
        EnableBracketedPaste,
        EnableFocusChange
    );
    if mouse {
        let _ = execute!(stdout, EnableMouseCapture);
    }
}

fn install_panic_hook(mouse: bool) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore(mouse);
        tracing::error!(%info, "panic");
        previous(info);
        // A panic in a spawned task would otherwise be caught by tokio, leaving a client
        // that draws on a restored (cooked) terminal and reads nothing: end it.
        std::process::exit(101);
    }));
}
