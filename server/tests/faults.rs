//! Fault tests: the real `chat-server` binary on a disk that fills up, on a read-only
//! file system, beside a second server on its database, and on a PostgreSQL whose
//! connections are killed under it. The promise checked everywhere: **an OK answer means
//! the write is stored** — checked by reading the database from outside after a `kill -9`.
//!
//! Mounting a tmpfs needs root, which the CI machines give (see DEVELOPERS.md); the
//! SQLite tests skip themselves on a PostgreSQL run and the PostgreSQL one on SQLite.

use chat_test_support::process;
use chat_test_support::test_db;

use chat_protocol::{
    auth::v1::{SignUpRequest, auth_service_client::AuthServiceClient},
    chat::v1::{self as pb, chat_service_client::ChatServiceClient},
};
use process::{PASSWORD, ServerProcess, account, authed, free_port};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::{collections::HashSet, io::Write, path::Path, time::Duration};
use tonic::{Code, transport::Channel};
use tonic_health::pb::health_check_response::ServingStatus;

fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

/// A small tmpfs, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
    /// Beside the mount, not on it.
    log_dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mounting a tmpfs failed: the fault tests need root (as CI has)"
        );
        Self {
            dir,
            log_dir: tempfile::tempdir().expect("log dir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, options: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.path())
            .status()
            .expect("run mount");
        assert!(status.success(), "remount {options}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// A data directory on a tmpfs of `size`, and a log directory elsewhere (a full disk
/// must not take the logs with it): the mount, the data path, the log path.
fn data_on_tmpfs(size: &str) -> (Tmpfs, std::path::PathBuf, String) {
    let disk = Tmpfs::mount(size);
    let data = disk.path().join("data");
    let logs = disk.log_dir.path().display().to_string();
    (disk, data, logs)
}

/// Writes zeros into `path` until the file system has no byte left.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).expect("filler");
    for chunk in [1 << 20, 4096, 512, 1] {
        let zeros = vec![0u8; chunk];
        while file.write_all(&zeros).is_ok() {}
    }
    let _ = file.sync_all();
}

/// The first column of every row `sql` returns, read by an outside reader.
async fn strings(conn: &DatabaseConnection, sql: &str) -> HashSet<String> {
    let rows = conn
        .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .expect(sql);
    rows.iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("a string"))
        .collect()
}

async fn stored_contents(conn: &DatabaseConnection) -> HashSet<String> {
    strings(conn, "SELECT content FROM messages").await
}

async fn sqlite_reader(db: &Path) -> DatabaseConnection {
    Database::connect(format!("sqlite://{}?mode=rw", db.display()))
        .await
        .expect("open the database from outside")
}

/// Sends `content`; `Ok(true)` if confirmed, `Ok(false)` if refused with a code that
/// tells the client the write did not happen (INTERNAL or UNAVAILABLE). Anything else is
/// a broken promise.
async fn send(chat: &mut ChatServiceClient<Channel>, token: &str, content: &str) -> bool {
    let req = pb::SendRequest {
        content: content.into(),
        client_request_id: String::new(),
        ..Default::default()
    };
    match chat.send(authed(req, token)).await {
        Ok(_) => true,
        Err(status) => {
            assert!(
                matches!(status.code(), Code::Internal | Code::Unavailable),
                "a failed write must say INTERNAL or UNAVAILABLE, got {status:?}"
            );
            false
        }
    }
}

#[tokio::test]
async fn a_full_disk_never_gets_an_ok_for_a_write_it_did_not_store_and_recovers_when_freed() {
    if on_postgres() {
        eprintln!("skipped on PostgreSQL: this test fills the SQLite data directory");
        return;
    }
    let (disk, data, logs) = data_on_tmpfs("8m");
    let env = [("CHAT__LOG__DIR", logs.as_str())];
    let port = free_port();
    let server = ServerProcess::start(&data, "", port, &env).await;
    let channel = server.channel();
    let token = account(channel.clone(), "writer").await;
    let mut chat = ChatServiceClient::new(channel.clone());
    let mut auth = AuthServiceClient::new(channel.clone());
    let filler = disk.path().join("filler");
    fill(&filler);

    // Write until the disk has refused a good number of writes. 4,000 characters a
    // message, so the WAL needs new blocks at once.
    let mut confirmed = Vec::new();
    let mut confirmed_users = Vec::new();
    let mut refused = 0;
    for i in 0..400 {
        let content = format!("{i:04} {}", "x".repeat(3_990));
        if send(&mut chat, &token, &content).await {
            confirmed.push(content);
        } else {
            refused += 1;
        }
        if i % 10 == 0 {
            let name = format!("user{i}");
            let signed_up = auth
                .sign_up(SignUpRequest {
                    user_name: name.clone(),
                    password: PASSWORD.into(),
                })
                .await;
            match signed_up {
                Ok(_) => confirmed_users.push(name),
                Err(status) => assert!(
                    matches!(status.code(), Code::Internal | Code::Unavailable),
                    "{status:?}"
                ),
            }
        }
        if refused >= 40 {
            break;
        }
    }
    assert!(refused > 0, "the full disk never refused a write");
    server
        .wait_for(ServingStatus::NotServing, Duration::from_secs(10))
        .await;

    // Space comes back: without a restart, health says SERVING and writes are stored.
    std::fs::remove_file(&filler).expect("free the disk");
    server
        .wait_for(ServingStatus::Serving, Duration::from_secs(20))
        .await;
    for i in 0..20 {
        let content = format!("after {i}");
        assert!(
            send(&mut chat, &token, &content).await,
            "a write after space came back was refused"
        );
        confirmed.push(content);
    }
    server.kill9().await;

    let reader = sqlite_reader(&data.join("chat.db")).await;
    let stored = stored_contents(&reader).await;
    let missing: Vec<&String> = confirmed.iter().filter(|c| !stored.contains(*c)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} confirmed Sends are not in the database (refused: {refused}); first: {:.20}",
        missing.len(),
        confirmed.len(),
        missing[0]
    );
    let users = strings(&reader, "SELECT name FROM users").await;
    for name in &confirmed_users {
        assert!(
            users.contains(name),
            "a confirmed SignUp is missing: {name}"
        );
    }
    reader.close().await.ok();

    // And the restarted server serves what it confirmed.
    let server = ServerProcess::start(&data, "", port, &env).await;
    server.kill9().await;
}

