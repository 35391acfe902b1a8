//! The group commit's promise, tested on the real writer: operations that share a
//! transaction are isolated from each other's refusals, and one that fails after writing
//! takes its whole batch down with it rather than committing half of anything.

use crate::helpers::*;
use chat_server::{db::OpConn, entity::sign_in_failure, error::Error};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use tokio::sync::oneshot;

async fn record(conn: &OpConn<'_>, name_key: &str) -> chat_server::error::Result<()> {
    sign_in_failure::ActiveModel {
        name_key: Set(name_key.to_owned()),
        at: Set(0),
        ..Default::default()
    }
    .insert(conn)
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

/// Submits `ops` so that they are certain to share one transaction: the committer is kept
/// busy with a first operation until all of them are queued behind it.
macro_rules! in_one_batch {
    ($db:expr, $($op:expr),+ $(,)?) => {{
        let (running_tx, running_rx) = oneshot::channel::<()>();
        let (release_tx, release_rx) = oneshot::channel::<()>();
        let blocker = {
            let db = $db.clone();
            tokio::spawn(async move {
                db.ordered(move |_| {
                    Box::pin(async move {
                        let _ = running_tx.send(());
                        let _ = release_rx.await;
                        Ok(())
                    })
                })
                .await
            })
        };
        running_rx.await.expect("the blocker runs");
        // `join!` polls in order: every op is queued before the release is sent.
        let outcome = tokio::join!($($db.ordered($op)),+, async {
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
        |_: &OpConn<'_>| Box::pin(async { Err::<(), _>(Error::not_found("nothing here")) }),
        |conn: &OpConn<'_>| Box::pin(async move { record(conn, "accepted").await }),
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
        |conn: &OpConn<'_>| Box::pin(async move { record(conn, "before").await }),
        |conn: &OpConn<'_>| Box::pin(async move {
            record(conn, "half-done").await?;
            Err::<(), _>(Error::not_found("refused too late"))
        }),
        |conn: &OpConn<'_>| Box::pin(async move { record(conn, "after").await }),
    );
    // The failing operation keeps its own error; its neighbours learn nothing committed.
    assert!(matches!(failing, Err(Error::NotFound(_))), "{failing:?}");
    assert!(matches!(before, Err(Error::Internal(_))), "{before:?}");
    assert!(matches!(after, Err(Error::Internal(_))), "{after:?}");
    for key in ["before", "half-done", "after"] {
        assert_eq!(recorded(&app, key).await, 0, "{key} was rolled back");
    }

    // The committer goes on.
    db.ordered(|conn: &OpConn<'_>| Box::pin(async move { record(conn, "later").await }))
        .await
        .expect("a later operation commits");
    assert_eq!(recorded(&app, "later").await, 1);
}
