//! The reaction sidebar: who reacted to the selected message with what (with the key
//! that toggles each emoji), who of the room is online, and, pinned to its bottom,
//! whether I may send in this room.

use super::messages::local_datetime;
use super::theme::Theme;
use crate::app::state::State;
use crate::text::{self, width};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The send status in a few words, for narrow screens.
pub fn send_status_short(state: &State) -> Option<String> {
    let status = state.send_status.as_ref()?;
    Some(if status.can_send {
        "you can send".to_owned()
    } else {
        let n = status.reactions_needed;
        format!("needs {n} more reaction{}", plural(n))
    })
}

pub fn render(state: &State, area: Rect, frame: &mut Frame) {
    let theme = Theme::new(state.settings.color);
    let block = Block::new()
        .borders(Borders::LEFT)
        .border_style(theme.border());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let inner = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(1),
        inner.height,
    );
    let w = usize::from(inner.width);

    // The send status is pinned to the bottom so it is never scrolled or pushed away.
    let mut bottom: Vec<Line> = vec![Line::from(Span::styled("Send status", theme.bold()))];
    match &state.send_status {
        Some(status) if status.can_send => {
            bottom.push(Line::from(Span::styled("you can send", theme.ok())));
        }
        Some(status) => {
            // One phrase a line, so "needs 1 more reaction" is never split by wrapping.
            let n = status.reactions_needed;
            let needs = format!("needs {n} more reaction{}", plural(n));
            for phrase in ["your last message", needs.as_str(), "from others"] {
                for line in text::wrap(phrase, w) {
                    bottom.push(Line::from(Span::styled(line, theme.warn())));
                }
            }
        }
        None => bottom.push(Line::from(Span::styled("checking…", theme.dim()))),
    }
    let bottom_height = u16::try_from(bottom.len()).unwrap_or(0).min(inner.height);
    let bottom_area = Rect::new(
        inner.x,
        inner.bottom() - bottom_height,
        inner.width,
        bottom_height,
    );
    frame.render_widget(Paragraph::new(bottom), bottom_area);

    let top_area = Rect::new(
        inner.x,
        inner.y,
        inner.width,
        inner.height.saturating_sub(bottom_height + 1),
    );
    let mut lines = reaction_lines(state, w);
    let room_left = usize::from(top_area.height).saturating_sub(lines.len() + 1);
    if room_left >= 2 {
        lines.push(Line::default());
        lines.extend(online_lines(state, w, room_left));
    }
    frame.render_widget(Paragraph::new(lines), top_area);
}

/// "Online · 3" and their names, in at most `rows` rows (the last says how many more).
fn online_lines(state: &State, w: usize, rows: usize) -> Vec<Line<'static>> {
    let theme = Theme::new(state.settings.color);
    let Some(room) = state.rooms.current() else {
        return Vec::new();
    };
    let Some(members) = room.members.as_ref() else {
        return vec![
            Line::from(Span::styled("Online", theme.bold())),
            Line::from(Span::styled("loading…", theme.dim())),
        ];
    };
    let online: Vec<&str> = members
        .iter()
        .filter(|m| m.online)
        .map(|m| m.user_name.as_str())
        .collect();
    let mut lines = vec![Line::from(vec![
        Span::styled("Online", theme.bold()),
        Span::styled(
            format!(" · {} of {}", online.len(), members.len()),
            theme.dim(),
        ),
    ])];
    let room_for_names = rows.saturating_sub(1);
    let cut = online.len() > room_for_names;
    let shown = if cut {
        room_for_names.saturating_sub(1)
    } else {
        online.len()
    };
    let me = state.my_name();
    for name in online.iter().take(shown) {
        let who = if name.eq_ignore_ascii_case(me) {
            format!("● {} (you)", text::clean(name, false))
        } else {
            format!("● {}", text::clean(name, false))
        };
        lines.push(Line::from(Span::styled(
            text::truncate(&who, w),
            theme.ok(),
        )));
    }
    if cut {
        lines.push(Line::from(Span::styled(
            format!("+{} more", online.len() - shown),
            theme.dim(),
        )));
    }
    lines
}

fn reaction_lines(state: &State, w: usize) -> Vec<Line<'static>> {
    let theme = Theme::new(state.settings.color);
    let timeline = &state.timeline;
    let Some(message) = timeline.selected_message() else {
        return vec![Line::from(Span::styled("Reactions", theme.bold()))];
    };
    let me = state.my_name();
    let mut lines = vec![
        Line::from(Span::styled("Reactions", theme.bold())),
        Line::from(Span::styled(
            text::truncate(
                &format!(
                    "to {} · {}",
                    text::clean(&message.user_name, false),
                    local_datetime(state, message, "%b %-d %H:%M")
                ),
                w,
            ),
            theme.dim(),
        )),
    ];
    let reactions = timeline.reactions(timeline.selected, me, &state.settings.emoji);
    for (n, emoji) in state.settings.emoji.iter().enumerate().take(9) {
        let reaction = reactions.iter().find(|r| r.emoji == *emoji);
        let count = reaction.map_or(0, |r| r.count);
        let mut names: Vec<String> = reaction
            .map(|r| r.user_names.iter().map(|u| text::clean(u, false)).collect())
            .unwrap_or_default();
        // "you" first: the user looks for their own reaction.
        let mine = names.iter().any(|u| u == me);
        names.retain(|u| u != me);
        if mine {
            names.insert(0, "you".to_owned());
        }
        let head = format!("{} {} {:>2} ", n + 1, emoji, count);
        let style = if mine {
            theme.chip_mine()
        } else if count == 0 {
            theme.dim()
        } else {
            theme.text()
        };
        let room = w.saturating_sub(width(&head));
        lines.push(Line::from(vec![
            Span::styled(head, style),
            Span::raw(text::truncate(&names.join(", "), room)),
        ]));
    }
    // Reactions outside the configured set (an older set on the server) still count.
    for r in reactions
        .iter()
        .filter(|r| !state.settings.emoji.contains(&r.emoji))
    {
        let head = format!("  {} {:>2} ", text::clean(&r.emoji, false), r.count);
        let room = w.saturating_sub(width(&head));
        lines.push(Line::from(vec![
            Span::raw(head),
            Span::raw(text::truncate(&r.user_names.join(", "), room)),
        ]));
    }
    lines
}
