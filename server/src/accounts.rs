//! Users and sessions: sign-up, sign-in with throttling, refresh-token rotation with reuse
//! detection, sign-out, and the per-request session check.

mod names;
mod session_seq;
pub mod ssh_keys;
mod throttle;

pub use names::backfill as backfill_name_rules;
pub use throttle::address_key as throttle_address_key;

use crate::{
    auth::{Claims, JwtKeys, Principal, password, refresh},
    db::{Db, WriteTxn},
    delivery::Delivery,
    domain::{Password, UserName, new_id, now_ms},
    entity::{event, refresh_token, session, user},
    error::{Error, Result},
    settings::{AuthSettings, Registration},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    Set,
    sea_query::{Expr, Func},
};
use std::{net::IpAddr, sync::Arc};
use throttle::Attempt;

/// Everything the account rules use: the database, their settings, the token keys, and
/// delivery's stream registry (a session that ends loses its stream at once).
pub struct Accounts {
    pub db: Db,
    pub settings: AuthSettings,
    pub jwt: Arc<JwtKeys>,
    pub delivery: Arc<Delivery>,
}

/// The same answer for an unknown user and a wrong password.
const BAD_CREDENTIALS: &str = "invalid user name or password";

pub struct SignedIn {
    pub user_id: String,
    pub user_name: String,
    pub access_token: String,
    pub refresh_token: String,
    /// Unix seconds.
    pub access_expires_at: u64,
}

/// SignUp: anyone may, unless `auth.registration` is closed.
pub async fn register(accounts: &Accounts, raw_name: &str, raw_password: &str) -> Result<String> {
    if accounts.settings.registration == Registration::Closed {
        return Err(Error::PermissionDenied(
            "sign-up is closed on this server; ask its operator for an account".into(),
        ));
    }
    sign_up(&accounts.db, raw_name, raw_password).await
}

/// Creates a user under the sign-up rules (also `chat-server admin user create`).
pub async fn sign_up(db: &Db, raw_name: &str, raw_password: &str) -> Result<String> {
    let name = UserName::parse(raw_name)?;
    let password = Password::parse(raw_password)?;
    names::check_free(db, &name).await?;
    let hash = password::hash(password.expose().to_owned()).await?;
    let id = new_id();
    let txn = db.begin_write().await?;
    let inserted = user::ActiveModel {
        id: Set(id.clone()),
        name: Set(name.as_str().to_owned()),
        name_key: Set(name.key()),
        name_skeleton: Set(Some(name.skeleton())),
        password_hash: Set(hash),
        created_at: Set(now_ms()),
        disabled_at: Set(None),
    }
    .insert(&*txn)
    .await
    .map(drop)
    .map_err(|e| match Error::from(e) {
        // Two sign-ups raced for the name (or two look-alikes): a unique index decided.
        Error::AlreadyExists(_) => names::taken(&name),
        other => other,
    });
    txn.finish(inserted).await?;
    tracing::info!(user_id = %id, "signed up");
    Ok(id)
}

/// `client_ip`: where the call came from, for the throttle (see [`throttle`]).
pub async fn sign_in(
    accounts: &Accounts,
    raw_name: &str,
    raw_password: &str,
    client_ip: Option<IpAddr>,
) -> Result<SignedIn> {
    // A name or password outside the rules belongs to nobody: the same answer as a wrong
    // password, before anything is hashed or stored (a 4 MB "name" must not reach disk).
    let (Ok(name), Ok(_)) = (UserName::parse(raw_name), Password::parse(raw_password)) else {
        return Err(Error::unauthenticated(BAD_CREDENTIALS));
    };
    let key = name.key();
    let client_ip = client_ip.map(throttle::address_key).unwrap_or_default();
    let attempt = Attempt {
        name_key: &key,
        client_ip: &client_ip,
    };
    throttle::reserve(&accounts.db, &accounts.settings, &attempt, now_ms()).await?;

    let found = user::Entity::find()
        .filter(user::Column::NameKey.eq(&key))
        .one(accounts.db.conn())
        .await?;
    let verified = password::verify(
        found.as_ref().map(|u| u.password_hash.clone()),
        raw_password.to_owned(),
    )
    .await?;
    // On failure the reserved attempt stays, counted as a failure.
    let user = match found {
        Some(user) if verified => user,
        _ => return Err(Error::unauthenticated(BAD_CREDENTIALS)),
    };
    // Said only to someone who knows the password, so it tells a guesser nothing.
    refuse_disabled(&user)?;

    open_session(accounts, user, Opened::Password(&attempt)).await
}

