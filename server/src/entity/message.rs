use sea_orm::entity::prelude::*;

/// `seq` is the commit order (messages are posted under the ordering lock); `id` is the
/// UUID clients see.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    #[sea_orm(unique)]
    pub id: String,
    pub user_id: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub created_at: i64,
    pub client_request_id: Option<String>,
    pub room_id: String,
    pub edited_at: Option<i64>,
    /// Set on a tombstone, whose content and mentions are blank.
    pub deleted_at: Option<i64>,
    /// Comma-separated user ids (see `chat::mentions`).
    #[sea_orm(column_type = "Text")]
    pub mentioned_user_ids: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
