use super::observe::{call, record_user};
use crate::{
    accounts,
    auth::{Claims, Principal},
    chat::{edits, messages, reactions, rooms},
    delivery::subscription,
    error::{Error, Result},
    state::AppState,
};
use chat_protocol::{chat::v1 as pb, wire::chat_service::chat_service_server::ChatService};
use std::sync::Arc;
use tonic::{Request, Response, Status};

pub struct ChatApi {
    state: Arc<AppState>,
}

impl ChatApi {
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }

    /// The access token's claims, which the interceptor verified (signature, expiry).
    fn claims<'r, T>(&self, request: &'r Request<T>) -> Result<&'r Claims> {
        request
            .extensions()
            .get::<Claims>()
            .ok_or_else(|| Error::unauthenticated("missing access token"))
    }

    /// The interceptor verified the token; here the session is checked to be alive.
    async fn who<T>(&self, request: &Request<T>) -> Result<Principal> {
        let claims = self.claims(request)?;
        let who = accounts::authenticate(&self.state.accounts, claims).await?;
        record_user(&who.user_id);
        Ok(who)
    }
}

#[tonic::async_trait]
impl ChatService for ChatApi {
    async fn send(
        &self,
        request: Request<pb::SendRequest>,
    ) -> Result<Response<pb::SendResponse>, Status> {
        let peer = request.remote_addr();
        call("Send", peer, async {
            let who = self.who(&request).await?;
            let req = request.into_inner();
            let message = messages::send(
                &self.state.chat,
                &who,
                req.content,
                &req.client_request_id,
                &req.room_id,
            )
            .await?;
            Ok(Response::new(pb::SendResponse {
                message: Some(message),
            }))
        })
        .await
    }

    async fn react(
        &self,
        request: Request<pb::ReactRequest>,
    ) -> Result<Response<pb::ReactResponse>, Status> {
        let peer = request.remote_addr();
        call("React", peer, async {
            let who = self.who(&request).await?;
            let req = request.get_ref();
            let message =
                reactions::react(&self.state.chat, &who, &req.message_id, &req.emoji).await?;
            Ok(Response::new(pb::ReactResponse {
                message: Some(message),
            }))
        })
        .await
    }

    async fn unreact(
        &self,
        request: Request<pb::ReactRequest>,
    ) -> Result<Response<pb::ReactResponse>, Status> {
        let peer = request.remote_addr();
        call("Unreact", peer, async {
            let who = self.who(&request).await?;
            let req = request.get_ref();
            let message =
                reactions::unreact(&self.state.chat, &who, &req.message_id, &req.emoji).await?;
            Ok(Response::new(pb::ReactResponse {
                message: Some(message),
            }))
        })
        .await
    }

    async fn get_message(
        &self,
        request: Request<pb::GetMessageRequest>,
    ) -> Result<Response<pb::Message>, Status> {
        let peer = request.remote_addr();
        call("GetMessage", peer, async {
            let who = self.who(&request).await?;
            Ok(Response::new(
                messages::get(&self.state.chat, &who, &request.get_ref().message_id).await?,
            ))
        })
        .await
    }

    async fn list_messages(
        &self,
        request: Request<pb::ListMessagesRequest>,
    ) -> Result<Response<pb::ListMessagesResponse>, Status> {
        let peer = request.remote_addr();
        call("ListMessages", peer, async {
            let who = self.who(&request).await?;
            let req = request.get_ref();
            let (messages, has_more) = messages::list(
                &self.state.chat,
                &who,
                &req.room_id,
                &req.before_message_id,
                req.limit,
            )
            .await?;
            Ok(Response::new(pb::ListMessagesResponse {
                messages,
                has_more,
            }))
        })
        .await
    }

    async fn get_send_status(
        &self,
        request: Request<pb::GetSendStatusRequest>,
    ) -> Result<Response<pb::SendStatus>, Status> {
        let peer = request.remote_addr();
        call("GetSendStatus", peer, async {
            let who = self.who(&request).await?;
            Ok(Response::new(
                messages::send_status(&self.state.chat, &who, &request.get_ref().room_id).await?,
            ))
        })
        .await
    }

    type SubscribeStream = subscription::EventStream;

    async fn subscribe(
        &self,
        request: Request<pb::SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let peer = request.remote_addr();
        call("Subscribe", peer, async {
            let who = self.who(&request).await?;
            Ok(Response::new(subscription::open(
                self.state.delivery.clone(),
                who,
            )))
        })
        .await
    }

