//! The result of a run: a table for people and one JSON line for scripts (written by
//! hand, like chat-loadgen's: a flat record of numbers does not need a serialiser;
//! `loadgen/scripts/ssh-medians.py` reads it).

use crate::figures::{self, Summary};
use crate::{machine::Machine, proc_stats::ProcStats};
use std::fmt::Write as _;

#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub label: String,
    pub machine: Machine,
    pub sessions: usize,
    pub cols: u16,
    pub rows: u16,
    /// Messages asked for, and those the server confirmed.
    pub messages: usize,
    pub posted: usize,
    pub rate: f64,
    pub send_errors: u64,
    pub last_error: Option<String>,
    /// (session, confirmed message) pairs, and those whose marker showed on the screen.
    pub expected: u64,
    pub deliveries: u64,
    pub dropped: usize,
    /// From the start of the Send to the marker on the screen.
    pub latency: Summary,
    pub send: Summary,
    /// Opening every session until each shows the chat screen; then until the
    /// gateway's output went quiet (`quiet` false: it never did within the limit).
    pub open_secs: f64,
    pub settle_secs: f64,
    pub quiet: bool,
    /// The posting window: the posts, then the drain until every marker showed; the CPU
    /// figures cover it.
    pub post_secs: f64,
    pub drain_secs: f64,
    /// The gateway process: before any ssh connection, with every session open and
    /// settled, after the load.
    pub gateway_idle: Option<ProcStats>,
    pub gateway_settled: Option<ProcStats>,
    pub gateway_end: Option<ProcStats>,
    pub gateway_cpu_secs: Option<f64>,
    pub server_cpu_secs: Option<f64>,
    pub bench_cpu_secs: Option<f64>,
    /// Bytes the sessions received in the window.
    pub window_bytes: u64,
}

impl Outcome {
    /// Every delivery seen, no session dropped, every Send confirmed.
    pub fn ok(&self) -> bool {
        self.deliveries == self.expected
            && self.dropped == 0
            && self.send_errors == 0
            && self.posted == self.messages
    }

    pub fn missed(&self) -> u64 {
        self.expected.saturating_sub(self.deliveries)
    }

    pub fn window_secs(&self) -> f64 {
        self.post_secs + self.drain_secs
    }

    /// KiB per session with every session open and settled.
    pub fn rss_per_session_kib(&self) -> Option<f64> {
        let (idle, settled) = (self.gateway_idle?, self.gateway_settled?);
        Some(figures::kib_per_session(
            idle.rss_kib,
            settled.rss_kib,
            self.sessions,
        ))
    }

    /// KiB per session after the load (each session's state holds the messages).
    pub fn rss_per_session_end_kib(&self) -> Option<f64> {
        let (idle, end) = (self.gateway_idle?, self.gateway_end?);
        Some(figures::kib_per_session(
            idle.rss_kib,
            end.rss_kib,
            self.sessions,
        ))
    }

    pub fn gateway_cpu_ms_per_delivery(&self) -> Option<f64> {
        figures::cpu_ms_per_delivery(self.gateway_cpu_secs?, self.deliveries)
    }

    pub fn table(&self) -> String {
        let mut t = String::new();
        let opt =
            |v: Option<f64>, digits: usize| v.map_or("–".to_owned(), |v| format!("{v:.digits$}"));
        let mb = |s: Option<ProcStats>| opt(s.map(|s| s.rss_mb()), 1);
        let label = if self.label.is_empty() {
            String::new()
        } else {
            format!(" [{}]", self.label)
        };
        let _ = writeln!(
            t,
            "chat-ssh-bench{label}: {} ssh sessions ({}x{}) in the lobby, {} messages at {}/s; commit {}, {} × {} cores",
            self.sessions,
            self.cols,
            self.rows,
            self.messages,
            self.rate,
            self.machine.commit,
            self.machine.cpu,
            self.machine.cores,
        );
        let _ = writeln!(
            t,
            "setup        {:.1} s to open the sessions and show the chat screen, {:.1} s settling{}",
            self.open_secs,
            self.settle_secs,
            if self.quiet { "" } else { " (never quiet)" },
        );
        let _ = writeln!(
            t,
            "deliveries   {} of {} seen, {} missed; {} sessions dropped; {} of {} Sends confirmed{}",
            self.deliveries,
            self.expected,
            self.missed(),
            self.dropped,
            self.posted,
            self.messages,
            self.last_error
                .as_deref()
                .map_or(String::new(), |e| format!(" (last error: {e})")),
        );
        let l = &self.latency;
        let _ = writeln!(
            t,
            "latency ms   p50 {:.1}  p90 {:.1}  p99 {:.1}  p99.9 {:.1}  max {:.1}  (Send start → marker on the screen)",
            l.p50, l.p90, l.p99, l.p999, l.max,
        );
        let _ = writeln!(
            t,
            "Send ms      p50 {:.1}  p99 {:.1}  max {:.1}",
            self.send.p50, self.send.p99, self.send.max,
        );
        let _ = writeln!(
            t,
            "gateway rss  {} MB idle, {} MB with the sessions open = {} KiB per session; {} MB after the load = {} KiB per session; peak {} MB",
            mb(self.gateway_idle),
            mb(self.gateway_settled),
            opt(self.rss_per_session_kib(), 0),
            mb(self.gateway_end),
            opt(self.rss_per_session_end_kib(), 0),
            opt(self.gateway_end.map(|s| s.peak_rss_kib as f64 / 1024.0), 1),
        );
        let per = self.gateway_cpu_ms_per_delivery();
        let _ = writeln!(
            t,
            "cpu          over {:.1} s: gateway {} s = {} ms per delivery ({} ms per 1,000); server {} s; this bench {} s (on the same {} cores)",
            self.window_secs(),
            opt(self.gateway_cpu_secs, 2),
            opt(per, 4),
            opt(per.map(|p| p * 1000.0), 1),
            opt(self.server_cpu_secs, 2),
            opt(self.bench_cpu_secs, 2),
            self.machine.cores,
        );
        let _ = writeln!(
            t,
            "output       {:.1} MB to the sessions in the window, {:.0} B per delivery",
            self.window_bytes as f64 / 1e6,
            if self.deliveries > 0 {
                self.window_bytes as f64 / self.deliveries as f64
            } else {
                0.0
            },
        );
        t
    }

