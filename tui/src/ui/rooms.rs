//! The room list, left of the messages: the lobby first, public rooms as `#name`, direct
//! conversations by the other person's name with a presence dot; the room on screen
//! reversed, and on the right of each the mentions (`@2`) and unread messages.

use super::theme::Theme;
use crate::app::rooms::RoomEntry;
use crate::app::state::State;
use crate::keymap::{Action, Context};
use crate::text::{self, width};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// What is new in a room, as shown right of its name: "@1 3", "3", or nothing.
pub fn counts(entry: &RoomEntry) -> (String, String) {
    let mentions = if entry.mentions > 0 {
        format!("@{}", entry.mentions)
    } else {
        String::new()
    };
    let unread = if entry.unread > 0 {
        entry.unread.min(999).to_string()
    } else {
        String::new()
    };
    (mentions, unread)
}

fn row(state: &State, entry: &RoomEntry, w: usize, theme: Theme) -> Line<'static> {
    let me = state.my_name();
    let current = state.rooms.is_current(&entry.key);
    let name = match entry.peer(me) {
        Some(peer) => {
            let dot = if state.rooms.is_online(peer) {
                "●"
            } else {
                "○"
            };
            format!("{dot} {}", text::clean(peer, false))
        }
        None => text::clean(&entry.label(me), false),
    };
    let (mentions, unread) = counts(entry);
    let right = match (mentions.is_empty(), unread.is_empty()) {
        (true, true) => String::new(),
        (false, true) => mentions.clone(),
        (true, false) => unread.clone(),
        (false, false) => format!("{mentions} {unread}"),
    };
    // One column of margin on each side of the name.
    let room_for_name = w.saturating_sub(
        2 + if right.is_empty() {
            0
        } else {
            width(&right) + 1
        },
    );
    let name = text::truncate(&name, room_for_name.max(1));
    let pad = w.saturating_sub(2 + width(&name) + width(&right));
    let base = if current {
        theme.current_room()
    } else if entry.unread > 0 {
        theme.bold()
    } else {
        theme.text()
    };
    let mut spans = vec![Span::styled(format!(" {name}{}", " ".repeat(pad)), base)];
    if !mentions.is_empty() {
        spans.push(Span::styled(mentions, base.patch(theme.mention())));
        if !unread.is_empty() {
            spans.push(Span::styled(" ", base));
        }
    }
    if !unread.is_empty() {
        spans.push(Span::styled(unread, base));
    }
    spans.push(Span::styled(" ", base));
    Line::from(spans)
}

pub fn render(state: &State, area: Rect, frame: &mut Frame) {
    let theme = Theme::new(state.settings.color);
    let block = Block::new()
        .borders(Borders::RIGHT)
        .border_style(theme.border());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let mut lines = vec![Line::from(Span::styled(" Rooms", theme.bold()))];
    lines.extend(
        state
            .rooms
            .list
            .iter()
            .map(|entry| row(state, entry, w, theme)),
    );
    if !state.rooms.loaded {
        lines.push(Line::from(Span::styled(" loading…", theme.dim())));
    }
    // The keys that reach the others, at the bottom when there is room for them.
    let map = &state.keymap;
    let hints = [
        format!(" {} next", map.hint(Context::Global, Action::NextRoom)),
        format!(" {} prev", map.hint(Context::Global, Action::PrevRoom)),
        " :join :dm".to_owned(),
    ];
    let height = usize::from(inner.height);
    let free = height.saturating_sub(lines.len() + 1);
    let hints: Vec<Line> = hints
        .iter()
        .take(free)
        .map(|h| Line::from(Span::styled(text::truncate(h, w), theme.dim())))
        .collect();
    let hint_rows = u16::try_from(hints.len()).unwrap_or(0);
    frame.render_widget(
        Paragraph::new(lines),
        Rect::new(inner.x, inner.y, inner.width, inner.height - hint_rows),
    );
    frame.render_widget(
        Paragraph::new(hints),
        Rect::new(inner.x, inner.bottom() - hint_rows, inner.width, hint_rows),
    );
}

/// The room on screen and what is new elsewhere, for the input's title when the list
/// is folded away: "#rust · 3 new elsewhere".
pub fn folded_title(state: &State) -> String {
    let label = state
        .rooms
        .current()
        .map(|r| r.label(state.my_name()))
        .unwrap_or_default();
    let others: u32 = state
        .rooms
        .list
        .iter()
        .filter(|r| !state.rooms.is_current(&r.key))
        .map(|r| r.unread)
        .sum();
    let mentions: u32 = state.rooms.list.iter().map(|r| r.mentions).sum();
    // Mentions first: when the title is cut, the plain count goes before them.
    match (others, mentions) {
        (0, _) => label,
        (n, 0) => format!("{label} · {n} new elsewhere"),
        (n, m) => format!("{label} · @{m} {n} new elsewhere"),
    }
}
