//! Selection and scrolling of the message pane.
//!
//! The view is anchored at its bottom: a message (`view_bottom`, or the newest when
//! following) and how many of its rows are hidden below the pane (`view_lift`). Rows are
//! counted with the same code that draws them, so a message of any height — even one
//! taller than the pane — can be scrolled through row by row and every row reached.
//! Above the oldest message sits one more row: "start of the conversation" (or the
//! older-pages marker).

use super::super::effect::{Command, Effect};
use super::super::state::{Focus, State};
use crate::ui::layout::{GUTTER, chat_layout};
use crate::ui::messages::message_height;

pub struct Pane {
    /// Rows for messages (the pane less the "more below" row when that shows).
    pub height: usize,
    pub content_width: u16,
}

/// Whether the row at the bottom of the pane says what is below: it then gets a row of
/// its own instead of covering a message.
pub fn hint_shown(state: &State) -> bool {
    let t = &state.timeline;
    !t.is_empty()
        && !t.is_following()
        && (current_bottom(state) < t.last_index() || t.view_lift > 0 || t.unread_below > 0)
}

pub fn pane(state: &State) -> Pane {
    pane_for(state, hint_shown(state))
}

/// The pane as it will be with or without the hint row: for computing a view that is
/// about to change whether anything is below it.
fn pane_for(state: &State, hint_row: bool) -> Pane {
    let rect = chat_layout(state, state.area).pane;
    let hint = usize::from(hint_row);
    Pane {
        height: usize::from(rect.height).saturating_sub(hint).max(1),
        content_width: rect.width.saturating_sub(GUTTER),
    }
}

fn height_of(state: &State, p: &Pane, index: usize) -> usize {
    message_height(state, index, p.content_width)
}

pub fn current_bottom(state: &State) -> usize {
    let t = &state.timeline;
    t.view_bottom.unwrap_or(t.last_index()).min(t.last_index())
}

fn anchor(state: &State) -> (usize, usize) {
    let t = &state.timeline;
    match t.view_bottom {
        Some(_) => (current_bottom(state), t.view_lift),
        None => (t.last_index(), 0),
    }
}

fn pin(state: &mut State, bottom: usize, lift: usize) {
    state.timeline.view_bottom = Some(bottom);
    state.timeline.view_lift = lift;
}

fn follow(state: &mut State) {
    state.timeline.view_bottom = None;
    state.timeline.view_lift = 0;
}

/// Where a message is relative to the view: rows counted from the view's top (0) to
/// its bottom (`height - 1`); negative is above the pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Above,
    Below,
    Rows { top: isize, bottom: isize },
}

fn place(state: &State, p: &Pane, index: usize) -> Place {
    let (b, lift) = anchor(state);
    let rows = |i| isize::try_from(height_of(state, p, i)).unwrap_or(isize::MAX / 4);
    let h = isize::try_from(p.height).unwrap_or(isize::MAX / 4);
    let lift = isize::try_from(lift).unwrap_or(0);
    let mut bottom = h - 1 + lift;
    let mut top = bottom - rows(b) + 1;
    if index <= b {
        for i in (index..b).rev() {
            if top <= 0 {
                return Place::Above;
            }
            bottom = top - 1;
            top = bottom - rows(i) + 1;
        }
    } else {
        for i in b + 1..=index {
            if bottom >= h - 1 {
                return Place::Below;
            }
            top = bottom + 1;
            bottom = top + rows(i) - 1;
        }
    }
    Place::Rows { top, bottom }
}

/// Scrolls towards older messages by `n` rows, stopping with the top marker row at the
/// top of the pane.
pub fn scroll_up(state: &mut State, n: usize) {
    if state.timeline.is_empty() {
        return;
    }
    let (mut b, mut lift) = anchor(state);
    lift += n;
    let p = pane(state);
    while b > 0 && lift >= height_of(state, &p, b) {
        lift -= height_of(state, &p, b);
        b -= 1;
    }
    // Scrolled up, something is below: the hint row will take its row.
    let p = pane_for(state, true);
    // Never past the top: the rows from the marker down to the view's bottom must
    // still fill the pane. (Counting stops as soon as they do.)
    let mut rows = 0;
    for i in (0..=b).rev() {
        rows += height_of(state, &p, i);
        if rows >= p.height + lift {
            break;
        }
        if i == 0 {
            rows += 1;
        }
    }
    pin(state, b, lift);
    let above = rows.saturating_sub(lift);
    if above < p.height {
        // Too far: come back down until the marker row is the pane's top row (or, when
        // everything fits, to the end, which follows again).
        scroll_down(state, p.height - above);
    }
}

