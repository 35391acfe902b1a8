//! Authentication: password hashing, access tokens (JWT), refresh tokens, the secret they
//! are signed with, and the interceptor that checks the bearer token on every chat RPC.

pub mod interceptor;
pub mod jwt;
pub mod password;
pub mod refresh;
pub mod secret;

pub use interceptor::AuthInterceptor;
pub use jwt::{Claims, JwtKeys};

/// Who is calling, once the token and its session have both been checked.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: String,
    pub user_name: String,
    pub session_id: String,
}
