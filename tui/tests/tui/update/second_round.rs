//! The defects found in the terminal client's second round, one test (or more) each:
//! every test here failed on the client as it was before the fix.

use super::*;
use chat_tui::app::Timer;
use chat_tui::app::state::Confirm;

/// A 4,000-character message (taller than any pane at 80×24) between two short ones.
fn with_a_tall_message() -> chat_tui::app::State {
    let words: Vec<String> = (0..800).map(|i| format!("w{i:03}")).collect();
    let long = words.join(" ");
    assert!(long.chars().count() <= 4000);
    with_messages(vec![
        msg("m1", "alice", "before", 1),
        msg("m2", "bob", &long, 2),
        msg("m3", "carol", "after", 3),
    ])
}

/// Thirty two-row messages: more than a pane at 80×24.
fn thirty_lines() -> Vec<chat_protocol::chat::v1::Message> {
    (0..30)
        .map(|i| msg(&format!("m{i:02}"), "alice", &format!("line {i}"), i))
        .collect()
}

fn rows(state: &mut chat_tui::app::State) -> String {
    screen(state, 80, 24)
}

#[test]
fn every_row_of_a_message_taller_than_the_pane_can_be_reached_row_by_row() {
    // Defect 2: a message taller than the pane showed only its last rows.
    let mut state = with_a_tall_message();
    key(&mut state, KeyCode::Esc);
    let mut seen = String::new();
    // ↑ from the newest message: into the tall one, then up through it row by row.
    for _ in 0..120 {
        seen.push_str(&rows(&mut state));
        key(&mut state, KeyCode::Char('k'));
    }
    for i in 0..800 {
        assert!(seen.contains(&format!("w{i:03}")), "w{i:03} never shown");
    }
    assert!(
        seen.contains("bob  14:02"),
        "the author and time line of the tall message"
    );
    assert!(seen.contains("before"), "and what is above it");
    assert!(seen.contains("start of the conversation"));
    // ↓ goes back down through it, a row at a time, to the newest message.
    let mut down = String::new();
    for _ in 0..120 {
        key(&mut state, KeyCode::Char('j'));
        down.push_str(&rows(&mut state));
    }
    assert!(down.contains("w400") && down.contains("w799") && down.contains("after"));
    assert!(state.timeline.is_following());
}

#[test]
fn page_up_moves_through_a_tall_message_a_page_at_a_time() {
    let mut state = with_a_tall_message();
    let mut seen = String::new();
    // From the input (no pane focus), as people scroll while typing.
    for _ in 0..12 {
        seen.push_str(&rows(&mut state));
        key(&mut state, KeyCode::PageUp);
    }
    for i in 0..800 {
        assert!(
            seen.contains(&format!("w{i:03}")),
            "w{i:03} never shown by PgUp"
        );
    }
    assert!(rows(&mut state).contains("start of the conversation"));
    for _ in 0..12 {
        key(&mut state, KeyCode::PageDown);
    }
    assert!(state.timeline.is_following());
    assert!(rows(&mut state).contains("after"));
}

#[test]
fn the_oldest_message_of_a_full_pane_shows_the_start_of_the_conversation() {
    // Defect 8: "start of the conversation" was missing when a full pane reached the top.
    let mut state = with_messages(thirty_lines());
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('g'));
    let shown = rows(&mut state);
    assert!(shown.contains("start of the conversation"), "{shown}");
    assert!(shown.contains("line 0"));
    // The case that showed the defect: messages that fill the pane exactly (7 of 3
    // rows at 80×24), so the oldest sat on the top row with no room for the marker.
    let mut state = with_messages(exactly_a_pane());
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('g'));
    let shown = rows(&mut state);
    assert!(shown.contains("start of the conversation"), "{shown}");
    assert!(shown.contains("line 0"), "{shown}");
    // PgUp gets there too.
    let mut state = with_messages(exactly_a_pane());
    key(&mut state, KeyCode::PageUp);
    assert!(rows(&mut state).contains("start of the conversation"));
}

/// Seven messages of three rows (header, text, a reaction): 21 rows, the pane at 80×24.
fn exactly_a_pane() -> Vec<chat_protocol::chat::v1::Message> {
    (0..7)
        .map(|i| {
            reacted(
                msg(&format!("m{i}"), "alice", &format!("line {i}"), i),
                &[("👍", &["bob"])],
            )
        })
        .collect()
}

