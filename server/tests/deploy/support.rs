//! Shared by the deployment tests: a generated certificate, a real server on
//! 127.0.0.1:0, and the real `chat-server` binary run in an empty directory.

use crate::test_db::TestDb;
use chat_server::{Application, Settings, settings::Secret};
use std::{net::SocketAddr, path::Path, process::Output};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const SECRET: &str = "deploy-test-secret-deploy-test-secret";

/// A self-signed certificate for `localhost` and 127.0.0.1, written as PEM files.
pub struct TestCert {
    pub cert_pem: String,
    pub cert_path: std::path::PathBuf,
    pub key_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl TestCert {
    pub fn generate() -> Self {
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let generated = rcgen::generate_simple_self_signed(names).expect("generate certificate");
        let dir = tempfile::tempdir().expect("temp dir");
        let cert_pem = generated.cert.pem();
        let cert_path = dir.path().join("cert.pem");
        let key_path = dir.path().join("key.pem");
        std::fs::write(&cert_path, &cert_pem).expect("write cert");
        std::fs::write(&key_path, generated.signing_key.serialize_pem()).expect("write key");
        Self {
            cert_pem,
            cert_path,
            key_path,
            _dir: dir,
        }
    }
}

pub struct RunningServer {
    pub addr: SocketAddr,
    /// Held so the database outlives the server.
    _db: TestDb,
    shutdown: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// The real application on 127.0.0.1:0, with TLS when `cert` is given.
pub async fn start_server(cert: Option<&TestCert>) -> RunningServer {
    chat_server::telemetry::init_for_tests();
    let db = TestDb::create().await;
    let mut settings = Settings::defaults().expect("default settings");
    settings.database.url = Secret::new(db.url.clone());
    settings.storage.data_dir = db.data_dir.clone();
    settings.auth.jwt_secret = Secret::new(SECRET);
    settings.server.shutdown_grace_secs = 1;
    if let Some(cert) = cert {
        settings.server.tls_cert = cert.cert_path.clone();
        settings.server.tls_key = cert.key_path.clone();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let app = Application::build(settings, listener)
        .await
        .expect("build app");
    assert_eq!(app.tls(), cert.is_some());
    let addr = app.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(app.run(shutdown.clone()));
    RunningServer {
        addr,
        _db: db,
        shutdown,
        task: Some(task),
    }
}

impl RunningServer {
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Runs `chat-server <args>` with only `vars` configuring it: in an empty directory (no
/// `.env`, no `config/`), with the variables a developer's shell might carry removed.
pub async fn chat_server(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    run_in(dir.path(), args, vars).await
}

async fn run_in(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(chat_test_support::process::binary());
    command.current_dir(dir).args(args).kill_on_drop(true);
    for name in chat_server::settings::environment_variables() {
        command.env_remove(name);
    }
    command.envs(vars.iter().copied());
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), command.output())
        .await
        .expect("chat-server finished within a minute")
        .expect("run chat-server");
    if std::env::var_os("TEST_LOG").is_some() {
        eprintln!(
            "chat-server {args:?}: {}\nstdout: {}\nstderr: {}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