/// Scrolls towards newer messages by `n` rows; reaching the end follows again.
pub fn scroll_down(state: &mut State, n: usize) {
    if state.timeline.is_empty() || state.timeline.is_following() {
        return;
    }
    let p = pane(state);
    let last = state.timeline.last_index();
    let (mut b, mut lift) = anchor(state);
    let mut left = n;
    if lift >= left {
        lift -= left;
        left = 0;
    } else {
        left -= lift;
        lift = 0;
    }
    while left > 0 && b < last {
        b += 1;
        let h = height_of(state, &p, b);
        if left >= h {
            left -= h;
        } else {
            lift = h - left;
            left = 0;
        }
    }
    if b == last && lift == 0 {
        follow(state);
    } else {
        pin(state, b, lift);
    }
}

/// Pins the view so that `index`'s top row is the pane's top row.
fn show_top_of(state: &mut State, index: usize) {
    // Pinned above the end, the hint row shows; at the end it follows anyway.
    let p = pane_for(state, true);
    let last = state.timeline.last_index();
    let mut used = 0;
    let mut b = index;
    loop {
        used += height_of(state, &p, b);
        if used >= p.height || b == last {
            break;
        }
        b += 1;
    }
    if b == last && used <= p.height + 1 {
        // The rest of the conversation fits in the pane (which, following, has the hint
        // row too): that is the end.
        follow(state);
    } else {
        pin(state, b, used - p.height);
    }
}

/// Selects a message and scrolls just enough to show it (its top, when it is taller
/// than the pane). Selecting the newest message follows the conversation; selecting
/// any other pins the view, so arriving messages do not scroll it away.
pub fn select(state: &mut State, index: usize, effects: &mut Vec<Effect>) {
    if state.timeline.is_empty() {
        return;
    }
    let last = state.timeline.last_index();
    let index = index.min(last);
    state.timeline.selected = index;
    if index == 0 && index != last {
        // The oldest message: its top, and the "start of the conversation" row above.
        show_top_of(state, 0);
        // Up to the top, however the hint row changed the pane: the clamp stops there.
        let rows = pane(state).height;
        scroll_up(state, rows);
    } else if index == last {
        follow(state);
    } else {
        let p = pane(state);
        let h = isize::try_from(p.height).unwrap_or(isize::MAX);
        match place(state, &p, index) {
            Place::Above => show_top_of(state, index),
            Place::Rows { top, .. } if top < 0 => show_top_of(state, index),
            Place::Below => reveal_from_below(state, index),
            Place::Rows { bottom, .. } if bottom >= h => reveal_from_below(state, index),
            Place::Rows { .. } => keep_view(state),
        }
    }
    if index != last && state.timeline.is_following() {
        // Everything from it down fits: the same view, but pinned, so what arrives
        // next does not push the selection away.
        pin(state, last, 0);
    }
    after_view_change(state, effects);
}

/// Brings a message below the view in: its bottom at the pane's bottom, or its top at
/// the pane's top when it is taller than the pane.
fn reveal_from_below(state: &mut State, index: usize) {
    // Pinned with the message's rest below, the hint row shows.
    let p = &pane_for(state, true);
    let h = height_of(state, p, index);
    if h > p.height {
        pin(state, index, h - p.height);
    } else {
        pin(state, index, 0);
    }
}

