//! Whole-screen snapshots: the real `render` into a `TestBackend`, at the sizes people
//! use over ssh, with emoji, CJK and words too long for a line.

use crate::support::*;
use chat_tui::app::state::{Connection, State};
use chat_tui::app::{Event, NetEvent, RpcError, update};
use crossterm::event::KeyCode;
use tonic::Code;

/// A conversation with everything that is hard to draw.
fn conversation() -> State {
    let messages = vec![
        msg("m1", "alice", "Morning all! Coffee ☕ is ready.", 1),
        reacted(
            msg(
                "m2",
                "李小龍",
                "漢字とかなの混じった文も、きちんと折り返されるはずです。",
                2,
            ),
            &[("👍", &["alice", "bob"]), ("🎉", &[ME])],
        ),
        reacted(
            msg(
                "m3",
                "bob",
                "Here is the link: https://example.com/a/very/long/path/that/does/not/fit/on/one/line/at/all?q=1",
                3,
            ),
            &[("😂", &["alice"])],
        ),
        reacted(
            msg(
                "m4",
                ME,
                "Shipping it today 🚀\nSecond line of the same message.",
                4,
            ),
            &[
                ("❤️", &["alice"]),
                ("🔥", &["bob", "李小龍"]),
                ("👀", &[ME]),
            ],
        ),
        msg("m5", "alice", "👍👍👍", 5),
    ];
    let mut state = with_messages(messages);
    net(&mut state, send_status(false, 1));
    state
}

#[test]
fn chat_80x24() {
    let mut state = conversation();
    insta::assert_snapshot!(screen(&mut state, 80, 24));
}

#[test]
fn chat_120x40() {
    let mut state = conversation();
    insta::assert_snapshot!(screen(&mut state, 120, 40));
}

#[test]
fn chat_40x12_folds_the_sidebar() {
    let mut state = conversation();
    insta::assert_snapshot!(screen(&mut state, 40, 12));
}

#[test]
fn too_small_says_so() {
    let mut state = conversation();
    insta::assert_snapshot!(screen(&mut state, 39, 11));
}

#[test]
fn pane_focus_shows_the_selection_and_its_reactions_80x24() {
    let mut state = conversation();
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('k'));
    key(&mut state, KeyCode::Char('k'));
    key(&mut state, KeyCode::Char('k'));
    insta::assert_snapshot!(screen(&mut state, 80, 24));
}

/// What the server says when the gate is shut.
fn gate_refusal() -> RpcError {
    RpcError::new(
        Code::FailedPrecondition,
        "your previous message needs 1 more reaction from another user",
    )
}

#[test]
fn a_send_refused_by_the_gate_80x24() {
    let mut state = conversation();
    send_answered(&mut state, "one more thing", "", Err(gate_refusal()));
    insta::assert_snapshot!(screen(&mut state, 80, 24));
}

#[test]
fn reconnecting_keeps_the_screen_40x12() {
    let mut state = conversation();
    type_text(&mut state, "draft survives 漢字 👍");
    net(
        &mut state,
        NetEvent::Connection(Connection::Reconnecting {
            attempt: 3,
            seconds_left: 7,
        }),
    );
    insta::assert_snapshot!(screen(&mut state, 40, 12));
}

#[test]
fn unread_divider_and_new_below_hint_80x24() {
    let mut state = conversation();
    for i in 0..12 {
        net(
            &mut state,
            posted(
                i + 1,
                msg(
                    &format!("x{i}"),
                    "bob",
                    &format!("filler {i}"),
                    10 + i64::try_from(i).unwrap_or(0),
                ),
            ),
        );
    }
    key(&mut state, KeyCode::Esc);
    for _ in 0..8 {
        key(&mut state, KeyCode::Char('k'));
    }
    net(
        &mut state,
        posted(20, msg("n1", "alice", "are you there?", 30)),
    );
    net(&mut state, posted(21, msg("n2", "李小龍", "はい！", 31)));
    let scrolled = screen(&mut state, 80, 24);
    key(&mut state, KeyCode::Char('G'));
    let caught_up = screen(&mut state, 80, 24);
    insta::assert_snapshot!(format!("{scrolled}\n{caught_up}"));
}

