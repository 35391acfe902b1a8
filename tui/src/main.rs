//! `chat-tui`: parse flags, read settings, start logging, run the UI.

use chat_tui::cli::{Cli, Command};
use chat_tui::{config, gateway, logging, run};
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Errors here print to stderr normally: the screen is not taken yet.
    let config = config::load(&cli)?;
    if let Some(Command::SshGateway(args)) = &cli.command {
        // The gateway logs to stdout too: it is a service, not a screen.
        let _log = logging::init_service(&config.data_dir)?;
        return gateway::run(args.clone(), &config).await;
    }
    let _log = logging::init(&config.data_dir)?;
    tracing::info!(server = %config.server, "starting");
    let result = run::run(config).await;
    if let Err(e) = &result {
        tracing::error!(error = %e, "exited with an error");
    }
    result
}