/// ↑/k and ↓/j in the pane: within a message taller than the pane they scroll it a row
/// at a time; otherwise they move the selection to the next message.
pub fn select_by(state: &mut State, delta: isize, effects: &mut Vec<Effect>) {
    if state.timeline.is_empty() {
        return;
    }
    let p = pane(state);
    let h = isize::try_from(p.height).unwrap_or(isize::MAX);
    let selected = state.timeline.selected;
    let here = place(state, &p, selected);
    match here {
        Place::Rows { top, .. } if delta < 0 && top < 0 => {
            scroll_up(state, 1);
            after_view_change(state, effects);
            return;
        }
        Place::Rows { bottom, .. } if delta > 0 && bottom >= h => {
            scroll_down(state, 1);
            after_view_change(state, effects);
            return;
        }
        _ => {}
    }
    let target = selected.saturating_add_signed(delta);
    let last = state.timeline.last_index();
    let tall = |state: &State, i| height_of(state, &p, i) > p.height;
    if delta < 0 && target < selected && matches!(here, Place::Rows { .. }) {
        // Moving up into a message from below. A tall one keeps the view, and the
        // next ↑ reads it upwards row by row; a short one is shown whole.
        state.timeline.selected = target;
        match place(state, &p, target) {
            Place::Rows { top, .. } if top >= 0 => keep_view(state),
            Place::Rows { bottom, .. } if bottom >= 0 && tall(state, target) => keep_view(state),
            _ if tall(state, target) => pin(state, target, 0),
            _ => show_top_of(state, target),
        }
        after_view_change(state, effects);
        return;
    }
    if delta > 0 && target == last && target > selected && tall(state, target) {
        // The newest message, taller than the pane: start at its top.
        state.timeline.selected = target;
        reveal_from_below(state, target);
        after_view_change(state, effects);
        return;
    }
    select(state, target, effects);
}

fn keep_view(state: &mut State) {
    let (b, lift) = anchor(state);
    pin(state, b, lift);
}

/// Rows one PgUp/PgDn moves: the pane less a row kept for context and the row the
/// "more below" hint may take, the same both ways so PgUp, PgDn comes back.
fn page_rows(state: &State) -> usize {
    let rect = chat_layout(state, state.area).pane;
    usize::from(rect.height).saturating_sub(2).max(1)
}

/// PgUp/PgDn: a page of rows. With the pane focused, the selection follows if it
/// scrolled out of sight.
pub fn page_up(state: &mut State, select_too: bool, effects: &mut Vec<Effect>) {
    let n = page_rows(state);
    scroll_up(state, n);
    if select_too {
        keep_selection_in_view(state, false);
    }
    after_view_change(state, effects);
}

pub fn page_down(state: &mut State, select_too: bool, effects: &mut Vec<Effect>) {
    let n = page_rows(state);
    scroll_down(state, n);
    if select_too {
        if state.timeline.is_following() {
            state.timeline.selected = state.timeline.last_index();
        }
        keep_selection_in_view(state, true);
    }
    after_view_change(state, effects);
}

/// Mouse wheel: in the pane it moves the selection, elsewhere it scrolls three rows.
pub fn scroll_by(state: &mut State, delta: isize, effects: &mut Vec<Effect>) {
    if state.timeline.is_empty() {
        return;
    }
    if state.focus == Focus::Pane {
        select_by(state, delta, effects);
        return;
    }
    let rows = delta.unsigned_abs() * 3;
    if delta < 0 {
        scroll_up(state, rows);
    } else {
        scroll_down(state, rows);
    }
    after_view_change(state, effects);
}

/// The first (from the top) or last message with a row in view.
///
/// One walk up from the view's bottom message, each message laid out once: asking
/// `place` for every message instead lays out all those below it again, k(k+1)/2
/// layouts for k messages in view on every event (half the ssh gateway's CPU once).
fn visible_edge(state: &State, top: bool) -> usize {
    let p = pane(state);
    let (b, lift) = anchor(state);
    if !top {
        return b;
    }
    // Rows counted as in `place`: 0 is the pane's top row.
    let rows = |i| isize::try_from(height_of(state, &p, i)).unwrap_or(isize::MAX / 4);
    let h = isize::try_from(p.height).unwrap_or(isize::MAX / 4);
    let lift = isize::try_from(lift).unwrap_or(0);
    let mut i = b;
    // The top row of message `i`; the one above it ends on the row before, in view
    // while that row is.
    let mut top_row = h - 1 + lift - rows(b) + 1;
    while i > 0 && top_row > 0 {
        i -= 1;
        top_row -= rows(i);
    }
    i
}