    pub fn json(&self) -> String {
        let opt = |v: Option<f64>| v.map_or("null".to_owned(), |v| format!("{v:.4}"));
        let proc = |s: Option<ProcStats>| {
            s.map_or("null".to_owned(), |s| {
                format!(
                    r#"{{"cpu_s":{:.3},"rss_kib":{},"peak_rss_kib":{}}}"#,
                    s.cpu_secs, s.rss_kib, s.peak_rss_kib
                )
            })
        };
        let mut j = String::from("{");
        let _ = write!(
            j,
            r#""bench":"ssh-gateway","label":{},"commit":{},"cpu":{},"cores":{},"sessions":{},"cols":{},"rows":{},"messages":{},"posted":{},"rate":{},"#,
            string(&self.label),
            string(&self.machine.commit),
            string(&self.machine.cpu),
            self.machine.cores,
            self.sessions,
            self.cols,
            self.rows,
            self.messages,
            self.posted,
            self.rate,
        );
        let _ = write!(
            j,
            r#""expected":{},"deliveries":{},"missed":{},"dropped":{},"send_errors":{},"last_error":{},"latency_ms":{},"send_ms":{},"#,
            self.expected,
            self.deliveries,
            self.missed(),
            self.dropped,
            self.send_errors,
            self.last_error.as_deref().map_or("null".to_owned(), string),
            self.latency.json(),
            self.send.json(),
        );
        let _ = write!(
            j,
            r#""open_s":{:.3},"settle_s":{:.3},"quiet":{},"post_s":{:.3},"drain_s":{:.3},"window_s":{:.3},"window_bytes":{},"#,
            self.open_secs,
            self.settle_secs,
            self.quiet,
            self.post_secs,
            self.drain_secs,
            self.window_secs(),
            self.window_bytes,
        );
        let per = self.gateway_cpu_ms_per_delivery();
        let _ = write!(
            j,
            r#""gateway_idle":{},"gateway_settled":{},"gateway_end":{},"rss_per_session_kib":{},"rss_per_session_end_kib":{},"gateway_cpu_s":{},"server_cpu_s":{},"bench_cpu_s":{},"gateway_cpu_ms_per_delivery":{},"gateway_cpu_ms_per_1000":{},"ok":{}}}"#,
            proc(self.gateway_idle),
            proc(self.gateway_settled),
            proc(self.gateway_end),
            opt(self.rss_per_session_kib()),
            opt(self.rss_per_session_end_kib()),
            opt(self.gateway_cpu_secs),
            opt(self.server_cpu_secs),
            opt(self.bench_cpu_secs),
            opt(per),
            opt(per.map(|p| p * 1000.0)),
            self.ok(),
        );
        j
    }
}

/// A JSON string literal.
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(rss_mb: u64, cpu_secs: f64) -> Option<ProcStats> {
        Some(ProcStats {
            cpu_secs,
            rss_kib: rss_mb * 1024,
            peak_rss_kib: rss_mb * 1024,
        })
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string("a\"b\\c\n"), r#""a\"b\\c\u000a""#);
    }

    fn full_run() -> Outcome {
        Outcome {
            sessions: 200,
            messages: 100,
            posted: 100,
            expected: 20_000,
            deliveries: 20_000,
            gateway_idle: stats(10, 0.1),
            gateway_settled: stats(60, 5.0),
            gateway_cpu_secs: Some(3.0),
            ..Outcome::default()
        }
    }

    #[test]
    fn a_full_run_is_ok_and_its_figures_are_per_session_and_per_delivery() {
        let o = full_run();
        assert!(o.ok());
        assert_eq!(o.rss_per_session_kib(), Some(256.0));
        assert_eq!(
            o.rss_per_session_end_kib(),
            None,
            "no end figure: none given"
        );
        let per = o.gateway_cpu_ms_per_delivery().unwrap_or_default();
        assert!((per - 0.15).abs() < 1e-9, "{per}");
        let j = o.json();
        assert!(!j.contains('\n'));
        assert!(j.contains(r#""rss_per_session_kib":256.0000"#), "{j}");
        assert!(j.contains(r#""gateway_cpu_ms_per_1000":150.0000"#), "{j}");
        assert!(j.ends_with(r#""ok":true}"#), "{j}");
        assert!(o.table().contains("256 KiB per session"), "{}", o.table());
    }

    #[test]
    fn a_missed_delivery_a_dropped_session_or_a_refused_send_fails_the_run() {
        let missed = Outcome {
            deliveries: 19_999,
            ..full_run()
        };
        assert!(!missed.ok());
        assert_eq!(missed.missed(), 1);
        assert!(missed.json().contains(r#""missed":1,"#));
        let dropped = Outcome {
            dropped: 1,
            ..full_run()
        };
        assert!(!dropped.ok());
        let refused = Outcome {
            posted: 99,
            expected: 19_800,
            deliveries: 19_800,
            send_errors: 1,
            ..full_run()
        };
        assert!(!refused.ok());
    }
}
