//! Layered configuration: the built-in `config/default.toml` → `config/{CHAT_ENV}.toml`
//! (optional) → the earlier Python version's variables (`PORT`, `JWT_SECRET_KEY`,
//! `JWT_EXPIRATION_TIME`, `DB_CONNECTION_STRING`) → `CHAT__SECTION__KEY` variables.

use serde::Deserialize;
use std::{fmt, path::PathBuf, time::Duration};

/// The defaults are compiled in, so the binary runs from any directory.
const DEFAULTS: &str = include_str!("../../config/default.toml");

/// The earlier version's variable names and the keys they set. A `CHAT__` variable for
/// the same key wins, because it is the more specific of the two.
const LEGACY_VARIABLES: &[(&str, &str)] = &[
    ("PORT", "server.port"),
    ("JWT_SECRET_KEY", "auth.jwt_secret"),
    ("JWT_EXPIRATION_TIME", "auth.access_token_ttl_secs"),
    ("DB_CONNECTION_STRING", "database.url"),
];

#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub storage: StorageSettings,
    pub auth: AuthSettings,
    pub chat: ChatSettings,
    pub delivery: DeliverySettings,
    pub log: LogSettings,
}

#[derive(Clone, Debug, Deserialize)]
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
    /// The request headers of one call, in bytes; a little over it HTTP/2 refuses that
    /// call (431), and well over it (about 1.25× as sent) closes the connection.
    pub max_header_bytes: usize,
    /// A unary call (its request read, its work done) that takes longer fails with
    /// CANCELLED; streaming responses are not cut by it.
    pub request_timeout_secs: u64,
    /// The largest request message each service accepts (RESOURCE_EXHAUSTED above it).
    pub max_auth_request_bytes: usize,
    pub max_chat_request_bytes: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct DatabaseSettings {
    pub url: Secret,
    pub max_connections: u32,
}

#[derive(Clone, Debug, Deserialize)]
pub struct StorageSettings {
    pub data_dir: PathBuf,
}

#[derive(Clone, Debug, Deserialize)]
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
}

