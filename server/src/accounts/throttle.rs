//! The sign-in throttle: attempts are counted per (user name, client address) and per
//! client address, and an attempt is counted *before* its password is checked.
//!
//! Counting only finished failures let 200 concurrent guesses through against a limit
//! of 5: all of them read the count before any was written. Here each attempt first
//! reserves its place — count and insert in one transaction, serialized per client
//! address — and only a successful check removes it. Keying by address as well as name
//! means a guesser elsewhere cannot lock the real user out; the per-address budget stops
//! one address from guessing at many names.

use crate::{
    db::{Db, WriteTxn},
    entity::sign_in_failure,
    error::{Error, Result},
    settings::AuthSettings,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set, Statement,
};
use std::net::IpAddr;

/// The address an attempt is counted against: an IPv4 address as it is, an IPv6 one by
/// its /64 network — one host is commonly given a whole /64, so counting single IPv6
/// addresses would give one guesser billions of budgets. (An IPv4-mapped IPv6 address
/// counts as its IPv4 address.)
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Where an attempt comes from: see [`address_key`] ("" when unknown).
pub struct Attempt<'a> {
    pub name_key: &'a str,
    pub client_ip: &'a str,
}

/// Records the attempt, or refuses it with RESOURCE_EXHAUSTED when the name from this
/// address, or this address altogether, has used its attempts in the window.
pub async fn reserve(db: &Db, auth: &AuthSettings, attempt: &Attempt<'_>, now: i64) -> Result<()> {
    let txn = db.begin_write().await?;
    let reserved = reserve_in(&txn, auth, attempt, now).await;
    txn.finish(reserved).await
}

async fn reserve_in(
    txn: &WriteTxn,
    auth: &AuthSettings,
    attempt: &Attempt<'_>,
    now: i64,
) -> Result<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        // SQLite writers already run one at a time; on PostgreSQL, attempts from one
        // address queue here so that counting and inserting are one step.
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(1936289396, hashtext($1))",
            [attempt.client_ip.into()],
        ))
        .await?;
    }
    let since = now - window_ms(auth);
    let from_ip = || {
        sign_in_failure::Entity::find()
            .filter(sign_in_failure::Column::ClientIp.eq(attempt.client_ip))
            .filter(sign_in_failure::Column::At.gt(since))
            .order_by_asc(sign_in_failure::Column::At)
    };
    let for_name = from_ip().filter(sign_in_failure::Column::NameKey.eq(attempt.name_key));
    if for_name.clone().count(&**txn).await? >= u64::from(auth.sign_in_max_failures) {
        let oldest = for_name.one(&**txn).await?.map_or(now, |f| f.at);
        return Err(exhausted("this user name", oldest, now, auth));
    }
    if from_ip().count(&**txn).await? >= u64::from(auth.sign_in_max_failures_per_ip) {
        let oldest = from_ip().one(&**txn).await?.map_or(now, |f| f.at);
        return Err(exhausted("your address", oldest, now, auth));
    }
    sign_in_failure::ActiveModel {
        name_key: Set(attempt.name_key.to_owned()),
        client_ip: Set(attempt.client_ip.to_owned()),
        at: Set(now),
        ..Default::default()
    }
    .insert(&**txn)
    .await?;
    Ok(())
}

/// After a successful sign-in: the attempts of this name from this address are forgiven
/// (those from elsewhere stay: they may be someone else's guesses).
pub async fn forgive(txn: &WriteTxn, attempt: &Attempt<'_>) -> Result<()> {
    sign_in_failure::Entity::delete_many()
        .filter(sign_in_failure::Column::NameKey.eq(attempt.name_key))
        .filter(sign_in_failure::Column::ClientIp.eq(attempt.client_ip))
        .exec(&**txn)
        .await?;
    Ok(())
}

fn window_ms(auth: &AuthSettings) -> i64 {
    i64::try_from(auth.sign_in_failure_window_secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

fn exhausted(whom: &str, oldest: i64, now: i64, auth: &AuthSettings) -> Error {
    let wait_secs = ((oldest.saturating_add(window_ms(auth)) - now) / 1000).max(1);
    Error::ResourceExhausted(format!(
        "too many sign-in attempts for {whom}; try again in {wait_secs} s"
    ))
}

#[cfg(test)]
mod tests {
    use super::address_key;

    #[test]
    fn ipv6_addresses_count_by_their_64_bit_network() {
        let key = |s: &str| address_key(s.parse().expect("ip"));
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
    }
}
