use sea_orm::entity::prelude::*;

/// An event waiting for one session's acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_queue")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// The session's `seq`.
    pub session_seq: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::event::Entity",
        from = "Column::EventId",
        to = "super::event::Column::Id"
    )]
    Event,
    #[sea_orm(
        belongs_to = "super::session::Entity",
        from = "Column::SessionSeq",
        to = "super::session::Column::Seq"
    )]
    Session,
}

impl ActiveModelBehavior for ActiveModel {}
