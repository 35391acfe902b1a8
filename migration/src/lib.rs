//! Schema migrations for the chat server. `chat-server` applies them at start; the
//! `migration` binary (`cargo run -p migration -- up|down|status`) runs them by hand.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_initial;
mod m20261129_000002_session_first_event;
mod m20261130_000003_lean_event_queue;
mod m20261201_000004_hardening;
mod m20261202_000005_operations;
mod m20261202_000006_event_audience;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_initial::Migration),
            Box::new(m20261129_000002_session_first_event::Migration),
            Box::new(m20261130_000003_lean_event_queue::Migration),
            Box::new(m20261201_000004_hardening::Migration),
            Box::new(m20261202_000005_operations::Migration),
            Box::new(m20261202_000006_event_audience::Migration),
        ]
    }
}
