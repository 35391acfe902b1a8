//! The input line: the draft, wrapped between graphemes, with the cursor placed by
//! cell width so it sits exactly after a wide character.

use super::layout::{ChatLayout, MAX_INPUT_LINES};
use super::theme::Theme;
use crate::app::state::{Focus, State};
use crate::keymap::{Action, Context};
use crate::text::{self, grapheme_width};
use ratatui::Frame;
use ratatui::layout::Alignment;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use unicode_segmentation::UnicodeSegmentation;

/// The draft cut into screen lines of `width` cells, and the cursor's (row, column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftLayout {
    pub lines: Vec<String>,
    pub cursor: (usize, usize),
}

const TAB: &str = "    ";

pub fn layout_draft(text: &str, cursor: usize, width: u16) -> DraftLayout {
    let width = usize::from(width.max(2));
    let mut lines = vec![String::new()];
    let mut col = 0;
    let mut at = (0, 0);
    let mut offset = 0;
    for g in text.graphemes(true) {
        if g == "\n" || g == "\r\n" {
            if offset == cursor {
                at = (lines.len() - 1, col);
            }
            lines.push(String::new());
            col = 0;
            offset += g.len();
            continue;
        }
        // A pasted tab is sent as a tab and shown as spaces.
        let (shown, w) = if g == "\t" {
            (TAB, TAB.len())
        } else {
            (g, grapheme_width(g))
        };
        if col + w > width && col > 0 {
            lines.push(String::new());
            col = 0;
        }
        if offset == cursor {
            at = (lines.len() - 1, col);
        }
        if let Some(line) = lines.last_mut() {
            line.push_str(shown);
        }
        col += w;
        offset += g.len();
    }
    if cursor >= text.len() {
        if col >= width {
            // The last line is full: the cursor waits at the start of the next one.
            lines.push(String::new());
            col = 0;
        }
        at = (lines.len() - 1, col);
    }
    DraftLayout { lines, cursor: at }
}

pub fn draft_lines(text: &str, width: u16) -> Vec<String> {
    layout_draft(text, text.len(), width).lines
}

/// " 3612/4000 " once the draft is within a tenth of the limit (and whether it is over),
/// so nobody types a long message only to have it refused.
pub fn length_counter(state: &State) -> Option<(String, bool)> {
    let max = state.settings.max_chars;
    let text = state.draft.editor.text();
    // Counting is linear; the byte length bounds it from above for free.
    if text.len() < max - max / 10 {
        return None;
    }
    let chars = text.chars().count();
    let over = chars > max || text.len() > crate::app::state::MAX_BYTES;
    (chars >= max - max / 10 || over).then(|| (format!(" {chars}/{max} "), over))
}

pub fn render(state: &State, layout: &ChatLayout, frame: &mut Frame) {
    let theme = Theme::new(state.settings.color);
    let area = layout.input;
    let focused = state.focus == Focus::Input && state.help.is_none();
    let commands = crate::app::commands::matching(state.draft.editor.text());
    // Where the draft goes; with the room list folded, also what is new elsewhere.
    let room = if layout.rooms.is_some() {
        state
            .rooms
            .current()
            .map(|r| r.label(state.my_name()))
            .unwrap_or_default()
    } else {
        super::rooms::folded_title(state)
    };
    let title = if state.sending.is_some() {
        " sending… ".to_owned()
    } else if state.editing.is_some() {
        format!(
            " editing your message · {} saves · Esc cancels ",
            state.keymap.hint(Context::Input, Action::Send)
        )
    } else if focused && !commands.is_empty() {
        // Typing a command: which ones match (Tab completes).
        let names: Vec<String> = commands.iter().map(|c| format!(":{}", c.name)).collect();
        format!(" {} ", names.join(" "))
    } else if focused && area.width >= 60 {
        format!(
            " {room} · {} newline ",
            state.keymap.hint(Context::Input, Action::Newline)
        )
    } else if !focused && area.width >= 60 {
        format!(
            " {room} · {} to type ",
            state.keymap.hint(Context::Pane, Action::FocusInput)
        )
    } else {
        format!(" {room} ")
    };
    let mut block = Block::new()
        .borders(Borders::TOP)
        .border_style(if focused {
            theme.border_focused()
        } else {
            theme.border()
        })
        .title(Line::from(text::truncate(
            &title,
            usize::from(area.width / 2),
        )));
    // Without a sidebar the send status has to live somewhere visible: here.
    if layout.sidebar.is_none()
        && let Some(status) = super::sidebar::send_status_short(state)
    {
        block = block.title(
            Line::from(Span::styled(format!(" {status} "), theme.warn()))
                .alignment(Alignment::Right),
        );
    }
    if let Some((counter, over)) = length_counter(state) {
        let style = if over { theme.error() } else { theme.warn() };
        block = block.title(Line::from(Span::styled(counter, style)).alignment(Alignment::Right));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let text_width = inner.width.saturating_sub(2);
    let editor = &state.draft.editor;
    let draft = layout_draft(editor.text(), editor.cursor(), text_width);
    let visible = usize::from(MAX_INPUT_LINES).min(usize::from(inner.height));
    let first = (draft.cursor.0 + 1).saturating_sub(visible);
    let style = if state.sending.is_some() {
        theme.dim()
    } else {
        theme.text()
    };
    let mut lines: Vec<Line> = Vec::new();
    if editor.is_empty() && focused {
        lines.push(Line::from(vec![
            Span::styled("› ", theme.bold()),
            Span::styled("type a message", theme.dim()),
        ]));
    } else {
        for (i, line) in draft.lines.iter().enumerate().skip(first).take(visible) {
            let prompt = if i == 0 { "› " } else { "  " };
            lines.push(Line::from(vec![
                Span::styled(prompt, theme.bold()),
                Span::styled(line.clone(), style),
            ]));
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
    if focused {
        let (row, col) = draft.cursor;
        let y = inner.y + u16::try_from(row - first).unwrap_or(0);
        let x = inner.x + 2 + u16::try_from(col).unwrap_or(0);
        frame.set_cursor_position((x.min(inner.right().saturating_sub(1)), y));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_follows_wide_characters() {
        let l = layout_draft("漢字", "漢字".len(), 10);
        assert_eq!(l.cursor, (0, 4));
        let l = layout_draft("漢字", "漢".len(), 10);
        assert_eq!(l.cursor, (0, 2));
    }

    #[test]
    fn a_full_line_puts_the_cursor_on_the_next_row() {
        let l = layout_draft("abcd", 4, 4);
        assert_eq!(l.lines, vec!["abcd", ""]);
        assert_eq!(l.cursor, (1, 0));
    }

    #[test]
    fn wide_characters_wrap_whole() {
        let l = layout_draft("abc漢", 0, 4);
        assert_eq!(l.lines, vec!["abc", "漢"]);
    }

    #[test]
    fn newlines_start_new_rows() {
        let l = layout_draft("a\nbc", 3, 10);
        assert_eq!(l.lines, vec!["a", "bc"]);
        assert_eq!(l.cursor, (1, 1));
    }
}
