//! Where each region goes for a given terminal size. `update` uses the same function
//! to know how much of the timeline fits, so scrolling and drawing always agree.

use super::input::draft_lines;
use crate::app::state::State;
use ratatui::layout::Rect;

/// Below this the chat cannot be used; the screen says so instead.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;
/// Narrower than this, the sidebar folds away and its send status moves to the input's
/// border.
pub const SIDEBAR_FROM_WIDTH: u16 = 70;
/// Narrower than this, the room list folds away too; the input's title then names the
/// room (and how much is new in the others).
pub const ROOMS_FROM_WIDTH: u16 = 72;
/// The draft grows up to this many lines, then scrolls.
pub const MAX_INPUT_LINES: u16 = 5;
/// The gutter left of each message (a bar for own or selected messages, then a space)
/// plus one column of margin on the right.
pub const GUTTER: u16 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatLayout {
    pub pane: Rect,
    /// The room list, left of the pane.
    pub rooms: Option<Rect>,
    pub sidebar: Option<Rect>,
    pub input: Rect,
    pub status: Rect,
}

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

pub fn sidebar_width(total: u16) -> u16 {
    (total * 3 / 10).clamp(24, 40)
}

pub fn rooms_width(total: u16) -> u16 {
    (total / 6).clamp(14, 24)
}

/// The regions for `area`: the frame's area when drawing, `state.area` in `update`.
pub fn chat_layout(state: &State, area: Rect) -> ChatLayout {
    let status = Rect::new(area.x, area.bottom().saturating_sub(1), area.width, 1);
    let text_lines = draft_lines(state.draft.editor.text(), area.width.saturating_sub(2))
        .len()
        .min(usize::from(MAX_INPUT_LINES));
    // One line of border on top of the draft.
    let input_height = u16::try_from(text_lines).unwrap_or(MAX_INPUT_LINES) + 1;
    let input = Rect::new(
        area.x,
        status.y.saturating_sub(input_height),
        area.width,
        input_height,
    );
    let full = Rect::new(area.x, area.y, area.width, input.y.saturating_sub(area.y));
    let (rooms, top) = if area.width >= ROOMS_FROM_WIDTH {
        let w = rooms_width(area.width);
        (
            Some(Rect::new(full.x, full.y, w, full.height)),
            Rect::new(full.x + w, full.y, full.width - w, full.height),
        )
    } else {
        (None, full)
    };
    if area.width >= SIDEBAR_FROM_WIDTH {
        let side = sidebar_width(top.width);
        let pane = Rect::new(top.x, top.y, top.width - side, top.height);
        let sidebar = Rect::new(pane.right(), top.y, side, top.height);
        ChatLayout {
            pane,
            rooms,
            sidebar: Some(sidebar),
            input,
            status,
        }
    } else {
        ChatLayout {
            pane: top,
            rooms,
            sidebar: None,
            input,
            status,
        }
    }
}
