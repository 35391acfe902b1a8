//! The initial schema. Timestamps are Unix milliseconds (`BIGINT`): the same type and the
//! same ordering on SQLite and PostgreSQL. Ids exposed in the API are UUID strings; rows
//! that need commit order (messages, events) also carry an auto-increment key, which on
//! SQLite is `AUTOINCREMENT` so a deleted id is never handed out again (clients dedupe
//! events by id).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(string(Users::Id).primary_key())
                .col(string(Users::Name))
                // Lower-cased name: uniqueness ignoring case, enforced by the database.
                .col(string_uniq(Users::NameKey))
                .col(string(Users::PasswordHash))
                .col(big_integer(Users::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(string(Sessions::Id).primary_key())
                .col(string(Sessions::UserId))
                .col(big_integer(Sessions::CreatedAt))
                .col(big_integer(Sessions::ExpiresAt))
                // Highest event id dropped from this session's queue by the janitor; the
                // next Subscribe starts with ResyncRequired while it is set.
                .col(big_integer_null(Sessions::TrimmedUpTo))
                .foreign_key(
                    ForeignKey::create()
                        .from(Sessions::Table, Sessions::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(m, Sessions::Table, "idx_sessions_user", &[Sessions::UserId]).await?;
        index(
            m,
            Sessions::Table,
            "idx_sessions_expires",
            &[Sessions::ExpiresAt],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                // SHA-256 of the opaque token: the token itself is never stored.
                .col(string(RefreshTokens::TokenHash).primary_key())
                .col(string(RefreshTokens::SessionId))
                .col(big_integer(RefreshTokens::CreatedAt))
                .col(big_integer_null(RefreshTokens::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(RefreshTokens::Table, RefreshTokens::SessionId)
                        .to(Sessions::Table, Sessions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            RefreshTokens::Table,
            "idx_refresh_tokens_session",
            &[RefreshTokens::SessionId],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Messages::Table)
                .col(big_pk_auto(Messages::Seq))
                .col(string_uniq(Messages::Id))
                .col(string(Messages::UserId))
                .col(text(Messages::Content))
                .col(big_integer(Messages::CreatedAt))
                .col(string_null(Messages::ClientRequestId))
                .foreign_key(
                    ForeignKey::create()
                        .from(Messages::Table, Messages::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // The send gate reads the sender's latest message.
        index(
            m,
            Messages::Table,
            "idx_messages_user_seq",
            &[Messages::UserId, Messages::Seq],
        )
        .await?;
        // Idempotent Send: NULLs are distinct, so only requests that carry an id are unique.
        m.create_index(
            Index::create()
                .name("uq_messages_user_request")
                .table(Messages::Table)
                .col(Messages::UserId)
                .col(Messages::ClientRequestId)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Reactions::Table)
                .col(big_pk_auto(Reactions::Id))
                .col(big_integer(Reactions::MessageSeq))
                .col(string(Reactions::UserId))
                .col(string(Reactions::Emoji))
                .col(big_integer(Reactions::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Reactions::Table, Reactions::MessageSeq)
                        .to(Messages::Table, Messages::Seq)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Reactions::Table, Reactions::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // One reaction per (message, user, emoji), enforced here and not only by a check.
        m.create_index(
            Index::create()
                .name("uq_reactions_message_user_emoji")
                .table(Reactions::Table)
                .col(Reactions::MessageSeq)
                .col(Reactions::UserId)
                .col(Reactions::Emoji)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Events::Table)
                .col(big_pk_auto(Events::Id))
                .col(big_integer(Events::CreatedAt))
                // The encoded chat.v1.Event (without its id), built once for every recipient.
                .col(blob(Events::Payload))
                .to_owned(),
        )
        .await?;
        index(m, Events::Table, "idx_events_created", &[Events::CreatedAt]).await?;

        m.create_table(
            Table::create()
                .table(EventQueue::Table)
                .col(string(EventQueue::SessionId))
                .col(big_integer(EventQueue::EventId))
                .primary_key(
                    Index::create()
                        .col(EventQueue::SessionId)
                        .col(EventQueue::EventId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(EventQueue::Table, EventQueue::SessionId)
                        .to(Sessions::Table, Sessions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(EventQueue::Table, EventQueue::EventId)
                        .to(Events::Table, Events::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // Trimming by age and purging events look queue rows up by event id.
        index(
            m,
            EventQueue::Table,
            "idx_event_queue_event",
            &[EventQueue::EventId],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SignInFailures::Table)
                .col(big_pk_auto(SignInFailures::Id))
                .col(string(SignInFailures::NameKey))
                .col(big_integer(SignInFailures::At))
                .to_owned(),
        )
        .await?;
        index(
            m,
            SignInFailures::Table,
            "idx_sign_in_failures_name_at",
            &[SignInFailures::NameKey, SignInFailures::At],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SignInFailures::Table.into_iden(),
            EventQueue::Table.into_iden(),
            Events::Table.into_iden(),
            Reactions::Table.into_iden(),
            Messages::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
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

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Name,
    NameKey,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    ExpiresAt,
    TrimmedUpTo,
}

#[derive(DeriveIden, Clone, Copy)]
enum RefreshTokens {
    Table,
    TokenHash,
    SessionId,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Messages {
    Table,
    Seq,
    Id,
    UserId,
    Content,
    CreatedAt,
    ClientRequestId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Reactions {
    Table,
    Id,
    MessageSeq,
    UserId,
    Emoji,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Events {
    Table,
    Id,
    CreatedAt,
    Payload,
}

#[derive(DeriveIden, Clone, Copy)]
enum EventQueue {
    Table,
    SessionId,
    EventId,
}

#[derive(DeriveIden, Clone, Copy)]
enum SignInFailures {
    Table,
    Id,
    NameKey,
    At,
}
