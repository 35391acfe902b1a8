//! `chat-ssh-bench`: the ssh gateway under a busy room (issue 14's load benchmark).
//!
//! A run: start a fresh chat-server (SQLite, send gate off so one user can post freely)
//! and `chat-tui ssh-gateway` as processes of their own → sign N users and a poster up
//! → note the gateway's memory → open N ssh sessions (password, pty, shell), each read
//! into a vt100 screen of its own → wait until every screen shows the chat and the
//! gateway's output has gone quiet → note the memory again → post M marked messages at a
//! fixed rate while the CPU of the gateway, the server and this process is counted →
//! wait until every marker is on every screen → report. Exit code 0 = every delivery
//! seen and no session dropped; 1 = not; 2 = the run failed (or timed out).
//!
//! Module map: `cli` (options), `server` and `gateway` (the two processes),
//! `accounts`, `term` (one ssh session and its screen), `marker` (the marker in each
//! message, found on a screen), `poster` (the busy room), `proc_stats` (CPU and memory
//! from /proc), `figures` (the arithmetic), `machine` (CPU, cores, commit), `report`
//! (table and JSON line).

mod accounts;
mod cli;
mod figures;
mod gateway;
mod machine;
mod marker;
mod poster;
mod proc_stats;
mod report;
mod server;
mod term;

use accounts::{PASSWORD, POSTER, session_user};
use anyhow::{Context, Result, anyhow, bail};
use chat_protocol::chat::v1::chat_service_client::ChatServiceClient;
use clap::Parser;
use cli::Args;
use figures::Summary;
use futures::{StreamExt, stream};
use gateway::SpawnedGateway;
use machine::Machine;
use poster::Poster;
use proc_stats::ProcStats;
use report::Outcome;
use server::Server;
use std::{
    path::PathBuf,
    process::ExitCode,
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};
use term::{Shared, Target};
use tokio_util::sync::CancellationToken;

