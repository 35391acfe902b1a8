//! `--spawn`: a fresh `chat-server` process configured through the environment (as
//! `server/tests/crash.rs` does), on a temporary data directory and either SQLite or a new
//! PostgreSQL database that is dropped afterwards; or a fresh in-memory reference server
//! (`chat-loadgen reference-server`, issue 15), a process of its own so that its CPU is
//! counted like chat-server's. Plus the server's CPU time and memory, read from `/proc`.

use anyhow::{Context, Result, bail};
use chat_test_support::{process::health_at, test_db::ScratchDatabase};
use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};
use tokio::process::{Child, Command};

const JWT_SECRET: &str = "chat-loadgen-secret-chat-loadgen-secret!";
/// The spawned chat-server trusts chat-loadgen as its ssh gateway, so that a user's
/// second and later sessions can be opened with a key instead of a password hash.
const GATEWAY_SECRET: &str = "chat-loadgen-gateway-chat-loadgen-gateway!";

pub struct SpawnedServer {
    child: Child,
    pub pid: u32,
    pub url: String,
    /// The database kind, for the report.
    pub database: &'static str,
    /// What the server trusts as its ssh gateway (`None`: the reference server, which
    /// has no gateway service).
    pub gateway_secret: Option<&'static str>,
    postgres: Option<ScratchDatabase>,
    _dir: tempfile::TempDir,
}

/// The `--spawn` target that starts the in-memory reference server.
pub const REFERENCE: &str = "reference";

pub struct SpawnOptions<'a> {
    pub target: &'a str,
    pub server_bin: Option<PathBuf>,
    /// The reference server's executable [default: this one].
    pub reference_bin: Option<PathBuf>,
    pub extra_env: &'a [(String, String)],
    pub required_reactions: Option<u32>,
    /// A replica: use this database (another spawned server's, already migrated) instead
    /// of creating one; the first server owns it and drops it.
    pub shared_database: Option<String>,
}

impl SpawnedServer {
    pub async fn start(opts: SpawnOptions<'_>) -> Result<Self> {
        if opts.target == REFERENCE {
            return Self::start_reference(opts).await;
        }
        let bin = match opts.server_bin {
            Some(bin) => bin,
            None => std::env::current_exe()
                .context("locating chat-loadgen")?
                .with_file_name("chat-server"),
        };
        if !bin.exists() {
            bail!(
                "{} does not exist: build it (cargo build -p chat-server) or pass --server-bin",
                bin.display()
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("chat-loadgen-")
            .tempdir()
            .context("temporary data directory")?;
        let (db_url, database, postgres) = if let Some(url) = &opts.shared_database {
            (url.clone(), "postgres", None)
        } else if opts.target == "sqlite" {
            (String::new(), "sqlite", None)
        } else if opts.target.starts_with("postgres://") || opts.target.starts_with("postgresql://")
        {
            let scratch = ScratchDatabase::create(opts.target, "chat_bench")
                .await
                .with_context(|| {
                    format!(
                        "creating a benchmark database on PostgreSQL at {}",
                        opts.target
                    )
                })?;
            (scratch.url.clone(), "postgres", Some(scratch))
        } else {
            bail!("--spawn takes `sqlite` or a postgres:// URL");
        };
        let port = free_port()?;
        let mut cmd = Command::new(&bin);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CHAT__SERVER__HOST", "127.0.0.1")
            .env("CHAT__SERVER__PORT", port.to_string())
            .env("CHAT__STORAGE__DATA_DIR", dir.path())
            .env("CHAT__LOG__DIR", dir.path().join("logs"))
            .env("CHAT__DATABASE__URL", &db_url)
            // Every simulated client signs in from 127.0.0.1, many at once: the
            // throttle (which counts attempts in flight) and the per-address caps would
            // otherwise see one abusive client.
            .env("CHAT__AUTH__SIGN_IN_MAX_FAILURES", "1000000")
            .env("CHAT__AUTH__SIGN_IN_MAX_FAILURES_PER_IP", "1000000")
            .env("CHAT__SERVER__MAX_CONNECTIONS_PER_IP", "100000")
            .env("CHAT__SERVER__MAX_CONNECTIONS", "100000")
            .env("JWT_SECRET_KEY", JWT_SECRET)
            .env("CHAT__AUTH__GATEWAY_SECRET", GATEWAY_SECRET)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(n) = opts.required_reactions {
            cmd.env("CHAT__CHAT__REQUIRED_REACTIONS", n.to_string());
        }
        for (k, v) in opts.extra_env {
            cmd.env(k, v);
        }
        Self::launch(cmd, &bin, port, database, postgres, dir).await
    }

    /// `reference-server` on a free loopback port, with the same gate.
    async fn start_reference(opts: SpawnOptions<'_>) -> Result<Self> {
        let bin = match opts.reference_bin {
            Some(bin) => bin,
            None => std::env::current_exe().context("locating chat-loadgen")?,
        };
        let dir = tempfile::Builder::new()
            .prefix("chat-loadgen-reference-")
            .tempdir()
            .context("temporary working directory")?;
        let port = free_port()?;
        let mut cmd = Command::new(&bin);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .arg("reference-server")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--required-reactions")
            .arg(opts.required_reactions.unwrap_or(2).to_string())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        for (k, v) in opts.extra_env {
            cmd.env(k, v);
        }
        Self::launch(cmd, &bin, port, REFERENCE, None, dir).await
    }

    async fn launch(
        mut cmd: Command,
        bin: &Path,
        port: u16,
        database: &'static str,
        postgres: Option<ScratchDatabase>,
        dir: tempfile::TempDir,
    ) -> Result<Self> {
        let child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) => {
                if let Some(scratch) = postgres {
                    scratch.remove().await;
                }
                return Err(e).with_context(|| format!("starting {}", bin.display()));
            }
        };
        let pid = child.id().context("the server exited at once")?;
        let mut server = Self {
            child,
            pid,
            url: format!("http://127.0.0.1:{port}"),
            database,
            gateway_secret: (database != REFERENCE).then_some(GATEWAY_SECRET),
            postgres,
            _dir: dir,
        };
        if let Err(e) = server.wait_ready(Duration::from_secs(60)).await {
            server.stop().await;
            return Err(e);
        }
        Ok(server)
    }

