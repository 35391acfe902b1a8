use sea_orm::entity::prelude::*;

/// The lobby (one row, fixed id, implicit membership), a public room, or the DM of one
/// ordered pair of users.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rooms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// `lobby`, `public` or `direct` (see `domain::RoomKind`).
    pub kind: String,
    /// `None` for a DM.
    pub name: Option<String>,
    pub name_key: Option<String>,
    /// `None`: the configured `chat.required_reactions`.
    pub required_reactions: Option<i32>,
    pub dm_low_user_id: Option<String>,
    pub dm_high_user_id: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
