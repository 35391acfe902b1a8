//! Rooms, direct messages, edits, mentions and presence (DESIGN §7).
//!
//! The lobby is a real row with a fixed id ([`crate::LOBBY_ROOM_ID`]); every existing
//! message moves into it through the column default. Lobby membership is implicit (no
//! `room_members` rows: every user is in it), so the lobby's fan-out stays one insert
//! over the sessions table, with no join, and signing up cannot race it. A DM is the
//! room of one ordered pair of users, unique by index.

use crate::LOBBY_ROOM_ID;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        // All or nothing on SQLite too, where DDL is transactional as well.
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create_rooms(m).await?;
        create_members(m).await?;
        extend_messages(m).await?;
        extend_events(m).await?;
        create_presence(m).await?;
        let lobby = Query::insert()
            .into_table(Rooms::Table)
            .columns([
                Rooms::Id,
                Rooms::Kind,
                Rooms::Name,
                Rooms::NameKey,
                Rooms::CreatedAt,
            ])
            .values_panic([
                LOBBY_ROOM_ID.into(),
                "lobby".into(),
                "lobby".into(),
                "lobby".into(),
                now_ms().into(),
            ])
            .to_owned();
        m.exec_stmt(lobby).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // An older server delivers whatever is queued and shows every message in its one
        // conversation: what belonged to other rooms must go before the columns do.
        let db = m.get_connection();
        for sql in [
            "DELETE FROM event_queue WHERE event_id IN \
             (SELECT id FROM events WHERE audience <> 'everyone')",
            "DELETE FROM events WHERE audience <> 'everyone'",
        ] {
            db.execute_unprepared(sql).await?;
        }
        let others = format!("DELETE FROM messages WHERE room_id <> '{LOBBY_ROOM_ID}'");
        // Reactions go with their messages (ON DELETE CASCADE).
        db.execute_unprepared(&others).await?;

        for (table, name) in [
            (Messages::Table.into_iden(), "idx_messages_room_seq"),
            (Messages::Table.into_iden(), "idx_messages_user_room_seq"),
            (Events::Table.into_iden(), "idx_events_room"),
        ] {
            m.drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        index(
            m,
            Messages::Table,
            "idx_messages_user_seq",
            &[Messages::UserId, Messages::Seq],
        )
        .await?;
        for column in [
            Messages::RoomId,
            Messages::EditedAt,
            Messages::DeletedAt,
            Messages::MentionedUserIds,
        ] {
            drop_column(m, Messages::Table, column).await?;
        }
        drop_column(m, Events::Table, Events::RoomId).await?;
        for table in [
            Presence::Table.into_iden(),
            StreamLeases::Table.into_iden(),
            RoomMembers::Table.into_iden(),
            Rooms::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

async fn create_rooms(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Rooms::Table)
            .col(string(Rooms::Id).primary_key())
            .col(
                string(Rooms::Kind)
                    .check(Expr::col(Rooms::Kind).is_in(["lobby", "public", "direct"])),
            )
            // NULL for a DM; the key (folded like a user name's) makes names unique
            // ignoring case, and NULLs never collide.
            .col(string_null(Rooms::Name))
            .col(string_null(Rooms::NameKey).unique_key())
            // NULL: follow the configured chat.required_reactions (the lobby).
            .col(integer_null(Rooms::RequiredReactions))
            // A DM's two users, the lower id first, so one pair has one room.
            .col(string_null(Rooms::DmLowUserId))
            .col(string_null(Rooms::DmHighUserId))
            .col(string_null(Rooms::CreatedBy))
            .col(big_integer(Rooms::CreatedAt))
            .foreign_key(
                ForeignKey::create()
                    .from(Rooms::Table, Rooms::DmLowUserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(Rooms::Table, Rooms::DmHighUserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(Rooms::Table, Rooms::CreatedBy)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::SetNull),
            )
            .check(
                Expr::col(Rooms::DmLowUserId)
                    .is_null()
                    .or(Expr::col(Rooms::DmLowUserId).lt(Expr::col(Rooms::DmHighUserId))),
            )
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("uq_rooms_dm_pair")
            .table(Rooms::Table)
            .col(Rooms::DmLowUserId)
            .col(Rooms::DmHighUserId)
            .unique()
            .to_owned(),
    )
    .await
}

async fn create_members(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(RoomMembers::Table)
            .col(string(RoomMembers::RoomId))
            .col(string(RoomMembers::UserId))
            .col(big_integer(RoomMembers::JoinedAt))
            // Room first: the fan-out joins sessions to the members of one room.
            .primary_key(
                Index::create()
                    .col(RoomMembers::RoomId)
                    .col(RoomMembers::UserId),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(RoomMembers::Table, RoomMembers::RoomId)
                    .to(Rooms::Table, Rooms::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(RoomMembers::Table, RoomMembers::UserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned(),
    )
    .await?;
    // A user's rooms: ListRooms and the room set of a stream.
    index(
        m,
        RoomMembers::Table,
        "idx_room_members_user",
        &[RoomMembers::UserId, RoomMembers::RoomId],
    )
    .await
}

async fn extend_messages(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    // No foreign key on room_id: SQLite cannot add one with a default, and rooms are
    // never deleted while users exist.
    for column in [
        string(Messages::RoomId).default(LOBBY_ROOM_ID).to_owned(),
        big_integer_null(Messages::EditedAt),
        big_integer_null(Messages::DeletedAt),
        // Comma-separated user ids: read with the message in the same row, so building
        // a snapshot (on the React hot path) needs no extra query.
        text(Messages::MentionedUserIds).default("").to_owned(),
    ] {
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .add_column(column)
                .to_owned(),
        )
        .await?;
    }
    // The gate reads the sender's latest message in one room; the old index on
    // (user, seq) served only it.
    m.drop_index(
        Index::drop()
            .name("idx_messages_user_seq")
            .table(Messages::Table)
            .to_owned(),
    )
    .await?;
    index(
        m,
        Messages::Table,
        "idx_messages_user_room_seq",
        &[Messages::UserId, Messages::RoomId, Messages::Seq],
    )
    .await?;
    // A room's history, newest first.
    index(
        m,
        Messages::Table,
        "idx_messages_room_seq",
        &[Messages::RoomId, Messages::Seq],
    )
    .await
}

async fn extend_events(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    // NULL for the lobby and presence; a room's id otherwise (to purge a leaver's queue).
    m.alter_table(
        Table::alter()
            .table(Events::Table)
            .add_column(string_null(Events::RoomId))
            .to_owned(),
    )
    .await?;
    index(
        m,
        Events::Table,
        "idx_events_room",
        &[Events::RoomId, Events::Id],
    )
    .await
}

async fn create_presence(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    // One row per open Subscribe stream on any replica, renewed by that replica: a user
    // is online while one of theirs is fresh.
    m.create_table(
        Table::create()
            .table(StreamLeases::Table)
            .col(string(StreamLeases::StreamId).primary_key())
            .col(string(StreamLeases::SessionId))
            .col(string(StreamLeases::UserId))
            .col(string(StreamLeases::ReplicaId))
            .col(big_integer(StreamLeases::RenewedAt))
            .foreign_key(
                ForeignKey::create()
                    .from(StreamLeases::Table, StreamLeases::SessionId)
                    .to(Sessions::Table, Sessions::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(StreamLeases::Table, StreamLeases::UserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned(),
    )
    .await?;
    index(
        m,
        StreamLeases::Table,
        "idx_stream_leases_user",
        &[StreamLeases::UserId],
    )
    .await?;
    index(
        m,
        StreamLeases::Table,
        "idx_stream_leases_replica",
        &[StreamLeases::ReplicaId],
    )
    .await?;
    // The state last announced: a row while the user is shown online, so each
    // transition is announced once whatever the number of sessions and replicas.
    m.create_table(
        Table::create()
            .table(Presence::Table)
            .col(string(Presence::UserId).primary_key())
            .col(big_integer(Presence::OnlineSince))
            .foreign_key(
                ForeignKey::create()
                    .from(Presence::Table, Presence::UserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned(),
    )
    .await
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| {
            <i64 as TryFrom<u128>>::try_from(d.as_millis()).unwrap_or(i64::MAX)
        })
}

async fn index<T, C>(m: &SchemaManager<'_>, table: T, name: &str, cols: &[C]) -> Result<(), DbErr>
where
    T: IntoIden + Clone + 'static,
    C: IntoIden + Clone + 'static,
{
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(col.clone());
    }
    m.create_index(stmt.clone()).await
}

async fn drop_column<T, C>(m: &SchemaManager<'_>, table: T, column: C) -> Result<(), DbErr>
where
    T: IntoIden + 'static,
    C: IntoIden + 'static,
{
    m.alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}

#[derive(DeriveIden, Clone, Copy)]
enum Rooms {
    Table,
    Id,
    Kind,
    Name,
    NameKey,
    RequiredReactions,
    DmLowUserId,
    DmHighUserId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RoomMembers {
    Table,
    RoomId,
    UserId,
    JoinedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum StreamLeases {
    Table,
    StreamId,
    SessionId,
    UserId,
    ReplicaId,
    RenewedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Presence {
    Table,
    UserId,
    OnlineSince,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Messages {
    Table,
    Seq,
    UserId,
    RoomId,
    EditedAt,
    DeletedAt,
    MentionedUserIds,
}

#[derive(DeriveIden, Clone, Copy)]
enum Events {
    Table,
    Id,
    RoomId,
}
