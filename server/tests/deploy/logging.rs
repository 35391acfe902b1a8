//! Log files: JSON lines when `log.format = "json"`, plain text without colour codes
//! otherwise, and no more than `log.keep_files` daily files.

use chat_server::settings::{LogFormat, Settings};
use std::path::Path;

fn log_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read log dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("chat-server.") && n.ends_with(".log"))
        })
        .collect();
    files.sort();
    files
}

/// Logs one event through the server's own subscriber and returns today's file.
fn log_one_event(format: LogFormat, keep_files: usize, dir: &Path) -> String {
    let mut settings = Settings::defaults().expect("defaults").log;
    settings.dir = dir.to_path_buf();
    settings.format = format;
    settings.keep_files = keep_files;
    settings.level = "info".into();
    let (subscriber, guard) = chat_server::telemetry::subscriber(&settings).expect("subscriber");
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!(user_id = "u-1", "signed in");
    });
    // Dropping the guard flushes the background writer.
    drop(guard);
    let newest = log_files(dir).pop().expect("a log file");
    std::fs::read_to_string(newest).expect("read log")
}

#[test]
fn json_format_writes_one_json_object_per_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = log_one_event(LogFormat::Json, 14, dir.path());
    let line = text
        .lines()
        .find(|l| l.contains("signed in"))
        .unwrap_or_else(|| panic!("event not logged: {text:?}"));
    let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
    assert_eq!(value["level"], "INFO");
    assert_eq!(value["fields"]["message"], "signed in");
    assert_eq!(value["fields"]["user_id"], "u-1");
    assert!(value["timestamp"].is_string());
}

#[test]
fn text_format_has_no_colour_codes_in_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = log_one_event(LogFormat::Text, 14, dir.path());
    assert!(
        text.contains("signed in") && text.contains("user_id"),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "ANSI escape in the file: {text:?}"
    );
}

#[test]
fn only_keep_files_daily_files_are_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    for day in 1..=5 {
        std::fs::write(
            dir.path().join(format!("chat-server.2020-01-0{day}.log")),
            "old\n",
        )
        .expect("write old log");
    }
    // Not ours: never deleted.
    std::fs::write(dir.path().join("other.log"), "x").expect("write");
    log_one_event(LogFormat::Text, 3, dir.path());
    assert_eq!(
        log_files(dir.path()).len(),
        3,
        "{:?}",
        log_files(dir.path())
    );
    assert!(dir.path().join("other.log").exists());
}

#[test]
fn fields_recorded_on_an_rpc_span_appear_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::defaults().expect("defaults").log;
    settings.dir = dir.path().to_path_buf();
    settings.format = LogFormat::Text;
    settings.level = "info".into();
    let (subscriber, guard) = chat_server::telemetry::subscriber(&settings).expect("subscriber");
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!(
            "rpc",
            method = "Send",
            user_id = tracing::field::Empty,
            code = tracing::field::Empty
        );
        span.record("user_id", "u-1");
        span.record("code", "Ok");
        span.in_scope(|| tracing::info!("ok"));
    });
    drop(guard);
    let text =
        std::fs::read_to_string(log_files(dir.path()).pop().expect("a log file")).expect("read");
    let line = text
        .lines()
        .find(|l| l.contains("ok"))
        .expect("the RPC line");
    assert_eq!(line.matches("user_id=").count(), 1, "{line}");
    assert_eq!(line.matches("code=").count(), 1, "{line}");
}
