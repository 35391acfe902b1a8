//! Refresh tokens: 256 random bits, shown to the client once and stored only as SHA-256
//! (a fast hash is enough for a random secret of that size).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn digest(token: &str) -> String {
    let hash = Sha256::digest(token.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_256_bits() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).expect("base64").len(), 32);
    }

    #[test]
    fn digests_are_stable_and_do_not_contain_the_token() {
        let t = generate();
        assert_eq!(digest(&t), digest(&t));
        assert_eq!(digest(&t).len(), 64);
        assert!(!digest(&t).contains(&t));
    }
}