#[test]
fn notices_expire_and_a_kept_drafts_reason_wins_over_news() {
    // Defect 3: "reconnected; caught up" stayed for 11 minutes, hiding the draft's reason.
    let mut state = with_messages(three());
    net(
        &mut state,
        NetEvent::Connection(Connection::Reconnecting {
            attempt: 1,
            seconds_left: 0,
        }),
    );
    let effects = net(&mut state, NetEvent::Connection(Connection::Connected));
    let wake = effects.iter().find_map(|e| match e {
        Effect::Wake { after, token } => Some((*after, *token)),
        _ => None,
    });
    let Some((after, token)) = wake else {
        panic!("no expiry asked for: {effects:?}")
    };
    assert!(after.as_secs() <= 10, "{after:?}");
    assert!(rows(&mut state).contains("reconnected"));
    update(&mut state, Event::Wake(token));
    assert!(state.notice.is_none());
    assert!(
        rows(&mut state).contains("INPUT · Enter send"),
        "the mode hints are back"
    );

    // A refused draft's reason outranks an informational notice, and outlives it.
    send_refused_transient(&mut state);
    net(&mut state, NetEvent::Connection(Connection::Connected));
    state.notice = Some(chat_tui::app::state::Notice::info("reconnected; caught up"));
    let line = rows(&mut state);
    assert!(line.contains("Enter retries"), "{line}");
    assert!(!line.contains("reconnected; caught up"), "{line}");
    // An old timer does not clear a newer notice.
    let serial = state.notice_serial;
    update(
        &mut state,
        Event::Wake(Timer::NoticeExpired(serial.wrapping_sub(1))),
    );
    update(&mut state, Event::Wake(Timer::NoticeExpired(serial + 7)));
    assert!(state.notice.is_some());
}

fn send_refused_transient(state: &mut chat_tui::app::State) {
    send_answered(
        state,
        "keep me",
        "",
        Err(RpcError::new(
            Code::Unavailable,
            "transport error: tcp connect error: Connection refused (os error 111)",
        )),
    );
}

#[test]
fn esc_and_a_digit_in_one_read_focus_the_pane_and_react() {
    // Defect 4: over ssh "Esc 1" arrives as Alt+1, which did nothing.
    let mut state = with_messages(three());
    let effects = alt(&mut state, KeyCode::Char('1'));
    assert_eq!(state.focus, Focus::Pane);
    assert!(
        commands(&effects)
            .iter()
            .any(|c| matches!(c, Command::React { message_id, emoji, .. } if message_id == "m3" && emoji == "👍")),
        "{effects:?}"
    );
    // Alt keys that mean something keep their meaning (Alt+B: word left).
    let mut state = with_messages(three());
    type_text(&mut state, "two words");
    alt(&mut state, KeyCode::Char('b'));
    assert_eq!(state.focus, Focus::Input);
    assert_eq!(state.draft.editor.cursor(), "two ".len());
}

#[test]
fn a_draft_over_the_limit_is_counted_and_refused_before_sending() {
    // Defect 7: a 4,001-character draft was refused only by the server.
    let mut state = with_messages(three());
    update(&mut state, Event::Paste("x".repeat(3700)));
    assert!(rows(&mut state).contains(" 3700/4000 "));
    update(&mut state, Event::Paste("y".repeat(301)));
    assert!(rows(&mut state).contains(" 4001/4000 "));
    let effects = key(&mut state, KeyCode::Enter);
    assert!(commands(&effects).is_empty(), "nothing sent: {effects:?}");
    assert!(state.sending.is_none());
    assert_eq!(
        state.draft.editor.text().chars().count(),
        4001,
        "the draft is kept"
    );
    let why = state
        .status_notice()
        .map(chat_tui::app::state::Notice::full)
        .unwrap_or_default();
    // The server's own wording (server/src/domain/content.rs).
    assert_eq!(
        why,
        "not sent: message content must be at most 4000 characters"
    );
    // Under the threshold, no counter.
    let mut short = with_messages(three());
    type_text(&mut short, "hello");
    assert!(!rows(&mut short).contains("/4000"));
}

#[test]
fn a_paste_drops_its_trailing_newline_and_keeps_tabs() {
    // Defect 8: a paste kept its trailing newline and turned tabs into 4 spaces.
    let mut state = with_messages(three());
    update(&mut state, Event::Paste("a\tb\r\nc\n".to_owned()));
    assert_eq!(state.draft.editor.text(), "a\tb\nc");
    key(&mut state, KeyCode::Enter);
    assert_eq!(
        state.sending.as_ref().map(|p| p.text.as_str()),
        Some("a\tb\nc"),
        "the tab is sent as a tab"
    );
}

#[test]
fn sign_out_asks_first() {
    // Defect 8: `S` signed out without confirmation.
    let mut state = with_messages(three());
    key(&mut state, KeyCode::Esc);
    let effects = key(&mut state, KeyCode::Char('S'));
    assert!(commands(&effects).is_empty());
    assert_eq!(state.confirm, Some(Confirm::SignOut));
    assert!(rows(&mut state).contains("sign out?"));
    let effects = key(&mut state, KeyCode::Char('n'));
    assert!(commands(&effects).is_empty());
    assert_eq!(state.confirm, None);
    key(&mut state, KeyCode::Char('S'));
    let effects = key(&mut state, KeyCode::Char('y'));
    assert_eq!(commands(&effects), vec![Command::SignOut]);
}

