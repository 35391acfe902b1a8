//! `--compare-reference` (issue 15): the same scenario against the in-memory reference
//! server and against chat-server, one after the other in one invocation, each on a fresh
//! process, and chat-server's figures as ratios to the reference's (ours ÷ reference):
//! deliveries/s (below 1 = slower), delivery p50 and p99 (above 1 = slower), and the cost
//! per delivery. Figures taken on another day or machine are not comparable; these two are.
//!
//! The goal the issue sets, at 100 and at 1,000 subscribers: throughput at least 0.5× the
//! reference's and p99 at most 2× its p99.

use crate::report::Outcome;
use std::fmt::Write as _;

/// Issue 15's goal: ours ≥ this × the reference's deliveries/s...
pub const THROUGHPUT_GOAL: f64 = 0.5;
/// ...and ours ≤ this × the reference's delivery p99.
pub const P99_GOAL: f64 = 2.0;

pub struct Comparison {
    pub reference: Outcome,
    pub ours: Outcome,
}

/// Ours ÷ the reference's, per figure; `None` where either is missing or the
/// reference's is 0 (no ratio to speak of).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratios {
    pub deliveries_per_sec: Option<f64>,
    pub p50: Option<f64>,
    pub p99: Option<f64>,
    pub cpu_per_delivery: Option<f64>,
    pub instructions_per_delivery: Option<f64>,
}

pub fn ratio(ours: Option<f64>, reference: Option<f64>) -> Option<f64> {
    let (ours, reference) = (ours?, reference?);
    (reference > 0.0 && ours.is_finite() && reference.is_finite()).then(|| ours / reference)
}

impl Ratios {
    pub fn of(ours: &Outcome, reference: &Outcome) -> Self {
        Self {
            deliveries_per_sec: ratio(
                Some(ours.deliveries_per_sec),
                Some(reference.deliveries_per_sec),
            ),
            p50: ratio(Some(ours.delivery.p50), Some(reference.delivery.p50)),
            p99: ratio(Some(ours.delivery.p99), Some(reference.delivery.p99)),
            cpu_per_delivery: ratio(ours.cpu_us_per_delivery(), reference.cpu_us_per_delivery()),
            instructions_per_delivery: ratio(
                ours.instructions_per_delivery(),
                reference.instructions_per_delivery(),
            ),
        }
    }

    /// Whether issue 15's goal holds in this run; `None` if a ratio is missing.
    pub fn goals_met(&self) -> Option<bool> {
        Some(self.deliveries_per_sec? >= THROUGHPUT_GOAL && self.p99? <= P99_GOAL)
    }

    fn json(&self) -> String {
        let opt = |v: Option<f64>| v.map_or("null".to_owned(), |v| format!("{v:.4}"));
        format!(
            r#"{{"deliveries_per_s":{},"p50":{},"p99":{},"cpu_per_delivery":{},"instructions_per_delivery":{},"goals_met":{}}}"#,
            opt(self.deliveries_per_sec),
            opt(self.p50),
            opt(self.p99),
            opt(self.cpu_per_delivery),
            opt(self.instructions_per_delivery),
            self.goals_met()
                .map_or("null".to_owned(), |met| met.to_string()),
        )
    }
}

impl Comparison {
    pub fn ratios(&self) -> Ratios {
        Ratios::of(&self.ours, &self.reference)
    }

    /// Both runs correct: a failure of the reference's is the reference's bug.
    pub fn correct(&self) -> bool {
        self.reference.correct() && self.ours.correct()
    }

    /// Both runs' tables, then the comparison.
    pub fn table(&self) -> String {
        let r = self.ratios();
        let mut t = self.reference.table();
        t.push('\n');
        t.push_str(&self.ours.table());
        let _ = writeln!(
            t,
            "\nagainst the reference (ours / reference, same invocation)\n  {:<22} {:>12} {:>12} {:>8}",
            "", "reference", "ours", "ratio"
        );
        let fixed =
            |v: Option<f64>, digits: usize| v.map_or("n/a".to_owned(), |v| format!("{v:.digits$}"));
        let rows = [
            (
                "deliveries/s",
                Some(self.reference.deliveries_per_sec),
                Some(self.ours.deliveries_per_sec),
                0,
                r.deliveries_per_sec,
                format!("  (goal ≥ {THROUGHPUT_GOAL}×)"),
            ),
            (
                "delivery p50 ms",
                Some(self.reference.delivery.p50),
                Some(self.ours.delivery.p50),
                2,
                r.p50,
                String::new(),
            ),
            (
                "delivery p99 ms",
                Some(self.reference.delivery.p99),
                Some(self.ours.delivery.p99),
                2,
                r.p99,
                format!("  (goal ≤ {P99_GOAL}×)"),
            ),
            (
                "cpu µs per delivery",
                self.reference.cpu_us_per_delivery(),
                self.ours.cpu_us_per_delivery(),
                2,
                r.cpu_per_delivery,
                String::new(),
            ),
            (
                "instructions/delivery",
                self.reference.instructions_per_delivery(),
                self.ours.instructions_per_delivery(),
                0,
                r.instructions_per_delivery,
                String::new(),
            ),
        ];
        for (name, reference, ours, digits, ratio, goal) in rows {
            let _ = writeln!(
                t,
                "  {name:<22} {:>12} {:>12} {:>8}{goal}",
                fixed(reference, digits),
                fixed(ours, digits),
                ratio.map_or("n/a".to_owned(), |v| format!("{v:.2}×")),
            );
        }
        let _ = writeln!(
            t,
            "  goals (≥ {THROUGHPUT_GOAL}× throughput, ≤ {P99_GOAL}× p99) met: {}",
            match r.goals_met() {
                Some(true) => "yes",
                Some(false) => "no",
                None => "n/a",
            }
        );
        t
    }

