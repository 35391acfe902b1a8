//! Drawing. `render` is a pure function of the state: no I/O, no clock, no mutation.

pub mod help;
pub mod input;
pub mod layout;
pub mod links;
pub mod messages;
pub mod rooms;
pub mod sidebar;
pub mod signin;
pub mod status;
pub mod theme;

use crate::app::state::{Screen, State};
use layout::{MIN_HEIGHT, MIN_WIDTH, chat_layout, too_small};
use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

/// Draws the whole screen; returns where the URLs on it are, for the backend's OSC 8.
pub fn render(state: &State, frame: &mut Frame) -> Vec<links::Link> {
    let area = frame.area();
    if too_small(area) {
        render_too_small(area, frame);
        return Vec::new();
    }
    let mut links = Vec::new();
    match state.screen {
        Screen::SignIn => signin::render(state, frame),
        Screen::Chat => {
            let layout = chat_layout(state, area);
            if let Some(list) = layout.rooms {
                rooms::render(state, list, frame);
            }
            links = messages::render(state, layout.pane, frame);
            if let Some(sidebar) = layout.sidebar {
                sidebar::render(state, sidebar, frame);
            }
            input::render(state, &layout, frame);
            status::render(state, layout.status, frame);
        }
    }
    if let Some(scroll) = state.help {
        help::render(state, scroll, frame);
    }
    // Drawn over (the help, the "new below" hint): no longer a link.
    let buffer = frame.buffer_mut();
    links.retain(|link| {
        (link.x..link.x + link.width).all(|x| {
            buffer
                .cell((x, link.y))
                .is_some_and(|cell| cell.modifier.contains(ratatui::style::Modifier::UNDERLINED))
        })
    });
    links
}

/// The terminal window's title: the room, and "(3)" in front while messages are unread
/// in other rooms or below the view, as browsers do for tabs.
pub fn title(state: &State) -> String {
    if state.screen != Screen::Chat {
        return "chat".to_owned();
    }
    let label = state
        .rooms
        .current()
        .map(|r| r.label(state.my_name()))
        .unwrap_or_default();
    let elsewhere: usize = state
        .rooms
        .list
        .iter()
        .map(|r| usize::try_from(r.unread).unwrap_or(0))
        .sum();
    match elsewhere + state.timeline.unread_below {
        0 => format!("chat · {label}"),
        n => format!("({n}) chat · {label}"),
    }
}

fn render_too_small(area: Rect, frame: &mut Frame) {
    let lines = vec![
        Line::from("terminal too small"),
        Line::from(format!("{}×{}", area.width, area.height)),
        Line::from(format!("need {MIN_WIDTH}×{MIN_HEIGHT}")),
    ];
    let y = area.y + area.height.saturating_sub(3) / 2;
    let rect = Rect::new(area.x, y, area.width, area.height - (y - area.y));
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        rect,
    );
}
