//! The run loop: one queue of events (keys, signals, network), `update` for each, the
//! effects carried out, and one redraw per burst of events. Nothing redraws on a timer:
//! an idle client costs nothing, which matters over a slow ssh link.

use crate::app::state::{Settings, State};
use crate::app::{Event, Page, auto_sign_in, update};
use crate::config::Config;
use crate::net;
use crate::terminal::{self, Tui};
use crate::{cache, external_editor, input};
use chat_protocol::chat::v1::Message;
use chrono::{Local, Offset};
use driver::{Host, Parts, drive};
use std::io::Stdout;
use tokio::sync::mpsc;
use tracing::{error, info};

pub mod driver;

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
    let mut first = update(&mut state, Event::Resize(size.width, size.height));
    if let Some(c) = &config.credentials {
        first.extend(auto_sign_in(
            &mut state,
            &c.user_name,
            &c.password,
            c.sign_up,
        ));
    }
    let mut host = LocalHost {
        input: &input,
        config: &config,
        events: &events,
    };
    let parts = Parts {
        screen: &mut tui,
        host: &mut host,
        net: &net,
        events: &events,
        queue: &mut queue,
    };
    drive(parts, &mut state, first).await;
    drop(guard);
    info!("quitting");
    net.shutdown().await;
    Ok(())
}

/// The local terminal: it can hand the screen to `$EDITOR`, and keeps a cache of the
/// conversation in the data directory.
struct LocalHost<'a> {
    input: &'a input::Input,
    config: &'a Config,
    events: &'a mpsc::UnboundedSender<Event>,
}

impl Host for LocalHost<'_> {
    type Writer = Stdout;

    fn edit_draft(&mut self, screen: &mut Tui, text: &str) -> Result<String, String> {
        let config = self.config;
        let result =
            external_editor::edit(screen, self.input, &config.data_dir, config.mouse, text);
        // The size may have changed while the editor had the screen.
        if let Ok((w, h)) = crossterm::terminal::size() {
            let _ = self.events.send(Event::Resize(w, h));
        }
        result
    }

    fn load_cache(&self, user_id: &str) -> Option<Page> {
        cache::load(&self.config.data_dir, &self.config.server, user_id)
    }

    fn save_cache(&self, user_id: &str, messages: &[Message], has_more: bool) {
        cache::save(
            &self.config.data_dir,
            &self.config.server,
            user_id,
            messages,
            has_more,
        );
    }

    fn forget_cache(&self, user_id: &str) {
        cache::forget(&self.config.data_dir, &self.config.server, user_id);
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
