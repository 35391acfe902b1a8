//! Sessions remember the highest event id that existed when they were created. Every
//! later event is in the session's queue (fan-out and sign-in take the same ordering
//! lock), so a live stream can take events from the process-wide feed instead of
//! querying its queue for each one.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Sessions::Table)
                .add_column(big_integer(Sessions::FirstEventId).default(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Sessions::Table)
                .drop_column(Sessions::FirstEventId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    FirstEventId,
}
