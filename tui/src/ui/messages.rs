//! The message pane: the timeline drawn from the bottom up, so the newest message sits
//! just above the input, like every chat.

use super::layout::{GUTTER, SIDEBAR_FROM_WIDTH, chat_layout};
use super::links::{self, Link};
use super::theme::Theme;
use crate::app::state::{Focus, State};
use crate::app::update::view;
use crate::text::{self, width};
use chat_protocol::chat::v1::Message;
use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::sync::Arc;

/// A URL in a message's rows: on row `row`, `width` cells from column `col`.
pub struct RowLink {
    pub row: usize,
    pub col: u16,
    pub width: u16,
    pub url: Arc<str>,
}

/// "14:02" in the zone the client started in.
pub fn local_time(state: &State, message: &Message) -> String {
    local_datetime(state, message, "%H:%M")
}

pub fn local_datetime(state: &State, message: &Message, format: &str) -> String {
    message
        .created_at
        .and_then(|t| {
            chrono::DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0))
        })
        .map(|t| {
            t.with_timezone(&state.settings.utc_offset)
                .format(format)
                .to_string()
        })
        .unwrap_or_default()
}

/// The width the pane's text gets once the gutter is taken.
pub fn content_width(state: &State) -> u16 {
    chat_layout(state, state.area)
        .pane
        .width
        .saturating_sub(GUTTER)
}

/// How many rows a message takes (its header, text, reactions and any unread divider).
pub fn message_height(state: &State, index: usize, content_width: u16) -> usize {
    message_lines(state, index, content_width).len()
}

/// The rows of one message.
pub fn message_lines(state: &State, index: usize, content_width: u16) -> Vec<Line<'static>> {
    message_rows(state, index, content_width, &mut Vec::new())
}

