//! `auth.v1.AuthService` in memory: SignUp and SignIn with chat-server's status codes, an
//! opaque random token per session, and the check every chat call makes (a map lookup
//! instead of a JWT and a session row). Names follow the SignUp rules in a simpler form
//! (3–32 letters, digits, `_ . -`; taken ignoring case, without NFKC or the confusable
//! check): the load generator's names pass both. Refresh and SignOut are UNIMPLEMENTED.

use super::world::{User, World};
use chat_protocol::auth::v1::{self as pb, auth_service_server::AuthService};
use std::{collections::HashMap, sync::Arc};
use tonic::{Request, Response, Status, metadata::MetadataMap};

use super::session::Session;

pub struct AuthApi {
    world: Arc<World>,
}

impl AuthApi {
    pub fn new(world: Arc<World>) -> Self {
        Self { world }
    }
}

/// The caller's session, from `authorization: Bearer <token>`, with chat-server's texts.
pub fn authorize(world: &World, metadata: &MetadataMap) -> Result<Arc<Session>, Status> {
    let header = metadata
        .get("authorization")
        .ok_or_else(|| Status::unauthenticated("missing access token"))?;
    let token = header
        .to_str()
        .ok()
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .ok_or_else(|| Status::unauthenticated("authorization must be 'Bearer <access_token>'"))?;
    world
        .session(token)
        .ok_or_else(|| Status::unauthenticated("invalid or expired access token"))
}

fn check_name(name: &str) -> Result<(), Status> {
    let chars = name.chars().count();
    if !(3..=32).contains(&chars) {
        return Err(Status::invalid_argument(
            "user name must be 3 to 32 characters long",
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || "_.-".contains(*c)))
    {
        return Err(Status::invalid_argument(format!(
            "user name may contain only letters, digits, '_', '.' and '-' (found {bad:?})"
        )));
    }
    Ok(())
}

fn password_ok(password: &str) -> bool {
    (8..=128).contains(&password.chars().count())
}

#[tonic::async_trait]
impl AuthService for AuthApi {
    async fn sign_up(
        &self,
        request: Request<pb::SignUpRequest>,
    ) -> Result<Response<pb::SignUpResponse>, Status> {
        let pb::SignUpRequest {
            user_name,
            password,
        } = request.into_inner();
        check_name(&user_name)?;
        if !password_ok(&password) {
            return Err(Status::invalid_argument(
                "password must be 8 to 128 characters long",
            ));
        }
        let mut w = self.world.lock();
        let key = user_name.to_lowercase();
        if w.user_by_name.contains_key(&key) {
            return Err(Status::already_exists(format!(
                "user name {user_name:?} is taken"
            )));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let index = w.users.len();
        w.users.push(User {
            id: id.clone(),
            name: user_name,
            password,
            sessions: Vec::new(),
            last_message: HashMap::new(),
        });
        w.user_by_name.insert(key, index);
        Ok(Response::new(pb::SignUpResponse { user_id: id }))
    }

    async fn sign_in(
        &self,
        request: Request<pb::SignInRequest>,
    ) -> Result<Response<pb::SignInResponse>, Status> {
        let pb::SignInRequest {
            user_name,
            password,
        } = request.into_inner();
        let wrong = || Status::unauthenticated("invalid user name or password");
        let (user, user_id, stored_name) = {
            let w = self.world.lock();
            let &user = w
                .user_by_name
                .get(&user_name.to_lowercase())
                .ok_or_else(wrong)?;
            let u = &w.users[user];
            if u.password != password {
                return Err(wrong());
            }
            (user, u.id.clone(), u.name.clone())
        };
        let access_token = self.world.open_session(user);
        let expires = super::world::now();
        Ok(Response::new(pb::SignInResponse {
            user_id,
            user_name: stored_name,
            access_token,
            // Refresh is not served: a token that cannot be used.
            refresh_token: String::new(),
            access_expires_at: Some(prost_types::Timestamp {
                seconds: expires.seconds + 3600,
                nanos: expires.nanos,
            }),
        }))
    }

    async fn refresh(
        &self,
        _request: Request<pb::RefreshRequest>,
    ) -> Result<Response<pb::SignInResponse>, Status> {
        Err(Status::unimplemented("not in the reference server"))
    }

    async fn sign_out(
        &self,
        _request: Request<pb::SignOutRequest>,
    ) -> Result<Response<pb::SignOutResponse>, Status> {
        Err(Status::unimplemented("not in the reference server"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_sign_up_rules() {
        assert!(check_name("lgab12cd-s17").is_ok());
        assert!(check_name("ab").is_err());
        assert!(check_name("a b c").is_err());
        assert!(check_name(&"x".repeat(33)).is_err());
        assert!(password_ok("loadgen password"));
        assert!(!password_ok("short"));
    }

    #[test]
    fn a_token_must_come_as_a_bearer_header_and_be_known() {
        let world = World::new(2);
        let mut md = MetadataMap::new();
        let code = |md: &MetadataMap| authorize(&world, md).map(drop).map_err(|s| s.code());
        assert_eq!(code(&md), Err(tonic::Code::Unauthenticated));
        md.insert("authorization", "Token abc".parse().expect("ascii"));
        assert_eq!(code(&md), Err(tonic::Code::Unauthenticated));
        md.insert("authorization", "Bearer abc".parse().expect("ascii"));
        assert_eq!(code(&md), Err(tonic::Code::Unauthenticated));
    }
}
