//! Hardening: sign-in attempts are throttled per (user name, client address) and per
//! address, so attempts remember where they came from; a small key-value table holds
//! what every replica must share (the generated JWT secret on PostgreSQL) and the row the
//! write probe rewrites to learn whether writes commit; and users get the confusable
//! skeleton of their name (Unicode TR39), unique, so look-alike names cannot coexist.
//! The server fills the skeleton of existing users at start (it owns the name rules);
//! until then it is NULL, which the unique index allows. Sessions remember when they last
//! had a Subscribe stream, so the ones nobody reads any more can be expired.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(SignInFailures::Table)
                .add_column(string(SignInFailures::ClientIp).default(""))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_sign_in_failures_ip_at")
                .table(SignInFailures::Table)
                .col(SignInFailures::ClientIp)
                .col(SignInFailures::At)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(string_null(Users::NameSkeleton))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_users_name_skeleton")
                .table(Users::Table)
                .col(Users::NameSkeleton)
                .unique()
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Sessions::Table)
                .add_column(big_integer(Sessions::LastSubscribedAt).default(0))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::update()
                .table(Sessions::Table)
                .value(Sessions::LastSubscribedAt, Expr::col(Sessions::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ServerMeta::Table)
                .col(string(ServerMeta::Key).primary_key())
                .col(string(ServerMeta::Value))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ServerMeta::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Sessions::Table)
                .drop_column(Sessions::LastSubscribedAt)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_users_name_skeleton")
                .table(Users::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .drop_column(Users::NameSkeleton)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_sign_in_failures_ip_at")
                .table(SignInFailures::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(SignInFailures::Table)
                .drop_column(SignInFailures::ClientIp)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum SignInFailures {
    Table,
    ClientIp,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    NameSkeleton,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    CreatedAt,
    LastSubscribedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ServerMeta {
    Table,
    Key,
    Value,
}
