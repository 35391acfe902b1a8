//! SSH public keys per user, for the ssh gateway (docs/api.md §8): add, list, remove,
//! and a session opened for a registered key. The gateway verifies that the client holds
//! the key; the server only recognises the key again, by its fingerprint.

use super::{Accounts, Opened, SignedIn, open_session, refuse_disabled};
use crate::{
    auth::Principal,
    db::WriteTxn,
    domain::{SshPublicKey, UserName, now_ms, parse_key_comment},
    entity::{ssh_key, user},
    error::{Error, Result},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Statement, sea_query::Expr,
};

/// Keys one user may register: enough for every machine they use, and a bound on what
/// one account stores.
pub const MAX_KEYS_PER_USER: u64 = 20;

/// The same answer for an unknown user and a key that is not theirs.
const NOT_REGISTERED: &str = "this key is not registered to this user";

pub async fn add(
    accounts: &Accounts,
    who: &Principal,
    raw_key: &str,
    raw_comment: &str,
) -> Result<ssh_key::Model> {
    let key = SshPublicKey::parse(raw_key)?;
    let comment = match parse_key_comment(raw_comment)? {
        given if given.is_empty() => key.comment().to_owned(),
        given => given,
    };
    let row = ssh_key::Model {
        user_id: who.user_id.clone(),
        fingerprint: key.fingerprint(),
        algorithm: key.algorithm().to_owned(),
        public_key: key.line(),
        comment,
        created_at: now_ms(),
        last_used_at: None,
    };
    let txn = accounts.db.begin_write().await?;
    let added = insert_within_limit(&txn, row.clone()).await;
    txn.finish(added).await?;
    tracing::info!(user_id = %who.user_id, fingerprint = %row.fingerprint, "ssh key added");
    Ok(row)
}

async fn insert_within_limit(txn: &WriteTxn, row: ssh_key::Model) -> Result<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        // SQLite writers run one at a time; on PostgreSQL two adds of one user queue
        // here, so that the count and the insert are one step.
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(1936289397, hashtext($1))",
            [row.user_id.clone().into()],
        ))
        .await?;
    }
    let held = ssh_key::Entity::find()
        .filter(ssh_key::Column::UserId.eq(&row.user_id))
        .count(&**txn)
        .await?;
    if held >= MAX_KEYS_PER_USER {
        return Err(Error::ResourceExhausted(format!(
            "at most {MAX_KEYS_PER_USER} ssh keys per user; remove one first"
        )));
    }
    ssh_key::ActiveModel::from(row)
        .insert(&**txn)
        .await
        .map(drop)
        .map_err(|e| match Error::from(e) {
            Error::AlreadyExists(_) => {
                Error::AlreadyExists("this key is already registered to you".into())
            }
            other => other,
        })
}

/// The user's keys, oldest first.
pub async fn list(accounts: &Accounts, who: &Principal) -> Result<Vec<ssh_key::Model>> {
    Ok(ssh_key::Entity::find()
        .filter(ssh_key::Column::UserId.eq(&who.user_id))
        .order_by_asc(ssh_key::Column::CreatedAt)
        .order_by_asc(ssh_key::Column::Fingerprint)
        .all(accounts.db.conn())
        .await?)
}

pub async fn remove(accounts: &Accounts, who: &Principal, fingerprint: &str) -> Result<()> {
    let txn = accounts.db.begin_write().await?;
    let deleted = ssh_key::Entity::delete_many()
        .filter(ssh_key::Column::UserId.eq(&who.user_id))
        .filter(ssh_key::Column::Fingerprint.eq(fingerprint))
        .exec(&*txn)
        .await
        .map_err(Error::from);
    let deleted = txn.finish(deleted).await?;
    if deleted.rows_affected == 0 {
        return Err(Error::not_found("no ssh key of yours has this fingerprint"));
    }
    tracing::info!(user_id = %who.user_id, %fingerprint, "ssh key removed");
    Ok(())
}

/// A session for `raw_name` when `raw_key` is registered to that user.
pub async fn sign_in(accounts: &Accounts, raw_name: &str, raw_key: &str) -> Result<SignedIn> {
    let key = SshPublicKey::parse(raw_key)?;
    let not_registered = || Error::unauthenticated(NOT_REGISTERED);
    let name = UserName::parse(raw_name).map_err(|_| not_registered())?;
    let fingerprint = key.fingerprint();
    let found = user::Entity::find()
        .filter(user::Column::NameKey.eq(name.key()))
        .one(accounts.db.conn())
        .await?
        .ok_or_else(not_registered)?;
    let registered = ssh_key::Entity::find_by_id((found.id.clone(), fingerprint.clone()))
        .one(accounts.db.conn())
        .await?
        .ok_or_else(not_registered)?;
    // The fingerprint matched; the whole key must too (a SHA-256 collision is not a way in).
    if registered.public_key != key.line() {
        return Err(not_registered());
    }
    refuse_disabled(&found)?;
    open_session(accounts, found, Opened::SshKey(&fingerprint)).await
}

/// Within the sign-in's transaction: when the key was last used.
pub(super) async fn mark_used(
    txn: &WriteTxn,
    user_id: &str,
    fingerprint: &str,
    now: i64,
) -> Result<()> {
    ssh_key::Entity::update_many()
        .col_expr(ssh_key::Column::LastUsedAt, Expr::value(now))
        .filter(ssh_key::Column::UserId.eq(user_id))
        .filter(ssh_key::Column::Fingerprint.eq(fingerprint))
        .exec(&**txn)
        .await?;
    Ok(())
}
