//! One ssh session: the same state, `update` and `render` as the local client, driven by
//! the channel's bytes and drawn on the channel. Nothing is shared with other sessions
//! but the gRPC channel.

use super::screen::{RemoteHost, channel_writer};
use crate::app::state::{Field, Settings, State};
use crate::app::{Event, update};
use crate::keymap::KeyMap;
use crate::run::driver::{Parts, drive};
use crate::terminal::QuietBackend;
use crate::{input, net};
use chat_protocol::auth::v1::SignInResponse;
use crossterm::event::{
    DisableBracketedPaste, DisableFocusChange, EnableBracketedPaste, EnableFocusChange,
};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::Terminal;
use ratatui::layout::Size;
use russh::ChannelId;
use russh::server::Handle;
use std::io::Write as _;
use tokio::sync::mpsc;
use tonic::transport::Channel;
use tracing::{info, warn};

/// Everything a session starts from, gathered by the ssh handler.
pub struct Start {
    pub grpc: Channel,
    pub server: String,
    /// The connection's standing with the server (its secret, address and ssh key).
    pub link: net::gateway::GatewayLink,
    pub handle: Handle,
    pub channel: ChannelId,
    pub size: (u16, u16),
    /// Signed in at the ssh layer (password), or `None`: the sign-in screen.
    pub signed_in: Option<SignInResponse>,
    /// The ssh user name, filled in on the sign-in screen.
    pub user_name: String,
    /// `ssh new@host`: the sign-up screen.
    pub sign_up: bool,
    /// False when the client sent NO_COLOR.
    pub color: bool,
    pub bytes: mpsc::UnboundedReceiver<Vec<u8>>,
    pub events: mpsc::UnboundedSender<Event>,
    pub queue: mpsc::UnboundedReceiver<Event>,
}

pub async fn run(start: Start) {
    let Start {
        grpc,
        server,
        link,
        handle,
        channel,
        size,
        signed_in,
        user_name,
        sign_up,
        color,
        bytes,
        events,
        mut queue,
    } = start;
    let (mut writer, sender) = channel_writer(handle.clone(), channel, events.clone());
    if let Err(e) = execute!(
        writer,
        EnterAlternateScreen,
        EnableBracketedPaste,
        EnableFocusChange
    ) {
        warn!(%e, "could not set the terminal up");
    }
    let _ = writer.write_all(crate::terminal::SAVE_TITLE);
    let mut screen = match Terminal::new(QuietBackend::new(writer, Size::new(size.0, size.1))) {
        Ok(screen) => screen,
        Err(e) => {
            warn!(%e, "no screen");
            return;
        }
    };
    tokio::spawn(input::parse_bytes(bytes, events.clone()));
    let signed_in_already = signed_in.is_some();
    let net = net::spawn_on(grpc, events.clone(), signed_in, Some(link));
    let settings = Settings {
        server,
        color,
        // The client's zone is not sent over ssh: times are UTC, and say so nowhere
        // else than here. (TZ could come with `SendEnv`; most clients do not send it.)
        ..Settings::default()
    };
    let mut state = State::new(settings, KeyMap::default());
    let first = update(&mut state, Event::Resize(size.0, size.1));
    // Until the network task says so, the form shows what happens.
    state.signin.busy = signed_in_already;
    if state.me.is_none() {
        state.signin.user_name.set_text(&user_name);
        state.signin.sign_up = sign_up;
        if !user_name.is_empty() {
            state.signin.field = Field::Password;
        }
    }
    let parts = Parts {
        screen: &mut screen,
        host: &mut RemoteHost,
        net: &net,
        events: &events,
        queue: &mut queue,
    };
    drive(parts, &mut state, first).await;
    info!(user = state.my_name(), "ssh session ended");
    let _ = execute!(
        screen.backend_mut(),
        DisableFocusChange,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = screen
        .backend_mut()
        .write_all(crate::terminal::RESTORE_TITLE)
        .and_then(|()| std::io::Write::flush(screen.backend_mut()));
    // The session on the server ends with the ssh session: nothing queues for it after.
    net.shutdown().await;
    drop(screen);
    // What is still queued reaches the client before the channel closes.
    let _ = sender.await;
    let _ = handle.exit_status_request(channel, 0).await;
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
}
