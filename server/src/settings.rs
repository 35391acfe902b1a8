//! The server's settings: what each key means ([`Settings`] and its sections), where
//! they come from ([`load`]: files, variables, flags, each refused with a precise error
//! when wrong), how they are shown back ([`render`]) and checked ([`check`]).

mod check;
pub mod dotenv;
mod keys;
pub mod load;
mod render;
mod suggest;

pub use keys::environment_variables;
pub use load::{ConfigError, LoadOptions};

use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt, path::PathBuf, time::Duration};

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub storage: StorageSettings,
    pub auth: AuthSettings,
    pub chat: ChatSettings,
    pub delivery: DeliverySettings,
    pub log: LogSettings,
    /// For every key set by something other than the defaults: what set it (a file, a
    /// variable, a flag), so errors and `chat-server config` can say so.
    #[serde(skip)]
    pub origins: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub shutdown_grace_secs: u64,
    /// PEM certificate chain and private key; both empty = plaintext. See [`crate::tls`].
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    /// Open connections allowed in total and from one client address (see
    /// [`crate::incoming`]); keep the total below the process's file-descriptor limit.
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    /// HTTP/2 streams (calls) open at once on one connection.
    pub max_concurrent_streams: u32,
    /// HTTP/2 pings on an idle connection, and how long one may go unanswered before the
    /// connection is dropped: a cut stream is noticed within their sum.
    pub keepalive_interval_secs: u64,
    pub keepalive_timeout_secs: u64,
    /// The request headers of one call, in bytes; a little over it HTTP/2 refuses that
    /// call (431), and well over it (about 1.25× as sent) closes the connection.
    pub max_header_bytes: usize,
    /// A unary call (its request read, its work done) that takes longer fails with
    /// CANCELLED; streaming responses are not cut by it.
    pub request_timeout_secs: u64,
    /// The largest request message each service accepts (RESOURCE_EXHAUSTED above it).
    pub max_auth_request_bytes: usize,
    pub max_chat_request_bytes: usize,
    /// `host:port` of the Prometheus endpoint (HTTP, `GET /metrics`); empty = off.
    pub metrics_addr: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct DatabaseSettings {
    pub url: Secret,
    pub max_connections: u32,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct StorageSettings {
    pub data_dir: PathBuf,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct AuthSettings {
    pub jwt_secret: Secret,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    /// Sign-in attempts not known to have succeeded (failed or still being checked)
    /// allowed per (user name, client address) and per client address within the window.
    pub sign_in_max_failures: u32,
    pub sign_in_max_failures_per_ip: u32,
    pub sign_in_failure_window_secs: u64,
    /// Sessions one user may hold; signing in once more ends the oldest.
    pub max_sessions_per_user: u32,
    /// A session that has had no Subscribe stream for this long is ended.
    pub session_idle_secs: u64,
    /// Whether anyone may SignUp, or only an operator (`chat-server admin user create`).
    pub registration: Registration,
    /// What the ssh gateway presents to manage ssh keys and sign in with them (empty:
    /// no gateway is trusted).
    pub gateway_secret: Secret,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    Open,
    Closed,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ChatSettings {
    pub required_reactions: u32,
    pub emoji: Vec<String>,
    pub max_content_chars: usize,
    pub max_content_bytes: usize,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct DeliverySettings {
    pub queue_cap: u64,
    pub retention_secs: u64,
    pub janitor_interval_secs: u64,
    pub subscriber_buffer: usize,
    pub slow_subscriber_timeout_secs: u64,
    pub poll_interval_ms: u64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct LogSettings {
    pub dir: PathBuf,
    pub level: String,
    pub format: LogFormat,
    /// Daily files kept before the oldest is deleted; 0 keeps them all.
    pub keep_files: usize,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Settings {
    /// Every layer, from the process environment (after `.env`) and the given flags.
    pub fn load(options: &LoadOptions) -> Result<Self, ConfigError> {
        load::from_process(options)
    }

    /// The built-in defaults alone: the base that tests adjust in code.
    pub fn defaults() -> Result<Self, ConfigError> {
        load::defaults()
    }

    /// What set `key` ("the built-in defaults" when nothing else did).
    pub fn origin(&self, key: &str) -> &str {
        self.origins
            .get(key)
            .map_or("the built-in defaults", String::as_str)
    }

    pub fn listen_addr(&self) -> String {
        format!("{}:{}", self.server.host, self.server.port)
    }

    /// What `chat-server config check` finds wrong, reading the files the settings name.
    pub fn check(&self) -> anyhow::Result<()> {
        check::check(self)
    }

    /// The effective configuration as TOML that loads back, secrets left out (for
    /// `chat-server config`).
    pub fn redacted(&self) -> String {
        render::toml(self)
    }
}

impl DeliverySettings {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms.max(10))
    }
}

/// A string that never shows itself in `Debug` output or logs.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Shown as `"[redacted]"` (or `""` when unset) wherever settings are serialized.
impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(if self.0.is_empty() { "" } else { REDACTED })
    }
}

const REDACTED: &str = "[redacted]";

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            write!(f, "{REDACTED:?}")
        }
    }
}

#[cfg(test)]
mod tests;
