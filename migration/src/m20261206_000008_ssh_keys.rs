//! SSH public keys per user, for the ssh gateway's key sign-in (docs/api.md §8). A key is
//! stored as its OpenSSH line and found by its SHA-256 fingerprint; the same key may be
//! registered to several accounts (one person, two accounts), since the gateway always
//! names the user too.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SshKeys::Table)
                .col(string(SshKeys::UserId))
                .col(string(SshKeys::Fingerprint))
                .col(string(SshKeys::Algorithm))
                .col(text(SshKeys::PublicKey))
                .col(string(SshKeys::Comment))
                .col(big_integer(SshKeys::CreatedAt))
                .col(big_integer_null(SshKeys::LastUsedAt))
                .primary_key(
                    Index::create()
                        .col(SshKeys::UserId)
                        .col(SshKeys::Fingerprint),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SshKeys::Table, SshKeys::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SshKeys::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SshKeys {
    Table,
    UserId,
    Fingerprint,
    Algorithm,
    PublicKey,
    Comment,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