#[test]
fn u_jumps_to_the_first_unread_message() {
    let mut state = with_messages(thirty_lines());
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('u'));
    assert!(
        state
            .notice
            .as_ref()
            .is_some_and(|n| n.text == "no unread messages")
    );
    key(&mut state, KeyCode::Char('g'));
    net(
        &mut state,
        posted(1, msg("n1", "bob", "while you were up there", 40)),
    );
    net(&mut state, posted(2, msg("n2", "bob", "and this", 41)));
    key(&mut state, KeyCode::Char('u'));
    assert_eq!(
        state
            .timeline
            .selected_message()
            .map(|m| m.message_id.as_str()),
        Some("n1")
    );
    assert!(rows(&mut state).contains("while you were up there"));
}

#[test]
fn days_are_separated_and_the_selected_message_shows_its_date() {
    let mut yesterday = msg("m0", "alice", "late last night", -20 * 60);
    yesterday.user_name = "alice".to_owned();
    let mut state = with_messages(vec![yesterday, msg("m1", "bob", "good morning", 1)]);
    let shown = rows(&mut state);
    assert!(shown.contains(" Saturday 28 February 2026 "), "{shown}");
    assert!(shown.contains(" Sunday 1 March 2026 "), "{shown}");
    key(&mut state, KeyCode::Esc);
    assert!(rows(&mut state).contains("Sun 1 Mar 2026 14:01"));
}

#[test]
fn the_command_line_completes_runs_and_leaves_messages_alone() {
    let mut state = with_messages(three());
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char(':'));
    assert_eq!(state.focus, Focus::Input);
    assert_eq!(state.draft.editor.text(), ":");
    assert!(
        rows(&mut state).contains(":help :edit :unread"),
        "the commands are listed"
    );
    type_text(&mut state, "he");
    key(&mut state, KeyCode::Tab);
    assert_eq!(state.draft.editor.text(), ":help", "Tab completes");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(commands(&effects).is_empty());
    assert_eq!(state.help, Some(0));
    // :help lists every command, generated from the table that runs them.
    let help = screen(&mut state, 120, 40);
    for spec in chat_tui::app::commands::COMMANDS {
        assert!(
            help.contains(&format!(":{}", spec.name)),
            ":{} missing",
            spec.name
        );
    }
    key(&mut state, KeyCode::Esc);

    type_text(&mut state, ":sig");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(commands(&effects).is_empty());
    assert_eq!(state.draft.editor.text(), ":sig", "kept to be completed");
    assert!(rows(&mut state).contains("unknown command :sig"));

    for smiley in [":)", ":p"] {
        let mut state = with_messages(three());
        type_text(&mut state, smiley);
        let effects = key(&mut state, KeyCode::Enter);
        assert!(
            commands(&effects)
                .iter()
                .any(|c| matches!(c, Command::Send { content, .. } if content == smiley)),
            "{smiley} is a message: {effects:?}"
        );
    }
}

#[test]
fn ctrl_x_ctrl_e_hands_the_draft_to_the_editor_and_takes_it_back() {
    let mut state = with_messages(three());
    type_text(&mut state, "a draft");
    ctrl(&mut state, 'x');
    let effects = ctrl(&mut state, 'e');
    assert_eq!(
        effects,
        vec![Effect::EditDraft {
            text: "a draft".to_owned()
        }]
    );
    // Editors end the file with a newline; it is not part of the message.
    update(
        &mut state,
        Event::Edited(Ok("a better draft\nin two lines\n".to_owned())),
    );
    assert_eq!(state.draft.editor.text(), "a better draft\nin two lines");
    // A failed editor keeps the draft and says why.
    update(
        &mut state,
        Event::Edited(Err("vi exited with 1".to_owned())),
    );
    assert_eq!(state.draft.editor.text(), "a better draft\nin two lines");
    assert!(rows(&mut state).contains("the editor failed"));
    // :edit does the same; Ctrl+X then another key is that key.
    let mut state = with_messages(three());
    ctrl(&mut state, 'x');
    type_text(&mut state, "x");
    assert_eq!(state.draft.editor.text(), "x");
    state.draft.editor.set_text(":edit");
    let effects = key(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::EditDraft { .. }]),
        "{effects:?}"
    );
}

