use sea_orm::entity::prelude::*;

/// What every replica must agree on (e.g. the generated JWT secret on PostgreSQL), and
/// the row the write probe rewrites; one value per key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "server_meta")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub value: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Sets `key` to `value`, adding the row if it is not there.
pub async fn put<C: ConnectionTrait>(db: &C, key: &str, value: String) -> Result<(), DbErr> {
    Entity::insert(ActiveModel {
        key: sea_orm::Set(key.to_owned()),
        value: sea_orm::Set(value),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::column(Column::Key)
            .update_column(Column::Value)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(drop)
}

/// The row whose value changes whenever sessions are ended from outside the server
/// process (`chat-server admin`); running servers watch it to end those sessions' streams.
pub const SESSIONS_REVOKED: &str = "sessions_revoked_at";
