//! The `chat.v1.ChatService` route: Subscribe goes to the session's queue through the
//! frame codec (events encoded once, `frame`), every other method to the generated
//! `ChatServiceServer` with the ordinary prost codec. To tonic and to clients it is one
//! service with one name, as chat-server serves it.

use super::{
    accounts::authorize,
    chat::ChatApi,
    frame::{Frame, FrameCodec},
    session::EventStream,
    world::World,
};
use chat_protocol::chat::v1::{self as pb, chat_service_server::ChatServiceServer};
use std::{
    convert::Infallible,
    sync::Arc,
    task::{Context, Poll},
};
use tonic::{
    Request, Response, Status,
    body::Body,
    codegen::{BoxFuture, Service, http},
    server::{Grpc, NamedService, ServerStreamingService},
};

const SUBSCRIBE: &str = "/chat.v1.ChatService/Subscribe";

#[derive(Clone)]
pub struct ChatRoutes {
    generated: ChatServiceServer<ChatApi>,
    world: Arc<World>,
    max_request_bytes: usize,
}

impl ChatRoutes {
    pub fn new(world: Arc<World>, max_request_bytes: usize) -> Self {
        let generated = ChatServiceServer::new(ChatApi {
            world: world.clone(),
        })
        .max_decoding_message_size(max_request_bytes);
        Self {
            generated,
            world,
            max_request_bytes,
        }
    }
}

impl NamedService for ChatRoutes {
    const NAME: &'static str = <ChatServiceServer<ChatApi> as NamedService>::NAME;
}

impl Service<http::Request<Body>> for ChatRoutes {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<http::Request<Body>>::poll_ready(&mut self.generated, cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        if req.uri().path() != SUBSCRIBE {
            return self.generated.call(req);
        }
        let subscribe = Subscribe(self.world.clone());
        let limit = self.max_request_bytes;
        Box::pin(async move {
            let mut grpc = Grpc::new(FrameCodec).apply_max_message_size_config(Some(limit), None);
            Ok(grpc.server_streaming(subscribe, req).await)
        })
    }
}

/// Subscribe: the caller's session's stream (backlog, then live).
struct Subscribe(Arc<World>);

impl ServerStreamingService<pb::SubscribeRequest> for Subscribe {
    type Response = Frame;
    type ResponseStream = EventStream;
    type Future = BoxFuture<Response<EventStream>, Status>;

    fn call(&mut self, request: Request<pb::SubscribeRequest>) -> Self::Future {
        let opened = authorize(&self.0, request.metadata()).map(|s| Response::new(s.subscribe()));
        Box::pin(async move { opened })
    }
}
