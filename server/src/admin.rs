//! `chat-server admin …`: the operator's account tools. They work on the configured
//! database directly, beside a running server ([`Db::connect_alongside`]), with the same
//! rules as the API (names, passwords, hashing), and take the same ordering lock as
//! sign-in and posting where they end sessions, so fan-out never races them.
//!
//! Ending a session deletes its row; the server refuses the session's next call at once
//! and ends its open Subscribe stream within `delivery.poll_interval_ms`, because the
//! deletion also bumps the `server_meta` row `SESSIONS_REVOKED`, which the server's
//! revocation watch (`delivery::revocations`) reads.

use crate::{
    accounts,
    auth::password,
    db::{Db, WriteTxn},
    domain::{Password, UserName, new_id, now_ms},
    entity::{server_meta, session, sign_in_failure, user},
    error::{Error, Result},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

pub struct UserRow {
    pub name: String,
    pub created_at: i64,
    pub disabled: bool,
    pub sessions: u64,
}

pub struct SessionRow {
    pub id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_subscribed_at: i64,
}

pub async fn create_user(db: &Db, name: &str, password: &str) -> Result<String> {
    accounts::sign_up(db, name, password).await
}

pub async fn list_users(db: &Db) -> Result<Vec<UserRow>> {
    let users = user::Entity::find()
        .order_by_asc(user::Column::CreatedAt)
        .all(db.conn())
        .await?;
    let mut rows = Vec::with_capacity(users.len());
    for u in users {
        let sessions = session::Entity::find()
            .filter(session::Column::UserId.eq(&u.id))
            .count(db.conn())
            .await?;
        rows.push(UserRow {
            name: u.name,
            created_at: u.created_at,
            disabled: u.disabled_at.is_some(),
            sessions,
        });
    }
    Ok(rows)
}

/// Sets a new password (under the sign-up rules) and ends every session of the user: a
/// reset usually means the old password is known to someone else.
pub async fn reset_password(db: &Db, name: &str, new_password: &str) -> Result<u64> {
    let found = find_user(db, name).await?;
    let password = Password::parse(new_password)?;
    let hash = password::hash(password.expose().to_owned()).await?;
    let user_id = found.id.clone();
    let mut active = found.into_active_model();
    active.password_hash = Set(hash);
    let txn = db.begin_session_change().await?;
    let done = async {
        active.update(&*txn).await?;
        end_sessions(&txn, &user_id, None).await
    }
    .await;
    txn.finish(done).await
}

pub async fn list_sessions(db: &Db, name: &str) -> Result<Vec<SessionRow>> {
    let found = find_user(db, name).await?;
    Ok(session::Entity::find()
        .filter(session::Column::UserId.eq(&found.id))
        .order_by_asc(session::Column::CreatedAt)
        .all(db.conn())
        .await?
        .into_iter()
        .map(|s| SessionRow {
            id: s.id,
            created_at: s.created_at,
            expires_at: s.expires_at,
            last_subscribed_at: s.last_subscribed_at,
        })
        .collect())
}

/// Ends one session of the user (`only`) or all of them; returns how many ended.
pub async fn revoke_sessions(db: &Db, name: &str, only: Option<&str>) -> Result<u64> {
    let found = find_user(db, name).await?;
    let txn = db.begin_session_change().await?;
    let done = end_sessions(&txn, &found.id, only).await;
    let ended = txn.finish(done).await?;
    if only.is_some() && ended == 0 {
        return Err(Error::not_found(format!("{name} has no such session")));
    }
    Ok(ended)
}

/// Forgets the failed sign-ins counted against the name (from every address), or those
/// of one address over all names; returns how many were forgotten.
pub async fn unlock(db: &Db, name: Option<&str>, address: Option<&str>) -> Result<u64> {
    let mut delete = sign_in_failure::Entity::delete_many();
    if let Some(name) = name {
        delete = delete.filter(sign_in_failure::Column::NameKey.eq(UserName::parse(name)?.key()));
    }
    if let Some(address) = address {
        let ip: std::net::IpAddr = address
            .parse()
            .map_err(|_| Error::invalid(format!("{address:?} is not an IP address")))?;
        let key = crate::accounts::throttle_address_key(ip);
        delete = delete.filter(sign_in_failure::Column::ClientIp.eq(key));
    }
    let txn = db.begin_write().await?;
    let done = delete.exec(&*txn).await.map(|r| r.rows_affected);
    txn.finish(done.map_err(Error::from)).await
}

/// Disables (`true`) or enables the account. Disabling ends its sessions at once; the
/// user can sign in again only once enabled. Returns the sessions ended.
pub async fn set_disabled(db: &Db, name: &str, disabled: bool) -> Result<u64> {
    let found = find_user(db, name).await?;
    let user_id = found.id.clone();
    let mut active = found.into_active_model();
    active.disabled_at = Set(disabled.then(now_ms));
    let txn = db.begin_session_change().await?;
    let done = async {
        active.update(&*txn).await?;
        if disabled {
            end_sessions(&txn, &user_id, None).await
        } else {
            Ok(0)
        }
    }
    .await;
    txn.finish(done).await
}

async fn find_user(db: &Db, name: &str) -> Result<user::Model> {
    let key = UserName::parse(name)
        .map_err(|_| Error::not_found(format!("no user is called {name:?}")))?
        .key();
    user::Entity::find()
        .filter(user::Column::NameKey.eq(key))
        .one(db.conn())
        .await?
        .ok_or_else(|| Error::not_found(format!("no user is called {name:?}")))
}

/// Deletes the sessions (their queues and refresh tokens go with them) and tells running
/// servers to end their streams.
async fn end_sessions(txn: &WriteTxn, user_id: &str, only: Option<&str>) -> Result<u64> {
    let mut delete = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(id) = only {
        delete = delete.filter(session::Column::Id.eq(id));
    }
    let ended = delete.exec(&**txn).await?.rows_affected;
    // Unique, not a time: two revocations in one millisecond must both be seen.
    server_meta::put(&**txn, server_meta::SESSIONS_REVOKED, new_id()).await?;
    Ok(ended)
}
