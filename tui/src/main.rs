//! `chat-tui`: parse flags, read settings, start logging, run the UI.

use chat_tui::{cli::Cli, config, logging, run};
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Errors here print to stderr normally: the screen is not taken yet.
    let config = config::load(&cli)?;
    let _log = logging::init(&config.data_dir)?;
    tracing::info!(server = %config.server, "starting");
    let result = run::run(config).await;
    if let Err(e) = &result {
        tracing::error!(error = %e, "exited with an error");
    }
    result
}
