//! Command-line options. The defaults are issue 14's scenario: 200 ssh sessions in the
//! lobby while one poster posts 5 messages a second for 20 seconds.

use anyhow::{Result, bail};
use clap::Parser;
use std::{path::PathBuf, time::Duration};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "chat-ssh-bench",
    version,
    about = "The ssh gateway under a busy room: memory per session, CPU per delivered \
             message, and latency from Send to the screen",
    long_about = "Starts a fresh chat-server (SQLite; the binary beside this one, or \
                  CHAT_SERVER_BIN) and `chat-tui ssh-gateway` as separate processes, opens N \
                  ssh sessions (password, pty, shell) that each read the gateway's output \
                  into a terminal emulator, then posts M marked messages to the lobby at a \
                  fixed rate and notes when each marker shows on each screen. Prints a table \
                  and one JSON line; exits 1 if a delivery was missed, a Send refused or a \
                  session dropped, 2 if the run itself failed."
)]
pub struct Args {
    /// Concurrent ssh sessions, each its own user.
    #[arg(short = 'n', long, default_value_t = 200)]
    pub sessions: usize,

    /// Messages to post, each with a marker of its own.
    #[arg(short = 'm', long, default_value_t = 100)]
    pub messages: usize,

    /// Messages per second (a fixed rate, whatever the server does).
    #[arg(long, default_value_t = 5.0)]
    pub rate: f64,

    /// The pty's columns and rows.
    #[arg(long, default_value_t = 100)]
    pub cols: u16,
    #[arg(long, default_value_t = 30)]
    pub rows: u16,

    /// ssh sign-ins in flight at once (each is an Argon2 hash on the server).
    #[arg(long, default_value_t = 8)]
    pub parallelism: usize,

    /// The chat-tui binary that serves the gateway [default: next to this executable].
    #[arg(long, value_name = "PATH")]
    pub tui_bin: Option<PathBuf>,

    /// Seconds to wait for every session to show the chat screen, and then for the
    /// gateway's output to go quiet (the sessions announce each other online).
    #[arg(long, default_value_t = 60.0)]
    pub settle_timeout: f64,

    /// Seconds to wait, after the last post, for every marker to reach every screen.
    #[arg(long, default_value_t = 30.0)]
    pub drain_timeout: f64,

    /// The whole run gives up after this many seconds (and stops what it started).
    #[arg(long, default_value_t = 600.0)]
    pub timeout: f64,

    /// A name for the scenario, echoed in the JSON line.
    #[arg(long, default_value = "")]
    pub label: String,
}

impl Args {
    pub fn check(&self) -> Result<()> {
        if self.sessions == 0 {
            bail!("--sessions must be at least 1");
        }
        if self.messages == 0 || self.messages >= crate::marker::MAX_MESSAGES {
            bail!(
                "--messages must be 1 to {}",
                crate::marker::MAX_MESSAGES - 1
            );
        }
        if !(self.rate > 0.0 && self.rate.is_finite()) {
            bail!("--rate must be above 0");
        }
        if self.cols < 40 || self.rows < 12 {
            bail!("the pty must be at least 40x12 for the chat screen to show");
        }
        Ok(())
    }

    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.rate)
    }

    pub fn settle_timeout(&self) -> Duration {
        secs(self.settle_timeout)
    }

    pub fn drain_timeout(&self) -> Duration {
        secs(self.drain_timeout)
    }

    pub fn timeout(&self) -> Duration {
        secs(self.timeout)
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(if s.is_finite() { s.max(0.0) } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_issues_scenario_and_pass_the_checks() {
        let args = Args::parse_from(["chat-ssh-bench"]);
        assert_eq!((args.sessions, args.messages), (200, 100));
        assert_eq!(args.interval(), Duration::from_millis(200));
        assert!(args.check().is_ok());
        let silly = Args::parse_from(["chat-ssh-bench", "--rate", "0"]);
        assert!(silly.check().is_err());
    }
}
