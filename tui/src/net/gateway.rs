//! What only a session opened through the ssh gateway can do: the gateway's secret goes
//! with its calls (docs/api.md §8), so the server lets it manage the user's ssh keys,
//! sign in with a key the gateway verified, and count sign-in attempts against the ssh
//! client's address instead of the gateway's.

use super::session::{Ctx, RPC_TIMEOUT};
use crate::app::{KeyOp, KeysReply, NetEvent, RpcError};
use chat_protocol::auth::v1::gateway_service_client::GatewayServiceClient;
use chat_protocol::auth::v1::{
    AddSshKeyRequest, ListSshKeysRequest, RemoveSshKeyRequest, SignInResponse,
    SignInWithSshKeyRequest, SshKey,
};
use std::net::IpAddr;
use std::sync::Arc;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic::{Code, Request};

/// The metadata the server reads (server/src/service/gateway.rs).
const SECRET_HEADER: &str = "x-chat-gateway-secret";
const CLIENT_ADDRESS_HEADER: &str = "x-chat-client-address";

/// One ssh connection's standing with the server.
#[derive(Clone, Debug, Default)]
pub struct GatewayLink {
    /// `CHAT__AUTH__GATEWAY_SECRET`; `None`: the server does not trust this gateway, so
    /// there are no key sign-ins and sign-ins count against the gateway's address.
    pub secret: Option<Arc<str>>,
    /// The ssh client's address.
    pub client: Option<IpAddr>,
    /// The public key the ssh client proved it holds on this connection (OpenSSH line),
    /// which `:key add` registers.
    pub verified_key: Option<String>,
}

impl GatewayLink {
    /// Adds the secret, and the client's address when known, to a call.
    pub fn stamp<T>(&self, request: &mut Request<T>) {
        let Some(secret) = &self.secret else {
            return;
        };
        let metadata = request.metadata_mut();
        if let Ok(value) = MetadataValue::try_from(&**secret) {
            metadata.insert(SECRET_HEADER, value);
        }
        if let Some(client) = self.client
            && let Ok(value) = MetadataValue::try_from(client.to_string())
        {
            metadata.insert(CLIENT_ADDRESS_HEADER, value);
        }
    }
}

fn timed_out() -> RpcError {
    RpcError::new(Code::DeadlineExceeded, "the server did not answer in time")
}

/// A session for `user` with a key the gateway verified.
pub async fn sign_in_with_key(
    channel: &Channel,
    link: &GatewayLink,
    user: String,
    key: String,
) -> Result<SignInResponse, RpcError> {
    let mut request = Request::new(SignInWithSshKeyRequest {
        user_name: user,
        public_key: key,
    });
    link.stamp(&mut request);
    let mut client = GatewayServiceClient::new(channel.clone());
    match tokio::time::timeout(RPC_TIMEOUT, client.sign_in_with_ssh_key(request)).await {
        Ok(Ok(response)) => Ok(response.into_inner()),
        Ok(Err(status)) => Err(status.into()),
        Err(_) => Err(timed_out()),
    }
}

/// Whether the server accepts `secret` (checked once at the gateway's start, so that a
/// mismatch shows in its log rather than as refused keys later): a call with the secret
/// and no token gets UNAUTHENTICATED when the secret is right, PERMISSION_DENIED when not.
pub async fn secret_accepted(channel: &Channel, secret: Arc<str>) -> Result<bool, RpcError> {
    let link = GatewayLink {
        secret: Some(secret),
        ..GatewayLink::default()
    };
    let mut request = Request::new(ListSshKeysRequest {});
    link.stamp(&mut request);
    let mut client = GatewayServiceClient::new(channel.clone());
    match tokio::time::timeout(RPC_TIMEOUT, client.list_ssh_keys(request)).await {
        Ok(Err(status)) if status.code() == Code::Unauthenticated => Ok(true),
        Ok(Err(status)) if status.code() == Code::PermissionDenied => Ok(false),
        Ok(Err(status)) => Err(status.into()),
        Ok(Ok(_)) => Ok(true),
        Err(_) => Err(timed_out()),
    }
}

/// `:key …`, reported as one `NetEvent::SshKeys`.
pub async fn key_op(ctx: Ctx, link: GatewayLink, op: KeyOp) {
    let result = run(&ctx, &link, op).await;
    ctx.emit(NetEvent::SshKeys(result));
}

async fn run(ctx: &Ctx, link: &GatewayLink, op: KeyOp) -> Result<KeysReply, RpcError> {
    match op {
        KeyOp::Add { comment } => {
            let Some(key) = link.verified_key.clone() else {
                return Err(RpcError::new(
                    Code::FailedPrecondition,
                    "your ssh client offered no key on this connection: load one \
                     (ssh-add) or name it (ssh -i), connect again and type :key add",
                ));
            };
            let request = AddSshKeyRequest {
                public_key: key,
                comment,
            };
            let added = call(ctx, link, request, |mut c, r| async move {
                c.add_ssh_key(r).await
            })
            .await?;
            Ok(KeysReply::Added(added))
        }
        KeyOp::List => Ok(KeysReply::Listed(list(ctx, link).await?)),
        KeyOp::Remove { fingerprint } => {
            let keys = list(ctx, link).await?;
            let key = pick(&keys, &fingerprint)?;
            let request = RemoveSshKeyRequest {
                fingerprint: key.fingerprint.clone(),
            };
            call(ctx, link, request, |mut c, r| async move {
                c.remove_ssh_key(r).await
            })
            .await?;
            Ok(KeysReply::Removed(key.clone()))
        }
    }
}