#[tokio::test]
async fn a_read_only_data_directory_refuses_to_start() {
    if on_postgres() {
        eprintln!("skipped on PostgreSQL: this test makes the SQLite data directory read-only");
        return;
    }
    let (disk, data, logs) = data_on_tmpfs("16m");
    let env = [("CHAT__LOG__DIR", logs.as_str())];
    let port = free_port();
    // A first run creates and migrates the database.
    ServerProcess::start(&data, "", port, &env)
        .await
        .kill9()
        .await;
    disk.remount("ro");
    let mut server = ServerProcess::spawn(&data, "", port, &env);
    let exit = server.exit_within(Duration::from_secs(30)).await;
    let exit = exit.expect("a server on a read-only directory must exit, not serve");
    assert!(!exit.success(), "it exits with an error: {exit:?}");
    disk.remount("rw");
}

#[tokio::test]
async fn a_second_server_on_the_same_sqlite_database_refuses_to_start() {
    if on_postgres() {
        eprintln!("skipped on PostgreSQL: replicas share PostgreSQL by design");
        return;
    }
    let dir = tempfile::tempdir().expect("data dir");
    let first = ServerProcess::start(dir.path(), "", free_port(), &[]).await;
    let mut second = ServerProcess::spawn(dir.path(), "", free_port(), &[]);
    let exit = second
        .exit_within(Duration::from_secs(30))
        .await
        .expect("the second server must exit");
    assert!(!exit.success());
    assert_eq!(first.health().await, Some(ServingStatus::Serving));
    first.kill9().await;
}

