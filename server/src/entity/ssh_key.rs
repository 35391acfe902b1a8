use sea_orm::entity::prelude::*;

/// An SSH public key registered to a user for the ssh gateway's key sign-in.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ssh_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    /// "SHA256:<base64 without padding>" of the key's wire form, as `ssh-keygen -l`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub fingerprint: String,
    pub algorithm: String,
    /// "<algorithm> <base64>", without the comment.
    #[sea_orm(column_type = "Text")]
    pub public_key: String,
    pub comment: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
