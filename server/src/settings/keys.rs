//! The settable keys and the variables that set them. The keys are those of the built-in
//! `config/default.toml`, so a key added there is settable everywhere at once.

use super::ConfigError;
use toml::{Table, Value};

/// The defaults are compiled in, so the binary runs from any directory.
pub(super) const DEFAULTS: &str = include_str!("../../../config/default.toml");

/// Other names for a few keys: the earlier Python version's variables and the usual
/// `DATABASE_URL`. The `CHAT__` variable of the same key wins over them.
pub(super) const ALIASES: &[(&str, &str)] = &[
    ("PORT", "server.port"),
    ("JWT_SECRET_KEY", "auth.jwt_secret"),
    ("JWT_EXPIRATION_TIME", "auth.access_token_ttl_secs"),
    ("DATABASE_URL", "database.url"),
    ("DB_CONNECTION_STRING", "database.url"),
];

/// Never printed or logged; `chat-server config` leaves them out.
pub(super) const SECRET_KEYS: &[&str] = &["auth.jwt_secret", "auth.gateway_secret", "database.url"];

/// Resolved to absolute paths when loaded (see [`super::load`] for the base).
pub(super) const PATH_KEYS: &[&str] = &[
    "storage.data_dir",
    "log.dir",
    "server.tls_cert",
    "server.tls_key",
];

/// Variables that choose where settings come from, or override the log filter.
pub(super) const OTHER_VARIABLES: &[&str] =
    &["CHAT_ENV", "CHAT_CONFIG_DIR", "CHAT_CONFIG", "RUST_LOG"];

/// Any variable may instead name a file holding its value (as container secrets do).
pub(super) const FILE_SUFFIX: &str = "_FILE";

pub(super) fn defaults() -> Result<Table, ConfigError> {
    DEFAULTS
        .parse::<Table>()
        .map_err(|e| ConfigError::new(format!("the built-in defaults: {e}")))
}

/// `[server] port = 9000` → `("server.port", 9000)`, in file order.
pub(super) fn flatten(table: &Table) -> Vec<(String, Value)> {
    let mut keys = Vec::new();
    for (section, body) in table {
        if let Value::Table(body) = body {
            for (key, value) in body {
                keys.push((format!("{section}.{key}"), value.clone()));
            }
        }
    }
    keys
}

/// `auth.access_token_ttl_secs` → `CHAT__AUTH__ACCESS_TOKEN_TTL_SECS`.
pub(super) fn variable(key: &str) -> String {
    format!("CHAT__{}", key.replace('.', "__").to_uppercase())
}

/// Every environment variable the server reads, so deployment files can be checked
/// against it (a misspelt variable is refused at start, but better caught earlier).
pub fn environment_variables() -> Vec<String> {
    let keys = defaults().map(|t| flatten(&t)).unwrap_or_default();
    let names: Vec<String> = keys
        .iter()
        .map(|(key, _)| variable(key))
        .chain(ALIASES.iter().map(|(name, _)| (*name).to_owned()))
        .collect();
    names
        .iter()
        .flat_map(|name| [name.clone(), format!("{name}{FILE_SUFFIX}")])
        .chain(OTHER_VARIABLES.iter().map(|name| (*name).to_owned()))
        .collect()
}
