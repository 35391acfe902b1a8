//! The operator's day-one tools, each run as the real `chat-server` binary beside a real
//! server process: admin commands, closed registration, the metrics endpoint, backup and
//! restore, systemd readiness, reflection as grpcurl uses it, and `config check`.

use crate::process::{PASSWORD, SECRET, ServerProcess, authed, binary, free_port};
use crate::test_db::TestDb;
use chat_protocol::auth::v1::{
    SignInRequest, SignUpRequest, auth_service_client::AuthServiceClient,
};
use chat_protocol::chat::v1::{
    ListMessagesRequest, SendRequest, SubscribeRequest, chat_service_client::ChatServiceClient,
};
use std::{path::Path, process::Output, time::Duration};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::{Code, transport::Channel};

/// `chat-server <args>` on the same database as `server`, with `stdin` piped in.
async fn cli(db: &TestDb, args: &[&str], stdin: &str, extra: &[(&str, &str)]) -> Output {
    let work = tempfile::tempdir().expect("temp dir");
    let mut command = tokio::process::Command::new(binary());
    command
        .current_dir(work.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CHAT__STORAGE__DATA_DIR", &db.data_dir)
        .env("CHAT__DATABASE__URL", &db.url)
        .env("CHAT__LOG__DIR", db.data_dir.join("logs"))
        .env("JWT_SECRET_KEY", SECRET)
        .envs(extra.iter().copied())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("run chat-server");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.as_bytes())
        .await
        .expect("write stdin");
    drop(input);
    tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("chat-server finished within a minute")
        .expect("chat-server output")
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn sign_in(channel: Channel, name: &str, password: &str) -> Result<String, tonic::Status> {
    AuthServiceClient::new(channel)
        .sign_in(SignInRequest {
            user_name: name.into(),
            password: password.into(),
        })
        .await
        .map(|r| r.into_inner().access_token)
}

/// Reads the stream until it ends; its end status.
async fn stream_end(channel: Channel, token: String, limit: Duration) -> tonic::Status {
    let mut stream = ChatServiceClient::new(channel)
        .subscribe(authed(SubscribeRequest {}, &token))
        .await
        .expect("subscribe")
        .into_inner();
    tokio::time::timeout(limit, async {
        loop {
            match stream.message().await {
                Ok(Some(_)) => continue,
                Ok(None) => return tonic::Status::ok("ended without a status"),
                Err(status) => return status,
            }
        }
    })
    .await
    .expect("the stream ended in time")
}

const FAST: &[(&str, &str)] = &[
    ("CHAT__AUTH__REGISTRATION", "closed"),
    ("CHAT__DELIVERY__POLL_INTERVAL_MS", "100"),
];

#[tokio::test]
async fn admin_commands_manage_accounts_beside_a_running_server() {
    let db = TestDb::create().await;
    let server = ServerProcess::start(&db.data_dir, &db.url, free_port(), FAST).await;
    let channel = server.channel();

    // Closed registration: only an operator creates users.
    let refused = AuthServiceClient::new(channel.clone())
        .sign_up(SignUpRequest {
            user_name: "mallory".into(),
            password: PASSWORD.into(),
        })
        .await
        .expect_err("sign-up is closed");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(
        refused.message().contains("sign-up is closed"),
        "{refused:?}"
    );

    let out = ok(&cli(
        &db,
        &["admin", "user", "create", "alice"],
        &format!("{PASSWORD}\n"),
        &[],
    )
    .await);
    assert!(out.contains("created user alice"), "{out}");
    let again = cli(
        &db,
        &["admin", "user", "create", "Alice"],
        &format!("{PASSWORD}\n"),
        &[],
    )
    .await;
    assert!(!again.status.success(), "a taken name must be refused");
    let token = sign_in(channel.clone(), "alice", PASSWORD)
        .await
        .expect("alice signs in");

    let sessions = ok(&cli(&db, &["admin", "sessions", "list", "alice"], "", &[]).await);
    assert_eq!(
        sessions.lines().count(),
        2,
        "a header and one session: {sessions}"
    );
    let users = ok(&cli(&db, &["admin", "user", "list"], "", &[]).await);
    assert!(
        users
            .lines()
            .any(|l| l.starts_with("alice") && l.contains("active")),
        "{users}"
    );

    // Disabling ends the open stream at once and refuses sign-in.
    let streaming = tokio::spawn(stream_end(
        channel.clone(),
        token.clone(),
        Duration::from_secs(10),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let out = ok(&cli(&db, &["admin", "user", "disable", "alice"], "", &[]).await);
    assert!(out.contains("1 session(s) ended"), "{out}");
    let ended = streaming.await.expect("stream task");
    assert_eq!(ended.code(), Code::Unauthenticated, "{ended:?}");
    let refused = sign_in(channel.clone(), "alice", PASSWORD)
        .await
        .expect_err("disabled");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    ok(&cli(&db, &["admin", "user", "enable", "alice"], "", &[]).await);
    let token = sign_in(channel.clone(), "alice", PASSWORD)
        .await
        .expect("enabled again");

    // Revoking a session: its token stops working.
    let out = ok(&cli(&db, &["admin", "sessions", "revoke", "alice"], "", &[]).await);
    assert!(out.contains("1 session(s) of alice ended"), "{out}");
    let status = ChatServiceClient::new(channel.clone())
        .list_messages(authed(ListMessagesRequest::default(), &token))
        .await
        .expect_err("revoked");
    assert_eq!(status.code(), Code::Unauthenticated);

    // A password reset: the old one fails, the generated one works.
    let out = ok(&cli(
        &db,
        &[
            "admin",
            "user",
            "reset-password",
            "alice",
            "--generate-password",
        ],
        "",
        &[],
    )
    .await);
    let new_password = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("the generated password is printed")
        .to_owned();
    assert_eq!(
        sign_in(channel.clone(), "alice", PASSWORD)
            .await
            .expect_err("old password")
            .code(),
        Code::Unauthenticated
    );
    sign_in(channel.clone(), "alice", &new_password)
        .await
        .expect("new password");

    // A lock from failed sign-ins, lifted.
    let mut locked = false;
    for _ in 0..20 {
        let e = sign_in(channel.clone(), "alice", "wrong password!")
            .await
            .expect_err("wrong");
        if e.code() == Code::ResourceExhausted {
            locked = true;
            break;
        }
    }
    assert!(locked, "the throttle locks the name");
    assert_eq!(
        sign_in(channel.clone(), "alice", &new_password)
            .await
            .expect_err("locked")
            .code(),
        Code::ResourceExhausted
    );
    let out = ok(&cli(&db, &["admin", "unlock", "alice"], "", &[]).await);
    assert!(out.contains("failed sign-in(s) forgotten"), "{out}");
    sign_in(channel.clone(), "alice", &new_password)
        .await
        .expect("unlocked");

    let missing = cli(&db, &["admin", "user", "disable", "nobody"], "", &[]).await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no user is called"),
        "{missing:?}"
    );
    drop(server);
}

/// `GET /metrics` over a plain socket, as Prometheus scrapes it.
async fn scrape(port: u16) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("response");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    response
}

#[tokio::test]
async fn the_metrics_endpoint_counts_what_the_server_did() {
    let db = TestDb::create().await;
    let metrics_port = free_port();
    let addr = format!("127.0.0.1:{metrics_port}");
    let server = ServerProcess::start(
        &db.data_dir,
        &db.url,
        free_port(),
        &[("CHAT__SERVER__METRICS_ADDR", &addr)],
    )
    .await;
    let token = crate::process::account(server.channel(), "metrics_user").await;
    let mut chat = ChatServiceClient::new(server.channel());
    for i in 0..3 {
        chat.send(authed(
            SendRequest {
                content: format!("hello {i}"),
                client_request_id: String::new(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .expect("send");
    }
    let bad = chat
        .send(authed(
            SendRequest {
                content: String::new(),
                client_request_id: String::new(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .expect_err("empty");
    assert_eq!(bad.code(), Code::InvalidArgument);

    let text = scrape(metrics_port).await;
    for wanted in [
        "chat_rpc_requests_total{method=\"SignUp\",code=\"OK\"} 1",
        "chat_rpc_requests_total{method=\"Send\",code=\"OK\"} 3",
        "chat_rpc_requests_total{method=\"Send\",code=\"INVALID_ARGUMENT\"} 1",
        "chat_events_committed_total 3",
        "chat_fan_out_sessions_count 3",
        "chat_rpc_duration_seconds_bucket{le=",
        "chat_group_commit_operations_bucket{le=",
        "chat_group_commit_duration_seconds_count",
        "chat_open_streams 0",
        "chat_sessions 1",
        "chat_writes_committing 1",
        "chat_db_pool_connections",
        "chat_slow_subscriber_cut_offs_total 0",
    ] {
        assert!(text.contains(wanted), "missing {wanted:?} in\n{text}");
    }
    drop(server);
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_the_same_history() {
    let db = TestDb::create().await;
    if db.url.starts_with("postgres") {
        // PostgreSQL is backed up with pg_dump: the command is printed, password left out.
        let out = ok(&cli(&db, &["backup", "/tmp/never-written.dump"], "", &[]).await);
        assert!(out.contains("pg_dump --format=custom"), "{out}");
        return;
    }
    let server = ServerProcess::start(&db.data_dir, &db.url, free_port(), &[]).await;
    let token = crate::process::account(server.channel(), "archivist").await;
    let mut chat = ChatServiceClient::new(server.channel());
    let send = |content: String| SendRequest {
        content,
        client_request_id: String::new(),
        ..Default::default()
    };
    for i in 0..20 {
        chat.send(authed(send(format!("kept {i}")), &token))
            .await
            .expect("send");
    }
    let copy = tempfile::tempdir().expect("temp dir");
    let target = copy.path().join("backup.db");
    let target_str = target.display().to_string();
    let out = ok(&cli(&db, &["backup", &target_str], "", &[]).await);
    assert!(out.contains("backup written and checked"), "{out}");
    let refused = cli(&db, &["backup", &target_str], "", &[]).await;
    assert!(!refused.status.success(), "a backup never overwrites");
    // After the backup: not in it.
    chat.send(authed(send("too late".into()), &token))
        .await
        .expect("send");
    server.kill9().await;

    // Restore: the copy becomes chat.db of a fresh data directory.
    let restored = tempfile::tempdir().expect("temp dir");
    std::fs::copy(&target, restored.path().join("chat.db")).expect("restore");
    let server = ServerProcess::start(restored.path(), "", free_port(), &[]).await;
    let token = sign_in(server.channel(), "archivist", PASSWORD)
        .await
        .expect("same accounts");
    let page = ChatServiceClient::new(server.channel())
        .list_messages(authed(
            ListMessagesRequest {
                before_message_id: String::new(),
                limit: 100,
                ..Default::default()
            },
            &token,
        ))
        .await
        .expect("list")
        .into_inner();
    let contents: Vec<String> = page.messages.iter().map(|m| m.content.clone()).collect();
    let expected: Vec<String> = (0..20).map(|i| format!("kept {i}")).collect();
    assert_eq!(contents, expected);
    drop(server);
}

#[tokio::test]
async fn the_server_tells_systemd_when_it_is_ready() {
    let dir = tempfile::tempdir().expect("temp dir");
    let socket_path = dir.path().join("notify.sock");
    let socket = tokio::net::UnixDatagram::bind(&socket_path).expect("bind notify socket");
    let data = tempfile::tempdir().expect("temp dir");
    let socket_str = socket_path.display().to_string();
    let server = ServerProcess::spawn(
        data.path(),
        "",
        free_port(),
        &[("NOTIFY_SOCKET", &socket_str)],
    );
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(30), socket.recv(&mut buf))
        .await
        .expect("READY=1 within 30 s")
        .expect("datagram");
    let message = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(message.starts_with("READY=1\n"), "{message}");
    // READY is sent only once the server answers.
    assert_eq!(
        server.health().await,
        Some(tonic_health::pb::health_check_response::ServingStatus::Serving)
    );
    drop(server);
}

#[tokio::test]
async fn reflection_v1_and_v1alpha_describe_every_service_like_grpcurl_asks() {
    use tonic_reflection::pb::{v1, v1alpha};
    let data = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(data.path(), "", free_port(), &[]).await;
    let expected = [
        "auth.v1.AuthService",
        "chat.v1.ChatService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
    ];

    // v1: list, then describe the health service (grpcurl's `list` and `describe`).
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(server.channel());
    let requests = tokio_stream::iter([
        v1::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
                String::new(),
            )),
        },
        v1::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(
                v1::server_reflection_request::MessageRequest::FileContainingSymbol(
                    "grpc.health.v1.Health".into(),
                ),
            ),
        },
    ]);
    let mut replies = client
        .server_reflection_info(requests)
        .await
        .expect("v1")
        .into_inner();
    let listed = replies.message().await.expect("reply").expect("one");
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        listed.message_response
    else {
        panic!("not a list: {listed:?}");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    for name in expected {
        assert!(names.contains(&name), "v1 lists {names:?}, not {name}");
    }
    let described = replies.message().await.expect("reply").expect("two");
    assert!(
        matches!(
            described.message_response,
            Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(ref f)) if !f.file_descriptor_proto.is_empty()
        ),
        "{described:?}"
    );

    // v1alpha, which older grpcurl and other tools ask first.
    let mut client =
        v1alpha::server_reflection_client::ServerReflectionClient::new(server.channel());
    let requests = tokio_stream::iter([v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    }]);
    let mut replies = client
        .server_reflection_info(requests)
        .await
        .expect("v1alpha")
        .into_inner();
    let listed = replies.message().await.expect("reply").expect("one");
    let Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        listed.message_response
    else {
        panic!("not a list: {listed:?}");
    };
    for name in [
        "grpc.health.v1.Health",
        "chat.v1.ChatService",
        "grpc.reflection.v1alpha.ServerReflection",
    ] {
        assert!(
            list.service.iter().any(|s| s.name == name),
            "v1alpha lacks {name}: {list:?}"
        );
    }
    drop(server);
}

/// `chat-server <args>` in `dir` with only `vars` (no developer's environment).
async fn run_in(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    tokio::process::Command::new(binary())
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(vars.iter().copied())
        .args(args)
        .output()
        .await
        .expect("run chat-server")
}

#[tokio::test]
async fn config_check_says_what_is_wrong_and_where_it_came_from() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_in(dir.path(), &["config", "check"], &[]).await;
    let text = ok(&out);
    assert!(
        text.starts_with("configuration OK: database sqlite "),
        "{text}"
    );
    assert!(
        text.contains(&format!("data dir {}", dir.path().join("data").display())),
        "{text}"
    );

    let out = run_in(
        dir.path(),
        &["config", "check"],
        &[
            ("CHAT__SERVER__TLS_CERT", "missing.pem"),
            ("CHAT__SERVER__TLS_KEY", "missing.key"),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CHAT__SERVER__TLS_CERT") && err.contains("missing.pem"),
        "{err}"
    );

    let out = run_in(
        dir.path(),
        &["config", "check"],
        &[("CHAT__SERVER__PROT", "1")],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean `CHAT__SERVER__PORT`?"), "{err}");

    // A malformed .env line is an error with its line number, not a silent stop.
    std::fs::write(
        dir.path().join(".env"),
        "PORT=9001\nTHIS IS NOT A VARIABLE\nCHAT__LOG__LEVEL=debug\n",
    )
    .expect("write .env");
    let out = run_in(dir.path(), &["config"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(".env line 2"), "{err}");
    std::fs::remove_file(dir.path().join(".env")).expect("remove .env");

    // --config and --data-dir; the printed TOML names what set each value.
    std::fs::write(dir.path().join("site.toml"), "[server]\nport = 9444\n").expect("write");
    let out = run_in(
        dir.path(),
        &["config", "--config", "site.toml", "--data-dir", "/srv/chat"],
        &[],
    )
    .await;
    let text = ok(&out);
    assert!(text.contains("port = 9444  # from "), "{text}");
    assert!(
        text.contains("data_dir = \"/srv/chat\"  # from the --data-dir flag"),
        "{text}"
    );
}

#[tokio::test]
async fn version_completions_and_man_pages_come_from_the_binary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = ok(&run_in(dir.path(), &["--version"], &[]).await);
    assert!(text.starts_with("chat-server 0.1.0 (commit "), "{text}");
    assert!(!text.contains("unknown"), "built in a git checkout: {text}");
    let text = ok(&run_in(dir.path(), &["completions", "bash"], &[]).await);
    assert!(
        text.contains("complete -F _chat__server") && text.contains("reset-password"),
        "{}",
        &text[..200.min(text.len())]
    );
    let out = ok(&run_in(dir.path(), &["man", "man"], &[]).await);
    assert!(out.contains("man pages written"), "{out}");
    let page =
        std::fs::read_to_string(dir.path().join("man/chat-server.1")).expect("chat-server.1");
    assert!(page.contains(".TH chat-server"), "{page}");
    assert!(dir.path().join("man/chat-server-admin.1").exists());
}

/// The text of every log file in `dir`, once it contains `wanted` (the file writer is
/// asynchronous), or what it holds after 10 s.
async fn logs_once_they_contain(dir: &Path, wanted: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut text = String::new();
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                text.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
            }
        }
        if text.contains(wanted) || tokio::time::Instant::now() > deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_log_names_each_calls_client_and_says_at_start_what_the_server_uses() {
    let db = TestDb::create().await;
    let server = ServerProcess::start(&db.data_dir, &db.url, free_port(), &[]).await;
    crate::process::account(server.channel(), "logged_user").await;
    let logs = db.data_dir.join("logs");
    let text = logs_once_they_contain(&logs, "method=\"SignIn\"").await;
    let sign_in = text
        .lines()
        .find(|l| l.contains("method=\"SignIn\""))
        .unwrap_or_else(|| panic!("no SignIn line in\n{text}"));
    assert!(sign_in.contains("peer=127.0.0.1:"), "{sign_in}");
    let start = text
        .lines()
        .find(|l| l.contains("starting: database "))
        .unwrap_or_else(|| panic!("no start line in\n{text}"));
    for part in ["listen 127.0.0.1:", "tls off", "data dir ", "metrics off"] {
        assert!(start.contains(part), "{part:?} missing: {start}");
    }
    assert!(!start.contains(SECRET));
    drop(server);
}