#[test]
fn the_cache_draws_the_last_messages_at_once_then_the_server_page_replaces_them() {
    let mut state = new_state();
    let effects = net(&mut state, me_signed_in());
    assert_eq!(
        effects.first(),
        Some(&Effect::LoadCache {
            user_id: ME_ID.to_owned()
        }),
        "the cache is asked for before the network"
    );
    update(
        &mut state,
        Event::CacheLoaded(Page {
            messages: vec![msg("m1", "alice", "from the cache", 1)],
            has_more: false,
        }),
    );
    assert!(rows(&mut state).contains("from the cache"));
    assert!(state.timeline.from_cache);
    let effects = net(
        &mut state,
        newest_page(
            vec![
                msg("m1", "alice", "from the server", 1),
                msg("m2", "bob", "new", 2),
            ],
            false,
        ),
    );
    assert!(!state.timeline.from_cache);
    let shown = rows(&mut state);
    assert!(
        shown.contains("from the server") && !shown.contains("from the cache"),
        "{shown}"
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SaveCache { messages, .. } if messages.len() == 2))
    );
    // A cache arriving after the server's page changes nothing.
    update(
        &mut state,
        Event::CacheLoaded(Page {
            messages: vec![msg("old", "alice", "stale", 0)],
            has_more: false,
        }),
    );
    assert!(!rows(&mut state).contains("stale"));
    // Quitting keeps the conversation for the next start; signing out forgets it.
    let effects = ctrl(&mut state, 'c');
    let save = effects
        .iter()
        .position(|e| matches!(e, Effect::SaveCache { .. }));
    let quit = effects.iter().position(|e| *e == Effect::Quit);
    assert!(save.is_some() && save < quit, "{effects:?}");
    let mut state = with_messages(three());
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('S'));
    let effects = key(&mut state, KeyCode::Char('y'));
    assert!(effects.contains(&Effect::ForgetCache {
        user_id: ME_ID.to_owned()
    }));
}

#[test]
fn what_arrives_while_the_window_is_elsewhere_is_marked_unread() {
    let mut state = with_messages(three());
    update(&mut state, Event::Focus(false));
    net(
        &mut state,
        posted(1, msg("n1", "bob", "while you were away", 10)),
    );
    net(&mut state, posted(2, msg("n2", "bob", "and more", 11)));
    update(&mut state, Event::Focus(true));
    assert_eq!(state.timeline.unread_marker.as_deref(), Some("n1"));
    assert!(
        rows(&mut state).contains("── new ─"),
        "the divider above the first"
    );
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('u'));
    assert_eq!(
        state
            .timeline
            .selected_message()
            .map(|m| m.message_id.as_str()),
        Some("n1")
    );
    // With the window focused and the view following, arrivals are read at once.
    let mut state = with_messages(three());
    net(&mut state, posted(1, msg("n1", "bob", "seen", 10)));
    assert_eq!(state.timeline.unread_marker, None);
}

#[test]
fn paging_up_a_short_conversation_never_scrolls_past_its_top() {
    let mut state = with_messages(vec![
        msg("m1", "alice", "one", 1),
        msg("m2", "bob", "two", 2),
    ]);
    let before = rows(&mut state);
    key(&mut state, KeyCode::PageUp);
    assert!(
        state.timeline.is_following(),
        "everything fits: nothing to scroll"
    );
    assert_eq!(rows(&mut state), before);
    // A full pane: PgUp stops with "start of the conversation" on the top row.
    let mut state = with_messages(thirty_lines());
    for _ in 0..5 {
        key(&mut state, KeyCode::PageUp);
    }
    let shown = rows(&mut state);
    let top = shown.lines().next().unwrap_or_default();
    assert!(top.contains("start of the conversation"), "{shown}");
}

#[test]
fn the_cache_never_outlives_the_server_or_a_sign_out() {
    // An empty newest page (a reset server) replaces the cached messages too.
    let mut state = new_state();
    net(&mut state, me_signed_in());
    let cached = Page {
        messages: vec![msg("old", "alice", "from a server that was reset", 1)],
        has_more: false,
    };
    update(&mut state, Event::CacheLoaded(cached.clone()));
    net(&mut state, newest_page(Vec::new(), false));
    assert!(state.timeline.is_empty(), "{:?}", state.timeline.messages);
    // A failed first page with the cache on screen: Ctrl+R asks for the page again.
    let mut state = new_state();
    net(&mut state, me_signed_in());
    update(&mut state, Event::CacheLoaded(cached));
    net(
        &mut state,
        NetEvent::Page {
            room: String::new(),
            kind: PageKind::Newest,
            result: Err(RpcError::new(Code::Unavailable, "down")),
        },
    );
    let effects = ctrl(&mut state, 'r');
    assert!(
        commands(&effects).contains(&Command::LoadNewest {
            room: String::new()
        }),
        "{effects:?}"
    );
    // Signing out, then quitting before the server answers: the cache stays forgotten.
    let mut state = with_messages(three());
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('S'));
    key(&mut state, KeyCode::Char('y'));
    let effects = ctrl(&mut state, 'c');
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::SaveCache { .. })),
        "{effects:?}"
    );
}
