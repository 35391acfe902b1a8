//! `chat-server`: reads the configuration, starts logging, and serves until SIGINT or
//! SIGTERM.

use anyhow::Context;
use chat_server::{Application, Settings, telemetry};
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(version, about = "The chat gRPC server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Print the effective configuration, secrets redacted.
    Config,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // A missing .env is normal; the environment may carry everything.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let settings = Settings::load().context("reading the configuration")?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Config => {
            println!("{}", settings.redacted());
            Ok(())
        }
        Command::Serve => serve(settings).await,
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let _log_guard = telemetry::init(&settings.log)?;
    let addr = settings.listen_addr();
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let app = Application::build(settings, listener).await?;
    tracing::info!(addr = %app.local_addr()?, "chat-server ready");
    let shutdown = CancellationToken::new();
    tokio::spawn(on_signal(shutdown.clone()));
    app.run(shutdown).await
}

async fn on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    shutdown.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    shutdown.cancel();
}
