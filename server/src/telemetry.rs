//! Logging: `tracing` to stdout and to daily-rotated files under the log directory, as
//! text or JSON (one object per line, for log shippers), keeping `log.keep_files` files.
//! Tests stay quiet unless `TEST_LOG=1`.

use crate::settings::{LogFormat, LogSettings};
use anyhow::Context;
use tracing::Subscriber;
use tracing_appender::{non_blocking::WorkerGuard, rolling};
use tracing_subscriber::{
    EnvFilter, Layer, fmt, fmt::writer::MakeWriterExt, layer::SubscriberExt,
    util::SubscriberInitExt,
};

/// Installs the global subscriber. Keep the guard alive: dropping it flushes the file.
pub fn init(settings: &LogSettings) -> anyhow::Result<WorkerGuard> {
    let (subscriber, guard) = subscriber(settings)?;
    subscriber.try_init()?;
    Ok(guard)
}

/// The subscriber [`init`] installs, separate so a test can use it as a scoped default
/// and read back the files it writes.
pub fn subscriber(
    settings: &LogSettings,
) -> anyhow::Result<(impl Subscriber + Send + Sync + 'static, WorkerGuard)> {
    std::fs::create_dir_all(&settings.dir)
        .with_context(|| format!("creating the log directory {}", settings.dir.display()))?;
    let mut builder = rolling::Builder::new()
        .rotation(rolling::Rotation::DAILY)
        .filename_prefix("chat-server")
        .filename_suffix("log");
    // tracing-appender treats 0 as "keep none" and would underflow; 0 means "keep all".
    if settings.keep_files > 0 {
        builder = builder.max_log_files(settings.keep_files);
    }
    let appender = builder
        .build(&settings.dir)
        .with_context(|| format!("opening a log file in {}", settings.dir.display()))?;
    let (file_writer, guard) = tracing_appender::non_blocking(appender);
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.level));
    // One layer writing to both places: two fmt layers would share the span's formatted
    // fields and each append every later `record` (user id, status code) to them, so
    // both would print those fields twice.
    let writer = std::io::stdout.and(file_writer);
    let layer = match settings.format {
        LogFormat::Json => fmt::layer()
            .json()
            .with_ansi(false)
            .with_writer(writer)
            .boxed(),
        LogFormat::Text => fmt::layer().with_ansi(false).with_writer(writer).boxed(),
    };
    Ok((
        tracing_subscriber::registry().with(layer.with_filter(filter)),
        guard,
    ))
}

/// For tests: logs to the test output when `TEST_LOG` is set, otherwise nowhere.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
            )
            .with_test_writer()
            .try_init();
    }
}