/// How long without a byte to any session counts as "the gateway has settled".
const QUIET: Duration = Duration::from_secs(1);
/// How often the waits look.
const POLL: Duration = Duration::from_millis(20);

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(e) = args.check() {
        eprintln!("chat-ssh-bench: {e}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chat-ssh-bench: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    // Whichever way the run ends (done, failed, timed out, interrupted), its future is
    // dropped before this returns, and with it the child processes (kill on drop).
    let result = runtime.block_on(async {
        tokio::select! {
            done = tokio::time::timeout(args.timeout(), run(&args)) => done.unwrap_or_else(|_| {
                Err(anyhow!("the run took longer than --timeout {} s", args.timeout))
            }),
            () = interrupted() => Err(anyhow!("interrupted")),
        }
    });
    match result {
        Ok(outcome) => {
            print!("{}", outcome.table());
            println!("{}", outcome.json());
            if outcome.ok() {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "chat-ssh-bench: FAILED: {} deliveries missed, {} sessions dropped, {} Sends refused",
                    outcome.missed(),
                    outcome.dropped,
                    outcome.send_errors
                );
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("chat-ssh-bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn progress(what: std::fmt::Arguments<'_>) {
    eprintln!("chat-ssh-bench: {what}");
}

/// The binary `name` beside this executable (cargo builds them into one directory).
fn beside_me(name: &str) -> Result<PathBuf> {
    Ok(std::env::current_exe()
        .context("locating chat-ssh-bench")?
        .with_file_name(name))
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")
        .context("finding a free port")?
        .local_addr()?
        .port())
}

/// Both processes are killed when their handles drop, on every path out of here.
async fn run(args: &Args) -> Result<Outcome> {
    let machine = Machine::read();
    progress(format_args!("starting chat-server (SQLite)"));
    let server = Server::start(free_port()?).await?;
    let dir = tempfile::Builder::new()
        .prefix("chat-ssh-bench-")
        .tempdir()
        .context("temporary directory for the gateway")?;
    let tui_bin = match &args.tui_bin {
        Some(bin) => bin.clone(),
        None => beside_me("chat-tui")?,
    };
    progress(format_args!("starting chat-tui ssh-gateway"));
    let mut gateway =
        SpawnedGateway::start(&tui_bin, &server.url, free_port()?, dir.path()).await?;
    let result = drive(args, &server, &mut gateway, machine).await;
    let result = result.map_err(|e| e.context(gateway.log_tail()));
    gateway.stop().await;
    result
}

async fn drive(
    args: &Args,
    server: &Server,
    gateway: &mut SpawnedGateway,
    machine: Machine,
) -> Result<Outcome> {
    let n = args.sessions;
    let control = tonic::transport::Channel::from_shared(server.url.clone())?
        .connect()
        .await
        .with_context(|| format!("connecting to {}", server.url))?;
    let names: Vec<String> = (0..n).map(session_user).collect();
    progress(format_args!("signing up {} users", n + 1));
    accounts::sign_up(&control, &names, args.parallelism).await?;
    accounts::sign_up(&control, &[POSTER.to_owned()], 1).await?;
    let poster = Poster {
        token: accounts::sign_in(&control, POSTER).await?,
        chat: ChatServiceClient::new(control),
    };

    let gateway_idle = ProcStats::read(gateway.pid);

    // Sessions: opened `parallelism` at a time (each sign-in is an Argon2 hash), each
    // read from the moment it opens.
    progress(format_args!(
        "opening {n} ssh sessions ({} at a time)",
        args.parallelism
    ));
    let target = Target::new(
        gateway.addr,
        gateway.fingerprint.clone(),
        args.cols,
        args.rows,
    );
    let shared = Arc::new(Shared::default());
    let stop = CancellationToken::new();
    // Whatever ends this function, the readers end with it.
    let _stop_readers = stop.clone().drop_guard();
    let open_started = Instant::now();
    let mut readers = Vec::with_capacity(n);
    {
        let target = &target;
        let mut opening = stream::iter(&names)
            .map(|name| term::open(target, name, PASSWORD))
            .buffer_unordered(args.parallelism.max(1));
        while let Some(term) = opening.next().await {
            readers.push(tokio::spawn(term?.watch(
                args.messages,
                shared.clone(),
                stop.clone(),
            )));
        }
    }
    let all_ready = wait_until(gateway, &shared, args.settle_timeout(), || {
        shared.ready.load(Ordering::Relaxed) >= n
    })
    .await?;
    if !all_ready {
        bail!(
            "only {} of {n} sessions showed the chat screen within {} s",
            shared.ready.load(Ordering::Relaxed),
            args.settle_timeout
        );
    }
    let open_secs = open_started.elapsed().as_secs_f64();

    // Settle: every session that opened announced its user online to all the others,
    // and each of those redraws a screen; the load starts once that is over.
    progress(format_args!(
        "all {n} sessions show the chat screen after {open_secs:.1} s; settling"
    ));
    let settle_started = Instant::now();
    let quiet = wait_for_quiet(gateway, &shared, args.settle_timeout()).await?;
    let settle_secs = settle_started.elapsed().as_secs_f64();
    let gateway_settled = ProcStats::read(gateway.pid);

    // The load, and the CPU it costs.
    progress(format_args!(
        "posting {} messages at {}/s",
        args.messages, args.rate
    ));
    let gateway_pid = gateway.pid;
    let cpu = || {
        (
            ProcStats::read(gateway_pid).map(|s| s.cpu_secs),
            server.stats().map(|s| s.cpu_secs),
            ProcStats::current().map(|s| s.cpu_secs),
        )
    };
    let cpu_before = cpu();
    let bytes_before = shared.bytes.load(Ordering::Relaxed);
    let post_started = Instant::now();
    let posted = poster.post(args.messages, args.interval()).await?;
    let post_secs = post_started.elapsed().as_secs_f64();
    let due = (n * posted.confirmed()) as u64;
    let drain_started = Instant::now();
    wait_until(gateway, &shared, args.drain_timeout(), || {
        shared.sightings.load(Ordering::Relaxed) >= due
    })
    .await?;
    let drain_secs = drain_started.elapsed().as_secs_f64();
    let cpu_after = cpu();
    let window_bytes = shared.bytes.load(Ordering::Relaxed) - bytes_before;
    let gateway_end = ProcStats::read(gateway.pid);

    stop.cancel();
    let mut watched = Vec::with_capacity(n);
    for reader in readers {
        watched.push(reader.await.context("a session's reader")?);
    }
    let deliveries = figures::deliveries(&posted.sent, watched.iter().map(|w| &w.seen[..]))?;
    let spent = |before: Option<f64>, after: Option<f64>| Some(after? - before?);
    Ok(Outcome {
        label: args.label.clone(),
        machine,
        sessions: n,
        cols: args.cols,
        rows: args.rows,
        messages: args.messages,
        posted: posted.confirmed(),
        rate: args.rate,
        send_errors: posted.errors,
        last_error: posted.last_error.clone(),
        expected: deliveries.expected,
        deliveries: deliveries.seen,
        dropped: watched.iter().filter(|w| w.dropped).count(),
        latency: Summary::of(&deliveries.latency),
        send: Summary::of(&posted.send_latency),
        open_secs,
        settle_secs,
        quiet,
        post_secs,
        drain_secs,
        gateway_idle,
        gateway_settled,
        gateway_end,
        gateway_cpu_secs: spent(cpu_before.0, cpu_after.0),
        server_cpu_secs: spent(cpu_before.1, cpu_after.1),
        bench_cpu_secs: spent(cpu_before.2, cpu_after.2),
        window_bytes,
    })
}

/// Waits until `done` holds (true) or `limit` passes (false); fails at once if the
/// gateway exits or a session drops, since nothing after that would mean anything.
async fn wait_until(
    gateway: &mut SpawnedGateway,
    shared: &Shared,
    limit: Duration,
    mut done: impl FnMut() -> bool,
) -> Result<bool> {
    let started = Instant::now();
    loop {
        if done() {
            return Ok(true);
        }
        if !gateway.running() {
            bail!("the gateway exited");
        }
        let dropped = shared.dropped.load(Ordering::Relaxed);
        if dropped > 0 {
            bail!("{dropped} ssh session(s) were closed by the gateway");
        }
        if started.elapsed() >= limit {
            return Ok(false);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until no session has received a byte for [`QUIET`], at most `limit`; false if
/// the output never went quiet.
async fn wait_for_quiet(
    gateway: &mut SpawnedGateway,
    shared: &Shared,
    limit: Duration,
) -> Result<bool> {
    let mut last = shared.bytes.load(Ordering::Relaxed);
    let mut since = Instant::now();
    wait_until(gateway, shared, limit, || {
        let now = shared.bytes.load(Ordering::Relaxed);
        if now != last {
            (last, since) = (now, Instant::now());
        }
        since.elapsed() >= QUIET
    })
    .await
}

async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
