//! The operator's command line: `chat-server [serve|migrate|healthcheck|config]`. Only
//! the flags live here; `main` carries the commands out.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "chat-server", version, about = "The chat gRPC server")]
pub struct Cli {
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
    /// Ask the local server (127.0.0.1 on the configured port, over TLS when configured)
    /// whether it is serving: exit 0 if SERVING, 1 otherwise. For container healthchecks.
    Healthcheck {
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 3)]
        timeout_secs: u64,
    },
    /// Print the effective configuration, secrets redacted.
    Config,
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
