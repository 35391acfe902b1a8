//! `chat-server config check`: what can be known wrong without starting the server.
//! Loading has already refused unknown keys and wrong types; this reads the files the
//! settings name and checks the values that only make sense together.

use super::Settings;
use anyhow::{Context, bail};
use std::net::SocketAddr;

/// Every problem found, or `Ok` with nothing written anywhere.
pub fn check(settings: &Settings) -> anyhow::Result<()> {
    crate::tls::server_config(&settings.server).with_context(|| {
        format!(
            "server.tls_cert / server.tls_key ({})",
            settings.origin("server.tls_cert")
        )
    })?;
    let secret = settings.auth.jwt_secret.expose();
    if !secret.is_empty() && secret.len() < crate::auth::secret::MIN_SECRET_BYTES {
        bail!(
            "{}: the JWT secret is {} bytes; at least {} are required",
            settings.origin("auth.jwt_secret"),
            secret.len(),
            crate::auth::secret::MIN_SECRET_BYTES
        );
    }
    let gateway = settings.auth.gateway_secret.expose();
    if !gateway.is_empty() && gateway.len() < crate::auth::secret::MIN_SECRET_BYTES {
        bail!(
            "{}: the gateway secret is {} bytes; at least {} are required (e.g. `openssl rand -hex 32`)",
            settings.origin("auth.gateway_secret"),
            gateway.len(),
            crate::auth::secret::MIN_SECRET_BYTES
        );
    }
    let url = settings.database.url.expose();
    if !(url.is_empty()
        || url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://"))
    {
        bail!(
            "{}: `database.url` must be empty (SQLite in the data directory), sqlite://… or postgres://…",
            settings.origin("database.url")
        );
    }
    let metrics = &settings.server.metrics_addr;
    if !metrics.is_empty() && metrics.parse::<SocketAddr>().is_err() {
        bail!(
            "{}: `server.metrics_addr` = {metrics:?} is not host:port (e.g. \"127.0.0.1:9100\")",
            settings.origin("server.metrics_addr")
        );
    }
    let dir = &settings.storage.data_dir;
    if dir.exists() && !dir.is_dir() {
        bail!(
            "{}: `storage.data_dir` = {} is not a directory",
            settings.origin("storage.data_dir"),
            dir.display()
        );
    }
    Ok(())
}
