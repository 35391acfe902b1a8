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

fn section(state: &State, context: Context, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(context.title(), theme.bold()))];
    let rows = state.keymap.help(context);
    let key_column = rows
        .iter()
        .map(|r| width(&r.keys) + 1)
        .max()
        .unwrap_or(0)
        .min(MAX_KEY_COLUMN);
    for row in rows {
        let pad = key_column.saturating_sub(width(&row.keys)).max(1);
        lines.push(Line::from(vec![
            Span::styled(format!("  {}{}", row.keys, " ".repeat(pad)), theme.warn()),
            Span::raw(row.description),
        ]));
    }
    lines.push(Line::default());
    lines
}

/// The overlay's columns: one on narrow screens, two when there is room.
pub fn help_columns(state: &State, two: bool) -> Vec<Vec<Line<'static>>> {
    let theme = Theme::new(state.settings.color);
    let contexts: &[&[Context]] = match (state.screen, two) {
        (Screen::SignIn, _) => &[&[Context::SignIn, Context::Edit, Context::Global]],
        (Screen::Chat, true) => &[
            &[Context::Input, Context::Edit],
            &[Context::Pane, Context::Global],
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
        .map(|column| {
            let mut lines: Vec<Line<'static>> = column
                .iter()
                .flat_map(|c| section(state, *c, theme))
                .collect();
            lines.pop(); // the blank line after the last section
            lines
        })
        .collect()
}

pub fn render(state: &State, scroll: u16, frame: &mut Frame) {
    let theme = Theme::new(state.settings.color);
    let area = frame.area();
    let two = area.width >= 100;
    // The whole screen: what shows through around a box is only noise.
    frame.render_widget(Clear, area);
    let inset = u16::from(area.width >= 100) * 2;
    let rect = Rect::new(area.x + inset, area.y, area.width - inset * 2, area.height);
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
    let columns = help_columns(state, two);
    let n = u16::try_from(columns.len()).unwrap_or(1).max(1);
    let col_width = inner.width / n;
    for (i, lines) in columns.into_iter().enumerate() {
        let x = inner.x + col_width * u16::try_from(i).unwrap_or(0);
        let col = Rect::new(x + 1, inner.y, col_width.saturating_sub(1), inner.height);
        frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), col);
    }
}
