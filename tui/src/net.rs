//! The network task. It owns the gRPC channel and the session, carries out the
//! `Command`s that `update` asks for, and reports everything back to the UI's event
//! queue as `NetEvent`s. Nothing here touches the state or the screen.

mod ack;
mod backoff;
mod calls;
mod client;
pub mod gateway;
mod rooms;
mod session;
mod subscribe;

pub use session::refresh_delay;

use crate::app::{Command, Event, NetEvent, RpcError};
use chat_protocol::auth::v1::auth_service_client::AuthServiceClient;
use chat_protocol::auth::v1::{SignInRequest, SignInResponse, SignUpRequest};
use gateway::GatewayLink;
use session::{RPC_TIMEOUT, Session};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tonic::Code;
use tonic::transport::Channel;
use tracing::info;

/// The most quitting waits for the network task (its sign-out gives up sooner).
const QUIT_WITHIN: Duration = Duration::from_millis(900);

pub struct NetHandle {
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
}

impl NetHandle {
    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    /// Lets the task sign out, within a short limit: quitting must stay quick, and a
    /// closed terminal (an ssh drop) must end the process within a second.
    pub async fn shutdown(self) {
        drop(self.commands);
        let _ = tokio::time::timeout(QUIT_WITHIN, self.task).await;
    }
}

pub fn spawn(
    server: &str,
    ca_file: Option<&std::path::Path>,
    events: mpsc::UnboundedSender<Event>,
) -> anyhow::Result<NetHandle> {
    let channel = client::channel(server, ca_file)?;
    Ok(spawn_on(channel, events, None, None))
}

