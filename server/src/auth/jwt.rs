//! Access tokens: HS256 JWTs (the algorithm is pinned, so a token whose header names
//! another one is refused) carrying the user, the session and a unique id.

use crate::error::{Error, Result};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tonic::metadata::MetadataMap;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// User name, for logs and display; the database stays the authority.
    pub name: String,
    /// Session id: the token is good only while this session exists.
    pub sid: String,
    pub jti: String,
    pub iat: u64,
    pub exp: u64,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: u64,
}

/// The one message for every token failure: the caller learns nothing about which check
/// failed.
const INVALID_TOKEN: &str = "invalid or expired access token";

impl JwtKeys {
    pub fn new(secret: &[u8], ttl_secs: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs,
        }
    }

    /// Returns the token and its expiry in Unix seconds.
    pub fn issue(&self, user_id: &str, user_name: &str, session_id: &str) -> Result<(String, u64)> {
        let iat = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: user_id.to_owned(),
            name: user_name.to_owned(),
            sid: session_id.to_owned(),
            jti: crate::domain::new_id(),
            iat,
            exp: iat + self.ttl_secs,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(Error::internal)?;
        Ok((token, claims.exp))
    }

    pub fn verify(&self, token: &str) -> Result<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| Error::unauthenticated(INVALID_TOKEN))
    }

    /// Reads `authorization: Bearer <token>` and verifies it.
    pub fn verify_metadata(&self, metadata: &MetadataMap) -> Result<Claims> {
        let header = metadata
            .get("authorization")
            .ok_or_else(|| Error::unauthenticated("missing access token"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                Error::unauthenticated("authorization must be 'Bearer <access_token>'")
            })?;
        self.verify(token.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use tonic::Code;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn keys() -> JwtKeys {
        JwtKeys::new(SECRET, 3600)
    }

    #[test]
    fn an_issued_token_verifies_with_its_claims() {
        let (token, exp) = keys().issue("u1", "alice", "s1").expect("issue");
        let claims = keys().verify(&token).expect("verify");
        assert_eq!(
            (
                claims.sub.as_str(),
                claims.name.as_str(),
                claims.sid.as_str()
            ),
            ("u1", "alice", "s1")
        );
        assert_eq!(claims.exp, exp);
        assert!(!claims.jti.is_empty());
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let (token, _) = JwtKeys::new(b"another-secret-another-secret-xx", 3600)
            .issue("u1", "alice", "s1")
            .expect("issue");
        assert_eq!(
            keys().verify(&token).expect_err("forged").code(),
            Code::Unauthenticated
        );
    }

    #[test]
    fn an_expired_token_is_refused() {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: "u1".into(),
            name: "alice".into(),
            sid: "s1".into(),
            jti: "j".into(),
            iat: now - 100,
            exp: now - 10,
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .expect("encode");
        assert_eq!(
            keys().verify(&token).expect_err("expired").code(),
            Code::Unauthenticated
        );
    }

    #[test]
    fn a_token_claiming_alg_none_is_refused() {
        let (token, _) = keys().issue("u1", "alice", "s1").expect("issue");
        let mut parts = token.split('.');
        let (_, payload) = (parts.next(), parts.next().expect("payload"));
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        for forged in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}"),
        ] {
            assert_eq!(
                keys().verify(&forged).expect_err("alg none").code(),
                Code::Unauthenticated
            );
        }
    }

    #[test]
    fn a_token_with_a_swapped_algorithm_is_refused() {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: "u1".into(),
            name: "a".into(),
            sid: "s".into(),
            jti: "j".into(),
            iat: now,
            exp: now + 60,
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .expect("encode");
        assert_eq!(
            keys().verify(&token).expect_err("HS512").code(),
            Code::Unauthenticated
        );
    }

    #[test]
    fn garbage_and_missing_headers_are_unauthenticated() {
        assert_eq!(
            keys().verify("not.a.jwt").expect_err("garbage").code(),
            Code::Unauthenticated
        );
        let empty = MetadataMap::new();
        assert_eq!(
            keys().verify_metadata(&empty).expect_err("missing").code(),
            Code::Unauthenticated
        );
        let mut basic = MetadataMap::new();
        basic.insert("authorization", "Basic abc".parse().expect("ascii"));
        assert_eq!(
            keys().verify_metadata(&basic).expect_err("basic").code(),
            Code::Unauthenticated
        );
    }
}
