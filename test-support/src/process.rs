//! The real `chat-server` binary as a child process, for the tests that must kill it
//! (`kill -9`), restart it on the same data, or run it on a file system they control.

use chat_protocol::auth::v1::{
    SignInRequest, SignUpRequest, auth_service_client::AuthServiceClient,
};
use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};
use tokio::process::{Child, Command};
use tonic::{Request, transport::Channel};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

pub const SECRET: &str = "process-test-secret-process-test-secret!";
pub const PASSWORD: &str = "process test password";

pub struct ServerProcess {
    child: Child,
    pub port: u16,
}

impl ServerProcess {
    /// Starts the server on `port` with its data in `data_dir` (and `db_url`, "" for the
    /// SQLite default there), plus `env`; waits until it says SERVING.
    pub async fn start(data_dir: &Path, db_url: &str, port: u16, env: &[(&str, &str)]) -> Self {
        let server = Self::spawn(data_dir, db_url, port, env);
        server
            .wait_for(ServingStatus::Serving, Duration::from_secs(30))
            .await;
        server
    }

    /// Starts the server without waiting for it.
    pub fn spawn(data_dir: &Path, db_url: &str, port: u16, env: &[(&str, &str)]) -> Self {
        Self::spawn_with(Command::new(binary()), data_dir, db_url, port, env)
    }

    /// Starts the server allowed at most `files` open files (`prlimit --nofile`).
    pub async fn start_with_file_limit(
        data_dir: &Path,
        port: u16,
        env: &[(&str, &str)],
        files: u32,
    ) -> Self {
        let mut command = Command::new("prlimit");
        command
            .arg(format!("--nofile={files}"))
            .arg("--")
            .arg(binary());
        let server = Self::spawn_with(command, data_dir, "", port, env);
        server
            .wait_for(ServingStatus::Serving, Duration::from_secs(30))
            .await;
        server
    }

    fn spawn_with(
        mut command: Command,
        data_dir: &Path,
        db_url: &str,
        port: u16,
        env: &[(&str, &str)],
    ) -> Self {
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CHAT__SERVER__HOST", "127.0.0.1")
            .env("CHAT__SERVER__PORT", port.to_string())
            .env("CHAT__STORAGE__DATA_DIR", data_dir)
            .env("CHAT__LOG__DIR", data_dir.join("logs"))
            .env("CHAT__DATABASE__URL", db_url)
            .env("CHAT__CHAT__REQUIRED_REACTIONS", "0")
            .env("JWT_SECRET_KEY", SECRET)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().expect("start chat-server");
        Self { child, port }
    }

    /// The server's process id (prlimit execs it, so the same process).
    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn channel(&self) -> Channel {
        Channel::from_shared(self.url())
            .expect("uri")
            .connect_lazy()
    }

    /// The server's own answer for the whole server, or `None` if it does not answer.
    pub async fn health(&self) -> Option<ServingStatus> {
        health_at(&self.url()).await
    }

    /// Asks the health service until it answers `wanted`; panics after `limit`.
    pub async fn wait_for(&self, wanted: ServingStatus, limit: Duration) {
        assert!(
            wait_for_status(&self.url(), wanted, limit).await,
            "chat-server did not report {wanted:?} within {limit:?}"
        );
    }

    /// Waits for the process to exit by itself; its exit status, or `None` after `limit`.
    pub async fn exit_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .ok()?
            .ok()
    }

    pub async fn kill9(mut self) {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("reap");
    }
}

/// The binary under test: `CHAT_SERVER_BIN` if set (to run the tests against another
/// build, e.g. an older one), else the `chat-server` cargo built beside the running
/// executable (a test binary lives in `target/<profile>/deps/`, the load generator in
/// `target/<profile>/`).
pub fn binary() -> String {
    if let Some(bin) = std::env::var_os("CHAT_SERVER_BIN").filter(|b| !b.is_empty()) {
        return bin.to_string_lossy().into_owned();
    }
    let exe = std::env::current_exe().unwrap_or_default();
    exe.ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join("chat-server"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| PathBuf::from("chat-server"))
        .to_string_lossy()
        .into_owned()
}

/// Asks the server at `url` until its health service says `wanted`, or `limit` passes.
pub async fn wait_for_status(url: &str, wanted: ServingStatus, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if health_at(url).await == Some(wanted) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// The overall status of the server at `url`, or `None` if it does not answer.
pub async fn health_at(url: &str) -> Option<ServingStatus> {
    let channel = Channel::from_shared(url.to_owned())
        .ok()?
        .connect_timeout(Duration::from_secs(2))
        .connect()
        .await
        .ok()?;
    let reply = tokio::time::timeout(
        Duration::from_secs(5),
        HealthClient::new(channel).check(HealthCheckRequest {
            service: String::new(),
        }),
    )
    .await
    .ok()?
    .ok()?;
    Some(reply.into_inner().status())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// `message` with the `authorization: Bearer <token>` header chat.v1 wants. A token is
/// always ASCII; one that is not (a test's own mistake) goes without the header.
pub fn authed<T>(message: T, token: &str) -> Request<T> {
    let mut req = Request::new(message);
    if let Ok(value) = format!("Bearer {token}").parse() {
        req.metadata_mut().insert("authorization", value);
    }
    req
}

/// Signs `name` up and in; the access token.
pub async fn account(channel: Channel, name: &str) -> String {
    let mut auth = AuthServiceClient::new(channel);
    auth.sign_up(SignUpRequest {
        user_name: name.into(),
        password: PASSWORD.into(),
    })
    .await
    .expect("sign up");
    auth.sign_in(SignInRequest {
        user_name: name.into(),
        password: PASSWORD.into(),
    })
    .await
    .expect("sign in")
    .into_inner()
    .access_token
}
