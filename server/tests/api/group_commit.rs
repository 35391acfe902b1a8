//! The group commit's promise, tested on the real writer: operations that share a
//! transaction are isolated from each other's refusals (in their read phase), and one
//! that fails while writing takes its whole batch down with it rather than committing
//! half of anything.

use crate::helpers::*;
use chat_server::{
    db::{Decision, Operation, Tx, Written},
    entity::sign_in_failure,
    error::{Error, Result},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use tokio::sync::oneshot;

async fn record(tx: &Tx, name_key: &str) -> Result<()> {
    sign_in_failure::ActiveModel {
        name_key: Set(name_key.to_owned()),
        at: Set(0),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(())
}

async fn recorded(app: &TestApp, name_key: &str) -> u64 {
    sign_in_failure::Entity::find()
        .filter(sign_in_failure::Column::NameKey.eq(name_key))
        .count(app.state.db.conn())
        .await
        .expect("count")
}

/// Writes one row under `key`; with `then_fail`, fails after writing it.
struct Record {
    key: &'static str,
    then_fail: bool,
}

impl Operation for Record {
    type Plan = ();
    type Output = ();
    async fn decide(&self, _tx: &Tx) -> Result<Decision<(), ()>> {
        Ok(Decision::Write(()))
    }
    async fn apply(self, tx: &Tx, (): ()) -> Result<Written<()>> {
        record(tx, self.key).await?;
        if self.then_fail {
            return Err(Error::not_found("refused too late"));
        }
        Ok(Written::without_event(()))
    }
}

/// Refuses in its read phase.
struct Refuse;

impl Operation for Refuse {
    type Plan = ();
    type Output = ();
    async fn decide(&self, _tx: &Tx) -> Result<Decision<(), ()>> {
        Err(Error::not_found("nothing here"))
    }
    async fn apply(self, _tx: &Tx, (): ()) -> Result<Written<()>> {
        unreachable!("a refused operation is never applied")
    }
}

/// Holds the committer until released.
struct Block {
    running: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

impl Operation for Block {
    type Plan = ();
    type Output = ();
    async fn decide(&self, _tx: &Tx) -> Result<Decision<(), ()>> {
        Ok(Decision::Write(()))
    }
    async fn apply(self, _tx: &Tx, (): ()) -> Result<Written<()>> {
        let _ = self.running.send(());
        let _ = self.release.await;
        Ok(Written::without_event(()))
    }
}

/// Submits `ops` so that they are certain to share one transaction: the committer is kept
/// busy with a first operation until all of them are queued behind it.
macro_rules! in_one_batch {
    ($db:expr, $($op:expr),+ $(,)?) => {{
        let (running, running_rx) = oneshot::channel::<()>();
        let (release_tx, release) = oneshot::channel::<()>();
        let blocker = {
            let db = $db.clone();
            tokio::spawn(async move { db.write(Block { running, release }).await })
        };
        running_rx.await.expect("the blocker runs");
        // `join!` polls in order: every op is queued before the release is sent.
        let outcome = tokio::join!($($db.write($op)),+, async {
            let _ = release_tx.send(());
        });
        blocker.await.expect("join").expect("blocker");
        outcome
    }};
}

#[tokio::test]
async fn a_refusal_in_a_shared_commit_leaves_its_neighbours_committed() {
    let app = spawn_app().await;
    let db = app.state.db.clone();
    let (refused, accepted, ()) = in_one_batch!(
        db,
        Refuse,
        Record {
            key: "accepted",
            then_fail: false
        },
    );
    assert!(matches!(refused, Err(Error::NotFound(_))), "{refused:?}");
    accepted.expect("the neighbour commits");
    assert_eq!(recorded(&app, "accepted").await, 1);
}

#[tokio::test]
async fn a_failure_after_writing_rolls_back_the_whole_batch() {
    let app = spawn_app().await;
    let db = app.state.db.clone();
    let (before, failing, after, ()) = in_one_batch!(
        db,
        Record {
            key: "before",
            then_fail: false
        },
        Record {
            key: "half-done",
            then_fail: true
        },
        Record {
            key: "after",
            then_fail: false
        },
    );
    // The failing operation keeps its own error; its neighbours learn nothing committed.
    assert!(matches!(failing, Err(Error::NotFound(_))), "{failing:?}");
    assert!(matches!(before, Err(Error::Internal(_))), "{before:?}");
    assert!(matches!(after, Err(Error::Internal(_))), "{after:?}");
    for key in ["before", "half-done", "after"] {
        assert_eq!(recorded(&app, key).await, 0, "{key} was rolled back");
    }

    // The committer goes on.
    db.write(Record {
        key: "later",
        then_fail: false,
    })
    .await
    .expect("a later operation commits");
    assert_eq!(recorded(&app, "later").await, 1);
}

#[tokio::test]
async fn stopping_the_group_commit_commits_what_is_queued_and_refuses_the_rest() {
    let app = spawn_app().await;
    let db = app.state.db.clone();
    let (running, running_rx) = oneshot::channel::<()>();
    let (release_tx, release) = oneshot::channel::<()>();
    let blocker = {
        let db = db.clone();
        tokio::spawn(async move { db.write(Block { running, release }).await })
    };
    running_rx.await.expect("the blocker runs");
    let queued = {
        let db = db.clone();
        tokio::spawn(async move {
            db.write(Record {
                key: "queued",
                then_fail: false,
            })
            .await
        })
    };
    // Queued behind the blocker before the stop.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    db.stop_writes();
    let _ = release_tx.send(());
    blocker.await.expect("join").expect("blocker");
    queued
        .await
        .expect("join")
        .expect("a queued operation still commits");
    db.writes_stopped().await;
    assert_eq!(recorded(&app, "queued").await, 1);
    let late = db
        .write(Record {
            key: "late",
            then_fail: false,
        })
        .await;
    assert!(matches!(late, Err(Error::Unavailable(_))), "{late:?}");
    assert_eq!(recorded(&app, "late").await, 0);
}