/// How a session was opened: what else commits with it.
#[derive(Clone, Copy)]
enum Opened<'a> {
    /// The throttle's count for this name and address is forgiven.
    Password(&'a Attempt<'a>),
    /// The ssh key (by fingerprint) is recorded as used.
    SshKey(&'a str),
}

/// A new session for a user whose credentials were checked: its refresh token, and the
/// user's oldest sessions over the limit ended, in one transaction.
async fn open_session(accounts: &Accounts, user: user::Model, how: Opened<'_>) -> Result<SignedIn> {
    let session_id = new_id();
    let refresh_token = refresh::generate();
    let now = now_ms();
    let txn = accounts.db.begin_session_change().await?;
    let created = async {
        let first_event_id = latest_event_id(&txn).await?;
        let seq = session_seq::next(&txn).await?;
        session::ActiveModel {
            id: Set(session_id.clone()),
            user_id: Set(user.id.clone()),
            created_at: Set(now),
            expires_at: Set(now + refresh_ttl_ms(accounts)),
            trimmed_up_to: Set(None),
            first_event_id: Set(first_event_id),
            last_subscribed_at: Set(now),
            seq: Set(seq),
        }
        .insert(&*txn)
        .await?;
        insert_refresh_token(&txn, &session_id, &refresh_token, now).await?;
        match how {
            Opened::Password(attempt) => throttle::forgive(&txn, attempt).await?,
            Opened::SshKey(fingerprint) => {
                ssh_keys::mark_used(&txn, &user.id, fingerprint, now).await?;
            }
        }
        evict_oldest_sessions(&txn, &user.id, accounts.settings.max_sessions_per_user).await
    }
    .await;
    let evicted = txn.finish(created).await?;
    for old in &evicted {
        accounts.delivery.streams.end_signed_out(old);
    }
    tracing::info!(
        user_id = %user.id,
        session_id = %session_id,
        evicted = evicted.len(),
        with_key = matches!(how, Opened::SshKey(_)),
        "signed in"
    );
    issue(accounts, user, session_id, refresh_token)
}

pub async fn refresh(accounts: &Accounts, presented: &str) -> Result<SignedIn> {
    let invalid = || Error::unauthenticated("invalid or expired refresh token");
    if presented.is_empty() {
        return Err(invalid());
    }
    let hash = refresh::digest(presented);
    let now = now_ms();
    let txn = accounts.db.begin_session_change().await?;
    let outcome = rotate(accounts, &txn, &hash, now).await;
    let outcome = txn.finish(outcome).await?;
    match outcome {
        Rotation::Rotated {
            user,
            session_id,
            next,
        } => issue(accounts, user, session_id, next),
        Rotation::Reused { session_id } => {
            accounts.delivery.streams.end_signed_out(&session_id);
            tracing::warn!(session_id = %session_id, "refresh token reused; session revoked");
            Err(Error::unauthenticated(
                "this refresh token was already used; the session has been revoked",
            ))
        }
    }
}

enum Rotation {
    Rotated {
        user: user::Model,
        session_id: String,
        next: String,
    },
    Reused {
        session_id: String,
    },
}

async fn rotate(accounts: &Accounts, txn: &WriteTxn, hash: &str, now: i64) -> Result<Rotation> {
    let invalid = || Error::unauthenticated("invalid or expired refresh token");
    let token = refresh_token::Entity::find_by_id(hash)
        .one(&**txn)
        .await?
        .ok_or_else(invalid)?;
    // Claim the token atomically: of two racing refreshes with one token, one wins and
    // the other is treated as reuse.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&**txn)
        .await?;
    if claimed.rows_affected == 0 {
        // Revocation is the outcome, so it commits.
        session::Entity::delete_by_id(&token.session_id)
            .exec(&**txn)
            .await?;
        return Ok(Rotation::Reused {
            session_id: token.session_id,
        });
    }
    let session = session::Entity::find_by_id(&token.session_id)
        .one(&**txn)
        .await?
        .filter(|s| s.expires_at > now)
        .ok_or_else(invalid)?;
    let user = user::Entity::find_by_id(&session.user_id)
        .one(&**txn)
        .await?
        .ok_or_else(invalid)?;
    let next = refresh::generate();
    insert_refresh_token(txn, &session.id, &next, now).await?;
    session::Entity::update_many()
        .col_expr(
            session::Column::ExpiresAt,
            Expr::value(now + refresh_ttl_ms(accounts)),
        )
        .filter(session::Column::Id.eq(&session.id))
        .exec(&**txn)
        .await?;
    Ok(Rotation::Rotated {
        user,
        session_id: session.id,
        next,
    })
}

