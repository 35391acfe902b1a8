//! Users and sessions: sign-up, sign-in with throttling, refresh-token rotation with reuse
//! detection, sign-out, and the per-request session check.

use crate::{
    auth::{Claims, Principal, password, refresh},
    db::WriteTxn,
    domain::{Password, UserName, key_of, new_id, now_ms},
    entity::{event, refresh_token, session, sign_in_failure, user},
    error::{Error, Result},
    state::AppState,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
    sea_query::{Expr, Func},
};

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

pub async fn sign_up(state: &AppState, raw_name: &str, raw_password: &str) -> Result<String> {
    let name = UserName::parse(raw_name)?;
    let password = Password::parse(raw_password)?;
    let taken = || Error::AlreadyExists(format!("user name {:?} is taken", name.as_str()));
    if user::Entity::find()
        .filter(user::Column::NameKey.eq(name.key()))
        .one(state.db.conn())
        .await?
        .is_some()
    {
        return Err(taken());
    }
    let hash = password::hash(password.expose().to_owned()).await?;
    let id = new_id();
    let txn = state.db.begin_write().await?;
    let inserted = user::ActiveModel {
        id: Set(id.clone()),
        name: Set(name.as_str().to_owned()),
        name_key: Set(name.key()),
        password_hash: Set(hash),
        created_at: Set(now_ms()),
    }
    .insert(&*txn)
    .await
    .map(drop)
    .map_err(|e| match Error::from(e) {
        // Two sign-ups raced for the name: the unique index decided.
        Error::AlreadyExists(_) => taken(),
        other => other,
    });
    txn.finish(inserted).await?;
    tracing::info!(user_id = %id, "signed up");
    Ok(id)
}

pub async fn sign_in(state: &AppState, raw_name: &str, raw_password: &str) -> Result<SignedIn> {
    let key = key_of(raw_name);
    let auth = &state.settings.auth;
    let now = now_ms();
    let window_ms = i64::try_from(auth.sign_in_failure_window_secs * 1000).unwrap_or(i64::MAX);
    let recent = sign_in_failure::Entity::find()
        .filter(sign_in_failure::Column::NameKey.eq(&key))
        .filter(sign_in_failure::Column::At.gt(now - window_ms))
        .order_by_asc(sign_in_failure::Column::At);
    if recent.clone().count(state.db.conn()).await? >= u64::from(auth.sign_in_max_failures) {
        let oldest = recent.one(state.db.conn()).await?.map_or(now, |f| f.at);
        let wait_secs = ((oldest + window_ms - now) / 1000).max(1);
        return Err(Error::ResourceExhausted(format!(
            "too many failed sign-ins for this user name; try again in {wait_secs} s"
        )));
    }

    let found = user::Entity::find()
        .filter(user::Column::NameKey.eq(&key))
        .one(state.db.conn())
        .await?;
    let verified = password::verify(
        found.as_ref().map(|u| u.password_hash.clone()),
        raw_password.to_owned(),
    )
    .await?;
    let user = match found {
        Some(user) if verified => user,
        _ => {
            let txn = state.db.begin_write().await?;
            let recorded = sign_in_failure::ActiveModel {
                name_key: Set(key),
                at: Set(now_ms()),
                ..Default::default()
            }
            .insert(&*txn)
            .await;
            txn.finish(recorded.map_err(Error::from)).await?;
            return Err(Error::unauthenticated(BAD_CREDENTIALS));
        }
    };

    let session_id = new_id();
    let refresh_token = refresh::generate();
    let now = now_ms();
    let txn = state.db.begin_ordered().await?;
    let created = async {
        let first_event_id = latest_event_id(&txn).await?;
        session::ActiveModel {
            id: Set(session_id.clone()),
            user_id: Set(user.id.clone()),
            created_at: Set(now),
            expires_at: Set(now + refresh_ttl_ms(state)),
            trimmed_up_to: Set(None),
            first_event_id: Set(first_event_id),
        }
        .insert(&*txn)
        .await?;
        insert_refresh_token(&txn, &session_id, &refresh_token, now).await?;
        sign_in_failure::Entity::delete_many()
            .filter(sign_in_failure::Column::NameKey.eq(&user.name_key))
            .exec(&*txn)
            .await?;
        Ok(())
    }
    .await;
    txn.finish(created).await?;
    tracing::info!(user_id = %user.id, session_id = %session_id, "signed in");
    issue(state, user, session_id, refresh_token)
}

pub async fn refresh(state: &AppState, presented: &str) -> Result<SignedIn> {
    let invalid = || Error::unauthenticated("invalid or expired refresh token");
    if presented.is_empty() {
        return Err(invalid());
    }
    let hash = refresh::digest(presented);
    let now = now_ms();
    let txn = state.db.begin_ordered().await?;
    let outcome = rotate(state, &txn, &hash, now).await;
    let outcome = txn.finish(outcome).await?;
    match outcome {
        Rotation::Rotated {
            user,
            session_id,
            next,
        } => issue(state, user, session_id, next),
        Rotation::Reused { session_id } => {
            state.streams.end_signed_out(&session_id);
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

async fn rotate(state: &AppState, txn: &WriteTxn, hash: &str, now: i64) -> Result<Rotation> {
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
            Expr::value(now + refresh_ttl_ms(state)),
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

pub async fn sign_out(state: &AppState, who: &Principal) -> Result<()> {
    let txn = state.db.begin_ordered().await?;
    // The queue and refresh tokens go with the session (ON DELETE CASCADE).
    let deleted = session::Entity::delete_by_id(&who.session_id)
        .exec(&*txn)
        .await;
    txn.finish(deleted.map_err(Error::from)).await?;
    state.streams.end_signed_out(&who.session_id);
    tracing::info!(user_id = %who.user_id, session_id = %who.session_id, "signed out");
    Ok(())
}

/// The token was valid; is its session still alive? Signing out or expiry ends it at once.
pub async fn authenticate(state: &AppState, claims: &Claims) -> Result<Principal> {
    let alive = session::Entity::find_by_id(&claims.sid)
        .filter(session::Column::UserId.eq(&claims.sub))
        .filter(session::Column::ExpiresAt.gt(now_ms()))
        .one(state.db.conn())
        .await?;
    match alive {
        Some(_) => Ok(Principal {
            user_id: claims.sub.clone(),
            user_name: claims.name.clone(),
            session_id: claims.sid.clone(),
        }),
        None => Err(Error::unauthenticated(
            "the session has ended; sign in again",
        )),
    }
}

fn issue(
    state: &AppState,
    user: user::Model,
    session_id: String,
    refresh_token: String,
) -> Result<SignedIn> {
    let (access_token, access_expires_at) = state.jwt.issue(&user.id, &user.name, &session_id)?;
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

fn refresh_ttl_ms(state: &AppState) -> i64 {
    i64::try_from(
        state
            .settings
            .auth
            .refresh_token_ttl_secs
            .saturating_mul(1000),
    )
    .unwrap_or(i64::MAX)
}
