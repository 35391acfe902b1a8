use super::*;

fn keys(events: &[Event]) -> Vec<(KeyCode, KeyModifiers)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Key(k) => Some((k.code, k.modifiers)),
            _ => None,
        })
        .collect()
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const ALT: KeyModifiers = KeyModifiers::ALT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

#[test]
fn plain_text_control_keys_and_utf8() {
    let mut p = Parser::default();
    let events = p.feed("a漢\r\t\x7f\x03\n".as_bytes());
    assert_eq!(
        keys(&events),
        vec![
            (KeyCode::Char('a'), NONE),
            (KeyCode::Char('漢'), NONE),
            (KeyCode::Enter, NONE),
            (KeyCode::Tab, NONE),
            (KeyCode::Backspace, NONE),
            (KeyCode::Char('c'), CTRL),
            (KeyCode::Char('j'), CTRL),
        ]
    );
    assert!(p.pending().is_none());
}

#[test]
fn a_character_split_across_reads_is_joined() {
    let mut p = Parser::default();
    let bytes = "👍".as_bytes();
    assert!(p.feed(&bytes[..2]).is_empty());
    assert_eq!(p.pending(), Some(SEQUENCE_DELAY));
    assert_eq!(
        keys(&p.feed(&bytes[2..])),
        vec![(KeyCode::Char('👍'), NONE)]
    );
}

#[test]
fn esc_then_a_key_in_one_read_is_alt_key() {
    // Over ssh, Esc and 1 typed quickly arrive together: the parser reports Alt+1 as a
    // terminal would; the key handling turns an unbound Alt+key back into Esc, key.
    let mut p = Parser::default();
    assert_eq!(keys(&p.feed(b"\x1b1")), vec![(KeyCode::Char('1'), ALT)]);
    assert_eq!(keys(&p.feed(b"\x1bb")), vec![(KeyCode::Char('b'), ALT)]);
    assert_eq!(keys(&p.feed(b"\x1b\r")), vec![(KeyCode::Enter, ALT)]);
}

#[test]
fn a_lone_esc_waits_for_the_flush() {
    let mut p = Parser::default();
    assert!(p.feed(b"\x1b").is_empty());
    assert_eq!(p.pending(), Some(SEQUENCE_DELAY));
    assert_eq!(keys(&p.flush()), vec![(KeyCode::Esc, NONE)]);
    assert!(p.pending().is_none());
    assert_eq!(
        keys(&p.feed(b"\x1b\x1b")),
        vec![(KeyCode::Esc, NONE)],
        "the second Esc may start a sequence"
    );
    assert_eq!(keys(&p.flush()), vec![(KeyCode::Esc, NONE)]);
}

#[test]
fn csi_and_ss3_keys_with_modifiers() {
    let mut p = Parser::default();
    let events = p.feed(
        b"\x1b[A\x1bOB\x1b[1;5C\x1b[1;3D\x1b[5~\x1b[6~\x1b[3~\x1b[H\x1b[4~\x1b[Z\x1bOP\x1b[15~",
    );
    assert_eq!(
        keys(&events),
        vec![
            (KeyCode::Up, NONE),
            (KeyCode::Down, NONE),
            (KeyCode::Right, CTRL),
            (KeyCode::Left, ALT),
            (KeyCode::PageUp, NONE),
            (KeyCode::PageDown, NONE),
            (KeyCode::Delete, NONE),
            (KeyCode::Home, NONE),
            (KeyCode::End, NONE),
            (KeyCode::BackTab, KeyModifiers::SHIFT),
            (KeyCode::F(1), NONE),
            (KeyCode::F(5), NONE),
        ]
    );
}

#[test]
fn a_sequence_split_across_reads_is_one_key() {
    let mut p = Parser::default();
    assert!(p.feed(b"\x1b[1;").is_empty());
    assert_eq!(keys(&p.feed(b"5A")), vec![(KeyCode::Up, CTRL)]);
}

#[test]
fn bracketed_paste_keeps_newlines_tabs_and_escapes_inside() {
    let mut p = Parser::default();
    let mut events = p.feed(b"x\x1b[200~one\ttwo\r\nthree\x1b[20");
    assert_eq!(
        p.pending(),
        Some(PASTE_SILENCE),
        "a paste may pause longer than a key"
    );
    events.extend(p.feed(b"1~y"));
    assert_eq!(
        events,
        vec![
            Event::Key(KeyEvent::new(KeyCode::Char('x'), NONE)),
            Event::Paste("one\ttwo\r\nthree".to_owned()),
            Event::Key(KeyEvent::new(KeyCode::Char('y'), NONE)),
        ]
    );
}

#[test]
fn the_mouse_wheel_and_unknown_sequences() {
    let mut p = Parser::default();
    let events =
        p.feed(b"\x1b[<64;10;5M\x1b[<65;10;5M\x1b[<0;1;1M\x1b[I\x1b[12;40R\x1b[99~\x1b[Oz");
    assert_eq!(
        events,
        vec![
            Event::Scroll(-1),
            Event::Scroll(1),
            Event::Focus(true),
            Event::Focus(false),
            Event::Key(KeyEvent::new(KeyCode::Char('z'), NONE)),
        ]
    );
}

#[test]
fn garbage_is_dropped_not_typed() {
    let mut p = Parser::default();
    let mut bytes = b"\x1b[".to_vec();
    bytes.extend(std::iter::repeat_n(b'1', 100));
    assert!(p.feed(&bytes).is_empty());
    assert!(p.pending().is_none());
    assert_eq!(
        keys(&p.feed(b"\xff\x80q")),
        vec![(KeyCode::Char('q'), NONE)]
    );
}

#[test]
fn half_a_sequence_at_the_flush_is_dropped_not_typed() {
    // "Esc [1;5" then a pause longer than the delay: the A that comes later is just A,
    // and neither Alt+[ nor "1;5" reach the client (they would react with 👍 and 😢).
    let mut p = Parser::default();
    assert!(p.feed(b"\x1b[1;5").is_empty());
    assert!(p.flush().is_empty());
    assert_eq!(
        keys(&p.feed(b"A")),
        vec![(KeyCode::Char('A'), KeyModifiers::SHIFT)]
    );
    // "Esc [" alone is Alt+[ typed by a person.
    assert!(p.feed(b"\x1b[").is_empty());
    assert_eq!(keys(&p.flush()), vec![(KeyCode::Char('['), ALT)]);
}

#[test]
fn a_paste_whose_end_marker_never_comes_ends_after_silence() {
    let mut p = Parser::default();
    assert!(p.feed(b"\x1b[200~half a paste").is_empty());
    assert_eq!(p.flush(), vec![Event::Paste("half a paste".to_owned())]);
    // Keys work again, Ctrl+C included.
    assert_eq!(keys(&p.feed(b"\x03")), vec![(KeyCode::Char('c'), CTRL)]);
}

#[test]
fn x10_mouse_reports_are_not_typed() {
    let mut p = Parser::default();
    // Wheel up at (1, 1), then a click: 32 + code, 32 + x, 32 + y.
    let events = p.feed(&[
        0x1b, b'[', b'M', 96, 33, 33, 0x1b, b'[', b'M', 32, 40, 40, b'q',
    ]);
    assert_eq!(
        events,
        vec![
            Event::Scroll(-1),
            Event::Key(KeyEvent::new(KeyCode::Char('q'), NONE)),
        ]
    );
}
