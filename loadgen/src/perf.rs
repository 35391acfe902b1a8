//! Instructions per delivery, where the machine counts them: `perf stat -e instructions`
//! attached to the spawned server for the measured window (load and drain). CPU seconds
//! depend on the clock and on what else runs; instructions much less. Many virtual
//! machines do not expose the counter (`perf stat` prints `<not supported>`): then the
//! figure is n/a, and `loadgen/scripts/callgrind.sh` counts instructions under valgrind on
//! a short fixed run instead. `perf stat -p` counts the threads the process has when it
//! attaches; the servers start theirs (tokio's workers, SQLite's writer) before the load.

use std::{process::Stdio, time::Duration};
use tokio::{
    process::{Child, Command},
    sync::OnceCell,
};

pub struct Counter {
    perf: Child,
}

impl Counter {
    /// Starts counting the instructions of process `pid`; `None` if perf cannot here.
    pub async fn start(pid: u32) -> Option<Self> {
        if !supported().await {
            return None;
        }
        let perf = Command::new("perf")
            .args([
                "stat",
                "-e",
                "instructions",
                "-x",
                ",",
                "-p",
                &pid.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .ok()?;
        Some(Self { perf })
    }

    /// Stops counting and returns the count. perf prints its totals on SIGINT (tokio can
    /// only send SIGKILL, after which it prints nothing), so `kill -INT` it is.
    pub async fn stop(self) -> Option<u64> {
        let pid = self.perf.id()?;
        let _ = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .await;
        let out = tokio::time::timeout(Duration::from_secs(5), self.perf.wait_with_output())
            .await
            .ok()?
            .ok()?;
        parse(&String::from_utf8_lossy(&out.stderr))
    }
}

/// Whether `perf stat -e instructions` counts on this machine (asked once).
async fn supported() -> bool {
    static SUPPORTED: OnceCell<bool> = OnceCell::const_new();
    *SUPPORTED
        .get_or_init(|| async {
            let probe = Command::new("perf")
                .args(["stat", "-e", "instructions", "-x", ",", "true"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output();
            match tokio::time::timeout(Duration::from_secs(5), probe).await {
                Ok(Ok(out)) => parse(&String::from_utf8_lossy(&out.stderr)).is_some(),
                _ => false,
            }
        })
        .await
}

/// The instruction count in `perf stat -x ,` output: `value,unit,event,...` lines.
fn parse(csv: &str) -> Option<u64> {
    csv.lines().find_map(|line| {
        let mut fields = line.split(',');
        let value = fields.next()?.trim();
        let _unit = fields.next()?;
        let event = fields.next()?;
        if event.starts_with("instructions") {
            value.parse().ok()
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn counts_are_read_and_an_unsupported_counter_is_none() {
        assert_eq!(
            parse("1234567,,instructions:u,1000,100.00,,\n"),
            Some(1_234_567)
        );
        assert_eq!(
            parse("987,,instructions,2000,100.00,1.2,insn per cycle\n"),
            Some(987)
        );
        assert_eq!(parse("<not supported>,,instructions,0,100.00,,\n"), None);
        assert_eq!(parse("<not counted>,,instructions,0,0.00,,\n"), None);
        assert_eq!(parse("perf: command not found\n"), None);
        assert_eq!(parse(""), None);
    }
}
