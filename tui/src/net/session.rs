//! One signed-in session: its clients, its tokens, and the background tasks that keep
//! it alive (token refresh, the event stream, acks, the send status). Cancelling the
//! session's token stops all of them.

use super::ack::AckBatcher;
use super::backoff::Backoff;
use super::calls::{self, Mutation};
use super::client::{self, Auth, Chat};
use super::rooms::{self, Open};
use super::subscribe;
use crate::app::{Command, Event, NetEvent, PageKind, RpcError};
use chat_protocol::auth::v1::auth_service_client::AuthServiceClient;
use chat_protocol::auth::v1::{RefreshRequest, SignInResponse, SignOutRequest};
use chat_protocol::chat::v1::{AckRequest, GetSendStatusRequest};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tracing::{info, warn};

/// Every unary call gives up after this long; the user sees an error, not a hang, and
/// within the 10 s in which a hung server must show.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(8);

/// What the session's tasks share. Cheap to clone.
#[derive(Clone)]
pub struct Ctx {
    /// For clients other than the two below (the gateway's calls).
    pub channel: Channel,
    pub chat: Chat,
    pub auth: Auth,
    /// Refresh needs no access token; a plain client never sends a stale one.
    pub auth_plain: AuthServiceClient<Channel>,
    pub access_token: Arc<watch::Sender<String>>,
    pub refresh_token: Arc<Mutex<String>>,
    /// Ask for a token refresh now (a call was refused with UNAUTHENTICATED).
    pub refresh_now: Arc<Notify>,
    /// Skip the rest of the reconnect backoff (Ctrl+R).
    pub reconnect_now: Arc<Notify>,
    /// Fetch the send status of these rooms (coalesced: many requests for a room, one
    /// call).
    pub status_now: Arc<Notify>,
    pub status_rooms: Arc<Mutex<BTreeSet<String>>>,
    pub cancel: CancellationToken,
    events: mpsc::UnboundedSender<Event>,
}

impl Ctx {
    pub fn emit(&self, event: NetEvent) {
        // The UI is gone only when quitting; nothing to do then.
        let _ = self.events.send(Event::Net(event));
    }
}

pub struct Session {
    pub ctx: Ctx,
    acks: mpsc::UnboundedSender<u64>,
    mutations: mpsc::UnboundedSender<Mutation>,
}

impl Session {
    pub fn start(
        channel: Channel,
        signed_in: &SignInResponse,
        events: mpsc::UnboundedSender<Event>,
    ) -> Self {
        let (access_token, token_rx) = watch::channel(signed_in.access_token.clone());
        let (chat, auth) = client::clients(channel.clone(), token_rx);
        let ctx = Ctx {
            channel: channel.clone(),
            chat,
            auth,
            auth_plain: AuthServiceClient::new(channel.clone()),
            access_token: Arc::new(access_token),
            refresh_token: Arc::new(Mutex::new(signed_in.refresh_token.clone())),
            refresh_now: Arc::new(Notify::new()),
            reconnect_now: Arc::new(Notify::new()),
            status_now: Arc::new(Notify::new()),
            status_rooms: Arc::new(Mutex::new(BTreeSet::new())),
            cancel: CancellationToken::new(),
            events,
        };
        let (acks, ack_rx) = mpsc::unbounded_channel();
        let (mutations, mutation_rx) = mpsc::unbounded_channel();
        let expires_at = signed_in.access_expires_at.and_then(to_system_time);
        tokio::spawn(refresher(ctx.clone(), expires_at));
        tokio::spawn(subscribe::run(ctx.clone()));
        tokio::spawn(acker(ctx.clone(), ack_rx));
        tokio::spawn(status_worker(ctx.clone()));
        tokio::spawn(calls::mutation_worker(ctx.clone(), mutation_rx));
        Self {
            ctx,
            acks,
            mutations,
        }
    }

    pub fn is_over(&self) -> bool {
        self.ctx.cancel.is_cancelled()
    }

