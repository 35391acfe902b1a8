//! Argon2id password hashes (OWASP minimum: 19 MiB, t=2, p=1), computed on the blocking
//! pool so a sign-in never stalls the async runtime.

use crate::error::{Error, Result};
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

fn argon2() -> Argon2<'static> {
    // The parameters are constants known to be valid, so this cannot fail.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub async fn hash(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(Error::internal)
    })
    .await
    .map_err(Error::internal)?
}

/// `None` stands for an unknown user: a dummy hash is verified anyway, so that the answer
/// takes as long as for a real user and does not reveal which names exist.
pub async fn verify(stored: Option<String>, password: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| dummy_hash().to_owned());
        let parsed = PasswordHash::new(&stored).map_err(Error::internal)?;
        let ok = argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && ok)
    })
    .await
    .map_err(Error::internal)?
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(b"not a real password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let h = hash("correct horse".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(
            verify(Some(h.clone()), "correct horse".into())
                .await
                .expect("verify")
        );
        assert!(!verify(Some(h), "wrong horse".into()).await.expect("verify"));
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(
            !verify(None, "not a real password".into())
                .await
                .expect("verify")
        );
    }
}