#[test]
fn multi_line_draft_grows_the_input_80x24() {
    let mut state = conversation();
    type_text(&mut state, "first line");
    update(
        &mut state,
        Event::Paste(
            "second line\nthird line with 漢字 and 🎉 and a long tail that wraps around the edge"
                .to_owned(),
        ),
    );
    insta::assert_snapshot!(screen(&mut state, 80, 24));
}

#[test]
fn help_overlay_80x24() {
    let mut state = conversation();
    key(&mut state, KeyCode::F(1));
    insta::assert_snapshot!(screen(&mut state, 80, 24));
}

#[test]
fn help_overlay_120x40() {
    let mut state = conversation();
    key(&mut state, KeyCode::F(1));
    insta::assert_snapshot!(screen(&mut state, 120, 40));
}

#[test]
fn sign_in_with_an_error_80x24() {
    let mut state = new_state();
    type_text(&mut state, "alice");
    key(&mut state, KeyCode::Tab);
    type_text(&mut state, "secret-password");
    key(&mut state, KeyCode::Enter);
    net(
        &mut state,
        NetEvent::AuthFailed(RpcError::new(
            Code::Unauthenticated,
            "invalid user name or password",
        )),
    );
    insta::assert_snapshot!(screen(&mut state, 80, 24));
}

#[test]
fn sign_up_40x12() {
    let mut state = new_state();
    chat_tui::app::update(
        &mut state,
        Event::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('t'),
            crossterm::event::KeyModifiers::CONTROL,
        )),
    );
    type_text(&mut state, "a_rather_long_user_name_for_this");
    insta::assert_snapshot!(screen(&mut state, 40, 12));
}

#[test]
fn loading_and_empty_80x24() {
    let mut state = signed_in();
    let loading = screen(&mut state, 80, 24);
    net(&mut state, newest_page(Vec::new(), false));
    net(&mut state, send_status(true, 0));
    let empty = screen(&mut state, 80, 24);
    insta::assert_snapshot!(format!("{loading}\n{empty}"));
}

#[test]
fn no_color_uses_no_colours() {
    let mut state = conversation();
    state.settings.color = false;
    key(&mut state, KeyCode::Esc);
    update(&mut state, Event::Resize(80, 24));
    let mut terminal = match ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    if let Err(e) = terminal.draw(|frame| {
        chat_tui::ui::render(&state, frame);
    }) {
        match e {}
    }
    let buffer = terminal.backend().buffer();
    for cell in &buffer.content {
        assert_eq!(cell.fg, ratatui::style::Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, ratatui::style::Color::Reset, "{cell:?}");
    }
}

#[test]
fn every_size_renders_without_panicking() {
    let mut states = vec![new_state(), conversation()];
    let mut pane = conversation();
    key(&mut pane, KeyCode::Esc);
    key(&mut pane, KeyCode::Char('k'));
    states.push(pane);
    let mut help = conversation();
    key(&mut help, KeyCode::F(1));
    states.push(help);
    // The second round's additions: a command being typed, a y/n question, a draft
    // near the limit, a refused draft, a message taller than any pane.
    let mut command = conversation();
    type_text(&mut command, ":re");
    states.push(command);
    let mut confirm = conversation();
    key(&mut confirm, KeyCode::Esc);
    key(&mut confirm, KeyCode::Char('S'));
    states.push(confirm);
    let mut long = conversation();
    update(&mut long, Event::Paste("x".repeat(3999)));
    states.push(long);
    states.push(refused_in_transit());
    let mut tall = with_messages(vec![msg("t", "bob", &"word ".repeat(800), 1)]);
    key(&mut tall, KeyCode::Esc);
    key(&mut tall, KeyCode::Char('k'));
    states.push(tall);
    for state in &mut states {
        for width in 0..=130 {
            for height in [0, 1, 2, 5, 11, 12, 13, 24, 41] {
                screen(state, width, height);
            }
        }
    }
}