    /// Carries out a command that needs the session.
    pub fn handle(&self, command: Command) {
        let ctx = &self.ctx;
        match command {
            Command::LoadNewest { room } => {
                spawn_in(ctx, calls::load_page(ctx.clone(), room, PageKind::Newest));
            }
            Command::LoadOlder { room, before } => spawn_in(
                ctx,
                calls::load_page(ctx.clone(), room, PageKind::Older { before }),
            ),
            Command::ListRooms { public } => spawn_in(ctx, rooms::list(ctx.clone(), public)),
            Command::ListMembers { room } => spawn_in(ctx, rooms::members(ctx.clone(), room)),
            Command::CreateRoom { name } => {
                spawn_in(ctx, rooms::open(ctx.clone(), Open::Create(name)));
            }
            Command::JoinRoom { name } => spawn_in(ctx, rooms::open(ctx.clone(), Open::Join(name))),
            Command::OpenDirect { user_name } => {
                spawn_in(ctx, rooms::open(ctx.clone(), Open::Direct(user_name)));
            }
            Command::LeaveRoom { room } => spawn_in(ctx, rooms::leave(ctx.clone(), room)),
            Command::EditMessage {
                message_id,
                content,
            } => {
                let _ = self.mutations.send(Mutation::Change {
                    message_id,
                    content: Some(content),
                });
            }
            Command::DeleteMessage { message_id } => {
                let _ = self.mutations.send(Mutation::Change {
                    message_id,
                    content: None,
                });
            }
            Command::GetMessage { message_id } => {
                spawn_in(ctx, calls::get_message(ctx.clone(), message_id));
            }
            Command::Send {
                room,
                content,
                client_request_id,
            } => {
                let _ = self.mutations.send(Mutation::Send {
                    room,
                    content,
                    client_request_id,
                });
            }
            Command::React {
                op,
                message_id,
                emoji,
            } => {
                let _ = self.mutations.send(Mutation::React {
                    op,
                    message_id,
                    emoji,
                    add: true,
                });
            }
            Command::Unreact {
                op,
                message_id,
                emoji,
            } => {
                let _ = self.mutations.send(Mutation::React {
                    op,
                    message_id,
                    emoji,
                    add: false,
                });
            }
            Command::Ack { up_to } => {
                let _ = self.acks.send(up_to);
            }
            Command::RefreshSendStatus { room } => {
                if let Ok(mut rooms) = ctx.status_rooms.lock() {
                    rooms.insert(room);
                }
                ctx.status_now.notify_one();
            }
            Command::ReconnectNow => ctx.reconnect_now.notify_one(),
            Command::SignIn { .. }
            | Command::SignUp { .. }
            | Command::SignOut
            | Command::SshKey(_) => {}
        }
    }

    /// Ends the session on the server (best effort: we are leaving either way). Its queue
    /// goes with it, so no last ack is needed. Quick enough for a quit (the UI waits 0.9 s).
    pub async fn sign_out(self) {
        // Stop the tasks first: once the server ends the session, the stream and the
        // refresher would see their tokens refused and report a spurious "session ended".
        self.ctx.cancel.cancel();
        let mut auth = self.ctx.auth.clone();
        match tokio::time::timeout(Duration::from_millis(700), auth.sign_out(SignOutRequest {}))
            .await
        {
            Ok(Ok(_)) => info!("signed out"),
            Ok(Err(status)) => warn!(%status, "sign-out refused"),
            Err(_) => warn!("sign-out timed out"),
        }
    }
}

/// Runs a future until it finishes or the session ends.
pub fn spawn_in<F>(ctx: &Ctx, future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let cancel = ctx.cancel.clone();
    tokio::spawn(async move {
        tokio::select! {
            () = cancel.cancelled() => {}
            () = future => {}
        }
    });
}