/// The PostgreSQL database a `postgres://…/name?…` URL names.
fn database_name(url: &str) -> String {
    let path = url.split('?').next().unwrap_or_default();
    path.rsplit('/').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn confirmed_sends_survive_postgres_connections_killed_mid_load() {
    if !on_postgres() {
        eprintln!("skipped on SQLite: this test terminates PostgreSQL backends");
        return;
    }
    let db = test_db::TestDb::create().await;
    let port = free_port();
    let server = ServerProcess::start(&db.data_dir, &db.url, port, &[]).await;
    let channel = server.channel();
    let mut posters = Vec::new();
    for p in 0..3 {
        let token = account(channel.clone(), &format!("poster{p}")).await;
        let mut chat = ChatServiceClient::new(channel.clone());
        posters.push(tokio::spawn(async move {
            let mut confirmed = Vec::new();
            for i in 0..300 {
                let content = format!("post {p}/{i}");
                if send(&mut chat, &token, &content).await {
                    confirmed.push(content);
                }
            }
            confirmed
        }));
    }
    // Kill every connection the server holds, five times over, while it posts.
    let admin = Database::connect(std::env::var("TEST_DATABASE_URL").expect("url"))
        .await
        .expect("admin connection");
    let name = database_name(&db.url);
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        admin
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ))
            .await
            .expect("terminate backends");
    }
    let mut confirmed = Vec::new();
    for poster in posters {
        confirmed.extend(poster.await.expect("poster"));
    }
    server.kill9().await;
    admin.close().await.ok();
    assert!(!confirmed.is_empty(), "nothing was confirmed at all");

    let reader = Database::connect(db.url.as_str()).await.expect("reader");
    let stored = stored_contents(&reader).await;
    let missing: Vec<&String> = confirmed.iter().filter(|c| !stored.contains(*c)).collect();
    assert!(
        missing.is_empty(),
        "{} confirmed Sends are not in the database: {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    reader.close().await.ok();
}

/// The next event on `stream`, or `None` if none comes within `wait`.
async fn next_event(stream: &mut tonic::Streaming<pb::Event>, wait: Duration) -> Option<pb::Event> {
    use tokio_stream::StreamExt;
    match tokio::time::timeout(wait, stream.next()).await {
        Ok(Some(Ok(event))) => Some(event),
        Ok(Some(Err(status))) => panic!("stream failed: {status:?}"),
        Ok(None) | Err(_) => None,
    }
}

#[tokio::test]
async fn an_acknowledged_event_never_comes_back_after_a_kill_9() {
    // A SQLite file by default; the same test runs on PostgreSQL with TEST_DATABASE_URL.
    let db = test_db::TestDb::create().await;
    let port = free_port();
    let server = ServerProcess::start(&db.data_dir, &db.url, port, &[]).await;
    let channel = server.channel();
    let reader = account(channel.clone(), "reader").await;
    let poster = account(channel.clone(), "poster").await;
    let mut chat = ChatServiceClient::new(channel.clone());
    for i in 0..30 {
        assert!(send(&mut chat, &poster, &format!("before {i}")).await);
    }
    let mut stream = chat
        .subscribe(authed(pb::SubscribeRequest {}, &reader))
        .await
        .expect("subscribe")
        .into_inner();
    let mut last = 0;
    for _ in 0..30 {
        last = next_event(&mut stream, Duration::from_secs(10))
            .await
            .expect("a queued event")
            .event_id;
    }
    chat.ack(authed(
        pb::AckRequest {
            up_to_event_id: last,
        },
        &reader,
    ))
    .await
    .expect("ack");
    // Killed the moment the ack is answered: an OK means it is stored.
    server.kill9().await;

    let server = ServerProcess::start(&db.data_dir, &db.url, port, &[]).await;
    let channel = server.channel();
    let mut chat = ChatServiceClient::new(channel);
    let mut stream = chat
        .subscribe(authed(pb::SubscribeRequest {}, &reader))
        .await
        .expect("subscribe again")
        .into_inner();
    assert!(send(&mut chat, &poster, "after the restart").await);
    let first = next_event(&mut stream, Duration::from_secs(10))
        .await
        .expect("the new post");
    assert!(
        first.event_id > last,
        "event {} came back although {last} was acknowledged",
        first.event_id
    );
    server.kill9().await;
}

/// CPU seconds (user + system) the process has used so far, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 =
        fields[11].parse::<f64>().expect("utime") + fields[12].parse::<f64>().expect("stime");
    ticks / 100.0 // USER_HZ is 100 on Linux
}