/// The rows of one message, and where its URLs are in them (added to `links`).
fn message_rows(
    state: &State,
    index: usize,
    content_width: u16,
    links: &mut Vec<RowLink>,
) -> Vec<Line<'static>> {
    let theme = Theme::new(state.settings.color);
    let timeline = &state.timeline;
    let Some(message) = timeline.messages.get(index) else {
        return Vec::new();
    };
    let max = usize::from(content_width.max(1));
    let mine = message.user_id == state.my_id();
    let selected = index == timeline.selected && state.focus == Focus::Pane;
    let mentions_me = !mine
        && message
            .mentioned_user_ids
            .iter()
            .any(|u| u == state.my_id());
    let gutter = if selected {
        Span::styled("▌ ", theme.selected_gutter())
    } else if mentions_me {
        Span::styled("┃ ", theme.mention())
    } else if mine {
        Span::styled("│ ", theme.own_gutter())
    } else {
        Span::raw("  ")
    };
    let mut lines = Vec::new();

    // A new day starts a new section: "── Tuesday 1 December 2026 ──", also above the
    // first message loaded, so every message's date can be read off the screen.
    let day = local_datetime(state, message, "%Y-%m-%d");
    let previous = index
        .checked_sub(1)
        .and_then(|i| timeline.messages.get(i))
        .map(|m| local_datetime(state, m, "%Y-%m-%d"));
    if !day.is_empty() && previous.as_deref() != Some(day.as_str()) {
        let label = format!(" {} ", local_datetime(state, message, "%A %-d %B %Y"));
        let total = max + usize::from(GUTTER);
        let side = total.saturating_sub(width(&label)) / 2;
        lines.push(Line::from(Span::styled(
            text::truncate(
                &format!("{}{label}{}", "─".repeat(side), "─".repeat(side)),
                total,
            ),
            theme.dim(),
        )));
    }

    if timeline.unread_marker.as_deref() == Some(message.message_id.as_str()) {
        let label = " new ";
        let total = max + usize::from(GUTTER);
        let rest = total.saturating_sub(2 + label.len());
        lines.push(Line::from(Span::styled(
            format!("──{label}{}", "─".repeat(rest)),
            theme.divider(),
        )));
    }

    let name = text::clean(&message.user_name, false);
    // The selected message shows its full date; the others only the time.
    let time = if selected {
        local_datetime(state, message, "%a %-d %b %Y %H:%M")
    } else {
        local_time(state, message)
    };
    let name_style = if mine {
        theme.own_name()
    } else {
        theme.author(&message.user_name, state.settings.light)
    };
    let time = match (message.edited_at.is_some(), message.deleted) {
        (true, false) => format!("{time} (edited)"),
        _ => time,
    };
    let name_room = max.saturating_sub(width(&time) + 2).max(1);
    let mut header = vec![
        gutter.clone(),
        Span::styled(text::truncate(&name, name_room), name_style),
        Span::raw("  "),
        Span::styled(time, theme.dim()),
    ];
    if mentions_me && width(&name) + 2 + 4 <= name_room {
        header.push(Span::styled("  @you", theme.mention()));
    }
    lines.push(Line::from(header));

    if message.deleted {
        lines.push(Line::from(vec![
            gutter.clone(),
            Span::styled("message deleted", theme.tombstone()),
        ]));
    } else {
        let content = text::clean(&message.content, true);
        let wrapped = text::wrap(&content, max);
        let pieces = links::pieces(&content, &wrapped);
        for (line, line_links) in wrapped.into_iter().zip(pieces) {
            let mut spans = vec![gutter.clone()];
            let mut col = gutter.width();
            let mut at = 0;
            for (range, url) in line_links {
                spans.push(Span::raw(line[at..range.start].to_owned()));
                col += width(&line[at..range.start]);
                let piece = &line[range.clone()];
                let piece_width = width(piece);
                links.push(RowLink {
                    row: lines.len(),
                    col: u16::try_from(col).unwrap_or(u16::MAX),
                    width: u16::try_from(piece_width).unwrap_or(u16::MAX),
                    url,
                });
                spans.push(Span::styled(piece.to_owned(), theme.link()));
                col += piece_width;
                at = range.end;
            }
            spans.push(Span::raw(line[at..].to_owned()));
            lines.push(Line::from(spans));
        }
    }

    let reactions = timeline.reactions(index, state.my_name(), &state.settings.emoji);
    if selected && state.area.width < SIDEBAR_FROM_WIDTH {
        // No sidebar on a narrow screen: the selected message itself says who reacted
        // and which digit is which emoji.
        lines.extend(
            reaction_details(state, &reactions, max)
                .into_iter()
                .map(|row| {
                    Line::from(
                        std::iter::once(gutter.clone())
                            .chain(row)
                            .collect::<Vec<_>>(),
                    )
                }),
        );
        return lines;
    }
    let mut row: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for reaction in reactions {
        let chip = format!("{} {}", text::clean(&reaction.emoji, false), reaction.count);
        let chip_width = width(&chip);
        if used > 0 && used + 2 + chip_width > max {
            lines.push(Line::from(
                std::iter::once(gutter.clone())
                    .chain(row.drain(..))
                    .collect::<Vec<_>>(),
            ));
            used = 0;
        }
        if used > 0 {
            row.push(Span::raw("  "));
            used += 2;
        }
        let mine = reaction.user_names.iter().any(|n| n == state.my_name());
        row.push(Span::styled(
            chip,
            if mine {
                theme.chip_mine()
            } else {
                theme.chip()
            },
        ));
        used += chip_width;
    }
    if !row.is_empty() {
        lines.push(Line::from(
            std::iter::once(gutter).chain(row).collect::<Vec<_>>(),
        ));
    }
    lines
}

/// The sidebar's content in the message: one row per reaction ("1 👍 2 you, bob"), then
/// the digit of each emoji of the set, wrapped to the width.
fn reaction_details(
    state: &State,
    reactions: &[chat_protocol::chat::v1::ReactionCount],
    max: usize,
) -> Vec<Vec<Span<'static>>> {
    let theme = Theme::new(state.settings.color);
    let me = state.my_name();
    let mut rows = Vec::new();
    for r in reactions {
        let digit = state
            .settings
            .emoji
            .iter()
            .take(9)
            .position(|e| *e == r.emoji)
            .map_or_else(|| " ".to_owned(), |n| (n + 1).to_string());
        let mut names: Vec<String> = r
            .user_names
            .iter()
            .filter(|u| *u != me)
            .map(|u| text::clean(u, false))
            .collect();
        let mine = r.user_names.iter().any(|u| u == me);
        if mine {
            names.insert(0, "you".to_owned());
        }
        let head = format!("{digit} {} {} ", text::clean(&r.emoji, false), r.count);
        let room = max.saturating_sub(width(&head));
        rows.push(vec![
            Span::styled(
                head,
                if mine {
                    theme.chip_mine()
                } else {
                    theme.chip()
                },
            ),
            Span::styled(text::truncate(&names.join(", "), room), theme.dim()),
        ]);
    }
    let legend: Vec<String> = state
        .settings
        .emoji
        .iter()
        .take(9)
        .enumerate()
        .map(|(n, e)| format!("{}{}", n + 1, text::clean(e, false)))
        .collect();
    for line in text::wrap(&format!("react: {}", legend.join(" ")), max) {
        rows.push(vec![Span::styled(line, theme.dim())]);
    }
    rows
}

