use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    #[sea_orm(unique)]
    pub name_key: String,
    /// The confusable skeleton of the name (see `domain::UserName::skeleton`), unique;
    /// NULL only for a user from before it existed whose skeleton clashes with another's.
    #[sea_orm(unique)]
    pub name_skeleton: Option<String>,
    pub password_hash: String,
    pub created_at: i64,
    /// Set by `chat-server admin user disable`: no sign-in, no session, until enabled.
    pub disabled_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
