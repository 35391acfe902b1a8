use sea_orm::entity::prelude::*;

/// One open Subscribe stream, on the replica that renews it (see `delivery::presence`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stream_leases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub stream_id: String,
    pub session_id: String,
    pub user_id: String,
    pub replica_id: String,
    pub renewed_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
