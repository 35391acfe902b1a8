//! Terminal input bytes → key, paste and wheel events.
//!
//! Our own parser rather than crossterm's reader, for three reasons: crossterm's reader
//! spins on a closed terminal (EOF/EIO) instead of reporting it; it shares stdin with
//! terminal queries, so a query can steal keys or hang; and the ssh gateway gets the
//! same bytes from a channel, not from a tty. It understands what terminals send by
//! default (xterm-style CSI and SS3 keys with modifiers, bracketed paste, SGR mouse,
//! UTF-8, `Esc x` as Alt+x); anything it does not know is dropped, never half-typed.

use crate::app::Event;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Duration;

const ESC: u8 = 0x1b;
const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";
/// A paste larger than this is cut (the rest is dropped up to the end marker): no draft
/// can be that long, and a runaway paste must not grow memory without bound.
const MAX_PASTE: usize = 1 << 20;
/// A CSI sequence longer than this is garbage, not a key.
const MAX_SEQUENCE: usize = 64;
/// How long the bytes of one key may straggle: a lone Esc not followed by more within
/// this is the Esc key. Short enough not to be felt, long enough for ssh.
pub const SEQUENCE_DELAY: Duration = Duration::from_millis(25);
/// A paste whose end marker has not come after this much silence is over: a lost
/// marker must not swallow every later key (Ctrl+C included).
pub const PASTE_SILENCE: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
pub struct Parser {
    buf: Vec<u8>,
    /// Inside a bracketed paste: what it holds so far.
    paste: Option<Vec<u8>>,
}

/// What the bytes of one key or sequence mean, before they become an [`Event`].
enum Token {
    Key(KeyEvent),
    Wheel(isize),
    /// The terminal window gained (true) or lost focus (`Esc [I`, `Esc [O`).
    Focus(bool),
    /// `Esc [200~`: what follows is pasted text, up to `Esc [201~`.
    PasteStart,
}

/// What the next bytes make up.
enum Step {
    /// An event (or nothing, for bytes we skip) and how many bytes it used.
    Done(Option<Token>, usize),
    /// The bytes so far are the start of a longer sequence.
    Incomplete,
}

impl Parser {
    /// Adds bytes read from the terminal and returns the events they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        self.buf.extend_from_slice(bytes);
        let mut events = Vec::new();
        self.drain(&mut events, false);
        events
    }

    /// How long to wait for more bytes before `flush`: a moment when the last bytes may
    /// be the start of a sequence (a lone Esc, half a UTF-8 character), longer inside a
    /// paste; `None` when nothing is pending.
    pub fn pending(&self) -> Option<Duration> {
        if self.paste.is_some() {
            Some(PASTE_SILENCE)
        } else if !self.buf.is_empty() {
            Some(SEQUENCE_DELAY)
        } else {
            None
        }
    }

    /// No more bytes came: what is left is taken as typed (a lone Esc is the Esc key,
    /// half a sequence is dropped), and a paste whose end marker never came ends here.
    pub fn flush(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        if let Some(mut paste) = self.paste.take() {
            take_paste(&mut paste, &self.buf);
            self.buf.clear();
            events.push(Event::Paste(String::from_utf8_lossy(&paste).into_owned()));
            return events;
        }
        self.drain(&mut events, true);
        events
    }

    fn drain(&mut self, events: &mut Vec<Event>, at_end: bool) {
        let mut at = 0;
        while at < self.buf.len() {
            if let Some(paste) = self.paste.as_mut() {
                let rest = &self.buf[at..];
                match find(rest, PASTE_END) {
                    Some(end) => {
                        take_paste(paste, &rest[..end]);
                        let text = String::from_utf8_lossy(paste).into_owned();
                        self.paste = None;
                        events.push(Event::Paste(text));
                        at += end + PASTE_END.len();
                    }
                    None => {
                        // Keep a possible partial end marker for the next read.
                        let keep = partial_suffix(rest, PASTE_END);
                        take_paste(paste, &rest[..rest.len() - keep]);
                        at = self.buf.len() - keep;
                        break;
                    }
                }
                continue;
            }
            match step(&self.buf[at..], at_end) {
                Step::Done(event, used) => {
                    at += used.max(1);
                    match event {
                        Some(Token::PasteStart) => self.paste = Some(Vec::new()),
                        Some(Token::Key(key)) => events.push(Event::Key(key)),
                        Some(Token::Wheel(delta)) => events.push(Event::Scroll(delta)),
                        Some(Token::Focus(on)) => events.push(Event::Focus(on)),
                        None => {}
                    }
                }
                Step::Incomplete => break,
            }
        }
        self.buf.drain(..at);
    }
}

