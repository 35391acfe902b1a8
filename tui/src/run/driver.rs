//! The loop every client runs, on a local terminal or on an ssh channel: one queue of
//! events, `update` for each, the effects carried out, one redraw per burst. What only
//! a local terminal can do (the external editor, the message cache) is asked of a
//! [`Host`].

use crate::app::state::State;
use crate::app::{Effect, Event, Page, update};
use crate::net::NetHandle;
use crate::terminal::QuietBackend;
use crate::ui;
use chat_protocol::chat::v1::Message;
use ratatui::Terminal;
use ratatui::layout::Size;
use std::io::Write;
use tokio::sync::mpsc;
use tracing::info;

/// A terminal the client draws on through a backend that never queries it.
pub type Screen<W> = Terminal<QuietBackend<W>>;

/// What the place the client runs in provides besides drawing.
pub trait Host {
    type Writer: Write;

    /// `$EDITOR` on the draft: the edited text, or why there is none.
    fn edit_draft(
        &mut self,
        screen: &mut Screen<Self::Writer>,
        text: &str,
    ) -> Result<String, String>;

    fn load_cache(&self, user_id: &str) -> Option<Page>;

    fn save_cache(&self, user_id: &str, messages: &[Message], has_more: bool);

    fn forget_cache(&self, user_id: &str);

    /// Called before each frame: a host that had to drop output clears the screen here,
    /// so the next frame is drawn whole.
    fn before_draw(&mut self, _screen: &mut Screen<Self::Writer>) {}
}

/// What the loop works with.
pub struct Parts<'a, H: Host> {
    pub screen: &'a mut Screen<H::Writer>,
    pub host: &'a mut H,
    pub net: &'a NetHandle,
    pub events: &'a mpsc::UnboundedSender<Event>,
    pub queue: &'a mut mpsc::UnboundedReceiver<Event>,
}

/// Runs until the user quits, the terminal is gone or the queue closes. `first` are
/// the effects of what happened before the loop (the first size, an automatic sign-in).
pub async fn drive<H: Host>(parts: Parts<'_, H>, state: &mut State, first: Vec<Effect>) {
    let Parts {
        screen,
        host,
        net,
        events,
        queue,
    } = parts;
    let mut quit = apply(screen, host, net, events, first);
    let mut title = String::new();
    while !quit {
        host.before_draw(screen);
        // A terminal that cannot be written to is gone (an ssh drop): leave cleanly.
        let links = screen.backend().links();
        let drawn = screen.draw(|frame| {
            let on_screen = ui::render(state, frame);
            links.set(on_screen);
        });
        if let Err(e) = drawn {
            info!(%e, "the terminal cannot be drawn on; quitting");
            break;
        }
        // The window's title says how much is unread, written only when it changes.
        let now = ui::title(state);
        if now != title {
            if let Err(e) = screen.backend_mut().set_title(&now) {
                info!(%e, "setting the title failed");
            }
            title = now;
        }
        let Some(event) = queue.recv().await else {
            break;
        };
        quit = handle(screen, host, net, events, state, event);
        // Take everything already queued before drawing again: a burst of events
        // (a reconnect replaying a backlog, a paste) costs one redraw, not hundreds.
        while !quit {
            let Ok(event) = queue.try_recv() else {
                break;
            };
            quit = handle(screen, host, net, events, state, event);
        }
    }
}

/// One event: the state's update, then its effects. True when it is time to quit.
fn handle<H: Host>(
    screen: &mut Screen<H::Writer>,
    host: &mut H,
    net: &NetHandle,
    events: &mpsc::UnboundedSender<Event>,
    state: &mut State,
    event: Event,
) -> bool {
    if let Event::Resize(width, height) = event {
        screen.backend_mut().set_size(Size::new(width, height));
    }
    let effects = update(state, event);
    apply(screen, host, net, events, effects)
}

/// Carries out effects; true when it is time to quit.
fn apply<H: Host>(
    screen: &mut Screen<H::Writer>,
    host: &mut H,
    net: &NetHandle,
    events: &mpsc::UnboundedSender<Event>,
    effects: Vec<Effect>,
) -> bool {
    let mut quit = false;
    for effect in effects {
        match effect {
            Effect::Net(command) => net.send(command),
            Effect::EditDraft { text } => {
                let result = host.edit_draft(screen, &text);
                let _ = events.send(Event::Edited(result));
            }
            Effect::ClearScreen => {
                // Only writes (see QuietBackend); a failure shows at the next draw.
                if let Err(e) = screen.clear() {
                    info!(%e, "clearing the screen failed");
                }
            }
            Effect::LoadCache { user_id } => {
                if let Some(page) = host.load_cache(&user_id) {
                    let _ = events.send(Event::CacheLoaded(page));
                }
            }
            Effect::SaveCache {
                user_id,
                messages,
                has_more,
            } => host.save_cache(&user_id, &messages, has_more),
            Effect::ForgetCache { user_id } => host.forget_cache(&user_id),
            Effect::Wake { after, token } => {
                let events = events.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    let _ = events.send(Event::Wake(token));
                });
            }
            Effect::Bell { text } => {
                if let Err(e) = screen.backend_mut().bell(&text) {
                    info!(%e, "ringing the bell failed");
                }
            }
            Effect::Copy { text } => {
                if let Err(e) = screen.backend_mut().copy(&text) {
                    info!(%e, "copying failed");
                }
            }
            Effect::Quit => quit = true,
        }
    }
    quit
}
