//! Command-line options. Every knob has a default that gives the standard scenario:
//! 100 subscribers, 4 posters, 4 reactors, 10 seconds, the send gate at the server's value.

use clap::{Parser, Subcommand};
use std::{path::PathBuf, time::Duration};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "chat-loadgen",
    version,
    about = "Drives a chat-server over gRPC as real clients do and measures delivery",
    long_about = "Drives a chat-server over gRPC as real clients do: S subscribers with live \
                  Subscribe streams that ack in batches, P posters posting with the send gate \
                  in force, and a pool of reactors that react to every message so the posters \
                  may post again. Prints a table and one JSON line; exits 1 if any event was \
                  lost, duplicated or out of order.",
    args_conflicts_with_subcommands = true
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The server to drive (ignored with --spawn).
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    pub server: String,

    /// Start a fresh chat-server: `sqlite`, or a PostgreSQL admin URL under which a fresh
    /// database chat_bench_<uuid> is created (and dropped afterwards); or `reference`: a
    /// fresh in-memory reference server (`chat-loadgen reference-server`) instead.
    #[arg(long, value_name = "sqlite|POSTGRES_URL|reference")]
    pub spawn: Option<String>,

    /// Run the scenario against a fresh in-memory reference server first, then against
    /// the --spawn'ed chat-server, and report chat-server's figures as ratios to the
    /// reference's (deliveries/s, p50, p99, cost per delivery). Exits 1 if either run
    /// loses, duplicates, reorders or leaks an event.
    #[arg(long, requires = "spawn")]
    pub compare_reference: bool,

    /// The executable run as `PATH reference-server --listen ADDR --required-reactions N`
    /// for the reference [default: this executable] (e.g. a wrapper running it under
    /// valgrind).
    #[arg(long, value_name = "PATH")]
    pub reference_bin: Option<PathBuf>,

    /// The chat-server binary for --spawn [default: next to this executable].
    #[arg(long, value_name = "PATH")]
    pub server_bin: Option<PathBuf>,

    /// Extra environment for the spawned server, e.g. CHAT__LOG__LEVEL=warn (repeatable).
    #[arg(long = "server-env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub server_env: Vec<(String, String)>,

    /// With --spawn on PostgreSQL: start this many chat-server processes on the one fresh
    /// database (the first migrates it; the others start once it is ready), each on its
    /// own port. Subscriber stream i, poster p and reactor r use replica i % N, p % N and
    /// r % N (each signs in and talks there); the report adds the delivery latency of the
    /// pairs whose event was caused on another replica than the stream's, and the servers'
    /// CPU and memory summed and per replica.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub replicas: usize,

    /// With --spawn: sets chat.required_reactions (default: the server's default, 2).
    #[arg(long, value_name = "N")]
    pub required_reactions: Option<u32>,

    /// Subscriber sessions, each its own user with a live Subscribe stream.
    #[arg(short = 's', long, default_value_t = 100)]
    pub subscribers: usize,

    /// Public rooms to create; 0 = everything in the lobby. With N rooms, subscriber user
    /// u joins room u % N only (so 1,000 subscribers and 50 rooms = 50 rooms of 20), the
    /// posters and reactors join every room, and the posters post to the rooms in turn.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub rooms: usize,

    /// Posting users; each posts, waits for its reactions, and posts again.
    #[arg(short = 'p', long, default_value_t = 4)]
    pub posters: usize,

    /// Reactor users; each message gets reactions from `required_reactions` of them.
    #[arg(short = 'r', long, default_value_t = 4)]
    pub reactors: usize,

    /// How long the posters post, in seconds (ignored with --messages).
    #[arg(short = 'd', long, default_value_t = 10.0)]
    pub duration: f64,

    /// Post exactly this many messages in total instead of posting for --duration.
    #[arg(short = 'm', long)]
    pub messages: Option<u64>,

    /// Cap the total post rate (messages per second); 0 = as fast as the gate allows.
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,

    /// HTTP/2 connections the subscriber streams are spread over, in all (each replica gets
    /// its share, at least one) [default: one per 100 streams, 1..=64; one per 200 above
    /// 12,800 streams]. The server allows server.max_concurrent_streams (256) calls at
    /// once per connection, acks included: the run refuses to put more than 240 streams
    /// on one unless --server-env raises CHAT__SERVER__MAX_CONCURRENT_STREAMS.
    #[arg(long)]
    pub connections: Option<usize>,

    /// Ack after this many events...
    #[arg(long, default_value_t = 50)]
    pub ack_batch: u64,

    /// ...or this long after the first unacked event (like chat-tui).
    #[arg(long, default_value_t = 250)]
    pub ack_debounce_ms: u64,

    /// Sign-ups and sign-ins in flight at once (each is an Argon2 hash on the server).
    #[arg(long, default_value_t = 8)]
    pub signup_parallelism: usize,

    /// Subscriber sessions per subscriber user (more than one saves sign-ups for --idle;
    /// on a spawned chat-server the later ones sign in with an ssh key, saving the hash).
    #[arg(long, default_value_t = 1)]
    pub sessions_per_user: usize,

    /// Idle mode: open the streams, wait --settle, report the server's memory, then post
    /// a single message and measure its fan-out.
    #[arg(long)]
    pub idle: bool,

    /// Seconds to wait after the streams are open before measuring memory and starting;
    /// then the load waits on until no room or presence event has come for 0.5 s (each
    /// stream that opens announces its user online to the others).
    #[arg(long, default_value_t = 1.0)]
    pub settle: f64,

    /// Seconds to wait for the streams to receive everything after the posters stop (and,
    /// at most, for the room and presence events of the setup to stop before the load).
    #[arg(long, default_value_t = 30.0)]
    pub drain_timeout: f64,

    /// A name for the scenario, echoed in the JSON line.
    #[arg(long, default_value = "")]
    pub label: String,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the v1 API from memory (no database, no durability): the yardstick that
    /// --compare-reference measures chat-server against (issue 15).
    ReferenceServer(crate::reference::Options),
}

