//! The chat-server under the gateway: the real binary as a child process, through
//! chat-test-support's `ServerProcess` (the one beside this executable, or
//! `CHAT_SERVER_BIN`), on SQLite in a temporary directory. Its defaults suit a busy
//! room: the send gate is off (`required_reactions` 0), so one poster posts freely.

use crate::proc_stats::ProcStats;
use anyhow::{Context, Result, bail};
use chat_test_support::process::{ServerProcess, binary, wait_for_status};
use std::{path::Path, time::Duration};
use tonic_health::pb::health_check_response::ServingStatus;

/// Every ssh session signs in from 127.0.0.1 through the gateway, several at once: the
/// throttle (which counts attempts in flight) and the per-address caps would otherwise
/// see one abusive client (the same settings as chat-loadgen's `--spawn`).
const OPEN_THROTTLES: &[(&str, &str)] = &[
    ("CHAT__AUTH__SIGN_IN_MAX_FAILURES", "1000000"),
    ("CHAT__AUTH__SIGN_IN_MAX_FAILURES_PER_IP", "1000000"),
    ("CHAT__SERVER__MAX_CONNECTIONS_PER_IP", "100000"),
    ("CHAT__SERVER__MAX_CONNECTIONS", "100000"),
];

pub struct Server {
    // Dropped (and so killed) before its directory goes.
    _process: ServerProcess,
    pub pid: u32,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts the server and waits until its health service says SERVING.
    pub async fn start(port: u16) -> Result<Self> {
        let bin = binary();
        if !Path::new(&bin).is_file() {
            bail!(
                "{bin} is not there: build chat-server (cargo build -p chat-server) or set CHAT_SERVER_BIN"
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("chat-ssh-bench-server-")
            .tempdir()
            .context("a temporary directory for the server")?;
        let process = ServerProcess::spawn(&dir.path().join("data"), "", port, OPEN_THROTTLES);
        let server = Self {
            pid: process.pid(),
            url: process.url(),
            _process: process,
            _dir: dir,
        };
        let limit = Duration::from_secs(60);
        if !wait_for_status(&server.url, ServingStatus::Serving, limit).await {
            bail!("chat-server ({bin}) did not become ready within {limit:?}");
        }
        Ok(server)
    }

    pub fn stats(&self) -> Option<ProcStats> {
        ProcStats::read(self.pid)
    }
}
