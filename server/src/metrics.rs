//! Prometheus metrics: what an operator graphs and alerts on. Counters and histograms are
//! updated where things happen (one atomic add each, so they cost nothing measurable when
//! nobody scrapes); the gauges that need a query (sessions, queue rows) are read by
//! [`refresh`] at each scrape, so they are exact and cost nothing between scrapes.
//! [`serve`] answers `GET /metrics` on `server.metrics_addr` (off by default).
//!
//! The metrics are process-wide (one server per process in production); tests that run
//! several servers in one process scrape a real `chat-server` binary instead.

mod http;

pub use http::serve;

use crate::state::AppState;
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::{Metric, Registry},
};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::{sync::LazyLock, time::Duration};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RpcLabels {
    method: &'static str,
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabel {
    method: &'static str,
}

pub struct Metrics {
    registry: Registry,
    rpcs: Family<RpcLabels, Counter>,
    rpc_seconds: Family<MethodLabel, Histogram>,
    events: Counter,
    fan_out: Histogram,
    batch_size: Histogram,
    batch_seconds: Histogram,
    failed_commits: Counter,
    slow_cut_offs: Counter,
    acked: Counter,
    pub(crate) open_streams: Gauge,
    sessions: Gauge,
    queue_rows: Gauge,
    pool_size: Gauge,
    pool_idle: Gauge,
    committing: Gauge,
}

/// Registers `metric` and returns the handle that updates it (metrics are shared handles).
fn add<M: Metric + Clone>(registry: &mut Registry, name: &str, help: &str, metric: M) -> M {
    registry.register(name, help, metric.clone());
    metric
}

fn seconds_buckets() -> Histogram {
    // 0.25 ms … ~8 s
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn get() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    fn new() -> Self {
        let mut r = Registry::with_prefix("chat");
        let rpc_seconds = Family::<MethodLabel, Histogram>::new_with_constructor(
            seconds_buckets as fn() -> Histogram,
        );
        Self {
            rpcs: add(
                &mut r,
                "rpc_requests",
                "RPCs finished, by method and status code",
                Family::default(),
            ),
            rpc_seconds: add(
                &mut r,
                "rpc_duration_seconds",
                "Time to answer an RPC (for Subscribe: to set up the stream)",
                rpc_seconds,
            ),
            events: add(
                &mut r,
                "events_committed",
                "Events (posts, reactions) committed by this server",
                Counter::default(),
            ),
            fan_out: add(
                &mut r,
                "fan_out_sessions",
                "Queue rows written per event (sessions it went to)",
                Histogram::new(exponential_buckets(1.0, 4.0, 10)),
            ),
            batch_size: add(
                &mut r,
                "group_commit_operations",
                "Operations sharing one group commit",
                Histogram::new(exponential_buckets(1.0, 2.0, 7)),
            ),
            batch_seconds: add(
                &mut r,
                "group_commit_duration_seconds",
                "Time from BEGIN to COMMIT of a group commit",
                seconds_buckets(),
            ),
            failed_commits: add(
                &mut r,
                "group_commit_failures",
                "Group commits that failed and were rolled back",
                Counter::default(),
            ),
            slow_cut_offs: add(
                &mut r,
                "slow_subscriber_cut_offs",
                "Subscribe streams ended because the client read too slowly",
                Counter::default(),
            ),
            acked: add(
                &mut r,
                "ack_batches",
                "Ack batches written",
                Counter::default(),
            ),
            open_streams: add(
                &mut r,
                "open_streams",
                "Subscribe streams open on this server",
                Gauge::default(),
            ),
            sessions: add(
                &mut r,
                "sessions",
                "Sessions in the database",
                Gauge::default(),
            ),
            queue_rows: add(
                &mut r,
                "queue_rows",
                "Queued events not yet acknowledged, over all sessions",
                Gauge::default(),
            ),
            pool_size: add(
                &mut r,
                "db_pool_connections",
                "Connections open in the database pool",
                Gauge::default(),
            ),
            pool_idle: add(
                &mut r,
                "db_pool_idle_connections",
                "Idle connections in the database pool",
                Gauge::default(),
            ),
            committing: add(
                &mut r,
                "writes_committing",
                "1 while writes commit, 0 after a failed commit until one succeeds",
                Gauge::default(),
            ),
            registry: r,
        }
    }

    pub fn rpc(&self, method: &'static str, code: tonic::Code, elapsed: Duration) {
        self.rpcs
            .get_or_create(&RpcLabels {
                method,
                code: code_name(code),
            })
            .inc();
        self.rpc_seconds
            .get_or_create(&MethodLabel { method })
            .observe(elapsed.as_secs_f64());
    }

    pub fn events_committed(&self, count: u64) {
        self.events.inc_by(count);
    }

    pub fn fanned_out(&self, sessions: u64) {
        self.fan_out.observe(sessions as f64);
    }

    pub fn group_commit(&self, operations: usize, elapsed: Duration, failed: bool) {
        self.batch_size.observe(operations as f64);
        self.batch_seconds.observe(elapsed.as_secs_f64());
        if failed {
            self.failed_commits.inc();
        }
    }

    pub fn slow_subscriber_cut_off(&self) {
        self.slow_cut_offs.inc();
    }

    pub fn ack_batch(&self) {
        self.acked.inc();
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Reads the gauges that need the database or the server's state (before a scrape).
pub async fn refresh(state: &AppState) {
    let metrics = get();
    {
        metrics
            .committing
            .set(i64::from(state.db.write_health().is_committing()));
        let conn = state.db.conn();
        let (size, idle) = match state.db.backend() {
            DbBackend::Postgres => {
                let pool = conn.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => {
                let pool = conn.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
        };
        metrics.pool_size.set(i64::from(size));
        metrics
            .pool_idle
            .set(i64::try_from(idle).unwrap_or(i64::MAX));
        if let Some(n) = count(conn, "SELECT COUNT(*) FROM sessions").await {
            metrics.sessions.set(n);
        }
        if let Some(n) = count(conn, "SELECT COUNT(*) FROM event_queue").await {
            metrics.queue_rows.set(n);
        }
    }
}

async fn count(conn: &sea_orm::DatabaseConnection, sql: &str) -> Option<i64> {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .ok()??;
    row.try_get_by_index::<i64>(0).ok()
}

fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}