/// Draws the pane; returns where its links are.
pub fn render(state: &State, area: Rect, frame: &mut Frame) -> Vec<Link> {
    let theme = Theme::new(state.settings.color);
    let timeline = &state.timeline;
    let height = usize::from(area.height);
    if height == 0 {
        return Vec::new();
    }
    let centered = |text: &str| {
        Paragraph::new(Line::from(Span::styled(text.to_owned(), theme.dim())))
            .alignment(Alignment::Center)
    };
    if !timeline.loaded {
        let y = area.y + area.height / 2;
        let text = if timeline.load_failed {
            let retry = state.keymap.hint(
                crate::keymap::Context::Global,
                crate::keymap::Action::ReconnectNow,
            );
            format!("could not load messages · {retry} retries")
        } else {
            "loading messages…".to_owned()
        };
        frame.render_widget(centered(&text), Rect::new(area.x, y, area.width, 1));
        return Vec::new();
    }
    if timeline.is_empty() {
        let y = area.y + area.height / 2;
        frame.render_widget(
            centered("no messages yet: say hello"),
            Rect::new(area.x, y, area.width, 1),
        );
        return Vec::new();
    }

    let content_width = area.width.saturating_sub(GUTTER);
    let hint_row = view::hint_shown(state);
    let height = height - usize::from(hint_row);
    let bottom = view::current_bottom(state);
    let lift = if timeline.is_following() {
        0
    } else {
        timeline.view_lift
    };
    // From the view's bottom message upwards until the pane is full; the bottom one
    // loses the rows scrolled below the pane.
    let mut blocks: Vec<(Vec<Line>, Vec<RowLink>)> = Vec::new();
    let mut total = 0;
    let mut reached_top = false;
    for i in (0..=bottom).rev() {
        let mut row_links = Vec::new();
        let mut lines = message_rows(state, i, content_width, &mut row_links);
        if i == bottom {
            lines.truncate(lines.len().saturating_sub(lift));
        }
        total += lines.len();
        blocks.push((lines, row_links));
        if total >= height {
            break;
        }
        reached_top = i == 0;
    }
    let mut lines: Vec<Line> = Vec::new();
    if reached_top {
        let top = if timeline.loading_older {
            "loading older messages…"
        } else if timeline.has_more {
            "↑ older messages"
        } else {
            "start of the conversation"
        };
        lines.push(Line::from(Span::styled(top, theme.dim())).alignment(Alignment::Center));
    }
    // Each block's links, by row of the whole pane.
    let mut row_links = Vec::new();
    for (block, block_links) in blocks.into_iter().rev() {
        let first = lines.len();
        row_links.extend(
            block_links
                .into_iter()
                .filter(|l| l.row < block.len())
                .map(|l| RowLink {
                    row: first + l.row,
                    ..l
                }),
        );
        lines.extend(block);
    }
    // Bottom-align: drop rows that do not fit from the top, pad the top when short.
    let skip = lines.len().saturating_sub(height);
    let shown: Vec<Line> = lines.into_iter().skip(skip).collect();
    let pad = u16::try_from(height - shown.len()).unwrap_or(0);
    let on_screen: Vec<Link> = row_links
        .into_iter()
        .filter(|l| l.row >= skip)
        .filter_map(|l| {
            let row = u16::try_from(l.row - skip).ok()?;
            let x = area.x.checked_add(l.col)?;
            let width = l.width.min(area.right().saturating_sub(x));
            (width > 0).then(|| Link {
                x,
                y: area.y + pad + row,
                width,
                url: l.url,
            })
        })
        .collect();
    let rows = u16::try_from(shown.len()).unwrap_or(0);
    frame.render_widget(
        Paragraph::new(shown),
        Rect::new(area.x, area.y + pad, area.width, rows),
    );

    if hint_row {
        let hint = if timeline.unread_below > 0 {
            format!(" {} new below ↓ ", timeline.unread_below)
        } else {
            " more below ↓ ".to_owned()
        };
        let hint = text::truncate(&hint, usize::from(area.width));
        let w = u16::try_from(width(&hint)).unwrap_or(area.width);
        let rect = Rect::new(area.right() - w, area.bottom() - 1, w, 1);
        frame.render_widget(Paragraph::new(Span::styled(hint, theme.hint())), rect);
    }
    on_screen
}
