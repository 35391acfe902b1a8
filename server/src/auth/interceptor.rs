//! Checks the bearer token of every chat RPC before the handler runs, and hands the
//! claims to it in the request extensions. The handler then confirms that the session
//! still exists (a database read, which a synchronous interceptor cannot do).

use super::{Claims, JwtKeys};
use std::sync::Arc;
use tonic::{Request, Status, service::Interceptor};

#[derive(Clone)]
pub struct AuthInterceptor {
    keys: Arc<JwtKeys>,
}

impl AuthInterceptor {
    pub fn new(keys: Arc<JwtKeys>) -> Self {
        Self { keys }
    }
}

impl Interceptor for AuthInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let claims: Claims = self.keys.verify_metadata(request.metadata())?;
        request.extensions_mut().insert(claims);
        Ok(request)
    }
}
