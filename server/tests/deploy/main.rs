//! Deployment and operations: TLS, the operator's subcommands (run as the real binary:
//! `healthcheck`, `migrate`, `config`, `admin`, `backup`, …), metrics, log files, and the
//! deployment files checked against what the server reads. One binary, so it links once.

mod cli;
mod files;
mod logging;
mod operations;
#[path = "../support/process.rs"]
mod process;
mod support;
#[path = "../support/test_db.rs"]
mod test_db;
mod tls;
