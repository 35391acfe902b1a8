//! The result of a run: a table for people and one JSON line for scripts (written by hand:
//! a flat record of numbers does not need a serialiser).

use crate::{spawn::ProcStats, stats::Summary};
use std::fmt::Write as _;

#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub label: String,
    pub mode: &'static str,
    /// `sqlite`, `postgres`, or `external` (--server).
    pub database: &'static str,
    /// chat-server processes on the one database (`--replicas`; 1 = a single server).
    pub replicas: usize,
    /// With replicas: the delivery latency of the (event, stream) pairs whose event was
    /// caused on another replica than the stream's (`cross`) and on the same (`local`).
    pub cross_delivery: Option<Summary>,
    pub local_delivery: Option<Summary>,
    /// Each replica's figures with the streams open and at the end, and its CPU seconds
    /// over the load and drain (the `server_*` figures are their sums).
    pub replicas_streams_open: Vec<Option<ProcStats>>,
    pub replicas_end: Vec<Option<ProcStats>>,
    pub replicas_load_cpu_secs: Vec<Option<f64>>,
    pub subscribers: usize,
    /// Rooms of the room scenario (0 = the lobby), and the fewest and most subscriber
    /// streams in one of them (posters and reactors are in all of them besides).
    pub rooms: usize,
    pub room_members: (u32, u32),
    pub connections: usize,
    pub posters: usize,
    pub reactors: usize,
    pub required_reactions: u32,
    pub setup_secs: f64,
    /// Creating and filling the rooms.
    pub rooms_secs: f64,
    pub open_secs: f64,
    /// From the streams open to the load's start: --settle, then until the room and
    /// presence events of the setup stopped (`quiet`; false = they never did).
    pub settle_secs: f64,
    pub quiet: bool,
    /// Room and presence events the streams got before the load.
    pub setup_side_events: u64,
    pub load_secs: f64,
    pub drain_secs: f64,
    pub drained: bool,
    pub messages: u64,
    pub reactions: u64,
    pub events: u64,
    pub deliveries: u64,
    pub expected_deliveries: u64,
    /// Deliveries divided by the time from the first Send to the last delivery.
    pub deliveries_per_sec: f64,
    pub events_per_sec: f64,
    pub delivery: Summary,
    pub fanout: Summary,
    pub send: Summary,
    pub react: Summary,
    pub lost: u64,
    pub duplicated: u64,
    pub out_of_order: u64,
    /// Room events on the stream of a user not in the room.
    pub leaked: u64,
    /// Room and presence events in all (not deliveries), and the room events that came late.
    pub side: u64,
    pub side_out_of_order: u64,
    pub redelivered: u64,
    pub resubscribes: u64,
    pub resync: u64,
    pub foreign: u64,
    pub acks: u64,
    pub errors: u64,
    pub last_error: Option<String>,
    /// The spawned server: ready (before any sign-up), before the streams opened (after
    /// the sign-ups), with them open (idle), at the end.
    pub server_started: Option<ProcStats>,
    pub server_before_streams: Option<ProcStats>,
    pub server_streams_open: Option<ProcStats>,
    pub server_end: Option<ProcStats>,
    /// Server CPU seconds from the first Send to the end of the drain.
    pub server_load_cpu_secs: Option<f64>,
    pub loadgen_load_cpu_secs: Option<f64>,
    /// Server instructions over the same window, where `perf stat` can count them.
    pub server_instructions: Option<u64>,
}

impl Outcome {
    /// Nothing lost, duplicated, out of order or leaked.
    pub fn correct(&self) -> bool {
        self.lost == 0 && self.duplicated == 0 && self.out_of_order == 0 && self.leaked == 0
    }

    /// Server CPU per delivery over the load and drain, in microseconds.
    pub fn cpu_us_per_delivery(&self) -> Option<f64> {
        per_delivery(self.server_load_cpu_secs? * 1e6, self.deliveries)
    }

    /// Server instructions per delivery over the load and drain.
    pub fn instructions_per_delivery(&self) -> Option<f64> {
        per_delivery(self.server_instructions? as f64, self.deliveries)
    }

    /// "in the lobby" or "in 50 rooms of 20 subscribers".
    fn room_setup(&self) -> String {
        match self.room_members {
            _ if self.rooms == 0 => "in the lobby".to_owned(),
            (min, max) if min == max => format!("in {} rooms of {min}", self.rooms),
            (min, max) => format!("in {} rooms of {min}-{max}", self.rooms),
        }
    }

