//! The help overlay, generated from the active key map so it always tells the truth.

use super::theme::Theme;
use crate::app::state::{Screen, State};
use crate::keymap::Context;
use crate::text::{self, width};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// The keys column is as wide as its widest entry, up to this.
const MAX_KEY_COLUMN: usize = 18;

/// One context's keys. A row too wide for the column puts its description on the next
/// line, indented, instead of cutting it (the overlay must work at 40×12).
fn section(state: &State, context: Context, theme: Theme, column: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(context.title(), theme.bold()))];
    let rows = state.keymap.help(context);
    let key_column = rows
        .iter()
        .map(|r| width(&r.keys) + 1)
        .max()
        .unwrap_or(0)
        .min(MAX_KEY_COLUMN);
    for row in rows {
        push_row(
            &mut lines,
            &row.keys,
            row.description,
            key_column,
            column,
            theme,
        );
    }
    lines.push(Line::default());
    lines
}

/// "  keys   description", padded to `key_column`; when that is wider than `column`, the
/// description goes on the lines below, indented, instead of being cut.
fn push_row(
    lines: &mut Vec<Line<'static>>,
    keys: &str,
    description: &'static str,
    key_column: usize,
    column: usize,
    theme: Theme,
) {
    let pad = key_column.saturating_sub(width(keys)).max(1);
    if 2 + width(keys) + pad + width(description) <= column {
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys}{}", " ".repeat(pad)), theme.warn()),
            Span::raw(description),
        ]));
    } else {
        lines.push(Line::from(Span::styled(format!("  {keys}"), theme.warn())));
        for part in text::wrap(description, column.saturating_sub(6).max(8)) {
            lines.push(Line::from(format!("      {part}")));
        }
    }
}

/// The `:` commands, from the same table that runs them.
fn commands_section(theme: Theme, column: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(
        "Commands (type in the input, Tab completes)",
        theme.bold(),
    ))];
    for spec in crate::app::commands::COMMANDS {
        let mut name = format!(":{}", spec.name);
        for alias in spec.aliases {
            name.push_str(&format!(", :{alias}"));
        }
        match spec.arg {
            crate::app::commands::Arg::None => {}
            crate::app::commands::Arg::Required(what) => name.push_str(&format!(" {what}")),
            crate::app::commands::Arg::Optional(what) => name.push_str(&format!(" [{what}]")),
            crate::app::commands::Arg::Words(what) => name.push_str(&format!(" {what}")),
        }
        push_row(
            &mut lines,
            &name,
            spec.description,
            MAX_KEY_COLUMN,
            column,
            theme,
        );
    }
    lines.push(Line::default());
    lines
}

/// The overlay's columns: one on narrow screens, two when there is room.
pub fn help_columns(state: &State, two: bool, width: usize) -> Vec<Vec<Line<'static>>> {
    let theme = Theme::new(state.settings.color);
    let contexts: &[&[Context]] = match (state.screen, two) {
        (Screen::SignIn, _) => &[&[Context::SignIn, Context::Edit, Context::Global]],
        // The commands close the second column, which is the shorter one this way.
        (Screen::Chat, true) => &[
            &[Context::Input, Context::Edit, Context::Global],
            &[Context::Pane],
        ],
        (Screen::Chat, false) => &[&[
            Context::Input,
            Context::Pane,
            Context::Global,
            Context::Edit,
        ]],
    };
    contexts
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let mut lines: Vec<Line<'static>> = column
                .iter()
                .flat_map(|c| section(state, *c, theme, width))
                .collect();
            if i + 1 == contexts.len() && state.screen == Screen::Chat {
                lines.extend(commands_section(theme, width));
            }
            lines.pop(); // the blank line after the last section
            lines
        })
        .collect()
}

/// The box and its inside for a screen of `area`.
fn frame_of(area: Rect) -> (Rect, Rect) {
    let inset = u16::from(area.width >= 100) * 2;
    let rect = Rect::new(area.x + inset, area.y, area.width - inset * 2, area.height);
    (rect, Block::new().borders(Borders::ALL).inner(rect))
}

/// How far the help can scroll at the current size (`update` stops there too).
pub fn max_scroll(state: &State) -> u16 {
    let (_, inner) = frame_of(state.area);
    let two = state.area.width >= 100;
    let col_width = inner.width / if two { 2 } else { 1 };
    let columns = help_columns(state, two, usize::from(col_width.saturating_sub(1)));
    let longest = columns.iter().map(Vec::len).max().unwrap_or(0);
    u16::try_from(longest.saturating_sub(usize::from(inner.height))).unwrap_or(u16::MAX)
}

pub fn render(state: &State, scroll: u16, frame: &mut Frame) {
    let theme = Theme::new(state.settings.color);
    let area = frame.area();
    let two = area.width >= 100;
    // The whole screen: what shows through around a box is only noise.
    frame.render_widget(Clear, area);
    let (rect, _) = frame_of(area);
    let title = text::truncate(
        " keys · j/k scroll · any other key closes ",
        usize::from(rect.width.saturating_sub(2)),
    );
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border_focused())
        .title(title);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let n: u16 = if two { 2 } else { 1 };
    let col_width = inner.width / n;
    let columns = help_columns(state, two, usize::from(col_width.saturating_sub(1)));
    let longest = columns.iter().map(Vec::len).max().unwrap_or(0);
    let rows = usize::from(inner.height);
    // Scrolling stops at the last row; the bottom row says when there is more.
    let max_scroll = longest.saturating_sub(rows);
    let scroll = usize::from(scroll).min(max_scroll);
    let more_below = scroll < max_scroll;
    let body_height = inner.height - u16::from(more_below);
    for (i, lines) in columns.into_iter().enumerate() {
        let x = inner.x + col_width * u16::try_from(i).unwrap_or(0);
        let col = Rect::new(x + 1, inner.y, col_width.saturating_sub(1), body_height);
        let offset = u16::try_from(scroll).unwrap_or(u16::MAX);
        frame.render_widget(Paragraph::new(lines).scroll((offset, 0)), col);
    }
    if more_below {
        let hint = Rect::new(inner.x, inner.bottom() - 1, inner.width, 1);
        frame.render_widget(
            Paragraph::new(Span::styled(" ↓ more: j or ↓ ", theme.hint()))
                .alignment(ratatui::layout::Alignment::Right),
            hint,
        );
    }
}
