//! `chat-loadgen`: drives a real `chat-server` over gRPC exactly as clients do, and
//! measures delivery latency, fan-out, throughput and correctness (see `--help`).
//!
//! A run: (optionally spawn a fresh server) → sign every user up and in → (with --rooms,
//! create and fill the rooms) → open every subscriber stream → settle until the room and
//! presence events of the setup have stopped, note the server's memory → post (with the
//! gate, reactors opening it) until the deadline or the message budget → let the streams
//! drain → count. Exit code 0 = nothing lost, duplicated, out of order or leaked to a
//! room's non-member; 1 = some were; 2 = the run failed.
//!
//! With `--compare-reference` the same run is made twice, first against the in-memory
//! reference server (`chat-loadgen reference-server`, issue 15), then against chat-server,
//! and the second is reported as ratios to the first.
//!
//! Module map: `cli` (options), `spawn` (the server process, /proc stats), `perf`
//! (instructions, where perf counts them), `client` (accounts), `rooms` (the room
//! scenario's setup), `membership` (which streams must get which event), `ledger` (what
//! was posted, matched to what arrived), `subscriber` and `check` (one stream's reading
//! and judging), `poster`, `tally` (drain and final count), `stats` (HDR histograms),
//! `report` (table and JSON line), `compare` (the ratios to the reference), `reference`
//! (the reference server itself).

mod check;
mod cli;
mod client;
mod compare;
mod ledger;
mod membership;
mod perf;
mod poster;
mod reference;
mod report;
mod rooms;
mod spawn;
mod stats;
mod subscriber;
mod tally;