    pub fn table(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "chat-loadgen {}{} on {}{}: {} subscribers {} over {} connection(s), {} posters, {} reactors, gate {}",
            self.mode,
            if self.label.is_empty() {
                String::new()
            } else {
                format!(" [{}]", self.label)
            },
            self.database,
            if self.replicas > 1 {
                format!(" x {} replicas", self.replicas)
            } else {
                String::new()
            },
            self.subscribers,
            self.room_setup(),
            self.connections,
            self.posters,
            self.reactors,
            self.required_reactions,
        );
        let _ = writeln!(
            t,
            "setup        {:.1} s sign-ups/sign-ins, {:.2} s rooms, {:.2} s to open the streams, {:.2} s settling ({} room/presence events{})",
            self.setup_secs,
            self.rooms_secs,
            self.open_secs,
            self.settle_secs,
            self.setup_side_events,
            if self.quiet { "" } else { ", NEVER QUIET" },
        );
        let _ = writeln!(
            t,
            "load         {:.1} s: {} messages, {} reactions = {} events ({:.0} events/s); drain {:.2} s{}",
            self.load_secs,
            self.messages,
            self.reactions,
            self.events,
            self.events_per_sec,
            self.drain_secs,
            if self.drained { "" } else { " (TIMED OUT)" },
        );
        let _ = writeln!(
            t,
            "deliveries   {} of {} expected, {:.0}/s",
            self.deliveries, self.expected_deliveries, self.deliveries_per_sec
        );
        let _ = writeln!(
            t,
            "latency ms   {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
            "p50", "p90", "p99", "p99.9", "max", "count"
        );
        let mut rows = vec![("delivery", &self.delivery)];
        if let (Some(local), Some(cross)) = (&self.local_delivery, &self.cross_delivery) {
            rows.push(("  same rep", local));
            rows.push(("  cross rep", cross));
        }
        rows.extend([
            ("fan-out", &self.fanout),
            ("send", &self.send),
            ("react", &self.react),
        ]);
        for (name, s) in rows {
            let _ = writeln!(
                t,
                "  {name:<11}{:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>10}",
                s.p50, s.p90, s.p99, s.p999, s.max, s.count
            );
        }
        let _ = writeln!(
            t,
            "correctness  lost {}, duplicated {}, out of order {}, leaked {}  (redelivered {}, room/presence {} (room events late {}), resubscribes {}, resync {}, foreign {}, acks {}, call errors {})",
            self.lost,
            self.duplicated,
            self.out_of_order,
            self.leaked,
            self.redelivered,
            self.side,
            self.side_out_of_order,
            self.resubscribes,
            self.resync,
            self.foreign,
            self.acks,
            self.errors,
        );
        if let Some(e) = &self.last_error {
            let _ = writeln!(t, "last error   {e}");
        }
        if let Some(end) = &self.server_end {
            let cpu = self.server_load_cpu_secs.unwrap_or_default();
            let span = self.load_secs + self.drain_secs;
            let _ = writeln!(
                t,
                "server       cpu {:.1} s during load+drain ({:.2} cores), {:.1} s in all; rss {:.0} MB, peak {:.0} MB",
                cpu,
                if span > 0.0 { cpu / span } else { 0.0 },
                end.cpu_secs,
                end.rss_mb,
                end.peak_rss_mb,
            );
            let _ = writeln!(
                t,
                "per delivery {} µs of server cpu, {} instructions",
                self.cpu_us_per_delivery()
                    .map_or("n/a".to_owned(), |us| format!("{us:.2}")),
                self.instructions_per_delivery()
                    .map_or("n/a".to_owned(), |i| format!("{i:.0}")),
            );
        }
        if self.replicas > 1 && !self.replicas_end.is_empty() {
            let each = |f: &dyn Fn(usize) -> Option<f64>| {
                (0..self.replicas_end.len())
                    .map(|r| f(r).map_or("n/a".to_owned(), |v| format!("{v:.1}")))
                    .collect::<Vec<_>>()
                    .join(" / ")
            };
            let _ = writeln!(
                t,
                "replicas     cpu during load+drain {} s; rss with the streams open {} MB, at the end {} MB, peak {} MB",
                each(&|r| self.replicas_load_cpu_secs.get(r).copied().flatten()),
                each(&|r| self
                    .replicas_streams_open
                    .get(r)
                    .copied()
                    .flatten()
                    .map(|s| s.rss_mb)),
                each(&|r| self.replicas_end[r].map(|s| s.rss_mb)),
                each(&|r| self.replicas_end[r].map(|s| s.peak_rss_mb)),
            );
        }
        if let (Some(started), Some(before), Some(open)) = (
            &self.server_started,
            &self.server_before_streams,
            &self.server_streams_open,
        ) {
            let _ = writeln!(
                t,
                "streams      rss {:.0} MB at start, {:.0} MB after the sign-ups, {:.0} MB with {} streams open ({:.1} KB each)",
                started.rss_mb,
                before.rss_mb,
                open.rss_mb,
                self.subscribers,
                per_stream_kb(before, open, self.subscribers),
            );
        }
        if let Some(cpu) = self.loadgen_load_cpu_secs {
            let _ = writeln!(t, "loadgen      cpu {cpu:.1} s during load+drain");
        }
        t
    }

    pub fn json(&self) -> String {
        let opt = |v: Option<f64>| v.map_or("null".to_owned(), |v| format!("{v:.3}"));
        let server = |s: &Option<ProcStats>| {
            s.map_or("null".to_owned(), |s| {
                format!(
                    r#"{{"cpu_s":{:.3},"rss_mb":{:.1},"peak_rss_mb":{:.1}}}"#,
                    s.cpu_secs, s.rss_mb, s.peak_rss_mb
                )
            })
        };
        let mut j = String::from("{");
        let _ = write!(
            j,
            r#""label":{},"mode":{},"database":{},"replicas":{},"subscribers":{},"rooms":{},"room_members":{},"room_members_max":{},"connections":{},"posters":{},"reactors":{},"required_reactions":{},"#,
            string(&self.label),
            string(self.mode),
            string(self.database),
            self.replicas.max(1),
            self.subscribers,
            self.rooms,
            self.room_members.0,
            self.room_members.1,
            self.connections,
            self.posters,
            self.reactors,
            self.required_reactions,
        );
        let _ = write!(
            j,
            r#""setup_s":{:.3},"rooms_s":{:.3},"open_s":{:.3},"settle_s":{:.3},"quiet":{},"setup_side_events":{},"load_s":{:.3},"drain_s":{:.3},"drained":{},"messages":{},"reactions":{},"events":{},"deliveries":{},"expected_deliveries":{},"deliveries_per_s":{:.1},"events_per_s":{:.1},"#,
            self.setup_secs,
            self.rooms_secs,
            self.open_secs,
            self.settle_secs,
            self.quiet,
            self.setup_side_events,
            self.load_secs,
            self.drain_secs,
            self.drained,
            self.messages,
            self.reactions,
            self.events,
            self.deliveries,
            self.expected_deliveries,
            self.deliveries_per_sec,
            self.events_per_sec,
        );
        let _ = write!(
            j,
            r#""delivery_ms":{},"local_delivery_ms":{},"cross_delivery_ms":{},"fanout_ms":{},"send_ms":{},"react_ms":{},"#,
            self.delivery.json(),
            self.local_delivery.map_or("null".to_owned(), |s| s.json()),
            self.cross_delivery.map_or("null".to_owned(), |s| s.json()),
            self.fanout.json(),
            self.send.json(),
            self.react.json(),
        );
        let _ = write!(
            j,
            r#""lost":{},"duplicated":{},"out_of_order":{},"leaked":{},"redelivered":{},"side_events":{},"side_out_of_order":{},"resubscribes":{},"resync":{},"foreign":{},"acks":{},"errors":{},"last_error":{},"#,
            self.lost,
            self.duplicated,
            self.out_of_order,
            self.leaked,
            self.redelivered,
            self.side,
            self.side_out_of_order,
            self.resubscribes,
            self.resync,
            self.foreign,
            self.acks,
            self.errors,
            self.last_error.as_deref().map_or("null".to_owned(), string),
        );
        let _ = write!(
            j,
            r#""replicas_streams_open":[{}],"replicas_end":[{}],"replicas_load_cpu_s":[{}],"#,
            self.replicas_streams_open
                .iter()
                .map(server)
                .collect::<Vec<_>>()
                .join(","),
            self.replicas_end
                .iter()
                .map(server)
                .collect::<Vec<_>>()
                .join(","),
            self.replicas_load_cpu_secs
                .iter()
                .map(|c| opt(*c))
                .collect::<Vec<_>>()
                .join(","),
        );
        let _ = write!(
            j,
            r#""server_started":{},"server_before_streams":{},"server_streams_open":{},"server_end":{},"server_load_cpu_s":{},"loadgen_load_cpu_s":{},"server_cpu_us_per_delivery":{},"server_instructions":{},"instructions_per_delivery":{},"ok":{}}}"#,
            server(&self.server_started),
            server(&self.server_before_streams),
            server(&self.server_streams_open),
            server(&self.server_end),
            opt(self.server_load_cpu_secs),
            opt(self.loadgen_load_cpu_secs),
            opt(self.cpu_us_per_delivery()),
            self.server_instructions
                .map_or("null".to_owned(), |i| i.to_string()),
            opt(self.instructions_per_delivery()),
            self.correct(),
        );
        j
    }
}