#[tokio::test]
async fn connections_past_the_descriptor_limit_neither_spin_nor_lock_clients_out() {
    if on_postgres() {
        eprintln!("skipped on PostgreSQL: the accept loop does not depend on the database");
        return;
    }
    let dir = tempfile::tempdir().expect("data dir");
    let logs = tempfile::tempdir().expect("log dir");
    let logs_dir = logs.path().display().to_string();
    // A connection cap far above what 128 descriptors allow.
    let env = [
        ("CHAT__LOG__DIR", logs_dir.as_str()),
        ("CHAT__SERVER__MAX_CONNECTIONS", "5000"),
        ("CHAT__SERVER__MAX_CONNECTIONS_PER_IP", "5000"),
    ];
    let port = free_port();
    let server = ServerProcess::start_with_file_limit(dir.path(), port, &env, 128).await;
    let mut idle = Vec::new();
    for _ in 0..200 {
        if let Ok(stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            idle.push(stream);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = cpu_seconds(server.pid());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let used = cpu_seconds(server.pid()) - before;
    assert!(
        used < 0.5,
        "the server used {used:.2} CPU-seconds in 2 s with idle connections over its limit"
    );
    drop(idle);
    // Once they are gone, a new client is served.
    server
        .wait_for(ServingStatus::Serving, Duration::from_secs(10))
        .await;
    server.kill9().await;
    let log = std::fs::read_dir(logs.path())
        .expect("logs")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect::<String>();
    assert!(
        log.contains("file-descriptor limit") && log.contains("too many open connections"),
        "the log says what happened"
    );
}

/// A TCP proxy in front of PostgreSQL that the test can cut (every connection dropped,
/// new ones refused) and restore: a database that goes away without the server's
/// process being touched.
struct CuttableProxy {
    port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    generation: tokio::sync::watch::Sender<u64>,
    _task: tokio::task::JoinHandle<()>,
}

impl CuttableProxy {
    async fn start(upstream: String) -> Self {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (generation, _) = tokio::sync::watch::channel(0u64);
        let task = {
            let cut = cut.clone();
            let generation = generation.clone();
            tokio::spawn(async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    if cut.load(Ordering::SeqCst) {
                        continue; // dropped: the connection is refused
                    }
                    let upstream = upstream.clone();
                    let mut cuts = generation.subscribe();
                    tokio::spawn(async move {
                        let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = cuts.changed() => {}
                        }
                    });
                }
            })
        };
        Self {
            port,
            cut,
            generation,
            _task: task,
        }
    }

    fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    fn restore(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
async fn health_says_not_serving_while_postgres_is_unreachable_and_serving_once_it_is_back() {
    if !on_postgres() {
        eprintln!("skipped on SQLite: this test cuts the server off from PostgreSQL");
        return;
    }
    let db = test_db::TestDb::create().await;
    // postgres://user@HOST:PORT/name → the same database through the proxy.
    let (scheme_user, rest) = db.url.split_once('@').expect("a URL with user@host");
    let (authority, path) = rest.split_once('/').expect("a URL with a database");
    let proxy = CuttableProxy::start(authority.to_owned()).await;
    let proxied = format!("{scheme_user}@127.0.0.1:{}/{path}", proxy.port);
    let server = ServerProcess::start(&db.data_dir, &proxied, free_port(), &[]).await;
    account(server.channel(), "before_the_cut").await;

    proxy.cut();
    server
        .wait_for(ServingStatus::NotServing, Duration::from_secs(20))
        .await;
    let refused = AuthServiceClient::new(server.channel())
        .sign_up(SignUpRequest {
            user_name: "during_the_cut".into(),
            password: PASSWORD.into(),
        })
        .await
        .expect_err("no database, no sign-up");
    assert!(
        matches!(refused.code(), Code::Internal | Code::Unavailable),
        "{refused:?}"
    );

    proxy.restore();
    server
        .wait_for(ServingStatus::Serving, Duration::from_secs(30))
        .await;
    account(server.channel(), "after_the_cut").await;
}