fn take_paste(paste: &mut Vec<u8>, bytes: &[u8]) {
    let room = MAX_PASTE.saturating_sub(paste.len());
    paste.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// How many bytes at the end of `bytes` are a proper prefix of `marker`.
fn partial_suffix(bytes: &[u8], marker: &[u8]) -> usize {
    (1..marker.len())
        .rev()
        .find(|&n| n <= bytes.len() && bytes[bytes.len() - n..] == marker[..n])
        .unwrap_or(0)
}

fn key(code: KeyCode, mods: KeyModifiers) -> Option<Token> {
    Some(Token::Key(KeyEvent::new(code, mods)))
}

fn step(b: &[u8], at_end: bool) -> Step {
    if b[0] != ESC {
        return single(b, at_end, KeyModifiers::NONE);
    }
    let Some(&next) = b.get(1) else {
        return if at_end {
            Step::Done(key(KeyCode::Esc, KeyModifiers::NONE), 1)
        } else {
            Step::Incomplete
        };
    };
    match next {
        b'[' => csi(b, at_end),
        b'O' => match b.get(2) {
            Some(&c) => Step::Done(ss3(c), 3),
            None if at_end => Step::Done(key(KeyCode::Char('O'), KeyModifiers::ALT), 2),
            None => Step::Incomplete,
        },
        // Esc Esc: the first is a plain Esc; the second starts whatever comes next.
        ESC => Step::Done(key(KeyCode::Esc, KeyModifiers::NONE), 1),
        // Esc then a key is how terminals send Alt+key.
        _ => match single(&b[1..], at_end, KeyModifiers::ALT) {
            Step::Done(event, used) => Step::Done(event, used + 1),
            Step::Incomplete => Step::Incomplete,
        },
    }
}

/// One key that is not an escape sequence: a control byte or a UTF-8 character.
fn single(b: &[u8], at_end: bool, alt: KeyModifiers) -> Step {
    let ctrl = KeyModifiers::CONTROL | alt;
    let event = match b[0] {
        b'\r' => key(KeyCode::Enter, alt),
        // In raw mode Enter is \r; \n is Ctrl+J (the newline key).
        b'\n' => key(KeyCode::Char('j'), ctrl),
        b'\t' => key(KeyCode::Tab, alt),
        0x7f | 0x08 => key(KeyCode::Backspace, alt),
        0x00 => key(KeyCode::Char(' '), ctrl),
        c @ 0x01..=0x1a => key(KeyCode::Char(char::from(b'a' + c - 1)), ctrl),
        c @ 0x1c..=0x1f => key(KeyCode::Char(char::from(b'4' + c - 0x1c)), ctrl),
        _ => return utf8(b, at_end, alt),
    };
    Step::Done(event, 1)
}

fn utf8(b: &[u8], at_end: bool, alt: KeyModifiers) -> Step {
    let len = match b[0] {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        // A stray continuation byte or an invalid lead: skip it.
        _ => return Step::Done(None, 1),
    };
    if b.len() < len {
        return if at_end {
            Step::Done(None, b.len())
        } else {
            Step::Incomplete
        };
    }
    match std::str::from_utf8(&b[..len])
        .ok()
        .and_then(|s| s.chars().next())
    {
        Some(c) => {
            let shift = if c.is_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            Step::Done(key(KeyCode::Char(c), alt | shift), len)
        }
        None => Step::Done(None, 1),
    }
}

/// The final letter of the cursor-key sequences, the same after `Esc O` and `Esc [`:
/// arrows, Home/End, F1–F4.
fn letter_key(c: u8) -> Option<KeyCode> {
    Some(match c {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'P'..=b'S' => KeyCode::F(c - b'P' + 1),
        _ => return None,
    })
}

/// `Esc O x`: what many terminals send for arrows, Home/End and F1–F4.
fn ss3(c: u8) -> Option<Token> {
    let code = match c {
        b'M' => KeyCode::Enter,
        c => letter_key(c)?,
    };
    key(code, KeyModifiers::NONE)
}

/// `Esc [ params final`.
fn csi(b: &[u8], at_end: bool) -> Step {
    let body = &b[2..];
    let Some(end) = body.iter().position(|c| (0x40..=0x7e).contains(c)) else {
        return if at_end && body.is_empty() {
            // "Esc [" and nothing more: Alt+[ typed by a person.
            Step::Done(key(KeyCode::Char('['), KeyModifiers::ALT), 2)
        } else if at_end || body.len() > MAX_SEQUENCE {
            // Half a sequence (its end lost or late) is dropped whole, never typed.
            Step::Done(None, b.len())
        } else {
            Step::Incomplete
        };
    };
    let used = 2 + end + 1;
    let params = &body[..end];
    let last = body[end];
    if b[..used] == *PASTE_START {
        return Step::Done(Some(Token::PasteStart), used);
    }
    if last == b'M' && params.is_empty() {
        // An X10 mouse report: three raw bytes follow, never to be typed.
        return match b.get(used..used + 3) {
            Some(report) => Step::Done(x10_mouse(report[0]), used + 3),
            None if at_end => Step::Done(None, b.len()),
            None => Step::Incomplete,
        };
    }
    if params.first() == Some(&b'<') {
        return Step::Done(sgr_mouse(&params[1..], last), used);
    }
    let numbers: Vec<u16> = std::str::from_utf8(params)
        .unwrap_or("")
        .split(';')
        .map(|p| p.split(':').next().unwrap_or("").parse().unwrap_or(0))
        .collect();
    let first = numbers.first().copied().unwrap_or(0);
    let mods = modifiers(numbers.get(1).copied().unwrap_or(1));
    let code = match last {
        // F3 with modifiers ends in R, like a cursor report: only "Esc [1;mR" is F3.
        b'R' if first == 1 && numbers.len() == 2 => KeyCode::F(3),
        c if c != b'R'
            && let Some(code) = letter_key(c) =>
        {
            code
        }
        b'Z' => return Step::Done(key(KeyCode::BackTab, KeyModifiers::SHIFT), used),
        b'I' if params.is_empty() => return Step::Done(Some(Token::Focus(true)), used),
        b'O' if params.is_empty() => return Step::Done(Some(Token::Focus(false)), used),
        b'~' => match first {
            1 | 7 => KeyCode::Home,
            2 => KeyCode::Insert,
            3 => KeyCode::Delete,
            4 | 8 => KeyCode::End,
            5 => KeyCode::PageUp,
            6 => KeyCode::PageDown,
            11..=15 => KeyCode::F(u8::try_from(first - 10).unwrap_or(1)),
            17..=21 => KeyCode::F(u8::try_from(first - 11).unwrap_or(6)),
            23 | 24 => KeyCode::F(u8::try_from(first - 12).unwrap_or(11)),
            _ => return Step::Done(None, used),
        },
        // Cursor reports, a stray paste end: nothing the user typed.
        _ => return Step::Done(None, used),
    };
    Step::Done(key(code, mods), used)
}

/// xterm's modifier parameter: 1 + (shift 1 | alt 2 | ctrl 4).
fn modifiers(param: u16) -> KeyModifiers {
    let bits = param.saturating_sub(1);
    let mut mods = KeyModifiers::NONE;
    if bits & 1 != 0 {
        mods |= KeyModifiers::SHIFT;
    }
    if bits & 2 != 0 {
        mods |= KeyModifiers::ALT;
    }
    if bits & 4 != 0 {
        mods |= KeyModifiers::CONTROL;
    }
    mods
}

/// `Esc [ M b x y` (terminals without SGR mouse): the button byte is 32 + the code.
fn x10_mouse(button: u8) -> Option<Token> {
    match button.wrapping_sub(32) & !0b1_1100 {
        64 => Some(Token::Wheel(-1)),
        65 => Some(Token::Wheel(1)),
        _ => None,
    }
}

/// `Esc [ < button ; x ; y M`: only the wheel means something to us.
fn sgr_mouse(params: &[u8], last: u8) -> Option<Token> {
    if last != b'M' {
        return None;
    }
    let button: u16 = std::str::from_utf8(params)
        .ok()?
        .split(';')
        .next()?
        .parse()
        .ok()?;
    // Bits 2–4 are modifiers; 64/65 are wheel up/down.
    match button & !0b1_1100 {
        64 => Some(Token::Wheel(-1)),
        65 => Some(Token::Wheel(1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