pub fn to_system_time(t: prost_types::Timestamp) -> Option<SystemTime> {
    let secs = u64::try_from(t.seconds).ok()?;
    let nanos = u32::try_from(t.nanos).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

/// When to refresh an access token that expires at `expires_at`: a minute before, or
/// after three quarters of a short lifetime. An expiry already past (a skewed clock)
/// means soon.
pub fn refresh_delay(expires_at: Option<SystemTime>, now: SystemTime) -> Duration {
    let Some(expires_at) = expires_at else {
        return Duration::from_secs(600);
    };
    match expires_at.duration_since(now) {
        Ok(lifetime) => {
            let margin = (lifetime / 4).min(Duration::from_secs(60));
            (lifetime - margin).max(Duration::from_secs(1))
        }
        Err(_) => Duration::from_secs(5),
    }
}

/// Keeps the access token fresh. The refresh token rotates on every use, and reusing an
/// old one revokes the session, so this task is the only one that ever refreshes;
/// others ask it through `refresh_now`.
async fn refresher(ctx: Ctx, mut expires_at: Option<SystemTime>) {
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    let mut wait = refresh_delay(expires_at, SystemTime::now());
    loop {
        tokio::select! {
            () = ctx.cancel.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
            () = ctx.refresh_now.notified() => {}
        }
        let refresh_token = ctx
            .refresh_token
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default();
        let mut auth = ctx.auth_plain.clone();
        let answer =
            tokio::time::timeout(RPC_TIMEOUT, auth.refresh(RefreshRequest { refresh_token })).await;
        match answer {
            Ok(Ok(response)) => {
                let fresh = response.into_inner();
                if let Ok(mut token) = ctx.refresh_token.lock() {
                    *token = fresh.refresh_token;
                }
                ctx.access_token.send_replace(fresh.access_token);
                expires_at = fresh.access_expires_at.and_then(to_system_time);
                wait = refresh_delay(expires_at, SystemTime::now());
                backoff.reset();
                info!(next_in = ?wait, "access token refreshed");
            }
            Ok(Err(status)) if !RpcError::from(status.clone()).is_transient() => {
                warn!(%status, "refresh refused; the session is over");
                ctx.emit(NetEvent::SignedOut {
                    reason: Some(format!(
                        "signed out: the session could not be renewed ({}). Sign in again.",
                        status.message()
                    )),
                });
                ctx.cancel.cancel();
                return;
            }
            Ok(Err(status)) => {
                wait = backoff.next_delay(&mut rand::rng());
                warn!(%status, retry_in = ?wait, "refresh failed");
            }
            Err(_) => {
                wait = backoff.next_delay(&mut rand::rng());
                warn!(retry_in = ?wait, "refresh timed out");
            }
        }
    }
}

/// Sends cumulative acks in batches (see `AckBatcher`).
async fn acker(ctx: Ctx, mut ids: mpsc::UnboundedReceiver<u64>) {
    let mut batch = AckBatcher::default();
    loop {
        let due = batch.due();
        let flush = tokio::select! {
            () = ctx.cancel.cancelled() => return,
            id = ids.recv() => match id {
                Some(id) => batch.push(id, tokio::time::Instant::now()),
                None => true,
            },
            () = sleep_until(due), if due.is_some() => true,
        };
        if !flush {
            continue;
        }
        let Some(up_to) = batch.take() else {
            if ids.is_closed() {
                return;
            }
            continue;
        };
        match calls::call(&ctx, |mut chat| async move {
            chat.ack(AckRequest {
                up_to_event_id: up_to,
            })
            .await
        })
        .await
        {
            Ok(_) => batch.confirmed(up_to),
            Err(error) => {
                // Not fatal: unacked events are re-sent on the next Subscribe and
                // deduplicated, so we simply try again later.
                warn!(up_to, ?error, "ack failed");
                batch.failed(up_to, tokio::time::Instant::now());
            }
        }
    }
}

async fn sleep_until(due: Option<tokio::time::Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// Fetches the send status whenever asked; requests that pile up meanwhile collapse
/// into one call.
async fn status_worker(ctx: Ctx) {
    loop {
        tokio::select! {
            () = ctx.cancel.cancelled() => return,
            () = ctx.status_now.notified() => {}
        }
        let rooms = ctx
            .status_rooms
            .lock()
            .map(|mut rooms| std::mem::take(&mut *rooms))
            .unwrap_or_default();
        for room in rooms {
            let request = GetSendStatusRequest {
                room_id: room.clone(),
            };
            match calls::call(&ctx, |mut chat| {
                let request = request.clone();
                async move { chat.get_send_status(request).await }
            })
            .await
            {
                Ok(status) => ctx.emit(NetEvent::SendStatus { room, status }),
                Err(error) => warn!(?error, room, "send status failed"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_refreshed_before_they_expire() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let hour = refresh_delay(Some(now + Duration::from_secs(3600)), now);
        assert_eq!(hour, Duration::from_secs(3540));
        let short = refresh_delay(Some(now + Duration::from_secs(20)), now);
        assert_eq!(short, Duration::from_secs(15));
        let past = refresh_delay(Some(now - Duration::from_secs(20)), now);
        assert_eq!(past, Duration::from_secs(5));
    }
}
