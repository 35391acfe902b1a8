//! Unary calls: each turns into one `NetEvent` for the UI. Mutations (send, react,
//! unreact) run one at a time in the order the user made them, so "react, then
//! unreact" can never reach the server the other way round.

use super::client::Chat;
use super::session::{Ctx, RPC_TIMEOUT};
use crate::app::{Change, NetEvent, Page, PageKind, RpcError};
use chat_protocol::chat::v1::{
    DeleteMessageRequest, EditMessageRequest, GetMessageRequest, ListMessagesRequest, ReactRequest,
    SendRequest,
};
use std::time::Duration;
use tokio::sync::mpsc;
use tonic::{Code, Status};
use tracing::{info, warn};

/// Messages per page of history.
const PAGE_SIZE: u32 = 50;

/// Calls `f` with a timeout; a call refused as UNAUTHENTICATED (the access token just
/// expired) asks the refresher for a new token, waits for it and tries once more.
pub async fn call<T, F, Fut>(ctx: &Ctx, mut f: F) -> Result<T, RpcError>
where
    F: FnMut(Chat) -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, Status>>,
{
    let mut token = ctx.access_token.subscribe();
    for attempt in 0..2 {
        token.mark_unchanged();
        match tokio::time::timeout(RPC_TIMEOUT, f(ctx.chat.clone())).await {
            Err(_) => {
                return Err(RpcError::new(
                    Code::DeadlineExceeded,
                    "the server did not answer in time",
                ));
            }
            Ok(Ok(response)) => return Ok(response.into_inner()),
            Ok(Err(status)) if status.code() == Code::Unauthenticated && attempt == 0 => {
                ctx.refresh_now.notify_one();
                if tokio::time::timeout(RPC_TIMEOUT, token.changed())
                    .await
                    .is_err()
                {
                    return Err(status.into());
                }
            }
            Ok(Err(status)) => return Err(status.into()),
        }
    }
    Err(RpcError::new(Code::Unauthenticated, "not signed in"))
}

/// Retries transient failures a few times with growing pauses.
pub(super) async fn with_retries<T, F, Fut>(tries: u32, mut f: F) -> Result<T, RpcError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RpcError>>,
{
    let mut pause = Duration::from_millis(500);
    let mut attempt = 1;
    loop {
        match f().await {
            Err(error) if error.is_transient() && attempt < tries => {
                warn!(?error, attempt, "transient failure; retrying");
                tokio::time::sleep(pause).await;
                pause *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

pub async fn load_page(ctx: Ctx, room: String, kind: PageKind) {
    let before_message_id = match &kind {
        PageKind::Newest => String::new(),
        PageKind::Older { before } => before.clone(),
    };
    let result = with_retries(3, || {
        let request = ListMessagesRequest {
            before_message_id: before_message_id.clone(),
            limit: PAGE_SIZE,
            room_id: room.clone(),
        };
        call(&ctx, move |mut chat| {
            let request = request.clone();
            async move { chat.list_messages(request).await }
        })
    })
    .await
    .map(|page| Page {
        messages: page.messages,
        has_more: page.has_more,
    });
    ctx.emit(NetEvent::Page { room, kind, result });
}

pub async fn get_message(ctx: Ctx, message_id: String) {
    let result = call(&ctx, |mut chat| {
        let message_id = message_id.clone();
        async move { chat.get_message(GetMessageRequest { message_id }).await }
    })
    .await;
    match result {
        Ok(message) => ctx.emit(NetEvent::MessageLoaded(message)),
        Err(error) => warn!(?error, "could not reload a message"),
    }
}

#[derive(Debug)]
pub enum Mutation {
    Send {
        room: String,
        content: String,
        client_request_id: String,
    },
    /// An edit (`Some(content)`) or a delete of my message.
    Change {
        message_id: String,
        content: Option<String>,
    },
    React {
        op: u64,
        message_id: String,
        emoji: String,
        add: bool,
    },
}

pub async fn mutation_worker(ctx: Ctx, mut mutations: mpsc::UnboundedReceiver<Mutation>) {
    loop {
        let mutation = tokio::select! {
            () = ctx.cancel.cancelled() => return,
            m = mutations.recv() => match m {
                Some(m) => m,
                None => return,
            },
        };
        match mutation {
            Mutation::Change {
                message_id,
                content,
            } => change(&ctx, message_id, content).await,
            Mutation::Send {
                room,
                content,
                client_request_id,
            } => {
                // The same client_request_id on every try: if a try reached the server
                // and only the answer was lost, the retry returns that first message
                // instead of posting it twice.
                let result = with_retries(3, || {
                    let request = SendRequest {
                        content: content.clone(),
                        client_request_id: client_request_id.clone(),
                        room_id: room.clone(),
                    };
                    call(&ctx, move |mut chat| {
                        let request = request.clone();
                        async move { chat.send(request).await }
                    })
                })
                .await
                .and_then(|sent| {
                    sent.message
                        .ok_or_else(|| RpcError::new(Code::Internal, "the server sent no message"))
                });
                match &result {
                    Ok(m) => info!(message_id = %m.message_id, "sent"),
                    Err(e) => info!(code = ?e.code, message = %e.message, "send refused"),
                }
                ctx.emit(NetEvent::Sent {
                    client_request_id,
                    result,
                });
            }
            Mutation::React {
                op,
                message_id,
                emoji,
                add,
            } => {
                let request = ReactRequest {
                    message_id: message_id.clone(),
                    emoji: emoji.clone(),
                };
                let result = call(&ctx, move |mut chat| {
                    let request = request.clone();
                    async move {
                        if add {
                            chat.react(request).await
                        } else {
                            chat.unreact(request).await
                        }
                    }
                })
                .await
                .and_then(|r| {
                    r.message
                        .ok_or_else(|| RpcError::new(Code::Internal, "the server sent no message"))
                });
                ctx.emit(NetEvent::Reacted {
                    op,
                    message_id,
                    emoji,
                    result,
                });
            }
        }
    }
}

/// Edits (with the new content) or deletes one of my messages. Neither is retried: a
/// lost answer is shown as an error, and the message's event tells the truth anyway.
async fn change(ctx: &Ctx, message_id: String, content: Option<String>) {
    let change_kind = if content.is_some() {
        Change::Edit
    } else {
        Change::Delete
    };
    let id = message_id.clone();
    let result = call(ctx, move |mut chat| {
        let message_id = id.clone();
        let content = content.clone();
        async move {
            match content {
                Some(content) => {
                    chat.edit_message(EditMessageRequest {
                        message_id,
                        content,
                    })
                    .await
                }
                None => {
                    chat.delete_message(DeleteMessageRequest { message_id })
                        .await
                }
            }
        }
    })
    .await;
    ctx.emit(NetEvent::MessageChanged {
        change: change_kind,
        message_id,
        result,
    });
}
