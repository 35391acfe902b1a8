//! The chat server as a library, so that tests drive exactly what `main` runs.
//!
//! - [`startup`]: builds the application and serves it (listener, services, shutdown).
//! - [`settings`], [`telemetry`]: configuration layers and logging.
//! - [`service`]: tonic adapters; [`accounts`] and [`chat`]: the rules;
//!   [`delivery`]: events to subscribers; [`entity`] and [`db`]: storage.
//! - [`domain`]: validated request values; [`error`]: the one error → status mapping.
//! - [`cli`], [`migrate`], [`healthcheck`], [`tls`]: the operator's commands and TLS.

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod backup;
pub mod chat;
pub mod cli;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod entity;
pub mod error;
pub mod events;
pub mod healthcheck;
pub mod incoming;
pub mod metrics;
pub mod migrate;
pub mod service;
pub mod settings;
pub mod startup;
pub mod state;
pub mod systemd;
pub mod tasks;
pub mod telemetry;
pub mod tls;

pub use settings::Settings;
pub use startup::Application;
