//! HDR histograms in microseconds, sharded so that a thousand subscriber tasks rarely
//! wait on the same lock, and the summary (p50 … max, in milliseconds) they boil down to.

use hdrhistogram::Histogram;
use std::sync::{Mutex, PoisonError};

/// One hour in microseconds: the highest latency a histogram tracks exactly.
const HIGHEST_US: u64 = 3_600_000_000;

pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_US, 3).expect("1 µs .. 1 h at 3 digits is valid")
}

pub struct Histos {
    shards: Vec<Mutex<Histogram<u64>>>,
}

impl Histos {
    pub fn new(shards: usize) -> Self {
        Self {
            shards: (0..shards.max(1))
                .map(|_| Mutex::new(histogram()))
                .collect(),
        }
    }

    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    pub fn record_all(&self, shard: usize, micros: &[u64]) {
        if micros.is_empty() {
            return;
        }
        let mut h = self.shards[shard % self.shards.len()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for &us in micros {
            h.saturating_record(us.max(1));
        }
    }

    pub fn merged(&self) -> Histogram<u64> {
        let mut all = histogram();
        for shard in &self.shards {
            let h = shard.lock().unwrap_or_else(PoisonError::into_inner);
            let _ = all.add(&*h);
        }
        all
    }
}

/// Percentiles of one histogram, in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_merge_into_one_summary() {
        let h = Histos::new(4);
        h.record_all(0, &[1000, 2000]);
        h.record_all(5, &[3000]);
        let s = Summary::of(&h.merged());
        assert_eq!(s.count, 3);
        assert!((s.max - 3.0).abs() < 0.01, "{s:?}");
        assert!((s.p50 - 2.0).abs() < 0.01, "{s:?}");
    }
}
