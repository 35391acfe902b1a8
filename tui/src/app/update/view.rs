//! Selection and scrolling of the message pane. The view is anchored at its bottom
//! message (`view_bottom`, or the newest when following); how far up it reaches depends
//! on message heights, measured with the same code that draws them.

use super::super::effect::{Command, Effect};
use super::super::state::State;
use crate::ui::layout::{GUTTER, chat_layout};
use crate::ui::messages::message_height;

struct Pane {
    height: usize,
    content_width: u16,
}

fn pane(state: &State) -> Pane {
    let rect = chat_layout(state, state.area).pane;
    Pane {
        height: usize::from(rect.height).max(1),
        content_width: rect.width.saturating_sub(GUTTER),
    }
}

/// The top of the view that ends at `bottom`: (first message with any row visible,
/// first message shown whole).
fn top_of(state: &State, bottom: usize) -> (usize, usize) {
    let p = pane(state);
    let mut used = 0;
    let mut i = bottom;
    loop {
        used += message_height(state, i, p.content_width);
        if used > p.height {
            return (i, (i + 1).min(bottom));
        }
        if used == p.height || i == 0 {
            return (i, i);
        }
        i -= 1;
    }
}

/// The bottom of a view whose top message is `top`.
fn bottom_for_top(state: &State, top: usize) -> usize {
    let p = pane(state);
    let last = state.timeline.last_index();
    let mut used = 0;
    let mut bottom = top;
    for i in top..=last {
        used += message_height(state, i, p.content_width);
        if used > p.height {
            break;
        }
        bottom = i;
    }
    bottom
}

pub fn current_bottom(state: &State) -> usize {
    let t = &state.timeline;
    t.view_bottom.unwrap_or(t.last_index()).min(t.last_index())
}

/// Selects a message and scrolls just enough to show it. Selecting the newest message
/// follows the conversation; selecting any other pins the view, so arriving messages
/// do not scroll it away.
pub fn select(state: &mut State, index: usize, effects: &mut Vec<Effect>) {
    if state.timeline.is_empty() {
        return;
    }
    let last = state.timeline.last_index();
    let index = index.min(last);
    state.timeline.selected = index;
    if index == last {
        state.timeline.view_bottom = None;
    } else {
        let bottom = current_bottom(state);
        let new_bottom = if index > bottom {
            index
        } else if index < top_of(state, bottom).1 {
            bottom_for_top(state, index)
        } else {
            bottom
        };
        state.timeline.view_bottom = Some(new_bottom);
    }
    after_view_change(state, effects);
}

pub fn select_by(state: &mut State, delta: isize, effects: &mut Vec<Effect>) {
    let target = state.timeline.selected.saturating_add_signed(delta);
    select(state, target, effects);
}

/// Messages shown whole in the current view: the size of a page.
fn page_size(state: &State) -> usize {
    let bottom = current_bottom(state);
    let (_, full_top) = top_of(state, bottom);
    (bottom + 1 - full_top).max(1)
}

pub fn page_up(state: &mut State, select_too: bool, effects: &mut Vec<Effect>) {
    if state.timeline.is_empty() {
        return;
    }
    if select_too {
        let n = page_size(state);
        let target = state.timeline.selected.saturating_sub(n);
        select(state, target, effects);
        return;
    }
    let bottom = current_bottom(state);
    let (top, full_top) = top_of(state, bottom);
    let new_bottom = if top < full_top {
        top
    } else {
        top.saturating_sub(1)
    };
    state.timeline.view_bottom = Some(new_bottom.min(bottom.saturating_sub(1)));
    after_view_change(state, effects);
}

pub fn page_down(state: &mut State, select_too: bool, effects: &mut Vec<Effect>) {
    if state.timeline.is_empty() {
        return;
    }
    if select_too {
        let n = page_size(state);
        let target = state.timeline.selected.saturating_add(n);
        select(state, target, effects);
        return;
    }
    let bottom = current_bottom(state);
    let new_bottom = bottom_for_top(state, (bottom + 1).min(state.timeline.last_index()));
    state.timeline.view_bottom = if new_bottom >= state.timeline.last_index() {
        None
    } else {
        Some(new_bottom.max(bottom + 1))
    };
    after_view_change(state, effects);
}

/// Mouse wheel: in the pane it moves the selection, elsewhere it scrolls the view.
pub fn scroll_by(state: &mut State, delta: isize, effects: &mut Vec<Effect>) {
    if state.timeline.is_empty() {
        return;
    }
    if state.focus == crate::app::state::Focus::Pane {
        select_by(state, delta, effects);
        return;
    }
    let last = state.timeline.last_index();
    let bottom = current_bottom(state).saturating_add_signed(delta);
    state.timeline.view_bottom = (bottom < last).then_some(bottom);
    after_view_change(state, effects);
}

/// Keeps the selection where the user can see it when the pane gets focus.
pub fn clamp_selection_to_view(state: &mut State) {
    if state.timeline.is_empty() {
        return;
    }
    if state.timeline.is_following() {
        state.timeline.selected = state.timeline.last_index();
        return;
    }
    let bottom = current_bottom(state);
    let (_, full_top) = top_of(state, bottom);
    let t = &mut state.timeline;
    if t.selected > bottom || t.selected < full_top {
        t.selected = bottom;
    }
}

/// Bookkeeping after the view moved: the "N new below" count, and fetching the page
/// before the oldest message once the top of what we have is on screen.
pub fn after_view_change(state: &mut State, effects: &mut Vec<Effect>) {
    if state.timeline.is_empty() {
        return;
    }
    let bottom = current_bottom(state);
    let t = &state.timeline;
    let marker = t.unread_marker.as_deref().and_then(|id| t.index_of(id));
    let unread_below = match marker {
        Some(m) if !t.is_following() => t.len() - (bottom + 1).max(m),
        _ => 0,
    };
    let (top, _) = top_of(state, bottom);
    let t = &mut state.timeline;
    t.unread_below = unread_below;
    if top == 0
        && t.loaded
        && t.has_more
        && !t.loading_older
        && let Some(first) = t.messages.first()
    {
        t.loading_older = true;
        effects.push(Effect::Net(Command::LoadOlder {
            before: first.message_id.clone(),
        }));
    }
}
