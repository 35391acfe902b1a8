//! The run loop: one queue of events (keys, signals, network), `update` for each, the
//! effects carried out, and one redraw per burst of events. Nothing redraws on a timer:
//! an idle client costs nothing, which matters over a slow ssh link.

use crate::app::state::{Settings, State};
use crate::app::{Effect, Event, auto_sign_in, update};
use crate::config::Config;
use crate::net::{self, NetHandle};
use crate::terminal::{self, Tui};
use crate::ui;
use chrono::{Local, Offset};
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind, MouseEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;
use tracing::{error, info};

pub async fn run(config: Config) -> anyhow::Result<()> {
    let (events, mut queue) = mpsc::unbounded_channel::<Event>();
    let net = net::spawn(&config.server, config.ca_file.as_deref(), events.clone())?;
    let (mut tui, guard) = terminal::setup(config.mouse)?;
    tokio::spawn(read_terminal(events.clone()));
    spawn_signal_handlers(events.clone());

    let settings = Settings {
        server: config.server.clone(),
        emoji: config.emoji.clone(),
        utc_offset: Local::now().offset().fix(),
        color: config.color,
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
    let mut quit = apply(&mut tui, &net, effects)?;

    while !quit {
        tui.draw(|frame| ui::render(&state, frame))?;
        let Some(event) = queue.recv().await else {
            break;
        };
        quit = apply(&mut tui, &net, update(&mut state, event))?;
        // Take everything already queued before drawing again: a burst of events
        // (a reconnect replaying a backlog, a paste) costs one redraw, not hundreds.
        while !quit {
            let Ok(event) = queue.try_recv() else {
                break;
            };
            quit = apply(&mut tui, &net, update(&mut state, event))?;
        }
    }
    drop(guard);
    info!("quitting");
    net.shutdown().await;
    Ok(())
}

/// Carries out effects; true when it is time to quit.
fn apply(tui: &mut Tui, net: &NetHandle, effects: Vec<Effect>) -> anyhow::Result<bool> {
    let mut quit = false;
    for effect in effects {
        match effect {
            Effect::Net(command) => net.send(command),
            Effect::ClearScreen => tui.clear()?,
            Effect::Quit => quit = true,
        }
    }
    Ok(quit)
}

async fn read_terminal(events: mpsc::UnboundedSender<Event>) {
    let mut stream = EventStream::new();
    while let Some(item) = stream.next().await {
        let event = match item {
            Ok(TermEvent::Key(key)) if key.kind != KeyEventKind::Release => Event::Key(key),
            Ok(TermEvent::Paste(text)) => Event::Paste(text),
            Ok(TermEvent::Resize(w, h)) => Event::Resize(w, h),
            Ok(TermEvent::Mouse(mouse)) => match mouse.kind {
                MouseEventKind::ScrollUp => Event::Scroll(-1),
                MouseEventKind::ScrollDown => Event::Scroll(1),
                _ => continue,
            },
            Ok(_) => continue,
            Err(e) => {
                error!(%e, "reading the terminal failed");
                let _ = events.send(Event::Terminate);
                return;
            }
        };
        if events.send(event).is_err() {
            return;
        }
    }
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