/// `total` divided over the deliveries; none without deliveries.
fn per_delivery(total: f64, deliveries: u64) -> Option<f64> {
    (deliveries > 0).then(|| total / deliveries as f64)
}

fn per_stream_kb(before: &ProcStats, open: &ProcStats, streams: usize) -> f64 {
    if streams == 0 {
        return 0.0;
    }
    (open.rss_mb - before.rss_mb) * 1024.0 / streams as f64
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

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string("a\"b\\c\n"), r#""a\"b\\c\u000a""#);
    }

    #[test]
    fn a_leak_fails_the_run_and_late_side_events_do_not() {
        let leaky = Outcome {
            leaked: 1,
            ..Outcome::default()
        };
        assert!(!leaky.correct());
        assert!(leaky.json().ends_with("\"ok\":false}"));
        let late_presence = Outcome {
            side: 10,
            side_out_of_order: 2,
            ..Outcome::default()
        };
        assert!(late_presence.correct());
    }

    #[test]
    fn the_room_setup_is_in_the_table_and_the_json() {
        let o = Outcome {
            rooms: 50,
            room_members: (20, 20),
            ..Outcome::default()
        };
        assert!(
            o.table().contains("in 50 rooms of 20 over"),
            "{}",
            o.table()
        );
        assert!(
            o.json()
                .contains(r#""rooms":50,"room_members":20,"room_members_max":20"#)
        );
        let uneven = Outcome {
            rooms: 3,
            room_members: (3, 4),
            ..Outcome::default()
        };
        assert!(uneven.table().contains("in 3 rooms of 3-4"));
        assert!(Outcome::default().table().contains("in the lobby"));
    }

    #[test]
    fn cost_per_delivery_is_cpu_and_instructions_over_the_deliveries() {
        let o = Outcome {
            deliveries: 200_000,
            server_load_cpu_secs: Some(2.0),
            server_instructions: Some(4_000_000_000),
            ..Outcome::default()
        };
        assert_eq!(o.cpu_us_per_delivery(), Some(10.0));
        assert_eq!(o.instructions_per_delivery(), Some(20_000.0));
        assert!(
            o.json()
                .contains(r#""server_cpu_us_per_delivery":10.000,"server_instructions":4000000000,"instructions_per_delivery":20000.000,"#),
            "{}",
            o.json()
        );
        let none = Outcome {
            server_load_cpu_secs: Some(2.0),
            ..Outcome::default()
        };
        assert_eq!(none.cpu_us_per_delivery(), None, "no deliveries, no figure");
        assert!(
            none.json()
                .contains(r#""server_instructions":null,"instructions_per_delivery":null,"#)
        );
    }

    #[test]
    fn replicas_show_the_cross_replica_latency_and_each_replica() {
        let cross = Summary {
            count: 20,
            p50: 3.0,
            p99: 9.0,
            ..Summary::default()
        };
        let one = ProcStats {
            cpu_secs: 2.0,
            rss_mb: 40.0,
            peak_rss_mb: 50.0,
        };
        let o = Outcome {
            database: "postgres",
            replicas: 3,
            cross_delivery: Some(cross),
            local_delivery: Some(Summary::default()),
            replicas_end: vec![Some(one), Some(one), None],
            replicas_load_cpu_secs: vec![Some(1.5), Some(1.0), None],
            replicas_streams_open: vec![Some(one); 3],
            ..Outcome::default()
        };
        let t = o.table();
        assert!(t.contains("on postgres x 3 replicas:"), "{t}");
        assert!(t.contains("  cross rep"), "{t}");
        assert!(t.contains("cpu during load+drain 1.5 / 1.0 / n/a s"), "{t}");
        let j = o.json();
        assert!(j.contains(r#""replicas":3,"#), "{j}");
        assert!(
            j.contains(r#""cross_delivery_ms":{"count":20,"p50":3.000,"#),
            "{j}"
        );
        assert!(
            j.contains(r#""replicas_load_cpu_s":[1.500,1.000,null],"#),
            "{j}"
        );
        let single = Outcome::default().json();
        assert!(single.contains(r#""replicas":1,"#));
        assert!(single.contains(r#""cross_delivery_ms":null,"#));
        assert!(single.contains(r#""replicas_end":[],"#));
        assert!(!Outcome::default().table().contains("cross rep"));
    }

    #[test]
    fn the_json_line_is_one_line_and_says_ok() {
        let o = Outcome::default();
        let j = o.json();
        assert!(!j.contains('\n'));
        assert!(j.starts_with('{') && j.ends_with("\"ok\":true}"), "{j}");
    }
}
