//! Settings from the flags, the environment (and `.env`), and the optional config file.
//!
//! ```toml
//! # ~/.config/chat-tui/config.toml
//! server = "https://chat.example:9000"
//! ca_file = "/etc/chat/ca.pem"   # optional: trust this CA for https:// (else public roots)
//! mouse = false
//! emoji = ["👍", "❤️", "😂", "😮", "😢", "🎉", "🔥", "👀", "🙏"]
//! max_message_chars = 4000      # the server's chat.max_content_chars
//! theme = "dark"                # or "light" (a light background), "mono" (no colour)
//! bell = true                   # ring the terminal bell when someone mentions me
//! [keys.pane]
//! select_older = ["k", "up"]
//! react_1 = ["1", "y"]
//! ```

use crate::app::state::{DEFAULT_EMOJI_SET, DEFAULT_MAX_CHARS};
use crate::cli::Cli;
use crate::keymap::KeyMap;
use anyhow::{Context as _, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DEFAULT_SERVER: &str = "http://127.0.0.1:9000";
const DEFAULT_PORT: &str = "9000";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    server: Option<String>,
    ca_file: Option<PathBuf>,
    mouse: Option<bool>,
    emoji: Option<Vec<String>>,
    /// "dark" (the default), "light" (colours for a light background) or "mono".
    theme: Option<String>,
    /// The server's `chat.max_content_chars`, if it is not the default.
    max_message_chars: Option<usize>,
    /// Ring the bell on a mention (default true; `--no-bell` wins).
    bell: Option<bool>,
    #[serde(default)]
    keys: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Clone)]
pub struct Credentials {
    pub user_name: String,
    pub password: String,
    /// Create the account first if it does not exist yet.
    pub sign_up: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub server: String,
    /// The CA to trust for an https:// server; `None` = the bundled public roots.
    pub ca_file: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub keymap: KeyMap,
    pub emoji: Vec<String>,
    pub mouse: bool,
    pub color: bool,
    pub light: bool,
    pub max_chars: usize,
    pub bell: bool,
    pub credentials: Option<Credentials>,
}

/// Reads an environment variable, treating empty as unset.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn home() -> Option<PathBuf> {
    env("HOME").map(PathBuf::from)
}

/// `$XDG_DATA_HOME/chat-tui`, else `~/.local/share/chat-tui`, else `./.chat-tui`.
pub fn default_data_dir() -> PathBuf {
    env("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".local/share")))
        .map_or_else(|| PathBuf::from(".chat-tui"), |d| d.join("chat-tui"))
}

fn default_config_file() -> Option<PathBuf> {
    env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".config")))
        .map(|d| d.join("chat-tui").join("config.toml"))
}

/// The server URL from `SERVER_HOST` and `PORT` (the old client's variables). A host
/// without a scheme gets `http://`.
pub fn server_from_env(host: Option<&str>, port: Option<&str>) -> Option<String> {
    let host = host?;
    let port = port.unwrap_or(DEFAULT_PORT);
    if host.contains("://") {
        let has_port = host
            .split("://")
            .nth(1)
            .is_some_and(|rest| rest.contains(':'));
        return Some(if has_port {
            host.to_owned()
        } else {
            format!("{}:{port}", host.trim_end_matches('/'))
        });
    }
    Some(format!("http://{host}:{port}"))
}

/// Checks the URL early, so a typo is reported on stderr before the screen is taken.
fn validate_server(url: &str) -> anyhow::Result<String> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        bail!("server URL must start with http:// or https://, got {url:?}");
    }
    tonic::transport::Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("invalid server URL {url:?}"))?;
    Ok(url.to_owned())
}

/// A CA file only means something for TLS, and must be readable: both are reported
/// now, on stderr, rather than as a connection error inside the UI.
fn check_ca_file(server: &str, ca_file: Option<&Path>) -> anyhow::Result<()> {
    let Some(path) = ca_file else {
        return Ok(());
    };
    if !server.starts_with("https://") {
        bail!(
            "--ca-file ({}) needs an https:// server URL, got {server}",
            path.display()
        );
    }
    std::fs::metadata(path).with_context(|| format!("CA file {}", path.display()))?;
    Ok(())
}