/// A send lost to a connection failure with a long transport error.
fn refused_in_transit() -> State {
    let mut state = conversation();
    send_answered(
        &mut state,
        "one more thing",
        "",
        Err(RpcError::new(
            Code::Unavailable,
            "transport error: tcp connect error: Connection refused (os error 111)",
        )),
    );
    state
}

#[test]
fn the_status_line_cuts_the_detail_not_the_point_80_and_40() {
    // Defect 6: at 80 columns "…tcp connect error); Enter…" hid what to do; at 40 the
    // number of reactions still needed was cut.
    let mut transit = refused_in_transit();
    let at_80 = screen(&mut transit, 80, 24);
    let at_40 = screen(&mut transit, 40, 12);
    let last = |s: &str| s.lines().last().unwrap_or_default().to_owned();
    assert!(last(&at_80).contains("; Enter retries"), "{}", last(&at_80));
    assert!(
        last(&at_40).contains("not sent; Enter retries"),
        "{}",
        last(&at_40)
    );

    let mut gate = conversation();
    send_answered(&mut gate, "one more thing", "", Err(gate_refusal()));
    let gate_40 = screen(&mut gate, 40, 12);
    assert!(
        last(&gate_40).contains("needs 1 more reaction"),
        "{}",
        last(&gate_40)
    );
    insta::assert_snapshot!(format!(
        "{}\n{}\n{}",
        last(&at_80),
        last(&at_40),
        last(&gate_40)
    ));
}

#[test]
fn help_overlay_40x12_wraps_instead_of_cutting() {
    // Defect 8: the help overlay cut its descriptions at 40×12.
    let mut state = conversation();
    key(&mut state, KeyCode::F(1));
    let first = screen(&mut state, 40, 12);
    let mut end = first.clone();
    for _ in 0..200 {
        // Below the title row nothing is cut.
        for row in end.lines().skip(1) {
            assert!(!row.contains('…'), "cut: {row}");
        }
        key(&mut state, KeyCode::Char('j'));
        end = screen(&mut state, 40, 12);
    }
    assert!(first.contains("↓ more"));
    assert!(!end.contains("↓ more"), "the end of the help is reachable");
    // One ↑ after the end scrolls back right away (no hidden overscroll).
    key(&mut state, KeyCode::Char('k'));
    assert_ne!(screen(&mut state, 40, 12), end);
    insta::assert_snapshot!(format!("{first}\n{end}"));
}

#[test]
fn narrow_screens_show_who_reacted_and_the_digit_keys_60x20() {
    // Defect 8: below 70 columns nothing showed who reacted or which digit is which emoji.
    let mut state = conversation();
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('k'));
    let shown = screen(&mut state, 60, 20);
    assert!(shown.contains("alice"), "{shown}");
    assert!(shown.contains("1👍 2❤️"), "{shown}");
    insta::assert_snapshot!(shown);
}

/// The conversation in the lobby, with #rust (news and a mention) and a DM with bob, who
/// is online; the lobby's members are known.
fn with_rooms() -> State {
    use chat_protocol::chat::v1::{Room, RoomKind};
    let mut state = conversation();
    let room = |id: &str, name: &str, kind: RoomKind, names: &[&str]| Room {
        room_id: id.to_owned(),
        name: name.to_owned(),
        kind: kind as i32,
        member_count: 2,
        required_reactions: 2,
        member_names: names.iter().map(|n| (*n).to_owned()).collect(),
        ..Room::default()
    };
    net(
        &mut state,
        rooms_listed(vec![
            lobby(),
            room("r-rust", "rust", RoomKind::Public, &[]),
            room("r-design", "design-reviews-weekly", RoomKind::Public, &[]),
            room("r-dm", "", RoomKind::Direct, &[ME, "bob"]),
        ]),
    );
    net(
        &mut state,
        NetEvent::Members {
            room: String::new(),
            result: Ok(vec![
                member("alice", true),
                member("bob", true),
                member(ME, true),
                member("李小龍", false),
            ]),
        },
    );
    let mut id = 100;
    let mut post = |state: &mut State, room: &str, text: &str, mention: bool| {
        let mut m = msg(&format!("x{id}"), "alice", text, 6);
        m.room_id = room.to_owned();
        if mention {
            m.mentioned_user_ids = vec![ME_ID.to_owned()];
        }
        net(state, posted(id, m));
        id += 1;
    };
    post(
        &mut state,
        "r-rust",
        "anyone tried the new borrow checker?",
        false,
    );
    post(&mut state, "r-rust", "@me you did, right?", true);
    post(&mut state, "r-rust", "ping", false);
    post(&mut state, "r-dm", "lunch?", false);
    state
}

