//! Room calls: the room lists, members, and joining, creating, opening a DM, leaving.
//! Each reports one `NetEvent`.

use super::calls::{call, with_retries};
use super::session::Ctx;
use crate::app::NetEvent;
use chat_protocol::chat::v1::{
    CreateRoomRequest, JoinRoomRequest, LeaveRoomRequest, ListMembersRequest, ListRoomsRequest,
    OpenDirectRequest,
};

pub async fn list(ctx: Ctx, public: bool) {
    // Live events wait for this list: worth a few quick tries.
    let result = with_retries(3, || {
        call(&ctx, |mut chat| async move {
            chat.list_rooms(ListRoomsRequest {
                public_only: public,
            })
            .await
        })
    })
    .await
    .map(|r| r.rooms);
    ctx.emit(NetEvent::Rooms { public, result });
}

pub async fn members(ctx: Ctx, room: String) {
    let request = ListMembersRequest {
        room_id: room.clone(),
    };
    let result = call(&ctx, |mut chat| {
        let request = request.clone();
        async move { chat.list_members(request).await }
    })
    .await
    .map(|r| r.members);
    ctx.emit(NetEvent::Members { room, result });
}

/// What `open` is asked to do.
pub enum Open {
    Create(String),
    Join(String),
    Direct(String),
}

pub async fn open(ctx: Ctx, what: Open) {
    let (label, result) = match what {
        Open::Create(name) => {
            let label = format!("create #{name}");
            let request = CreateRoomRequest { name };
            let result = call(&ctx, |mut chat| {
                let request = request.clone();
                async move { chat.create_room(request).await }
            })
            .await;
            (label, result)
        }
        Open::Join(name) => {
            let label = format!("join #{name}");
            let request = JoinRoomRequest {
                name,
                ..JoinRoomRequest::default()
            };
            let result = call(&ctx, |mut chat| {
                let request = request.clone();
                async move { chat.join_room(request).await }
            })
            .await;
            (label, result)
        }
        Open::Direct(user_name) => {
            let label = format!("dm {user_name}");
            let request = OpenDirectRequest { user_name };
            let result = call(&ctx, |mut chat| {
                let request = request.clone();
                async move { chat.open_direct(request).await }
            })
            .await;
            (label, result)
        }
    };
    ctx.emit(NetEvent::RoomOpened {
        what: label,
        result,
    });
}

pub async fn leave(ctx: Ctx, room: String) {
    let request = LeaveRoomRequest {
        room_id: room.clone(),
    };
    let result = call(&ctx, |mut chat| {
        let request = request.clone();
        async move { chat.leave_room(request).await }
    })
    .await
    .map(|_| ());
    ctx.emit(NetEvent::RoomLeft { room, result });
}
