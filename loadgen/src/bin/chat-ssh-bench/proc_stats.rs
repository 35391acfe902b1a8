//! CPU time and memory of a process, from /proc: `utime + stime` of `/proc/PID/stat`
//! (in clock ticks) and `VmRSS` / `VmHWM` of `/proc/PID/status` (chat-loadgen's
//! `spawn.rs` reads the same fields for the server alone).

use std::path::Path;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcStats {
    pub cpu_secs: f64,
    pub rss_kib: u64,
    pub peak_rss_kib: u64,
}

impl ProcStats {
    pub fn read(pid: u32) -> Option<Self> {
        Self::read_dir(&Path::new("/proc").join(pid.to_string()))
    }

    /// This process.
    pub fn current() -> Option<Self> {
        Self::read_dir(Path::new("/proc/self"))
    }

    fn read_dir(dir: &Path) -> Option<Self> {
        let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
        let status = std::fs::read_to_string(dir.join("status")).ok()?;
        parse(&stat, &status, clock_ticks())
    }

    pub fn rss_mb(&self) -> f64 {
        self.rss_kib as f64 / 1024.0
    }
}

fn parse(stat: &str, status: &str, ticks_per_sec: f64) -> Option<ProcStats> {
    // The command name may hold spaces and parens: fields are counted after its last
    // closing paren, where field 3 (state) comes first, so utime (14) and stime (15)
    // are the 12th and 13th.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let kib = |key: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    Some(ProcStats {
        cpu_secs: ticks as f64 / ticks_per_sec,
        rss_kib: kib("VmRSS:")?,
        peak_rss_kib: kib("VmHWM:")?,
    })
}

/// USER_HZ: 100 on every Linux we run on; `getconf CLK_TCK` says so without unsafe code.
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
    fn cpu_and_memory_are_read_past_an_awkward_command_name() {
        let stat = "4242 (chat (tui) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0 1234 567890 3000 18446744073709551615";
        let status = "Name:\tchat-tui\nVmHWM:\t   20480 kB\nVmRSS:\t   16384 kB\nThreads:\t9\n";
        let s = parse(stat, status, 100.0);
        assert_eq!(
            s,
            Some(ProcStats {
                cpu_secs: 3.0,
                rss_kib: 16384,
                peak_rss_kib: 20480,
            })
        );
        assert_eq!(parse("4242 (x) S 1", status, 100.0), None, "cut short");
    }

    #[test]
    fn this_process_has_stats() {
        let s = ProcStats::current().unwrap_or_default();
        assert!(s.rss_kib > 0 && s.peak_rss_kib >= s.rss_kib, "{s:?}");
    }
}
