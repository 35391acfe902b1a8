//! Logging: `tracing` to stdout and to daily-rotated files under the log directory, as
//! text or JSON. Tests stay quiet unless `TEST_LOG=1`.

use crate::settings::{LogFormat, LogSettings};
use tracing_appender::{non_blocking::WorkerGuard, rolling};
use tracing_subscriber::{EnvFilter, Layer, fmt, layer::SubscriberExt, util::SubscriberInitExt};

/// Log files kept before the oldest is deleted.
const KEEP_FILES: usize = 14;

/// Installs the global subscriber. Keep the guard alive: dropping it flushes the file.
pub fn init(settings: &LogSettings) -> anyhow::Result<WorkerGuard> {
    std::fs::create_dir_all(&settings.dir)?;
    let appender = rolling::Builder::new()
        .rotation(rolling::Rotation::DAILY)
        .filename_prefix("chat-server")
        .filename_suffix("log")
        .max_log_files(KEEP_FILES)
        .build(&settings.dir)?;
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
    tracing_subscriber::registry()
        .with(stdout)
        .with(file)
        .try_init()?;
    Ok(guard)
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
