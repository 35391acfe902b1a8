//! Whether a user name is free: not taken (ignoring case and compatibility forms) and not
//! confusable with a taken one (see `domain::UserName`).

use crate::{
    db::Db,
    domain::UserName,
    entity::user,
    error::{Error, Result},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set};

/// `ALREADY_EXISTS` naming the clash, or `Ok` if `name` is free. The unique indexes on the
/// key and the skeleton decide any race; this gives the clear message.
pub async fn check_free(db: &Db, name: &UserName) -> Result<()> {
    let clash = user::Entity::find()
        .filter(
            Condition::any()
                .add(user::Column::NameKey.eq(name.key()))
                .add(user::Column::NameSkeleton.eq(name.skeleton())),
        )
        .one(db.conn())
        .await?;
    match clash {
        None => Ok(()),
        Some(existing) if existing.name_key == name.key() => Err(taken(name)),
        Some(existing) => Err(Error::AlreadyExists(format!(
            "user name {:?} looks too much like the existing {:?}",
            name.as_str(),
            existing.name
        ))),
    }
}

pub fn taken(name: &UserName) -> Error {
    Error::AlreadyExists(format!("user name {:?} is taken", name.as_str()))
}

/// Users from before the name rules had skeletons (and keys from a simpler folding):
/// give them theirs, once, at start. A user whose new key or skeleton clashes with
/// another's keeps the old key and no skeleton (the unique index allows NULLs); both
/// can still sign in, and the log says who.
pub async fn backfill(db: &Db) -> Result<()> {
    let pending = user::Entity::find()
        .filter(user::Column::NameSkeleton.is_null())
        .all(db.conn())
        .await?;
    for existing in pending {
        let Ok(name) = UserName::parse(&existing.name) else {
            tracing::warn!(user_id = %existing.id, "a stored user name breaks the name rules");
            continue;
        };
        let txn = db.begin_write().await?;
        let updated = user::ActiveModel {
            id: Set(existing.id.clone()),
            name_key: Set(name.key()),
            name_skeleton: Set(Some(name.skeleton())),
            ..Default::default()
        }
        .update(&*txn)
        .await
        .map(drop)
        .map_err(Error::from);
        match txn.finish(updated).await {
            Ok(()) => {}
            Err(Error::AlreadyExists(_)) => tracing::warn!(
                user_id = %existing.id,
                "this user's name looks like another user's; left without a skeleton"
            ),
            Err(other) => return Err(other),
        }
    }
    Ok(())
}