/// The network task on a channel made elsewhere (the ssh gateway shares one among its
/// sessions), starting signed in when the caller already signed in (`signed_in`).
/// `gateway`: the ssh connection's standing with the server, for a session over ssh.
pub fn spawn_on(
    channel: Channel,
    events: mpsc::UnboundedSender<Event>,
    signed_in: Option<SignInResponse>,
    gateway: Option<GatewayLink>,
) -> NetHandle {
    let (commands, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(actor(channel, events, rx, signed_in, gateway));
    NetHandle { commands, task }
}

/// A channel to the server at `server` (lazy: nothing connects until the first call).
pub fn channel(server: &str, ca_file: Option<&std::path::Path>) -> anyhow::Result<Channel> {
    client::channel(server, ca_file)
}

fn emit(events: &mpsc::UnboundedSender<Event>, event: NetEvent) {
    let _ = events.send(Event::Net(event));
}

async fn actor(
    channel: Channel,
    events: mpsc::UnboundedSender<Event>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    signed_in: Option<SignInResponse>,
    gateway: Option<GatewayLink>,
) {
    let gateway = gateway.unwrap_or_default();
    let mut session: Option<Session> = signed_in.map(|s| started(&channel, &s, &events));
    while let Some(command) = commands.recv().await {
        // A session whose refresh was refused has already told the UI it is over.
        if session.as_ref().is_some_and(Session::is_over) {
            session = None;
        }
        match command {
            Command::SignIn {
                user_name,
                password,
            } => {
                end(&mut session);
                match sign_in(&channel, user_name, password, &gateway).await {
                    Ok(signed_in) => session = Some(started(&channel, &signed_in, &events)),
                    Err(error) => emit(&events, NetEvent::AuthFailed(error)),
                }
            }
            Command::SignUp {
                user_name,
                password,
                existing_ok,
            } => {
                end(&mut session);
                match sign_up(&channel, user_name, password, existing_ok, &gateway).await {
                    Ok(signed_in) => session = Some(started(&channel, &signed_in, &events)),
                    Err(error) => emit(&events, NetEvent::AuthFailed(error)),
                }
            }
            Command::SignOut => {
                if let Some(s) = session.take() {
                    s.sign_out().await;
                }
                emit(&events, NetEvent::SignedOut { reason: None });
            }
            Command::SshKey(op) => match &session {
                Some(s) if gateway.secret.is_some() => {
                    tokio::spawn(gateway::key_op(s.ctx.clone(), gateway.clone(), op));
                }
                Some(_) => emit(
                    &events,
                    NetEvent::SshKeys(Err(RpcError::new(
                        Code::FailedPrecondition,
                        "ssh keys are kept only through an ssh gateway that the server trusts \
                         (CHAT__AUTH__GATEWAY_SECRET): connect with ssh to use :key",
                    ))),
                ),
                None => info!("dropped :key: not signed in"),
            },
            other => match &session {
                Some(s) => s.handle(other),
                None => info!(?other, "dropped: not signed in"),
            },
        }
    }
    // The UI quit: end the session on the server. A session left behind would be queued
    // every event for weeks, and every start of the client would leave one more.
    if let Some(s) = session {
        s.sign_out().await;
    }
}

fn end(session: &mut Option<Session>) {
    if let Some(s) = session.take() {
        s.ctx.cancel.cancel();
    }
}

fn started(
    channel: &Channel,
    signed_in: &SignInResponse,
    events: &mpsc::UnboundedSender<Event>,
) -> Session {
    info!(user = %signed_in.user_name, "signed in");
    // The UI must hear about the sign-in before the session's first events.
    emit(
        events,
        NetEvent::SignedIn {
            user_id: signed_in.user_id.clone(),
            user_name: signed_in.user_name.clone(),
        },
    );
    Session::start(channel.clone(), signed_in, events.clone())
}

/// Ends a session that was signed into but never used (an ssh connection that
/// authenticated and left without opening the chat). Best effort, briefly.
pub async fn sign_out_unused(channel: Channel, access_token: String) {
    let (_, token) = tokio::sync::watch::channel(access_token);
    let (_, mut auth) = client::clients(channel, token);
    let request = chat_protocol::auth::v1::SignOutRequest {};
    match tokio::time::timeout(RPC_TIMEOUT, auth.sign_out(request)).await {
        Ok(Ok(_)) => info!("an unused session signed out"),
        Ok(Err(status)) => info!(%status, "an unused session's sign-out was refused"),
        Err(_) => info!("an unused session's sign-out timed out"),
    }
}

/// Signs in with a password: for the ssh gateway's password check too, which names the
/// ssh client's address through `gateway` (the default link names nothing).
pub async fn sign_in(
    channel: &Channel,
    user_name: String,
    password: String,
    gateway: &GatewayLink,
) -> Result<SignInResponse, RpcError> {
    let mut auth = AuthServiceClient::new(channel.clone());
    let mut request = tonic::Request::new(SignInRequest {
        user_name,
        password,
    });
    gateway.stamp(&mut request);
    match tokio::time::timeout(RPC_TIMEOUT, auth.sign_in(request)).await {
        Ok(Ok(response)) => Ok(response.into_inner()),
        Ok(Err(status)) => Err(status.into()),
        Err(_) => Err(RpcError::new(
            Code::DeadlineExceeded,
            "the server did not answer",
        )),
    }
}

async fn sign_up(
    channel: &Channel,
    user_name: String,
    password: String,
    existing_ok: bool,
    gateway: &GatewayLink,
) -> Result<SignInResponse, RpcError> {
    let mut auth = AuthServiceClient::new(channel.clone());
    let request = SignUpRequest {
        user_name: user_name.clone(),
        password: password.clone(),
    };
    match tokio::time::timeout(RPC_TIMEOUT, auth.sign_up(request)).await {
        Ok(Ok(_)) => {}
        Ok(Err(status)) if status.code() == Code::AlreadyExists && existing_ok => {}
        Ok(Err(status)) => return Err(status.into()),
        Err(_) => {
            return Err(RpcError::new(
                Code::DeadlineExceeded,
                "the server did not answer",
            ));
        }
    }
    sign_in(channel, user_name, password, gateway).await
}
