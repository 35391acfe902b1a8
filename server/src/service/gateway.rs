//! `auth.v1.GatewayService`: what only the ssh gateway may call (docs/api.md §8). Every
//! call first shows the configured `auth.gateway_secret` in metadata; the secret is what
//! makes the server believe the gateway verified a client's ssh key. The same proof lets
//! the gateway's SignIn calls name the ssh client's address for the throttle
//! ([`forwarded_client`]).

use super::observe::{call, record_user};
use crate::{
    accounts::{self, ssh_keys},
    auth::Principal,
    domain::timestamp,
    entity::ssh_key,
    error::{Error, Result},
    state::AppState,
};
use anyhow::bail;
use chat_protocol::auth::v1::{self as pb, gateway_service_server::GatewayService};
use sha2::{Digest, Sha256};
use std::{net::IpAddr, sync::Arc};
use tonic::{Request, Response, Status, metadata::MetadataMap};

/// The metadata key the secret travels in.
pub const SECRET_HEADER: &str = "x-chat-gateway-secret";
/// The metadata key of the ssh client's address, on SignIn from the gateway.
pub const CLIENT_ADDRESS_HEADER: &str = "x-chat-client-address";

const NOT_A_GATEWAY: &str = "this call is for the ssh gateway (a configured auth.gateway_secret)";

/// At start: a configured secret must be long enough to resist guessing.
pub fn check_secret_setting(secret: &str) -> anyhow::Result<()> {
    let min = crate::auth::secret::MIN_SECRET_BYTES;
    if !secret.is_empty() && secret.len() < min {
        bail!(
            "auth.gateway_secret is {} bytes; at least {min} are required (e.g. `openssl rand -hex 32`)",
            secret.len()
        );
    }
    Ok(())
}

/// Whether the call carries the configured secret. Compared as digests, byte by byte
/// without stopping early, so the time taken tells nothing about how much was right.
fn holds_secret(state: &AppState, metadata: &MetadataMap) -> bool {
    let configured = state.settings.auth.gateway_secret.expose();
    let Some(presented) = metadata.get(SECRET_HEADER) else {
        return false;
    };
    if configured.is_empty() {
        return false;
    }
    let a = Sha256::digest(configured.as_bytes());
    let b = Sha256::digest(presented.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |diff, (x, y)| diff | (x ^ y))
        == 0
}

fn require_gateway(state: &AppState, metadata: &MetadataMap) -> Result<()> {
    if holds_secret(state, metadata) {
        Ok(())
    } else {
        Err(Error::PermissionDenied(NOT_A_GATEWAY.into()))
    }
}

/// The ssh client's address named by the gateway on a SignIn, when the call holds the
/// secret; `None` otherwise (the connection's own address counts then: anyone else's
/// claim to speak for another address is ignored).
pub fn forwarded_client(state: &AppState, metadata: &MetadataMap) -> Option<IpAddr> {
    let claimed = metadata.get(CLIENT_ADDRESS_HEADER)?;
    if !holds_secret(state, metadata) {
        tracing::warn!("a SignIn named a client address without the gateway secret; ignored");
        return None;
    }
    claimed.to_str().ok()?.trim().parse().ok()
}

pub struct GatewayApi {
    state: Arc<AppState>,
}

impl GatewayApi {
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }

    /// The gateway's proof, then the user's session (the access token).
    async fn caller(&self, metadata: &MetadataMap) -> Result<Principal> {
        require_gateway(&self.state, metadata)?;
        let claims = self.state.jwt.verify_metadata(metadata)?;
        let who = accounts::authenticate(&self.state.accounts, &claims).await?;
        record_user(&who.user_id);
        Ok(who)
    }
}

fn to_pb(key: ssh_key::Model) -> pb::SshKey {
    pb::SshKey {
        fingerprint: key.fingerprint,
        algorithm: key.algorithm,
        comment: key.comment,
        added_at: Some(timestamp(key.created_at)),
        last_used_at: key.last_used_at.map(timestamp),
    }
}

#[tonic::async_trait]
impl GatewayService for GatewayApi {
    async fn add_ssh_key(
        &self,
        request: Request<pb::AddSshKeyRequest>,
    ) -> Result<Response<pb::SshKey>, Status> {
        let peer = request.remote_addr();
        call("AddSshKey", peer, async {
            let who = self.caller(request.metadata()).await?;
            let req = request.get_ref();
            let key =
                ssh_keys::add(&self.state.accounts, &who, &req.public_key, &req.comment).await?;
            Ok(Response::new(to_pb(key)))
        })
        .await
    }

    async fn list_ssh_keys(
        &self,
        request: Request<pb::ListSshKeysRequest>,
    ) -> Result<Response<pb::ListSshKeysResponse>, Status> {
        let peer = request.remote_addr();
        call("ListSshKeys", peer, async {
            let who = self.caller(request.metadata()).await?;
            let keys = ssh_keys::list(&self.state.accounts, &who).await?;
            Ok(Response::new(pb::ListSshKeysResponse {
                keys: keys.into_iter().map(to_pb).collect(),
            }))
        })
        .await
    }

    async fn remove_ssh_key(
        &self,
        request: Request<pb::RemoveSshKeyRequest>,
    ) -> Result<Response<pb::RemoveSshKeyResponse>, Status> {
        let peer = request.remote_addr();
        call("RemoveSshKey", peer, async {
            let who = self.caller(request.metadata()).await?;
            ssh_keys::remove(&self.state.accounts, &who, &request.get_ref().fingerprint).await?;
            Ok(Response::new(pb::RemoveSshKeyResponse {}))
        })
        .await
    }

    async fn sign_in_with_ssh_key(
        &self,
        request: Request<pb::SignInWithSshKeyRequest>,
    ) -> Result<Response<pb::SignInResponse>, Status> {
        let peer = request.remote_addr();
        call("SignInWithSshKey", peer, async {
            require_gateway(&self.state, request.metadata())?;
            let req = request.get_ref();
            let s =
                ssh_keys::sign_in(&self.state.accounts, &req.user_name, &req.public_key).await?;
            record_user(&s.user_id);
            Ok(Response::new(super::auth::signed_in(s)))
        })
        .await
    }
}
