use sea_orm::entity::prelude::*;

/// One sign-in attempt that has not (yet) succeeded, for a case-folded user name from one
/// client address. It is written *before* the password is checked and removed when the
/// check succeeds, so attempts still in flight count against the throttle too.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_failures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name_key: String,
    pub at: i64,
    /// The client's IP address ("" when unknown, e.g. rows from before it was recorded).
    pub client_ip: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
