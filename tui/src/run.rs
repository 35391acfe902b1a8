//! The run loop: one queue of events (keys, signals, network), `update` for each, the
//! effects carried out, and one redraw per burst of events. Nothing redraws on a timer:
//! an idle client costs nothing, which matters over a slow ssh link.

use crate::app::state::{Settings, State};
use crate::app::{Effect, Event, auto_sign_in, update};
use crate::config::Config;
use crate::net::{self, NetHandle};
use crate::terminal::{self, Tui};
use crate::ui;
use crate::{cache, external_editor, input};
use chrono::{Local, Offset};
use ratatui::layout::Size;
use tokio::sync::mpsc;
use tracing::{error, info};

pub async fn run(config: Config) -> anyhow::Result<()> {
    let (events, mut queue) = mpsc::unbounded_channel::<Event>();
    let net = net::spawn(&config.server, config.ca_file.as_deref(), events.clone())?;
    let (mut tui, guard) = terminal::setup(config.mouse)?;
    let input = input::spawn(events.clone());
    spawn_signal_handlers(events.clone());

    let settings = Settings {
        server: config.server.clone(),
        emoji: config.emoji.clone(),
        utc_offset: Local::now().offset().fix(),
        color: config.color,
        light: config.light,
        max_chars: config.max_chars,
        bell: config.bell,
    };
    let mut state = State::new(settings, config.keymap.clone());
    let size = tui.size()?;
    let mut effects = update(&mut state, Event::Resize(size.width, size.height));
    if let Some(c) = &config.credentials {
        effects.extend(auto_sign_in(
            &mut state,
            &c.user_name,
            &c.password,
            c.sign_up,
        ));
    }
    let io = Io {
        net: &net,
        events: &events,
        input: &input,
        config: &config,
    };
    let mut quit = apply(&mut tui, &io, effects);

    while !quit {
        // A terminal that cannot be written to is gone (an ssh drop): leave cleanly.
        if let Err(e) = tui.draw(|frame| ui::render(&state, frame)) {
            info!(%e, "the terminal cannot be drawn on; quitting");
            break;
        }
        let Some(event) = queue.recv().await else {
            break;
        };
        quit = handle(&mut tui, &io, &mut state, event);
        // Take everything already queued before drawing again: a burst of events
        // (a reconnect replaying a backlog, a paste) costs one redraw, not hundreds.
        while !quit {
            let Ok(event) = queue.try_recv() else {
                break;
            };
            quit = handle(&mut tui, &io, &mut state, event);
        }
    }
    drop(guard);
    info!("quitting");
    net.shutdown().await;
    Ok(())
}

/// What carrying out effects needs besides the terminal.
struct Io<'a> {
    net: &'a NetHandle,
    events: &'a mpsc::UnboundedSender<Event>,
    input: &'a input::Input,
    config: &'a Config,
}

/// One event: the state's update, then its effects. True when it is time to quit.
fn handle(tui: &mut Tui, io: &Io<'_>, state: &mut State, event: Event) -> bool {
    if let Event::Resize(width, height) = event {
        tui.backend_mut().set_size(Size::new(width, height));
    }
    apply(tui, io, update(state, event))
}

/// Carries out effects; true when it is time to quit.
fn apply(tui: &mut Tui, io: &Io<'_>, effects: Vec<Effect>) -> bool {
    let mut quit = false;
    for effect in effects {
        match effect {
            Effect::Net(command) => io.net.send(command),
            Effect::EditDraft { text } => {
                let result = external_editor::edit(
                    tui,
                    io.input,
                    &io.config.data_dir,
                    io.config.mouse,
                    &text,
                );
                let _ = io.events.send(Event::Edited(result));
                // The size may have changed while the editor had the screen.
                if let Ok((w, h)) = crossterm::terminal::size() {
                    let _ = io.events.send(Event::Resize(w, h));
                }
            }
            Effect::ClearScreen => {
                // Only writes (see QuietBackend); a failure shows at the next draw.
                if let Err(e) = tui.clear() {
                    info!(%e, "clearing the screen failed");
                }
            }
            Effect::LoadCache { user_id } => {
                let dir = &io.config.data_dir;
                if let Some(page) = cache::load(dir, &io.config.server, &user_id) {
                    let _ = io.events.send(Event::CacheLoaded(page));
                }
            }
            Effect::SaveCache {
                user_id,
                messages,
                has_more,
            } => cache::save(
                &io.config.data_dir,
                &io.config.server,
                &user_id,
                &messages,
                has_more,
            ),
            Effect::ForgetCache { user_id } => {
                cache::forget(&io.config.data_dir, &io.config.server, &user_id);
            }
            Effect::Wake { after, token } => {
                let events = io.events.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    let _ = events.send(Event::Wake(token));
                });
            }
            Effect::Bell => {
                if let Err(e) = tui.backend_mut().bell() {
                    info!(%e, "ringing the bell failed");
                }
            }
            Effect::Quit => quit = true,
        }
    }
    quit
}

/// SIGTERM, SIGHUP (the ssh connection dropped) and SIGINT become a clean quit, so the
/// terminal is restored. In raw mode Ctrl+C arrives as a key, not as SIGINT.
fn spawn_signal_handlers(events: mpsc::UnboundedSender<Event>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        for kind in [
            SignalKind::terminate(),
            SignalKind::hangup(),
            SignalKind::interrupt(),
        ] {
            let events = events.clone();
            match signal(kind) {
                Ok(mut stream) => {
                    tokio::spawn(async move {
                        if stream.recv().await.is_some() {
                            let _ = events.send(Event::Terminate);
                        }
                    });
                }
                Err(e) => error!(%e, "cannot handle a signal"),
            }
        }
    }
    #[cfg(not(unix))]
    {
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = events.send(Event::Terminate);
            }
        });
    }
}
