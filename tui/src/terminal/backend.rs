//! A ratatui backend that only ever writes. crossterm's backend answers "where is the
//! cursor" by asking the terminal and reading the reply from stdin, which our input
//! reader owns: the reply is lost, the question times out after seconds, and the client
//! freezes or exits (that is what Ctrl+L did). Here the cursor position is the one we
//! last set and the size is the one the last resize reported, so drawing can never wait
//! on the terminal. The ssh gateway needs the same: a channel cannot be queried either.

use crate::ui::links::Link;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

pub struct QuietBackend<W: Write> {
    inner: CrosstermBackend<W>,
    size: Size,
    cursor: Position,
    links: Links,
}

/// Where the frame being drawn has its links: set by rendering, read by [`Backend::draw`]
/// (which the frame's render closure cannot reach otherwise).
#[derive(Clone, Default)]
pub struct Links(Arc<Mutex<Vec<Link>>>);

impl Links {
    pub fn set(&self, links: Vec<Link>) {
        if let Ok(mut held) = self.0.lock() {
            *held = links;
        }
    }

    fn get(&self) -> Vec<Link> {
        self.0.lock().map(|held| held.clone()).unwrap_or_default()
    }
}

impl<W: Write> QuietBackend<W> {
    pub fn new(writer: W, size: Size) -> Self {
        Self {
            inner: CrosstermBackend::new(writer),
            size,
            cursor: Position::ORIGIN,
            links: Links::default(),
        }
    }

    /// The handle rendering gives the frame's links to.
    pub fn links(&self) -> Links {
        self.links.clone()
    }

    /// The terminal's new size (from SIGWINCH, or the ssh window-change request).
    pub fn set_size(&mut self, size: Size) {
        self.size = size;
    }

    /// Rings the terminal bell (BEL), after an OSC 9 notification with `text` (terminals
    /// that do not know OSC 9 ignore it). Written between frames, so it never lands
    /// inside another escape sequence.
    pub fn bell(&mut self, text: &str) -> io::Result<()> {
        let text = osc_text(text);
        self.inner
            .write_all(format!("\x1b]9;{text}\x07\x07").as_bytes())?;
        Write::flush(&mut self.inner)
    }

    /// OSC 52: `text` to the clipboard of the machine the terminal runs on.
    pub fn copy(&mut self, text: &str) -> io::Result<()> {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(text);
        self.inner
            .write_all(format!("\x1b]52;c;{encoded}\x07").as_bytes())?;
        Write::flush(&mut self.inner)
    }

    /// OSC 2: the window (or tab) title.
    pub fn set_title(&mut self, title: &str) -> io::Result<()> {
        let title = osc_text(title);
        self.inner
            .write_all(format!("\x1b]2;{title}\x07").as_bytes())?;
        Write::flush(&mut self.inner)
    }
}

/// OSC 8's opening sequence. The id (from the URL) makes the pieces of a URL broken over
/// lines one link, which terminals highlight together. `url` is printable ASCII already
/// (`ui::links::urls`); anything else is dropped all the same.
fn osc8_open(url: &str) -> String {
    use std::hash::{Hash, Hasher};
    let url: String = url.chars().filter(char::is_ascii_graphic).collect();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    url.hash(&mut hasher);
    format!("\x1b]8;id={:x};{url}\x1b\\", hasher.finish())
}

/// Text for an OSC string: no control characters (they would end it early, or worse:
/// names and messages are other people's text), and not too long.
fn osc_text(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// Raw bytes to the terminal, in order with the frames (an ssh session's setup and
/// restore sequences).
impl<W: Write> Write for QuietBackend<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.inner.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

impl<W: Write> Backend for QuietBackend<W> {
    type Error = io::Error;

    /// The changed cells, as crossterm writes them, with the cells of a link wrapped in
    /// OSC 8 (an opening sequence naming the URL, a closing one after its last cell).
    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let links = self.links.get();
        if links.is_empty() {
            return self.inner.draw(content);
        }
        let mut run: Vec<(u16, u16, &Cell)> = Vec::new();
        let mut open: Option<&Link> = None;
        for (x, y, cell) in content {
            let here = links
                .iter()
                .find(|l| l.y == y && (l.x..l.x.saturating_add(l.width)).contains(&x));
            if here.map(|l| &l.url) != open.map(|l| &l.url) {
                if !run.is_empty() {
                    self.inner.draw(run.drain(..))?;
                }
                if open.is_some() {
                    self.inner.write_all(b"\x1b]8;;\x1b\\")?;
                }
                if let Some(link) = here {
                    self.inner.write_all(osc8_open(&link.url).as_bytes())?;
                }
                open = here;
            }
            run.push((x, y, cell));
        }
        if !run.is_empty() {
            self.inner.draw(run.into_iter())?;
        }
        if open.is_some() {
            self.inner.write_all(b"\x1b]8;;\x1b\\")?;
        }
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let position = position.into();
        self.cursor = position;
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        Ok(self.size)
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.size,
            pixels: Size::default(),
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use std::sync::{Arc, Mutex};

    /// What the terminal was sent, readable after the backend took the writer.
    #[derive(Clone, Default)]
    struct Sent(Arc<Mutex<Vec<u8>>>);

    impl Write for Sent {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::ErrorKind::Other)?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn clearing_and_resizing_never_read_from_the_terminal() {
        // With crossterm's backend this clear would send "ESC [6n" and wait for an
        // answer on stdin; here it only writes.
        let sent = Sent::default();
        let mut terminal = Terminal::new(QuietBackend::new(sent.clone(), Size::new(20, 5)))
            .expect("a terminal over a buffer");
        terminal
            .draw(|f| f.render_widget("hello", f.area()))
            .expect("draw");
        terminal.clear().expect("clear");
        terminal.backend_mut().set_size(Size::new(30, 6));
        terminal
            .draw(|f| f.render_widget("again", f.area()))
            .expect("draw after resize");
        assert_eq!(terminal.size().expect("size"), Size::new(30, 6));
        let bytes = sent.0.lock().expect("not poisoned").clone();
        let written = String::from_utf8_lossy(&bytes);
        assert!(!written.contains("\x1b[6n"), "no cursor query: {written:?}");
        assert!(written.contains("again"));
    }

    #[test]
    fn the_cells_of_a_link_are_wrapped_in_osc_8_and_nothing_else_is() {
        let sent = Sent::default();
        let mut terminal = Terminal::new(QuietBackend::new(sent.clone(), Size::new(30, 2)))
            .expect("a terminal over a buffer");
        let links = terminal.backend().links();
        terminal
            .draw(|f| {
                f.render_widget("see https://a.org now", f.area());
                links.set(vec![Link {
                    x: 4,
                    y: 0,
                    width: 13,
                    url: "https://a.org".into(),
                }]);
            })
            .expect("draw");
        let bytes = sent.0.lock().expect("not poisoned").clone();
        let written = String::from_utf8_lossy(&bytes).into_owned();
        let open = written.find("\x1b]8;id=").expect("an OSC 8 link");
        let close = written.find("\x1b]8;;\x1b\\").expect("the link closed");
        assert!(written[..open].contains("see"), "{written:?}");
        assert!(
            written[open..].contains(";https://a.org\x1b\\"),
            "{written:?}"
        );
        let inside = &written[open..close];
        assert!(inside.contains("https://a.org"), "{written:?}");
        assert!(!inside.contains("now"), "{written:?}");
        assert!(written[close..].contains("now"), "{written:?}");
        assert_eq!(written.matches("\x1b]8;").count(), 2, "{written:?}");
    }
}
