//! Command-line flags. Credentials come from the environment only (`CHAT_USER`,
//! `CHAT_PASSWORD`), never from flags, so they do not show up in `ps`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "chat-tui",
    version,
    about = "A keyboard-driven terminal chat client"
)]
pub struct Cli {
    /// Server URL, e.g. http://127.0.0.1:9000. Default: SERVER_HOST and PORT from the
    /// environment or .env, then `server` in the config file, then http://127.0.0.1:9000.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,

    /// PEM file of the certificate authority (or the self-signed certificate) to trust
    /// for an https:// server, instead of the bundled public roots.
    #[arg(long, env = "CHAT_TUI_CA_FILE", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Config file (keys, server, emoji set). Default: $XDG_CONFIG_HOME/chat-tui/config.toml.
    #[arg(long, env = "CHAT_TUI_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Where logs go. Default: $XDG_DATA_HOME/chat-tui (~/.local/share/chat-tui).
    #[arg(long, env = "CHAT_TUI_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Capture the mouse (wheel scrolls). Off by default so the terminal's own text
    /// selection and copy keep working.
    #[arg(long)]
    pub mouse: bool,

    /// Never ring the terminal bell (it rings when someone mentions you).
    #[arg(long, env = "CHAT_NO_BELL")]
    pub no_bell: bool,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// With CHAT_USER and CHAT_PASSWORD: create the account first if it does not exist.
    #[arg(long, env = "CHAT_SIGN_UP")]
    pub sign_up: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve this client over SSH: `ssh -p 2222 alice@host` opens the chat, with nothing
    /// to install. `--server` and `--ca-file` say where chat-server is, as for the client.
    SshGateway(crate::gateway::Args),
}