/// After a scroll: a selection that went out of sight moves to the message in view
/// nearest to it (the bottom one after PgUp, the top one after PgDn), so it moves about
/// a page.
fn keep_selection_in_view(state: &mut State, to_top: bool) {
    let p = pane(state);
    let h = isize::try_from(p.height).unwrap_or(isize::MAX);
    let visible = match place(state, &p, state.timeline.selected) {
        Place::Rows { top, bottom } => bottom >= 0 && top < h,
        _ => false,
    };
    if !visible {
        state.timeline.selected = visible_edge(state, to_top);
    }
}

/// Keeps the selection where the user can see it when the pane gets focus.
pub fn clamp_selection_to_view(state: &mut State) {
    if state.timeline.is_empty() {
        return;
    }
    if state.timeline.is_following() {
        state.timeline.selected = state.timeline.last_index();
        return;
    }
    keep_selection_in_view(state, false);
}

/// The terminal window lost or gained focus. Away, what others post is unread: the
/// divider goes above the first of it, even with the view following. Back, that is read
/// (the divider stays as the marker of where you left, until you send or leave again).
pub fn window_focus(state: &mut State, focused: bool) {
    state.window_focused = focused;
    if !focused && state.timeline.is_following() {
        // A fresh marker for this time away.
        state.timeline.unread_marker = None;
    }
}

