use super::observe::{call, record_user};
use crate::{accounts, domain::timestamp, error::Result, state::AppState};
use chat_protocol::auth::v1::{self as pb, auth_service_server::AuthService};
use std::sync::Arc;
use tonic::{Request, Response, Status};

pub struct AuthApi {
    state: Arc<AppState>,
}

impl AuthApi {
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }
}

pub(super) fn signed_in(s: accounts::SignedIn) -> pb::SignInResponse {
    pb::SignInResponse {
        user_id: s.user_id,
        user_name: s.user_name,
        access_token: s.access_token,
        refresh_token: s.refresh_token,
        access_expires_at: Some(timestamp(
            i64::try_from(s.access_expires_at)
                .unwrap_or(i64::MAX)
                .saturating_mul(1000),
        )),
    }
}

#[tonic::async_trait]
impl AuthService for AuthApi {
    async fn sign_up(
        &self,
        request: Request<pb::SignUpRequest>,
    ) -> Result<Response<pb::SignUpResponse>, Status> {
        let peer = request.remote_addr();
        let req = request.into_inner();
        call("SignUp", peer, async {
            let user_id =
                accounts::register(&self.state.accounts, &req.user_name, &req.password).await?;
            record_user(&user_id);
            Ok(Response::new(pb::SignUpResponse { user_id }))
        })
        .await
    }

    async fn sign_in(
        &self,
        request: Request<pb::SignInRequest>,
    ) -> Result<Response<pb::SignInResponse>, Status> {
        let peer = request.remote_addr();
        // Through the ssh gateway, the ssh client's address, so that one guesser over
        // ssh cannot use up the throttle budget of everyone else who comes that way.
        let client_ip = super::gateway::forwarded_client(&self.state, request.metadata())
            .or_else(|| request.remote_addr().map(|addr| addr.ip()));
        let req = request.into_inner();
        call("SignIn", peer, async {
            let s = accounts::sign_in(
                &self.state.accounts,
                &req.user_name,
                &req.password,
                client_ip,
            )
            .await?;
            record_user(&s.user_id);
            Ok(Response::new(signed_in(s)))
        })
        .await
    }

    async fn refresh(
        &self,
        request: Request<pb::RefreshRequest>,
    ) -> Result<Response<pb::SignInResponse>, Status> {
        let peer = request.remote_addr();
        let req = request.into_inner();
        call("Refresh", peer, async {
            let s = accounts::refresh(&self.state.accounts, &req.refresh_token).await?;
            record_user(&s.user_id);
            Ok(Response::new(signed_in(s)))
        })
        .await
    }

    async fn sign_out(
        &self,
        request: Request<pb::SignOutRequest>,
    ) -> Result<Response<pb::SignOutResponse>, Status> {
        let peer = request.remote_addr();
        call("SignOut", peer, async {
            let claims = self.state.jwt.verify_metadata(request.metadata())?;
            let who = accounts::authenticate(&self.state.accounts, &claims).await?;
            record_user(&who.user_id);
            accounts::sign_out(&self.state.accounts, &who).await?;
            Result::Ok(Response::new(pb::SignOutResponse {}))
        })
        .await
    }
}
