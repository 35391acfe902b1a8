//! The status line: connection state, then the last error (or news), else the mode and
//! its main keys. Plain words, so a person over ssh and a test reading the screen both
//! see the same thing.

use super::theme::Theme;
use crate::app::state::{Confirm, Connection, Notice, NoticeKind, State};
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

/// The connection state in one or two cells, for when the line is short of room.
fn connection_short(connection: &Connection) -> String {
    match connection {
        Connection::Offline => "○".to_owned(),
        Connection::Connecting => "◌".to_owned(),
        Connection::Connected => "●".to_owned(),
        Connection::Reconnecting { seconds_left, .. } if *seconds_left > 0 => {
            format!("↻ {seconds_left}s")
        }
        Connection::Reconnecting { .. } => "↻".to_owned(),
    }
}

/// The notice in at most `room` cells, cutting the least important part first: the
/// detail, then all of it. `None` when even the text and the action do not fit.
fn fit(notice: &Notice, room: usize) -> Option<String> {
    let full = notice.full();
    if text::width(&full) <= room {
        return Some(full);
    }
    let tail = notice.tail();
    let essential = text::width(&notice.text) + text::width(&tail);
    if let Some(detail) = &notice.detail {
        // " (" and ")" around the cut detail; less than a word of it is noise.
        let left = room.saturating_sub(essential + 3);
        if left >= 8 {
            return Some(format!(
                "{} ({}){tail}",
                notice.text,
                text::truncate(detail, left)
            ));
        }
    }
    (essential <= room).then(|| format!("{}{tail}", notice.text))
}

/// The question, the notice or the mode hints, with the connection state in front.
fn line(state: &State, width: usize) -> (String, String) {
    let conn = connection_text(&state.connection);
    let room = |conn: &str| width.saturating_sub(text::width(conn) + 4);
    let question = |q: String| Some(Notice::info(q).action("y yes · any other key no"));
    let notice = match &state.confirm {
        Some(Confirm::SignOut) => question("sign out?".to_owned()),
        Some(Confirm::Delete { .. }) => question("delete this message?".to_owned()),
        Some(Confirm::Leave { room }) => {
            let label = state
                .rooms
                .get(room)
                .map(|r| r.label(state.my_name()))
                .unwrap_or_default();
            question(format!("leave {label}?"))
        }
        None => state.status_notice().cloned(),
    };
    let Some(notice) = notice else {
        let hints = text::truncate(&mode_hints(state), room(&conn));
        return (conn, hints);
    };
    if let Some(fitted) = fit(&notice, room(&conn)) {
        return (conn, fitted);
    }
    // The point matters more than the words "connected" or "reconnecting in".
    let short = connection_short(&state.connection);
    let room = room(&short);
    let fitted = fit(&notice, room).unwrap_or_else(|| {
        let tail = notice.tail();
        let head = room.saturating_sub(text::width(&tail));
        text::truncate(
            &format!("{}{tail}", text::truncate(&notice.text, head)),
            room,
        )
    });
    (short, fitted)
}

pub fn render(state: &State, area: Rect, frame: &mut Frame) {
    let theme = Theme::new(state.settings.color);
    let bar = theme.status_bar();
    let conn_style = match state.connection {
        Connection::Connected => bar,
        _ => bar.patch(theme.warn()),
    };
    let (conn, message) = line(state, usize::from(area.width));
    let style = match (&state.confirm, state.status_notice().map(|n| n.kind)) {
        (Some(_), _) => bar.patch(theme.warn()),
        (None, Some(NoticeKind::Error | NoticeKind::SendBlocked)) => bar.patch(theme.error()),
        (None, _) => bar,
    };
    let spans = vec![
        Span::styled(format!(" {conn} "), conn_style),
        Span::styled("│ ", bar),
        Span::styled(message, style),
    ];
    frame.render_widget(Paragraph::new(Line::from(spans)).style(bar), area);
}