#[test]
fn room_list_unread_mentions_and_who_is_online_80x24() {
    let mut state = with_rooms();
    insta::assert_snapshot!(screen(&mut state, 80, 24));
}

#[test]
fn room_list_folds_and_the_input_names_the_room_60x20() {
    let mut state = with_rooms();
    insta::assert_snapshot!(screen(&mut state, 60, 20));
}

#[test]
fn a_room_with_a_mention_edit_mode_and_a_tombstone_100x30() {
    let mut state = with_rooms();
    alt(&mut state, KeyCode::Char('a'));
    let page = vec![
        {
            let mut m = msg("x100", "alice", "anyone tried the new borrow checker?", 6);
            m.room_id = "r-rust".to_owned();
            m
        },
        {
            let mut m = msg("x101", "alice", "@me you did, right?", 6);
            m.room_id = "r-rust".to_owned();
            m.mentioned_user_ids = vec![ME_ID.to_owned()];
            m
        },
        {
            let mut m = msg("x103", ME, "", 7);
            m.room_id = "r-rust".to_owned();
            m.deleted = true;
            m
        },
        {
            let mut m = msg("x104", ME, "yes, it is great", 8);
            m.room_id = "r-rust".to_owned();
            m.edited_at = m.created_at;
            m
        },
    ];
    net(
        &mut state,
        NetEvent::Page {
            room: "r-rust".to_owned(),
            kind: chat_tui::app::PageKind::Newest,
            result: Ok(chat_tui::app::Page {
                messages: page,
                has_more: false,
            }),
        },
    );
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('e'));
    insta::assert_snapshot!(screen(&mut state, 100, 30));
}

#[test]
fn urls_are_links_where_they_are_drawn_also_when_broken_over_lines() {
    let url = "https://example.org/a/really/quite/long/path/to/somewhere?q=1";
    let mut state = with_messages(vec![msg(
        "l1",
        "alice",
        &format!("read {url}. and http://b.io too"),
        1,
    )]);
    update(&mut state, Event::Resize(60, 20));
    let mut terminal = match ratatui::Terminal::new(ratatui::backend::TestBackend::new(60, 20)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    let mut links = Vec::new();
    if let Err(e) = terminal.draw(|frame| links = chat_tui::ui::render(&state, frame)) {
        match e {}
    }
    let buffer = terminal.backend().buffer();
    let text_at = |link: &chat_tui::ui::links::Link| -> String {
        (link.x..link.x + link.width)
            .filter_map(|x| buffer.cell((x, link.y)).map(|c| c.symbol().to_owned()))
            .collect()
    };
    // The long URL is cut over two rows, each piece naming the whole URL; the short one
    // is one piece; the sentence's full stop is not part of the link.
    let long: Vec<_> = links.iter().filter(|l| &*l.url == url).collect();
    assert_eq!(long.len(), 2, "{links:?}");
    assert_eq!(long[1].y, long[0].y + 1);
    assert_eq!(format!("{}{}", text_at(long[0]), text_at(long[1])), url);
    let short: Vec<_> = links.iter().filter(|l| &*l.url == "http://b.io").collect();
    assert_eq!(short.len(), 1, "{links:?}");
    assert_eq!(text_at(short[0]), "http://b.io");
    // The help drawn over them: no links left under it.
    key(&mut state, KeyCode::F(1));
    let mut covered = Vec::new();
    if let Err(e) = terminal.draw(|frame| covered = chat_tui::ui::render(&state, frame)) {
        match e {}
    }
    assert!(covered.len() < links.len(), "{covered:?}");
}
