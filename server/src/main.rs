//! `chat-server`: reads the configuration, then serves (the default), migrates, checks
//! the health of a running server, or prints the configuration. See [`cli`].

use anyhow::Context;
use chat_server::cli::{Cli, Command, MigrateAction};
use chat_server::{Application, Settings, healthcheck, migrate, telemetry};
use clap::Parser;
use std::process::ExitCode;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tonic_health::pb::health_check_response::ServingStatus;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    // A missing .env is normal; the environment may carry everything.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let settings = Settings::load().context("reading the configuration")?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await.map(|()| ExitCode::SUCCESS),
        Command::Config => {
            println!("{}", settings.redacted());
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { action } => {
            run_migrate(&settings, action).await?;
            Ok(ExitCode::SUCCESS)
        }
        // No logging set up: a probe every few seconds must not fill the log files.
        Command::Healthcheck { timeout_secs } => {
            let status =
                healthcheck::check(&settings.server, Duration::from_secs(timeout_secs)).await?;
            println!("{}", status.as_str_name());
            Ok(if status == ServingStatus::Serving {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

async fn run_migrate(settings: &Settings, action: MigrateAction) -> anyhow::Result<()> {
    match action {
        MigrateAction::Status => {
            for (name, applied) in migrate::status(settings).await? {
                println!("{} {name}", if applied { "applied" } else { "pending" });
            }
        }
        MigrateAction::Up { steps } => report("applied", migrate::up(settings, steps).await?),
        MigrateAction::Down { steps } => report("reverted", migrate::down(settings, steps).await?),
    }
    Ok(())
}

fn report(verb: &str, names: Vec<String>) {
    if names.is_empty() {
        println!("nothing to do");
    }
    for name in names {
        println!("{verb} {name}");
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let _log_guard = telemetry::init(&settings.log)?;
    let addr = settings.listen_addr();
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let app = Application::build(settings, listener).await?;
    tracing::info!(addr = %app.local_addr()?, tls = app.tls(), "chat-server ready");
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
