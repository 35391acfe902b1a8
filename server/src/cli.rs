//! The operator's command line: `chat-server [--config PATH] [--data-dir DIR] [COMMAND]`.
//! Only the flags live here; `main` carries the commands out. Shell completions and the
//! man page are generated from this same definition (`chat-server completions`, `man`).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// `0.1.0 (commit 1a2b3c4d5e6f)`: the version and the commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("CHAT_BUILD_COMMIT"),
    ")"
);

#[derive(Debug, Parser)]
#[command(name = "chat-server", version = VERSION, about = "The chat gRPC server")]
pub struct Cli {
    /// A TOML file read after config/default.toml and config/{CHAT_ENV}.toml; relative
    /// paths in it are relative to the file.
    #[arg(long, global = true, value_name = "PATH", env = "CHAT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where the SQLite database and the generated secret live (storage.data_dir); wins
    /// over every other setting of it.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply, revert or list the database migrations on the configured database.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Ask the local server whether it is serving: exit 0 if SERVING, 1 otherwise.
    ///
    /// It connects to 127.0.0.1 on the configured port, over TLS when configured. For
    /// container healthchecks.
    Healthcheck {
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 3)]
        timeout_secs: u64,
    },
    /// Print the effective configuration as TOML (secrets left out), or check it.
    Config {
        #[command(subcommand)]
        action: Option<ConfigAction>,
    },
    /// Manage accounts and sessions on the configured database (safe while serving).
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Write a consistent copy of the database to PATH while the server runs (SQLite);
    /// on PostgreSQL, print the pg_dump command.
    Backup {
        /// The file to write; it must not exist.
        path: PathBuf,
    },
    /// Print a shell completion script (e.g. `chat-server completions bash`).
    Completions { shell: clap_complete::Shell },
    /// Write the man pages (chat-server.1 and one per command) into DIR.
    Man {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Load and check every setting (TLS files, secret, addresses) without starting:
    /// exit 0 and "configuration OK", or 1 and what is wrong.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations (all by default). The server also does this at start.
    Up {
        /// Apply only this many.
        #[arg(short = 'n', long)]
        steps: Option<u32>,
    },
    /// Revert applied migrations, newest first. This drops tables and their data.
    Down {
        /// Revert this many.
        #[arg(short = 'n', long, default_value_t = 1)]
        steps: u32,
    },
    /// List every migration and whether it is applied.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Users: create, list, reset a password, disable, enable.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// A user's sessions: list or revoke.
    Sessions {
        #[command(subcommand)]
        action: SessionsAction,
    },
    /// Forget the failed sign-ins that lock a name (from every address) or an address.
    Unlock {
        /// The user whose name is locked.
        name: Option<String>,
        /// Instead or as well: the client address whose budget is used up.
        #[arg(long, value_name = "IP")]
        address: Option<String>,
    },
}

/// Where a new password comes from: the first line of standard input (so it stays out of
/// the shell history and `ps`), or generated and printed once.
#[derive(Debug, Args)]
pub struct PasswordSource {
    /// Generate a random password and print it.
    #[arg(long)]
    pub generate_password: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create a user (the only way while auth.registration = "closed"). The password is
    /// read from standard input unless --generate-password.
    Create {
        name: String,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// List every user with their state and number of sessions.
    List,
    /// Set a new password (standard input, or --generate-password) and end every session.
    ResetPassword {
        name: String,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Disable the account: its sessions end at once and it cannot sign in.
    Disable { name: String },
    /// Enable a disabled account again.
    Enable { name: String },
}

#[derive(Debug, Subcommand)]
pub enum SessionsAction {
    /// List the user's sessions.
    List { name: String },
    /// End the user's sessions (all, or the one given with --session); their streams end.
    Revoke {
        name: String,
        #[arg(long, value_name = "ID")]
        session: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_subcommand_means_serve_and_flags_parse() {
        assert!(Cli::parse_from(["chat-server"]).command.is_none());
        let cli = Cli::parse_from(["chat-server", "migrate", "down", "-n", "2"]);
        assert!(matches!(
            cli.command,
            Some(Command::Migrate {
                action: MigrateAction::Down { steps: 2 }
            })
        ));
        let cli = Cli::parse_from(["chat-server", "healthcheck"]);
        assert!(matches!(
            cli.command,
            Some(Command::Healthcheck { timeout_secs: 3 })
        ));
        let cli = Cli::parse_from([
            "chat-server",
            "serve",
            "--data-dir",
            "/srv/chat",
            "--config",
            "c.toml",
        ]);
        assert_eq!(cli.data_dir, Some(PathBuf::from("/srv/chat")));
        assert_eq!(cli.config, Some(PathBuf::from("c.toml")));
        assert!(VERSION.contains("(commit "));
    }
}
