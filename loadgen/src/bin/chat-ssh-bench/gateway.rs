//! The gateway under test: `chat-tui ssh-gateway` as a process of its own (so its memory
//! and CPU are its own, as in production), on a free loopback port, with its own data
//! directory and nothing of the developer's configuration.

use anyhow::{Context, Result, bail};
use russh::keys::{HashAlg, PrivateKey};
use std::{
    fs::File,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};
use tokio::process::{Child, Command};

/// The host key's file name in the gateway's data directory (tui/src/gateway/host_key.rs).
const HOST_KEY: &str = "ssh_host_ed25519_key";

pub struct SpawnedGateway {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
    /// "SHA256:…" of the host key, which the sessions insist on.
    pub fingerprint: String,
    /// Its stdout and stderr, for the error message when it fails.
    log: PathBuf,
}

impl SpawnedGateway {
    /// Starts the gateway on 127.0.0.1:`port` for the server at `server_url`; `dir`
    /// holds its data, its home and its output. Returns once it accepts connections.
    pub async fn start(bin: &Path, server_url: &str, port: u16, dir: &Path) -> Result<Self> {
        if !bin.exists() {
            bail!(
                "{} does not exist: build it (cargo build -p chat-tui) or pass --tui-bin",
                bin.display()
            );
        }
        let data = dir.join("gateway");
        std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
        let log = dir.join("gateway.out");
        let out = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone().context("the gateway's stderr")?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut cmd = Command::new(bin);
        // A clean environment and a home of its own: no config file, no .env, no
        // CHAT_SSH_* of the developer's shell changes what is measured.
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir)
            .args(["--server", server_url, "--data-dir"])
            .arg(&data)
            .args(["ssh-gateway", "--listen", &addr.to_string()])
            .args(["--max-sessions", "1000", "--max-per-ip", "1000"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true);
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id().context("the gateway exited at once")?;
        let mut gateway = Self {
            child,
            pid,
            addr,
            fingerprint: String::new(),
            log,
        };
        match gateway.wait_listening(Duration::from_secs(30)).await {
            Ok(()) => {}
            Err(e) => {
                let tail = gateway.log_tail();
                gateway.stop().await;
                return Err(e.context(tail));
            }
        }
        gateway.fingerprint = fingerprint(&data.join(HOST_KEY))?;
        Ok(gateway)
    }

    /// Connects until the port answers. The key is written before the port is bound, so
    /// it is there by then. The probe connection is dropped before the ssh handshake,
    /// which the gateway logs and forgets.
    async fn wait_listening(&mut self, limit: Duration) -> Result<()> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait()? {
                bail!("chat-tui ssh-gateway exited during start-up: {status}");
            }
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!(
            "chat-tui ssh-gateway did not listen on {} within {limit:?}",
            self.addr
        )
    }

    /// Whether the process is still running (a crash under load fails the run).
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The last lines the gateway wrote, to explain a failure.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        format!(
            "the gateway's last output ({}):\n{tail}",
            self.log.display()
        )
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// The host key's SHA-256 fingerprint, as `ssh` shows it.
fn fingerprint(path: &Path) -> Result<String> {
    let pem = std::fs::read_to_string(path)
        .with_context(|| format!("reading the gateway's host key {}", path.display()))?;
    let key = PrivateKey::from_openssh(pem)
        .with_context(|| format!("{} is not an OpenSSH key", path.display()))?;
    Ok(key.public_key().fingerprint(HashAlg::Sha256).to_string())
}