#[derive(Clone, Debug, Deserialize)]
pub struct ChatSettings {
    pub required_reactions: u32,
    pub emoji: Vec<String>,
    pub max_content_chars: usize,
    pub max_content_bytes: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct DeliverySettings {
    pub queue_cap: u64,
    pub retention_secs: u64,
    pub janitor_interval_secs: u64,
    pub subscriber_buffer: usize,
    pub slow_subscriber_timeout_secs: u64,
    pub poll_interval_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LogSettings {
    pub dir: PathBuf,
    pub level: String,
    pub format: LogFormat,
    /// Daily files kept before the oldest is deleted; 0 keeps them all.
    pub keep_files: usize,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Settings {
    /// Reads every layer from the process environment and `config/` under the working
    /// directory (or `CHAT_CONFIG_DIR`).
    pub fn load() -> Result<Self, config::ConfigError> {
        let dir = std::env::var("CHAT_CONFIG_DIR").unwrap_or_else(|_| "config".into());
        let profile = std::env::var("CHAT_ENV").ok();
        Self::load_from(&dir, profile.as_deref(), |name| std::env::var(name).ok())
    }

    /// The built-in defaults alone: the base that tests adjust in code.
    pub fn defaults() -> Result<Self, config::ConfigError> {
        Self::load_from("/nonexistent", None, |_| None)
    }

    fn load_from(
        dir: &str,
        profile: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, config::ConfigError> {
        use config::{Config, File, FileFormat};
        let mut builder = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::with_name(&format!("{dir}/default")).required(false));
        if let Some(profile) = profile.filter(|p| !p.is_empty()) {
            builder =
                builder.add_source(File::with_name(&format!("{dir}/{profile}")).required(false));
        }
        for (legacy, key) in LEGACY_VARIABLES {
            if env(&chat_variable(key)).is_none() {
                builder = builder.set_override_option(*key, env(legacy))?;
            }
        }
        // Applied by hand rather than with config::Environment so that tests can pass
        // their own environment and never read the process's.
        for key in ALL_KEYS {
            if let Some(value) = env(&chat_variable(key)) {
                builder = if *key == "chat.emoji" {
                    let list: Vec<String> = value.split_whitespace().map(str::to_owned).collect();
                    builder.set_override(*key, list)?
                } else {
                    builder.set_override(*key, value)?
                };
            }
        }
        builder.build()?.try_deserialize()
    }

    pub fn listen_addr(&self) -> String {
        format!("{}:{}", self.server.host, self.server.port)
    }

    /// Every key with its value, secrets redacted (for `chat-server config` and the log).
    pub fn redacted(&self) -> String {
        format!("{self:#?}")
    }
}

impl DeliverySettings {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms.max(10))
    }
}

/// `auth.access_token_ttl_secs` → `CHAT__AUTH__ACCESS_TOKEN_TTL_SECS`.
fn chat_variable(key: &str) -> String {
    format!("CHAT__{}", key.replace('.', "__").to_uppercase())
}

/// Every settable key, so `CHAT__…` variables are matched exactly (and a typo is ignored
/// rather than half-applied).
const ALL_KEYS: &[&str] = &[
    "server.host",
    "server.port",
    "server.shutdown_grace_secs",
    "server.tls_cert",
    "server.tls_key",
    "server.max_connections",
    "server.max_connections_per_ip",
    "server.max_concurrent_streams",
    "server.max_header_bytes",
    "server.request_timeout_secs",
    "server.max_auth_request_bytes",
    "server.max_chat_request_bytes",
    "database.url",
    "database.max_connections",
    "storage.data_dir",
    "auth.jwt_secret",
    "auth.access_token_ttl_secs",
    "auth.refresh_token_ttl_secs",
    "auth.sign_in_max_failures",
    "auth.sign_in_max_failures_per_ip",
    "auth.sign_in_failure_window_secs",
    "auth.max_sessions_per_user",
    "auth.session_idle_secs",
    "chat.required_reactions",
    "chat.emoji",
    "chat.max_content_chars",
    "chat.max_content_bytes",
    "delivery.queue_cap",
    "delivery.retention_secs",
    "delivery.janitor_interval_secs",
    "delivery.subscriber_buffer",
    "delivery.slow_subscriber_timeout_secs",
    "delivery.poll_interval_ms",
    "log.dir",
    "log.level",
    "log.format",
    "log.keep_files",
];

/// Variables that choose where settings come from, or override the log filter.
const OTHER_VARIABLES: &[&str] = &["CHAT_ENV", "CHAT_CONFIG_DIR", "RUST_LOG"];

/// Every environment variable the server reads, so deployment files can be checked
/// against it (a misspelt variable would otherwise be silently ignored).
pub fn environment_variables() -> Vec<String> {
    ALL_KEYS
        .iter()
        .map(|key| chat_variable(key))
        .chain(LEGACY_VARIABLES.iter().map(|(name, _)| (*name).to_owned()))
        .chain(OTHER_VARIABLES.iter().map(|name| (*name).to_owned()))
        .collect()
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

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("\"[redacted]\"")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Settings {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load_from("/nonexistent", None, |name| vars.get(name).cloned())
            .expect("settings load")
    }

    #[test]
    fn defaults_match_the_design() {
        let s = load(&[]);
        assert_eq!(s.chat.required_reactions, 2);
        assert_eq!(s.auth.access_token_ttl_secs, 3600);
        assert_eq!(s.delivery.queue_cap, 10_000);
        assert_eq!(s.delivery.retention_secs, 7 * 24 * 3600);
        assert_eq!(s.chat.emoji.len(), 9);
        assert_eq!(s.chat.emoji[0], "👍");
        assert!(s.database.url.is_empty());
    }

    #[test]
    fn legacy_variables_are_honoured() {
        let s = load(&[
            ("PORT", "7001"),
            ("JWT_SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("JWT_EXPIRATION_TIME", "60"),
            ("DB_CONNECTION_STRING", "postgres://x@y/z"),
        ]);
        assert_eq!(s.server.port, 7001);
        assert_eq!(
            s.auth.jwt_secret.expose(),
            "0123456789abcdef0123456789abcdef"
        );
        assert_eq!(s.auth.access_token_ttl_secs, 60);
        assert_eq!(s.database.url.expose(), "postgres://x@y/z");
    }

    #[test]
    fn chat_variables_win_over_legacy_ones() {
        let s = load(&[("PORT", "7001"), ("CHAT__SERVER__PORT", "7002")]);
        assert_eq!(s.server.port, 7002);
    }

    #[test]
    fn tls_and_log_retention_can_be_set_from_the_environment() {
        let s = load(&[
            ("CHAT__SERVER__TLS_CERT", "/certs/chat.pem"),
            ("CHAT__SERVER__TLS_KEY", "/certs/chat.key"),
            ("CHAT__LOG__KEEP_FILES", "3"),
        ]);
        assert_eq!(s.server.tls_cert, PathBuf::from("/certs/chat.pem"));
        assert_eq!(s.server.tls_key, PathBuf::from("/certs/chat.key"));
        assert_eq!(s.log.keep_files, 3);
        let defaults = load(&[]);
        assert!(defaults.server.tls_cert.as_os_str().is_empty());
        assert_eq!(defaults.log.keep_files, 14);
    }

    #[test]
    fn every_key_has_a_variable_in_the_list() {
        let vars = environment_variables();
        assert!(vars.contains(&"CHAT__SERVER__TLS_CERT".to_owned()));
        assert!(vars.contains(&"JWT_SECRET_KEY".to_owned()));
        assert!(vars.contains(&"CHAT_ENV".to_owned()));
    }

    #[test]
    fn emoji_list_can_be_set_from_the_environment() {
        let s = load(&[("CHAT__CHAT__EMOJI", "👍 🎉")]);
        assert_eq!(s.chat.emoji, vec!["👍", "🎉"]);
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let s = load(&[("JWT_SECRET_KEY", "super-secret-value-that-is-long-enough!")]);
        let shown = s.redacted();
        assert!(!shown.contains("super-secret"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }
}
