//! The operator's subcommands, run as the real `chat-server` binary: `healthcheck`
//! against a real server (plaintext and TLS), `migrate`, and `config`.

use crate::support::{SECRET, TestCert, chat_server, start_server, stderr, stdout};
use crate::test_db::TestDb;

#[tokio::test]
async fn healthcheck_exits_zero_when_a_plaintext_server_is_serving() {
    let server = start_server(None).await;
    let port = server.addr.port().to_string();
    let output = chat_server(&["healthcheck"], &[("CHAT__SERVER__PORT", &port)]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), "SERVING");
    server.stop().await;
}

#[tokio::test]
async fn healthcheck_speaks_tls_when_the_server_is_configured_for_it() {
    let cert = TestCert::generate();
    let server = start_server(Some(&cert)).await;
    let port = server.addr.port().to_string();
    let vars = [
        ("PORT", port.as_str()),
        (
            "CHAT__SERVER__TLS_CERT",
            cert.cert_path.to_str().expect("utf-8"),
        ),
        (
            "CHAT__SERVER__TLS_KEY",
            cert.key_path.to_str().expect("utf-8"),
        ),
    ];
    let output = chat_server(&["healthcheck"], &vars).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), "SERVING");

    // Another certificate in the settings: this is not our server, so not healthy.
    let other = TestCert::generate();
    let vars = [
        ("PORT", port.as_str()),
        (
            "CHAT__SERVER__TLS_CERT",
            other.cert_path.to_str().expect("utf-8"),
        ),
        (
            "CHAT__SERVER__TLS_KEY",
            other.key_path.to_str().expect("utf-8"),
        ),
    ];
    let output = chat_server(&["healthcheck"], &vars).await;
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    server.stop().await;
}

#[tokio::test]
async fn healthcheck_exits_one_with_a_reason_when_nothing_listens() {
    // Bind and drop: a port that was free a moment ago and has no server now.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port().to_string()
    };
    let output = chat_server(
        &["healthcheck", "--timeout-secs", "2"],
        &[("CHAT__SERVER__PORT", &port)],
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!("127.0.0.1:{port}")),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn migrate_lists_applies_and_reverts_the_migrations() {
    let db = TestDb::create().await;
    let data_dir = db.data_dir.to_str().expect("utf-8").to_owned();
    let vars = [
        ("CHAT__DATABASE__URL", db.url.as_str()),
        ("CHAT__STORAGE__DATA_DIR", data_dir.as_str()),
    ];
    let run = |args: &'static [&'static str]| async move {
        let output = chat_server(args, &vars).await;
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        stdout(&output)
    };

    let status = run(&["migrate", "status"]).await;
    assert!(status.lines().count() >= 1, "{status}");
    assert!(
        status.lines().all(|l| l.starts_with("pending m")),
        "{status}"
    );
    let up = run(&["migrate", "up"]).await;
    assert!(up.lines().all(|l| l.starts_with("applied m")), "{up}");
    assert_eq!(up.lines().count(), status.lines().count());
    let status = run(&["migrate", "status"]).await;
    assert!(
        status.lines().all(|l| l.starts_with("applied m")),
        "{status}"
    );
    assert_eq!(run(&["migrate", "up"]).await.trim(), "nothing to do");

    let down = run(&["migrate", "down"]).await;
    assert_eq!(down.lines().count(), 1, "{down}");
    assert!(down.starts_with("reverted m"), "{down}");
    let status = run(&["migrate", "status"]).await;
    assert!(
        status
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("pending m")),
        "{status}"
    );
}

#[tokio::test]
async fn config_prints_the_effective_settings_without_the_secrets() {
    let output = chat_server(
        &["config"],
        &[
            ("JWT_SECRET_KEY", SECRET),
            (
                "DB_CONNECTION_STRING",
                "postgres://chat:hunter2hunter2@db/chat",
            ),
            ("CHAT__LOG__KEEP_FILES", "5"),
        ],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let shown = stdout(&output);
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.contains("keep_files = 5  # from CHAT__LOG__KEEP_FILES"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_database_url_that_cannot_be_used_is_reported_without_its_password() {
    for url in [
        "postgres://chat:hunter2-secret@127.0.0.1:notaport/chat",
        "postgres://chat:hunter2-secret@[::1/chat",
    ] {
        let output = chat_server(
            &[],
            &[("DB_CONNECTION_STRING", url), ("JWT_SECRET_KEY", SECRET)],
        )
        .await;
        assert!(!output.status.success(), "started with {url}");
        let shown = format!("{}{}", stdout(&output), stderr(&output));
        assert!(shown.contains("database"), "says what failed: {shown}");
        assert!(
            !shown.contains("hunter2-secret"),
            "the password leaked: {shown}"
        );
    }
}
