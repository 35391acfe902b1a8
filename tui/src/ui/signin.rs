//! The sign-in / sign-up screen: two fields, the password masked, errors inline.

use super::theme::Theme;
use crate::app::state::{Field, State};
use crate::keymap::{Action, Context};
use crate::text::{self, width};
use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use unicode_segmentation::UnicodeSegmentation;

const LABEL: usize = 12;

pub fn render(state: &State, frame: &mut Frame) {
    let theme = Theme::new(state.settings.color);
    let area = frame.area();
    let form = &state.signin;
    let box_width = area.width.min(52);
    let box_height = area.height.min(11);
    let rect = Rect::new(
        area.x + (area.width - box_width) / 2,
        area.y + (area.height - box_height) / 2,
        box_width,
        box_height,
    );
    let title = if form.sign_up {
        " chat · sign up "
    } else {
        " chat · sign in "
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border_focused())
        .title(Span::styled(title, theme.bold()));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let inner = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    );
    let w = usize::from(inner.width);
    let field_width = w.saturating_sub(LABEL);

    let masked: String = "•".repeat(form.password.text().graphemes(true).count());
    let user_text = text::clean(form.user_name.text(), false);
    let field = |label: &str, value: &str, focused: bool| {
        let marker = if focused { "›" } else { " " };
        Line::from(vec![
            Span::styled(
                format!("{marker}{label:<width$}", width = LABEL - 1),
                if focused { theme.bold() } else { theme.dim() },
            ),
            Span::raw(tail(value, field_width.saturating_sub(1))),
        ])
    };
    let mut lines = vec![
        Line::default(),
        field("User name", &user_text, form.field == Field::UserName),
        field("Password", &masked, form.field == Field::Password),
        Line::default(),
    ];
    if form.busy {
        let doing = if form.sign_up {
            "signing up…"
        } else {
            "signing in…"
        };
        lines.push(Line::from(Span::styled(doing, theme.dim())));
    } else if let Some(error) = &form.error {
        for line in text::wrap(error, w) {
            lines.push(Line::from(Span::styled(line, theme.error())));
        }
    } else {
        lines.push(Line::default());
    }
    lines.push(Line::default());
    let map = &state.keymap;
    let other = if form.sign_up { "sign in" } else { "sign up" };
    let verb = if form.sign_up { "sign up" } else { "sign in" };
    let hints = [
        format!("{} {verb}", map.hint(Context::SignIn, Action::Submit)),
        format!(
            "{} {other}",
            map.hint(Context::SignIn, Action::ToggleSignUp)
        ),
        format!(
            "{} next field",
            map.hint(Context::SignIn, Action::NextField)
        ),
        format!("{} quit", map.hint(Context::Global, Action::Quit)),
    ];
    for line in text::wrap_items(&hints, " · ", w) {
        lines.push(Line::from(Span::styled(line, theme.dim())));
    }
    frame.render_widget(Paragraph::new(lines), inner);

    if rect.bottom() < area.bottom() {
        let server = text::truncate(
            &format!("server {}", state.settings.server),
            usize::from(area.width),
        );
        frame.render_widget(
            Paragraph::new(Span::styled(server, theme.dim())).alignment(Alignment::Center),
            Rect::new(area.x, rect.bottom(), area.width, 1),
        );
    }

    if !form.busy {
        // The cursor after the focused field's text (its tail, when it scrolls).
        let (row, value) = match form.field {
            Field::UserName => (1, user_text.as_str()),
            Field::Password => (2, masked.as_str()),
        };
        let before_cursor = match form.field {
            Field::UserName => {
                text::clean(&form.user_name.text()[..form.user_name.cursor()], false)
            }
            Field::Password => "•".repeat(
                form.password.text()[..form.password.cursor()]
                    .graphemes(true)
                    .count(),
            ),
        };
        let shown = tail(value, field_width.saturating_sub(1));
        let hidden = width(value) - width(&shown);
        let col = LABEL + width(&before_cursor).saturating_sub(hidden);
        if row < usize::from(inner.height) {
            let x = inner.x + u16::try_from(col).unwrap_or(0);
            frame.set_cursor_position((x.min(inner.right()), inner.y + row as u16));
        }
    }
}

/// The end of a value that is wider than its field: the part being typed stays visible.
fn tail(value: &str, max: usize) -> String {
    if width(value) <= max {
        return value.to_owned();
    }
    let mut out: Vec<&str> = Vec::new();
    let mut used = 0;
    for g in value.graphemes(true).rev() {
        let w = text::grapheme_width(g);
        if used + w > max {
            break;
        }
        used += w;
        out.push(g);
    }
    out.into_iter().rev().collect()
}