/// Bookkeeping after the view moved: the "N new below" count, and fetching the page
/// before the oldest message once the top of what we have is on screen.
pub fn after_view_change(state: &mut State, effects: &mut Vec<Effect>) {
    if state.timeline.is_empty() {
        return;
    }
    // The bottom message may have got shorter (a wider screen, its reaction details
    // gone with the selection): some row of it stays in view.
    if !state.timeline.is_following() {
        let (b, lift) = anchor(state);
        let h = height_of(state, &pane(state), b);
        if lift >= h {
            pin(state, b, h.saturating_sub(1));
        }
    }
    let bottom = current_bottom(state);
    let t = &state.timeline;
    let marker = t.unread_marker.as_deref().and_then(|id| t.index_of(id));
    let unread_below = match marker {
        Some(m) if !t.is_following() => t.len() - (bottom + 1).max(m),
        _ => 0,
    };
    state.timeline.unread_below = unread_below;
    let top = visible_edge(state, true);
    let t = &mut state.timeline;
    if top == 0
        && t.loaded
        && t.has_more
        && !t.loading_older
        && let Some(first) = t.messages.first()
    {
        t.loading_older = true;
        effects.push(Effect::Net(Command::LoadOlder {
            room: state.rooms.current.clone(),
            before: first.message_id.clone(),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::event::{Event, NetEvent, Page, PageKind};
    use crate::app::update;
    use crate::keymap::KeyMap;
    use chat_protocol::chat::v1::{Message, ReactionCount, Room, RoomKind};

    /// The definition `visible_edge` must agree with: the topmost message whose bottom
    /// row `place` puts in the pane, asked message by message.
    fn visible_top_by_place(state: &State) -> usize {
        let p = pane(state);
        let (b, _) = anchor(state);
        let mut i = b;
        while i > 0 {
            match place(state, &p, i - 1) {
                Place::Rows { bottom, .. } if bottom >= 0 => i -= 1,
                _ => break,
            }
        }
        i
    }

    /// Messages of 1 to ~12 rows at 40 columns: wrapped text, line breaks, reactions,
    /// and a new day every 7 messages (its divider row).
    fn history(n: usize) -> Vec<Message> {
        (0..n)
            .map(|i| Message {
                message_id: format!("m{i:04}"),
                room_id: "r-lobby".to_owned(),
                user_id: format!("u-{}", ["alice", "bob", "me"][i % 3]),
                user_name: ["alice", "bob", "me"][i % 3].to_owned(),
                content: match i % 5 {
                    0 => "short".to_owned(),
                    1 => "a line that wraps at forty columns, and then goes on ".repeat(i % 7 + 1),
                    2 => "one\ntwo\nthree".to_owned(),
                    3 => "see https://example.com/a/very/long/path/that/wraps/too".to_owned(),
                    _ => "漢字と絵文字 😀 ".repeat(i % 4 + 1),
                },
                created_at: Some(prost_types::Timestamp {
                    seconds: 1_772_323_200 + i64::try_from(i).unwrap_or(0) * 3 * 3600,
                    nanos: 0,
                }),
                reactions: if i % 4 == 0 {
                    vec![ReactionCount {
                        emoji: "👍".to_owned(),
                        count: 1,
                        user_names: vec!["bob".to_owned()],
                    }]
                } else {
                    Vec::new()
                },
                ..Default::default()
            })
            .collect()
    }

    fn client(width: u16, height: u16, messages: Vec<Message>) -> State {
        let mut state = State::new(crate::app::state::Settings::default(), KeyMap::default());
        let net = |state: &mut State, event| update(state, Event::Net(event));
        update(&mut state, Event::Resize(width, height));
        net(
            &mut state,
            NetEvent::SignedIn {
                user_id: "u-me".to_owned(),
                user_name: "me".to_owned(),
            },
        );
        net(
            &mut state,
            NetEvent::Rooms {
                public: false,
                result: Ok(vec![Room {
                    room_id: "r-lobby".to_owned(),
                    name: "lobby".to_owned(),
                    kind: RoomKind::Lobby as i32,
                    ..Room::default()
                }]),
            },
        );
        net(
            &mut state,
            NetEvent::Page {
                room: String::new(),
                kind: PageKind::Newest,
                result: Ok(Page {
                    messages,
                    has_more: false,
                }),
            },
        );
        state
    }

    #[test]
    fn the_visible_top_found_in_one_walk_is_the_one_place_finds_at_every_scroll_position() {
        for (width, height) in [(40, 12), (80, 24), (200, 60), (30, 8)] {
            let mut state = client(width, height, history(120));
            let p = pane_for(&state, true);
            let mut checked = 0;
            // Every bottom message with every lift it can have, following or pinned.
            assert_eq!(visible_edge(&state, true), visible_top_by_place(&state));
            for b in 0..state.timeline.len() {
                for lift in 0..height_of(&state, &p, b) {
                    pin(&mut state, b, lift);
                    assert_eq!(
                        visible_edge(&state, true),
                        visible_top_by_place(&state),
                        "{width}x{height}, bottom {b}, lift {lift}"
                    );
                    checked += 1;
                }
            }
            assert!(checked > 120, "{checked}");
        }
    }

    #[test]
    fn scrolling_many_wrapped_messages_keeps_the_view_and_loads_older_only_at_the_top() {
        let mut state = client(40, 12, history(200));
        let mut effects = Vec::new();
        let posted = |state: &mut State, event_id: u64, n: usize| {
            let message = history(n + 1).pop();
            let payload = chat_protocol::chat::v1::event::Payload::MessagePosted(
                chat_protocol::chat::v1::MessagePosted { message },
            );
            let event = chat_protocol::chat::v1::Event {
                event_id,
                created_at: None,
                payload: Some(payload),
            };
            update(state, Event::Net(NetEvent::Event(event)));
        };
        // Following: a new message keeps the view at the bottom.
        posted(&mut state, 1, 200);
        assert!(state.timeline.is_following());
        assert_eq!(visible_edge(&state, false), 200);
        // Scrolled up: the view keeps its place as messages arrive below it.
        state.timeline.has_more = true;
        page_up(&mut state, false, &mut effects);
        page_up(&mut state, false, &mut effects);
        let view = (state.timeline.view_bottom, state.timeline.view_lift);
        let top = visible_edge(&state, true);
        assert!(top > 0, "{top}");
        assert!(effects.is_empty(), "{effects:?}");
        posted(&mut state, 2, 201);
        assert_eq!(state.timeline.len(), 202);
        assert_eq!((state.timeline.view_bottom, state.timeline.view_lift), view);
        assert_eq!(visible_edge(&state, true), top);
        // Up to the oldest: the older page is asked for once its first row shows.
        while visible_edge(&state, true) > 0 {
            assert!(effects.is_empty(), "asked early: {effects:?}");
            page_up(&mut state, false, &mut effects);
        }
        assert_eq!(effects.len(), 1, "{effects:?}");
    }
}
