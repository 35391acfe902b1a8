use sea_orm::entity::prelude::*;

/// One sign-in. It is "connected" (receives events) until it is signed out — the row is
/// deleted, cascading to its queue and refresh tokens — or `expires_at` passes, or it has
/// gone `auth.session_idle_secs` without a Subscribe stream.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub trimmed_up_to: Option<i64>,
    /// The highest event id when the session was created: every later one is queued for it.
    pub first_event_id: i64,
    /// When it last had a Subscribe stream open (its creation, until it has had one).
    pub last_subscribed_at: i64,
    /// A small number of its own, given at sign-in: the queue is keyed by it rather than by
    /// `id`, which makes every queue row four times smaller.
    pub seq: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
