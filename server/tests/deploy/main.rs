//! Deployment and operations: TLS, the operator's subcommands (run as the real binary:
//! `healthcheck`, `migrate`, `config`, `admin`, `backup`, …), metrics, log files, and the
//! deployment files checked against what the server reads. One binary, so it links once.

mod cli;
mod files;
mod logging;
mod operations;
use chat_test_support::process;
mod support;
use chat_test_support::test_db;
mod tls;
