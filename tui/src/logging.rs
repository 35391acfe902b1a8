//! Logs go to a daily file in the data directory, never to the screen (the screen is
//! the UI); the ssh gateway, a service, also logs to stdout. Level from `CHAT_TUI_LOG`
//! (or `RUST_LOG`), default `info`.

use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Keep the guard alive for the whole program: dropping it flushes the log.
pub fn init(data_dir: &Path) -> anyhow::Result<WorkerGuard> {
    setup(data_dir, false)
}

/// For the ssh gateway: the file and stdout.
pub fn init_service(data_dir: &Path) -> anyhow::Result<WorkerGuard> {
    setup(data_dir, true)
}

fn setup(data_dir: &Path, stdout: bool) -> anyhow::Result<WorkerGuard> {
    use tracing_subscriber::fmt::writer::MakeWriterExt;
    std::fs::create_dir_all(data_dir)?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("chat-tui")
        .filename_suffix("log")
        .max_log_files(7)
        .build(data_dir)?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = std::env::var("CHAT_TUI_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info,h2=warn,hyper=warn,tower=warn"));
    let builder = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_env_filter(filter);
    let done = if stdout {
        builder.with_writer(writer.and(std::io::stdout)).try_init()
    } else {
        builder.with_writer(writer).try_init()
    };
    done.map_err(|e| anyhow::anyhow!("logging: {e}"))?;
    Ok(guard)
}