pub async fn sign_out(accounts: &Accounts, who: &Principal) -> Result<()> {
    let txn = accounts.db.begin_session_change().await?;
    // The queue goes with the session (a trigger), its refresh tokens by ON DELETE CASCADE.
    let deleted = session::Entity::delete_by_id(&who.session_id)
        .exec(&*txn)
        .await;
    txn.finish(deleted.map_err(Error::from)).await?;
    accounts.delivery.streams.end_signed_out(&who.session_id);
    tracing::info!(user_id = %who.user_id, session_id = %who.session_id, "signed out");
    Ok(())
}

/// The token was valid; is its session still alive? Signing out or expiry ends it at once.
/// The user's name comes from the database, not from the token: what is posted under a
/// name shows the name as stored.
pub async fn authenticate(accounts: &Accounts, claims: &Claims) -> Result<Principal> {
    let of_user = session::Entity::belongs_to(user::Entity)
        .from(session::Column::UserId)
        .to(user::Column::Id)
        .into();
    let alive: Option<String> = session::Entity::find_by_id(&claims.sid)
        .filter(session::Column::UserId.eq(&claims.sub))
        .filter(session::Column::ExpiresAt.gt(now_ms()))
        .filter(user::Column::DisabledAt.is_null())
        .select_only()
        .column(user::Column::Name)
        .join(JoinType::InnerJoin, of_user)
        .into_tuple()
        .one(accounts.db.conn())
        .await?;
    match alive {
        Some(user_name) => Ok(Principal {
            user_id: claims.sub.clone(),
            user_name,
            session_id: claims.sid.clone(),
        }),
        None => Err(Error::unauthenticated(
            "the session has ended; sign in again",
        )),
    }
}

fn refuse_disabled(user: &user::Model) -> Result<()> {
    match user.disabled_at {
        Some(_) => Err(Error::PermissionDenied(
            "this account is disabled; ask the server's operator".into(),
        )),
        None => Ok(()),
    }
}

fn issue(
    accounts: &Accounts,
    user: user::Model,
    session_id: String,
    refresh_token: String,
) -> Result<SignedIn> {
    let (access_token, access_expires_at) =
        accounts.jwt.issue(&user.id, &user.name, &session_id)?;
    Ok(SignedIn {
        user_id: user.id,
        user_name: user.name,
        access_token,
        refresh_token,
        access_expires_at,
    })
}

async fn insert_refresh_token(
    txn: &WriteTxn,
    session_id: &str,
    token: &str,
    now: i64,
) -> Result<()> {
    refresh_token::ActiveModel {
        token_hash: Set(refresh::digest(token)),
        session_id: Set(session_id.to_owned()),
        created_at: Set(now),
        used_at: Set(None),
    }
    .insert(&**txn)
    .await?;
    Ok(())
}

/// Keeps the user's `keep` newest sessions and ends the others: every session receives a
/// queue row per event, so a client that signs in again and again without signing out
/// must not multiply the cost of every post. Returns the ended sessions.
async fn evict_oldest_sessions(txn: &WriteTxn, user_id: &str, keep: u32) -> Result<Vec<String>> {
    let old: Vec<String> = session::Entity::find()
        .select_only()
        .column(session::Column::Id)
        .filter(session::Column::UserId.eq(user_id))
        .order_by_desc(session::Column::CreatedAt)
        .order_by_desc(session::Column::Id)
        .offset(u64::from(keep.max(1)))
        // SQLite accepts OFFSET only after a LIMIT.
        .limit(u64::from(u32::MAX))
        .into_tuple()
        .all(&**txn)
        .await?;
    if !old.is_empty() {
        // Their queues go with them (a trigger), their refresh tokens by ON DELETE CASCADE.
        session::Entity::delete_many()
            .filter(session::Column::Id.is_in(old.clone()))
            .exec(&**txn)
            .await?;
    }
    Ok(old)
}

/// The highest event id so far (0 if none). Read under the ordering lock, so no event
/// below it can still commit.
async fn latest_event_id(txn: &WriteTxn) -> Result<i64> {
    let latest: Option<Option<i64>> = event::Entity::find()
        .select_only()
        .expr(Func::max(Expr::col(event::Column::Id)))
        .into_tuple()
        .one(&**txn)
        .await?;
    Ok(latest.flatten().unwrap_or(0))
}

fn refresh_ttl_ms(accounts: &Accounts) -> i64 {
    i64::try_from(
        accounts
            .settings
            .refresh_token_ttl_secs
            .saturating_mul(1000),
    )
    .unwrap_or(i64::MAX)
}
