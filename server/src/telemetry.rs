//! Logging: `tracing` to stdout and to daily-rotated files under the log directory, as
//! text or JSON (one object per line, for log shippers), keeping `log.keep_files` files.
//! Tests stay quiet unless `TEST_LOG=1`.

use crate::settings::{LogFormat, LogSettings};
use anyhow::Context;
use tracing::Subscriber;
use tracing_appender::{non_blocking::WorkerGuard, rolling};
use tracing_subscriber::{EnvFilter, Layer, fmt, layer::SubscriberExt, util::SubscriberInitExt};

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
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.level));
    let json = settings.format == LogFormat::Json;
    let stdout = if json {
        fmt::layer().json().with_filter(filter()).boxed()
    } else {
        fmt::layer().with_filter(filter()).boxed()
    };
    let file = if json {
        fmt::layer()
            .json()
            .with_ansi(false)
            .with_writer(file_writer)
            .with_filter(filter())
            .boxed()
    } else {
        fmt::layer()
            .with_ansi(false)
            .with_writer(file_writer)
            .with_filter(filter())
            .boxed()
    };
    Ok((
        tracing_subscriber::registry().with(stdout).with(file),
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
