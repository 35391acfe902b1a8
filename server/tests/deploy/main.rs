//! Deployment and operations: TLS, the `healthcheck` and `migrate` subcommands (run as the
//! real binary), log files, and the deployment files checked against what the server
//! reads. One binary, so it links once.

mod cli;
mod files;
mod logging;
mod support;
#[path = "../support/test_db.rs"]
mod test_db;
mod tls;