    /// Asks the server's grpc.health.v1 service until it answers SERVING.
    async fn wait_ready(&mut self, limit: Duration) -> Result<()> {
        use tonic_health::pb::health_check_response::ServingStatus;
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited during start-up: {status}");
            }
            if health_at(&self.url).await == Some(ServingStatus::Serving) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the server did not become ready within {limit:?}")
    }

    pub fn stats(&self) -> Option<ProcStats> {
        ProcStats::read(self.pid)
    }

    /// The PostgreSQL database this server created (and will drop), for its replicas.
    pub fn database_url(&self) -> Option<String> {
        self.postgres.as_ref().map(|s| s.url.clone())
    }

    /// Kills the server and drops its PostgreSQL database.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        if let Some(scratch) = self.postgres.take() {
            scratch.remove().await;
        }
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Raises this process's open-file limit to at least `wanted` with `prlimit` (util-linux):
/// soft and hard where allowed (raising the hard limit takes CAP_SYS_RESOURCE, which a
/// container's root may lack), else the soft limit up to the hard one. The spawned servers
/// inherit it. Returns the soft limit in force afterwards, if it could be read.
pub fn raise_nofile(wanted: u64) -> Option<u64> {
    let (soft, hard) = nofile_limits()?;
    if soft >= wanted {
        return Some(soft);
    }
    let ceiling = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(1 << 20);
    let both = wanted.min(ceiling);
    if !prlimit(&format!("--nofile={both}:{both}")) && hard > soft {
        prlimit(&format!("--nofile={}:{hard}", wanted.min(hard)));
    }
    nofile_limits().map(|(soft, _)| soft)
}

fn prlimit(limits: &str) -> bool {
    std::process::Command::new("prlimit")
        .arg("--pid")
        .arg(std::process::id().to_string())
        .arg(limits)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The soft and hard `Max open files` of this process.
fn nofile_limits() -> Option<(u64, u64)> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut fields = line.split_whitespace().skip(3);
    let mut next = || -> Option<u64> {
        match fields.next()? {
            "unlimited" => Some(u64::MAX),
            n => n.parse().ok(),
        }
    };
    Some((next()?, next()?))
}

/// CPU time and memory of one process.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcStats {
    pub cpu_secs: f64,
    pub rss_mb: f64,
    pub peak_rss_mb: f64,
}

impl ProcStats {
    /// The sum over several processes (replicas); none if any could not be read.
    pub fn sum(all: &[Option<Self>]) -> Option<Self> {
        all.iter().try_fold(Self::default(), |acc, s| {
            let s = (*s)?;
            Some(Self {
                cpu_secs: acc.cpu_secs + s.cpu_secs,
                rss_mb: acc.rss_mb + s.rss_mb,
                peak_rss_mb: acc.peak_rss_mb + s.peak_rss_mb,
            })
        })
    }

    pub fn read(pid: u32) -> Option<Self> {
        Self::read_path(&Path::new("/proc").join(pid.to_string()))
    }

    pub fn current() -> Option<Self> {
        Self::read_path(Path::new("/proc/self"))
    }

    fn read_path(dir: &Path) -> Option<Self> {
        let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
        // The command name may hold spaces: fields are counted after its closing paren,
        // where field 3 (state) comes first, so utime (14) and stime (15) are 11 and 12.
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        let status = std::fs::read_to_string(dir.join("status")).ok()?;
        let kb = |key: &str| -> Option<f64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))?
                .split_whitespace()
                .next()?
                .parse::<f64>()
                .ok()
        };
        Some(Self {
            cpu_secs: ticks as f64 / clock_ticks(),
            rss_mb: kb("VmRSS:")? / 1024.0,
            peak_rss_mb: kb("VmHWM:")? / 1024.0,
        })
    }
}

/// USER_HZ: 100 on every Linux we run on; `getconf` confirms it without unsafe code.
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|t| *t > 0.0)
            .unwrap_or(100.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_stats_add_up_and_one_missing_spoils_the_sum() {
        let one = ProcStats {
            cpu_secs: 1.0,
            rss_mb: 10.0,
            peak_rss_mb: 12.0,
        };
        let s = ProcStats::sum(&[Some(one), Some(one), Some(one)]).expect("sum");
        assert!((s.cpu_secs - 3.0).abs() < 1e-9 && (s.peak_rss_mb - 36.0).abs() < 1e-9);
        assert!(ProcStats::sum(&[Some(one), None]).is_none());
        assert!(nofile_limits().is_some_and(|(soft, hard)| soft > 0 && hard >= soft));
    }

    #[test]
    fn this_process_has_stats() {
        let s = ProcStats::current().expect("stats of /proc/self");
        assert!(s.rss_mb > 0.0 && s.peak_rss_mb >= s.rss_mb);
    }
}