    /// Ours' JSON line with the reference's run and the ratios in it, so scripts that
    /// read chat-server's figures read them as before.
    pub fn json(&self) -> String {
        let ours = self.ours.json();
        let body = ours.strip_suffix('}').unwrap_or(&ours);
        format!(
            r#"{body},"reference":{},"vs_reference":{}}}"#,
            self.reference.json(),
            self.ratios().json()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Summary;

    fn outcome(per_sec: f64, p50: f64, p99: f64, cpu: f64, deliveries: u64) -> Outcome {
        Outcome {
            deliveries_per_sec: per_sec,
            deliveries,
            delivery: Summary {
                p50,
                p99,
                ..Summary::default()
            },
            server_load_cpu_secs: Some(cpu),
            ..Outcome::default()
        }
    }

    #[test]
    fn ratios_are_ours_over_the_references() {
        let reference = outcome(200_000.0, 2.0, 10.0, 1.0, 1_000_000);
        let ours = outcome(100_000.0, 5.0, 20.0, 3.0, 1_000_000);
        let r = Ratios::of(&ours, &reference);
        assert_eq!(r.deliveries_per_sec, Some(0.5));
        assert_eq!(r.p50, Some(2.5));
        assert_eq!(r.p99, Some(2.0));
        assert_eq!(r.cpu_per_delivery, Some(3.0));
        assert_eq!(r.instructions_per_delivery, None, "not counted: n/a");
        assert_eq!(r.goals_met(), Some(true), "0.5× and 2× are inside the goal");
    }

    #[test]
    fn the_goal_fails_on_either_side_and_is_unknown_without_a_figure() {
        let reference = outcome(200_000.0, 2.0, 10.0, 1.0, 1);
        let slow = outcome(99_000.0, 2.0, 10.0, 1.0, 1);
        assert_eq!(Ratios::of(&slow, &reference).goals_met(), Some(false));
        let late = outcome(200_000.0, 2.0, 20.1, 1.0, 1);
        assert_eq!(Ratios::of(&late, &reference).goals_met(), Some(false));
        let empty = outcome(0.0, 0.0, 0.0, 0.0, 0);
        let r = Ratios::of(&slow, &empty);
        assert_eq!((r.deliveries_per_sec, r.p99), (None, None));
        assert_eq!(r.goals_met(), None);
        assert_eq!(ratio(Some(1.0), Some(f64::NAN)), None);
    }

    #[test]
    fn the_json_line_is_ours_with_the_reference_and_the_ratios_inside() {
        let c = Comparison {
            reference: outcome(200_000.0, 2.0, 10.0, 1.0, 100),
            ours: outcome(100_000.0, 4.0, 30.0, 3.0, 100),
        };
        let j = c.json();
        assert!(!j.contains('\n'));
        assert!(j.starts_with(r#"{"label":"#), "{j}");
        assert!(j.contains(r#""ok":true,"reference":{"label":"#), "{j}");
        assert!(
            j.ends_with(
                r#""vs_reference":{"deliveries_per_s":0.5000,"p50":2.0000,"p99":3.0000,"cpu_per_delivery":3.0000,"instructions_per_delivery":null,"goals_met":false}}"#
            ),
            "{j}"
        );
        assert!(c.correct());
        let table = c.table();
        assert!(
            table.contains("goals (≥ 0.5× throughput, ≤ 2× p99) met: no"),
            "{table}"
        );
    }

    #[test]
    fn a_wrong_reference_fails_the_comparison() {
        let c = Comparison {
            reference: Outcome {
                lost: 1,
                ..Outcome::default()
            },
            ours: Outcome::default(),
        };
        assert!(!c.correct());
    }
}
