//! The gRPC channel and clients. The channel connects lazily and reconnects by itself;
//! HTTP/2 keepalives notice a dead connection (a laptop lid, a dropped ssh tunnel's
//! network) within seconds instead of leaving the event stream hanging. An https:// URL
//! speaks TLS, trusting the given CA file or else the bundled public (Mozilla) roots.

use anyhow::Context as _;
use chat_protocol::auth::v1::auth_service_client::AuthServiceClient;
use chat_protocol::chat::v1::chat_service_client::ChatServiceClient;
use std::path::Path;
use std::time::Duration;
use tokio::sync::watch;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Request, Status};

pub type Chat = ChatServiceClient<InterceptedService<Channel, Bearer>>;
pub type Auth = AuthServiceClient<InterceptedService<Channel, Bearer>>;

pub fn channel(server: &str, ca_file: Option<&Path>) -> anyhow::Result<Channel> {
    let mut endpoint = Endpoint::from_shared(server.to_owned())?;
    if server.starts_with("https://") {
        let tls = match ca_file {
            Some(path) => {
                let pem = std::fs::read(path)
                    .with_context(|| format!("reading the CA file {}", path.display()))?;
                ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem))
            }
            None => ClientTlsConfig::new().with_webpki_roots(),
        };
        endpoint = endpoint.tls_config(tls).context("configuring TLS")?;
    }
    Ok(endpoint
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true)
        // A ping every 3 s, given up after 3 s more: a server that stopped answering
        // (hung, or its network gone) is noticed within 6 s, well inside the 10 s a
        // user should wait to be told.
        .http2_keep_alive_interval(Duration::from_secs(3))
        .keep_alive_timeout(Duration::from_secs(3))
        .keep_alive_while_idle(true)
        .connect_lazy())
}

/// Adds `authorization: Bearer <access token>` to every call, reading the token at
/// call time so a refreshed token is used from the next call on.
#[derive(Clone)]
pub struct Bearer {
    token: watch::Receiver<String>,
}

impl Bearer {
    pub fn new(token: watch::Receiver<String>) -> Self {
        Self { token }
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let token = self.token.borrow().clone();
        if !token.is_empty() {
            let value: MetadataValue<_> = format!("Bearer {token}")
                .parse()
                .map_err(|_| Status::unauthenticated("the access token is not valid ASCII"))?;
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

pub fn clients(channel: Channel, token: watch::Receiver<String>) -> (Chat, Auth) {
    let bearer = Bearer::new(token);
    (
        ChatServiceClient::with_interceptor(channel.clone(), bearer.clone()),
        AuthServiceClient::with_interceptor(channel, bearer),
    )
}

#[cfg(test)]
mod tls_tests;
