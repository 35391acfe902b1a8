//! The status line: connection state, then the last error (or news), else the mode and
//! its main keys. Plain words, so a person over ssh and a test reading the screen both
//! see the same thing.

use super::theme::Theme;
use crate::app::state::{Connection, NoticeKind, State};
use crate::keymap::{Action, Context};
use crate::text;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Failed attempts after which "reconnecting" becomes "offline".
const OFFLINE_AFTER: u32 = 5;

pub fn connection_text(connection: &Connection) -> String {
    match connection {
        Connection::Offline => "○ offline".to_owned(),
        Connection::Connecting => "◌ connecting…".to_owned(),
        Connection::Connected => "● connected".to_owned(),
        Connection::Reconnecting { seconds_left, .. } if *seconds_left == 0 => {
            "↻ reconnecting…".to_owned()
        }
        // After several failures in a row the server is not coming right back.
        Connection::Reconnecting {
            attempt,
            seconds_left,
        } if *attempt >= OFFLINE_AFTER => format!("○ offline · retry in {seconds_left}s"),
        Connection::Reconnecting { seconds_left, .. } => {
            format!("↻ reconnecting in {seconds_left}s")
        }
    }
}

/// "INPUT · Enter send · …": the mode and the keys that matter most in it.
pub fn mode_hints(state: &State) -> String {
    let map = &state.keymap;
    let help = map.hint(Context::Global, Action::Help);
    match state.context() {
        Context::Pane => format!(
            "MESSAGES · {}/{} select · 1-9 react · {} 👍 · {} type · {} help",
            map.hint(Context::Pane, Action::SelectNewer),
            map.hint(Context::Pane, Action::SelectOlder),
            map.hint(Context::Pane, Action::ReactDefault),
            map.hint(Context::Pane, Action::FocusInput),
            help
        ),
        _ => format!(
            "INPUT · {} send · {} messages · {} help · {} quit",
            map.hint(Context::Input, Action::Send),
            map.hint(Context::Input, Action::FocusPane),
            help,
            map.hint(Context::Global, Action::Quit)
        ),
    }
}

pub fn render(state: &State, area: Rect, frame: &mut Frame) {
    let theme = Theme::new(state.settings.color);
    let bar = theme.status_bar();
    let conn = connection_text(&state.connection);
    let conn_style = match state.connection {
        Connection::Connected => bar,
        _ => bar.patch(theme.warn()),
    };
    let mut spans = vec![
        Span::styled(format!(" {conn} "), conn_style),
        Span::styled("│ ", bar),
    ];
    let used = text::width(&conn) + 4;
    let room = usize::from(area.width).saturating_sub(used);
    match &state.notice {
        Some(notice) => {
            let style = match notice.kind {
                NoticeKind::Error | NoticeKind::SendBlocked => bar.patch(theme.error()),
                NoticeKind::Info => bar,
            };
            spans.push(Span::styled(text::truncate(&notice.text, room), style));
        }
        None => spans.push(Span::styled(text::truncate(&mode_hints(state), room), bar)),
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(bar), area);
}
