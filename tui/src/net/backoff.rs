//! Capped exponential backoff with jitter, for reconnecting. The jitter keeps a room
//! full of clients from reconnecting in lockstep after a server restart. An optional
//! gentle start keeps the first retries of an outage close together (a restart or a
//! short network blip should be over in seconds, not after a 30 s wait), then backs off.

use rand::Rng;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
    /// For the first `.1` of waiting, ceilings grow by `base` a step up to `.0`.
    gentle: Option<(Duration, Duration)>,
    /// The delays handed out since the last reset: at least how long the outage lasted.
    waited: Duration,
    /// Attempts made after the gentle start ended.
    steep_attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap,
            attempt: 0,
            gentle: None,
            waited: Duration::ZERO,
            steep_attempt: 0,
        }
    }

    /// Ceilings of base, 2·base, 3·base … up to `gentle_cap` for the first `period` of
    /// an outage; only then exponential towards the cap.
    #[must_use]
    pub fn with_gentle_start(mut self, gentle_cap: Duration, period: Duration) -> Self {
        self.gentle = Some((gentle_cap, period));
        self
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
        self.steep_attempt = 0;
        self.waited = Duration::ZERO;
    }

    /// The ceiling for the current attempt: base · 2^attempt, at most `cap` (after the
    /// gentle start, if any, doubling from its cap).
    pub fn ceiling(&self) -> Duration {
        let double = |from: Duration, n: u32| {
            let factor = 1u32.checked_shl(n.min(20)).unwrap_or(u32::MAX);
            from.saturating_mul(factor).min(self.cap)
        };
        match self.gentle {
            Some((gentle_cap, period)) if self.waited < period => self
                .base
                .saturating_mul(self.attempt.saturating_add(1))
                .min(gentle_cap)
                .min(self.cap),
            Some((gentle_cap, _)) => double(gentle_cap, self.steep_attempt.saturating_add(1)),
            None => double(self.base, self.attempt),
        }
    }

    /// The next delay: uniformly between half the ceiling and the ceiling ("equal
    /// jitter", so a retry never comes immediately), then the ceiling grows.
    pub fn next_delay(&mut self, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling();
        if self.gentle.is_some_and(|(_, period)| self.waited >= period) {
            self.steep_attempt = self.steep_attempt.saturating_add(1);
        }
        self.attempt = self.attempt.saturating_add(1);
        let half = ceiling / 2;
        let spread = u64::try_from((ceiling - half).as_millis()).unwrap_or(u64::MAX);
        let delay = half + Duration::from_millis(rng.random_range(0..=spread));
        self.waited = self.waited.saturating_add(delay);
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stay_under_the_cap() {
        let mut rng = rand::rng();
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
        let mut last_ceiling = Duration::ZERO;
        for _ in 0..20 {
            let ceiling = b.ceiling();
            assert!(ceiling >= last_ceiling);
            let d = b.next_delay(&mut rng);
            assert!(
                d >= ceiling / 2 && d <= ceiling,
                "{d:?} not in [{:?}, {ceiling:?}]",
                ceiling / 2
            );
            assert!(d <= Duration::from_secs(30));
            last_ceiling = ceiling;
        }
        assert_eq!(b.ceiling(), Duration::from_secs(30));
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_millis(500));
    }

    #[test]
    fn a_gentle_start_retries_every_few_seconds_for_the_first_minute() {
        let mut rng = rand::rng();
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30))
            .with_gentle_start(Duration::from_secs(4), Duration::from_secs(60));
        let mut waited = Duration::ZERO;
        let mut ceilings = Vec::new();
        while waited < Duration::from_secs(60) {
            let ceiling = b.ceiling();
            ceilings.push(ceiling.as_secs());
            // Whenever the server comes back in the first minute, the next try is at
            // most 4 s away.
            assert!(ceiling <= Duration::from_secs(4), "{ceilings:?}");
            waited += b.next_delay(&mut rng);
        }
        assert_eq!(ceilings[..5], [1, 2, 3, 4, 4]);
        // Then it backs off, still capped.
        let mut last = Duration::ZERO;
        for _ in 0..10 {
            let ceiling = b.ceiling();
            assert!(ceiling >= last && ceiling <= Duration::from_secs(30));
            last = ceiling;
            b.next_delay(&mut rng);
        }
        assert_eq!(last, Duration::from_secs(30));
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_secs(1));
    }
}
