//! What each `chat-server` command does (part of the binary, not the library): serving,
//! migrations, the health probe, configuration, admin, backup, completions and man pages.

use anyhow::Context;
use chat_server::cli::{
    AdminAction, Cli, Command, ConfigAction, MigrateAction, PasswordSource, SessionsAction,
    UserAction,
};
use chat_server::{Application, Settings, admin, backup, db::Db, healthcheck, migrate, telemetry};
use clap::CommandFactory;
use std::io::BufRead;
use std::process::ExitCode;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tonic_health::pb::health_check_response::ServingStatus;

/// The commands that must work whatever the configuration says.
pub fn without_settings(command: Option<&Command>) -> Option<ExitCode> {
    match command? {
        Command::Completions { shell } => {
            let mut cli = Cli::command();
            clap_complete::generate(*shell, &mut cli, "chat-server", &mut std::io::stdout());
            Some(ExitCode::SUCCESS)
        }
        Command::Man { dir } => Some(match write_man_pages(dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("chat-server: {e:#}");
                ExitCode::FAILURE
            }
        }),
        _ => None,
    }
}

pub async fn run(command: Option<Command>, settings: Settings) -> anyhow::Result<ExitCode> {
    match command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await.map(|()| ExitCode::SUCCESS),
        Command::Config { action: None } => {
            print!("{}", settings.redacted());
            Ok(ExitCode::SUCCESS)
        }
        Command::Config {
            action: Some(ConfigAction::Check),
        } => match settings.check() {
            Ok(()) => {
                println!("configuration OK: {}", summary(&settings));
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("chat-server: configuration: {e:#}");
                Ok(ExitCode::FAILURE)
            }
        },
        Command::Migrate { action } => {
            run_migrate(&settings, action).await?;
            Ok(ExitCode::SUCCESS)
        }
        // No logging set up: a probe every few seconds must not fill the log files.
        Command::Healthcheck { timeout_secs } => {
            let status =
                healthcheck::check(&settings.server, Duration::from_secs(timeout_secs)).await?;
            println!("{}", status.as_str_name());
            Ok(if status == ServingStatus::Serving {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Admin { action } => {
            run_admin(&settings, action).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { path } => {
            match backup::run(&settings, &path).await? {
                backup::Outcome::Written(bytes) => {
                    println!(
                        "backup written and checked: {} ({bytes} bytes)",
                        path.display()
                    );
                }
                backup::Outcome::Command(command) => {
                    println!(
                        "PostgreSQL: back up with pg_dump (set PGPASSWORD if the URL has a password):"
                    );
                    println!("{command}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { .. } | Command::Man { .. } => Ok(ExitCode::SUCCESS),
    }
}

/// One line saying what the server uses, credentials left out.
fn summary(settings: &Settings) -> String {
    let url = settings.database.url.expose();
    let database = if url.is_empty() {
        format!(
            "sqlite {}",
            settings.storage.data_dir.join("chat.db").display()
        )
    } else {
        chat_server::db::url::redact(url, url)
    };
    let tls = if settings.server.tls_cert.as_os_str().is_empty() {
        "off"
    } else {
        "on"
    };
    let metrics = if settings.server.metrics_addr.is_empty() {
        "off"
    } else {
        settings.server.metrics_addr.as_str()
    };
    format!(
        "database {database}, listen {}, tls {tls}, data dir {}, logs {}, metrics {metrics}",
        settings.listen_addr(),
        settings.storage.data_dir.display(),
        settings.log.dir.display()
    )
}

async fn run_migrate(settings: &Settings, action: MigrateAction) -> anyhow::Result<()> {
    match action {
        MigrateAction::Status => {
            for (name, applied) in migrate::status(settings).await? {
                println!("{} {name}", if applied { "applied" } else { "pending" });
            }
        }
        MigrateAction::Up { steps } => report("applied", migrate::up(settings, steps).await?),
        MigrateAction::Down { steps } => report("reverted", migrate::down(settings, steps).await?),
    }
    Ok(())
}

fn report(verb: &str, names: Vec<String>) {
    if names.is_empty() {
        println!("nothing to do");
    }
    for name in names {
        println!("{verb} {name}");
    }
}

async fn run_admin(settings: &Settings, action: AdminAction) -> anyhow::Result<()> {
    let db = Db::connect_alongside(settings.database.url.expose(), &settings.storage.data_dir)
        .await
        .map_err(|e| anyhow::anyhow!("opening the database: {e}"))?;
    // The schema must be the one this binary knows; migrations are the server's to run.
    if !migrate::pending(&db).await?.is_empty() {
        anyhow::bail!(
            "the database has migrations pending: run `chat-server migrate up` (or start the server) first"
        );
    }
    match action {
        AdminAction::User { action } => match action {
            UserAction::Create { name, password } => {
                let password = new_password(&password)?;
                admin::create_user(&db, &name, &password).await?;
                println!("created user {name}");
            }
            UserAction::List => {
                println!("{:<24} {:<10} {:>8}  created", "name", "state", "sessions");
                for u in admin::list_users(&db).await? {
                    let state = if u.disabled { "disabled" } else { "active" };
                    println!(
                        "{:<24} {state:<10} {:>8}  {}",
                        u.name,
                        u.sessions,
                        time(u.created_at)
                    );
                }
            }
            UserAction::ResetPassword { name, password } => {
                let password = new_password(&password)?;
                let ended = admin::reset_password(&db, &name, &password).await?;
                println!("password of {name} reset; {ended} session(s) ended");
            }
            UserAction::Disable { name } => {
                let ended = admin::set_disabled(&db, &name, true).await?;
                println!("disabled {name}; {ended} session(s) ended");
            }
            UserAction::Enable { name } => {
                admin::set_disabled(&db, &name, false).await?;
                println!("enabled {name}");
            }
        },
        AdminAction::Sessions { action } => match action {
            SessionsAction::List { name } => {
                println!(
                    "{:<36}  {:<20}  {:<20}  expires",
                    "session", "created", "last subscribed"
                );
                for s in admin::list_sessions(&db, &name).await? {
                    println!(
                        "{:<36}  {:<20}  {:<20}  {}",
                        s.id,
                        time(s.created_at),
                        time(s.last_subscribed_at),
                        time(s.expires_at)
                    );
                }
            }
            SessionsAction::Revoke { name, session } => {
                let ended = admin::revoke_sessions(&db, &name, session.as_deref()).await?;
                println!("{ended} session(s) of {name} ended");
            }
        },
        AdminAction::Unlock { name, address } => {
            if name.is_none() && address.is_none() {
                anyhow::bail!("name a user, an --address, or both");
            }
            let forgotten = admin::unlock(&db, name.as_deref(), address.as_deref()).await?;
            println!("{forgotten} failed sign-in(s) forgotten");
        }
    }
    Ok(())
}

/// The first line of standard input, or a generated password that is printed once.
fn new_password(source: &PasswordSource) -> anyhow::Result<String> {
    if source.generate_password {
        let password = chat_server::auth::refresh::generate();
        println!("password: {password}");
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        anyhow::bail!("no password on standard input (or use --generate-password)");
    }
    Ok(password)
}

/// Unix milliseconds as UTC `YYYY-MM-DD HH:MM:SS`.
fn time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian, UTC).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn write_man_pages(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    clap_mangen::generate_to(Cli::command(), dir)
        .with_context(|| format!("writing man pages into {}", dir.display()))?;
    println!("man pages written to {}", dir.display());
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let _log_guard = telemetry::init(&settings.log)?;
    let addr = settings.listen_addr();
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let summary = summary(&settings);
    tracing::info!(version = chat_server::cli::VERSION, "starting: {summary}");
    let app = Application::build(settings, listener).await?;
    let local = app.local_addr()?;
    tracing::info!(addr = %local, tls = app.tls(), "chat-server ready");
    let shutdown = CancellationToken::new();
    tokio::spawn(on_signal(shutdown.clone()));
    app.run(shutdown).await
}

async fn on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    shutdown.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    shutdown.cancel();
}