async fn list(ctx: &Ctx, link: &GatewayLink) -> Result<Vec<SshKey>, RpcError> {
    let listed = call(ctx, link, ListSshKeysRequest {}, |mut c, r| async move {
        c.list_ssh_keys(r).await
    })
    .await?;
    Ok(listed.keys)
}

/// The one key whose fingerprint starts with `typed` (with or without "SHA256:").
pub fn pick<'a>(keys: &'a [SshKey], typed: &str) -> Result<&'a SshKey, RpcError> {
    let typed = typed.trim();
    let bare = typed.strip_prefix("SHA256:").unwrap_or(typed);
    if bare.is_empty() {
        return Err(RpcError::new(
            Code::InvalidArgument,
            "name the key by the start of its fingerprint (:key list shows them)",
        ));
    }
    let fits: Vec<&SshKey> = keys
        .iter()
        .filter(|k| {
            k.fingerprint
                .strip_prefix("SHA256:")
                .unwrap_or(&k.fingerprint)
                .starts_with(bare)
        })
        .collect();
    match fits.as_slice() {
        [one] => Ok(one),
        [] => Err(RpcError::new(
            Code::NotFound,
            format!("no key of yours has a fingerprint starting with {bare}"),
        )),
        many => Err(RpcError::new(
            Code::InvalidArgument,
            format!(
                "{bare} starts {} of your keys' fingerprints; give more of it",
                many.len()
            ),
        )),
    }
}

/// One gateway call with the session's current access token and the secret.
async fn call<Req, T, F, Fut>(
    ctx: &Ctx,
    link: &GatewayLink,
    message: Req,
    f: F,
) -> Result<T, RpcError>
where
    F: FnOnce(GatewayServiceClient<Channel>, Request<Req>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let mut request = Request::new(message);
    link.stamp(&mut request);
    let token = ctx.access_token.borrow().clone();
    let bearer = MetadataValue::try_from(format!("Bearer {token}"))
        .map_err(|_| RpcError::new(Code::Unauthenticated, "the access token is not ASCII"))?;
    request.metadata_mut().insert("authorization", bearer);
    let client = GatewayServiceClient::new(ctx.channel.clone());
    match tokio::time::timeout(RPC_TIMEOUT, f(client, request)).await {
        Ok(Ok(response)) => Ok(response.into_inner()),
        Ok(Err(status)) => Err(status.into()),
        Err(_) => Err(timed_out()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(fingerprint: &str) -> SshKey {
        SshKey {
            fingerprint: fingerprint.into(),
            ..SshKey::default()
        }
    }

    #[test]
    fn a_key_is_picked_by_the_start_of_its_fingerprint() {
        let keys = [key("SHA256:abcDEF"), key("SHA256:abXYZ"), key("SHA256:Qrs")];
        let picked = |typed: &str| pick(&keys, typed).map(|k| k.fingerprint.clone());
        assert_eq!(picked("abc").ok().as_deref(), Some("SHA256:abcDEF"));
        assert_eq!(picked("SHA256:Q").ok().as_deref(), Some("SHA256:Qrs"));
        assert_eq!(
            picked("ab").map_err(|e| e.code),
            Err(Code::InvalidArgument),
            "two fit"
        );
        assert_eq!(picked("zz").map_err(|e| e.code), Err(Code::NotFound));
        assert_eq!(picked(" ").map_err(|e| e.code), Err(Code::InvalidArgument));
        // Fingerprints are base64: case matters.
        assert_eq!(picked("ABC").map_err(|e| e.code), Err(Code::NotFound));
    }

    #[test]
    fn without_a_secret_nothing_is_added_to_a_call() {
        let mut request = Request::new(());
        GatewayLink {
            client: Some([192, 0, 2, 1].into()),
            ..GatewayLink::default()
        }
        .stamp(&mut request);
        assert!(request.metadata().is_empty());
        let mut request = Request::new(());
        GatewayLink {
            secret: Some("s".repeat(32).into()),
            client: Some([192, 0, 2, 1].into()),
            verified_key: None,
        }
        .stamp(&mut request);
        let get = |k| request.metadata().get(k).and_then(|v| v.to_str().ok());
        assert_eq!(get(SECRET_HEADER), Some("s".repeat(32).as_str()));
        assert_eq!(get(CLIENT_ADDRESS_HEADER), Some("192.0.2.1"));
    }
}
