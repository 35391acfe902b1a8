//! The server's background tasks, started from one place (`startup`) and ended together:
//! each watches the one shutdown token (`AppState::shutdown`) and returns when it is
//! cancelled, and [`Tasks::join`] waits for all of them up to a deadline, aborting and
//! naming any that overstay it. The group-commit writer belongs to the database handle
//! (every command uses one); `startup` stops it after these, with the same deadline.

use std::future::Future;
use tokio::{task::JoinHandle, time::Instant};

#[derive(Default)]
pub struct Tasks {
    running: Vec<(&'static str, JoinHandle<()>)>,
}

impl Tasks {
    /// Starts `task`; it must return once the shutdown token is cancelled.
    pub fn spawn(&mut self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        self.running.push((name, tokio::spawn(task)));
    }

    /// Waits for every task until `deadline`; returns the names of those that had to be
    /// aborted (none, when every task honours the token).
    pub async fn join(self, deadline: Instant) -> Vec<&'static str> {
        let mut late = Vec::new();
        for (name, mut task) in self.running {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
                late.push(name);
            }
        }
        late
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio_util::sync::CancellationToken;

    #[tokio::test]
    async fn tasks_that_honour_the_token_end_and_one_that_does_not_is_named() {
        let token = CancellationToken::new();
        let mut tasks = Tasks::default();
        let polite = token.clone();
        tasks.spawn("polite", async move { polite.cancelled().await });
        tasks.spawn("stubborn", std::future::pending());
        token.cancel();
        let late = tasks
            .join(Instant::now() + Duration::from_millis(200))
            .await;
        assert_eq!(late, vec!["stubborn"]);
    }
}