fn read_file(path: &Path, required: bool) -> anyhow::Result<FileConfig> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).with_context(|| format!("in {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            Ok(FileConfig::default())
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// `theme` from the config file → (colour at all, colours for a light background).
/// https://no-color.org: NO_COLOR set and not empty means no colour, whatever the theme.
fn theme(name: Option<&str>, no_color: bool) -> anyhow::Result<(bool, bool)> {
    Ok(match name.unwrap_or("dark") {
        "dark" => (!no_color, false),
        "light" => (!no_color, true),
        "mono" => (false, false),
        other => bail!("config file: theme must be \"dark\", \"light\" or \"mono\", got {other:?}"),
    })
}

pub fn load(cli: &Cli) -> anyhow::Result<Config> {
    // A .env file is a convenience for SERVER_HOST/PORT; missing is fine.
    let _ = dotenvy::dotenv();
    let file = match &cli.config {
        Some(path) => read_file(path, true)?,
        None => match default_config_file() {
            Some(path) => read_file(&path, false)?,
            None => FileConfig::default(),
        },
    };
    let server = cli
        .server
        .clone()
        .or_else(|| server_from_env(env("SERVER_HOST").as_deref(), env("PORT").as_deref()))
        .or(file.server)
        .unwrap_or_else(|| DEFAULT_SERVER.to_owned());
    let server = validate_server(&server)?;
    let ca_file = cli.ca_file.clone().or(file.ca_file);
    check_ca_file(&server, ca_file.as_deref())?;
    let mut keymap = KeyMap::default();
    keymap
        .apply_overrides(&file.keys)
        .map_err(|e| anyhow::anyhow!("config file: {e}"))?;
    let emoji = file
        .emoji
        .unwrap_or_else(|| DEFAULT_EMOJI_SET.iter().map(|e| (*e).to_owned()).collect());
    let (color, light) = theme(file.theme.as_deref(), env("NO_COLOR").is_some())?;
    let credentials = match (env("CHAT_USER"), std::env::var("CHAT_PASSWORD").ok()) {
        (Some(user_name), Some(password)) => Some(Credentials {
            user_name,
            password,
            sign_up: cli.sign_up,
        }),
        _ => None,
    };
    Ok(Config {
        server,
        ca_file,
        data_dir: cli.data_dir.clone().unwrap_or_else(default_data_dir),
        keymap,
        emoji,
        mouse: cli.mouse || file.mouse.unwrap_or(false),
        color,
        light,
        max_chars: file.max_message_chars.unwrap_or(DEFAULT_MAX_CHARS),
        bell: !cli.no_bell && file.bell.unwrap_or(true),
        credentials,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_host_and_port_make_a_url() {
        assert_eq!(
            server_from_env(Some("chat.example"), Some("9100")).as_deref(),
            Some("http://chat.example:9100")
        );
        assert_eq!(
            server_from_env(Some("localhost"), None).as_deref(),
            Some("http://localhost:9000")
        );
        assert_eq!(
            server_from_env(Some("https://chat.example"), Some("443")).as_deref(),
            Some("https://chat.example:443")
        );
        assert_eq!(server_from_env(None, Some("1")), None);
    }

    #[test]
    fn server_urls_are_checked() {
        assert!(validate_server("http://127.0.0.1:9000/").is_ok());
        assert!(validate_server("127.0.0.1:9000").is_err());
    }

    #[test]
    fn a_ca_file_needs_https_and_must_exist() {
        assert!(check_ca_file("http://x:1", None).is_ok());
        let error = check_ca_file("http://x:1", Some(Path::new("/etc/hostname")))
            .expect_err("http with a CA file")
            .to_string();
        assert!(error.contains("https://"), "{error}");
        let error = format!(
            "{:#}",
            check_ca_file("https://x:1", Some(Path::new("/nonexistent/ca.pem")))
                .expect_err("missing file")
        );
        assert!(error.contains("/nonexistent/ca.pem"), "{error}");
    }

    #[test]
    fn themes_and_no_color() {
        assert_eq!(theme(None, false).ok(), Some((true, false)));
        assert_eq!(theme(Some("light"), false).ok(), Some((true, true)));
        assert_eq!(theme(Some("light"), true).ok(), Some((false, true)));
        assert_eq!(theme(Some("mono"), false).ok(), Some((false, false)));
        let error = theme(Some("solarized"), false)
            .expect_err("unknown theme")
            .to_string();
        assert!(error.contains("\"solarized\""), "{error}");
    }

    #[test]
    fn the_config_file_parses() {
        let text = r#"
            server = "http://x:1"
            [keys.pane]
            select_older = ["p"]
        "#;
        let file: FileConfig = toml::from_str(text).unwrap_or_default();
        assert_eq!(file.server.as_deref(), Some("http://x:1"));
        assert_eq!(file.keys["pane"]["select_older"], vec!["p".to_owned()]);
    }
}