    async fn ack(
        &self,
        request: Request<pb::AckRequest>,
    ) -> Result<Response<pb::AckResponse>, Status> {
        let peer = request.remote_addr();
        call("Ack", peer, async {
            // The session is checked alive by the flush that writes the mark, with every
            // other mark of that flush in one statement (`delivery::acks`), not here.
            let claims = self.claims(&request)?;
            record_user(&claims.sub);
            let up_to = i64::try_from(request.get_ref().up_to_event_id)
                .map_err(|_| Error::invalid("up_to_event_id is out of range"))?;
            self.state
                .delivery
                .acks
                .acknowledge(&claims.sid, up_to)
                .await?;
            Ok(Response::new(pb::AckResponse {}))
        })
        .await
    }
    async fn create_room(
        &self,
        request: Request<pb::CreateRoomRequest>,
    ) -> Result<Response<pb::Room>, Status> {
        let peer = request.remote_addr();
        call("CreateRoom", peer, async {
            let who = self.who(&request).await?;
            let room = rooms::create(&self.state.chat, &who, &request.get_ref().name).await?;
            Ok(Response::new(room))
        })
        .await
    }

    async fn join_room(
        &self,
        request: Request<pb::JoinRoomRequest>,
    ) -> Result<Response<pb::Room>, Status> {
        let peer = request.remote_addr();
        call("JoinRoom", peer, async {
            let who = self.who(&request).await?;
            let req = request.get_ref();
            let room = rooms::join(&self.state.chat, &who, &req.room_id, &req.name).await?;
            Ok(Response::new(room))
        })
        .await
    }

    async fn leave_room(
        &self,
        request: Request<pb::LeaveRoomRequest>,
    ) -> Result<Response<pb::LeaveRoomResponse>, Status> {
        let peer = request.remote_addr();
        call("LeaveRoom", peer, async {
            let who = self.who(&request).await?;
            rooms::leave(&self.state.chat, &who, &request.get_ref().room_id).await?;
            Ok(Response::new(pb::LeaveRoomResponse {}))
        })
        .await
    }

    async fn list_rooms(
        &self,
        request: Request<pb::ListRoomsRequest>,
    ) -> Result<Response<pb::ListRoomsResponse>, Status> {
        let peer = request.remote_addr();
        call("ListRooms", peer, async {
            let who = self.who(&request).await?;
            let rooms = rooms::list(&self.state.chat, &who, request.get_ref().public_only).await?;
            Ok(Response::new(pb::ListRoomsResponse { rooms }))
        })
        .await
    }

    async fn open_direct(
        &self,
        request: Request<pb::OpenDirectRequest>,
    ) -> Result<Response<pb::Room>, Status> {
        let peer = request.remote_addr();
        call("OpenDirect", peer, async {
            let who = self.who(&request).await?;
            let room =
                rooms::open_direct(&self.state.chat, &who, &request.get_ref().user_name).await?;
            Ok(Response::new(room))
        })
        .await
    }

    async fn list_members(
        &self,
        request: Request<pb::ListMembersRequest>,
    ) -> Result<Response<pb::ListMembersResponse>, Status> {
        let peer = request.remote_addr();
        call("ListMembers", peer, async {
            let who = self.who(&request).await?;
            let members =
                rooms::members(&self.state.chat, &who, &request.get_ref().room_id).await?;
            Ok(Response::new(pb::ListMembersResponse { members }))
        })
        .await
    }

    async fn edit_message(
        &self,
        request: Request<pb::EditMessageRequest>,
    ) -> Result<Response<pb::Message>, Status> {
        let peer = request.remote_addr();
        call("EditMessage", peer, async {
            let who = self.who(&request).await?;
            let req = request.into_inner();
            let message = edits::edit(&self.state.chat, &who, &req.message_id, req.content).await?;
            Ok(Response::new(message))
        })
        .await
    }

    async fn delete_message(
        &self,
        request: Request<pb::DeleteMessageRequest>,
    ) -> Result<Response<pb::Message>, Status> {
        let peer = request.remote_addr();
        call("DeleteMessage", peer, async {
            let who = self.who(&request).await?;
            let message =
                edits::delete(&self.state.chat, &who, &request.get_ref().message_id).await?;
            Ok(Response::new(message))
        })
        .await
    }
}
