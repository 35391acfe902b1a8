//! The arithmetic of the report, apart from the measuring so it can be tested: which
//! deliveries were due and which were seen, their latencies (HDR histograms in
//! microseconds, summed up in milliseconds), and the per-session and per-delivery
//! figures.

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use std::time::{Duration, Instant};

/// One hour in microseconds: the highest latency a histogram tracks exactly.
const HIGHEST_US: u64 = 3_600_000_000;

pub fn histogram() -> Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, HIGHEST_US, 3).context("a histogram of 1 µs to 1 h")
}

/// Records `d` in microseconds (at least 1, at most an hour).
pub fn record(h: &mut Histogram<u64>, d: Duration) {
    h.saturating_record(u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1));
}

/// Percentiles of one histogram, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl Summary {
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }

    pub fn json(&self) -> String {
        format!(
            r#"{{"count":{},"p50":{:.3},"p90":{:.3},"p99":{:.3},"p999":{:.3},"max":{:.3}}}"#,
            self.count, self.p50, self.p90, self.p99, self.p999, self.max
        )
    }
}

/// Every (session, message) pair that was due: the message was confirmed by the server,
/// so every session in the lobby should show it.
pub struct Deliveries {
    pub expected: u64,
    pub seen: u64,
    /// From the start of the Send to the screen showing the marker, in microseconds.
    pub latency: Histogram<u64>,
}

/// Matches what each session saw (`seen[i]`: when marker `i` showed) against when each
/// message was sent (`None`: refused, so due nowhere).
pub fn deliveries<'a>(
    sent: &[Option<Instant>],
    sessions: impl IntoIterator<Item = &'a [Option<Instant>]>,
) -> Result<Deliveries> {
    let confirmed = sent.iter().flatten().count() as u64;
    let mut out = Deliveries {
        expected: 0,
        seen: 0,
        latency: histogram()?,
    };
    for seen in sessions {
        out.expected += confirmed;
        for (sent, seen) in sent.iter().zip(seen) {
            if let (Some(sent), Some(seen)) = (sent, seen) {
                out.seen += 1;
                record(&mut out.latency, seen.saturating_duration_since(*sent));
            }
        }
    }
    Ok(out)
}

/// What each session added to a process's memory: the growth from `before_kib` to
/// `after_kib`, shared out (negative if it shrank).
pub fn kib_per_session(before_kib: u64, after_kib: u64, sessions: usize) -> f64 {
    if sessions == 0 {
        return 0.0;
    }
    (after_kib as f64 - before_kib as f64) / sessions as f64
}

/// CPU milliseconds per delivery; `None` without deliveries.
pub fn cpu_ms_per_delivery(cpu_secs: f64, deliveries: u64) -> Option<f64> {
    (deliveries > 0).then(|| cpu_secs * 1000.0 / deliveries as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_confirmed_messages_are_due_and_latency_runs_from_the_send() {
        let t = Instant::now();
        let ms = |n: u64| Some(t + Duration::from_millis(n));
        // Message 1 was refused: due nowhere, and a sighting of it counts for nothing.
        let sent = [ms(0), None, ms(100)];
        let a = [ms(10), ms(50), ms(130)];
        let b = [ms(20), None, None];
        let d = deliveries(&sent, [&a[..], &b[..]]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((d.expected, d.seen), (4, 3), "one of b's is missed");
        let s = Summary::of(&d.latency);
        assert_eq!(s.count, 3);
        assert!((s.max - 30.0).abs() < 0.1, "{s:?}");
        assert!((s.p50 - 20.0).abs() < 0.1, "{s:?}");
    }

    #[test]
    fn no_sessions_means_nothing_due() {
        let d = deliveries(&[Some(Instant::now())], []).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((d.expected, d.seen), (0, 0));
    }

    #[test]
    fn memory_and_cpu_are_shared_out() {
        // 50 MiB over 200 sessions = 256 KiB each.
        assert!((kib_per_session(40 * 1024, 90 * 1024, 200) - 256.0).abs() < 1e-9);
        assert!(kib_per_session(40, 90, 0).abs() < f64::EPSILON);
        assert!(
            (kib_per_session(100, 90, 5) + 2.0).abs() < 1e-9,
            "shrinking shows"
        );
        // 2 s of CPU for 20,000 deliveries = 0.1 ms each.
        let per = cpu_ms_per_delivery(2.0, 20_000).unwrap_or_default();
        assert!((per - 0.1).abs() < 1e-12);
        assert_eq!(cpu_ms_per_delivery(2.0, 0), None);
    }

    #[test]
    fn a_summary_is_in_milliseconds_and_an_empty_one_is_zero() {
        let mut h = histogram().unwrap_or_else(|e| panic!("{e}"));
        for ms in 1..=100 {
            record(&mut h, Duration::from_millis(ms));
        }
        let s = Summary::of(&h);
        assert_eq!(s.count, 100);
        assert!(
            (s.p50 - 50.0).abs() < 0.1 && (s.p99 - 99.0).abs() < 0.1,
            "{s:?}"
        );
        assert!((s.max - 100.0).abs() < 0.1, "{s:?}");
        assert!(
            s.json().starts_with(r#"{"count":100,"p50":50."#),
            "{}",
            s.json()
        );
        let empty = histogram().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Summary::of(&empty), Summary::default());
    }
}
