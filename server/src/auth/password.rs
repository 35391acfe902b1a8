//! Argon2id password hashes (OWASP minimum: 19 MiB, t=2, p=1), computed off the async
//! runtime on a few dedicated threads — one per core. Tokio's blocking pool would run up
//! to hundreds at once under a sign-in burst: 19 MiB each, and the allocator keeps what
//! each thread once used, so the server's memory would grow to gigabytes and stay there.
//! A fixed pool bounds both the CPU and the memory that hashing can take.

use crate::error::{Error, Result};
use argon2::password_hash::{
    self, Output, ParamsString, PasswordHash, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::cell::RefCell;
use std::sync::{Mutex, OnceLock, PoisonError, mpsc};

type Job = Box<dyn FnOnce() + Send>;

/// Runs `work` on the hashing threads and waits for it without blocking the runtime.
async fn on_hash_pool<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    static POOL: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    let pool = POOL.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8));
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        tx
    });
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done_tx.send(work());
    });
    pool.send(job)
        .map_err(|_| Error::internal("password hashing threads are gone"))?;
    done_rx
        .await
        .map_err(|_| Error::internal("password hashing job was dropped"))
}

pub async fn hash(password: String) -> Result<String> {
    on_hash_pool(move || {
        let salt = SaltString::generate(&mut OsRng);
        phc_string(password.as_bytes(), &salt).map_err(Error::internal)
    })
    .await?
}

/// `None` stands for an unknown user: a dummy hash is verified anyway, so that the answer
/// takes as long as for a real user and does not reveal which names exist.
pub async fn verify(stored: Option<String>, password: String) -> Result<bool> {
    on_hash_pool(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| dummy_hash().to_owned());
        let matches = matches(&stored, password.as_bytes()).map_err(Error::internal)?;
        Ok(known && matches)
    })
    .await?
}

thread_local! {
    /// Argon2's 19 MiB working memory, allocated once per hashing thread and reused: a
    /// fresh allocation per hash fragments the heap, and the process keeps growing.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs Argon2 with `params` on this thread's reusable memory.
fn compute(params: &Params, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    MEMORY.with_borrow_mut(|memory| {
        if memory.len() != params.block_count() {
            memory.clear();
            memory.resize(params.block_count(), Block::new());
        }
        hasher.hash_password_into_with_memory(password, salt, out, memory.as_mut_slice())
    })
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for a new hash.
fn phc_string(password: &[u8], salt: &SaltString) -> password_hash::Result<String> {
    let params = params();
    let salt = salt.as_salt();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        compute(&params, password, salt_bytes, out).map_err(password_hash::Error::from)
    })?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the stored PHC string, with the stored parameters (so an
/// older cost setting still verifies). `Output` compares in constant time.
fn matches(stored: &str, password: &[u8]) -> password_hash::Result<bool> {
    let parsed = PasswordHash::new(stored)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(password_hash::Error::PhcStringField);
    };
    let params = Params::try_from(&parsed)?;
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let actual = Output::init_with(expected.len(), |out| {
        compute(&params, password, salt_bytes, out).map_err(password_hash::Error::from)
    })?;
    Ok(actual == expected)
}

fn params() -> Params {
    // The OWASP minimum; constants known to be valid, so the fallback is never taken.
    Params::new(19 * 1024, 2, 1, None).unwrap_or_default()
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        phc_string(b"not a real password", &salt).unwrap_or_default()
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
    async fn hashes_from_the_standard_api_still_verify() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let standard = Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
            .hash_password(b"correct horse", &salt)
            .expect("hash")
            .to_string();
        assert!(
            verify(Some(standard.clone()), "correct horse".into())
                .await
                .expect("verify")
        );
        assert!(
            !verify(Some(standard), "wrong horse".into())
                .await
                .expect("verify")
        );
    }

    #[tokio::test]
    async fn many_concurrent_hashes_all_complete() {
        let hashes = futures::future::join_all((0..6).map(|i| hash(format!("password {i}")))).await;
        for (i, h) in hashes.into_iter().enumerate() {
            let h = h.expect("hash");
            assert!(
                verify(Some(h), format!("password {i}"))
                    .await
                    .expect("verify")
            );
        }
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
