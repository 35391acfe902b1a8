//! `chat-server healthcheck`: asks the local server's own `grpc.health.v1.Health` service
//! whether it is serving, so a container needs no separate probe binary. It speaks TLS
//! when the server does (see [`crate::tls::local_endpoint`]).

use crate::settings::ServerSettings;
use anyhow::Context;
use std::time::Duration;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// The overall status ("" = the whole server) of the server on 127.0.0.1:`port`.
pub async fn check(settings: &ServerSettings, timeout: Duration) -> anyhow::Result<ServingStatus> {
    let endpoint = crate::tls::local_endpoint(settings)?
        .connect_timeout(timeout)
        .timeout(timeout);
    let uri = endpoint.uri().to_string();
    let channel = tokio::time::timeout(timeout, endpoint.connect())
        .await
        .with_context(|| format!("no answer from {uri} within {timeout:?}"))?
        .with_context(|| format!("connecting to {uri}"))?;
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .with_context(|| format!("health check at {uri}"))?;
    Ok(response.into_inner().status())
}