use anyhow::{Context, Result, bail};
use clap::Parser;
use cli::{Args, Command, connection_of, replica_of};
use compare::Comparison;
use futures::{StreamExt, TryStreamExt, stream};
use ledger::{Ledger, MAX_REACTIONS};
use membership::{Membership, room_of_user};
use report::Outcome;
use spawn::{ProcStats, REFERENCE, SpawnOptions, SpawnedServer};
use stats::{Histos, Summary};
use std::{
    process::ExitCode,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use subscriber::{AckPolicy, ByReplica, Subscriber};
use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chat-loadgen: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::ReferenceServer(options)) = args.command.clone() {
        return match runtime.block_on(reference::run(options)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("chat-loadgen reference-server: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    match runtime.block_on(run(args)) {
        Ok(report) => {
            print!("{}", report.table());
            println!("{}", report.json());
            if report.correct() {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "chat-loadgen: FAILED: events were lost, duplicated, out of order or leaked"
                );
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("chat-loadgen: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// One run, or a run against the reference and one against chat-server.
enum Report {
    One(Box<Outcome>),
    Compared(Box<Comparison>),
}

impl Report {
    fn table(&self) -> String {
        match self {
            Self::One(o) => o.table(),
            Self::Compared(c) => c.table(),
        }
    }

    fn json(&self) -> String {
        match self {
            Self::One(o) => o.json(),
            Self::Compared(c) => c.json(),
        }
    }

    fn correct(&self) -> bool {
        match self {
            Self::One(o) => o.correct(),
            Self::Compared(c) => c.correct(),
        }
    }
}

/// File descriptors to allow this process and the servers it spawns (they inherit it).
const NOFILE: u64 = 1 << 20;

async fn run(args: Args) -> Result<Report> {
    // Each connection is a descriptor here and one in the server.
    let fds = spawn::raise_nofile(NOFILE).unwrap_or(1024);
    let wanted = 2 * args.connections() as u64 + 256;
    if fds < wanted {
        bail!(
            "{} connections need about {wanted} open files; the limit is {fds}",
            args.connections()
        );
    }
    let Some(target) = args.spawn.clone() else {
        if args.replicas > 1 {
            bail!("--replicas needs --spawn with a postgres:// URL");
        }
        return Ok(Report::One(Box::new(
            drive(&args, std::slice::from_ref(&args.server), &[]).await?,
        )));
    };
    if args.replicas > 1
        && !(target.starts_with("postgres://") || target.starts_with("postgresql://"))
    {
        bail!(
            "--replicas {} shares one database, which takes PostgreSQL: --spawn postgres://...",
            args.replicas
        );
    }
    if !args.compare_reference {
        return Ok(Report::One(Box::new(run_spawned(&args, &target).await?)));
    }
    if args.replicas > 1 {
        bail!(
            "--compare-reference has no reference for replicas: compare with --replicas 1 instead"
        );
    }
    if target == REFERENCE {
        bail!(
            "--compare-reference compares chat-server with the reference: --spawn sqlite or a postgres:// URL"
        );
    }
    // The reference first, so that chat-server's run is not the one that warms the
    // machine; each on a fresh process with the same parameters.
    let reference = run_spawned(&args, REFERENCE).await?;
    let ours = run_spawned(&args, &target).await?;
    Ok(Report::Compared(Box::new(Comparison { reference, ours })))
}

/// Starts a fresh server for `target` (or `--replicas` of them on one fresh database),
/// drives the scenario against it, and stops it.
async fn run_spawned(args: &Args, target: &str) -> Result<Outcome> {
    if target == REFERENCE {
        progress(format_args!("starting the in-memory reference server"));
    } else if args.replicas > 1 {
        progress(format_args!(
            "starting {} chat-server replicas ({target}; the first migrates the database)",
            args.replicas
        ));
    } else {
        progress(format_args!("starting chat-server ({target})"));
    }
    let options = |shared_database: Option<String>| SpawnOptions {
        target,
        server_bin: args.server_bin.clone(),
        reference_bin: args.reference_bin.clone(),
        extra_env: &args.server_env,
        required_reactions: args.required_reactions,
        shared_database,
    };
    // The first creates the database and migrates it (ready = migrated); the others
    // start on it afterwards, one at a time.
    let first = SpawnedServer::start(options(None)).await?;
    let shared = first.database_url();
    let mut servers = vec![first];
    let mut started = Ok(());
    for _ in 1..args.replicas.max(1) {
        let Some(url) = shared.clone() else {
            started = Err(anyhow::anyhow!(
                "replicas need the first server's PostgreSQL database"
            ));
            break;
        };
        match SpawnedServer::start(options(Some(url))).await {
            Ok(s) => servers.push(s),
            Err(e) => {
                started = Err(e.context("starting a replica"));
                break;
            }
        }
    }
    let result = match started {
        Ok(()) => {
            let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
            drive(args, &urls, &servers).await
        }
        Err(e) => Err(e),
    };
    // The first last: it drops the database the others use.
    while let Some(server) = servers.pop() {
        server.stop().await;
    }
    result
}

/// How long without a room or presence event counts as "the setup is over".
const QUIET: Duration = Duration::from_millis(500);

fn progress(what: std::fmt::Arguments<'_>) {
    eprintln!("chat-loadgen: {what}");
}

/// One run against the servers at `urls` (the replicas of one database; one URL without
/// --replicas); `servers` are the spawned ones (empty with --server), for their figures.
async fn drive(args: &Args, urls: &[String], servers: &[SpawnedServer]) -> Result<Outcome> {
    let replica_stats = || servers.iter().map(SpawnedServer::stats).collect::<Vec<_>>();
    let server_stats = || {
        if servers.is_empty() {
            None
        } else {
            ProcStats::sum(&replica_stats())
        }
    };
    let replicas = urls.len().max(1);
    let subscribers = args.subscribers;
    let (posters, messages) = if args.idle {
        (1, Some(1))
    } else {
        (args.posters, args.messages)
    };
    if posters == 0 {
        bail!("--posters must be at least 1");
    }
    let server_started = server_stats();
    let tag = uuid::Uuid::new_v4().simple().to_string()[..6].to_owned();
    let ledger = Arc::new(Ledger::new(tag));

    // Connections, on each replica: one for its posters and reactors; C / replicas for
    // its streams, which sign in over their own.
    let connections = args.connections();
    let per_replica = connections.div_ceil(replicas);
    let busiest = subscribers.div_ceil(replicas).div_ceil(per_replica);
    let limit = args.max_concurrent_streams() as usize;
    if busiest + 16 > limit {
        bail!(
            "{busiest} streams on one connection: the server allows {limit} calls at once on one \
             (acks included); pass --connections {} or more, or raise \
             CHAT__SERVER__MAX_CONCURRENT_STREAMS with --server-env",
            subscribers.div_ceil(limit.saturating_sub(16).max(1))
        );
    }
    let mut controls = Vec::with_capacity(replicas);
    let mut stream_channels = Vec::with_capacity(replicas);
    for url in urls {
        controls.push(client::connect(url).await?);
        let mut own = Vec::with_capacity(per_replica);
        for _ in 0..per_replica {
            own.push(client::connect(url).await?);
        }
        stream_channels.push(own);
    }
    let stream_channel = |i: usize| {
        stream_channels[replica_of(i, replicas)][connection_of(i, replicas, per_replica)].clone()
    };

    // Accounts: subscribers, posters, reactors, every session signed in before the load.
    let per_user = args.sessions_per_user.max(1);
    let mut wanted = Vec::new();
    for u in 0..subscribers.div_ceil(per_user) {
        let sessions = (u * per_user..((u + 1) * per_user).min(subscribers))
            .map(stream_channel)
            .collect();
        wanted.push(client::Wanted {
            name: ledger.user_name('s', u),
            sessions,
        });
    }
    let subscriber_users = wanted.len();
    let membership = Membership::new(
        args.rooms,
        &wanted.iter().map(|w| w.sessions.len()).collect::<Vec<_>>(),
    );
    for p in 0..posters {
        wanted.push(client::Wanted {
            name: ledger.user_name('p', p),
            sessions: vec![controls[replica_of(p, replicas)].clone()],
        });
    }
    for r in 0..args.reactors {
        wanted.push(client::Wanted {
            name: ledger.user_name('r', r),
            sessions: vec![controls[replica_of(r, replicas)].clone()],
        });
    }
    progress(format_args!(
        "signing up {} users and signing in {} sessions ({} at a time)",
        wanted.len(),
        subscribers + posters + args.reactors,
        args.signup_parallelism
    ));
    let setup_started = Instant::now();
    let gateway = servers.first().and_then(|s| s.gateway_secret);
    let mut accounts = client::create(
        controls[0].clone(),
        wanted,
        args.signup_parallelism,
        gateway,
    )
    .await?;
    let setup_secs = setup_started.elapsed().as_secs_f64();
    let reactor_sessions: Vec<_> = accounts
        .split_off(subscriber_users + posters)
        .into_iter()
        .flatten()
        .collect();
    let poster_sessions: Vec<_> = accounts
        .split_off(subscriber_users)
        .into_iter()
        .flatten()
        .collect();
    let subscriber_accounts = accounts;

    let rooms_started = Instant::now();
    let room_ids = if args.rooms > 0 {
        progress(format_args!(
            "creating {} rooms and joining {} users to them",
            args.rooms,
            subscriber_users + posters + reactor_sessions.len()
        ));
        let everywhere: Vec<_> = poster_sessions[1..]
            .iter()
            .chain(&reactor_sessions)
            .cloned()
            .collect();
        rooms::set_up(
            &ledger.tag,
            args.rooms,
            &poster_sessions[0],
            &everywhere,
            &subscriber_accounts,
        )
        .await?
    } else {
        Vec::new()
    };
    let rooms_secs = rooms_started.elapsed().as_secs_f64();
    let required_reactions = rooms::required_reactions(&poster_sessions[0], &room_ids).await?;
    let required = required_reactions as usize;
    // Each stream with the room of its user.
    let subscriber_sessions: Vec<_> = subscriber_accounts
        .into_iter()
        .enumerate()
        .flat_map(|(u, sessions)| {
            let room = room_of_user(args.rooms, u);
            sessions.into_iter().map(move |s| (s, room))
        })
        .collect();
    if required > MAX_REACTIONS {
        bail!(
            "the server asks for {required} reactions; the load generator follows at most {MAX_REACTIONS}"
        );
    }
    if required > reactor_sessions.len() && !args.idle {
        bail!(
            "the gate needs {required} reactions per message: pass --reactors {required} or more"
        );
    }

    // Streams: all open before the load starts.
    let server_before_streams = server_stats();
    progress(format_args!(
        "opening {subscribers} Subscribe streams over {connections} connection(s){}",
        if replicas > 1 {
            format!(" to {replicas} replicas")
        } else {
            String::new()
        }
    ));
    let open_started = Instant::now();
    let streams: Vec<_> =
        stream::iter(subscriber_sessions.iter().map(|(s, _)| subscriber::open(s)))
            .buffered(64)
            .try_collect()
            .await?;
    let open_secs = open_started.elapsed().as_secs_f64();

    // Read from the start: each stream that opens announces its user online to every
    // other open stream, and the joins left RoomChanged events queued.
    let latencies = Arc::new(Histos::new(16));
    let by_replica = (replicas > 1).then(|| Arc::new(ByReplica::new(16)));
    let stop = CancellationToken::new();
    let acks = AckPolicy {
        batch: args.ack_batch.max(1),
        debounce: args.ack_debounce(),
    };
    let side_events = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = subscriber_sessions
        .into_iter()
        .zip(streams)
        .enumerate()
        .map(|(i, ((session, room), stream))| {
            let sub = Subscriber {
                session,
                room,
                ledger: ledger.clone(),
                side_events: side_events.clone(),
                latencies: latencies.clone(),
                shard: i % latencies.shards(),
                replica: u32::try_from(replica_of(i, replicas)).unwrap_or(0),
                by_replica: by_replica.clone(),
                acks,
                stop: stop.clone(),
            };
            tokio::spawn(sub.run(stream))
        })
        .collect();
    // Settle, then wait for those to stop, so that the load starts on a quiet server as
    // it did before presence existed.
    let settle_started = Instant::now();
    tokio::time::sleep(if args.idle {
        args.settle().max(Duration::from_secs(1))
    } else {
        args.settle()
    })
    .await;
    let quiet = wait_for_quiet(&side_events, args.drain_timeout()).await;
    let settle_secs = settle_started.elapsed().as_secs_f64();
    let setup_side_events = side_events.load(Ordering::Relaxed);
    let server_streams_open = server_stats();
    let replicas_streams_open = replica_stats();

    // The load.
    let send_latency = Arc::new(Histos::new(posters.min(16)));
    let react_latency = Arc::new(Histos::new(posters.min(16)));
    let reactors = Arc::new(reactor_sessions);
    let plan = poster::Plan {
        deadline: messages
            .is_none()
            .then(|| Instant::now() + Duration::from_secs_f64(args.duration.max(0.0))),
        budget: messages.map(|n| Arc::new(AtomicU64::new(n))),
        interval: (args.rate > 0.0).then(|| Duration::from_secs_f64(posters as f64 / args.rate)),
        rooms: Arc::new(room_ids),
        next_room: Arc::default(),
    };
    progress(format_args!(
        "posting with {posters} posters for {}",
        messages.map_or(format!("{} s", args.duration), |n| format!("{n} messages"))
    ));
    // perf counts one process: only without replicas.
    let instructions = match servers {
        [s] => perf::Counter::start(s.pid).await,
        _ => None,
    };
    let replicas_cpu_at_start = replica_stats();
    let cpu_at_start = server_stats().map(|s| s.cpu_secs);
    let own_cpu_at_start = ProcStats::current().map(|s| s.cpu_secs);
    let load_started = Instant::now();
    let poster_tasks: Vec<_> = poster_sessions
        .into_iter()
        .enumerate()
        .map(|(number, session)| {
            tokio::spawn(
                poster::Poster {
                    session,
                    number,
                    reactors: reactors.clone(),
                    required: if args.idle { 0 } else { required },
                    ledger: ledger.clone(),
                    send_latency: send_latency.clone(),
                    react_latency: react_latency.clone(),
                    plan: plan.clone(),
                    replicas,
                }
                .run(),
            )
        })
        .collect();
    let mut poster_reports = Vec::new();
    for task in poster_tasks {
        poster_reports.push(task.await.context("poster task")?);
    }
    let load_secs = load_started.elapsed().as_secs_f64();

    // Drain: every confirmed event must reach every stream it is meant for.
    let drain_started = Instant::now();
    let drained = loop {
        if tally::all_in(&ledger.snapshot(), &membership) {
            break true;
        }
        if drain_started.elapsed() >= args.drain_timeout() {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let drain_secs = drain_started.elapsed().as_secs_f64();
    let server_end = server_stats();
    let replicas_end = replica_stats();
    let own_cpu_at_end = ProcStats::current().map(|s| s.cpu_secs);
    let server_instructions = match instructions {
        Some(counter) => counter.stop().await,
        None => None,
    };
    stop.cancel();
    let mut stream_reports = Vec::new();
    for reader in readers {
        stream_reports.push(reader.await.context("subscriber task")?);
    }

    // Count.
    let tally::Tally {
        events,
        expected_deliveries,
        lost,
        last_delivery,
        fanout,
    } = tally::count(&ledger.snapshot(), &membership);
    let deliveries: u64 = stream_reports.iter().map(|r| r.received).sum();
    let delivery_span = ledger
        .at(last_delivery)
        .saturating_duration_since(load_started)
        .as_secs_f64();
    let sum = |f: fn(&subscriber::StreamReport) -> u64| stream_reports.iter().map(f).sum::<u64>();
    let last_error = poster_reports
        .iter()
        .find_map(|r| r.last_error.clone())
        .or_else(|| stream_reports.iter().find_map(|r| r.last_error.clone()));
    Ok(Outcome {
        label: args.label.clone(),
        mode: if args.idle { "idle" } else { "load" },
        database: servers.first().map_or("external", |s| s.database),
        replicas,
        cross_delivery: by_replica.as_ref().map(|b| Summary::of(&b.cross.merged())),
        local_delivery: by_replica.as_ref().map(|b| Summary::of(&b.local.merged())),
        replicas_streams_open,
        replicas_end: replicas_end.clone(),
        replicas_load_cpu_secs: replicas_cpu_at_start
            .iter()
            .zip(&replicas_end)
            .map(|(a, e)| Some(e.as_ref()?.cpu_secs - a.as_ref()?.cpu_secs))
            .collect(),
        subscribers,
        rooms: membership.rooms(),
        room_members: membership.members_range(),
        connections,
        posters,
        reactors: reactors.len(),
        required_reactions,
        setup_secs,
        rooms_secs,
        open_secs,
        settle_secs,
        quiet,
        setup_side_events,
        load_secs,
        drain_secs,
        drained,
        messages: poster_reports.iter().map(|r| r.sent).sum(),
        reactions: poster_reports.iter().map(|r| r.reactions).sum(),
        events,
        deliveries,
        expected_deliveries,
        deliveries_per_sec: if delivery_span > 0.0 {
            deliveries as f64 / delivery_span
        } else {
            0.0
        },
        events_per_sec: if load_secs > 0.0 {
            events as f64 / load_secs
        } else {
            0.0
        },
        delivery: Summary::of(&latencies.merged()),
        fanout: Summary::of(&fanout),
        send: Summary::of(&send_latency.merged()),
        react: Summary::of(&react_latency.merged()),
        lost,
        duplicated: sum(|r| r.duplicates),
        out_of_order: sum(|r| r.out_of_order),
        leaked: sum(|r| r.leaked),
        side: sum(|r| r.side),
        side_out_of_order: sum(|r| r.side_out_of_order),
        redelivered: sum(|r| r.redelivered),
        resubscribes: sum(|r| u64::from(r.resubscribes)),
        resync: sum(|r| r.resync),
        foreign: sum(|r| r.foreign),
        acks: sum(|r| r.acks),
        errors: poster_reports.iter().map(|r| r.errors).sum(),
        last_error,
        server_started,
        server_before_streams,
        server_streams_open,
        server_end,
        server_load_cpu_secs: cpu_at_start.zip(server_end).map(|(a, e)| e.cpu_secs - a),
        loadgen_load_cpu_secs: own_cpu_at_start.zip(own_cpu_at_end).map(|(a, e)| e - a),
        server_instructions,
    })
}

/// Waits until no room or presence event has arrived for [`QUIET`], at most `limit`;
/// false if it never went quiet.
async fn wait_for_quiet(side_events: &AtomicU64, limit: Duration) -> bool {
    let started = Instant::now();
    let mut last = side_events.load(Ordering::Relaxed);
    let mut since = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = side_events.load(Ordering::Relaxed);
        if now != last {
            (last, since) = (now, Instant::now());
        } else if since.elapsed() >= QUIET {
            return true;
        }
        if started.elapsed() >= limit {
            return false;
        }
    }
}