impl Args {
    pub fn connections(&self) -> usize {
        let replicas = self.replicas.max(1);
        self.connections
            .unwrap_or_else(|| {
                let d = self.subscribers.div_ceil(100).clamp(1, 64);
                if self.subscribers.div_ceil(d) > 200 {
                    self.subscribers.div_ceil(200)
                } else {
                    d
                }
            })
            .max(replicas)
            .div_ceil(replicas)
            * replicas
    }

    /// The server's HTTP/2 limit of calls at once on one connection, as the spawned
    /// server will have it.
    pub fn max_concurrent_streams(&self) -> u32 {
        self.server_env
            .iter()
            .rev()
            .find(|(k, _)| k == "CHAT__SERVER__MAX_CONCURRENT_STREAMS")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(256)
    }

    pub fn settle(&self) -> Duration {
        Duration::from_secs_f64(self.settle.max(0.0))
    }

    pub fn drain_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.drain_timeout.max(0.0))
    }

    pub fn ack_debounce(&self) -> Duration {
        Duration::from_millis(self.ack_debounce_ms)
    }
}

/// Which replica the `n`th client of a kind (stream, poster, reactor) talks to:
/// round-robin, so every replica gets the same share of each kind.
pub fn replica_of(n: usize, replicas: usize) -> usize {
    n % replicas.max(1)
}

/// Which of the `per_replica` stream connections of its replica the `n`th stream uses.
pub fn connection_of(n: usize, replicas: usize, per_replica: usize) -> usize {
    (n / replicas.max(1)) % per_replica.max(1)
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        Args::parse_from(std::iter::once("chat-loadgen").chain(extra.iter().copied()))
    }

    #[test]
    fn clients_go_round_robin_over_the_replicas_and_their_connections() {
        let replicas: Vec<usize> = (0..7).map(|n| replica_of(n, 3)).collect();
        assert_eq!(replicas, [0, 1, 2, 0, 1, 2, 0]);
        assert!((0..5).all(|n| replica_of(n, 1) == 0));
        assert_eq!(replica_of(4, 0), 0, "0 replicas counts as 1");
        // Streams 0, 3, 6, 9 are replica 0's; with 2 connections there they alternate.
        let on_zero: Vec<usize> = (0..12)
            .filter(|n| replica_of(*n, 3) == 0)
            .map(|n| connection_of(n, 3, 2))
            .collect();
        assert_eq!(on_zero, [0, 1, 0, 1]);
    }

    #[test]
    fn connections_are_shared_out_evenly_and_stay_under_the_stream_limit() {
        assert_eq!(args(&[]).connections(), 1);
        assert_eq!(args(&["--subscribers", "1000"]).connections(), 10);
        assert_eq!(args(&["--subscribers", "5000"]).connections(), 50);
        assert_eq!(args(&["--subscribers", "10000"]).connections(), 64);
        assert_eq!(args(&["--subscribers", "50000"]).connections(), 250);
        assert_eq!(args(&["--replicas", "3"]).connections(), 3);
        assert_eq!(
            args(&["--replicas", "3", "--subscribers", "1000"]).connections(),
            12
        );
        assert_eq!(
            args(&["--replicas", "3", "--connections", "4"]).connections(),
            6
        );
        assert_eq!(args(&[]).max_concurrent_streams(), 256);
        assert_eq!(
            args(&["--server-env", "CHAT__SERVER__MAX_CONCURRENT_STREAMS=1000"])
                .max_concurrent_streams(),
            1000
        );
    }
}
